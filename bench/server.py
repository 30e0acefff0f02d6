"""The server bench/load.py and bench/fuzz_requests.py measure: a throwaway PostgreSQL database with the
catalog fixtures, gunicorn (gunicorn.conf.py) with bench/settings.py on loopback, its logs in a temporary
directory."""

import argparse
import contextlib
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from questions import ROOT


@dataclass
class Server:
    """A running gunicorn (serve()): its address, master process, environment and log directory."""

    base: str
    pid: int
    env: dict
    tmp: Path
    workers: int
    threads: int
    restarts: int = 0

    @property
    def error_log(self) -> Path:
        """gunicorn's stderr: the site's JSON line per request and every traceback."""
        return self.tmp / "error.log"


def add_server_arguments(parser: argparse.ArgumentParser, *, port=18080, database="wir_load") -> None:
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--conn-max-age", type=int, default=60, help="CONN_MAX_AGE for the server")
    parser.add_argument("--pg-socket", default="/tmp/pgdev", help="PostgreSQL socket directory")
    parser.add_argument("--database", default=database, help="name of the throwaway database")
    parser.add_argument("--keep-db", action="store_true", help="keep (and reuse) the throwaway database")
    parser.add_argument(
        "--cache-url",
        default="",
        help="CACHE_URL for the server, e.g. redis://127.0.0.1:6379/0 as compose.yaml runs (default: "
        "each worker's local-memory cache)",
    )


@contextlib.contextmanager
def serve(args, *, env_overrides: dict | None = None) -> Iterator[Server]:
    """A migrated database with the catalog, and gunicorn serving bench.settings on it until the block
    ends (add_server_arguments names what `args` carries). The database is dropped afterwards, unless
    DATABASE_URL named one or --keep-db; `server.restarts` is set once the server has stopped."""
    with tempfile.TemporaryDirectory(prefix="wir-load-") as tmp:
        tmp = Path(tmp)
        database_url, drop = database(args)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-only",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "CACHE_URL": getattr(args, "cache_url", ""),
            "API_RATE_LIMIT": "0",
            "PAGE_RATE_LIMIT": "0",
            "SHARE_RATE_LIMIT": "0",
            "CONN_MAX_AGE": str(args.conn_max_age),
            "BENCH_STATIC_ROOT": str(tmp / "static"),
            "GUNICORN_BIND": f"127.0.0.1:{args.port}",
            "PYTHONPATH": str(ROOT),
            **(env_overrides or {}),
        }
        # unset, not empty: gunicorn itself reads WEB_CONCURRENCY as a number before gunicorn.conf.py
        for name, value in (("WEB_CONCURRENCY", args.workers), ("GUNICORN_THREADS", args.threads)):
            if value:
                env[name] = str(value)
            else:
                env.pop(name, None)
        conf = gunicorn_settings(env)
        try:
            prepare(env)
            with open(tmp / "access.log", "wb") as access, open(tmp / "error.log", "wb") as errors:
                process = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                    cwd=ROOT,
                    env=env,
                    stdout=access,
                    stderr=errors,
                )
                server = Server(
                    base=f"http://127.0.0.1:{args.port}",
                    pid=process.pid,
                    env=env,
                    tmp=tmp,
                    workers=conf["workers"],
                    threads=conf["threads"],
                )
                try:
                    wait_until_up(server.base, process, server.error_log)
                    yield server
                finally:
                    process.send_signal(signal.SIGINT)  # quick shutdown: queued requests are dropped
                    try:
                        process.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
            server.restarts = server.error_log.read_text(errors="replace").count("Autorestarting worker")
        finally:
            if drop and not args.keep_db:
                drop()


def database(args) -> tuple[str, object]:
    """DATABASE_URL if set (used as is); else a throwaway database, and the function that drops it."""
    if url := os.environ.get("DATABASE_URL"):
        if not url.startswith(("postgres://", "postgresql://")):
            sys.exit("DATABASE_URL must be a PostgreSQL URL: the benchmark measures what production runs.")
        return url, None
    import psycopg

    admin = {"host": args.pg_socket, "user": "postgres", "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.database]).fetchone()
        if exists and not args.keep_db:
            conn.execute(f'DROP DATABASE "{args.database}" WITH (FORCE)')
        if not exists or not args.keep_db:
            conn.execute(f'CREATE DATABASE "{args.database}"')

    def drop():
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')

    socket = urllib.parse.quote(args.pg_socket, safe="")
    return f"postgres://postgres@{socket}/{args.database}", drop


def gunicorn_settings(env: dict) -> dict:
    """gunicorn.conf.py's values under the server's environment (what the run measures)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def prepare(env: dict) -> None:
    started = time.monotonic()
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(  # idempotent, and quick on a kept database
        [*manage, "load_catalog", "--fixtures-only"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    print(f"database and static files ready in {time.monotonic() - started:.0f} s", flush=True)


def wait_until_up(base: str, server: subprocess.Popen, error_log: Path) -> None:
    for _ in range(120):
        if server.poll() is not None:
            sys.exit(f"gunicorn exited:\n{error_log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit("gunicorn did not answer /healthz within 60 s")


# --- The questions: valid ones built from the catalog fixtures, and malformed ones -------------------
