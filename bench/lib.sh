# Shared helpers for the benchmarks: timing and ratio printing. Source it from a bench script.
CUTROOM=${CUTROOM:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/release/cutroom}

# seconds CMD...: run CMD quietly and print its wall time in seconds (fails if CMD fails).
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l | xargs printf '%.3f'
}

# best_of N CMD...: the fastest of N runs (less noise on a shared machine).
best_of() {
  local n=$1 best="" t
  shift
  for _ in $(seq "$n"); do
    t=$(seconds "$@") || return 1
    if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  echo "$best"
}

# report NAME CUTROOM_S PEER_S [EXTRA]: one line with both times and ratio = cutroom / peer.
report() {
  printf '%-28s cutroom %7.3f s   peer %7.3f s   ratio %5.2f   %s\n' \
    "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)" "${4:-}"
}

# wall_and_cpu CMD...: run CMD quietly; print its wall time and CPU time (user + system, its
# child processes included) in seconds. CPU time is the steadier figure on a shared machine.
wall_and_cpu() {
  local t TIMEFORMAT='%R %U %S'
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ) || { echo "bench: command failed: $*" >&2; return 1; }
  read -r w u s <<<"$t"
  printf '%.3f %.3f\n' "$w" "$(echo "$u + $s" | bc -l)"
}

# best_of_pair N A B: run the commands (or shell functions) A and B alternately N times so both
# see the same machine load; print "wallA wallB cpuA cpuB", each the smallest of its N runs.
best_of_pair() {
  local n=$1 a=$2 b=$3 wa="" wb="" ca="" cb="" w c
  min() { if [ -z "$1" ] || (( $(echo "$2 < $1" | bc -l) )); then echo "$2"; else echo "$1"; fi; }
  for _ in $(seq "$n"); do
    read -r w c < <(wall_and_cpu "$a") || return 1
    wa=$(min "$wa" "$w"); ca=$(min "$ca" "$c")
    read -r w c < <(wall_and_cpu "$b") || return 1
    wb=$(min "$wb" "$w"); cb=$(min "$cb" "$c")
  done
  echo "$wa $wb $ca $cb"
}

# export_clip WORK: the export benchmarks' input, a 12 s 1920x1080 30 fps clip (moving test
# pattern + 1 kHz tone), made once in WORK; prints its path.
export_clip() {
  local clip=$1/export_1080p_12s.mp4
  [ -f "$clip" ] || ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i testsrc2=s=1920x1080:r=30:d=12 -f lavfi -i "sine=f=1000:d=12:r=48000" \
    -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p -c:a aac -ac 2 -b:a 128k "$clip"
  echo "$clip"
}
