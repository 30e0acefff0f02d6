#!/usr/bin/env bash
# `make run`: venv, install, migrate, load the catalog (idempotent), serve on 127.0.0.1:$PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh ""
export DEBUG=${DEBUG:-1}
PORT=${PORT:-8000}
.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py load_catalog
.venv/bin/python manage.py load_costs
echo "Will it run? is at http://127.0.0.1:${PORT}/"
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
