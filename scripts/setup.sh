#!/usr/bin/env bash
# Create .venv (if missing) and install ctcdecode-plus with its pinned dependencies. Idempotent.
# torch 2.13.0 is installed first and pinned: an unpinned torch would pull a multi-GB CUDA build.
# Python 3.10-3.12: pyctcdecode 0.5.0 needs numpy < 2, which has no builds for Python 3.13 or later.
# PYTHON=/path/to/python3.x picks the interpreter; otherwise the first of python3, python3.12, python3.11,
# python3.10 on the PATH that is 3.10-3.12.
set -euo pipefail
cd "$(dirname "$0")/.."
supported() { "$1" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] < (3, 13))' >/dev/null 2>&1; }
version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo "not runnable"; }
if [ -x .venv/bin/python ]; then
  if ! supported .venv/bin/python; then
    echo "setup: .venv has Python $(version .venv/bin/python); ctcdecode-plus needs 3.10-3.12 (numpy < 2 for" \
         "pyctcdecode 0.5.0). Remove .venv and run this again, with PYTHON=/path/to/python3.12 if needed." >&2
    exit 1
  fi
else
  PY=
  if [ -n "${PYTHON:-}" ]; then candidates=("$PYTHON"); else candidates=(python3 python3.12 python3.11 python3.10); fi
  for cand in "${candidates[@]}"; do
    if supported "$cand"; then PY=$cand; break; fi
  done
  if [ -z "$PY" ]; then
    echo "setup: no Python 3.10-3.12 found (${PYTHON:+PYTHON=$PYTHON is $(version "$PYTHON"); }python3 is" \
         "$(version python3)). ctcdecode-plus needs one: pyctcdecode 0.5.0 needs numpy < 2, which has no builds" \
         "for Python 3.13 or later. Install e.g. python3.12 (with its venv module) and run" \
         "PYTHON=python3.12 bash scripts/setup.sh." >&2
    exit 1
  fi
  "$PY" -m venv .venv
fi
stamp=.venv/.ctcdecode-plus-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q "torch==2.13.0" "numpy<2"
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
