#!/usr/bin/env bash
# The Dockerfile's start command (also run by the tests): migrate, load the catalog, serve with gunicorn.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
"$PYTHON" manage.py migrate --no-input
"$PYTHON" manage.py load_catalog
exec "$PYTHON" -m gunicorn config.wsgi:application \
  --bind "${BIND:-0.0.0.0}:${PORT:-8000}" \
  --workers "${WEB_CONCURRENCY:-2}" \
  --access-logfile - \
  --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
