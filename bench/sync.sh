#!/usr/bin/env bash
# sync: cutroom sync (one pass: container checks, luma-only thumbnail decode, audio decode and
# analysis) against a plain decode, `ffmpeg -i FILE -f null -`, on a 20 s 1080p render with
# moving content, a flash and a beep every 2 s, and the audio 80 ms late.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
clip=$work/sync_1080p.mp4
if [ ! -f "$clip" ]; then
  t="(t-0.08)"
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=1920x1080:r=30:d=20" \
    -f lavfi -i "aevalsrc='0.5*sin(2*PI*1000*$t)*gte($t,1)*lt(mod($t-1,2),0.04)':s=48000:c=stereo:d=20" \
    -vf "drawbox=c=white:t=fill:enable='gte(n,30)*eq(mod(n-30,60),0)'" \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -g 60 -c:a aac -b:a 128k \
    -movflags +faststart "$clip"
fi
"$CUTROOM" sync --json -q "$clip" > "$work/sync_1080p.json" || [ $? -eq 3 ]
offset=$(grep -m1 '"offset_ms"' "$work/sync_1080p.json" | sed 's/.*: \(.*\),/\1/')
c=$(best_of 5 sh -c "\"$CUTROOM\" sync --json -q \"$clip\"; r=\$?; [ \$r -eq 0 ] || [ \$r -eq 3 ]")
p=$(best_of 5 ffmpeg -hide_banner -loglevel error -i "$clip" -f null -)
report "sync 20 s 1080p" "$c" "$p" "offset ${offset} ms (truth 80)"
