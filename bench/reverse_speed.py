"""Server time of the reverse-question pages ("What runs on my hardware?", "What hardware runs this model?"),
and of a GPU page and the GPU comparison, which ask the first of one card and of each card.

    DATABASE_URL=postgres://... SECRET_KEY=x .venv/bin/python bench/reverse_speed.py [--runs 20]

Sets Django up with DATABASE_URL (migrating and loading the catalog when it is empty), then requests each
question with django.test.Client, `--runs` times after one warm-up, and prints the median and p95 in ms and
the number of SQL queries. Each request finds the page gone from the response cache (config/http_cache.py) but
the catalog-wide caches warm, as a new question does on a running site. The target is under 200 ms per page with the shipped catalog.

    ... bench/reverse_speed.py --cold [--runs 5]

Asks what a visitor sends: each run a question not asked before in the process (another context, or for one
what-runs question another RAM size), so the engine's process caches (`limits.bounded_cache`) hold nothing of
it, and times it in CPU (`time.process_time`: what the request costs the server, whatever else runs on the
machine) and wall time: the median, p95 and max of each, and the SQL queries. The heavy questions come first:
several GPUs with system RAM on what-runs, mixtures of experts with their sets of GPUs and system RAM on
what-hardware.
"""

import argparse
import io
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
import django.conf  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, RequestFactory, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from catalog.models import Gpu, LlmModel  # noqa: E402
from config import http_cache  # noqa: E402

PLAIN_STATIC = "django.contrib.staticfiles.storage.StaticFilesStorage"
QUESTIONS = [
    "/what-runs/?gpu=geforce-rtx-3090&count=2",
    "/what-runs/?gpu=apple-m4-max-128gb&count=1",
    "/what-runs/?gpu=geforce-rtx-4090&count=1&ctx=32768",
    "/what-runs/?gpu=geforce-rtx-4090&count=1&gpu=geforce-rtx-3090&count=1&ram_gb=64",
    "/what-runs/?gpu=h100-sxm5-80-gb&count=8",
    # every image and video model too, those that need offload asked again with the RAM the calculator assumes
    "/what-runs/?gpu=geforce-rtx-3060-12-gb&count=1",
    "/gpus/geforce-rtx-4090/",  # a GPU page asks what-runs' question of one card
    # the comparison asks it of each card for its popular models (catalog.pages.COMPARE_MODELS)
    "/gpus/compare/?gpu=geforce-rtx-3090&gpu=geforce-rtx-4090&gpu=apple-m4-max-128gb&gpu=h100-sxm5-80-gb",
    "/what-hardware/?model=llama-3-3-70b-instruct",
    "/what-hardware/?model=gpt-oss-120b&quant=mxfp4&tok_s=20",
    "/what-hardware/?model=qwen3-30b-a3b&ctx=32768&tok_s=30",
    "/what-hardware/?model=deepseek-r1&quant=q2_k&tok_s=5",
    "/what-hardware/?model=flux-1-dev",  # an image model: one or two of each GPU kind, on the GPU alone
    "/what-hardware/?model=wan-2-1-t2v-14b&quant=fp8",
]
# --cold: CTX (and RAM) are replaced by values no earlier run asked; the heaviest questions first
COLD_QUESTIONS = [
    "/what-runs/?gpu=geforce-rtx-3060-12-gb&count=4&ctx=CTX&ram_gb=96",
    "/what-runs/?gpu=geforce-rtx-3060-12-gb&count=4&ctx=8192&ram_gb=RAM",  # the image rows asked again too
    "/what-runs/?gpu=rtx-a6000&count=3&ctx=CTX",
    "/what-runs/?gpu=geforce-rtx-4090&count=1&gpu=geforce-rtx-3090&count=1&ram_gb=64&ctx=CTX",
    "/what-hardware/?model=deepseek-r1&ctx=CTX",
    "/what-hardware/?model=glm-4-7&ctx=CTX",
    "/what-hardware/?model=qwen3-235b-a22b&ctx=CTX",
    "/what-hardware/?model=qwen3-235b-a22b&ctx=CTX&tok_s=5",
    "/what-hardware/?model=gpt-oss-120b&ctx=CTX&tok_s=20&batch=4",
    "/what-hardware/?model=llama-3-3-70b-instruct&ctx=CTX",
    "/choose/?size=70b&budget=2500&ctx=CTX",
    "/gpus/GPU/",  # at the catalog pages' context: a GPU not asked before
    "/gpus/compare/?gpu=GPU&gpu=GPU&gpu=GPU",
]
# asked first, untimed: each page's catalog tables read (the GPUs named here are left out of the cold ones)
COLD_WARM_UP = [
    "/what-hardware/?model=qwen3-8b",
    "/choose/?size=8b&budget=1000",
    "/gpus/geforce-rtx-4090/",
    "/gpus/compare/?gpu=geforce-rtx-4090&gpu=geforce-rtx-3090",
]
COLD_CONTEXTS = iter(range(5001, 120_000, 173))  # never the same context twice in a run
COLD_RAM = iter(range(33, 4000))  # GB, likewise


def new_question(url: str, gpus) -> str:
    """`url` with a context, a RAM size and GPUs (from `gpus`, the listed ones) no earlier call gave."""
    url = url.replace("CTX", str(next(COLD_CONTEXTS))).replace("RAM", str(next(COLD_RAM)))
    while "GPU" in url:
        url = url.replace("GPU", next(gpus), 1)
    return url


def spread(values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]
    return f"{statistics.median(values):6.0f} {p95:6.0f} {max(values):6.0f}"


def cold(client: Client, runs: int) -> None:
    """Each of COLD_QUESTIONS `runs` times, each time a new question (`new_question`): CPU and wall ms."""
    width = max(len(q) for q in COLD_QUESTIONS)
    for url in COLD_WARM_UP:
        assert client.get(url).status_code == 200, url
    warm = {"geforce-rtx-4090", "geforce-rtx-3090"}
    gpus = iter(
        s
        for s in Gpu.objects.filter(listed=True).order_by("slug").values_list("slug", flat=True)
        if s not in warm
    )
    print(
        f"{'question (new CTX, RAM, GPU each run)':{width}}  CPU ms: median p95 max   wall ms: median p95 max  queries"
    )
    for url in COLD_QUESTIONS:
        cpu, wall = [], []
        for _ in range(runs):
            asked = new_question(url, gpus)
            with CaptureQueriesContext(connection) as queries:
                start, started = time.perf_counter(), time.process_time()
                response = client.get(asked)
                cpu.append((time.process_time() - started) * 1000)
                wall.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, asked
        print(f"{url:{width}}  {spread(cpu)}      {spread(wall)}  {len(queries)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=None, help="per question (20; with --cold, 5)")
    parser.add_argument("--cold", action="store_true", help="a new question each run, timed in CPU")
    args = parser.parse_args()
    runs = args.runs or (5 if args.cold else 20)
    call_command("migrate", verbosity=0)
    if not LlmModel.objects.exists():
        call_command("load_catalog", stdout=io.StringIO())
    try:
        resolve("/what-runs/")
        urlconf = None
    except Resolver404:  # until calculator/urls.py includes calculator.reverse_urls
        urlconf = "calculator.reverse_urls"
    logging.disable(logging.WARNING)  # no request log lines between the results; errors still show
    client = Client()
    width = max(len(q) for q in QUESTIONS)
    settings = {
        "ALLOWED_HOSTS": ["testserver"],
        # templates render without collectstatic having run, as in tests/conftest.py
        "STORAGES": {**django.conf.settings.STORAGES, "staticfiles": {"BACKEND": PLAIN_STATIC}},
    }
    if urlconf:
        settings["ROOT_URLCONF"] = urlconf
    with override_settings(**settings):
        assert (
            client.get("/what-runs/?gpu=geforce-rtx-4090&count=1").status_code == 200
        )  # the catalog's tables
        if args.cold:
            cold(client, runs)
            return
        print(f"{'question':{width}}  median ms  p95 ms  queries")
        for url in QUESTIONS:
            assert client.get(url).status_code == 200, url  # warm-up
            kept = http_cache.kept_key(RequestFactory().get(url))
            times = []
            for _ in range(runs):
                cache.delete(kept)  # the page computed, not served from the response cache
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, url
            p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
            print(f"{url:{width}}  {statistics.median(times):9.1f}  {p95:6.1f}  {len(queries)}")


if __name__ == "__main__":
    main()
