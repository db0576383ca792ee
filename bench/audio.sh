#!/usr/bin/env bash
# audio: `cutroom duck` with loudness normalisation on a 60 s clip against the ffmpeg CLI doing
# the same (sidechaincompress + amix + two-pass loudnorm in linear mode, -c:v copy), in the same
# run. Prints both times, the ratio and each output's loudness error as FFmpeg's ebur128 measures it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
clip=$work/audio_clip60.mp4
music=$work/audio_music60.wav
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
# 60 s 720x1280 clip whose audio is speech-like: pink-noise bursts (3 s on, 2 s off) on a quiet floor.
[ -f "$clip" ] || ff -f lavfi -i "testsrc2=s=720x1280:r=30:d=60" \
  -f lavfi -i "anoisesrc=c=pink:a=0.5:s=48000:d=60" \
  -filter_complex "[1:a]volume='if(lt(mod(t,5),3),1,0.01)':eval=frame,lowpass=f=3500,highpass=f=120[a]" \
  -map 0:v -map "[a]" -c:v libx264 -preset ultrafast -g 60 -c:a aac -b:a 128k -ac 2 "$clip"
# 60 s music bed: a pulsing chord.
[ -f "$music" ] || ff -f lavfi \
  -i "aevalsrc='0.2*(sin(2*PI*220*t)+sin(2*PI*277.18*t)+sin(2*PI*329.63*t))*(0.6+0.4*sin(2*PI*2*t))':s=48000:c=stereo:d=60" \
  -c:a pcm_s16le "$music"

target=-14
ours=$work/audio_ours.mp4
peer_out=$work/audio_peer.mp4
# The same ducking in FFmpeg: the voice is the sidechain of a compressor on the music (-12 dB
# dips need ratio 20 well over threshold), then the two are summed.
graph="[0:a]aresample=48000,asplit=2[sc][voice];[1:a]aresample=48000[m];[m][sc]sidechaincompress=threshold=0.05:ratio=20:attack=50:release=300[ducked];[voice][ducked]amix=inputs=2:normalize=0"
peer() {
  local json
  # Pass 1: measure (audio only).
  json=$(ffmpeg -hide_banner -nostats -y -i "$clip" -i "$music" -vn \
    -filter_complex "$graph,loudnorm=I=$target:TP=-1:LRA=20:print_format=json" -f null - 2>&1 |
    sed -n '/^{/,/^}/p')
  get() { echo "$json" | grep "\"$1\"" | cut -d'"' -f4; }
  # Pass 2: apply linearly, copy the picture, encode AAC 48 kHz.
  ffmpeg -hide_banner -loglevel error -y -i "$clip" -i "$music" \
    -filter_complex "$graph,loudnorm=I=$target:TP=-1:LRA=20:measured_I=$(get input_i):measured_TP=$(get input_tp):measured_LRA=$(get input_lra):measured_thresh=$(get input_thresh):offset=$(get target_offset):linear=true,aresample=48000[a]" \
    -map 0:v -map "[a]" -c:v copy -c:a aac -b:a 192k -movflags +faststart "$peer_out"
}
ours() { "$CUTROOM" duck "$clip" --music "$music" --loudness "$target" --true-peak -1 -o "$ours" -q; }
# cpu CMD...: user + system CPU seconds of CMD and its children (bash's `time`); on a shared
# machine this is steadier than wall time.
cpu() {
  local TIMEFORMAT='%U %S' t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
  echo "$t" | awk '{printf "%.2f", $1 + $2}'
}
c=$(best_of 3 ours)
p=$(best_of 3 peer)
cc=$(cpu ours)
pc=$(cpu peer)
measure() {
  ffmpeg -hide_banner -nostats -i "$1" -af ebur128=peak=true -f null - 2>&1 |
    awk -v t="$target" '/Summary:/{s=1} s&&/I:/{i=$2} s&&/Peak:/{p=$2} END{printf "I %.1f LUFS (error %.1f LU), TP %.1f dBTP", i, (i>t?i-t:t-i), p}'
}
report "duck 60 s + loudness -14" "$c" "$p" \
  "cutroom: $(measure "$ours"); ffmpeg: $(measure "$peer_out"); CPU s cutroom $cc, ffmpeg $pc (ratio $(echo "$cc / $pc" | bc -l | xargs printf '%.2f'))"
