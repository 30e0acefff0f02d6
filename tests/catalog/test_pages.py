"""The public catalog pages: GPU list, GPU page, model list, model page, comparison."""

import re
from html import unescape

import pytest

from calculator.templatetags.calculator import signed_percent
from catalog import pages
from catalog.measurements import row_estimate
from catalog.models import Gpu, LlmModel, Measurement
from catalog.published import format_specs, llm_specs
from catalog.tiers import PREVIEW_ROWS, TIERS
from estimator import plans
from tests.conftest import GIB, make_gpu, make_llm, make_quant
from tests.glossary.test_pages import pages_crawled

pytestmark = pytest.mark.django_db


def row(html: str, attr: str, slug: str) -> str:
    """The <tr data-attr="slug"> ... </tr> of a page."""
    match = re.search(rf'<tr[^>]*data-{attr}="{re.escape(slug)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {slug}"
    return match.group(1)


def with_every_row(client, html: str) -> str:
    """A GPU page and, after it, the what-runs page of each tier it shows only the first rows of."""
    more = re.findall(r'data-testid="tier-more"><a href="([^"]+)"', html)
    return html + "".join(client.get(unescape(url)).text for url in more)


def listed_slugs(response) -> list[str]:
    return [g.slug for g in response.context["page"]]


# ---- GPU list ---------------------------------------------------------------------------------


def test_gpu_list_puts_listed_gpus_first_and_links_each_to_its_page(client):
    make_gpu(slug="aaa-old-card", name="AAA Old Card", listed=False)
    make_gpu()
    response = client.get("/gpus/")
    assert response.status_code == 200
    assert listed_slugs(response) == ["geforce-rtx-3090", "aaa-old-card"]
    assert 'href="/gpus/geforce-rtx-3090/"' in response.text


def test_gpu_list_filters_by_vendor_memory_unified_and_search(client):
    make_gpu()
    make_gpu(slug="radeon-rx-7900-xtx", name="Radeon RX 7900 XTX", vendor="amd", bandwidth_gb_s=960)
    make_gpu(slug="geforce-rtx-3060-12-gb", name="GeForce RTX 3060 12 GB", memory_bytes=12 * GIB)
    make_gpu(slug="m4-max-128", name="Apple M4 Max 128 GB", vendor="apple", memory_bytes=128 * GIB,
             unified_memory=True, gpu_memory_fraction=0.75)  # fmt: skip
    assert listed_slugs(client.get("/gpus/?vendor=amd")) == ["radeon-rx-7900-xtx"]
    assert set(listed_slugs(client.get("/gpus/?min_memory_gib=16&unified=no"))) == {
        "geforce-rtx-3090",
        "radeon-rx-7900-xtx",
    }
    assert listed_slugs(client.get("/gpus/?unified=yes")) == ["m4-max-128"]
    assert listed_slugs(client.get("/gpus/?q=3060")) == ["geforce-rtx-3060-12-gb"]
    # a visitor review: a filter that matches nothing showed the form, then the footer
    assert "No GPU matches these filters. " in client.get("/gpus/?q=zzzz").content.decode()


def test_gpu_list_sorts_by_memory_bandwidth_and_price_with_unpriced_last(client):
    make_gpu(launch_price_usd=1499)
    make_gpu(slug="h100-sxm5-80-gb", name="H100 SXM5 80 GB", memory_bytes=80 * GIB, bandwidth_gb_s=3350)
    make_gpu(slug="geforce-rtx-3060-12-gb", name="GeForce RTX 3060 12 GB", memory_bytes=12 * GIB,
             bandwidth_gb_s=360, launch_price_usd=329)  # fmt: skip
    assert listed_slugs(client.get("/gpus/?sort=-memory"))[0] == "h100-sxm5-80-gb"
    assert listed_slugs(client.get("/gpus/?sort=bandwidth"))[0] == "geforce-rtx-3060-12-gb"
    assert listed_slugs(client.get("/gpus/?sort=price")) == [
        "geforce-rtx-3060-12-gb",
        "geforce-rtx-3090",
        "h100-sxm5-80-gb",
    ]
    assert listed_slugs(client.get("/gpus/?sort=-price"))[-1] == "h100-sxm5-80-gb"


def test_gpu_list_shows_50_per_page_and_keeps_filters_in_page_links(client):
    Gpu.objects.bulk_create(
        Gpu(
            slug=f"card-{i:03}",
            name=f"Card {i:03}",
            vendor="nvidia",
            memory_bytes=8 * GIB,
            bandwidth_gb_s=400,
            search_key=f"nvidia card {i:03}",
        )  # fmt: skip
        for i in range(120)
    )
    first = client.get("/gpus/?vendor=nvidia")
    assert len(listed_slugs(first)) == 50
    assert 'href="?vendor=nvidia&amp;page=2"' in first.text
    last = client.get("/gpus/?vendor=nvidia&page=3")
    assert listed_slugs(last) == [f"card-{i:03}" for i in range(100, 120)]
    assert client.get("/gpus/?page=99").context["page"].number == 3  # past the end: the last page


def test_gpu_list_shows_a_bad_filter_next_to_its_field(client):
    response = client.get("/gpus/?min_memory_gib=lots&sort=weight")
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "Enter a number." in response.text
    assert (  # the site's words, naming what the select offers: Django's read "Select a valid choice. …"
        "Unknown sort order “weight”: pick Listed first, Memory (descending), Memory, Bandwidth (descending)"
        in response.text
    )
    assert "Select a valid choice" not in response.text


@pytest.mark.parametrize(
    ("url", "field", "message"),
    [
        ("/gpus/?vendor=bogus", "vendor", "Unknown vendor “bogus”: pick Any, NVIDIA, AMD, Intel, Apple or Other."),
        ("/gpus/?unified=maybe", "unified", "Unknown answer “maybe”: pick Any, Yes or No."),
        ("/gpus/?legacy=all", "legacy", "Unknown setting “all”: pick Hidden or Shown."),
        ("/gpus/?min_memory_gib=-1", "min_memory_gib", "Enter 0 or more."),
        ("/gpus/?min_memory_gib=1e30", "min_memory_gib", "Enter at most 1,048,576."),
        ("/gpus/?vendor=amd&vendor=nvidia", "vendor", "Given 2 times: give it once. The first, “amd”, is kept."),
        ("/gpus/?q=rtx%00", "q", "No name holds a NUL character: take it out."),
        ("/gpus/?q=" + "x" * 201, "q", "At most 200 characters: no name is that long."),
        ("/models/?kind=bogus", "kind", "Unknown architecture “bogus”: pick Any, Dense or Mixture of experts."),
        ("/models/?kind=moe&kind=dense", "kind", "Given 2 times: give it once. The first, “moe”, is kept."),
        ("/models/?q=llama%00", "q", "No name holds a NUL character: take it out."),
    ],
)  # fmt: skip
def test_a_bad_list_filter_is_said_in_the_sites_words_next_to_its_field(client, url, field, message):
    """A visitor review: `?vendor=bogus` read "Select a valid choice. bogus is not one of the available
    choices.", where the calculator and the API name what a field takes. The page answers (200, as the
    calculator's page does for an invalid question), with no rows, and the message beside the field."""
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["page" if url.startswith("/gpus/") else "models"] is None
    assert response.context["form"].errors[field] == [message]
    html = response.content.decode()
    assert message in unescape(html.split(f'id="error-{field}">')[1].split("</span>")[0])
    for stock in ("Select a valid choice", "Ensure this value", "Null characters"):
        assert stock not in html


def test_a_bad_list_filter_keeps_the_rest_of_the_question(client):
    """The other filters stay as the visitor set them, for the one fix."""
    html = client.get(
        "/gpus/?vendor=bogus&q=rtx&min_memory_gib=24&sort=-memory&legacy=shown"
    ).content.decode()
    assert 'name="q" value="rtx"' in html and 'name="min_memory_gib" value="24"' in html
    assert '<option value="-memory" selected>' in html and '<option value="shown" selected>' in html


def test_gpu_list_runs_two_queries_whatever_the_catalog_size(client, django_assert_num_queries):
    for i in range(60):
        make_gpu(slug=f"card-{i}", name=f"Card {i}")
    # 1: count for the paginator; 2: the page of GPUs
    with django_assert_num_queries(2):
        client.get("/gpus/")


# ---- GPU page ---------------------------------------------------------------------------------


def test_rtx_3060_page_says_llama_8b_runs_at_q4_k_m_and_links_the_calculator(client, catalog):
    response = client.get("/gpus/geforce-rtx-3060-12-gb/")
    assert response.status_code == 200
    assert "12 GiB" in response.text and "360 GB/s" in response.text
    llama = row(with_every_row(client, response.text), "model", "llama-3-1-8b-instruct")
    assert "Q4_K_M" in llama  # the format people run it at, as /what-runs/ asks
    link = "/?model=llama-3-1-8b-instruct&amp;quant=q4_k_m&amp;gpu=geforce-rtx-3060-12-gb&amp;ctx=8192"
    assert f'href="{link}"' in llama
    plan = next(r.plan for r in response.context["rows"] if r.model.slug == "llama-3-1-8b-instruct")
    assert 45 < plan.decode_tok_s < 80  # 360 GB/s over 4.6 GiB of weights: at most ~72


def test_the_largest_format_is_one_click_away_on_what_runs(client, catalog):
    """On a 3090 Llama 3.1 8B fits unquantized (16 GB of weights + 1 GiB of KV cache in 24 GiB): the page's
    question asked at the largest format that fits says so."""
    html = client.get("/gpus/geforce-rtx-3090/").text
    link = re.search(r'<a href="([^"]+)" data-testid="ask-what-runs">', html).group(1).replace("&amp;", "&")
    largest = with_every_row(client, client.get(f"{link}&quant=largest").text)
    llama = row(largest, "model", "llama-3-1-8b-instruct")
    assert "F16" in llama and "quant=f16" in llama


def test_rtx_3090_page_says_a_70b_model_does_not_fit_on_one_card(client, catalog):
    html = with_every_row(client, client.get("/gpus/geforce-rtx-3090/").text)
    assert "Does not fit" in row(html, "model", "llama-3-1-405b-instruct")


def test_gpu_page_groups_what_runs_in_speed_tiers_and_hands_the_question_to_the_what_runs_page(
    client, catalog
):
    html = client.get("/gpus/geforce-rtx-3090/").text
    summary = re.search(r'<ul class="tier-summary".*?</ul>', html, re.S).group(0)
    assert "Runs great" in summary and "Usable" in summary and "Too slow or doesn't fit" not in summary
    great = re.search(r'data-testid="tier-great">(.*?)</section>', html, re.S).group(1)
    # its first ten rows, the largest models first, and a link to the rest on the what-runs page
    assert "<h3>Runs great" in great and len(re.findall(r"<tr[^>]*data-model=", great)) == PREVIEW_ROWS
    assert 'href="/models/qwen3-5-35b-a3b/"' in great  # each row links its model's page
    more = unescape(re.search(r'data-testid="tier-more"><a href="([^"]+)"', great).group(1))
    assert more == "/what-runs/?gpu=geforce-rtx-3090&count=1&ctx=8192&tier=great"
    opened = client.get(more)
    assert 'data-model="llama-3-1-8b-instruct"' in opened.text
    # a visitor review: "All 108 in “Runs great”" opened a page of 113 (the listed models against every one)
    counted = int(re.search(r"All (\d+) in “Runs great”", great).group(1))
    assert len(next(t for t in opened.context["tiers"] if t.key == "great").rows) == counted
    # what does not fit is folded away, not a hundred rows to scroll past
    none = re.search(r'data-testid="tier-none">(.*?)</section>', html, re.S).group(1)
    assert none.lstrip().startswith(
        "<details><summary><h3>Too slow or doesn&#x27;t fit"
    ) and "llama-3-1-405b-instruct" in with_every_row(client, none)
    # the same question, asked on the what-runs page, answers the same formats at the same speeds
    link = re.search(r'<a href="([^"]+)" data-testid="ask-what-runs">', html).group(1).replace("&amp;", "&")
    assert link == "/what-runs/?gpu=geforce-rtx-3090&count=1&ctx=8192"
    asked = re.findall(
        r'data-model="([^"]+)">.*?data-testid="format">([^<]+)<.*?data-testid="decode">(.*?)</td>', html, re.S
    )
    answered = "".join(client.get(f"{link}&tier={key}").text for key, *_ in TIERS)  # each tier whole
    assert len(asked) >= PREVIEW_ROWS
    for model, quant, decode in asked:
        assert f'data-model="{model}"' in answered
        assert f'data-testid="format">{quant}<' in row(answered, "model", model), model
        assert f'data-testid="decode">{decode}</td>' in row(answered, "model", model), model


def test_gpu_page_tiers_go_by_the_speed_with_the_context_cached(client, catalog):
    """As what-runs' (a visitor review: the start of an answer put a model "Runs great" that the calculator
    says falls under 30 tok/s once the context fills): on an M4 Max at 8,192 tokens CodeLlama 13B, whose
    every layer keeps a full-width KV cache, starts at 43 tok/s and falls to 25."""
    response = client.get("/gpus/apple-m4-max-128gb/")
    tiers = {t.key: t for t in response.context["tiers"]}
    fell = [r for r in response.context["rows"] if r.fits and r.plan.decode_tok_s >= 30 > r.tok_s_at_context]
    assert fell and all(r in tiers["usable"].rows for r in fell)
    html = with_every_row(client, response.text)
    for r in fell:
        start, full = r.speed_parts
        assert full and f'data-testid="decode">{start} <small>(' in row(html, "model", r.model.slug)
        assert (
            row(html, "model", r.model.slug)
            .split('data-testid="decode">')[1]
            .split("</td>")[0]
            .endswith(f"</small> → {full}")
        )
    assert "30 tok/s or more with the context cached" in response.text
    assert "start → full context" in response.text


def test_compare_shows_the_speed_with_the_context_cached_where_it_reads_differently(client, catalog):
    gpus = ["geforce-rtx-3060-12-gb", "apple-m4-max-128gb"]
    html = client.get("/gpus/compare/?" + "&".join(f"gpu={g}" for g in gpus)).text
    speeds = re.search(r'<table [^>]*data-testid="compare-speeds">.*?</table>', html, re.S).group(0)
    rows = {g: {r.model.slug: r for r in pages.what_runs(Gpu.objects.get(slug=g), "default")} for g in gpus}
    differ = 0
    for slug in pages.COMPARE_MODELS:
        cells = re.findall(r'<td data-testid="speed"[^>]*>(.*?)</td>', row(speeds, "model", slug), re.S)
        for gpu, cell in zip(gpus, cells, strict=True):
            r = rows[gpu][slug]
            if not r.fits:
                continue
            start, full = r.speed_parts
            assert f">{start} tok/s</a>" in cell, (gpu, slug)
            assert (f'<span data-testid="full-context">→ {full}</span>' in cell) == bool(full), (gpu, slug)
            differ += bool(full)
    assert differ  # at 8,192 tokens some read differently


def test_gpu_page_shows_unified_memory_fraction(client):
    make_gpu(slug="m4-max-128", name="Apple M4 Max 128 GB", vendor="apple", memory_bytes=128 * GIB,
             unified_memory=True, gpu_memory_fraction=0.75)  # fmt: skip
    assert "the GPU may use 75% by default" in client.get("/gpus/m4-max-128/").text


def test_gpu_page_runs_six_queries_whatever_the_catalog_size(client, catalog, django_assert_num_queries):
    # 1: the GPU; 2: the listed LLMs; 3: the listed quantizations; 4: the runtime table (which formats
    # run on its backend, catalog/fitting.py) and 5: which formats each model is published in
    # (catalog/pages.py published_formats), both cached until the catalog changes; 6: its published
    # measurements, with their models and formats
    with django_assert_num_queries(6):
        response = client.get("/gpus/geforce-rtx-4090/")
    assert response.status_code == 200


def test_gpu_pages_compare_and_what_runs_hand_the_engine_one_spec_per_model_and_format(client, catalog):
    """Their models and formats are the specs read once per catalog version (catalog/published.py `llm_specs`,
    `format_specs`): the engine's caches tell specs apart by identity, and a GPU page that built its own each
    time sized every (model, format) it tried again (~900 a page, ~40% of its CPU)."""
    models = {id(spec) for _, spec in llm_specs()}
    formats = {id(spec) for _, spec in format_specs()}
    for url in (
        "/gpus/geforce-rtx-4090/",
        "/gpus/apple-m4-max-128gb/",
        "/what-runs/?gpu=geforce-rtx-3060-12-gb",
    ):
        rows = [r for r in client.get(url).context["rows"] if r.fits]
        assert rows and all(id(r.model) in models and id(r.quant) in formats for r in rows), url
    compared = client.get("/gpus/compare/?gpu=geforce-rtx-3090&gpu=geforce-rtx-4090").context["speeds"]
    runs = [run for row in compared for run in row.runs if run is not None and run.fits]
    assert runs and all(id(run.model) in models and id(run.quant) in formats for run in runs)


@pytest.mark.parametrize(
    ("slug", "never"),
    [("geforce-rtx-4090", {"mlx-4bit", "mlx-8bit"}), ("apple-m1-max-32gb", {"awq-4bit", "gptq-4bit", "fp8"})],
)
def test_gpu_page_tries_only_the_formats_a_runtime_runs_on_its_backend(client, catalog, slug, never):
    rows = [r for r in client.get(f"/gpus/{slug}/").context["rows"] if r.fits]
    assert rows
    assert not [r.model.slug for r in rows if r.quant.slug in never]


def test_unknown_gpu_is_404(client, db):
    assert client.get("/gpus/no-such-card/").status_code == 404


# ---- Models -----------------------------------------------------------------------------------


def test_model_list_shows_params_active_params_context_and_family(client, catalog):
    response = client.get("/models/")
    assert response.status_code == 200
    qwen = row(response.text, "model", "qwen3-30b-a3b")
    assert 'href="/models/qwen3-30b-a3b/"' in qwen
    assert (
        '<td data-label="Parameters">30.5 B</td>' in qwen
        and '<td data-label="Active per token">3.4 B</td>' in qwen
    )
    assert '<td data-label="Context">40,960</td>' in qwen and "qwen3" in qwen  # grouped, as the model page


def test_model_list_filters_sorts_and_writes_one_precision(client, catalog):
    """A review: 161 rows with no filter, unlike /gpus/, and "671 B / 37 B" beside "671.0 B / 37.6 B"
    (Django's floatformat:"-1" writes 671.026 as 671.0)."""
    html = client.get("/models/", {"q": "deepseek", "kind": "moe", "sort": "-params"}).text
    slugs = re.findall(r'<tr data-model="([^"]+)">', html.split('id="image-and-video"')[0])
    assert slugs and all("deepseek" in s for s in slugs)
    sizes = [
        float(b)
        for b in re.findall(
            r'<td data-label="Parameters">([\d.]+) B</td>', html.split('id="image-and-video"')[0]
        )
    ]
    assert sizes == sorted(sizes, reverse=True) and "671.0 B" not in html
    dense = client.get("/models/", {"kind": "dense"}).text.split('id="image-and-video"')[0]
    assert 'data-model="llama-3-1-8b-instruct"' in dense and 'data-model="qwen3-30b-a3b"' not in dense
    assert "No model matches" in client.get("/models/", {"q": "zzzz-no-such"}).text
    bad = client.get("/models/", {"sort": "bogus"})
    assert bad.status_code == 200 and "Unknown sort order “bogus”: pick Listed first, Name," in bad.text


def test_model_list_runs_two_queries(client, catalog, django_assert_num_queries):
    with django_assert_num_queries(2):  # every LLM, every image and video model
        client.get("/models/")


def test_model_list_names_the_image_and_video_models_the_calculator_answers(client, catalog):
    """A visitor review: the list ("Every LLM we know") named no image model, nor did the calculator's
    list until one typed."""
    flux = row(client.get("/models/").text, "model", "flux-1-dev")
    assert (
        'href="/?model=flux-1-dev&amp;gpu=geforce-rtx-4090"' in flux
        and '<td data-label="Makes">Images</td>' in flux
        and '<td data-label="Denoiser">12 B</td>' in flux
    )


def test_llama_70b_q4_k_m_needs_one_80gb_card_or_two_3090s(client, catalog):
    response = client.get("/models/llama-3-1-70b-instruct/")
    assert "<dd>131,072 tokens</dd>" in response.text  # its context, as the calculator writes token counts
    assert response.status_code == 200
    q4 = row(response.text, "quant", "q4_k_m")
    single = next(r.single for r in response.context["rows"] if r.quant.slug == "q4_k_m")
    assert single.gpu.memory_bytes >= 48 * GIB
    assert "2× GeForce RTX 3090" in q4
    assert (
        'href="/?model=llama-3-1-70b-instruct&amp;quant=q4_k_m&amp;gpu=geforce-rtx-3090&amp;count=2&amp;ctx=8192"'
        in q4
    )


def test_model_page_shows_weights_size_per_format(client):
    make_llm()
    make_quant()
    make_gpu()
    response = client.get("/models/llama-3-1-8b-instruct/")
    weights = row(response.text, "quant", "q4_k_m")
    assert re.search(r"4\.[5-9] GiB", weights), weights  # Q4_K_M of an 8B: about 4.6 GiB
    assert "GeForce RTX 3090" in weights and "1× GeForce RTX 3090" in weights


def test_model_page_runs_six_queries_whatever_the_catalog_size(client, catalog, django_assert_num_queries):
    # 1: the model; 2: the listed quantizations; 3: the listed GPUs; 4: the runtime table (which
    # formats run on which backends, catalog/fitting.py) and 5: which formats each model is published
    # in (catalog/pages.py published_formats), both cached until the catalog changes; 6: its published
    # artifacts
    with django_assert_num_queries(6):
        client.get("/models/qwen3-8b/")


def test_model_page_offers_each_format_only_on_gpus_a_runtime_runs_it_on(client, catalog):
    rows = {r.quant.slug: r for r in client.get("/models/qwen3-8b/").context["rows"]}
    mlx, awq = rows["mlx-4bit"], rows["awq-4bit"]
    assert mlx.single is None or mlx.single.gpu.backend == "metal"
    assert all(fit.gpu.backend == "metal" for fit in mlx.stacked)
    assert awq.single and awq.single.gpu.backend != "metal"
    assert "runtime=vllm" in awq.single.permalink  # under the runtime that runs it, as the calculator


def test_unknown_model_is_404(client, db):
    assert client.get("/models/no-such-model/").status_code == 404


# ---- Compare ----------------------------------------------------------------------------------


def test_compare_puts_two_gpus_side_by_side(client, catalog, django_assert_num_queries):
    # 1: the GPUs asked for; 2: the listed GPUs the menus offer; 3 and 4: the compared models and the listed formats;
    # 5 and 6: the runtime table and the formats each model is published in (cached until the catalog changes), as on
    # a GPU page
    with django_assert_num_queries(6):
        response = client.get("/gpus/compare/?gpu=geforce-rtx-3090&gpu=geforce-rtx-4090")
    assert response.status_code == 200
    assert [g.slug for g in response.context["gpus"]] == ["geforce-rtx-3090", "geforce-rtx-4090"]
    assert response.text.count('data-testid="memory"') == 2
    assert "gpu=geforce-rtx-3090&amp;gpu=geforce-rtx-4090&amp;ctx=8192" in response.text


def test_compare_times_popular_models_on_one_of_each_as_the_what_runs_page_does(client, catalog):
    gpus = ["geforce-rtx-3090", "geforce-rtx-4090", "apple-m4-max-128gb"]
    html = client.get("/gpus/compare/?" + "&".join(f"gpu={g}" for g in gpus)).text
    speeds = re.search(r'<table [^>]*data-testid="compare-speeds">.*?</table>', html, re.S).group(0)
    llama = row(speeds, "model", "llama-3-1-8b-instruct")
    cells = re.findall(r'<td data-testid="speed"[^>]*>(.*?)</td>', llama, re.S)
    for gpu, cell in zip(gpus, cells, strict=True):  # one column a card, in the order asked
        answered = row(
            client.get(f"/what-runs/?gpu={gpu}&count=1&ctx=8192&q=llama-3-1-8b-instruct").text,
            "model",
            "llama-3-1-8b-instruct",
        )
        decode = re.search(r'data-testid="decode">([^ ]+) ', answered).group(1)
        quant = re.search(r'data-testid="format">([^<]+)<', answered).group(1)
        assert f">{decode} tok/s</a>" in cell and f"<small>{quant}</small>" in cell, gpu
    seventy = row(speeds, "model", "llama-3-3-70b-instruct")
    assert seventy.count("Does not fit") == 2  # 40 GB at Q4_K_M, 26 GB at Q2_K: not on one 24 GB card
    assert (
        "Does not fit" not in re.findall(r'<td data-testid="speed"[^>]*>(.*?)</td>', seventy, re.S)[2]
    )  # 128 GB
    assert [m for m in pages.COMPARE_MODELS if f'data-model="{m}"' in speeds] == pages.COMPARE_MODELS


def test_compare_labels_each_speed_with_its_card_for_a_phone(client, catalog):
    # a phone shows each model's row as a card of lines (site.css .cards), each line named by its data-label
    gpus = ["geforce-rtx-4090", "geforce-rtx-3090", "radeon-rx-7900-xtx", "apple-m4-max-128gb"]
    names = [Gpu.objects.get(slug=g).name for g in gpus]
    html = client.get("/gpus/compare/", {"gpu": gpus}).text
    speeds = re.search(r'<table class="cards" data-testid="compare-speeds">.*?</table>', html, re.S)
    assert speeds, "the speeds table is not a cards table"
    for slug in pages.COMPARE_MODELS:
        labels = re.findall(
            r'<td data-testid="speed" data-label="([^"]*)">', row(speeds.group(0), "model", slug)
        )
        assert [unescape(label) for label in labels] == names, slug  # one a card, in the order asked


def test_compare_menus_offer_the_listed_gpus_and_keep_the_chosen_ones(client, catalog):
    html = client.get(
        "/gpus/compare/?gpu=geforce-rtx-3090&gpu=RTX 4090"
    ).text  # a name stands for its first match
    menus = re.findall(r'<select name="gpu" id="id_gpu_(\d)">(.*?)</select>', html, re.S)
    assert [n for n, _ in menus] == ["1", "2", "3", "4"]
    chosen = [re.findall(r'<option value="([^"]*)" selected>', options) for _, options in menus]
    assert chosen == [["geforce-rtx-3090"], ["geforce-rtx-4090"], [], []]
    listed = Gpu.objects.listed().values_list("slug", flat=True)
    assert all(f'<option value="{slug}"' in menus[2][1] for slug in listed)
    assert html.count('hx-get="/gpus/pick/"') == 4  # each menu searches the whole catalog


def test_compare_names_an_unknown_gpu_on_the_page(client, catalog):
    response = client.get("/gpus/compare/?gpu=geforce-rtx-3090&gpu=no-such-card")
    assert response.status_code == 200
    assert "Unknown GPU “no-such-card”." in response.text


def test_compare_says_what_it_read_a_name_as_and_offers_the_other_matches(client, catalog):
    """A visitor review (F8): ?gpu=h100&gpu=a100 compared the PCIe cards without a word, where the SXM5's
    bandwidth is 1.6× the PCIe's. The page says what each name was read as and links the comparison with each
    of the next matches in its place."""
    response = client.get("/gpus/compare/?gpu=h100&gpu=a100")
    assert [g.slug for g in response.context["gpus"]] == ["h100-pcie-80-gb", "a100-pcie-80-gb"]
    said = [
        unescape(re.sub(r"<[^>]+>", "", p))
        for p in re.findall(r'data-testid="read-as">(.*?)</p>', response.text)
    ]
    assert said[0].startswith("“h100” read as H100 PCIe 80 GB — or H100 SXM5 80 GB")
    assert said[1].startswith("“a100” read as A100 PCIe 80 GB — or A100 SXM4 80 GB")
    assert (
        '<a href="/gpus/compare/?gpu=h100-sxm5-80-gb&amp;gpu=a100-pcie-80-gb">H100 SXM5 80 GB</a>'
        in response.text
    )
    swapped = client.get("/gpus/compare/?gpu=h100-sxm5-80-gb&gpu=a100-pcie-80-gb")
    assert 'data-testid="read-as"' not in swapped.text  # slugs: nothing to read
    exact = client.get("/gpus/compare/", {"gpu": ["GeForce RTX 4090", "L4"]})
    assert [g.slug for g in exact.context["gpus"]] == ["geforce-rtx-4090", "l4"]
    assert 'data-testid="read-as"' not in exact.text  # a GPU's own name is no guess


def test_compare_guesses_no_gpu_from_a_letter_and_says_how_to_name_one(client, catalog):
    """A visitor review (F8): ?gpu=a&gpu=b compared an L4 with a B200, the picker's first matches of a letter."""
    response = client.get("/gpus/compare/?gpu=a&gpu=b")
    assert response.context["gpus"] == []
    assert "Unknown GPUs “a”, “b”." in response.text and "Did you mean" not in response.text
    hint = unescape(
        re.sub(r"<[^>]+>", "", re.search(r'data-testid="how-to-name">(.*?)</p>', response.text).group(1))
    )
    assert "by its address on this site (geforce-rtx-4090" in hint and "“rtx 3090”" in hint
    assert 'data-testid="compare-speeds"' not in response.text


@pytest.mark.parametrize(
    "query, problem",
    [
        ("", "Choose at least two GPUs to compare."),
        ("?gpu=geforce-rtx-3090", "Choose at least two GPUs to compare."),
        ("?gpu=a100-pcie-80-gb&gpu=geforce-rtx-3090&gpu=geforce-rtx-4090&gpu=geforce-rtx-5090&gpu=rtx-a6000",
         "At most 4 GPUs side by side"),
    ],
)  # fmt: skip
def test_compare_asks_for_two_to_four_gpus(client, catalog, query, problem):
    response = client.get(f"/gpus/compare/{query}")
    assert response.status_code == 200
    assert problem in response.text


def one_of_each(rows, *fields: str) -> list[str]:
    """The slug of the first row of each combination of `fields`."""
    first = {}
    for row in rows.order_by("slug").values("slug", *fields):
        first.setdefault(tuple(row[f] for f in fields), row["slug"])
    return sorted(first.values())


def test_a_gpu_and_a_model_page_of_each_kind_renders(client, catalog):
    gpus = one_of_each(Gpu.objects.all(), "vendor", "unified_memory", "listed")
    models = one_of_each(LlmModel.objects.all(), "num_experts", "listed")
    for slug in gpus:
        assert client.get(f"/gpus/{slug}/").status_code == 200, slug
    assert 5 <= len(gpus) + len(models) <= 30, (gpus, models)
    for slug in models:
        assert client.get(f"/models/{slug}/").status_code == 200, slug


@pytest.mark.slow(reads_crawl=True)
def test_every_shipped_gpu_and_model_page_renders(client, catalog, tmp_path_factory):
    """Every GPU and model page answers 200: fetched here, unless the whole-site crawl of this run has
    already fetched it and found it answer 200 (those linked from the site, ~4 s of CPU here); the pages
    no link leads to (unlisted rows) are fetched here whatever ran before."""
    crawled = pages_crawled(tmp_path_factory)
    for url in [f"/gpus/{slug}/" for slug in Gpu.objects.values_list("slug", flat=True)] + [
        f"/models/{slug}/" for slug in LlmModel.objects.values_list("slug", flat=True)
    ]:
        if url not in crawled:
            assert client.get(url).status_code == 200, url


def test_gpu_page_asks_a_short_context_model_at_its_own_maximum(client, catalog):
    response = client.get("/gpus/geforce-rtx-3090/")
    tiny = next(r for r in response.context["rows"] if r.model.slug == "tinyllama-1-1b-chat-v1-0")
    assert tiny.fits and tiny.ctx == 2048 and "ctx=2048" in tiny.permalink
    assert "at its maximum, 2,048 tokens" in with_every_row(client, response.text)


def test_model_page_says_why_no_popular_card_runs_an_apple_only_format(client, catalog):
    rows = {r.quant.slug: r for r in client.get("/models/qwen3-8b/").context["rows"]}
    assert (
        rows["mlx-4bit"].stacked_note == "No runtime runs MLX 4-bit on GeForce RTX 3090 or GeForce RTX 4090"
    )
    assert rows["q4_k_m"].stacked_note == "" and rows["q4_k_m"].stacked


def test_a_download_note_links_its_urls_shortened(client, catalog):
    """The review: a 100-character GitHub URL in a download note ran past its card at 390 px."""
    html = client.get("/models/gpt-oss-120b/").content.decode()
    notes = re.findall(r'<td data-label="Source">.*?</td>', html, re.S)
    linked = [n for n in notes if re.search(r'<small>[^<]*<a href="https://', n)]
    assert linked, "no note with a URL"
    for note in linked:
        for text in re.findall(r'<a href="https://[^"]+"[^>]*>([^<]+)</a>', note.split("<small>", 1)[1]):
            assert len(text) <= 40, text


def test_a_gpu_page_lists_its_published_measurements_with_their_sources(client, catalog):
    response = client.get("/gpus/geforce-rtx-3090/")
    table = re.search(r'<div data-testid="measured">.*?</details></div>', response.text, re.S).group(0)
    rows = Measurement.objects.filter(gpu__slug="geforce-rtx-3090")
    assert rows.exists() and table.count("<tr data-measurement=") == rows.count()
    first = rows.order_by("slug").first()
    assert f'<a href="{first.source_url}" rel="external"' in table
    assert 'id="measured"' in response.text
    # one fold per model, each saying how many rows it holds (the 3090's were 38 phone screens of cards)
    models = rows.values_list("llm__name", flat=True).distinct()
    assert table.count('<details class="measured-model"') == len(set(models)) > 1
    llama = rows.filter(llm__name="Llama 3 8B Instruct").count()
    assert f"<strong>Llama 3 8B Instruct</strong> · {llama} measurements" in table


def test_each_published_row_on_a_gpu_page_stands_beside_our_estimate_for_its_own_test(client, catalog):
    html = client.get("/gpus/geforce-rtx-3090/").text
    for m in Measurement.objects.filter(gpu__slug="geforce-rtx-3090").select_related(
        "gpu", "llm", "quantization"
    ):
        ours = re.search(
            r'data-testid="ours">([^<]*)(?:<small>\(([^)]*)\)</small>)?', row(html, "measurement", m.slug)
        )
        estimate = row_estimate(m)
        if estimate is None:
            assert ours.group(1) == "–", m.slug
        else:  # the estimate and how far it is from the measured value, as the calculator writes them
            assert ours.group(1).strip() == f"{estimate:.1f}", m.slug
            assert ours.group(2) == signed_percent(estimate / m.value - 1), m.slug
    assert "how accurate the estimates are" in html


def test_row_estimates_hand_the_engine_one_spec_per_model_format_and_card(catalog, monkeypatch):
    """A card's published rows are a dozen models at many tests: each row's estimate hands the engine the
    specs as its entry points do (`interned`), so its caches, which tell specs apart by identity, find a
    model's tables built for another row or page instead of building them again for each row."""
    asked = []
    single = plans.single

    def recorded(**kw):
        asked.append(kw)
        return single(**kw)

    monkeypatch.setattr(plans, "single", recorded)
    rows = Measurement.objects.filter(gpu__slug="geforce-rtx-3090", gpu_count=1).select_related(
        "gpu", "llm", "quantization"
    )
    assert [row_estimate(m) for m in rows]
    by_value = {}
    for kw in asked:
        for spec in (kw["model"], kw["quant"], *kw["devices"]):
            assert by_value.setdefault((type(spec), spec.model_dump_json()), spec) is spec, spec.slug
    assert len({kw["model"].slug for kw in asked}) < len(asked)  # rows of the same model among them


def test_a_gpu_without_measurements_has_no_measured_section(client, catalog):
    Measurement.objects.filter(gpu__slug="geforce-rtx-3090").delete()
    assert 'data-testid="measured"' not in client.get("/gpus/geforce-rtx-3090/").text


def test_a_gpu_s_matrix_rate_reads_the_same_in_its_header_specs_and_the_list(client, catalog):
    """The review: a Tesla P40's 0.18 TFLOPS read "0.2" in its header and "0.18" in its specs, an Arc Pro
    B70's "183.5" and "183.50"."""
    page = client.get("/gpus/tesla-p40/").text
    assert page.count("0.18 TFLOPS") == 2 and "0.2 TFLOPS" not in page
    assert "0.18 TFLOPS" in client.get("/gpus/", {"q": "Tesla P40"}).text
    compare = client.get("/gpus/compare/", {"gpu": ["tesla-p40", "geforce-rtx-3090"]}).text
    assert "0.18 TFLOPS" in compare and "TFLOPS" in compare and ".00 TFLOPS" not in compare


def test_a_gpu_pages_price_links_where_it_was_published(client, catalog):
    """The review: "$700 (May 2026)" with no source; a visitor can open where each price was read."""
    from catalog.models import Price

    price = Price.objects.filter(gpu__slug="geforce-rtx-3090", currency="USD").newest_first().first()
    page = client.get("/gpus/geforce-rtx-3090/").content.decode()
    assert f'<a href="{price.source_url}" data-testid="price-source">' in page
    assert price.source_url.startswith("https://")


def test_a_gpu_page_links_the_sources_of_its_specs(client, catalog):
    """The review: bandwidth, FP16 and TDP rows had no source a visitor could open; each is in the row's
    `source`, now linked by site under the specs."""
    html = client.get("/gpus/b200/").text
    cell = re.search(r'<td[^>]* data-testid="sources">(.*?)</td>', html).group(1)  # after its data-label
    assert re.findall(r">([^<]+)</a>", cell) == [
        "techpowerup.com",
        "hyperstack.cloud",
        "nvidia.com",
        "glennklockwood.com",
        "docs.vultr.com",
    ]
    assert 'href="https://www.nvidia.com/en-us/data-center/dgx-b200/"' in cell


def test_a_gpu_page_asks_each_model_at_the_format_people_run_and_says_where_quality_drops(client, catalog):
    """A review: at the largest format that fits, an M4 Max 128 GB page put Llama 3.3 70B under "Slow" (Q8_0,
    5.9 tok/s) where /what-runs/ gives 9.2 in Q4_K_M, and a 229B model in Q2_K "Runs great" with no word on
    quality. It asks as /what-runs/ does by default, and a format under 3.5 bits says its quality drops."""
    html = with_every_row(client, client.get("/gpus/apple-m4-max-128gb/").text)
    assert "Q4_K_M" in row(html, "model", "llama-3-3-70b-instruct")
    what_runs = with_every_row(client, client.get("/what-runs/?gpu=apple-m4-max-128gb&count=1&ctx=8192").text)
    assert row(html, "model", "llama-3-3-70b-instruct") == row(what_runs, "model", "llama-3-3-70b-instruct")
    low = [
        m
        for m in re.findall(r'data-model="([^"]+)"', html)
        if 'data-testid="low-bit"' in row(html, "model", m)
    ]
    assert low and all("Q2_K" in row(html, "model", m) or "IQ" in row(html, "model", m) for m in low)
    assert 'data-testid="low-bit"' not in row(html, "model", "gpt-oss-120b")
