#!/usr/bin/env bash
# memory: peak resident memory (GNU time's "Maximum resident set size": the largest process,
# cutroom-media included) of every media command on a 10-minute 360x640 clip with speech-like
# sound and a 10-minute music bed, against the goal of 500 MB per command: probe, loudness,
# swap, duck, concat (the clip twice), export (one preset, then three), sync and assemble.
# Memory should not grow with the length of the media beyond what must be held; each row prints
# its figure and whether it meets the goal.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
[ -x /usr/bin/time ] || { echo "bench: memory needs GNU time (apt-get install time)"; exit 1; }
clip=$work/memory_clip600.mp4
music=$work/memory_music600.wav
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
[ -f "$clip" ] || ff -f lavfi -i "testsrc2=s=360x640:r=30:d=600" \
  -f lavfi -i "anoisesrc=c=pink:a=0.5:s=48000:d=600" \
  -filter_complex "[1:a]volume='if(lt(mod(t,5),3),1,0.01)':eval=frame,lowpass=f=3500,highpass=f=120[a]" \
  -map 0:v -map "[a]" -c:v libx264 -preset ultrafast -g 60 -c:a aac -b:a 128k -ac 2 "$clip"
[ -f "$music" ] || ff -f lavfi \
  -i "aevalsrc='0.2*(sin(2*PI*220*t)+sin(2*PI*277.18*t))*(0.6+0.4*sin(2*PI*2*t))':s=48000:c=stereo:d=600" \
  -c:a pcm_s16le "$music"
GOAL_MB=500

# peak_mb CMD...: run CMD quietly; print its peak resident memory in MB. sync's verdicts
# `fail` (3) and `inconclusive` (4) are reports, not failures.
peak_mb() {
  local log=$work/memory_time.log rc=0
  /usr/bin/time -v -o "$log" "$@" >/dev/null 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] && ! { [ "$2" = sync ] && [ "$rc" -ge 3 ] && [ "$rc" -le 4 ]; }; then
    echo "bench: command failed: $*" >&2
    return 1
  fi
  awk '/Maximum resident set size/{printf "%.0f", $NF / 1024}' "$log"
}

row() {
  local name=$1 mb
  shift
  mb=$(peak_mb "$@")
  printf '%-28s peak RSS %5s MB   goal %s MB   %s\n' "$name" "$mb" "$GOAL_MB" \
    "$([ "$mb" -le "$GOAL_MB" ] && echo meets || echo OVER)"
}
cut=$work/memory_cut.toml
printf 'name = "memory"\noutputs = ["tiktok"]\n[[shot]]\nsrc = "%s"\n[music]\nfile = "%s"\n[loudness]\ntarget = -14\ntrue_peak = -1\n' \
  "$clip" "$music" > "$cut"
row "memory: probe 10 min" "$CUTROOM" probe "$clip" --json
row "memory: loudness 10 min" "$CUTROOM" loudness "$clip" --json
row "memory: swap 10 min" "$CUTROOM" swap "$clip" --audio "$music" --loudness -14 \
  -o "$work/memory_swap.mp4" -q
row "memory: duck 10 min" "$CUTROOM" duck "$clip" --music "$music" --loudness -14 \
  --true-peak -1 -o "$work/memory_duck.mp4" -q
row "memory: concat 2 x 10 min" "$CUTROOM" concat "$clip" "$clip" \
  -o "$work/memory_concat.mp4" -q
row "memory: export 10 min" "$CUTROOM" export "$clip" -p tiktok \
  -o "$work/memory_export" -q
row "memory: export 3 presets" "$CUTROOM" export "$clip" -p tiktok -p square -p youtube \
  -o "$work/memory_export3" -q
row "memory: sync 10 min" "$CUTROOM" sync "$clip" --json
row "memory: assemble 10 min" "$CUTROOM" assemble "$cut" -o "$work/memory_assemble" -q
