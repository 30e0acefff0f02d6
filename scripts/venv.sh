# Sourced by run.sh and test.sh: create .venv if missing and install the pinned packages.
# $1: the extras to install ("" for the site, "[dev]" for the tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed$1"
# Installed again when what it installs changes: the pinned packages, or the compiled module (setup.py).
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ] ||
  [ config/stack_chunks.c -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check ".$1"
  touch "$stamp"
fi
