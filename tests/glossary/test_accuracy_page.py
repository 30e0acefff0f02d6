"""/accuracy/: the held-out errors bench/accuracy.py wrote, as a visitor reads them, and the links to the page."""

import html as markup
import json
import re

import pytest
from django.conf import settings

from glossary.accuracy import percent

pytestmark = pytest.mark.django_db

FIGURES = json.loads((settings.BASE_DIR / "bench/data/accuracy_figures.json").read_text())
CLASSES = {entry["class"]: entry for entry in FIGURES["classes"]}


def text(html: str) -> str:
    return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def table(html: str, testid: str) -> str:
    found = re.search(rf'<table [^>]*data-testid="{testid}">(.*?)</table>', html, re.S)
    assert found, testid
    return text(found.group(1))


def test_the_page_shows_the_held_out_figures_the_bench_wrote(client):
    html = client.get("/accuracy/").content.decode()
    decode = CLASSES["decode, single GPU, all"]
    median, p90 = decode["held_out"]
    assert (
        f"Decode on one GPU {100 * median:.1f}% {100 * p90:.1f}% {decode['rows']} {decode['devices']}"
        in table(html, "accuracy-headlines")
    )
    multi = CLASSES["multi-GPU layer split, decode"]
    assert f"(layer split) {100 * multi['held_out'][0]:.1f}%" in table(html, "accuracy-headlines")
    classes = table(html, "accuracy-classes")
    assert all(name in classes for name in CLASSES if " · " in name)
    coverage = FIGURES["range_coverage"]["decode"]
    assert f"{100 * coverage:.0f}% of decode measurements" in text(html)
    assert f"{FIGURES['rows']:,} published measurements from {FIGURES['devices']} devices" in text(html)


def test_the_weak_spots_are_the_classes_over_twelve_percent(client):
    html = client.get("/accuracy/").content.decode()
    weak = [name for name, entry in CLASSES.items() if " · " in name and entry["held_out"][0] > 0.12]
    found = re.search(r'<ul data-testid="accuracy-weak">(.*?)</ul>', html, re.S)
    listed = re.findall(r"<li>(.*?):", found.group(1)) if found else []
    assert [markup.unescape(name) for name in listed] == weak


def test_a_weak_spot_just_over_the_limit_does_not_read_as_at_it():
    assert percent(0.1204, above=0.12) == "12.04%"  # one decimal, "12.0%", would not read as over 12%
    assert (
        percent(0.1254, above=0.12) == "12.5%"
        and percent(0.1196, above=0.12) == "12.0%"
        and percent(0.1204) == "12.0%"
    )


def test_every_page_links_to_it_and_the_sitemap_lists_it(client):
    home = client.get("/").content.decode()
    assert 'href="/accuracy/">How accurate</a>' in home
    assert "/accuracy/</loc>" in client.get("/sitemap.xml").content.decode()


def test_every_answer_links_it_where_it_explains_the_ranges(client, catalog):
    answer = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=1&ctx=8192")
    why = re.search(r'<details class="why">(.*?)</details>', answer.content.decode(), re.S).group(1)
    assert 'devices left out of the fit: <a href="/accuracy/">how accurate</a>' in why
