#!/usr/bin/env bash
# Installs the system packages ttv needs when they are missing (Debian/Ubuntu apt).
#   runtime: ffmpeg/ffprobe (the offline generator and the stitcher), fonts-dejavu-core (the offline
#            generator's storyboard cards)
#   test:    runtime + redis-server (queue tests), chromium (dashboard test), caddy (HTTP/3 edge),
#            openssl (test certificates), promtool (prometheus: metrics exposition check),
#            tesseract-ocr (reads the offline video's captions back in test/e2e/offline-preview)
#   bench:   runtime + redis-server (Redis figures), wrk (the second load generator, next to autocannon)
# Nothing is installed when everything is already present.
set -euo pipefail
profile="${1:-runtime}"
need=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "$profile" = "test" ]; then
  command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr tesseract-ocr-eng)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v caddy >/dev/null 2>&1 || need+=(caddy)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v promtool >/dev/null 2>&1 || need+=(prometheus)
fi
if [ "$profile" = "bench" ]; then
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "ttv: installing system packages: ${need[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ttv: apt-get not found; install these yourself: ${need[*]}" >&2
  exit 1
fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "ttv: need root (or sudo) to install: ${need[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
