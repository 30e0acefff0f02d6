"""Load benchmark: gunicorn (gunicorn.conf.py) on loopback against PostgreSQL, driven by wrk.

    .venv/bin/python bench/load.py                        # every endpoint and the mix, 200 clients, 60 s each
    .venv/bin/python bench/load.py --only mix --clients 50   # distinct questions: issue 12's target
    .venv/bin/python bench/load.py --duration 15 --only bare api
    .venv/bin/python bench/load.py --clients 20 --workers 2 --threads 4   # gthread workers

Without DATABASE_URL it creates a throwaway database on the PostgreSQL at --pg-socket (the development
cluster, /tmp/pgdev), migrates it, loads the catalog fixtures, and drops it at the end. The server runs
with DEBUG=0, the site's middleware and logging (to files in a temporary directory), the local-memory
cache, persistent database connections (CONN_MAX_AGE) and the rate limits off. bench/settings.py
adds /bench/bare, an HttpResponse("ok") view behind the same middleware, measured in the same run.
`serve()` is that start-up, shared with bench/fuzz_requests.py.

Each endpoint repeats one URL, which after the first request is a response-cache hit. "mix" is traffic
the cache cannot hide: the repeated URLs plus --questions distinct calculator pages, HTMX partials, API
estimates and reverse pages built from the catalog fixtures (models x formats x GPU sets x contexts x
runtimes x KV types x users x RAM x links), drawn by a Zipf law over that list (rank k with probability
proportional to 1/k^s, as real traffic), and --malformed of requests (each different) that must be
refused: unknown slugs, absurd numbers, broken config JSON, wrong methods. The draw is made here, with
--seed, and written to a file that wrk's Lua script walks through in order.

wrk (apt-get install wrk) is a closed-loop client written in C: each of --clients connections sends a
request, waits for the answer, sends the next. It costs a fraction of what a Python client would
spend per request, which matters when client and server share two cores. Its latency percentiles are
per request, from the request being written to the response being read.

Prints a Markdown table: requests/s, latency p50/p95/p99/max, errors (socket errors, 5xx and any status
the request should not get; for the mix the expected 4xx are counted apart), the server's CPU time per
request answered (every gunicorn process, from /proc; requests counted in the site's own request log,
config/middleware.py, which keeps the X-Request-ID the mix sends, so each answer is matched to its
request), and each worker's resident memory (/proc/PID/status VmRSS) before and after. Other work on the
machine disturbs CPU time less than requests/s; "CPU ceiling" is what all the machine's cores would serve
at that cost with nothing else running (the client included).
"""

import argparse
import bisect
import contextlib
import itertools
import json
import os
import random
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
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "catalog"
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
MIX = "mix"
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
# The mix: args are the requests file (method TAB path TAB name:value|name:value TAB body, one per line),
# the order file (1-based line numbers of the requests file, as drawn) and wrk's thread count; each
# thread starts its walk at its own share of the order, so threads do not send the same sequence.
MIX_SCRIPT = """
local prepared, order, position, started = {}, {}, 0, 0
local threads = 0

setup = function(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

init = function(args)
  for line in io.lines(args[1]) do
    local f = {}
    for value in (line .. "\\t"):gmatch("([^\\t]*)\\t") do f[#f + 1] = value end
    local headers = {}
    for name, value in f[3]:gmatch("([^|:]+):([^|]*)") do headers[name] = value end
    prepared[#prepared + 1] = wrk.format(f[1], f[2], headers, f[4] ~= "" and f[4] or nil)
  end
  for line in io.lines(args[2]) do order[#order + 1] = tonumber(line) end
  position = math.floor(#order * thread_number / tonumber(args[3]))
end

request = function()
  position = position + 1
  return prepared[order[(position - 1) % #order + 1]]
end
"""
CLK_TCK = os.sysconf("SC_CLK_TCK")
FAST_MS = 3  # a response-cache hit takes ~0.5 ms of server time; computing a question, 20 ms and more


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    errors: int
    expected_4xx: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_request: float
    load: float
    size: int
    rss_before_mb: dict[int, float]
    rss_after_mb: dict[int, float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def rss_growth_mb(self) -> float:
        """The largest growth of one worker alive before and after (a replaced worker is not compared)."""
        both = self.rss_before_mb.keys() & self.rss_after_mb.keys()
        return max((self.rss_after_mb[pid] - self.rss_before_mb[pid] for pid in both), default=0.0)


@dataclass(frozen=True)
class Request:
    """One request of the mix (or of bench/fuzz_requests.py), and the statuses it may get."""

    kind: str
    path: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    expected: frozenset[int] = frozenset({200})


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds per endpoint (default 60)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load first (default 3)")
    parser.add_argument("--clients", type=int, default=200, help="concurrent connections (default 200)")
    parser.add_argument("--only", nargs="+", choices=[*ENDPOINTS, MIX], help="endpoints to measure")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk's threads (default 1)")
    parser.add_argument("--questions", type=int, default=12_000, help="distinct questions in the mix")
    parser.add_argument("--zipf", type=float, default=1.0, help="the mix's Zipf exponent s (default 1.0)")
    parser.add_argument("--malformed", type=float, default=0.05, help="share of bad requests (0.05)")
    parser.add_argument("--sequence", type=int, default=400_000, help="requests drawn for the mix")
    parser.add_argument("--seed", type=int, default=12, help="seed of the mix's draw")
    parser.add_argument("--profile", type=Path, help="py-spy each measured run into DIR/<endpoint>.txt")
    add_server_arguments(parser)
    args = parser.parse_args()

    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk not found: apt-get install wrk")
    names = args.only or [*ENDPOINTS, MIX]
    with serve(args) as server:
        (server.tmp / "report.lua").write_text(WRK_SCRIPT)
        mix = write_mix(server.tmp, args) if MIX in names else None
        print(
            f"gunicorn: {server.workers} workers x {server.threads} threads; wrk: {args.clients} "
            f"clients, {args.duration} s per endpoint after {args.warmup} s warm-up; "
            f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        results = [measure(name, server, wrk=wrk, mix=mix, args=args) for name in names]
    print()
    print(table(results, bare=next((r for r in results if r.name == "bare"), None), mix=mix))
    if server.restarts:
        print(f"\n{server.restarts} worker restarts (max_requests) during the run.")
    return 0


def add_server_arguments(parser: argparse.ArgumentParser, *, port=18080, database="wir_load") -> None:
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--conn-max-age", type=int, default=60, help="CONN_MAX_AGE for the server")
    parser.add_argument("--pg-socket", default="/tmp/pgdev", help="PostgreSQL socket directory")
    parser.add_argument("--database", default=database, help="name of the throwaway database")
    parser.add_argument("--keep-db", action="store_true", help="keep (and reuse) the throwaway database")


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
            "CACHE_URL": "",
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


@dataclass(frozen=True)
class Catalog:
    """What the fixtures offer to ask about (the database the benchmark serves is loaded from them)."""

    models: list[tuple[str, int | None]]  # slug, longest context it reads
    quants: list[str]
    listed_quants: list[str]
    family: dict[str, str]  # format slug -> its family (gguf, awq, fp8...)
    gpus: list[tuple[str, bool]]  # slug, unified memory
    backend: dict[str, str]  # GPU slug -> the backend it runs on (the first of its `backends`)
    runtimes: dict[str, dict]  # the calculator's runtimes: slug -> the fixture row
    links: list[str]
    terms: list[str] = field(default_factory=list)

    @classmethod
    def from_fixtures(cls) -> "Catalog":
        def rows(name: str) -> list[dict]:
            return json.loads((FIXTURES / name).read_text())

        quants, gpus = rows("quantizations.json"), rows("gpus.json")
        return cls(
            models=[(m["slug"], m["max_position_embeddings"]) for m in rows("llms.json")],
            quants=[q["slug"] for q in quants],
            listed_quants=[q["slug"] for q in quants if q["listed"]],
            family={q["slug"]: q["family"] for q in quants},
            gpus=[(g["slug"], g["unified_memory"]) for g in gpus],
            backend={g["slug"]: (g.get("backends") or ["vulkan"])[0] for g in gpus},
            runtimes={r["slug"]: r for r in rows("runtimes.json") if r["slug"] in CALCULATOR_RUNTIMES},
            links=[i["slug"] for i in rows("interconnects.json")],
            terms=sorted(p.stem for p in (ROOT / "content" / "glossary").glob("*.md")),
        )

    def runs(self, runtime: str, backends: set[str], quant: str | None = None) -> bool:
        """Whether the runtime runs on every backend (and the format there), as the calculator's form
        checks it against the catalog's runtime table (calculator/forms.py, Combination.runs)."""
        row = self.runtimes[runtime]
        formats = row.get("formats") or {}
        return all(
            b in row.get("backends", [b])
            and (quant is None or not formats or self.family[quant] in formats.get(b, ()))
            for b in backends
        )


CONTEXTS = [2048, 4096, 8192, 16384, 32768, 65536, 131072]
DEFAULT_CONTEXT = 4096  # the form's ctx when none is given (DEFAULTS, calculator/forms.py)
CALCULATOR_RUNTIMES = ["llama-cpp", "ollama", "vllm", "sglang", "mlx"]  # the form's runtime choices
USERS = [1, 1, 1, 1, 2, 4, 8, 16, 32]
RAM_GB = [16, 32, 64, 128, 256]
# kind -> share of the distinct questions (a repeated question is more often a page than an API call)
QUESTION_KINDS = {"page": 0.30, "partial": 0.22, "api": 0.30, "what-runs": 0.10, "what-hardware": 0.08}


def _context(rng: random.Random, longest: int | None) -> int | None:
    """A preset context the model reads, or None (the page's default) a fifth of the time when the
    model reads the default."""
    default = rng.random() < 0.2 and (not longest or longest >= DEFAULT_CONTEXT)
    fitting = [c for c in CONTEXTS if not longest or c <= longest]
    return None if default else rng.choice(fitting)


def _devices(rng: random.Random, catalog: Catalog, *, most: int) -> list[tuple[str, str]]:
    """gpu/count pairs: one kind of GPU (85%) or two, up to `most` devices; one of a unified-memory chip."""
    pairs, total = [], 0
    for slug, unified in rng.sample(catalog.gpus, 1 if rng.random() < 0.85 else 2):
        n = 1 if unified else min(rng.choice([1, 1, 1, 2, 2, 3, 4, 8]), most - total)
        if n < 1:
            break
        pairs += [("gpu", slug), ("count", str(n))]
        total += n
    return pairs


def calculator_query(rng: random.Random, catalog: Catalog) -> str:
    """A question the calculator answers (200): the context is one the model reads, the prompt fits it,
    the runtime runs on the devices and runs the format there, the KV cache type is one it keeps."""
    model, longest = rng.choice(catalog.models)
    devices = _devices(rng, catalog, most=16)
    backends = {catalog.backend[slug] for key, slug in devices if key == "gpu"}
    runtimes = [r for r in catalog.runtimes if catalog.runs(r, backends)]
    runtime = rng.choice(runtimes) if rng.random() < 0.5 else None  # else the form picks one
    quants = catalog.listed_quants if rng.random() < 0.8 else catalog.quants
    quants = [
        q for q in quants if any(catalog.runs(r, backends, q) for r in ([runtime] if runtime else runtimes))
    ]
    pairs = [("model", model), ("quant", rng.choice(quants)), *devices]
    ctx = _context(rng, longest)
    if ctx:
        pairs.append(("ctx", str(ctx)))
    if runtime:
        pairs.append(("runtime", runtime))
        if rng.random() < 0.4:
            pairs.append(("kv", rng.choice(catalog.runtimes[runtime].get("kv_cache_types") or ["f16"])))
    if rng.random() < 0.3:
        pairs.append(("batch", str(rng.choice(USERS))))
    if rng.random() < 0.2:
        pairs.append(("prompt", str(rng.choice([128, 512, 1024, 2048]))))
    if rng.random() < 0.3:
        pairs.append(("ram_gb", str(rng.choice(RAM_GB))))
    if rng.random() < 0.1:
        pairs.append(("link", rng.choice(catalog.links)))
    if rng.random() < 0.03:
        pairs.append(("hosts", str(rng.choice([2, 3, 4]))))
    return urlencode(pairs)


def what_runs_query(rng: random.Random, catalog: Catalog) -> str:
    pairs = _devices(rng, catalog, most=8)
    if ctx := _context(rng, None):
        pairs.append(("ctx", str(ctx)))
    if rng.random() < 0.3:
        pairs.append(("ram_gb", str(rng.choice(RAM_GB))))
    if rng.random() < 0.3:
        pairs.append(("sort", rng.choice(["size", "name", "speed"])))
    return urlencode(pairs)


def what_hardware_query(rng: random.Random, catalog: Catalog) -> str:
    model, longest = rng.choice(catalog.models)
    pairs = [("model", model)]
    if rng.random() < 0.6:
        pairs.append(("quant", rng.choice(catalog.listed_quants)))
    if ctx := _context(rng, longest):
        pairs.append(("ctx", str(ctx)))
    if rng.random() < 0.4:
        pairs.append(("tok_s", str(rng.choice([1, 5, 20, 30, 50, 100]))))
    return urlencode(pairs)


def question(rng: random.Random, catalog: Catalog, kind: str) -> Request:
    if kind == "what-runs":
        return Request(kind, f"/what-runs/?{what_runs_query(rng, catalog)}")
    if kind == "what-hardware":
        return Request(kind, f"/what-hardware/?{what_hardware_query(rng, catalog)}")
    query = calculator_query(rng, catalog)
    if kind == "api":
        return Request(kind, f"/api/v1/estimate?{query}")
    return Request(kind, f"/?{query}", headers=(("HX-Request", "true"),) if kind == "partial" else ())


def distinct_questions(rng: random.Random, catalog: Catalog, count: int) -> list[Request]:
    kinds, weights = list(QUESTION_KINDS), list(QUESTION_KINDS.values())
    found: dict[Request, None] = {}
    while len(found) < count:
        found.setdefault(question(rng, catalog, rng.choices(kinds, weights)[0]))
    return list(found)


def _junk_slug(rng: random.Random) -> str:
    return "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789-", k=rng.randint(3, 24)))


def _junk_number(rng: random.Random) -> str:
    return rng.choice(
        [
            str(rng.choice([0, -1, -(10 ** rng.randint(1, 30))])),
            str(10 ** rng.randint(8, 40)),
            "9" * rng.randint(100, 4400),  # past Python's 4,300-digit int() limit
            rng.choice(["1e309", "nan", "inf", "-0", "1.5", "0x10", "ten", "%00"]),
        ]
    )


def _broken_config(rng: random.Random) -> str:
    good = {"num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32, "vocab_size": 32000}
    text = json.dumps(good)
    return rng.choice(
        [
            text[: rng.randint(1, len(text) - 1)],  # cut short
            "[" * (depth := rng.randint(50, 1200)) + "]" * rng.randint(0, depth),  # nested deep (URL < 8 KB)
            json.dumps({**good, rng.choice(list(good)): rng.choice([10**20, -5, 0, "x"])}),
            json.dumps({**good, "num_hidden_layers": rng.choice([10**6, 10**7, 4096])}),
            json.dumps({**good, "hidden_size": int("7" * rng.randint(200, 400))}),
            "{" + "".join(rng.choices('{}[]:,"ab01 ', k=rng.randint(5, 200))),
            "not json at all",
        ]
    )


def malformed(rng: random.Random, catalog: Catalog) -> Request:
    """A request that must be refused (4xx) or answered with the form's message (a page's 200)."""
    model, _ = rng.choice(catalog.models)
    gpu, _ = rng.choice(catalog.gpus)
    good = {"model": model, "quant": rng.choice(catalog.listed_quants), "gpu": gpu}
    case = rng.choice(["slug", "number", "config", "method", "missing"])
    if case == "slug":
        good[rng.choice(["model", "quant", "gpu", "link"])] = _junk_slug(rng)
    elif case == "number":
        good[rng.choice(["ctx", "count", "batch", "prompt", "ram_gb", "hosts"])] = _junk_number(rng)
    elif case == "config":
        good["config"] = _broken_config(rng)
    elif case == "missing":  # a required input left out (the format is not: the form picks one)
        good.pop(rng.choice(["model", "gpu"]))
    else:
        method = rng.choice(["POST", "PUT", "DELETE", "PATCH"])
        path = rng.choice(["/api/v1/estimate", "/api/v1/gpus", "/api/v1/models", "/api/v1/quantizations"])
        return Request("bad-method", f"{path}?{urlencode(good)}", method=method, expected=frozenset({405}))
    query = urlencode(good)
    where = rng.random()
    if where < 0.5:
        return Request(f"bad-{case}", f"/api/v1/estimate?{query}", expected=frozenset({400}))
    if where < 0.7:
        return Request(f"bad-{case}", f"/og.png?{query}", expected=frozenset({400}))
    if where < 0.85:  # a page shows the message next to the field: 200, or 400 for a whole bad question
        return Request(f"bad-{case}", f"/?{query}", expected=frozenset({200, 400}))
    kind = rng.choice(["/gpus/", "/models/", "/glossary/"])
    return Request("bad-page", f"{kind}{_junk_slug(rng)}/", expected=frozenset({404}))


@dataclass
class Mix:
    requests: list[Request]
    order_length: int
    distinct: int  # the distinct questions in the list (besides: the repeated URLs, the malformed)
    path: Path
    order_path: Path


def write_mix(tmp: Path, args) -> Mix:
    """The mix's requests and the order wrk sends them in, drawn with --seed, written under `tmp`."""
    rng = random.Random(args.seed)
    catalog = Catalog.from_fixtures()
    repeated = [Request("repeated", path, headers=tuple(h.items())) for path, h in ENDPOINTS.values()]
    questions = [*repeated[1:], *distinct_questions(rng, catalog, args.questions)]  # bare aside
    # rank k drawn with probability ∝ 1/k^s: the repeated URLs first, then the questions in drawn order
    cumulative = list(itertools.accumulate(1 / k**args.zipf for k in range(1, len(questions) + 1)))
    order, bad = [], []
    for _ in range(args.sequence):
        if rng.random() < args.malformed:
            bad.append(malformed(rng, catalog))
            order.append(len(questions) + len(bad))
        else:
            order.append(bisect.bisect(cumulative, rng.random() * cumulative[-1]) + 1)
    requests = questions + bad
    path, order_path = tmp / "mix_requests.tsv", tmp / "mix_order.txt"
    with open(path, "w") as out:
        for number, r in enumerate(requests, start=1):
            headers = "|".join(f"{k}:{v}" for k, v in (*r.headers, ("X-Request-ID", f"m{number}")))
            out.write(f"{r.method}\t{r.path}\t{headers}\t{r.body}\n")
    order_path.write_text("\n".join(map(str, order)) + "\n")
    (tmp / "mix.lua").write_text(MIX_SCRIPT + WRK_SCRIPT)
    return Mix(requests, len(order), args.questions, path, order_path)


# --- Measuring -----------------------------------------------------------------------------------------


@dataclass
class Served:
    """What the site's request log says about the requests of one measured run."""

    requests: int = 0
    unexpected: Counter = field(default_factory=Counter)  # (kind, status) -> count
    expected_4xx: int = 0
    kinds: dict = field(default_factory=dict)  # kind -> list of server ms
    statuses: dict = field(default_factory=dict)  # kind -> Counter of statuses
    distinct: set = field(default_factory=set)  # request numbers answered
    examples: list = field(default_factory=list)  # (status, method, path) of the first unexpected

    @property
    def server_errors(self) -> int:
        return sum(n for (_, status), n in self.unexpected.items() if status >= 500)


def read_served(log: Path, offset: int, mix: "Mix | None") -> Served:
    """Tally the site's JSON request lines written after `offset` (health checks aside). A mix request
    is matched to its Request by the X-Request-ID the site logs; any other request should get a 200."""
    found = Served()
    with open(log, "rb") as lines:
        lines.seek(offset)
        for line in lines:
            if not line.startswith(b'{"request_id"') or b'"/healthz"' in line:
                continue
            record = json.loads(line)
            found.requests += 1
            request_id, status = record["request_id"], record["status"]
            if mix and re.fullmatch(r"m\d+", request_id):
                number = int(request_id[1:])
                request = mix.requests[number - 1]
                found.distinct.add(number)
            else:
                request = Request("other", record["path"], method=record["method"])
            found.kinds.setdefault(request.kind, []).append(record["ms"])
            found.statuses.setdefault(request.kind, Counter())[status] += 1
            if status in request.expected:
                found.expected_4xx += 400 <= status < 500
            else:
                found.unexpected[request.kind, status] += 1
                if len(found.examples) < 20:
                    found.examples.append((status, request.method, request.path[:300]))
    return found


def measure(name: str, server: Server, *, wrk: str, mix: Mix | None, args) -> Result:
    base = server.base
    command = [wrk, "-t", str(args.wrk_threads), "-c", str(args.clients), "--timeout", "10s"]
    drain(base)
    if name == MIX:
        warmup_url, size = base + "/", 0
        run = [*command, "-s", str(server.tmp / "mix.lua"), "-d", f"{args.duration}s", base + "/", "--"]
        run += [str(mix.path), str(mix.order_path), str(args.wrk_threads)]
    else:
        path, headers = ENDPOINTS[name]
        request = urllib.request.Request(base + path, headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:  # raises on any status >= 400
            size = len(response.read())
        command += ["-s", str(server.tmp / "report.lua")]
        for header, value in headers.items():
            command += ["-H", f"{header}: {value}"]
        warmup_url = base + path
        run = [*command, "-d", f"{args.duration}s", base + path]
    if args.warmup:
        subprocess.run([*command, "-d", f"{args.warmup}s", warmup_url], check=True, capture_output=True)
        drain(base)
    cpu_before, rss_before = server_cpu_seconds(server.pid), worker_rss_mb(server.pid)
    offset = server.error_log.stat().st_size
    with profiling(server.pid, args.profile, name, seconds=args.duration):
        output = subprocess.run(run, check=True, capture_output=True, text=True).stdout
    drain(base)  # requests wrk gave up on are still queued: their CPU belongs to this endpoint
    cpu = server_cpu_seconds(server.pid) - cpu_before
    rss_after = worker_rss_mb(server.pid)
    served = read_served(server.error_log, offset, mix if name == MIX else None)
    load = os.getloadavg()[0]
    match = re.search(r"^WRK_JSON (.*)$", output, re.MULTILINE)
    if not match:
        sys.exit(f"no figures from wrk:\n{output}")
    f = json.loads(match.group(1))
    socket_errors = f["connect"] + f["read"] + f["write"] + f["timeout"]
    result = Result(
        name=name,
        requests=f["requests"],
        seconds=f["duration_us"] / 1e6,
        errors=socket_errors + sum(served.unexpected.values()),
        expected_4xx=served.expected_4xx,
        p50_ms=f["p50"] / 1000,
        p95_ms=f["p95"] / 1000,
        p99_ms=f["p99"] / 1000,
        max_ms=f["max"] / 1000,
        cpu_ms_per_request=cpu * 1000 / max(1, served.requests),
        load=load,
        size=size,
        rss_before_mb=rss_before,
        rss_after_mb=rss_after,
    )
    print(
        f"{name:10} {result.rps:8.0f} req/s  p50 {result.p50_ms:7.1f}  p95 {result.p95_ms:7.1f}  "
        f"p99 {result.p99_ms:7.1f} ms  errors {result.errors} (5xx {served.server_errors}, socket "
        f"{socket_errors})  RSS growth {result.rss_growth_mb:+.1f} MB  load {load:.2f}",
        flush=True,
    )
    if name == MIX:
        print(mix_report(served, mix, result))
    for status, method, path in served.examples:
        print(f"  unexpected {status}: {method} {path}")
    for trace in tracebacks(server.error_log, offset)[:5]:
        print(trace)
    return result


@contextlib.contextmanager
def profiling(master: int, directory: Path | None, name: str, *, seconds: int):
    """py-spy (pip install py-spy) sampling every gunicorn process while the block runs, written as
    collapsed stacks to DIR/<name>.txt, with the project's own functions by share of samples printed."""
    if not directory:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / f"{name}.txt"
    command = [shutil.which("py-spy") or "py-spy", "record", "--pid", str(master), "--subprocesses"]
    command += ["--nonblocking", "--format", "raw", "--rate", "50", "--duration", str(seconds)]
    spy = subprocess.Popen(
        [*command, "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield
    finally:
        spy.wait(timeout=seconds + 60)
    print(profile_summary(out))


def profile_summary(path: Path, top: int = 30) -> str:
    """Where the workers' time in requests went, from py-spy's collapsed stacks ("frame;frame;... count"
    lines): the share of samples each function is on the stack (frames every request passes through,
    90% and above, left out), then the share each is at the top of the stack (its own time)."""
    inclusive, own, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "handle_request" not in stack:
            continue  # the master, and workers waiting for a connection
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    lines = [f"py-spy: {total:,} samples in requests ({path}); on the stack:"]
    shown = [(f, n) for f, n in inclusive.most_common() if n < 0.9 * total and not f.startswith("process ")]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in shown[:top]]
    lines.append("own time:")
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top // 2)]
    return "\n".join(lines)


def tracebacks(log: Path, offset: int = 0) -> list[str]:
    """The server's error reports written after `offset`: Django's "Internal Server Error: <path>"
    with its traceback, and gunicorn's own worker errors."""
    found, current = [], None
    with open(log, errors="replace") as lines:
        lines.seek(offset)
        for line in lines:
            if line.startswith(("Internal Server Error:", "Traceback")) and current is None:
                current = [line]
            elif current is not None and line.startswith(("{", "[")):
                found.append("".join(current))
                current = None
            elif current is not None:
                current.append(line)
    if current:
        found.append("".join(current))
    return found


def mix_report(served: Served, mix: Mix, result: Result) -> str:
    """Per kind of request: how many, statuses, the server's own time; then the workers' memory."""
    kinds = Counter(mix.requests[n - 1].kind for n in served.distinct)
    questions = sum(kinds[kind] for kind in QUESTION_KINDS)
    lines = [
        f"mix: {result.requests:,} requests of {mix.order_length:,} drawn"
        + (" (the order was walked more than once)" if result.requests > mix.order_length else "")
        + f"; {questions:,} distinct questions answered of {mix.distinct:,} in the list, "
        f"{len(served.distinct) - questions - kinds['repeated']:,} distinct malformed requests",
        f"answered in under {FAST_MS} ms of server time (the response cache, or a refusal before any work): "
        f"{sum(ms < FAST_MS for times in served.kinds.values() for ms in times) / max(1, served.requests):.0%}",
        "",
        "| kind | requests | statuses | server ms p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in sorted(served.kinds, key=lambda k: -len(served.kinds[k])):
        ms = sorted(served.kinds[kind])
        statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(served.statuses[kind].items()))
        lines.append(
            f"| {kind} | {len(ms):,} | {statuses} | {_pct(ms, 50):.1f} | {_pct(ms, 95):.1f} "
            f"| {_pct(ms, 99):.1f} | {ms[-1]:.0f} |"
        )
    lines.append("")
    lines.append(
        "worker RSS MB, before -> after: "
        + ", ".join(
            f"{result.rss_before_mb.get(pid, 0):.0f} -> {result.rss_after_mb.get(pid, 0):.0f}"
            for pid in sorted(result.rss_before_mb.keys() | result.rss_after_mb.keys())
        )
    )
    return "\n".join(lines)


def _pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else 0.0


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


def server_cpu_seconds(master: int) -> float:
    """CPU time of the gunicorn master, its live workers, and the workers it has already reaped."""
    total = _cpu_ticks(master, with_children=True)
    for pid in _children(master):
        total += _cpu_ticks(pid, with_children=False)
    return total / CLK_TCK


def worker_rss_mb(master: int) -> dict[int, float]:
    """Each live worker's resident memory in MB (10^6 bytes), from /proc/PID/status (VmRSS, in kB)."""
    found = {}
    for pid in _children(master):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            status = Path(f"/proc/{pid}/status").read_text()
            found[pid] = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1)) * 1024 / 1e6
    return found


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


def table(results: list[Result], *, bare: Result | None, mix: Mix | None) -> str:
    lines = [
        "| endpoint | path | bytes | req/s | vs bare | p50 ms | p95 ms | p99 ms | max ms | errors "
        "| expected 4xx | server CPU ms/req | CPU ceiling req/s | worker RSS growth MB | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.name == MIX:
            shown = f"{mix.distinct:,} questions + repeated, Zipf"
        else:
            path, headers = ENDPOINTS[r.name]
            shown = path if len(path) <= 40 else path[:37] + "..."
            if headers:
                shown += " + " + ", ".join(f"{k}: {v}" for k, v in headers.items())
        ratio = f"{r.rps / bare.rps:.0%}" if bare else ""
        # what every core of this machine would serve at that CPU cost, with nothing else running
        ceiling = (os.cpu_count() or 1) * 1000 / r.cpu_ms_per_request if r.cpu_ms_per_request else 0
        lines.append(
            f"| {r.name} | `{shown}` | {r.size:,} | {r.rps:,.0f} | {ratio} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
            f"| {r.p99_ms:.1f} | {r.max_ms:.0f} | {r.errors} | {r.expected_4xx} | {r.cpu_ms_per_request:.2f} "
            f"| {ceiling:,.0f} | {r.rss_growth_mb:+.1f} | {r.load:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
