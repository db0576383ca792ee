#!/usr/bin/env bash
# fetch: (1) `cutroom fetch` of a ~50 MB render from `cutroom emulate` against `curl -o` of the
# same URL on loopback (cutroom also retrieves the video object, hashes, checks the MP4's boxes
# and sample tables and renames atomically); (2) `cutroom render` of 50 shots at --concurrency 8,
# against the ideal schedule (ceil(50/8) rounds x the emulator's 1 s render time).
# The big render comes from the emulator's --noise option: luma noise makes x264 write a large,
# still valid H.264 stream (1920x1080, 2 s, ~50 MB).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1/fetch
rm -rf "$work" && mkdir -p "$work"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

# start_emulator FILE ARGS...: start `cutroom emulate ARGS` (in this shell, so the EXIT trap can
# stop it), wait for its base URL in FILE.
start_emulator() {
  local out=$1
  shift
  "$CUTROOM" emulate "$@" >"$out" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
}

export OPENAI_API_KEY=bench
start_emulator "$work/big.url" --allow-any --noise 30 --render-time 100ms --poll-after 100ms
big=$(head -1 "$work/big.url")
printf 'model = "sora-2-pro"\nsize = "1920x1080"\nseconds = 2\n[[shot]]\nprompt = "big"\n' >"$work/big.toml"
OPENAI_BASE_URL=$big "$CUTROOM" render "$work/big.toml" -o "$work/big" --allow-any -q --json >"$work/big.json"
id=$(sed -n 's/.*"id": "\(video_[0-9a-f]*\)".*/\1/p' "$work/big.json" | head -1)
bytes=$(stat -c %s "$work/big/$id.mp4")
# Each run starts from an empty target; the two alternate run by run (best_of_pair) so both see
# the same machine load, and their CPU time (user + system) is printed too.
fetch_cutroom() { rm -rf "$work/dl" && OPENAI_BASE_URL=$big "$CUTROOM" fetch "$id" -o "$work/dl" -q; }
fetch_curl() {
  rm -f "$work/curl.mp4" &&
    curl -sf -H 'Authorization: Bearer bench' -o "$work/curl.mp4" "$big/videos/$id/content"
}
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
read -r c p cc pc < <(best_of_pair 15 fetch_cutroom fetch_curl)
cmp -s "$work/dl/$id.mp4" "$work/curl.mp4" && same=identical || same=DIFFERENT
s=$(best_of 5 "$CUTROOM" --version)
report "fetch $((bytes / 1000000)) MB, end to end" "$c" "$p" "peer = curl -o; files $same; CPU $cc s vs $pc s (ratio $(ratio "$cc" "$pc")); cutroom start-up alone $s s"
# The same work as cutroom's: the download and its SHA-256 (OpenSSL's, SHA-NI where the CPU
# has it, like cutroom's sha2).
fetch_curl_sha() { fetch_curl && openssl dgst -sha256 "$work/curl.mp4" >/dev/null; }
read -r c p cc pc < <(best_of_pair 7 fetch_cutroom fetch_curl_sha)
report "fetch $((bytes / 1000000)) MB + SHA-256" "$c" "$p" "peer = curl -o, then openssl dgst -sha256; CPU $cc s vs $pc s (ratio $(ratio "$cc" "$pc"))"
# The transfer itself, as each tool times it: cutroom's transfer_s (first request to last byte,
# hashing overlapped) against curl's time_total.
best() { sort -n | head -1; }
ct=$(for _ in 1 2 3 4 5; do
  rm -rf "$work/dl"
  OPENAI_BASE_URL=$big "$CUTROOM" fetch "$id" -o "$work/dl" -q --json | sed -n 's/.*"transfer_s": \([0-9.e-]*\).*/\1/p'
done | best)
pt=$(for _ in 1 2 3 4 5; do
  curl -sf -H 'Authorization: Bearer bench' -o "$work/curl.mp4" -w '%{time_total}\n' "$big/videos/$id/content"
done | best)
report "fetch $((bytes / 1000000)) MB, transfer" "$ct" "$pt" "peer = curl time_total"

start_emulator "$work/shots.url" --render-time 1s --poll-after 200ms
shots=$(head -1 "$work/shots.url")
{
  echo 'seconds = 4'
  for i in $(seq 50); do printf '[[shot]]\nprompt = "shot %d"\n' "$i"; done
} >"$work/shots.toml"
t=$(seconds env OPENAI_BASE_URL="$shots" "$CUTROOM" render "$work/shots.toml" -o "$work/shots" --concurrency 8 -q)
n=$(ls "$work/shots"/*.mp4 | wc -l)
report "render 50 shots, c=8" "$t" 7 "peer = ideal 7 rounds x 1 s; $n clips downloaded"
