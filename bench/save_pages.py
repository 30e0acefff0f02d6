"""Save the answers to a few hundred distinct questions, to compare two trees byte for byte.

    cd TREE && source /tmp/devenv.sh NAME && .venv/bin/python bench/save_pages.py /tmp/before.jsonl.gz
    cd OTHER && .venv/bin/python /path/to/bench/save_pages.py /tmp/after.jsonl.gz
    .venv/bin/python bench/save_pages.py --compare /tmp/before.jsonl.gz /tmp/after.jsonl.gz

The questions are bench/load.py's mix generator's (bench/questions.py, a fixed seed): calculator pages,
HTMX partials, API answers, what-runs and what-hardware pages (a quarter of the reverse ones again as
HTMX partials), and with --malformed N that many of the mix's malformed requests (a page's again as an
HTMX partial: the errors beside their fields), each asked once through Django's test client from an
empty cache. The tree measured is the working directory's (its code and templates), so one copy of this
script serves both trees.
"""

import argparse
import gzip
import hashlib
import json
import os
import random
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", help="file to write (.jsonl.gz)")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--per-kind",
        default="what-runs=300,what-hardware=250,page=120,partial=80,api=80",
        help="questions per kind (kind=n,...)",
    )
    parser.add_argument("--malformed", type=int, default=0, help="malformed requests of the mix too")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    sys.path.insert(0, os.getcwd())  # the tree under test, not this script's
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    for name in ("API_RATE_LIMIT", "PAGE_RATE_LIMIT", "SHARE_RATE_LIMIT"):
        os.environ[name] = "0"
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from bench import questions

    rng = random.Random(args.seed)
    catalog = questions.Catalog.from_fixtures()
    wanted = {kind: int(n) for kind, n in (part.split("=") for part in args.per_kind.split(","))}
    found: dict = {}
    for kind, n in wanted.items():
        asked = 0
        while asked < n:
            request = questions.question(rng, catalog, kind)
            if request in found:
                continue
            found[request] = None
            asked += 1
            if kind.startswith("what-") and asked % 4 == 0:
                found[questions.Request(kind, request.path, headers=(("HX-Request", "true"),))] = None
    for _ in range(args.malformed):
        request = questions.malformed(rng, catalog)
        found[request] = None
        if request.path.startswith("/?"):
            found[questions.Request(request.kind, request.path, headers=(("HX-Request", "true"),))] = None
    client = Client(HTTP_HOST="127.0.0.1")
    cache.clear()
    with gzip.open(args.out, "wt") as out:
        for request in found:
            response = client.generic(request.method, request.path, headers=dict(request.headers))
            body = response.content.decode(errors="replace")
            line = {"path": request.path, "headers": request.headers, "status": response.status_code}
            line |= {"method": request.method} if request.method != "GET" else {}
            out.write(json.dumps(line | {"body": body}) + "\n")
    print(f"{len(found)} answers written to {args.out}")
    return 0


def compare(before: str, after: str) -> int:
    def read(name: str) -> dict:
        with gzip.open(name, "rt") as f:
            return {
                (d.get("method", "GET"), d["path"], str(d["headers"])): (d["status"], d["body"])
                for d in map(json.loads, f)
            }

    old, new = read(before), read(after)
    differ = [key for key in old if old[key] != new.get(key)]
    digest = lambda pages: hashlib.sha256(repr(sorted(pages.items())).encode()).hexdigest()[:16]  # noqa: E731
    print(f"{len(old)} and {len(new)} answers; {len(differ)} differ; sha256 {digest(old)} {digest(new)}")
    for key in differ[:5]:
        print("differs:", key)
    return 1 if differ or old.keys() != new.keys() else 0


if __name__ == "__main__":
    sys.exit(main())
