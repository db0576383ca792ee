#!/usr/bin/env bash
# sync: cutroom sync (one pass: container checks, luma-only thumbnail decode, audio decode and
# analysis) against a plain decode, `ffmpeg -i FILE -f null -`, in the same run, on 20 s 1080p
# renders: a talking head (th_hdtf_hill from $CUTROOM_SHARED/media/real, looped and scaled;
# issue #15 asks for ratio <= 2) and a synthetic one with moving content, a flash and a beep
# every 2 s and the audio 80 ms late (its offset is printed against that truth).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
work=$1
# sync_and_null CLIP: best of 3 alternating runs of cutroom sync and ffmpeg's null decode.
sync_and_null() {
  local clip=$1
  cr() { local r=0; "$CUTROOM" sync --json -q "$clip" || r=$?; [ "$r" -le 4 ]; }
  ff() { ffmpeg -hide_banner -loglevel error -i "$clip" -f null -; }
  best_of_pair 3 cr ff
}
real=${CUTROOM_SHARED:-$here/../../shared}/media/real/th_hdtf_hill.mp4
th=$work/sync_talking_1080p.mp4
if [ -f "$real" ]; then
  [ -f "$th" ] || ffmpeg -hide_banner -loglevel error -y -stream_loop 2 -i "$real" -t 20 \
    -vf "scale=1080:1080,pad=1920:1080:420:0" -c:v libx264 -preset veryfast -crf 20 \
    -pix_fmt yuv420p -g 60 -c:a aac -b:a 128k -ar 48000 -movflags +faststart "$th"
  "$CUTROOM" sync --json -q "$th" > "$work/sync_talking_1080p.json" || [ $? -ge 3 ]
  verdict=$(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["files"][0]
print(f["verdict"], f.get("method") or "-", f["offset_ms"] or "-", "ms")' "$work/sync_talking_1080p.json")
  read -r wc wp cc cp < <(sync_and_null "$th")
  report "sync talking head 20 s 1080p" "$wc" "$wp" "cpu ratio $(echo "$cc / $cp" | bc -l | xargs printf '%.2f'); $verdict"
else
  echo "sync talking head: skipped, no $real (set CUTROOM_SHARED)"
fi
clip=$work/sync_1080p.mp4
if [ ! -f "$clip" ]; then
  t="(t-0.08)"
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=1920x1080:r=30:d=20" \
    -f lavfi -i "aevalsrc='0.5*sin(2*PI*1000*$t)*gte($t,1)*lt(mod($t-1,2),0.04)':s=48000:c=stereo:d=20" \
    -vf "drawbox=c=white:t=fill:enable='gte(n,30)*eq(mod(n-30,60),0)'" \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -g 60 -c:a aac -b:a 128k \
    -movflags +faststart "$clip"
fi
"$CUTROOM" sync --json -q "$clip" > "$work/sync_1080p.json" || [ $? -ge 3 ]
offset=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][0]["offset_ms"])' \
  "$work/sync_1080p.json")
read -r wc wp cc cp < <(sync_and_null "$clip")
report "sync markers 20 s 1080p" "$wc" "$wp" "cpu ratio $(echo "$cc / $cp" | bc -l | xargs printf '%.2f'); offset ${offset} ms (truth 80)"
