#!/usr/bin/env bash
# The README's quick start, run as a newcomer would on the Node.js first on PATH: `npm start`, then
# the first job with `npx ttv submit … --wait --out`, and the MP4 checked with ffprobe. Its data dir
# and port are its own (TTV_DATA_DIR, a free TTV_PORT), so it writes nothing into the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
port="$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
set -m  # npm start in its own process group, so that cleanup stops all of it
TTV_DATA_DIR="$work/data" TTV_PORT="$port" npm start >"$work/server.log" 2>&1 &
server=$!
set +m
cleanup() {
  kill -TERM -- "-$server" 2>/dev/null || kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "quick start on Node.js $(node --version): FAILED: $1" >&2; tail -20 "$work/server.log" >&2; exit 1; }
# `npm start` may build first; wait while the server process lives, not for a fixed time.
until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || fail "npm start exited"
  sleep 0.5
done
TTV_SERVER="http://127.0.0.1:$port" npx --no-install ttv submit "A fox runs through snow. It stops at a frozen river." \
  --wait --out "$work/fox.mp4" >"$work/submit.log" 2>&1 || { cat "$work/submit.log" >&2; fail "ttv submit"; }
streams="$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$work/fox.mp4" | sort -u | tr '\n' ' ')"
case "$streams" in *video*) ;; *) fail "fox.mp4 has no video stream ($streams)";; esac
echo "quick start on Node.js $(node --version): npm start served, the first job's MP4 plays ($streams)"
