#!/usr/bin/env bash
# provenance: what signing costs. The same `reels` export of a 12 s 1920x1080 30 fps clip
# signed (C2PA, ES256, the clip a signed "render" so its manifest is read and kept as an
# ingredient) against unsigned; goal ratio <= 1.03 (signing at most 3 % of an export's time).
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
  -out "$k/ca.pem" -subj "/CN=bench CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"
ssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$k/signer.key" \
  -out "$k/signer.csr" -subj "/CN=bench signer"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n' >"$k/ext"
ssl x509 -req -in "$k/signer.csr" -CA "$k/ca.pem" -CAkey "$k/ca.key" -CAcreateserial -days 2 \
  -out "$k/signer.pem" -extfile "$k/ext"
cat "$k/signer.pem" "$k/ca.pem" >"$k/chain.pem"
sign=(--sign-cert "$k/chain.pem" --sign-key "$k/signer.key")

# The input signed as a render would be (a signed concat of the one clip: stream copy).
render=$out/render.mp4
"$CUTROOM" concat "$clip" -q -o "$render" "${sign[@]}"

signed() { "$CUTROOM" export "$render" -q -p reels -o "$out/signed" "${sign[@]}"; }
unsigned() { "$CUTROOM" export "$render" -q -p reels -o "$out/unsigned" 2>/dev/null; }
read -r c p cc pc < <(best_of_pair "$runs" signed unsigned)
state=$("$CUTROOM" probe --json "$out/signed/render.reels.mp4" |
  python3 -c 'import json,sys; p=json.load(sys.stdin)["files"][0]["provenance"]; print(p["state"], len(p["ingredients"]), "ingredient(s)")')
report "export reels signed/unsigned" "$c" "$p" "goal <= 1.03; cpu $(printf '%.1f/%.1f s' "$cc" "$pc"); output $state"
