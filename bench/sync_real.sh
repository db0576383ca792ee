#!/usr/bin/env bash
# sync_real: the lip-sync yardstick of issue #15 on the real clips of $CUTROOM_SHARED/media/real
# (default: ../shared beside the repository). Makes their shifted versions (make_shifted.sh),
# runs `cutroom sync --json` (release build) on every one, and prints per clip the estimates,
# the tracking error (estimate(shifted) - estimate(original) - shift) and the verdicts, then
# the acceptance figures (sync_real.py). Skips, saying so, when the clips are absent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-${BENCH_DIR:-$here/../bench-out}}
real=${CUTROOM_SHARED:-$here/../../shared}/media/real
if [ ! -x "$real/make_shifted.sh" ]; then
  echo "sync_real: skipped, no real clips at $real (set CUTROOM_SHARED)"
  exit 0
fi
"$real/make_shifted.sh" "$work/real" >/dev/null
# The clips of $real only (as make_shifted.sh picks them): a work directory used before for
# another set holds that set's clips too.
reports=()
for src in "$real"/*.mp4 "$real"/*.webm; do
  [ -e "$src" ] || continue
  d=$work/real/$(basename "${src%.*}")
  files=("$d/base.mp4")
  for s in -200 -80 -40 0 40 80 200; do files+=("$d/$(printf 's%+d' "$s").mp4"); done
  "$CUTROOM" sync --json -q "${files[@]}" > "$d/sync.json" || [ $? -ge 3 ]
  reports+=("$d/sync.json")
done
python3 "$here/sync_real.py" "${reports[@]}"
