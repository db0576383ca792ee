"""Drive `cutroom emulate --flavor openrouter|replicate` with the official `openrouter` and
`replicate` packages and print what they saw as JSON.

Usage: gateways_conformance.py OPENROUTER_BASE_URL REPLICATE_BASE_URL OUT_DIR
"""
import json
import os
import sys
import time

import openrouter
import replicate

or_base, rep_base, out_dir = sys.argv[1:4]
res = {}

with openrouter.OpenRouter(api_key="sk-or-test", server_url=or_base) as c:
    job = c.video_generation.generate(
        model="google/veo-3.1-fast",
        prompt="a lighthouse at dusk",
        duration=2,
        resolution="360p",
        aspect_ratio="16:9",
    )
    res["or_created"] = job.model_dump(mode="json")
    for _ in range(100):
        got = c.video_generation.get_generation(job_id=job.id)
        if got.status in ("completed", "failed"):
            break
        time.sleep(0.1)
    res["or_polled"] = got.model_dump(mode="json")
    resp = c.video_generation.get_video_content(job_id=job.id, index=0)
    path = os.path.join(out_dir, "openrouter.mp4")
    with open(path, "wb") as f:
        f.write(resp.read() if hasattr(resp, "read") else resp.content)
    res["or_file"] = path
    try:
        c.video_generation.generate(model="google/veo-3.1-fast", prompt="something forbidden")
    except openrouter.errors.OpenRouterError as e:
        res["or_refused"] = {"status": e.status_code, "body": e.body}

rc = replicate.Client(api_token="r8_test", base_url=rep_base.removesuffix("/v1"))
p = rc.models.predictions.create(
    model="google/veo-3",
    input={"prompt": "a harbour at night", "duration": 2, "resolution": "360p", "aspect_ratio": "16:9"},
)
res["rep_created"] = {"id": p.id, "status": p.status}
p.wait()
res["rep_done"] = {"id": p.id, "status": p.status, "output": p.output, "error": p.error}
res["rep_listed"] = [x.id for x in rc.predictions.list().results]
q = rc.models.predictions.create(model="google/veo-3", input={"prompt": "a lighthouse", "duration": 2})
q.cancel()
q.reload()
res["rep_cancelled"] = {"id": q.id, "status": q.status, "output": q.output}
try:
    rc.models.predictions.create(model="google/veo-3", input={"prompt": "forbidden fruit"})
except replicate.exceptions.ReplicateError as e:
    res["rep_refused"] = {"status": e.status, "detail": e.detail}
print(json.dumps(res))
