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
  # a cluster still being made is let finish first, so that it can be stopped
  while [ -n "${database_pid:-}" ] && [ ! -e "$PG_DIR/started" ] && kill -0 "$database_pid" 2>/dev/null; do
    sleep 0.05
  done
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_pg EXIT
chown postgres "$PG_DIR"
export DATABASE_URL="postgres://postgres@$(python3 -c "import urllib.parse,sys;print(urllib.parse.quote(sys.argv[1],safe=''))" "$PG_DIR")/willitrun"
export SECRET_KEY=test-only-secret DEBUG=0 CONN_MAX_AGE=0
# Bytecode caches (gitignored __pycache__/) for the project's modules and pytest's rewritten test modules:
# with PYTHONDONTWRITEBYTECODE set (as on the project's machines) each worker compiled and rewrote ~120
# test files and the project's modules at every run, ~3 of its ~8 s of CPU collecting.
unset PYTHONDONTWRITEBYTECODE

.venv/bin/ruff format --check .
.venv/bin/ruff check .

# Nothing below waits for another step that it does not need. The cluster is made and started (~0.8 s),
# then the migrated database holding the catalog that every worker's test database is copied from
# (tests/db_template.py) is built, while pytest starts and collects the tests (~5 s of CPU in each
# worker) and the migration check runs: the workers wait for the cluster ($PG_DIR/started, which says
# whether it started) and the template (its PostgreSQL advisory lock, tests/conftest.py) before their
# first database test. Run one after the other, initdb, the start and `makemigrations --check` (~1.8 s
# of Django starting up) held pytest back ~3 s.
(
  started=0
  { runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >/dev/null &&
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
      -o "-k $PG_DIR -c listen_addresses='' -c fsync=off -c full_page_writes=off" start >/dev/null; } ||
    started=$?
  echo "$started" >"$PG_DIR/starting" && mv "$PG_DIR/starting" "$PG_DIR/started"
  [ "$started" = 0 ] || exit "$started"
  exec .venv/bin/python tests/db_template.py >/dev/null
) &
database_pid=$!
export TEST_DB_STARTED="$PG_DIR/started"
# Its output is shown only if it fails (its history check warns that the database `willitrun`, which no
# test uses, does not exist).
.venv/bin/python manage.py makemigrations --check --dry-run >"$PG_DIR/makemigrations.log" 2>&1 &
makemigrations_pid=$!
# One worker per core (pytest-xdist), each with its own test database (pytest-django names it
# test_willitrun_gw0, _gw1, ..., a copy of the template) and its own session catalog; `-n 0` after the
# script's name runs serially.
# `--maxschedchunk 1`: a worker is sent the next test when it has fewer than two to run, so the long
# tests that tests/conftest.py puts first are shared out one by one; by default xdist sends each worker
# a quarter of its share at once, and one worker got every shard of the whole-site crawl.
status=0
.venv/bin/python -m pytest -n auto --maxschedchunk 1 "$@" || status=$?
if ! wait "$makemigrations_pid"; then
  cat "$PG_DIR/makemigrations.log"
  status=1
fi
wait "$database_pid"  # its failure fails the run, even if the tests built the template themselves
exit "$status"
