"""Drive `cutroom emulate --flavor fal --tls-cert ...` with the official `fal-client` package and
print what it saw as JSON. fal-client always speaks https to FAL_QUEUE_RUN_HOST; it trusts the
emulator's test CA through SSL_CERT_FILE (honoured by httpx).

Usage: fal_conformance.py OUT_DIR (FAL_KEY, FAL_QUEUE_RUN_HOST and SSL_CERT_FILE set)
"""
import json
import os
import sys

import fal_client
import httpx

out_dir = sys.argv[1]
app = "fal-ai/veo3/fast"
res = {}
h = fal_client.submit(
    app, arguments={"prompt": "a lighthouse at dusk", "duration": 2, "resolution": "360p", "aspect_ratio": "16:9"}
)
res["request_id"] = h.request_id
res["first_status"] = type(h.status()).__name__
result = h.get()  # polls status_url until COMPLETED, then reads response_url
res["result"] = result
res["status_again"] = type(fal_client.status(app, h.request_id)).__name__
res["result_again"] = fal_client.result(app, h.request_id)
path = os.path.join(out_dir, "fal.mp4")
with open(path, "wb") as f:
    f.write(httpx.get(result["video"]["url"]).raise_for_status().content)
res["file"] = path
try:
    fal_client.submit(app, arguments={"prompt": "something forbidden"})
except fal_client.client.FalClientHTTPError as e:
    res["refused"] = {"status": e.status_code, "message": e.message}
try:
    fal_client.status(app, "no-such-request")
except fal_client.client.FalClientHTTPError as e:
    res["unknown"] = {"status": e.status_code, "message": e.message}
host = os.environ["FAL_QUEUE_RUN_HOST"]
res["stats"] = httpx.get(f"https://{host}/emulator/stats").json()
print(json.dumps(res))
