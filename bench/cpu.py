"""CPU time per request, by kind, for questions the cache has not seen: in one process, no server.

    source /tmp/devenv.sh NAME && .venv/bin/python bench/cpu.py            # 60 per kind after 30 warm-up
    .venv/bin/python bench/cpu.py --per-kind 100 --profile page partial    # + cProfile of those kinds
    .venv/bin/python bench/cpu.py --kinds page --slowest 8                 # + the 8 slowest pages asked
    CACHE_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/cpu.py --mix 10000   # the mix, hits too

bench/load.py measures the server under load, where latency depends on everything else the machine
runs; this measures what one uncached question costs the process that answers it (time.process_time,
which other work on the machine disturbs little). The questions are bench/load.py's mix (same kinds,
same generator), each asked once: a warm-up round of other questions first (imports, template
compilation, per-catalog caches), then --per-kind new ones of each kind, through Django's test client
with the site's middleware, against DATABASE_URL (a migrated database with the catalog loaded).

--mix N replays instead the first N requests of bench/load.py's mix (its draw, with its defaults) in
this one process after the warm-up, cache hits and malformed requests included: CPU ms per request as
the workers spend it, less gunicorn's HTTP and the kernel's, and with a shared cache (CACHE_URL=redis://)
the same hits and misses as five workers sharing it. Redis's own CPU is printed apart.

--as-worker prepares the garbage collector as gunicorn.conf.py does a worker's (the imports frozen out of
its reach, its threshold): without it, full collections go through every object imported, as in a plain
process.
"""

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-kind", type=int, default=60, help="measured questions per kind (60)")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured questions per kind first (30)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kinds", nargs="+", help="only these kinds of question (default: every kind)")
    parser.add_argument("--profile", nargs="*", default=[], help="kinds to run under cProfile as well")
    parser.add_argument("--top", type=int, default=40, help="rows of each profile (40)")
    parser.add_argument("--slowest", type=int, default=0, help="list each kind's N slowest questions")
    parser.add_argument("--mix", type=int, help="replay the first N requests of bench/load.py's mix instead")
    parser.add_argument(
        "--as-worker",
        action="store_true",
        help="the collector as in a gunicorn worker: imports frozen (pre_fork), its threshold (post_fork)",
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    for name in ("API_RATE_LIMIT", "PAGE_RATE_LIMIT", "SHARE_RATE_LIMIT"):
        os.environ[name] = "0"
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from bench import questions
    from glossary.content import library

    library()  # built before forking under gunicorn (gunicorn.conf.py pre_fork), not by a request
    if args.as_worker:
        import runpy

        worker = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        worker["pre_fork"](None, None)
        worker["post_fork"](None, None)

    rng = random.Random(args.seed)
    catalog = questions.Catalog.from_fixtures()
    wanted = args.warmup + args.per_kind
    by_kind: dict[str, list] = {kind: [] for kind in args.kinds or questions.QUESTION_KINDS}
    while any(len(found) < wanted for found in by_kind.values()):
        for kind, found in by_kind.items():
            if len(found) < wanted:
                request = questions.question(rng, catalog, kind)
                if request not in found:
                    found.append(request)
    client = Client(HTTP_HOST="127.0.0.1")
    cache.clear()

    def ask(request) -> int:
        headers = dict(request.headers)
        return client.generic(request.method, request.path, headers=headers).status_code

    for found in by_kind.values():
        for request in found[: args.warmup]:
            ask(request)
    if args.mix:
        return replay(args, ask, cache)
    print(f"load average {os.getloadavg()[0]:.2f}; {args.per_kind} new questions per kind", flush=True)
    print("| kind | CPU ms mean | p50 | p95 | statuses |")
    print("|---|---|---|---|---|")
    everything, slowest = [], []
    for kind, found in by_kind.items():
        spent, statuses = [], {}
        for request in found[args.warmup :]:
            started = time.process_time()
            status = ask(request)
            spent.append((time.process_time() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
        everything += spent
        slowest += sorted(zip(spent, found[args.warmup :], strict=True), key=lambda pair: -pair[0])[
            : args.slowest
        ]
        spent.sort()
        shown = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
        print(
            f"| {kind} | {statistics.mean(spent):.1f} | {spent[len(spent) // 2]:.1f} "
            f"| {spent[int(len(spent) * 0.95)]:.1f} | {shown} |",
            flush=True,
        )
    print(f"| all, as many of each | {statistics.mean(everything):.1f} | | | |")
    for ms, request in slowest:
        print(f"{ms:6.1f} ms  {request.method} {request.path}")
    for kind in args.profile:
        more = [questions.question(rng, catalog, kind) for _ in range(args.per_kind)]
        profile = cProfile.Profile(time.process_time)  # CPU time: waits on PostgreSQL left out
        profile.enable()
        for request in more:
            ask(request)
        profile.disable()
        print(f"\ncProfile, {len(more)} new {kind} questions, by own time then cumulative:")
        stats = pstats.Stats(profile).strip_dirs()
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    return 0


def replay(args, ask, cache) -> int:
    """The first --mix requests of bench/load.py's mix, in its order, from an empty cache."""
    sys.path.insert(0, str(ROOT / "bench"))
    import load

    drawn = argparse.Namespace(seed=12, questions=12_000, zipf=1.0, malformed=0.05, sequence=args.mix)
    requests, order = load.draw_mix(drawn)
    cache.clear()
    redis = getattr(cache, "_cache", None)
    redis_cpu = _redis_cpu(redis)
    spent: dict[str, list[float]] = {}
    profile = cProfile.Profile(time.process_time) if "mix" in args.profile else None
    if profile:
        profile.enable()
    started = time.process_time()
    for number in order:
        request = requests[number - 1]
        began = time.process_time()
        ask(request)
        spent.setdefault(request.kind, []).append((time.process_time() - began) * 1000)
    total = time.process_time() - started
    if profile:
        profile.disable()
    everything = [t for times in spent.values() for t in times]
    redis_ms = (_redis_cpu(redis) - redis_cpu) * 1000 / len(order) if redis else 0
    print(
        f"load average {os.getloadavg()[0]:.2f}; the mix's first {len(order)} requests: "
        f"{total * 1000 / len(order):.3f} CPU ms per request ({redis_ms:.3f} more in Redis), "
        f"{sum(t < 3 for t in everything) / len(everything):.0%} under 3 ms"
    )
    print("| kind | requests | CPU ms mean | p50 | p95 |")
    print("|---|---|---|---|---|")
    for kind, times in sorted(spent.items(), key=lambda item: -sum(item[1])):
        times.sort()
        print(
            f"| {kind} | {len(times)} | {statistics.mean(times):.2f} | {times[len(times) // 2]:.2f} "
            f"| {times[int(len(times) * 0.95)]:.2f} |"
        )
    if profile:
        stats = pstats.Stats(profile).strip_dirs()
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    return 0


def _redis_cpu(backend) -> float:
    """Redis's own CPU seconds so far (user + system), or 0 for another cache."""
    if backend is None or not hasattr(backend, "get_client"):
        return 0.0
    info = backend.get_client(write=False).info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


if __name__ == "__main__":
    sys.exit(main())
