#!/usr/bin/env bash
# probe: cutroom probe (reads every packet) against ffprobe -count_packets on a 20 s 1080p clip.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
clip=$work/probe_1080p.mp4
[ -f "$clip" ] || MARKER_BG=testsrc2 "$(dirname "$0")/../fixtures/marker.sh" "$clip" 1920 1080 30 20
c=$(best_of 5 "$CUTROOM" probe --json "$clip")
p=$(best_of 5 ffprobe -v error -count_packets -show_format -show_streams -of json "$clip")
report "probe 20 s 1080p" "$c" "$p"
