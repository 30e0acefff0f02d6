"""Every citation in the glossary and the guides is a public page a visitor can open: no path of ours,
no mirror of someone else's page, no blog restating a figure whose primary source exists."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from glossary.deprecations import DEPRECATIONS
from glossary.sources import URL, citation_problems

PAGES = sorted(Path(settings.CONTENT_DIR).glob("*/*.md"))
SOURCES = re.compile(r"^## Sources\n(?P<body>.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def page_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_page_cites_no_private_path_mirror_or_secondary_source(path):
    assert citation_problems(path.read_text()) == []


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_every_source_line_has_a_public_link(path):
    match = SOURCES.search(path.read_text())
    assert match, "no ## Sources section"
    lines = [line for line in match["body"].splitlines() if line.startswith("- ")]
    assert lines, "an empty ## Sources section"
    for line in lines:
        assert URL.search(line), f"a source without a link: {line}"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("via `/work/shared/reference/models.json`", "non-public path"),
        ("`github:ggml-org/llama.cpp tools/quantize/README.md`", "non-public path"),
        ("see [our notes](../shared/reference/x.json)", "non-public path"),
        ("https://wikimili.com/en/NVLink (mirror of Wikipedia)", "mirror"),
        ("https://www.mintlify.com/vllm-project/vllm/features/tensor-parallelism", "mirror"),
        ("https://dev.to/someone/vllms-no-available-memory", "secondary source"),
        ("https://www.techpowerup.com/gpu-specs/geforce-rtx-4090.c3889", "secondary source"),
        ("http://localhost:8000/metrics", "local address"),
    ],
)
def test_citation_checker_refuses(text, problem):
    assert [p for p in citation_problems(text) if p.startswith(problem)]


@pytest.mark.parametrize(
    "text",
    [
        "[llama.cpp multi-GPU guide](https://github.com/ggml-org/llama.cpp/blob/master/docs/multi-gpu.md)",
        "https://huggingface.co/meta-llama/Llama-3.1-70B-Instruct/blob/main/config.json",
        "https://pcisig.com/faq?field_category_value%5B%5D=pci_express_4.0",
        "https://arxiv.org/abs/2205.14135",
        "go up one level with `cd ..` first",
    ],
)
def test_citation_checker_accepts_primary_sources(text):
    assert citation_problems(text) == []


def test_every_deprecation_cites_a_public_primary_source():
    for deprecation in DEPRECATIONS:
        assert deprecation.source.startswith("https://"), deprecation.old
        assert citation_problems(deprecation.source) == [], deprecation.old


def test_every_url_a_page_shows_is_a_link_a_visitor_can_tap():
    """A source cited as a bare URL ("Megatron-LM, https://arxiv.org/abs/1909.08053") renders as a link:
    Python-Markdown links only <https://...>, and 95 cited URLs were text a phone could not open."""
    from glossary.content import library

    unlinked = {}
    pages = library()
    for page in [*pages.terms.values(), *pages.guides.values(), *pages.errors.values()]:
        # the text outside links, code and commands (where a URL is something to copy, not to open)
        text = re.sub(r"<(a|code|pre)\b.*?</\1>", "", page.html, flags=re.DOTALL)
        if found := URL.findall(text):
            unlinked[page.slug] = found
    assert unlinked == {}


def test_a_bare_url_links_to_itself_without_the_sentence_after_it():
    from glossary.content import render_markdown

    html = render_markdown("Megatron-LM (https://arxiv.org/abs/1909.08053). Run `curl https://x.org/a`.")
    assert '(<a href="https://arxiv.org/abs/1909.08053">https://arxiv.org/abs/1909.08053</a>).' in html
    assert "<code>curl https://x.org/a</code>" in html  # a command stays text to copy


def _sources(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and "source" in key:
                yield value
            else:
                yield from _sources(value)
    elif isinstance(node, list):
        for value in node:
            yield from _sources(value)


@pytest.mark.parametrize(
    "path", sorted((Path(settings.BASE_DIR) / "fixtures" / "catalog").glob("*.json")), ids=str
)
def test_the_catalogs_sources_name_no_path_of_ours(path):
    """The API serves the catalog's `source` fields (/api/v1/diffusion-models): "github:CompVis/...",
    "fixtures/catalog/llms.json" were shorthands and paths a client cannot open (a review)."""
    import json

    found = [
        problem
        for text in _sources(json.loads(path.read_text()))
        for problem in citation_problems(text)
        if problem.startswith(("non-public path", "local address"))
    ]
    assert found == []
