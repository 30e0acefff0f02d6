"""Server time of the reverse-question pages ("What runs on my hardware?", "What hardware runs this model?"),
and of a GPU page and the GPU comparison, which ask the first of one card and of each card.

    DATABASE_URL=postgres://... SECRET_KEY=x .venv/bin/python bench/reverse_speed.py [--runs 20]

Sets Django up with DATABASE_URL (migrating and loading the catalog when it is empty), then requests each
question with django.test.Client, `--runs` times after one warm-up, and prints the median and p95 in ms and
the number of SQL queries. Each request finds the page gone from the response cache (config/http_cache.py) but
the catalog-wide caches warm, as a new question does on a running site. The target is under 200 ms per page with the shipped catalog.
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

from catalog.models import LlmModel  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
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
    print(f"{'question':{width}}  median ms  p95 ms  queries")
    settings = {
        "ALLOWED_HOSTS": ["testserver"],
        # templates render without collectstatic having run, as in tests/conftest.py
        "STORAGES": {**django.conf.settings.STORAGES, "staticfiles": {"BACKEND": PLAIN_STATIC}},
    }
    if urlconf:
        settings["ROOT_URLCONF"] = urlconf
    with override_settings(**settings):
        for url in QUESTIONS:
            assert client.get(url).status_code == 200, url  # warm-up
            kept = http_cache.kept_key(RequestFactory().get(url))
            times = []
            for _ in range(args.runs):
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
