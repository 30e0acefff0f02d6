"""Gunicorn's settings, read from the environment (scripts/container-start.sh passes this file).

WEB_CONCURRENCY          worker processes (default 2 x CPUs + 1, gunicorn's advice for sync workers: while one
                         waits on PostgreSQL or the network, another computes)
GUNICORN_THREADS         threads per worker (default 1: sync workers, the fastest and steadiest behind nginx,
                         which buffers slow clients; above 1, gthread workers, which keep connections alive:
                         use them when clients reach gunicorn directly, since a sync worker closes each
                         connection and waits for the client's own close before the next request (gunicorn
                         27, RFC 9112 section 9.6): microseconds from nginx, a network round trip from a
                         browser. Measured in bench/README.md, "Load")
GUNICORN_BIND            address(es) to listen on, comma-separated (default BIND:PORT, i.e. 0.0.0.0:8000)
GUNICORN_TIMEOUT         seconds before a silent worker is killed and replaced (default 30)
GUNICORN_GRACEFUL_TIMEOUT seconds a worker gets to finish its requests on restart (default 30)
GUNICORN_KEEPALIVE       seconds an idle keep-alive connection is held (default 5; above nginx's 4 s idle)
GUNICORN_MAX_REQUESTS    requests before a worker is recycled, a guard against slow leaks (default 0: never;
                         none was found, and restarts slowed the load benchmark, bench/README.md "Load")
GUNICORN_MAX_REQUESTS_JITTER  random extra, so workers do not all restart at once (default 20000, when
                         GUNICORN_MAX_REQUESTS is set)
GUNICORN_PRELOAD         import Django once in the master, and warm it (`warm`), before forking (default 1):
                         workers share its memory, and a recycled worker forks ready instead of importing
                         it all again (~0.7 s of CPU); 0: each worker warms its own
GUNICORN_ACCESS_LOG      "off" (default): the site logs every request itself (one JSON line with its request id,
                         status and time, config/middleware.py) and nginx logs at the edge; "-" for stdout
                         or a file path adds gunicorn's own JSON access line
GUNICORN_LIMIT_REQUEST_LINE  bytes of a request line gunicorn reads (default 8190, its most short of unlimited);
                         a longer one is answered with the site's 414 page (config/gunicorn_workers.py)
FORWARDED_ALLOW_IPS      proxies whose X-Forwarded-* headers gunicorn trusts (default 127.0.0.1,::1)
"""

import gc
import json
import os

from gunicorn.glogging import Logger, SafeAtoms


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "config.wsgi:application"

bind = [
    address.strip()
    for address in (
        os.environ.get("GUNICORN_BIND")
        or f"{os.environ.get('BIND') or '0.0.0.0'}:{os.environ.get('PORT') or '8000'}"
    ).split(",")
    if address.strip()
]
# The CPUs this process may run on (a container's cpuset; not a --cpus quota: set WEB_CONCURRENCY there).
workers = _int("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0)) + 1)
threads = _int("GUNICORN_THREADS", 1)
# gunicorn's sync and gthread workers, answering a request line over `limit_request_line` with the site's
# own 414 page instead of gunicorn's bare one (config/gunicorn_workers.py)
worker_class = f"config.gunicorn_workers.{'SiteThreadWorker' if threads > 1 else 'SiteSyncWorker'}"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A permalink carries "your own model" as a compact config.json: allow gunicorn's largest request line
# short of none at all (0, which reads a line of any length). The site answers an address over its own
# bound, config/middleware.py MAX_URL_CHARS (8,100, which this line holds with "POST " and " HTTP/1.1"),
# with its 414 page, and the worker answers a line over this one with the same page.
limit_request_line = _int("GUNICORN_LIMIT_REQUEST_LINE", 8190)
# Workers are not recycled unless asked: object counts stay flat over 20,000 requests (no leak to bound),
# and in the load benchmark the endpoints measured after a round of restarts had a p95 of ~100 ms, against
# ~60 ms in runs without them (bench/README.md, "Load"). Set it if a worker's memory ever grows.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 20000)
# Safe: importing the project opens no database connection (Django connects on first query, per thread).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").strip().lower() in {"1", "true", "yes", "on"}
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"
# Heartbeat files on tmpfs when there is one: a container's overlay filesystem can stall them.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Gunicorn 23+ opens a control socket in $HOME by default; several servers on one machine (tests,
# benchmarks, replicas sharing a home) would fight over it, and nothing here uses gunicornc.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "") == ""
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "off").strip()
accesslog = None if _access_log.lower() in {"", "off", "none", "0"} else _access_log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "forwarded_for": "%({x-forwarded-for}i)s", '
    '"method": "%(m)s", "path": "%(U)s", "query": "%(q)s", "status": %(s)s, "bytes": "%(b)s", '
    '"ms": %(M)s, "request_id": "%({x-request-id}o)s", "user_agent": "%(a)s", "pid": "%(p)s"}'
)


class JsonAtoms(SafeAtoms):
    """Gunicorn's SafeAtoms escapes only double quotes; escape as JSON does, so each line parses."""

    def __init__(self, atoms):
        dict.__init__(self, {k: json.dumps(v)[1:-1] if isinstance(v, str) else v for k, v in atoms.items()})


class JsonAccessLogger(Logger):
    atoms_wrapper_class = JsonAtoms


logger_class = JsonAccessLogger


# What a worker's first requests would otherwise do, done before it serves (`warm`), each a function taking no
# argument: the URLconf with every view, the templates and the release digest (config/warm.py); the glossary
# and guides, rendered Markdown (bench/fuzz_requests.py saw a worker's first /guides/ or /sitemap.xml take
# 1.1-1.3 s); the reverse questions' catalog tables and the engine's per-model tables their first-visit
# answers build (reverse_questions/warm.py: a worker's first answer took two to three times its second).
WARM_UPS = ("config.warm.warm_process", "glossary.content.library", "reverse_questions.warm.warm")


def warm(log) -> None:
    """Run WARM_UPS, then close the database connections they opened: a forked worker opens its own."""
    import time

    from django.db import connections
    from django.utils.module_loading import import_string

    started = time.process_time()
    for name in WARM_UPS:
        try:
            import_string(name)()
        except Exception:  # a broken template or content file, no database yet: the requests will say which
            log.exception("%s failed before the first request", name)
    connections.close_all()
    log.info("Warmed up in %.0f ms of CPU", (time.process_time() - started) * 1000)


def when_ready(server):
    """With the app preloaded, the master warms it once, before forking the first workers: they share what it
    built (copy-on-write, as the imports), and so does a worker forked later to replace one."""
    if preload_app:
        warm(server.log)


def post_worker_init(worker):
    """Without preloading, each worker warms its own, before its first request."""
    if not preload_app:
        warm(worker.log)


def pre_fork(server, worker):
    """Move everything imported and built so far (Django, the project, the engine, `warm`'s tables) out of the
    garbage collector's reach before forking: workers then scan only their own new objects, so collections
    stay short, and the shared pages are not written to by the collector, so they stay shared (copy-on-write)."""
    gc.freeze()


# The worker's collector looks at its youngest objects every this many allocations more than frees (CPython's
# default: 700). A worker's own caches (the engine's, the catalog tables) grow past the frozen
# imports, and at 700 the collector went through all of them every ~400 requests of bench/load.py's mix, 65-70 ms
# each time, inside whichever request triggered it; at 10,000 (as tests/conftest.py for pytest), 2 full
# collections instead of 13 over 5,000 requests, 1.2 s of collecting instead of 1.6-1.8 s, +6 MB peak
# (bench/README.md, "Load"). Garbage with a cycle still goes, only later.
GC_YOUNGEST = 10_000


def post_fork(server, worker):
    gc.set_threshold(GC_YOUNGEST, *gc.get_threshold()[1:])
