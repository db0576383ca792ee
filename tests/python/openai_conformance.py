"""Drive `cutroom emulate` with the official `openai` package and print what it saw as JSON.

Usage: openai_conformance.py BASE_URL RATE_LIMITED_BASE_URL OUT_DIR REFERENCE_PNG
"""
import json
import os
import sys
import warnings

import openai

warnings.simplefilter("ignore")  # the SDK marks the videos API as deprecated
base, limited, out_dir, reference = sys.argv[1:5]


def error_of(e):
    """The error object of an APIStatusError, whichever way the SDK unwrapped it."""
    body = e.body if isinstance(e.body, dict) else {}
    return {"status": e.status_code, "error": body.get("error", body)}


res = {}
c = openai.OpenAI(base_url=base, api_key="sk-python", max_retries=0)
v = c.videos.create(prompt="a lighthouse at dusk", model="sora-2", seconds="4", size="1280x720")
res["created"] = v.model_dump()
res["polled"] = c.videos.poll(v.id).model_dump()  # follows openai-poll-after-ms
res["retrieved"] = c.videos.retrieve(v.id).model_dump()
with open(reference, "rb") as f:
    res["with_reference"] = c.videos.create(
        prompt="from an image", input_reference=f, size="720x1280"
    ).model_dump()
for i in range(3):
    c.videos.create(prompt=f"extra shot {i}")
ids, pages = [], 0
for page in c.videos.list(limit=2).iter_pages():
    pages += 1
    ids += [x.id for x in page.data]
res["listed"], res["pages"] = ids, pages
res["auto_paged"] = [x.id for x in c.videos.list(limit=2, order="asc")]
for variant in ["video", "thumbnail", "spritesheet"]:
    path = os.path.join(out_dir, f"python.{variant}")
    c.videos.download_content(v.id, variant=variant).write_to_file(path)
    res[variant] = path
res["remix"] = c.videos.remix(v.id, prompt="the same, at night").model_dump()
# The API takes remix also as a form.
res["remix_form"] = c.videos.remix(
    v.id, prompt="the same, in fog", extra_headers={"Content-Type": "multipart/form-data"}
).model_dump()
# Edits and extensions as the SDK sends them: multipart with the source video uploaded.
with open(res["video"], "rb") as f:
    res["edit"] = c.videos.edit(prompt="make it snow", video=f).model_dump()
with open(res["video"], "rb") as f:
    res["extension"] = c.videos.extend(prompt="keep going", seconds="4", video=f).model_dump()
# ... or naming a completed video by id (JSON, as the API reference shows it).
res["edit_by_id"] = c.post(
    "/videos/edits", body={"prompt": "in colour", "video": {"id": v.id}}, cast_to=openai.types.Video
).model_dump()
res["extension_polled"] = c.videos.poll(res["extension"]["id"]).model_dump()
path = os.path.join(out_dir, "extension.mp4")
c.videos.download_content(res["extension"]["id"]).write_to_file(path)
res["extension_file"] = path
try:  # `seconds` as a JSON number, not a string
    c.post("/videos", body={"prompt": "x", "seconds": 4}, cast_to=openai.types.Video)
except openai.BadRequestError as e:
    res["seconds_number"] = error_of(e)
try:  # only a completed or failed video can be deleted
    c.videos.delete(c.videos.create(prompt="not yet").id)
except openai.BadRequestError as e:
    res["delete_queued"] = error_of(e)
c.videos.poll(res["with_reference"]["id"])  # only a finished video can be deleted
res["deleted"] = c.videos.delete(res["with_reference"]["id"]).model_dump()
try:
    c.videos.retrieve(res["with_reference"]["id"])
except openai.NotFoundError as e:
    res["not_found"] = error_of(e)
try:
    c.videos.create(prompt="x", size="999x999")
except openai.BadRequestError as e:
    res["bad_request"] = error_of(e)
lc = openai.OpenAI(base_url=limited, api_key="sk-python", max_retries=0)
try:
    for _ in range(50):
        lc.videos.list()
except openai.RateLimitError as e:
    res["rate_limited"] = error_of(e)
    res["rate_limited"]["retry_after"] = e.response.headers.get("retry-after")
# With retries on, the SDK waits as Retry-After says and gets through.
res["after_retries"] = len(openai.OpenAI(base_url=limited, api_key="sk-python", max_retries=6).videos.list().data)
print(json.dumps(res))
