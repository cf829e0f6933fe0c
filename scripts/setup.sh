#!/usr/bin/env bash
# Set up a development environment: a virtual environment in .venv with every workspace
# member installed editable (the list lives in pyproject.toml, [tool.oleg.workspace]).
# Idempotent: a second run only installs what changed.  Usage: scripts/setup.sh [--test] [--bench]
#   --test   also the test extras (pytest, hypothesis, psycopg; httpx2 and playwright for the dashboard)
#   --bench  also the peers the benchmarks compare against (scikit-surprise, for bench_explicit.py)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
members=$(.venv/bin/python - <<'PY'
import tomllib
print(" ".join(f"-e {m}" for m in tomllib.load(open("pyproject.toml", "rb"))["tool"]["oleg"]["workspace"]["members"]))
PY
)
extras=()
for arg in "$@"; do
    case "$arg" in
        --test) extras+=("pytest>=8" "psycopg[binary]>=3.1" "httpx2>=2.16" "playwright>=1.44" "hypothesis>=6.100") ;;
        --bench) extras+=("scikit-surprise>=1.1.5") ;;  # 1.1.5 works with numpy 2.x
        *) echo "usage: scripts/setup.sh [--test] [--bench]" >&2; exit 2 ;;
    esac
done
.venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"  # the CPU build, before the members
# shellcheck disable=SC2086
.venv/bin/python -m pip install --quiet --disable-pip-version-check $members "${extras[@]}"
