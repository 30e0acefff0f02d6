"""What runs on my hardware: the system RAM's type prices the offload rows."""

import html as markup
import re

import pytest

from catalog.fitting import speed_parts, speed_text
from catalog.tiers import PREVIEW_ROWS
from estimator.units import format_rate
from tests.reverse_questions.answers import calculator_answer, row_for, rows_of

pytestmark = pytest.mark.django_db


def test_the_ram_type_prices_the_offload_rows_and_follows_into_the_calculator(client, catalog):
    """The review: what-runs assumed dual-channel DDR5 for every offload row (gpt-oss-120b on a 3090 and 64 GB:
    "Runs great, 32 tok/s"), where a used 3090's PC is often DDR4-3200, with no way to say so."""
    base = "/what-runs/?gpu=geforce-rtx-3090&count=1&ctx=65536&ram_gb=64"

    def row(html: str) -> str:
        return re.search(r'data-model="gpt-oss-120b">(.*?)</tr>', html, re.S).group(1)

    def decode(html: str) -> float:
        return float(re.search(r'data-testid="decode">([\d.]+)', row(html)).group(1))

    ddr5, ddr4 = (
        client.get(base).content.decode(),
        client.get(base + "&ram_preset=ddr4-3200-2ch").content.decode(),
    )
    assert 'option value="ddr4-3200-2ch"' in ddr5
    assert decode(ddr4) < 0.8 * decode(ddr5)
    link = markup.unescape(re.search(r'href="(/\?model=gpt-oss-120b[^"]*)"', row(ddr4)).group(1))
    assert link.endswith("&ram_gb=64&ram_preset=ddr4-3200-2ch")
    answer = client.get(link.replace("/?", "/api/v1/estimate?")).json()
    shown = next(p for p in answer["plans"] if p["strategy"] == answer["recommended"])
    assert round(shown["decode_tok_s"], 1) == decode(ddr4)
    refused = client.get(base + "&ram_preset=ddr6").content.decode()
    assert "Unknown RAM preset “ddr6”" in refused


def models_shown(html: str) -> list[str]:
    return re.findall(r'<tr[^>]*data-model="([^"]+)"', html)


def test_each_tier_shows_its_first_rows_and_links_the_rest(client, catalog):
    """The review: 161 models, one tier after another, were 40,000 px on a phone. Each tier's table now
    shows its first ten and links to the tier alone, which shows them all; what won't run is folded away."""
    base = "/what-runs/?gpu=geforce-rtx-3090&count=1"
    page = client.get(base).content.decode()
    great = re.search(r'data-testid="tier-great">(.*?)</section>', page, re.S).group(1)
    assert len(models_shown(great)) == PREVIEW_ROWS
    more = re.search(r'data-testid="tier-more"><a href="([^"]+)">All (\d+) in “Runs great”</a>', great)
    assert markup.unescape(more.group(1)) == base + "&tier=great"
    alone = client.get(markup.unescape(more.group(1))).content.decode()
    assert len(models_shown(alone)) == int(more.group(2)) > PREVIEW_ROWS
    assert models_shown(alone)[:PREVIEW_ROWS] == models_shown(great)  # the same order, continued
    assert 'data-testid="tier-none"' not in alone and 'data-testid="tier-more"' not in alone
    assert "Showing only “Runs great” (30 tok/s or more with the context cached)." in markup.unescape(alone)
    # the verdict and the summary still count every model
    assert re.search(r"\d+ of 1\d\d models fit", page) and re.search(r"\d+ of 1\d\d models fit", alone)
    none = re.search(r'data-testid="tier-none">(.*?)</section>', page, re.S).group(1)
    assert none.lstrip().startswith("<details><summary><h2>Too slow")
    none_alone = client.get(base + "&tier=none").content.decode()
    assert "<details>" not in re.search(r'data-testid="tier-none">(.*?)</section>', none_alone, re.S).group(1)
    refused = client.get(base + "&tier=fast").content.decode()
    assert "Unknown tier “fast”: pick Every tier, Runs great, Usable, Slow," in refused
    assert 'data-testid="tier-great"' not in refused


def test_models_named_narrows_the_rows_and_the_verdict_says_so(client, catalog):
    base = "/what-runs/?gpu=geforce-rtx-3090&count=1"
    page = client.get(base + "&q=+Qwen3++32B+").content.decode()
    shown = models_shown(page)
    # every word, as the site's search reads it (spaces, dashes and dots aside): Qwen3 32B and its VL releases;
    # "qwen32b" holds "qwen3" too (DeepSeek-R1-Distill-Qwen-32B), as in the model finder
    assert "qwen3-32b" in shown and all(m.replace("-", "").find("qwen3") >= 0 and "32b" in m for m in shown)
    verdict = markup.unescape(re.search(r'data-testid="verdict">(.*?)</p>', page, re.S).group(1))
    assert re.match(rf"\d of {len(shown)} models named “Qwen3 32B” fit on 1× GeForce RTX 3090", verdict)
    # the permalink, the sort links and the tier links keep the words
    assert (
        'href="/what-runs/?gpu=geforce-rtx-3090&amp;count=1&amp;q=Qwen3+32B" data-testid="permalink"' in page
    )
    assert "q=Qwen3+32B&amp;tier=great" in page and "sort=name&amp;q=Qwen3+32B" in page
    nothing = client.get(base + "&q=no-such-model").content.decode()
    assert "No model of the catalog is named “no-such-model”" in markup.unescape(nothing)
    assert 'href="/what-runs/?gpu=geforce-rtx-3090&amp;count=1">every model</a>' in nothing
    long = client.get(base + "&q=" + "x" * 81)
    # the site's words: Django's read "Ensure this value has at most 80 characters (it has 81)."
    assert long.status_code == 200 and "At most 80 characters: no name is that long." in long.content.decode()


def test_a_snapshot_of_named_models_says_they_are_named(client, catalog):
    response = client.post("/r/", {"kind": "what-runs", "q": "gpu=geforce-rtx-3090&count=1&q=gemma"})
    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    assert re.search(r"\d+ of \d+ models named “gemma” fit on 1× GeForce RTX 3090", markup.unescape(shown))
    assert all("gemma" in m for m in models_shown(shown))


@pytest.mark.parametrize("q", ["qwen2.5-coder", "llama-3.1", "Qwen2.5 Coder"])
def test_models_named_reads_words_as_the_site_search_does(client, catalog, q):
    """The review of the diff: "qwen2.5-coder" and "llama-3.1" found no model, dots and dashes read literally."""
    html = client.get("/what-runs/", {"gpu": "geforce-rtx-3090", "count": "1", "q": q}).content.decode()
    shown = models_shown(html)
    assert shown and "No model of the catalog is named" not in html


def test_a_context_no_model_reads_is_not_a_green_yes(client, catalog):
    """A visitor review: at 2,000,000 tokens the headline was green, "80 of 161 models fit … (80 of them only at
    their own shorter maximum)": none fits at the context asked. A shared copy says what the page says."""
    query = "gpu=geforce-rtx-3090&ctx=2000000"
    response = client.get(f"/what-runs/?{query}")
    text = markup.unescape(response.content.decode())
    assert re.search(
        r'class="verdict tight" data-testid="verdict">None of the \d+ models fits at 2,000,000 tokens of context: \d+ fit on 1× GeForce RTX 3090 at their own shorter maximum\.',
        text,
    )
    shared = client.get(client.post("/r/", {"q": query, "kind": "what-runs"})["Location"])
    assert response.context["verdict_text"] == shared.context["summary"]


def test_an_offload_rows_longest_context_says_the_calculator_may_hold_more(client, catalog):
    """A visitor review: what-runs said gpt-oss-120b's longest context on a 3090 with 64 GB is "at least 49,664"
    where the calculator says "Context up to 131,072 tokens fits (the model's maximum)": what-runs gives what
    the plan shown holds as it is laid out (the GPU's free memory over the KV cache per token); the calculator
    searches every plan, with more of the model moved to the RAM. The page says so where an offload plan is
    shown, and not where none is."""
    html = client.get("/what-runs/?gpu=geforce-rtx-3090&count=1&ram_gb=64").content.decode()
    oss = re.search(r'data-model="gpt-oss-120b">(.*?)</tr>', html, re.S).group(1)
    assert "Expert offload" in oss and "at least 49,664" in oss
    note = re.search(r'<p class="note" data-testid="longest-offload">(.*?)</p>', html, re.S).group(1)
    assert "offload plan" in note and "longer context" in note and "Details" in note
    plain = client.get("/what-runs/?gpu=geforce-rtx-3090&count=1").content.decode()
    assert 'data-testid="longest-offload"' not in plain


def test_a_format_that_fits_with_a_quantized_kv_cache_is_shown_before_a_narrower_one(client, catalog):
    """A visitor review: on a 4090 at 32,768 tokens, the 32B models ran at Q2_K ("quality drops"), where the
    calculator fits Q4_K_M with a q8_0 KV cache (23.3 GiB, 40 tok/s). The runtime's quantized KV cache is tried
    before a narrower format, said in the row, and carried into its Details link."""
    response = client.get("/what-runs/?gpu=geforce-rtx-4090&ctx=32768&q=qwen2.5+32b+instruct")
    row = row_for(response, "qwen2-5-32b-instruct")
    assert (row.quant.slug, row.kv, row.instead_of) == ("q4_k_m", "q8_0", "")
    assert row.permalink == "/?model=qwen2-5-32b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=32768&kv=q8_0"
    estimate, canonical = calculator_answer(row.permalink)
    assert canonical == row.permalink and estimate.recommended_plan.fits
    assert estimate.recommended_plan.decode_tok_s == pytest.approx(row.plan.decode_tok_s)
    html = response.content.decode()
    assert (
        'Q4_K_M <small data-testid="kv">with a <a href="/glossary/kv-cache/">q8_0 KV cache</a></small>'
        in html
    )
    # where it fits with the default KV cache, none is named
    small = row_for(
        client.get("/what-runs/?gpu=geforce-rtx-4090&q=qwen2.5+32b+instruct"), "qwen2-5-32b-instruct"
    )
    assert (small.quant.slug, small.kv) == ("q4_k_m", "") and "kv=" not in small.permalink


def test_a_narrower_format_with_a_quantized_kv_cache_says_both(client, catalog):
    """A visitor review: on a 4090 with 64 GB at 32,768 tokens, "Qwen3 235B-A22B Thinking 2507 · Q2_K (Q4_K_M
    does not fit)" linked to the calculator with kv=q8_0 but never said so (the "instead of" note replaced the
    KV cache's), where the default f16 cache is Borderline there. The row and its tier's summary say both."""
    response = client.get(
        "/what-runs/?gpu=geforce-rtx-4090&count=1&ctx=32768&ram_gb=64&q=qwen3+235b+a22b+thinking+2507"
    )
    row = row_for(response, "qwen3-235b-a22b-thinking-2507")
    assert (row.quant.slug, row.kv, row.instead_of) == ("q2_k", "q8_0", "Q4_K_M")
    assert "&kv=q8_0" in row.permalink
    html = response.content.decode()
    cell = re.search(
        r'data-model="qwen3-235b-a22b-thinking-2507">.*?data-testid="format">(.*?)</td>', html, re.S
    ).group(1)
    assert 'data-testid="instead-of">(Q4_K_M does not fit)' in cell
    assert 'data-testid="low-bit"' in cell
    assert cell.endswith(
        '<small data-testid="kv">with a <a href="/glossary/kv-cache/">q8_0 KV cache</a></small>'
    )
    summary = re.search(r'data-testid="tier-summary">(.*?)</ul>', html, re.S).group(1)
    line = next(li for li in summary.split("<li") if "qwen3-235b-a22b-thinking-2507" in li)
    assert '<small data-testid="kv">with a q8_0 KV cache</small>' in line


# ---- Speeds with the whole context cached ----------------------------------------------------------

LONG = "/what-runs/?gpu=geforce-rtx-4090&count=1&ctx=131072"


def decode_cell(html: str, slug: str) -> str:
    return re.search(
        rf'data-model="{slug}">(?:(?!</tr>).)*?data-testid="decode">(.*?)</td>', html, re.S
    ).group(1)


def test_tiers_go_by_the_speed_with_the_whole_context_cached(client, catalog):
    """A visitor review, as what-hardware's: the tiers read the start of an answer, so a model at 51.8 tok/s
    that the calculator says falls to 29.7 with 131,072 tokens cached "Runs great: 30 tok/s or more". Now
    it is Usable, and its cell says both, the start's range beside the start."""
    response = client.get(LONG)
    tiers = {t.key: t for t in response.context["tiers"]}
    fell = [r for r in rows_of(response) if r.fits and r.plan.decode_tok_s >= 30 > r.tok_s_at_context]
    assert fell  # Magistral Small, Devstral Small, Mistral Small 3.1 on a 4090
    assert all(r in tiers["usable"].rows for r in fell)
    for key, (low, high) in {"great": (30, 1e9), "usable": (10, 30), "slow": (3, 10)}.items():
        assert all(low <= r.tok_s_at_context < high for r in tiers[key].rows), key
    html = response.content.decode()
    for r in fell:
        start, full = format_rate(r.plan.decode_tok_s), format_rate(r.tok_s_at_context)
        low, high = format_rate(r.plan.decode_tok_s_low), format_rate(r.plan.decode_tok_s_high)
        assert decode_cell(html, r.model.slug) == f"{start} <small>({low}–{high})</small> → {full}"
    # the calculator's own speed with the context cached, one user
    answer, _ = calculator_answer(fell[0].permalink)
    assert answer.recommended_plan.decode_tok_s_at_context == pytest.approx(fell[0].tok_s_at_context)
    summary = markup.unescape(re.search(r'<ul class="tier-summary".*?</ul>', html, re.S).group(0))
    best = tiers["usable"].best
    kv = f' <small data-testid="kv">{tiers["usable"].best_kv_words}</small>' if best.kv else ""
    assert f"at {best.quant.name}{kv}, {best.speed} tok/s" in summary and " → " in best.speed
    assert "Runs great</a></strong> <small>30 tok/s or more with the context cached:" in summary
    assert "Decode tok/s</a> <small>start → full context</small>" in html
    assert 'data-label="Decode tok/s, start → full context"' in html


def test_the_speed_sort_goes_by_the_speed_with_the_whole_context_cached(client, catalog):
    rows = [r for r in rows_of(client.get(f"{LONG}&sort=speed")) if r.fits]
    full = [r.tok_s_at_context for r in rows]
    assert full == sorted(full, reverse=True)
    start = [r.plan.decode_tok_s for r in rows]
    assert start != sorted(start, reverse=True)  # the start of an answer orders them otherwise


def test_at_a_short_context_a_row_shows_one_number():
    assert speed_parts(46.04, 46.01) == ("46.0", "")
    assert speed_text(46.04, 46.01) == "46.0"
    assert speed_text(46.0, 21.3) == "46.0 → 21.3"
    assert speed_text(5.123, None) == "5.12"  # a plan from before the engine gave the full context's speed
    assert speed_text(None, None) == "–"


@pytest.mark.parametrize("ctx", [512, 4096])
def test_a_cell_shows_one_number_where_the_two_read_the_same(client, catalog, ctx):
    """At 512 tokens, the prompt's own length, nothing more is cached than at the start: one number, as before.
    At 4,096 a 4090's rows already read a few percent slower at the end (Mixtral 8x7B: 82.2 → 78.4)."""
    response = client.get(f"/what-runs/?gpu=geforce-rtx-4090&count=1&ctx={ctx}")
    speeds = {r.model.slug: r.speed_parts for r in rows_of(response) if r.fits}
    assert any(full for _, full in speeds.values()) == (ctx > 512)
    cells = r'<tr[^>]*data-model="([^"]+)">(?:(?!</tr>).)*?data-testid="decode">(.*?)</td>'
    shown = dict(re.findall(cells, response.text, re.S))
    assert shown
    for slug, cell in shown.items():
        assert (" → " in cell) == bool(speeds[slug][1]), slug
