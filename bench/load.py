"""Load benchmark: gunicorn (gunicorn.conf.py) on loopback against PostgreSQL, driven by wrk.

    .venv/bin/python bench/load.py                        # every endpoint, 200 clients, 60 s each
    .venv/bin/python bench/load.py --duration 15 --only bare api
    .venv/bin/python bench/load.py --clients 20 --workers 2 --threads 4   # gthread workers

Without DATABASE_URL it creates a throwaway database on the PostgreSQL at --pg-socket (the development
cluster, /tmp/devpg), migrates it, loads the catalog fixtures, and drops it at the end. The server runs
with DEBUG=0, the site's middleware and logging (to files in a temporary directory), the local-memory
cache, persistent database connections (CONN_MAX_AGE) and the API rate limit off. bench/settings.py
adds /bench/bare, an HttpResponse("ok") view behind the same middleware, measured in the same run.

wrk (apt-get install wrk) is a closed-loop client written in C: each of --clients connections sends a
request, waits for the answer, sends the next. It costs a fraction of what a Python client would
spend per request, which matters when client and server share two cores. Its latency percentiles are
per request, from the request being written to the response being read.

Prints a Markdown table: requests/s, latency p50/p95/p99/max, errors (socket errors + responses >= 400),
and the server's CPU time per request answered (every gunicorn process, from /proc; requests counted in
the site's own request log, config/middleware.py), which other work on the machine disturbs less than requests/s; "CPU ceiling" is what
all the machine's cores would serve at that cost with nothing else running (the client included).
"""

import argparse
import json
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=32768"
# name -> (path, extra request headers)
ENDPOINTS = {
    "bare": ("/bench/bare", {}),
    "home": ("/", {}),
    "page": (f"/?{QUESTION}", {}),
    "partial": (f"/?{QUESTION}", {"HX-Request": "true"}),
    "api": (f"/api/v1/estimate?{QUESTION}", {}),
    "what-runs": ("/what-runs/?gpu=geforce-rtx-3090&count=2&ctx=8192", {}),
    "gpus": ("/gpus/", {}),
    "glossary": ("/glossary/kv-cache/", {}),
}
# wrk calls done() once at the end: print the figures as one JSON line (latencies in microseconds).
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, '
    .. '"mean": %.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
end
"""
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_request: float
    load: float
    size: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds per endpoint (default 60)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load first (default 3)")
    parser.add_argument("--clients", type=int, default=200, help="concurrent connections (default 200)")
    parser.add_argument("--only", nargs="+", choices=list(ENDPOINTS), help="endpoints to measure")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk's threads (default 1)")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--conn-max-age", type=int, default=60, help="CONN_MAX_AGE for the server")
    parser.add_argument("--pg-socket", default="/tmp/devpg", help="PostgreSQL socket directory")
    parser.add_argument("--database", default="wir_load", help="name of the throwaway database")
    parser.add_argument("--keep-db", action="store_true", help="keep (and reuse) the throwaway database")
    args = parser.parse_args()

    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk not found: apt-get install wrk")
    names = args.only or list(ENDPOINTS)
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
            "CACHE_URL": "",
            "API_RATE_LIMIT": "0",
            "PAGE_RATE_LIMIT": "0",
            "SHARE_RATE_LIMIT": "0",
            "CONN_MAX_AGE": str(args.conn_max_age),
            "BENCH_STATIC_ROOT": str(tmp / "static"),
            "GUNICORN_BIND": f"127.0.0.1:{args.port}",
            "PYTHONPATH": str(ROOT),
        }
        # unset, not empty: gunicorn itself reads WEB_CONCURRENCY as a number before gunicorn.conf.py
        for name, value in (("WEB_CONCURRENCY", args.workers), ("GUNICORN_THREADS", args.threads)):
            if value:
                env[name] = str(value)
            else:
                env.pop(name, None)
        conf = gunicorn_settings(env)
        workers, threads = conf["workers"], conf["threads"]
        try:
            prepare(env)
            (tmp / "report.lua").write_text(WRK_SCRIPT)
            with (
                open(tmp / "access.log", "wb") as access,
                open(tmp / "error.log", "wb") as errors,
            ):
                server = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                    cwd=ROOT,
                    env=env,
                    stdout=access,
                    stderr=errors,
                )
                try:
                    base = f"http://127.0.0.1:{args.port}"
                    wait_until_up(base, server, tmp / "error.log")
                    print(
                        f"gunicorn: {workers} workers x {threads} threads; wrk: {args.clients} "
                        f"clients, {args.duration} s per endpoint after {args.warmup} s warm-up; "
                        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}",
                        flush=True,
                    )
                    results = [measure(name, base, server.pid, wrk=wrk, tmp=tmp, args=args) for name in names]
                finally:
                    server.send_signal(signal.SIGINT)  # quick shutdown: queued requests are dropped
                    try:
                        server.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        server.kill()
                        server.wait()
            restarts = (tmp / "error.log").read_text(errors="replace").count("Autorestarting worker")
        finally:
            if drop and not args.keep_db:
                drop()
    print()
    print(table(results, bare=next((r for r in results if r.name == "bare"), None)))
    if restarts:
        print(f"\n{restarts} worker restarts (max_requests) during the run.")
    return 0


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


def measure(name: str, base: str, master: int, *, wrk: str, tmp: Path, args) -> Result:
    path, headers = ENDPOINTS[name]
    drain(base)
    request = urllib.request.Request(base + path, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:  # raises on any status >= 400
        size = len(response.read())
    command = [wrk, "-t", str(args.wrk_threads), "-c", str(args.clients), "--timeout", "10s"]
    command += ["-s", str(tmp / "report.lua")]
    for header, value in headers.items():
        command += ["-H", f"{header}: {value}"]
    if args.warmup:
        subprocess.run([*command, "-d", f"{args.warmup}s", base + path], check=True, capture_output=True)
        drain(base)
    cpu_before, served_before = server_cpu_seconds(master), served(tmp / "error.log")
    output = subprocess.run(
        [*command, "-d", f"{args.duration}s", base + path], check=True, capture_output=True, text=True
    ).stdout
    drain(base)  # requests wrk gave up on are still queued: their CPU belongs to this endpoint
    cpu = server_cpu_seconds(master) - cpu_before
    server_requests = served(tmp / "error.log") - served_before
    load = os.getloadavg()[0]
    match = re.search(r"^WRK_JSON (.*)$", output, re.MULTILINE)
    if not match:
        sys.exit(f"no figures from wrk:\n{output}")
    f = json.loads(match.group(1))
    errors = f["connect"] + f["read"] + f["write"] + f["status"] + f["timeout"]
    result = Result(
        name=name,
        requests=f["requests"],
        seconds=f["duration_us"] / 1e6,
        errors=errors,
        p50_ms=f["p50"] / 1000,
        p95_ms=f["p95"] / 1000,
        p99_ms=f["p99"] / 1000,
        max_ms=f["max"] / 1000,
        cpu_ms_per_request=cpu * 1000 / max(1, server_requests),
        load=load,
        size=size,
    )
    print(
        f"{name:10} {result.rps:8.0f} req/s  p50 {result.p50_ms:7.1f}  p95 {result.p95_ms:7.1f}  "
        f"p99 {result.p99_ms:7.1f} ms  errors {errors}  load {load:.2f}",
        flush=True,
    )
    return result


def drain(base: str) -> None:
    """Wait until the server has worked through what an overloaded run left queued, and answers at once."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=120):
                pass
        except OSError:
            continue
        if time.monotonic() - started < 0.05:
            return
        time.sleep(0.2)


def served(log: Path) -> int:
    """Requests the server has answered, /healthz aside: the site logs one JSON line for each (to stderr)."""
    with open(log, "rb") as lines:
        return sum(1 for line in lines if line.startswith(b'{"request_id"') and b'"/healthz"' not in line)


def server_cpu_seconds(master: int) -> float:
    """CPU time of the gunicorn master, its live workers, and the workers it has already reaped."""
    total = _cpu_ticks(master, with_children=True)
    for pid in _children(master):
        total += _cpu_ticks(pid, with_children=False)
    return total / CLK_TCK


def _cpu_ticks(pid: int, *, with_children: bool) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    # after the command: state ppid ... utime(12) stime(13) cutime(14) cstime(15), 1-based from state
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return utime + stime + ((cutime + cstime) if with_children else 0)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def table(results: list[Result], *, bare: Result | None) -> str:
    lines = [
        "| endpoint | path | bytes | req/s | vs bare | p50 ms | p95 ms | p99 ms | max ms | errors "
        "| server CPU ms/req | CPU ceiling req/s | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        path, headers = ENDPOINTS[r.name]
        shown = path if len(path) <= 40 else path[:37] + "..."
        if headers:
            shown += " + " + ", ".join(f"{k}: {v}" for k, v in headers.items())
        ratio = f"{r.rps / bare.rps:.0%}" if bare else ""
        # what every core of this machine would serve at that CPU cost, with nothing else running
        ceiling = (os.cpu_count() or 1) * 1000 / r.cpu_ms_per_request if r.cpu_ms_per_request else 0
        lines.append(
            f"| {r.name} | `{shown}` | {r.size:,} | {r.rps:,.0f} | {ratio} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
            f"| {r.p99_ms:.1f} | {r.max_ms:.0f} | {r.errors} | {r.cpu_ms_per_request:.2f} "
            f"| {ceiling:,.0f} | {r.load:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
