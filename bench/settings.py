"""The site's settings plus one bare view (bench/bare_urls.py), for bench/load.py only."""

import os

from config.settings import *  # noqa: F403
from config.settings import STATIC_ROOT

ROOT_URLCONF = "bench.bare_urls"
# The benchmark collects static files into its own directory, not the one tests and images share.
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT") or STATIC_ROOT
