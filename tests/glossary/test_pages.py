import contextlib
import json
import os
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.template import Template
from django.test.utils import _TestState
from django.urls import resolve

from calculator.answer import STRATEGY_TERMS
from glossary.content import library, render_markdown
from glossary.views import worked_example

pytestmark = pytest.mark.django_db


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and (href := dict(attrs).get("href")):
            self.hrefs.append(href)


def internal_links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return [urldefrag(h)[0] for h in parser.hrefs if not urlsplit(h).netloc and h.startswith("/")]


def crawl(client, *, one_per_pattern: bool, answers: bool = True) -> tuple[list[str], set[str]]:
    """Follow every internal link from the home page; every page answers 200. With `one_per_pattern`,
    a link is followed only when its URL pattern (the view and whether it has a query) is new: every
    kind of page is still visited, and every link of the pages visited is checked to resolve.
    Without `answers`, the calculator's answers (`/?…`, pages whose links are not followed) are
    collected, not fetched. The pages fetched, and the answers left."""
    seen, patterns, queue, pages, left = set(), set(), ["/"], [], set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        pattern = (resolve(urlsplit(url).path).route, bool(urlsplit(url).query))
        if one_per_pattern and pattern in patterns:
            continue
        patterns.add(pattern)
        if not answers and url.startswith("/?"):
            left.add(url)
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(url)
        if response["Content-Type"].startswith("text/html") and not url.startswith("/?"):
            queue.extend(u for u in internal_links(response.content.decode()) if u not in seen)
    for url in seen - {"/"}:  # links not followed still name a page that exists
        resolve(urlsplit(url).path)
    return pages, left


def test_crawler_visits_every_kind_of_page_and_finds_no_broken_link(client, catalog):
    with templates_not_recorded():
        assert len(crawl(client, one_per_pattern=True)[0]) > 20


# The whole site is ~12,300 pages, ~11,900 of them the calculator's answers linked from the model and
# GPU pages. The other pages are crawled once per run (`site`, ~6 s of CPU) and each shard fetches its
# share of the answers, so both cores share the crawl. An answer is fetched as HTMX asks for it, the
# #result partial (~13 ms against ~17 for the whole page): what differs between answers is all there,
# and the page around it (the form, its pickers) is fetched whole for the first answer of each shard.
CRAWL_SHARDS = 8
_SITE: dict[str, tuple[list[str], list[str]]] = {}


def site(client, tmp_path_factory) -> tuple[list[str], list[str]]:
    """The whole-site crawl without the answers: the pages it fetched (each answered 200, and every link on
    them names a page that exists), and the answers linked from them.

    Crawled once per run, not once per pytest-xdist worker: the first test to crawl leaves what it found
    in the run's temporary directory, shared by its workers (whose test databases are copies of the same
    template), and the others read it there. It is the first test of the run (`first=True`,
    tests/conftest.py), so that the shards find it done; a shard that does not (a run of the shards
    alone) crawls too rather than wait."""
    kept = crawled(tmp_path_factory)
    if kept is None:
        with templates_not_recorded():
            pages, answers = crawl(client, one_per_pattern=False, answers=False)
        kept = (pages, sorted(answers))
        if worker := os.environ.get("PYTEST_XDIST_WORKER"):
            found = crawl_file(tmp_path_factory)
            mine = found.with_name(f"{found.name}.{worker}")
            mine.write_text(json.dumps(kept))
            mine.rename(found)  # whole or not at all, for a worker reading it meanwhile
    _SITE["site"] = kept
    return kept


def crawl_file(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp().parent / "whole-site-crawl.json"  # the run's, above each worker's


def crawled(tmp_path_factory) -> tuple[list[str], list[str]] | None:
    """What the whole-site crawl of this run found so far, its pages (each answered 200) and answers: this
    worker's, or another worker's left in the run's directory; None if it has not run yet."""
    if "site" in _SITE:
        return _SITE["site"]
    found = crawl_file(tmp_path_factory)
    if os.environ.get("PYTEST_XDIST_WORKER") and found.exists():
        pages, answers = json.loads(found.read_text())
        return pages, answers
    return None


def pages_crawled(tmp_path_factory) -> set[str]:
    """The pages the whole-site crawl of this run has fetched so far: none if it has not run yet."""
    kept = crawled(tmp_path_factory)
    return set(kept[0]) if kept else set()


@pytest.mark.slow(first=True)
def test_crawler_fetches_every_page_of_the_site_but_the_answers(client, catalog, tmp_path_factory):
    pages, answers = site(client, tmp_path_factory)
    assert len(pages) > 50 and len(answers) > 50 * CRAWL_SHARDS


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(CRAWL_SHARDS))
def test_crawler_finds_no_broken_internal_link_on_the_whole_site(client, catalog, shard, tmp_path_factory):
    pages, answers = site(client, tmp_path_factory)
    assert len(pages) > 50 and len(answers) > 50 * CRAWL_SHARDS
    mine = [url for url in answers if zlib.crc32(url.encode()) % CRAWL_SHARDS == shard]
    assert mine
    assert client.get(mine[0]).status_code == 200, mine[0]
    with templates_not_recorded():
        for url in mine:
            response = client.get(url, headers={"HX-Request": "true"})
            if "HX-Redirect" in response.headers:  # an image model asked of the LLM form: htmx loads the page
                response = client.get(response.headers["HX-Redirect"])
                assert response.status_code == 200 and b'id="result' in response.content, url
            else:
                assert response.status_code == 200 and b'id="result' in response.content[:2000], url
            assert not refused(response.content), url  # a link to a question the calculator refuses is broken


def refused(html: bytes) -> bool:
    """Whether an answer is the calculator's refusal: the fields to fix (_problems.html), or the engine's
    reason the question cannot be answered (the form's non-field error)."""
    return b'data-testid="problems"' in html or b'data-testid="form-error"' in html


@contextlib.contextmanager
def templates_not_recorded():
    """Django's test environment wraps Template._render so that the test client records every template
    rendered with a copy of its context: ~4 of the ~18 ms of CPU an answer costs, over ~11,700 answers.
    The crawl reads no context; the wrapping (setup_test_environment keeps what it wrapped) is put back
    after it."""
    recorded = Template._render
    Template._render = _TestState.saved_data.template_render
    try:
        yield
    finally:
        Template._render = recorded


def test_the_crawl_tells_a_refused_answer_from_an_answer(client, catalog):
    question = "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=apple-m4-max-128gb"
    with templates_not_recorded():
        answered = client.get(question, headers={"HX-Request": "true"})
        no_ram = client.get(f"{question}&ram_gb=32", headers={"HX-Request": "true"})  # unified memory
    assert not refused(answered.content) and refused(no_ram.content)
    assert answered.context is None  # nothing recorded inside, as the whole-site crawl needs
    assert client.get(question).context is not None  # and recorded again after


def test_every_term_and_guide_is_two_clicks_from_home(client, catalog):
    first = set(internal_links(client.get("/").content.decode()))
    second = set(first)
    for url in first:
        if url.startswith(("/glossary/", "/guides/")):
            second |= set(internal_links(client.get(url).content.decode()))
    lib = library()
    assert {f"/glossary/{slug}/" for slug in lib.terms} <= second
    assert {f"/guides/{slug}/" for slug in lib.guides} <= second


def test_every_term_a_result_links_to_has_a_page():
    terms = library().terms
    for slug in STRATEGY_TERMS.values():
        assert slug in terms, slug
    for slug in ("model-weights", "kv-cache", "compute-buffer", "runtime-overhead", "decode", "prefill"):
        assert slug in terms, slug


def test_related_terms_and_guide_terms_exist():
    lib = library()
    for page in lib.terms.values():
        assert set(page.related) <= set(lib.terms), page.slug
    for guide in lib.guides.values():
        assert set(guide.related) <= set(lib.terms), guide.slug


def test_worked_example_numbers_are_the_engines(client, catalog):
    page = library().terms["kv-cache"]
    example = worked_example(page.example)
    response = client.get("/glossary/kv-cache/")
    assert response.context["example"] == example["example"]
    # Llama 3.1 8B: 128 KiB per token × 8192 tokens = 1.0 GiB, computed by the engine, not typed
    assert example["example"].memory.kv_cache_bytes == 128 * 1024 * 8192
    assert "1.0 GiB" in response.content.decode()


def test_markdown_cannot_carry_script():
    html = render_markdown(
        'Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="alert(1)">'
    )
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_a_numbered_list_goes_on_after_a_command(client):
    """22 error pages' fixes read "1. 2. 3.", a command, then "1." again for step 4."""
    html = render_markdown(
        "1. Lower it.\n2. Fewer.\n\n```\nvllm serve m\n```\n\n4. Check nothing else runs.\n"
    )
    assert '<ol start="4">' in html
    page = client.get("/errors/vllm-cuda-out-of-memory/").content.decode()
    assert '<ol start="4">' in page


def test_a_table_too_wide_for_a_phone_is_cards_and_a_narrow_one_stays_a_table(client):
    """A review: a guide's 6-column table on a phone was wider than the screen, its rows a word a line.
    Cards (site.css .cards): each row's first cell its title, each other cell labelled by its column."""
    wide = render_markdown(
        '| Card | Memory | Notes "x" |\n|---|---|---|\n'
        "| **GeForce RTX 3090** | 24 GB | bought second-hand; an NVLink bridge pairs two of them for tensor parallel |\n"
        "| GeForce RTX 4090 | 24 GB | |\n"
    )
    assert '<table class="cards">' in wide
    assert '<th scope="row"><strong>GeForce RTX 3090</strong></th><td data-label="Memory">24 GB</td>' in wide
    assert '<td data-label="Notes &quot;x&quot;">bought second-hand' in wide
    assert "<th>Card</th>" in wide  # the heading row is kept, for screen readers and the desktop
    narrow = render_markdown("| Card | Memory |\n|---|---|\n| RTX 3090 | 24 GB |\n")
    assert "<table>" in narrow and "data-label" not in narrow
    guide = client.get("/guides/buying-gpus/").content.decode()
    assert '<table class="cards">' in guide and 'data-label="Bandwidth">936 GB/s</td>' in guide


def test_unknown_term_is_a_404(client):
    assert client.get("/glossary/no-such-term/").status_code == 404


def test_every_glossary_slug_the_engine_can_attach_has_a_page():
    from estimator import GLOSSARY_TERMS

    assert set(GLOSSARY_TERMS) <= set(library().terms)
