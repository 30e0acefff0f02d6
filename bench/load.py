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
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from load_report import MIX, Mix, Result, mix_report, profile_summary, read_served, table, tracebacks
from questions import Catalog, Request, distinct_questions, malformed
from server import Server, add_server_arguments, serve

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
    bare = next((r for r in results if r.name == "bare"), None)
    print(table(results, endpoints=ENDPOINTS, bare=bare, mix=mix))
    if server.restarts:
        print(f"\n{server.restarts} worker restarts (max_requests) during the run.")
    return 0


def draw_mix(args) -> tuple[list[Request], list[int]]:
    """The mix's requests and the order they are sent in (1-based numbers into the requests), drawn with
    --seed (bench/cpu.py --mix replays the same draw in one process)."""
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
    return questions + bad, order


def write_mix(tmp: Path, args) -> Mix:
    """The mix's requests and the order wrk sends them in, drawn with --seed, written under `tmp`."""
    requests, order = draw_mix(args)
    path, order_path = tmp / "mix_requests.tsv", tmp / "mix_order.txt"
    with open(path, "w") as out:
        for number, r in enumerate(requests, start=1):
            headers = "|".join(f"{k}:{v}" for k, v in (*r.headers, ("X-Request-ID", f"m{number}")))
            out.write(f"{r.method}\t{r.path}\t{headers}\t{r.body}\n")
    order_path.write_text("\n".join(map(str, order)) + "\n")
    (tmp / "mix.lua").write_text(MIX_SCRIPT + WRK_SCRIPT)
    return Mix(requests, len(order), args.questions, path, order_path)


# --- Measuring -----------------------------------------------------------------------------------------


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


if __name__ == "__main__":
    sys.exit(main())
