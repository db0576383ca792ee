"""An independent reading of Content Credentials: c2pa-python (the CAI's own bindings) reads
each MP4 given and prints a JSON list, one object per file: the store's validation state, the
active manifest's failure codes, claim generator, signing time, its time-stamp's status codes,
actions (with their software agents), and ingredients (each with whether it kept a manifest,
that manifest's generator, signing time and failure codes)."""

import json
import sys

import c2pa


def agent(action):
    a = action.get("softwareAgent")
    if isinstance(a, dict):
        return f"{a['name']}/{a['version']}" if a.get("version") else a.get("name")
    return a


def generator(manifest):
    info = (manifest.get("claim_generator_info") or [{}])[0]
    name = info.get("name") or manifest.get("claim_generator")
    return f"{name}/{info['version']}" if info.get("version") else name


def describe(path):
    with open(path, "rb") as f:
        with c2pa.Reader("video/mp4", f) as reader:
            store = json.loads(reader.json())
    manifests = store.get("manifests", {})
    active = manifests[store["active_manifest"]]
    results = store.get("validation_results", {}).get("activeManifest", {})
    actions = []
    for assertion in active.get("assertions", []):
        if assertion["label"].startswith("c2pa.actions"):
            actions += [
                {
                    "action": a["action"],
                    "digitalSourceType": a.get("digitalSourceType", "").rsplit("/", 1)[-1]
                    or None,
                    "softwareAgent": agent(a),
                }
                for a in assertion["data"]["actions"]
            ]
    ingredients = []
    for ing in active.get("ingredients", []):
        own = manifests.get(ing.get("active_manifest") or "")
        own_results = ing.get("validation_results", {}).get("activeManifest", {})
        ingredients.append(
            {
                "title": ing.get("title"),
                "relationship": ing.get("relationship"),
                "manifest": own is not None,
                "claim_generator": generator(own) if own else None,
                "signed_at": (own or {}).get("signature_info", {}).get("time"),
                "failures": [s["code"] for s in own_results.get("failure", [])],
            }
        )
    return {
        "path": path,
        "validation_state": store.get("validation_state"),
        "failures": [s["code"] for s in results.get("failure", [])],
        "claim_generator": generator(active),
        "signed_at": active.get("signature_info", {}).get("time"),
        "time_stamp": [
            s["code"]
            for kind in ("success", "informational", "failure")
            for s in results.get(kind, [])
            if s["code"].startswith("timeStamp.")
        ],
        "actions": actions,
        "ingredients": ingredients,
    }


if __name__ == "__main__":
    print(json.dumps([describe(p) for p in sys.argv[1:]], indent=1))
