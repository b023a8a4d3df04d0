#!/usr/bin/env bash
# Installs what the tests need into .venv and runs the test suite.
#   bash scripts/test.sh            # fast suite (excludes tests marked slow)
#   bash scripts/test.sh -m slow    # only the slow ones (real audio, training)
#   bash scripts/test.sh tests/test_core.py -k resample
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/venv.sh"
cd "$ROOT"
if [ "$#" -eq 0 ]; then
  set -- -m "not slow"
fi
exec python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -q -p no:cacheprovider -rs "$@"
