#!/usr/bin/env bash
# `make test`: install what is missing, start a throwaway PostgreSQL on a private socket,
# lint, check migrations, run every test (browser tests included), stop the cluster whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# A C compiler and Python's headers build config/stack_chunks.c (setup.py; tests/test_stack_chunks.py).
command -v gcc >/dev/null || need_apt+=(gcc libc6-dev)
"${PYTHON:-python3}" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' ||
  need_apt+=(python3-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" fonts-dejavu-core >/dev/null
fi
source scripts/venv.sh "[dev]"

# A throwaway PostgreSQL cluster, run as the postgres user (initdb refuses root), socket only.
PG_BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
PG_DIR=$(mktemp -d /tmp/willitrun-pg.XXXXXX)
chmod 755 "$PG_DIR"
stop_pg() {
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_pg EXIT
chown postgres "$PG_DIR"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
  -o "-k $PG_DIR -c listen_addresses='' -c fsync=off -c full_page_writes=off" start >/dev/null
export DATABASE_URL="postgres://postgres@$(python3 -c "import urllib.parse,sys;print(urllib.parse.quote(sys.argv[1],safe=''))" "$PG_DIR")/willitrun"
export SECRET_KEY=test-only-secret DEBUG=0 CONN_MAX_AGE=0
# Bytecode caches (gitignored __pycache__/) for the project's modules and pytest's rewritten test modules:
# with PYTHONDONTWRITEBYTECODE set (as on the project's machines) each worker compiled and rewrote ~120
# test files and the project's modules at every run, ~3 of its ~8 s of CPU collecting.
unset PYTHONDONTWRITEBYTECODE

# The migrated database holding the catalog that every worker's test database is copied from
# (tests/db_template.py), built on the second core while the linters run on the first, and while
# pytest starts and collects the tests: each worker waits for the build (its PostgreSQL advisory lock,
# tests/conftest.py) before its first database test. Waiting here instead cost ~5 s.
.venv/bin/python tests/db_template.py >/dev/null &
template_pid=$!
.venv/bin/ruff format --check .
.venv/bin/ruff check .
# against the cluster's own `postgres` database: the project's is not created yet (it warned that it could
# not check the migration history)
DATABASE_URL="${DATABASE_URL%/willitrun}/postgres" .venv/bin/python manage.py makemigrations --check --dry-run
# One worker per core (pytest-xdist), each with its own test database (pytest-django names it
# test_willitrun_gw0, _gw1, ..., a copy of the template) and its own session catalog; `-n 0` after the
# script's name runs serially.
# `--maxschedchunk 1`: a worker is sent the next test when it has fewer than two to run, so the long
# tests that tests/conftest.py puts first are shared out one by one; by default xdist sends each worker
# a quarter of its share at once, and one worker got every shard of the whole-site crawl.
status=0
.venv/bin/python -m pytest -n auto --maxschedchunk 1 "$@" || status=$?
wait "$template_pid"  # its failure fails the run, even if the tests built the template themselves
exit "$status"
