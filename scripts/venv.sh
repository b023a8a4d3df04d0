#!/usr/bin/env bash
# Creates (or reuses) .venv at the repository root and installs ddsp into it
# in editable mode with the test extras. Sourced by demo.sh and test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PY" -m venv "$ROOT/.venv"
fi
STAMP="$ROOT/.venv/.ddsp-installed"
if [ ! -f "$STAMP" ] || [ "$ROOT/setup.py" -nt "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  "$ROOT/.venv/bin/python" -m pip install -q --upgrade pip 'setuptools>=69' wheel
  # Earlier checkouts installed this project under the original's distribution
  # name, `ddsp`; it would shadow `ddsp-modern`.
  "$ROOT/.venv/bin/python" -m pip uninstall -q -y ddsp >/dev/null 2>&1 || true
  "$ROOT/.venv/bin/python" -m pip install -q -e "$ROOT[test]"
  touch "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
