"""The reverse question "What runs on my hardware?" (what hardware runs a model: test_what_hardware.py)."""

import re

import pytest
from django.db.models import Q

from catalog import fitting
from catalog.models import Gpu, LlmModel, Quantization
from estimator import Workload
from estimator.schema import KV_BYTES_PER_ELEMENT
from tests.conftest import make_gpu
from tests.reverse_questions.answers import M4_MAX, RTX_3090, calculator_answer, row_for, rows_of

pytestmark = pytest.mark.django_db


# ---- What runs on my hardware? ------------------------------------------------------------------


def test_m4_max_128gb_runs_llama_3_3_70b_at_q8_0_its_largest_fitting_format(client, catalog):
    response = client.get(f"/what-runs/?gpu={M4_MAX}&quant=largest")
    assert response.status_code == 200
    row = row_for(response, "llama-3-3-70b-instruct")
    assert row.fits
    assert row.quant.slug == "q8_0"  # F16 (141 GB) does not fit in the 96 GB macOS lets the GPU wire
    assert row.plan.strategy == "single"
    assert 3 < row.plan.decode_tok_s < 10
    assert row.plan.decode_tok_s_low < row.plan.decode_tok_s < row.plan.decode_tok_s_high
    html = response.content.decode()
    assert "Apple M4 Max (40-core GPU) 128 GB" in html
    assert "/?model=llama-3-3-70b-instruct&amp;quant=q8_0&amp;gpu=apple-m4-max-128gb&amp;ctx=8192" in html


def test_what_runs_on_an_m4_max_is_tiers_at_the_format_people_use(client, catalog):
    """Issue 16: F16 for every model, a 0.5B model first. Now Q4_K_M (MXFP4 for gpt-oss), in speed
    tiers, the largest model of each tier first and named at the top. The tiers go by the speed with the
    whole context cached (at 8,192 tokens Llama 4 Scout starts at 32 tok/s and falls to 28: Usable)."""
    response = client.get(f"/what-runs/?gpu={M4_MAX}")
    tiers = {t.key: t for t in response.context["tiers"]}
    assert [t.key for t in response.context["tiers"]] == ["great", "usable", "slow", "none"]
    for tier, (low, high) in {"great": (30, 1e9), "usable": (10, 30), "slow": (3, 10)}.items():
        assert all(low <= r.tok_s_at_context < high for r in tiers[tier].rows)
        sizes = [r.model.total_params_b for r in tiers[tier].rows]
        assert sizes == sorted(sizes, reverse=True)
        assert tiers[tier].best is tiers[tier].rows[0] or tiers[tier].best.model.total_params_b == sizes[0]
    assert row_for(response, "llama-3-3-70b-instruct").quant.slug == "q4_k_m"
    assert row_for(response, "gpt-oss-120b").quant.slug == "mxfp4"
    assert all(not r.fits or fitting.width(r.quant, r.model) <= 4.9 for r in rows_of(response))
    html = response.content.decode()
    assert 'data-testid="tier-summary"' in html and "Runs great" in html


def test_a_row_smaller_than_the_usual_format_says_the_usual_one_does_not_fit(client, catalog):
    """The review: under "Q4_K_M, or the model's own", rows ran at Q2_K with nothing to say so."""
    response = client.get(f"/what-runs/?gpu={RTX_3090}&count=2&ctx=32768")
    smaller = [r for r in rows_of(response) if r.fits and r.instead_of]
    assert smaller and all(r.instead_of == "Q4_K_M" and r.quant.slug != "q4_k_m" for r in smaller)
    assert all(not r.instead_of for r in rows_of(response) if r.fits and r.quant.slug in ("q4_k_m", "mxfp4"))
    html = response.content.decode()
    assert '<small data-testid="instead-of">(Q4_K_M does not fit)</small>' in html
    assert (
        "Q4_K_M or smaller, or the model&#x27;s own" in html
        or "Q4_K_M or smaller, or the model's own" in html
    )
    largest = client.get(f"/what-runs/?gpu={RTX_3090}&count=2&ctx=32768&quant=largest")
    assert not [r for r in rows_of(largest) if r.instead_of]  # the largest that fits: nothing tried first


def test_each_row_links_to_the_calculator_question_that_gives_the_same_answer(client, catalog):
    response = client.get(f"/what-runs/?gpu={RTX_3090}&count=2&ctx=16384")
    fit = [r for r in rows_of(response) if r.fits]
    assert len(fit) > 30
    for row in fit[::5]:
        result, canonical = calculator_answer(row.permalink)
        assert canonical == row.permalink  # already in the calculator's canonical order
        assert result.recommended == row.plan.strategy
        assert result.recommended_plan.decode_tok_s == pytest.approx(row.plan.decode_tok_s)


def test_every_catalog_model_is_listed_and_those_that_do_not_fit_come_last(client, catalog):
    response = client.get(f"/what-runs/?gpu={RTX_3090}&count=2")
    rows = rows_of(response)
    assert len(rows) == LlmModel.objects.count()
    fits = [r.fits for r in rows]
    assert fits == sorted(fits, reverse=True)
    assert not row_for(response, "deepseek-r1").fits
    assert row_for(response, "llama-3-1-70b-instruct").quant.slug == "q4_k_m"
    html = response.content.decode()
    assert f"{response.context['fitting']} of {len(rows)} models fit on 2× GeForce RTX 3090" in html
    assert "Does not fit: not at any listed format." in html


def test_a_model_that_reads_less_context_is_asked_at_its_maximum(client, catalog):
    response = client.get(f"/what-runs/?gpu={M4_MAX}&ctx=32768")
    row = row_for(response, "llama-3-70b-instruct")  # Llama 3: 8,192 tokens
    assert row.fits and row.ctx == 8192 and row.longest_ctx == 8192
    assert "ctx=8192" in row.permalink
    assert "at its maximum, 8,192 tokens" in response.text
    assert row_for(response, "qwen3-32b").ctx is None  # reads 32,768 or more: asked as given


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("speed", lambda r: -r.tok_s_at_context),  # with the whole context cached, as the tiers
        ("size", lambda r: -r.model.total_params_b),
        ("name", lambda r: r.model.name.casefold()),
    ],
)
def test_rows_sort_by_speed_size_or_name(client, catalog, sort, key):
    rows = [r for r in rows_of(client.get(f"/what-runs/?gpu={M4_MAX}&sort={sort}")) if r.fits]
    assert [key(r) for r in rows] == sorted(key(r) for r in rows)


def test_column_headers_link_to_the_same_question_sorted(client, catalog):
    response = client.get(f"/what-runs/?gpu={RTX_3090}&count=2&ctx=4096&sort=name")
    html = response.content.decode()
    assert (
        'aria-sort="ascending"><a href="/what-runs/?gpu=geforce-rtx-3090&amp;count=2&amp;ctx=4096&amp;sort=name"'
        in html
    )
    assert (
        '<a href="/what-runs/?gpu=geforce-rtx-3090&amp;count=2&amp;ctx=4096&amp;sort=speed">Decode tok/s</a>'
        in html
    )
    assert '<a href="/what-runs/?gpu=geforce-rtx-3090&amp;count=2&amp;ctx=4096">Parameters</a>' in html


def test_mixed_gpus_and_system_ram_are_kept_in_the_row_links(client, catalog):
    response = client.get("/what-runs/?gpu=geforce-rtx-4090&count=1&gpu=geforce-rtx-3090&count=1&ram_gb=128")
    row = row_for(response, "llama-3-1-70b-instruct")
    assert row.permalink == (
        f"/?model=llama-3-1-70b-instruct&quant={row.quant.slug}"
        "&gpu=geforce-rtx-4090&gpu=geforce-rtx-3090&ctx=8192&ram_gb=128"
    )
    result, canonical = calculator_answer(row.permalink)
    assert canonical == row.permalink
    assert result.recommended == row.plan.strategy


def test_system_ram_lets_a_too_big_model_run_with_offload(client, catalog):
    without = row_for(client.get(f"/what-runs/?gpu={RTX_3090}"), "llama-3-1-70b-instruct")
    with_ram = row_for(client.get(f"/what-runs/?gpu={RTX_3090}&ram_gb=128"), "llama-3-1-70b-instruct")
    assert not without.fits
    assert with_ram.fits and with_ram.plan.strategy == "cpu_offload"
    assert with_ram.plan.decode_tok_s < 5


# Every model × every format, one by one: the quick suite checks one hardware set, `slow` (make test, CI) all.
@pytest.mark.parametrize(
    ("devices", "ctx", "ram_gb"),
    [
        ([RTX_3090] * 2, 8192, None),
        pytest.param([M4_MAX], 32768, None, marks=pytest.mark.slow),
        pytest.param(["geforce-rtx-4090", RTX_3090], 8192, 64, marks=pytest.mark.slow),
    ],
)
def test_skipping_formats_that_cannot_fit_picks_what_trying_every_format_picks(catalog, devices, ctx, ram_gb):
    specs = [Gpu.objects.get(slug=s).as_spec() for s in devices]
    quants = sorted((q.as_spec() for q in Quantization.objects.listed()), key=lambda q: -q.bits_per_weight)
    models = [m.as_spec() for m in LlmModel.objects.all()]
    workload = fitting.question_workload(ctx=ctx, ram_gb=ram_gb)
    rows = fitting.what_runs(models=models, quants=quants, devices=specs, workload=workload, ram_gb=ram_gb)
    for model, row in zip(models, rows, strict=True):
        if model.max_position_embeddings and ctx > model.max_position_embeddings:
            continue
        by_width = sorted(quants, key=lambda q: -fitting.width(q, model))  # its own bits per weight
        every = [  # each format with the default KV cache, then with llama.cpp's q8_0
            (q.slug, kv)
            for q in by_width
            for kv, asked in (("", workload), ("q8_0", with_kv(workload, "q8_0")))
            if fitting.recommended(model=model, quant=q, devices=specs, workload=asked)
        ]
        found = (row.quant.slug, row.kv) if row.fits else None
        assert found == (every[0] if every else None), model.slug


@pytest.mark.parametrize(
    ("devices", "ram_gb"), [([RTX_3090] * 2, None), (["geforce-rtx-4090", RTX_3090], 64)]
)
def test_memory_alone_says_whether_the_calculator_finds_a_plan(catalog, devices, ram_gb):
    """what_runs asks `holds` (no speed) before `recommended` once a model was refused a format."""
    specs = [Gpu.objects.get(slug=s).as_spec() for s in devices]
    workload = fitting.question_workload(ctx=8192, ram_gb=ram_gb)
    for model in (m.as_spec() for m in LlmModel.objects.all()):
        for quant in (q.as_spec() for q in Quantization.objects.listed()):
            kw = {"model": model, "quant": quant, "devices": specs, "workload": workload}
            assert fitting.holds(**kw) == (fitting.recommended(**kw) is not None), (model.slug, quant.slug)


def with_kv(workload, kv: str):
    """The workload with a quantized KV cache (`kv`; none: as it is), as what-runs asks it."""
    if not kv:
        return workload
    fields = {"kv_cache_type": kv, "kv_bytes_per_element": KV_BYTES_PER_ELEMENT[kv]}
    return Workload.model_validate(workload.model_dump() | fields)


@pytest.mark.parametrize("devices", [[M4_MAX], [RTX_3090, RTX_3090], ["geforce-rtx-4090"]])
def test_the_longest_context_shown_fits(catalog, devices):
    specs = [Gpu.objects.get(slug=s).as_spec() for s in devices]
    quants = [q.as_spec() for q in Quantization.objects.listed()]
    workload = fitting.question_workload(ctx=8192)
    rows = fitting.what_runs(
        models=[m.as_spec() for m in LlmModel.objects.all()], quants=quants, devices=specs, workload=workload
    )
    for row in (r for r in rows if r.fits):
        assert row.longest_ctx >= (row.ctx or 8192)  # row.ctx: the model reads less; asked at that
        longer = with_kv(fitting.question_workload(ctx=row.longest_ctx), row.kv)
        assert fitting.recommended(model=row.model, quant=row.quant, devices=specs, workload=longer), (
            row.model.slug
        )


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("gpu=no-such-gpu", "gpu", "Unknown GPU “no-such-gpu”."),
        (f"gpu={RTX_3090}&count=0", "count", "Between 1 and 8."),
        (f"gpu={RTX_3090}&count=two", "count", "Enter a whole number."),
        (f"gpu={RTX_3090}&count=5&gpu=geforce-rtx-4090&count=4", "count", "At most 8 devices here"),
        (f"gpu={RTX_3090}&gpu={M4_MAX}&count=1&count=2&count=3", "count", "Give one count per GPU."),
        (f"gpu={RTX_3090}&ctx=99999999999", "ctx", "Enter at most 10,485,760."),
        (f"gpu={RTX_3090}&ctx=-5", "ctx", "Enter 1 or more."),
        (f"gpu={RTX_3090}&ram_gb=lots", "ram_gb", "Enter a whole number."),
        # Django's read "Select a valid choice. price is not one of the available choices."
        (f"gpu={RTX_3090}&sort=price", "sort", "Unknown sort order “price”: pick Size, Speed or Name."),
        (f"gpu={RTX_3090}&quant=q9", "quant", "Unknown format “q9”: pick “Q4_K_M or smaller, or the model"),
        (f"gpu={RTX_3090}&q=a%00", "q", "No name holds a NUL character: take it out."),
        ("ctx=8192", "gpu", "Choose at least one GPU."),
        # a review: the last was answered, silently, where the calculator and the API refuse
        (f"gpu={RTX_3090}&ctx=4096&ctx=8192", "ctx", "Given 2 times: give it once."),
    ],
)
def test_bad_input_shows_a_message_next_to_the_field_not_an_error_page(client, query, field, message):
    make_gpu()
    make_gpu(slug=M4_MAX, name="Apple M4 Max", vendor="apple", unified_memory=True)
    response = client.get(f"/what-runs/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<span class="error" id="error-{field}">' in html
    assert message in html.split(f'id="error-{field}">')[1].split("</span>")[0]
    assert "Fix the highlighted fields" in html
    assert "rows" not in response.context


def test_first_visit_already_shows_what_runs_on_one_rtx_3090(client, catalog):
    response = client.get("/what-runs/")
    assert response.context["hardware"] == "1× GeForce RTX 3090"
    assert response.context["fitting"] > 30


def test_a_count_left_from_another_card_does_not_double_a_mac(client, catalog):
    """Issue 16: "How many = 2" kept from an earlier question answered for 2× Apple M4 Max."""
    response = client.get(f"/what-runs/?gpu={M4_MAX}&count=2")
    assert response.context["hardware"] == "1× Apple M4 Max (40-core GPU) 128 GB"
    assert "is a whole computer: counted once" in response.content.decode()


def test_htmx_gets_only_the_result_and_the_canonical_url(client, catalog):
    url = f"/what-runs/?sort=size&gpu={M4_MAX}&count=1&ctx=8192&ram_gb="
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.template_name == "reverse_questions/what_runs.html#result"
    assert re.match(
        r'\s*<title>What runs on 1× Apple M4 Max[^<]*</title>\s*<section id="result"',
        response.content.decode(),
    )
    assert response["HX-Replace-Url"] == f"/what-runs/?gpu={M4_MAX}&count=1"
    assert "HX-Request" in response["Vary"]
    full = client.get(url)
    assert full.template_name == "reverse_questions/what_runs.html" and "<form" in full.content.decode()


def test_what_runs_query_count_is_bounded(client, catalog, django_assert_max_num_queries):
    # 1: the listed GPUs and the ones asked for; 2: every LLM; 3: every image and video model; 4: the listed
    # formats; 5: the runtime table, 6: which formats each model is published in and 7: the RAM presets (the
    # last three cached until the catalog changes)
    with django_assert_max_num_queries(7):
        response = client.get(f"/what-runs/?gpu={RTX_3090}&count=2&gpu={M4_MAX}&ram_gb=64")
    assert response.status_code == 200


def test_a_second_what_runs_question_reads_nothing_from_the_database(
    client, catalog, django_assert_num_queries, django_assert_max_num_queries
):
    client.get(f"/what-runs/?gpu={RTX_3090}&count=2")  # reads the catalog's tables, once per catalog version
    with django_assert_num_queries(0):
        response = client.get(f"/what-runs/?gpu={M4_MAX}&ctx=32768&sort=speed")
    assert response.status_code == 200 and response.context["rows"]
    # an unlisted GPU: from the GPU table, read once per catalog version (1 if nothing read it yet); the
    # picker shows it, selected, among the listed ones in the catalog's order
    unlisted, other = Gpu.objects.filter(listed=False, unified_memory=False).order_by("slug")[:2]
    with django_assert_max_num_queries(1):
        response = client.get(f"/what-runs/?gpu={unlisted.slug}&count=2")
    assert f'<option value="{unlisted.slug}" selected>' in response.text
    with django_assert_num_queries(0):
        response = client.get(f"/what-runs/?gpu={other.slug}&count=2")
    shown = [g.slug for g in Gpu.objects.filter(Q(listed=True) | Q(slug=other.slug))]
    picker = response.text.split('name="gpu"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', picker) == shown


def test_what_runs_sees_a_catalog_edit_at_once(client, catalog):
    assert "Renamed 3090" not in client.get(f"/what-runs/?gpu={RTX_3090}&count=2").text
    gpu = Gpu.objects.get(slug=RTX_3090)
    gpu.name = "Renamed 3090"
    gpu.save()
    assert (
        f'<option value="{RTX_3090}" selected>Renamed 3090</option>'
        in client.get(f"/what-runs/?gpu={RTX_3090}").text
    )


# ---- Only formats the hardware can run (the calculator's runtime × backend × format table) ---------


def test_what_runs_offers_only_formats_a_runtime_runs_on_the_chosen_devices(client, catalog):
    on_rtx = client.get(f"/what-runs/?gpu={RTX_3090}&count=2&quant=largest")
    offered = {key for key, _ in on_rtx.context["form"].fields["quant"].choices}
    assert "q4_k_m" in offered and "awq-4bit" in offered
    assert not {s for s in offered if s.startswith("mlx-")}  # MLX runs on Apple silicon only
    runtimes = on_rtx.context["form"].runtimes
    assert runtimes["q4_k_m"] == "llama-cpp" and runtimes["awq-4bit"] == "vllm"  # never AWQ under llama.cpp
    assert all(not r.fits or not r.quant.slug.startswith("mlx-") for r in rows_of(on_rtx))
    on_mac = client.get(f"/what-runs/?gpu={M4_MAX}&quant=mlx-4bit")
    assert on_mac.context["form"].runtimes["mlx-4bit"] == "mlx"
    assert "awq-4bit" not in on_mac.context["form"].runtimes  # vLLM does not run on Apple silicon
    row = row_for(on_mac, "llama-3-1-8b-instruct")
    assert row.fits and row.quant.slug == "mlx-4bit" and row.runtime == "mlx"
    assert "runtime=mlx" in row.permalink and "(MLX)" in on_mac.content.decode()
    result, canonical = calculator_answer(row.permalink)  # the calculator gives the same answer
    assert canonical == row.permalink
    assert result.recommended_plan.decode_tok_s == pytest.approx(row.plan.decode_tok_s)


def test_a_format_the_devices_cannot_run_is_refused_next_to_the_field(client, catalog):
    response = client.get(f"/what-runs/?gpu={RTX_3090}&quant=mlx-4bit")
    assert response.status_code == 200 and "rows" not in response.context
    html = response.content.decode()
    message = html.split('id="error-quant">')[1].split("</span>")[0]
    assert "runs MLX 4-bit on NVIDIA GPUs (CUDA)" in message


def test_a_deploy_changing_only_this_apps_code_moves_every_kept_page(settings, tmp_path):
    """Kept pages are keyed by the release (config/http_cache.py), which hashes this app's code too: its
    tables are written in Python (answers.py), so a change there changes the pages."""
    from config.http_cache import release

    for folder in ("templates", "static", "content", "reverse_questions"):
        (tmp_path / folder).mkdir()
    code = tmp_path / "reverse_questions" / "answers.py"
    code.write_text("SORTS = {}\n")
    settings.BASE_DIR, settings.CONTENT_DIR = tmp_path, tmp_path / "content"
    release.cache_clear()
    try:
        before = release()
        code.write_text("SORTS = {'size': 'Size'}\n")
        release.cache_clear()
        assert release() != before
    finally:
        release.cache_clear()


def test_what_runs_finds_any_catalog_gpu_as_the_calculator_does(client, catalog):
    """The review: the what-runs pickers offered the 30 listed GPUs only (an Arc A770 owner could not
    pick theirs). Each row has the calculator's finder, and a pick recomputes the answer (`change`)."""
    html = client.get("/what-runs/").content.decode()
    assert html.count('hx-get="/gpus/pick/"') == html.count('<select name="gpu"') >= 2
    assert 'aria-controls="id_gpu_1"' in html and "change from:#question" in html
    assert "Arc A770" in client.get("/gpus/pick/", {"q": "a770"}).content.decode()
    assert "1× Arc A770" in client.get("/what-runs/?gpu=arc-a770").content.decode()


def test_a_unified_machine_leaves_system_ram_out_and_its_links_answer(client, catalog):
    """A consistency review: /what-runs/ on an M1 Pro with System RAM 32 answered, and every Details link carried
    ram_gb=32, which the calculator refuses there ("leave System RAM empty")."""
    response = client.get("/what-runs/?gpu=apple-m1-pro-32gb&count=1&ram_gb=32")
    html = response.content.decode()
    assert "System RAM left out" in html and "ram_gb=" not in html
    row = next(r for r in rows_of(response) if r.fits)
    result, _ = calculator_answer(row.permalink)
    assert result.recommended == row.plan.strategy
