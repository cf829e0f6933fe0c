#!/usr/bin/env bash
# Installs the PostgreSQL server the store tests start (tests/conftest.py), unless present.
# Idempotent: exits 0 at once when an initdb is already under /usr/lib/postgresql/*/bin.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y postgresql
