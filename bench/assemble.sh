#!/usr/bin/env bash
# assemble: 8 marker shots of 4 s at 720x1280, a music bed ducked under their sound, loudness to
# -14 LUFS, three presets (reels, square, youtube; pad reframing) by `cutroom assemble` against
# the equivalent ffmpeg CLI chain in the same run: concat filter, sidechaincompress + amix, a
# two-pass loudnorm (measure, then apply) and three exports from one command. Prints both wall
# times, the ratio, and the largest A/V offset at any marker of each reels output
# (bench/markers.py), the drift that matters. Each side runs BENCH_RUNS times (default 2),
# alternately; the best of each is reported. A second row joins the same shots with a 0.3 s
# crossfade at every cut (cutroom: concat's normalise path, frames fed straight to the
# encoders; ffmpeg: xfade + acrossfade in the master's graph).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
mkdir -p "$1/assemble"
work=$(cd "$1/assemble" && pwd) # absolute: the spec's paths are relative to the spec
music=$here/../fixtures/music.wav

inputs=() filt=""
{
  echo 'name = "bench"'
  echo 'outputs = ["reels", "square", "youtube"]'
  for i in $(seq 0 7); do
    c=$work/shot$i.mp4
    [ -f "$c" ] || "$here/../fixtures/marker.sh" "$c" 720 1280 30 4 48000 2 4
    echo "[[shot]]"
    echo "src = \"$c\""
    inputs+=(-i "$c")
    filt+="[$i:v][$i:a]"
  done
  printf '[music]\nfile = "%s"\ngain = -30\ndepth = -12\nattack = 80\nrelease = 400\n' "$music"
  printf '[loudness]\ntarget = -14\ntrue_peak = -1\n[reframe]\nfit = "pad"\n'
} > "$work/cut.toml"
# The same with a crossfade into every shot after the first.
awk '{print} /^src = / && ++n < 8 {print "transition = { kind = \"crossfade\", duration = \"0.3\" }"}' \
  "$work/cut.toml" > "$work/xfade.toml"
cut_join="${filt}concat=n=8:v=1:a=1[v][a]"
xfade_join="[0:v]null[v0];[0:a]anull[a0]"
for i in $(seq 1 7); do
  xfade_join+=";[v$((i - 1))][$i:v]xfade=transition=fade:duration=0.3:offset=$(echo "$i * 3.7" | bc)[v$i]"
  xfade_join+=";[a$((i - 1))][$i:a]acrossfade=d=0.3:c1=tri:c2=tri[a$i]"
done
xfade_join+=";[v7]null[v];[a7]anull[a]"

# run_cutroom SPEC DIR
run_cutroom() {
  rm -f "$2/report.json" # no reuse: make everything again
  "$CUTROOM" -q assemble "$1" -o "$2"
}

# run_ffmpeg JOIN DIR: the chain, JOIN making [v] and [a] of the 8 shots.
run_ffmpeg() {
  local f=$2
  mkdir -p "$f"
  # 1. join, duck the music under the shots' sound, mix: the master.
  ffmpeg -hide_banner -v error -y "${inputs[@]}" -i "$music" -filter_complex \
    "$1;[a]asplit[a1][key];[8:a]volume=-30dB,aloop=-1:size=2e9[m];\
[m][key]sidechaincompress=threshold=0.02:ratio=8:attack=80:release=400[duck];\
[a1][duck]amix=inputs=2:duration=first:normalize=0[mix]" \
    -map "[v]" -map "[mix]" -c:v libx264 -preset veryfast -crf 18 -c:a pcm_s16le "$f/master.mov"
  # 2. loudnorm pass 1: measure.
  local m
  m=$(ffmpeg -hide_banner -nostats -i "$f/master.mov" -vn \
    -af loudnorm=I=-14:TP=-1:LRA=11:print_format=json -f null - 2>&1 | sed -n '/^{/,/^}/p')
  val() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['$1'])" "$m"; }
  local ln="loudnorm=I=-14:TP=-1:LRA=11:measured_I=$(val input_i):measured_TP=$(val input_tp)"
  ln+=":measured_LRA=$(val input_lra):measured_thresh=$(val input_thresh):offset=$(val target_offset):linear=true"
  # 3. pass 2 and three exports from one decode.
  ffmpeg -hide_banner -v error -y -i "$f/master.mov" -filter_complex \
    "[0:v]split=3[v1][v2][v3];\
[v1]scale=1080:1920:force_original_aspect_ratio=decrease,pad=1080:1920:(ow-iw)/2:(oh-ih)/2[r];\
[v2]scale=1080:1080:force_original_aspect_ratio=decrease,pad=1080:1080:(ow-iw)/2:(oh-ih)/2[s];\
[v3]scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2[y];\
[0:a]$ln,aresample=48000,asplit=3[a1][a2][a3]" \
    -map "[r]" -map "[a1]" -c:v libx264 -preset veryfast -crf 20 -c:a aac -movflags +faststart "$f/bench.reels.mp4" \
    -map "[s]" -map "[a2]" -c:v libx264 -preset veryfast -crf 20 -c:a aac -movflags +faststart "$f/bench.square.mp4" \
    -map "[y]" -map "[a3]" -c:v libx264 -preset veryfast -crf 20 -c:a aac -movflags +faststart "$f/bench.youtube.mp4"
}

field() { sed -E "s/.* $1 ([^ ]+).*/\1/" <<< "$2"; }
# row NAME SPEC JOIN SUFFIX: one comparison, best of BENCH_RUNS alternated runs.
row() {
  # Named apart from best_of_pair's locals, which the two functions would otherwise see.
  local row_spec=$2 row_join=$3 row_c=$work/cutroom$4 row_f=$work/ffmpeg$4 wc wf cc cf mc mf
  ours() { run_cutroom "$row_spec" "$row_c"; }
  theirs() { run_ffmpeg "$row_join" "$row_f"; }
  read -r wc wf cc cf < <(best_of_pair "${BENCH_RUNS:-2}" ours theirs)
  mc=$("$here/markers.py" 4 "$row_c/bench.reels.mp4")
  mf=$("$here/markers.py" 4 "$row_f/bench.reels.mp4")
  report "$1" "$wc" "$wf" \
    "A/V drift max: cutroom $(field av_ms "$mc") ms, ffmpeg $(field av_ms "$mf") ms; cpu: cutroom $cc s, ffmpeg $cf s"
}
row "assemble 8x4 s, duck, 3 presets" "$work/cut.toml" "$cut_join" ""
row "  same, crossfades" "$work/xfade.toml" "$xfade_join" "-xfade"
