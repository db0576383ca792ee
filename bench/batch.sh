#!/usr/bin/env bash
# batch: 24 variants of one templated cut (2 caption languages x 3 calls to action x 4 presets,
# two 4 s marker shots at 360x640) by one `cutroom batch` against 24 sequential `cutroom
# assemble` runs of the same variants (each with its [vars] written in). Prints both wall times
# and the ratio (goal <= 0.8 on two cores), and both CPU times. Each side runs BENCH_RUNS
# times (default 1), alternated, on fresh output directories; the best of each is reported.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
mkdir -p "$1/batch"
work=$(cd "$1/batch" && pwd)
for i in 0 1; do
  [ -f "$work/shot$i.mp4" ] || "$here/../fixtures/marker.sh" "$work/shot$i.mp4" 360 640 30 4 48000 2 4
done
for l in en fr; do printf '1\n00:00:00,500 --> 00:00:02,000\n%s\n' "$l" > "$work/$l.srt"; done
spec() { # spec LANG CTA FORMAT: the cut with these values, or with {{vars}} when none
  printf 'name = "promo-%s"\noutputs = ["%s"]\n' "${1:-{{lang\}\}}" "${3:-{{format\}\}}"
  [ -n "${1:-}" ] || printf '[vars]\nlang = "en"\ncta = "BUY"\nformat = "reels"\n'
  printf '[captions]\nfile = "%s.srt"\n' "${1:-{{lang\}\}}"
  printf '[[text]]\ntext = "%s"\nposition = "center"\n' "${2:-{{cta\}\}}"
  printf '[[shot]]\nsrc = "shot0.mp4"\n[[shot]]\nsrc = "shot1.mp4"\n'
}
spec > "$work/cut.toml"
echo "variant,lang,cta,format" > "$work/variants.csv"
for l in en fr; do for c in BUY SHOP SEE; do for f in reels square feed45 youtube; do
  echo "$l-$c-$f,$l,$c,$f" >> "$work/variants.csv"
  spec "$l" "$c" "$f" > "$work/$l-$c-$f.toml"
done; done; done
one_batch() { rm -rf "$work/out-batch"; "$CUTROOM" -q batch "$work/cut.toml" --variants "$work/variants.csv" -o "$work/out-batch"; }
sequential() {
  rm -rf "$work/out-seq"
  tail -n +2 "$work/variants.csv" | while IFS=, read -r v _; do
    "$CUTROOM" -q assemble "$work/$v.toml" -o "$work/out-seq/$v"
  done
}
# Alternated (batch, sequential, batch, ...) so both see the same machine load; the CPU
# times (user + system) are the figure to compare on a loaded machine.
read -r wb ws cb cs < <(best_of_pair "${BENCH_RUNS:-1}" one_batch sequential)
report "batch 24 variants" "$wb" "$ws" \
  "(peer: 24 sequential cutroom assemble); cpu: batch $cb s, sequential $cs s, ratio $(echo "$cb / $cs" | bc -l | xargs printf '%.2f')"
