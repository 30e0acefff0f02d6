#!/usr/bin/env bash
# The Dockerfile's start command (also run by the tests).
#   container-start.sh          migrate and load the catalog (unless MIGRATE_ON_START=0), then serve
#   container-start.sh migrate  only migrate and load the catalog: compose.yaml's one-shot service
# Gunicorn reads its settings (WEB_CONCURRENCY, GUNICORN_THREADS, PORT, ...) in gunicorn.conf.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}

migrate() {
  "$PYTHON" manage.py migrate --no-input
  "$PYTHON" manage.py load_catalog
  "$PYTHON" manage.py load_costs
}

case "${1:-serve}" in
  migrate)
    migrate
    ;;
  serve)
    if [ "${MIGRATE_ON_START:-1}" = "1" ]; then
      migrate
    fi
    exec "$PYTHON" -m gunicorn --config gunicorn.conf.py
    ;;
  *)
    echo "usage: $0 [serve|migrate]" >&2
    exit 2
    ;;
esac
