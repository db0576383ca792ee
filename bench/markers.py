#!/usr/bin/env python3
"""Marker drift of a sequence of marker clips, measured by decoding with the ffmpeg CLI.

Usage: markers.py CLIP_SECONDS FILE...
For each file prints the flash and beep counts, `av_ms`: the largest |beep - flash| (A/V
offset, pairing the i-th flash with the i-th beep), and `shift_ms`: the largest distance of a
flash from where it belongs on the joined timeline (the i-th shot of CLIP_SECONDS has its
markers at 1 s and every 2 s after). Same method as tests/common's oracle, with a flash
threshold that also works over MARKER_BG pictures: flash = a frame whose mean luma jumps above
200 (the whole picture near white), beep = first sample above a quarter of full scale after
half a second of quiet.
"""
import array
import re
import subprocess
import sys


def flashes(path):
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", path, "-an", "-vf",
         "scale=16:16,format=gray,showinfo", "-f", "null", "-"],
        capture_output=True, text=True).stderr
    out, prev = [], False
    for line in log.splitlines():
        m = re.search(r"pts_time:(\S+).*mean:\[(\S+)", line)
        if not m:
            continue
        bright = float(m.group(2).rstrip("]")) > 200
        if bright and not prev:
            out.append(float(m.group(1)))
        prev = bright
    return out


def beeps(path):
    r = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", path, "-vn", "-af",
         "aresample=48000,pan=mono|c0=c0,ashowinfo", "-f", "f32le", "-"],
        capture_output=True)
    frames, at = [], 0
    for line in r.stderr.decode(errors="replace").splitlines():
        m = re.search(r"pts_time:(\S+).*nb_samples:(\d+)", line)
        if m:
            frames.append((at, float(m.group(1))))
            at += int(m.group(2))
    samples = array.array("f")
    samples.frombytes(r.stdout[: len(r.stdout) // 4 * 4])
    out, last, k = [], None, 0
    for i, v in enumerate(samples):
        if abs(v) > 0.25:
            if last is None or i - last > 24000:
                while k + 1 < len(frames) and frames[k + 1][0] <= i:
                    k += 1
                start, t = frames[k] if frames else (0, 0.0)
                out.append(t + (i - start) / 48000)
            last = i
    return out


clip = float(sys.argv[1])
for path in sys.argv[2:]:
    f, b = flashes(path), beeps(path)
    n = min(len(f), len(b))
    av = max((abs(b[i] - f[i]) * 1000 for i in range(n)), default=float("nan"))
    per_clip = list(range(1000, round(clip * 1000), 2000))
    expected = [k * clip + t / 1000 for k in range(len(f) // max(len(per_clip), 1) + 1)
                for t in per_clip][: len(f)]
    shift = max((abs(x - e) * 1000 for x, e in zip(f, expected)), default=float("nan"))
    print(f"{path}: flashes {len(f)} beeps {len(b)} av_ms {av:.2f} shift_ms {shift:.2f}")
