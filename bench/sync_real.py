#!/usr/bin/env python3
"""Tabulate `cutroom sync --json` on shifted real clips (bench/sync_real.sh) against issue #15.

Usage: sync_real.py CLIP/sync.json...  (each the report of base.mp4 then s-200 ... s+200.mp4)
Per clip: the original's estimate and verdict, then per shift the estimate, the tracking error
(estimate(shifted) - estimate(original) - shift) and the verdict (P pass, F fail, i inconclusive;
a tentative offset of an inconclusive answer in parentheses). Clips whose name starts with a
prefix in $SYNC_TALKING (default "th_") are talking heads.
Acceptance: talking heads tracking within 20 ms at every shift, original within 45 ms of zero,
verdict right at 0 and +-200 ms (share, goal 90 %); on every clip no pass at +-200, no fail at 0.
Also listed: every verdict whose offset is more than 45 ms from the shift (taking the source
recording as in sync), such as a sign reversed; and the same two checks on each shot's own
verdict (`shots[]`), which the file's verdict does not always show.
"""
import json
import os
import sys

SHIFTS = [-200, -80, -40, 0, 40, 80, 200]
TALKING = tuple(os.environ.get("SYNC_TALKING", "th_").split())


def tentative(f):
    """The reported offset, else the most confident method's offset (None when none)."""
    if f.get("offset_ms") is not None:
        return f["offset_ms"], False
    found = [m for m in (f.get("methods") or {}).values()
             if isinstance(m, dict) and m.get("offset_ms") is not None]
    if not found:
        return None, True
    return max(found, key=lambda m: m.get("confidence", 0))["offset_ms"], True


def cell(f, err):
    v = f.get("verdict", "error")
    est, tent = tentative(f)
    e = "-" if est is None else (f"({est:+.0f})" if tent else f"{est:+.0f}")
    t = "" if err is None else f"{err:+.0f}"
    return f"{e:>7} {t:>5} {v[0] if v != 'inconclusive' else 'i'}"


def main(paths):
    rows, wrong, off, talking_ok, talking_n = [], [], [], 0, 0
    shot_wrong, shot_off = [], []
    verdicts, tracked, speech_tracked, tentative_tracked = {}, 0, 0, []
    print(f"{'clip':24} {'original':>14} " + " ".join(f"{s:>+15}" for s in SHIFTS))
    for p in paths:
        clip = os.path.basename(os.path.dirname(p))
        files = json.load(open(p))["files"]
        base, shifted = files[0], files[1:]
        b = base.get("offset_ms")
        errs = []
        for s, f in zip(SHIFTS, shifted):
            o = f.get("offset_ms")
            errs.append(None if o is None or b is None else o - b - s)
        print(f"{clip:24} {cell(base, None):>14} "
              + " ".join(f"{cell(f, e):>15}" for f, e in zip(shifted, errs)))
        for s, f in [(0, base)] + list(zip(SHIFTS, shifted)):
            v = f.get("verdict", "error")
            verdicts[v] = verdicts.get(v, 0) + 1
            if (abs(s) == 200 and v == "pass") or (s == 0 and v == "fail"):
                wrong.append(f"{clip} at {s:+d} ms: {v} {f.get('offset_ms')}")
            o = f.get("offset_ms")
            if v in ("pass", "fail") and o is not None and abs(o - s) > 45:
                off.append(f"{clip} at {s:+d} ms: {v} {o:+.1f} ms")
            # Each shot's own verdict too (a file of several shots, or of one shot judged
            # on its own parts): what assemble's per-shot checks show.
            for sh in f.get("shots") or []:
                sv, so = sh.get("verdict"), sh.get("offset_ms")
                where = f"{clip} at {s:+d} ms, shot {sh.get('index')}"
                if (abs(s) == 200 and sv == "pass") or (s == 0 and sv == "fail"):
                    shot_wrong.append(f"{where}: {sv} {so}")
                if sv in ("pass", "fail") and so is not None and abs(so - s) > 45:
                    shot_off.append(f"{where}: {sv} {so:+.1f} ms")
        tracks = all(e is not None and abs(e) <= 20 for e in errs)
        tb = tentative(base)[0]
        if tb is not None and all(
                tentative(f)[0] is not None and abs(tentative(f)[0] - tb - s) <= 20
                for s, f in zip(SHIFTS, shifted)):
            tentative_tracked.append(f"{clip} ({tb:+.0f})")
        tracked += tracks
        if clip.startswith(TALKING):
            talking_n += 1
            speech_tracked += tracks
            right = (base.get("verdict") == "pass"
                     and shifted[SHIFTS.index(0)].get("verdict") == "pass"
                     and shifted[0].get("verdict") == "fail"
                     and shifted[-1].get("verdict") == "fail")
            near = b is not None and abs(b) <= 45
            talking_ok += tracks and near and right
    n = len(paths)
    print()
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items()))
          + f" (of {8 * n} files)")
    print(f"clips tracking within 20 ms at every shift: {tracked} of {n}")
    if talking_n:
        print(f"talking heads meeting #15 (tracking, original within 45 ms, verdicts right at 0"
              f" and +-200): {talking_ok} of {talking_n} = {100 * talking_ok / talking_n:.0f} %"
              f" (goal 90 %); tracking alone {speech_tracked} of {talking_n}")
    print(f"tentative estimates (most confident method, verdict or not) tracking within 20 ms at"
          f" every shift: {len(tentative_tracked)} of {n} {' '.join(tentative_tracked)}")
    print(f"confident wrong verdicts (pass at +-200 / fail at 0): {len(wrong)} (goal 0)")
    for w in wrong:
        print(f"  {w}")
    print(f"verdicts with the offset more than 45 ms from the shift: {len(off)} (goal 0)")
    for w in off:
        print(f"  {w}")
    print(f"shots' confident wrong verdicts (pass at +-200 / fail at 0): {len(shot_wrong)}"
          f" (goal 0)")
    for w in shot_wrong:
        print(f"  {w}")
    print(f"shots' verdicts with the offset more than 45 ms from the shift: {len(shot_off)}")


if __name__ == "__main__":
    main(sys.argv[1:])
