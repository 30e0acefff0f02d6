"""Worked examples and calculator links agree with the page they are on.

Every example in a term's front matter, every link in a page's `calculators:` list and every calculator link
written in its text must be a question the calculator answers. A term's `expect:` states what its example
shows, and a link whose own words make a claim ("[does not fit](/?...)", "[fits, tight](/?...)") must get that
answer: a change to the engine or the catalog that makes a page wrong fails here, not in front of a reader.
"""

import re
from pathlib import Path

import frontmatter
import pytest
from django.conf import settings

from glossary.content import example_query
from glossary.examples import Outcome, claim, contradictions, outcome, text_links, words

PAGES = sorted(Path(settings.CONTENT_DIR).glob("*/*.md"))


def page_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def front_matter(path: Path) -> frontmatter.Post:
    return frontmatter.load(path)


def questions() -> list[tuple[Path, str, Outcome, str | None]]:
    """(page, where on it, the calculator's answer, what the page says it shows) for every question asked."""
    cache: dict[str, Outcome] = {}

    def ask(query) -> Outcome:
        key = query if isinstance(query, str) else query.urlencode()
        if key not in cache:
            cache[key] = outcome(query)
        return cache[key]

    found = []
    for path in PAGES:
        post = front_matter(path)
        if post.get("example"):
            found.append((path, "example", ask(example_query(post["example"])), post.get("expect")))
        for query in post.get("calculators") or ():
            found.append((path, "calculators", ask(query), None))
        for text, query, expect in text_links(post.content):
            found.append((path, f"[{text}]", ask(query), expect))
    return found


def test_every_example_and_link_is_a_question_the_calculator_answers_as_its_page_says(catalog):
    """One test for both checks: asking every question costs about a second, asked once."""
    answers = questions()
    invalid = [f"{page_id(p)} {where}: {a.query}: {a.errors}" for p, where, a, _ in answers if not a.valid]
    assert invalid == []
    wrong = [
        f"{page_id(p)} {where}: {problem}"
        for p, where, a, expect in answers
        if expect
        for problem in contradictions(expect, a)
    ]
    assert wrong == []


@pytest.mark.parametrize("path", [p for p in PAGES if p.parent.name == "glossary"], ids=page_id)
def test_every_worked_example_states_what_it_shows(path):
    post = front_matter(path)
    if post.get("example"):
        assert post.get("expect"), "add `expect:` (for example `fits, layer_split`) under `example:`"
        words(post["expect"])  # a typo in the vocabulary fails here


def test_guides_say_what_their_calculator_links_show():
    """Most calculator links in a guide's text state what they show, so the check above has something to check."""
    for path in (p for p in PAGES if p.parent.name == "guides"):
        links = text_links(front_matter(path).content)
        stated = [expect for _, _, expect in links if expect]
        assert len(stated) * 2 >= len(links), (
            f"{page_id(path)}: {len(stated)} of {len(links)} links say what they show"
        )


# ---- The checker itself ----


def test_claims_are_read_from_the_start_of_the_link_text():
    assert claim("does not fit, 2.6 GiB short") == "does not fit"
    assert claim("fits, tight") == "tight"
    assert claim("Fits") == "fits"
    assert claim("borderline: 213 MiB into the margin") == "borderline"
    assert claim("Open this case in the calculator") is None
    assert claim("it fits on one card") is None  # only a claim at the start counts


def test_expectations_use_a_fixed_vocabulary():
    assert words("fits, layer_split") == ["fits", "layer_split"]
    assert words("tight, with a layer split") == ["tight", "layer_split"]
    assert words("fits, MoE expert offload") == ["fits", "expert_offload"]
    assert words("does not fit") == ["does not fit"]
    with pytest.raises(ValueError, match="unknown expectation"):
        words("fit")


def test_contradictions_compare_verdict_and_plan():
    tight_split = Outcome("q", fits=True, tight=True, strategy="layer_split", text="Yes, but tight")
    assert contradictions("fits, layer_split", tight_split) == []
    assert contradictions("tight", tight_split) == []
    assert contradictions("does not fit", tight_split) != []
    assert contradictions("fits, tensor_parallel", tight_split) != []
    short = Outcome("q", fits=False, borderline=True, text="Borderline")
    assert contradictions("does not fit", short) == []
    assert contradictions("borderline", short) == []
    assert contradictions("fits", short) != []
    assert contradictions("fits", Outcome("q", errors="quant: unknown")) != []


def test_links_are_found_with_what_they_say():
    text = "It [does not fit](/?model=a&quant=b) but [this](https://example.org/?x=1) is not ours."
    assert text_links(text) == [("does not fit", "model=a&quant=b", "does not fit")]
    assert text_links('[Compare](/?model=a "fits, tensor parallelism")') == [
        ("Compare", "model=a", "fits, tensor parallelism")
    ]
    assert text_links("[See it](/?model=a)") == [("See it", "model=a", None)]


def test_a_worked_example_says_the_speed_its_headline_says_in_the_pages_words(client, catalog):
    """The review: /glossary/continuous-batching/ said "about 122 tok/s per user" above a card reading
    "Decode 187 tok/s" (one sequence alone), and named its lines weights_bytes, kv_cache_bytes."""
    html = client.get("/glossary/continuous-batching/").content.decode()
    # 32 users at 4K on a 4090 under vLLM: its cache seats 30, and the card quotes a seated one's speed
    seats, headline = re.search(r"(\d+) of the 32 users at once, about ([\d.]+) tok/s each", html).groups()
    card = f'<dt>Decode each, {seats} at once</dt><dd data-testid="example-decode">{headline} tok/s</dd>'
    assert card in html
    names = re.findall(r'<li><a href="/glossary/[^"]+/">([^<]+)</a>: ', html)
    assert "bits per weight" in names and not [n for n in names if "_" in n]
    image = client.get("/?model=flux-1-dev&gpu=geforce-rtx-3090").content.decode()
    why = re.search(r"How it was computed</summary><ul>(.*?)</ul>", image, re.S).group(1)
    image_names = re.findall(r'<li><a href="[^"]+">([^<]+)</a>', why)
    assert image_names and not [n for n in image_names if "_" in n]
