#!/usr/bin/env bash
# Create .venv (if missing) and install ctcdecode-plus with its pinned dependencies. Idempotent.
# torch 2.13.0 is installed first and pinned: an unpinned torch would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.ctcdecode-plus-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q "torch==2.13.0" "numpy<2"
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
