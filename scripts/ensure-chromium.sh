#!/usr/bin/env bash
# Installs Debian's chromium when /usr/bin/chromium is missing: the web UI tests drive it with playwright-core (CI calls this before the tests).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: /usr/bin/chromium is missing and installing it needs root: sudo apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# With recommends: its fonts are what the pages and the screenshot are drawn with.
apt-get install -y -qq chromium >/dev/null
test -x /usr/bin/chromium
