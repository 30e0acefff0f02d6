"""A guide page as a visitor on a phone reads it: its calculator links in words, its tables in a box that
scrolls."""

import html as markup
import re

import pytest
from django.urls import reverse

from glossary.content import library

pytestmark = pytest.mark.django_db


def tried(html: str) -> list[tuple[str, str]]:
    """(href, text) of each link under "Try it in the calculator"."""
    section = html.split("<h2>Try it in the calculator</h2>", 1)[1].split("</ul>", 1)[0]
    return [
        (markup.unescape(h), markup.unescape(t))
        for h, t in re.findall(r'<a href="([^"]+)">([^<]+)</a>', section)
    ]


def test_the_calculator_links_of_a_guide_say_the_question_in_words(client, catalog):
    html = client.get("/guides/70b-at-32k-on-two-24-gb-cards/").content.decode()
    links = tried(html)
    guide = library().guides["70b-at-32k-on-two-24-gb-cards"]
    assert [href for href, _ in links] == [f"/?{q}" for q in guide.calculators]
    assert links[0][1] == "Llama 3.3 70B Instruct, Q4_K_M, on 2× GeForce RTX 3090, 32K context, llama.cpp"
    assert links[1][1].endswith(", llama.cpp, KV cache in q8_0")


@pytest.mark.parametrize("slug", sorted(library().guides))
def test_no_guide_link_reads_as_a_query_string(client, catalog, slug):
    html = client.get(f"/guides/{slug}/").content.decode()
    if library().guides[slug].calculators:
        texts = [text for _, text in tried(html)]
        assert texts and all("=" not in t and "&" not in t for t in texts), texts
        assert len(set(texts)) == len(texts)  # each link tells itself apart from the others


def test_no_glossary_or_error_page_link_reads_as_a_query_string(client, catalog):
    """The glossary's terms and error pages link the calculator too ("See it in the calculator", "See the
    cause in the calculator"): in words, as the guides do."""
    lib = library()
    pages = [(reverse("glossary:term", args=[s]), p) for s, p in lib.terms.items()]
    pages += [(reverse("glossary:error", args=[s]), p) for s, p in lib.errors.items()]
    checked = 0
    for url, page in pages:
        if not page.calculators:
            continue
        html = client.get(url).content.decode()
        section = html.split("in the calculator</h2>", 1)[1].split("</ul>", 1)[0]
        texts = [markup.unescape(t) for t in re.findall(r'<a href="/\?[^"]+">([^<]+)</a>', section)]
        assert len(texts) == len(page.calculators), url
        assert all("=" not in t and "&" not in t for t in texts), (url, texts)
        checked += 1
    assert checked >= 3
