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
