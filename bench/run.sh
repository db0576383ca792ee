#!/usr/bin/env bash
# Run every benchmark: each prints cutroom's and the peer's time and their ratio (lower is better).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_DIR:-$here/../bench-out}
mkdir -p "$work"
command -v bc >/dev/null || { echo "bench needs bc (apt-get install bc)"; exit 1; }
for b in "$here"/*.sh; do
  case $(basename "$b") in lib.sh|run.sh) continue ;; esac
  "$b" "$work"
done
