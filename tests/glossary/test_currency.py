"""Every page says when it was last checked, and none recommends a flag, metric or option that its
runtime has deprecated (a sentence that says it is deprecated may still name it)."""

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from glossary.content import checked_date, library
from glossary.deprecations import DEPRECATIONS, deprecated_uses

PAGES = sorted(Path(settings.CONTENT_DIR).glob("*/*.md"))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_page_names_no_deprecated_flag_metric_or_option(path):
    uses = deprecated_uses(path.read_text())
    assert uses == [], "\n".join(f"{d.old} (now {d.replacement}): {sentence}" for d, sentence in uses)


def test_every_page_has_a_checked_date():
    lib = library()
    for page in [*lib.terms.values(), *lib.guides.values()]:
        assert isinstance(page.checked, date), page.slug


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "checked"),
    [
        ("/glossary/kv-cache/", '2026-12-03">3 December 2026'),
        ("/guides/memory-math/", '2026-12-08">8 December 2026'),
    ],
)
def test_pages_show_when_they_were_checked(client, url, checked):
    html = client.get(url).content.decode()
    assert f'Checked on <time datetime="{checked}</time>' in html


def test_checked_date_reads_quoted_and_unquoted_dates():
    assert checked_date(date(2026, 12, 3)) == date(2026, 12, 3)
    assert checked_date("2026-12-03") == date(2026, 12, 3)
    assert checked_date(None) is None


@pytest.mark.parametrize(
    "text",
    [
        "For tensor parallelism use `-sm row` on two cards.",
        "Start it with --split-mode row.",
        "Watch `vllm:gpu_cache_usage_perc` for the KV cache.",
        "Count `vllm:gpu_prefix_cache_hits` against queries.",
    ],
)
def test_a_recommended_deprecated_name_is_reported(text):
    assert deprecated_uses(text)


@pytest.mark.parametrize(
    "text",
    [
        "Older guides say `-sm row`, which llama.cpp has deprecated in favour of `-sm tensor`.",
        "`vllm:kv_cache_usage_perc` (renamed from `vllm:gpu_cache_usage_perc`) shows cache use.",
        "Split by layer with `-sm layer`.",
    ],
)
def test_a_deprecation_named_as_such_or_a_current_flag_is_allowed(text):
    assert deprecated_uses(text) == []


def test_each_deprecation_says_what_replaced_it():
    for deprecation in DEPRECATIONS:
        assert deprecation.replacement and deprecation.runtime, deprecation.old
        assert deprecation.pattern.search(deprecation.old), deprecation.old
