#!/usr/bin/env bash
# concat: 24 marker clips of 4 s at 720x1280 (over a moving test picture, for realistic bit
# rates) joined by cutroom (video copied, audio decoded,
# cut to each shot's video length and encoded once) against the ffmpeg concat demuxer with the
# same video copy and AAC re-encode, in the same run. Two sets: audio as long as the video, and
# audio 30-40 ms shorter or longer (as renders often are). Prints both wall times, the ratio,
# and for both outputs the largest A/V offset at any marker and the largest shift of a marker
# from its place on the joined timeline (bench/markers.py), and the CPU time (user + system)
# of one run of each: a figure that, unlike wall time, a busy machine does not skew.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

# cpu CMD...: user + system seconds of one quiet run of CMD.
cpu() {
  local TIMEFORMAT='%U %S' t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1)
  echo "$t" | awk '{printf "%.2f", $1 + $2}'
}

run_set() {
  local name=$1 work=$2
  shift 2
  local deltas=("$@") clips=() i a c
  mkdir -p "$work"
  : > "$work/list.txt"
  for i in $(seq 0 23); do
    c=$work/clip$(printf %02d "$i").mp4
    a=$(echo "4 + ${deltas[$((i % ${#deltas[@]}))]}" | bc -l)
    [ -f "$c" ] || MARKER_BG=testsrc2 "$here/../fixtures/marker.sh" "$c" 720 1280 30 4 48000 2 "$a"
    clips+=("$c")
    echo "file '$c'" >> "$work/list.txt"
  done
  local ct pt
  ct=$(best_of 3 "$CUTROOM" concat -q "${clips[@]}" -o "$work/cutroom.mp4")
  pt=$(best_of 3 ffmpeg -hide_banner -v error -y -f concat -safe 0 -i "$work/list.txt" \
    -c:v copy -c:a aac "$work/ffmpeg.mp4")
  local cc cp mc mf
  cc=$(cpu "$CUTROOM" concat -q "${clips[@]}" -o "$work/cutroom.mp4")
  cp=$(cpu ffmpeg -hide_banner -v error -y -f concat -safe 0 -i "$work/list.txt" \
    -c:v copy -c:a aac "$work/ffmpeg.mp4")
  mc=$("$here/markers.py" 4 "$work/cutroom.mp4")
  mf=$("$here/markers.py" 4 "$work/ffmpeg.mp4")
  field() { sed -E "s/.* $1 ([^ ]+).*/\1/" <<< "$2"; }
  report "concat 24x4 s 720x1280 $name" "$ct" "$pt" \
    "A/V drift max: cutroom $(field av_ms "$mc") ms, ffmpeg $(field av_ms "$mf") ms; timeline shift max: cutroom $(field shift_ms "$mc") ms, ffmpeg $(field shift_ms "$mf") ms; cpu: cutroom $cc s, ffmpeg $cp s"
}

run_set "same" "$1/concat/same" 0
run_set "uneven" "$1/concat/uneven" -0.04 0.035 -0.03 0.04 0 0.03
