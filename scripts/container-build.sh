#!/usr/bin/env bash
# The Dockerfile's build step (also run by the tests, since no Docker engine runs here):
# install the site's packages into the current Python and collect static files.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
if [ "${SKIP_INSTALL:-0}" != "1" ]; then
  "$PYTHON" -m pip install --no-cache-dir --disable-pip-version-check .
fi
SECRET_KEY=${SECRET_KEY:-collectstatic-only} DEBUG=0 "$PYTHON" manage.py collectstatic --no-input -v0
