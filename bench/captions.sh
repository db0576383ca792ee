#!/usr/bin/env bash
# captions: captions + a logo burnt into the three-preset export (reels + square + youtube, blur)
# of the 12 s 1920x1080 30 fps clip of bench/export.sh.
#  (1) with captions + logo vs the same export without them     goal ratio <= 1.10
#  (2) with captions + logo vs three ffmpeg runs, each cutroom's reframing graph followed by
#      `subtitles` (same SRT, the shipped font dir) and a `movie` + `overlay` logo, same x264
#      settings (veryfast, CRF 20, High, 2 s closed GOP, VBV cap), AAC 192k, faststart
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
runs=${BENCH_RUNS:-3}
fonts=$(cd "$(dirname "$0")/../assets/fonts" && pwd)
clip=$(export_clip "$work")
out=$work/captions-out
mkdir -p "$out"
subs=$out/subs.srt
: >"$subs"
for i in 0 1 2 3 4 5; do
  printf '%d\n00:00:%02d,100 --> 00:00:%02d,900\nCaption number %d says a few words\n\n' \
    $((i + 1)) $((2 * i)) $((2 * i + 1)) $((i + 1)) >>"$subs"
done
logo=$out/logo.png
[ -f "$logo" ] || ffmpeg -hide_banner -loglevel error -y -f lavfi -i "color=c=white@0.8:s=400x200,format=rgba" \
  -frames:v 1 "$logo"

x264=(-c:v libx264 -preset veryfast -crf 20 -profile:v high -pix_fmt yuv420p
  -x264-params keyint=60:min-keyint=60:scenecut=0:open-gop=0)
aac=(-c:a aac -b:a 192k -ar 48000 -ac 2 -movflags +faststart)
probe_clip=$work/export_1080p_probe.mp4
[ -f "$probe_clip" ] || ffmpeg -hide_banner -loglevel error -y -i "$clip" -t 0.2 -c copy "$probe_clip"
graph_of() { # graph_of PRESET: cutroom's reframing graph for PRESET (from its --json)
  "$CUTROOM" export "$probe_clip" -q -p "$1" -o "$out/graph" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["outputs"][0]["filter"])'
}
peer() { # peer OUT MAXRATE_K PRESET_GRAPH LOGO_WIDTH
  ffmpeg -hide_banner -loglevel error -y -i "$clip" \
    -vf "$3,subtitles=filename=$subs:fontsdir=$fonts:force_style='Fontname=DejaVu Sans,Bold=1'[base];movie=filename=$logo,format=rgba,scale=$4:-2[logo];[base][logo]overlay=x=W-w-40:y=160" \
    "${x264[@]}" -maxrate "$2k" -bufsize "$(( $2 * 2 ))k" "${aac[@]}" "$1"
}
g_reels=$(graph_of reels)
g_square=$(graph_of square)
g_youtube=$(graph_of youtube)

plain() { "$CUTROOM" export "$clip" -q -p reels -p square -p youtube -o "$out/plain"; }
burnt() { "$CUTROOM" export "$clip" -q -p reels -p square -p youtube --captions "$subs" --logo "$logo" -o "$out/burnt"; }
peer3() {
  peer "$out/peer.reels.mp4" 10000 "$g_reels" 194
  peer "$out/peer.square.mp4" 8000 "$g_square" 194
  peer "$out/peer.youtube.mp4" 12000 "$g_youtube" 346
}
cpu_ratio() { printf 'cpu %.1f/%.1f s = %.2f' "$1" "$2" "$(echo "$1 / $2" | bc -l)"; }
read -r c p cc pc < <(best_of_pair "$runs" burnt plain)
report "captions+logo cost, 3 presets" "$c" "$p" "goal <= 1.10; $(cpu_ratio "$cc" "$pc"); peer: cutroom without them"
read -r c p cc pc < <(best_of_pair "$runs" burnt peer3)
report "captions+logo, 3 presets" "$c" "$p" "$(cpu_ratio "$cc" "$pc"); peer: three ffmpeg runs, subtitles + overlay"
