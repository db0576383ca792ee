#!/usr/bin/env bash
# export: cutroom export against the ffmpeg CLI on a 12 s 1920x1080 30 fps clip (moving test
# pattern + tone), same x264 settings (veryfast, CRF 20, High, 2 s closed GOP, VBV cap), AAC
# 192k, faststart. The peer runs the very filter graph cutroom reports in --json.
#  (1) one `reels` blur export vs one ffmpeg run            goal ratio <= 0.9
#  (1b) the same vs ffmpeg with the usual full-resolution blur graph (what people paste)
#  (2) reels + square + youtube in one cutroom run vs three ffmpeg runs   goal ratio <= 0.6
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
runs=${BENCH_RUNS:-3}
clip=$(export_clip "$work")
out=$work/export-out
mkdir -p "$out"

x264=(-c:v libx264 -preset veryfast -crf 20 -profile:v high -pix_fmt yuv420p
  -x264-params keyint=60:min-keyint=60:scenecut=0:open-gop=0)
aac=(-c:a aac -b:a 192k -ar 48000 -ac 2 -movflags +faststart)
peer() { # peer OUT MAXRATE_K GRAPH
  ffmpeg -hide_banner -loglevel error -y -i "$clip" -vf "$3" "${x264[@]}" \
    -maxrate "$2k" -bufsize "$(( $2 * 2 ))k" "${aac[@]}" "$1"
}
probe_clip=$work/export_1080p_probe.mp4 # the graphs depend only on the picture size
[ -f "$probe_clip" ] || ffmpeg -hide_banner -loglevel error -y -i "$clip" -t 0.2 -c copy "$probe_clip"
graph_of() { # graph_of PRESET: the filter graph cutroom runs for PRESET (from its --json)
  "$CUTROOM" export "$probe_clip" -q -p "$1" -o "$out/graph" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["outputs"][0]["filter"])'
}
g_reels=$(graph_of reels)
g_square=$(graph_of square)
g_youtube=$(graph_of youtube)
g_usual="split[a][b];[a]scale=1080:1920:force_original_aspect_ratio=increase,crop=1080:1920,boxblur=20:5,eq=brightness=-0.15[bg];[b]scale=1080:-2[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2"

ours1() { "$CUTROOM" export "$clip" -q -p reels --fit blur -o "$out/ours1"; }
peer1() { peer "$out/peer1.mp4" 10000 "$g_reels"; }
peer1b() { peer "$out/peer1b.mp4" 10000 "$g_usual"; }
ours3() { "$CUTROOM" export "$clip" -q -p reels -p square -p youtube --fit blur -o "$out/ours3"; }
peer3() {
  peer "$out/peer3.reels.mp4" 10000 "$g_reels"
  peer "$out/peer3.square.mp4" 8000 "$g_square"
  peer "$out/peer3.youtube.mp4" 12000 "$g_youtube"
}
editlists() { "$CUTROOM" probe --json "$1" |
  python3 -c 'import json,sys; f=json.load(sys.stdin)["files"][0]; print("faststart", f["faststart"], "edit-list", f["edit_lists"])'; }

cpu_ratio() { printf 'cpu %.1f/%.1f s = %.2f' "$1" "$2" "$(echo "$1 / $2" | bc -l)"; }
read -r c p cc pc < <(best_of_pair "$runs" ours1 peer1)
report "export reels blur 12 s 1080p" "$c" "$p" "goal <= 0.9; $(cpu_ratio "$cc" "$pc"); \
ours: $(editlists "$out/ours1/export_1080p_12s.reels.mp4"), peer: $(editlists "$out/peer1.mp4")"
read -r c p cc pc < <(best_of_pair "$runs" ours1 peer1b)
report "  vs full-res blur graph" "$c" "$p" "$(cpu_ratio "$cc" "$pc"); peer: the usual scale+boxblur=20:5 at 1080x1920"
read -r c p cc pc < <(best_of_pair "$runs" ours3 peer3)
report "export 3 presets 12 s 1080p" "$c" "$p" "goal <= 0.6; $(cpu_ratio "$cc" "$pc"); reels+square+youtube: one decode vs three ffmpeg runs"
