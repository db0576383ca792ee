#!/usr/bin/env bash
# social: export's speed, cards and cover against the ffmpeg CLI doing the same, on the 12 s
# 1920x1080 30 fps clip of bench/export.sh, one `reels` output (blur), same x264 settings
# (veryfast, CRF 20, High, 2 s closed GOP, VBV cap), AAC 192k, faststart; the peer runs the
# reframing graph cutroom reports in --json.
#  (1) --speed 1.5            vs `setpts=PTS/1.5` + `atempo=1.5` before the same graph
#  (2) a 2 s text title card + a 2 s colour end card
#                             vs `color` + `drawtext` (the shipped font) and `color` sources
#                                joined with the `concat` filter (`anullsrc` under the cards)
#  (3) --cover auto           vs the same export, then `thumbnail` over its first third to a JPEG
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
runs=${BENCH_RUNS:-3}
fonts=$(cd "$(dirname "$0")/../assets/fonts" && pwd)
clip=$(export_clip "$work")
out=$work/social-out
mkdir -p "$out"

x264=(-c:v libx264 -preset veryfast -crf 20 -profile:v high -pix_fmt yuv420p
  -x264-params keyint=60:min-keyint=60:scenecut=0:open-gop=0 -maxrate 10000k -bufsize 20000k)
aac=(-c:a aac -b:a 192k -ar 48000 -ac 2 -movflags +faststart)
probe_clip=$work/export_1080p_probe.mp4
[ -f "$probe_clip" ] || ffmpeg -hide_banner -loglevel error -y -i "$clip" -t 0.2 -c copy "$probe_clip"
g_reels=$("$CUTROOM" export "$probe_clip" -q -p reels -o "$out/graph" --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["outputs"][0]["filter"])')
cpu_ratio() { printf 'cpu %.1f/%.1f s = %.2f' "$1" "$2" "$(echo "$1 / $2" | bc -l)"; }
length() { ffprobe -v error -select_streams v:0 -show_entries stream=duration -of csv=p=0 "$1"; }

# (1) speed
ours_speed() { "$CUTROOM" export "$clip" -q -p reels --speed 1.5 -o "$out/speed"; }
peer_speed() {
  ffmpeg -hide_banner -loglevel error -y -i "$clip" -vf "setpts=PTS/1.5,fps=30,$g_reels" \
    -af atempo=1.5 "${x264[@]}" "${aac[@]}" "$out/peer-speed.mp4"
}
read -r c p cc pc < <(best_of_pair "$runs" ours_speed peer_speed)
report "speed 1.5, reels" "$c" "$p" "$(cpu_ratio "$cc" "$pc"); lengths $(length "$out/speed/export_1080p_12s.reels.mp4") / $(length "$out/peer-speed.mp4") s"

# (2) cards
title='text = "Summer sale", color = "#203040", duration = 2'
end='color = "#101010", duration = 2'
ours_cards() {
  "$CUTROOM" export "$clip" -q -p reels --title-card "$title" --end-card "$end" -o "$out/cards"
}
peer_cards() {
  ffmpeg -hide_banner -loglevel error -y -i "$clip" \
    -f lavfi -i "color=c=0x203040:s=1920x1080:r=30:d=2" -f lavfi -i "color=c=0x101010:s=1920x1080:r=30:d=2" \
    -f lavfi -i "anullsrc=r=48000:cl=stereo:d=2" -f lavfi -i "anullsrc=r=48000:cl=stereo:d=2" \
    -filter_complex "[1:v]drawtext=fontfile=$fonts/DejaVuSans.ttf:text='Summer sale':fontsize=74:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2,setsar=1[t];[0:v]setsar=1[v];[2:v]setsar=1[e];[t][3:a][v][0:a][e][4:a]concat=n=3:v=1:a=1[cv][ca];[cv]$g_reels[pic]" \
    -map "[pic]" -map "[ca]" "${x264[@]}" "${aac[@]}" "$out/peer-cards.mp4"
}
read -r c p cc pc < <(best_of_pair "$runs" ours_cards peer_cards)
report "title + end card, reels" "$c" "$p" "$(cpu_ratio "$cc" "$pc"); lengths $(length "$out/cards/export_1080p_12s.reels.mp4") / $(length "$out/peer-cards.mp4") s"

# (3) cover
ours_cover() { "$CUTROOM" export "$clip" -q -p reels --cover auto -o "$out/cover"; }
peer_cover() {
  ffmpeg -hide_banner -loglevel error -y -i "$clip" -vf "$g_reels" "${x264[@]}" "${aac[@]}" "$out/peer-cover.mp4"
  ffmpeg -hide_banner -loglevel error -y -i "$out/peer-cover.mp4" -t 4 -vf thumbnail=120 -frames:v 1 \
    "$out/peer-cover.jpg"
}
read -r c p cc pc < <(best_of_pair "$runs" ours_cover peer_cover)
report "export + cover, reels" "$c" "$p" "$(cpu_ratio "$cc" "$pc"); peer: the export, then thumbnail over its first third"
