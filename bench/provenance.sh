#!/usr/bin/env bash
# provenance: what signing costs. The same `reels` export of a 12 s 1920x1080 30 fps clip
# signed (C2PA, ES256, the clip a signed "render" so its manifest is read and kept as an
# ingredient) against unsigned, runs alternated; goal: signing at most 3 % of the export's time.
# Prints the export's wall and CPU times (median and best of BENCH_RUNS), signing's share of
# them, and the signing step alone: the same difference on a stream-copy `concat` of the clip,
# where little else happens, as a share of the unsigned export's median.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
runs=${BENCH_RUNS:-3}
out=$work/provenance-out
mkdir -p "$out"
clip=$(export_clip "$work")

# A test CA and an ES256 signing certificate (as tests/common/mod.rs makes them).
k=$out/keys
mkdir -p "$k"
ssl() { openssl "$@" >/dev/null 2>&1; }
ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout "$k/ca.key" \
  -out "$k/ca.pem" -subj "/CN=bench CA/O=cutroom bench" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"
ssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$k/signer.key" \
  -out "$k/signer.csr" -subj "/CN=bench signer/O=cutroom bench"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n' >"$k/ext"
ssl x509 -req -in "$k/signer.csr" -CA "$k/ca.pem" -CAkey "$k/ca.key" -CAcreateserial -days 2 \
  -out "$k/signer.pem" -extfile "$k/ext"
cat "$k/signer.pem" "$k/ca.pem" >"$k/chain.pem"
sign=(--sign-cert "$k/chain.pem" --sign-key "$k/signer.key")

# The input signed as a render would be (a signed concat of the one clip: stream copy).
render=$out/render.mp4
"$CUTROOM" concat "$clip" -q -o "$render" "${sign[@]}" >/dev/null

# times LABEL CMD: run CMD and append "wall cpu" to $out/LABEL.times.
times() { wall_and_cpu "$2" >>"$out/$1.times"; }
# middle FILE COLUMN: "median best" of a column of FILE.
middle() { sort -n -k"$2" "$1" | awk -v c="$2" '{v[NR]=$c} END {printf "%.3f %.3f\n", v[int((NR+1)/2)], v[1]}'; }
share() { echo "100 * ($1 - $2) / $3" | bc -l | xargs printf '%+.1f %%'; }

signed() { "$CUTROOM" export "$render" -q -p reels -o "$out/signed" "${sign[@]}"; }
unsigned() { "$CUTROOM" export "$render" -q -p reels -o "$out/unsigned" 2>/dev/null; }
copy_signed() { "$CUTROOM" concat "$render" -q -o "$out/copy_signed.mp4" "${sign[@]}"; }
copy_unsigned() { "$CUTROOM" concat "$render" -q -o "$out/copy_unsigned.mp4" 2>/dev/null; }
rm -f "$out"/*.times
for _ in $(seq "$runs"); do
  times signed signed
  times unsigned unsigned
  times copy_signed copy_signed
  times copy_unsigned copy_unsigned
done
read -r ws_med ws_best < <(middle "$out/signed.times" 1)
read -r wu_med wu_best < <(middle "$out/unsigned.times" 1)
read -r cs_med cs_best < <(middle "$out/signed.times" 2)
read -r cu_med cu_best < <(middle "$out/unsigned.times" 2)
read -r kws _ < <(middle "$out/copy_signed.times" 1)
read -r kwu _ < <(middle "$out/copy_unsigned.times" 1)
read -r kcs _ < <(middle "$out/copy_signed.times" 2)
read -r kcu _ < <(middle "$out/copy_unsigned.times" 2)
state=$("$CUTROOM" probe --json "$out/signed/render.reels.mp4" |
  python3 -c 'import json,sys; p=json.load(sys.stdin)["files"][0]["provenance"]; print(p["state"], len(p["ingredients"]), "ingredient(s)")')
bytes=$(wc -c <"$out/signed/render.reels.mp4")
report "export reels signed/unsigned" "$ws_med" "$wu_med" \
  "median of $runs, alternated; best $ws_best/$wu_best s; output $state, $bytes bytes"
printf '  signing share of the export: wall %s (median), %s (best); cpu %s (median: %.2f/%.2f s)\n' \
  "$(share "$ws_med" "$wu_med" "$ws_med")" "$(share "$ws_best" "$wu_best" "$ws_best")" \
  "$(share "$cs_med" "$cu_med" "$cs_med")" "$cs_med" "$cu_med"
printf '  signing step alone (stream-copy concat signed - unsigned, medians): wall %.3f s, cpu %.3f s: %s of the unsigned export wall, %s of its cpu\n' \
  "$(echo "$kws - $kwu" | bc -l)" "$(echo "$kcs - $kcu" | bc -l)" \
  "$(share "$kws" "$kwu" "$wu_med")" "$(share "$kcs" "$kcu" "$cu_med")"
