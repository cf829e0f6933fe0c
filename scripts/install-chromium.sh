#!/usr/bin/env bash
# Installs Debian's chromium, the browser the dashboard's tests drive with Playwright
# (plugins/oleg-dashboard/tests), unless present. Playwright never downloads a browser here.
# Idempotent: exits 0 at once when /usr/bin/chromium exists.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y chromium
