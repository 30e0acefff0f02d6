import re
from xml.etree import ElementTree

import pytest

from glossary.content import library
from tests.glossary.test_pages import pages_crawled

pytestmark = pytest.mark.django_db

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locations(response) -> set[str]:
    root = ElementTree.fromstring(response.content)
    return {loc.text.removeprefix("http://testserver") for loc in root.iterfind("s:url/s:loc", NS)}


def test_sitemap_lists_pages_terms_guides_listed_gpus_and_models(
    client, catalog, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):  # listed GPUs, LLMs: a count for the paginator, then the rows
        response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    urls = locations(response)
    assert {"/", "/what-runs/", "/what-hardware/", "/glossary/", "/guides/", "/gpus/", "/models/"} <= urls
    assert "/glossary/tensor-parallelism/" in urls and "/guides/memory-math/" in urls
    assert {f"/glossary/{slug}/" for slug in library().terms} <= urls
    assert {f"/guides/{slug}/" for slug in library().guides} <= urls
    assert "/gpus/geforce-rtx-3090/" in urls
    assert "/gpus/apple-m1-8gb/" not in urls  # an unlisted GPU
    assert "/models/llama-3-1-70b-instruct/" in urls
    assert "/models/qwen3-0-6b/" in urls  # every LLM, listed or not


def one_per_pattern(urls: set[str]) -> list[str]:
    """The first URL of each kind: `/gpus/<slug>/` once, every page without a slug."""
    first = {}
    for url in sorted(urls):
        first.setdefault(re.sub(r"^(/[^/]+/)[^/]+/$", r"\1<slug>/", url), url)
    return sorted(first.values())


def test_one_sitemap_url_of_each_kind_answers_200(client, catalog):
    urls = locations(client.get("/sitemap.xml"))
    sample = one_per_pattern(urls)
    assert {"/", "/gpus/", "/glossary/"} <= set(sample) and len(sample) < len(urls)
    for url in sample:
        assert client.get(url).status_code == 200, url


@pytest.mark.slow(reads_crawl=True)
def test_every_sitemap_url_answers_200(client, catalog, tmp_path_factory):
    """Every URL the sitemap lists answers 200: fetched here, unless the whole-site crawl of this run has
    already fetched it (and found it answer 200): ~200 model and GPU pages, ~4 s of CPU."""
    crawled = pages_crawled(tmp_path_factory)
    for url in sorted(locations(client.get("/sitemap.xml"))):
        if url not in crawled:
            assert client.get(url).status_code == 200, url


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_admin(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines and "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_the_sitemap_lists_the_buyers_pages_and_image_models_and_nothing_robots_txt_keeps_out(
    client, catalog
):
    """A visitor review: the sitemap listed /api/, which robots.txt disallowed, and left out the buyer's
    guides, /choose/ and /cost/."""
    from costs.guides import GUIDES

    urls = locations(client.get("/sitemap.xml"))
    assert {"/choose/", "/cost/", "/buyers-guides/", "/api/"} <= urls
    assert {f"/buyers-guides/{slug}/" for slug in GUIDES} <= urls
    disallowed = [
        line.removeprefix("Disallow: ")
        for line in client.get("/robots.txt").content.decode().splitlines()
        if line.startswith("Disallow: ")
    ]
    assert "/api/v1/" in disallowed
    assert not [url for url in urls if any(url.startswith(prefix) for prefix in disallowed)]
