"""What the result shows: every plan, suggestions as permalinks, charts, launch command, snapshots, compare."""

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from calculator import charts
from calculator.forms import QuestionForm
from calculator.models import Snapshot
from calculator.question import Question
from catalog.models import Gpu
from estimator.units import format_rate, format_seconds

pytestmark = pytest.mark.django_db

QUESTION = "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


def test_every_plan_is_shown_side_by_side_with_the_recommended_first(client, catalog):
    response = client.get(QUESTION)
    html = response.content.decode()
    strategies = re.findall(r'data-strategy="([a-z_]+)"', html)
    assert strategies[0] == response.context["result"].recommended == "layer_split"
    assert {"single", "layer_split", "tensor_parallel", "replicas"} <= set(strategies)
    assert 'class="nofit" data-strategy="single"' in html  # 70B does not fit one 24 GB card: greyed
    # and has no speeds, which read as a choice (the recommended row has its own)
    single = html.split('data-strategy="single"')[1].split("</tr>")[0]
    assert '<td data-label="Decode per user">–</td>' in single and '<td data-label="TTFT">–</td>' in single
    split = html.split('data-strategy="layer_split"')[1].split("</tr>")[0]
    assert '<td data-label="Decode per user">–</td>' not in split and "tok/s" in split


def test_suggestions_are_permalinks_to_the_changed_question(client, catalog):
    response = client.get("/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=8192")
    suggestions = response.context["suggestions"]
    assert suggestions, "a 70B on one 24 GB card must get suggestions"
    urls = [s["url"] for s in suggestions if s["url"]]
    assert any("count=" in u for u in urls)  # how many GPUs of this kind would fit it
    for url in urls:
        assert client.get(url).status_code == 200


def test_gpu_count_suggestion_fits_when_followed(client, catalog):
    response = client.get("/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=8192")
    url = next(s["url"] for s in response.context["suggestions"] if s["kind"] == "gpu_count")
    assert client.get(url).context["verdict"].fits


def test_charts_plot_speed_against_context_and_users(client, catalog):
    response = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=8192")
    context_chart, users_chart = response.context["charts"]
    speeds = [p.value for p in context_chart.points if p.fits]
    assert speeds == sorted(speeds, reverse=True)  # longer context, more KV read per token: slower
    totals = [p.value for p in users_chart.points if p.fits]
    assert totals[1] > totals[0]  # two users together get more tokens per second than one
    html = response.content.decode()
    assert (
        html.count('<img src="/chart.svg?chart=') == 2
        and "<figcaption>Decode speed per user at full context</figcaption>" in html
        and re.search(
            r'alt="Decode speed per user at full context, in tok/s, by tokens of context: 1k [\d.]+; 2k [\d.]+;',
            html,
        )
    )
    svg = client.get("/chart.svg?chart=context&model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090")
    assert svg["Content-Type"] == "image/svg+xml" and b"<polyline" in svg.content
    assert (
        client.get("/chart.svg?chart=nope&model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=x").status_code == 400
    )


def test_each_chart_point_is_the_plan_the_calculator_shows_at_that_context(client, catalog):
    """Issue 16: the chart followed one strategy, marking 1k-8k "does not fit" while another plan did."""
    base = "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ram_gb=64"
    chart = client.get(f"{base}&ctx=32768").context["charts"][0]
    for point in chart.points:
        tokens = int(point.label.removesuffix("k")) * 1024
        form = QuestionForm(QueryDict(f"{base[2:]}&ctx={tokens}"))
        assert form.is_valid(), form.errors
        plan = Question.from_form(form).estimate(with_suggestions=False).recommended_plan
        assert point.fits == (plan is not None), point.label
        if plan is not None:  # decode with that context cached, as the page's "At full context"
            assert point.value == plan.decode_tok_s_at_context, point.label


def test_the_context_chart_plots_decode_at_each_context_not_at_an_empty_one(client, catalog):
    """The review of the result page: the chart drew one flat line, the decode speed of an empty context
    (the prompt's 512 tokens) at every context length. Each point is now decode with that context cached:
    the question's own point is the result's "At full context", and 128k reads far more KV than 1k."""
    response = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=8192")
    chart, plan = response.context["charts"][0], response.context["result"].recommended_plan
    current = next(p for p in chart.points if p.current)
    assert (current.value, current.low, current.high) == (
        plan.decode_tok_s_at_context,
        plan.decode_tok_s_at_context_low,
        plan.decode_tok_s_at_context_high,
    )
    first, last = chart.points[0], chart.points[-1]
    assert (first.label, last.label) == ("1k", "128k") and first.fits and last.fits
    assert last.value < 0.8 * first.value


def test_launch_command_follows_the_chosen_runtime(client, catalog):
    llama = client.get(QUESTION).context["command"]
    assert llama[0] == "llama-server" and "-ngl" in llama[1]
    vllm = client.get(
        "/?model=llama-3-1-8b-instruct&quant=f16&gpu=geforce-rtx-4090&count=2&runtime=vllm"
    ).context["command"]
    assert vllm[0] == "vllm" and vllm[1].startswith("vllm serve")


def test_mixed_gpus_are_a_list_of_devices(client, catalog):
    response = client.get(
        "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&count=1&gpu=geforce-rtx-3090&count=1"
    )
    plan = next(p for p in response.context["plans"] if p.strategy == "layer_split")
    assert [d.gpu for d in plan.gpu_devices] == ["geforce-rtx-4090", "geforce-rtx-3090"]
    assert response.context["permalink"].count("gpu=") == 2


def test_an_empty_hardware_row_is_ignored(client, catalog):
    response = client.get(
        "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=1&gpu=&count=1&ctx=4096"
    )
    assert response.context["verdict"].fits
    assert response.context["permalink"] == "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090"


def test_a_prompt_longer_than_the_context_is_an_error_not_a_500(client, catalog):
    response = client.get(
        "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=1000&prompt=5000"
    )
    assert response.status_code == 200
    assert "cannot be longer than the context" in response.content.decode()
    api = client.get(
        "/api/v1/estimate?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=1000&prompt=5000"
    )
    assert api.status_code == 400 and "prompt" in api.json()["errors"]


def test_a_tiny_context_still_answers(client, catalog):
    response = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=100")
    assert response.context["verdict"].fits


def test_sharing_the_same_question_twice_gives_the_same_short_url(client, catalog):
    first = client.post("/r/", {"q": QUESTION[2:]})["Location"]
    second = client.post("/r/", {"q": QUESTION[2:]})["Location"]
    assert first == second
    assert Snapshot.objects.count() == 1


def test_unknown_snapshot_is_a_404(client, db):
    assert client.get("/r/zzzzzzzzzz").status_code == 404


def test_an_unknown_snapshot_says_the_shared_result_does_not_exist(client, db):
    """A visitor review: /r/doesnotexist read "what it named has left the catalog", the site's 404 for a
    page; a shared result never leaves: the link is wrong, and the calculator is a click away."""
    response = client.get("/r/doesnotexist")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>This shared result does not exist</h1>" in html and "Check the link" in html
    assert "left the catalog" not in html
    assert '<p class="lead">Check the link: it may be cut short or mistyped.</p>' in html
    assert '<a href="/">Ask the calculator</a>' in html


def test_compare_shows_each_column_with_its_own_permalink(client, catalog):
    questions = [
        "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192",
        "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=apple-m2-ultra-192gb&ctx=8192",
        "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-5090&ctx=8192",
    ]
    response = client.get("/compare/", {"q": questions})
    assert response.status_code == 200
    html = response.content.decode()
    for q in questions:
        assert f'href="/?{q.replace("&", "&amp;")}"' in html
    assert len(response.context["columns"]) == 3


def test_compare_adds_an_answer_by_name_and_sums_it_up_in_one_table(
    client, catalog, django_assert_max_num_queries
):
    """Issue 16: pick a model and hardware by name; a compact table gives verdict, speed, memory, price."""
    first = "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"
    added = client.get(
        "/compare/",
        {
            "q": first,
            "add_model": "llama-3-1-8b-instruct",
            "add_quant": "q4_k_m",
            "add_gpu": "geforce-rtx-4090",
        },
    )
    assert added.status_code == 302
    second = "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=8192"  # asked as the last
    assert added["Location"] == "/compare/?" + urlencode([("q", first), ("q", second)])
    with django_assert_max_num_queries(30):  # per column: 3 rows, KV type, formats, prices, measurements
        response = client.get(added["Location"])
    table = response.content.decode().split('data-testid="compare-table"')[1].split("</table>")[0]
    assert table.split("<tbody>")[1].count("<tr>") == 2
    assert f'href="/?{second.replace("&", "&amp;")}"' in table
    assert "Llama 3.1 8B" in table and "Yes" in table and "of 24.0 GiB" in table
    assert "$" in table or "no price published" in table
    refused = client.get("/compare/", {"add_model": "nope", "add_quant": "q4_k_m", "add_gpu": "x"})
    assert refused.status_code == 200 and "Unknown model" in refused.content.decode()


def test_an_answer_added_by_name_asks_what_the_last_column_asks(client, catalog):
    """A visitor comparing a 5090 with their 4090 question at 32K got a column at 4,096 tokens, and the
    add form started at the first model and GPU of the catalog."""
    mac = "model=qwen3-30b-a3b&quant=mlx-4bit&gpu=apple-m4-max-128gb&ctx=32768&batch=2&runtime=mlx"
    page = client.get("/compare/", {"q": mac}).content.decode()
    assert '<option value="qwen3-30b-a3b" selected>' in page and '<option value="mlx-4bit" selected>' in page
    assert '<option value="apple-m4-max-128gb" selected>' in page
    added = client.get(
        "/compare/",
        {"q": mac, "add_model": "qwen3-30b-a3b", "add_quant": "q4_k_m", "add_gpu": "geforce-rtx-5090"},
    )
    assert added.status_code == 302
    new = QueryDict(added["Location"].split("?", 1)[1]).getlist("q")[1]
    # the context and users carried; MLX does not run on the 5090: dropped, the usual runtime instead
    assert QueryDict(new).dict() == {
        "model": "qwen3-30b-a3b",
        "quant": "q4_k_m",
        "gpu": "geforce-rtx-5090",
        "ctx": "32768",
        "batch": "2",
    }
    ollama = mac.replace("mlx-4bit", "q4_k_m").replace("mlx", "ollama") + "&kv=q8_0"
    added = client.get(
        "/compare/",
        {"q": ollama, "add_model": "qwen3-30b-a3b", "add_quant": "q4_k_m", "add_gpu": "geforce-rtx-5090"},
    )
    new = QueryDict(added["Location"].split("?", 1)[1]).getlist("q")[1]
    assert "runtime=ollama" in new and "kv=q8_0" in new and "ctx=32768" in new  # runs there: kept


def test_an_answer_added_after_a_broken_column_asks_what_the_last_answered_one_asks(client, catalog):
    """A column with a context over the limit gave the added question its error, though the visitor
    never typed it there: the new question is asked as the last column that answers."""
    good = "model=llama-3-1-8b&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=16384"
    broken = "model=llama-3-1-8b&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=99999999"
    added = client.get(
        "/compare/",
        {
            "q": [good, broken],
            "add_model": "llama-3-1-8b",
            "add_quant": "q4_k_m",
            "add_gpu": "geforce-rtx-3090",
        },
    )
    assert added.status_code == 302
    new = QueryDict(added["Location"].split("?", 1)[1]).getlist("q")[2]
    assert QueryDict(new).get("ctx") == "16384"
    alone = client.get(
        "/compare/",
        {"q": broken, "add_model": "llama-3-1-8b", "add_quant": "q4_k_m", "add_gpu": "geforce-rtx-3090"},
    )
    # with no column that answers, as the first answer added: at the calculator's first-visit context
    assert (
        alone.status_code == 302
        and QueryDict(QueryDict(alone["Location"].split("?", 1)[1]).getlist("q")[1]).get("ctx") == "8192"
    )


def test_compare_says_whose_speed_it_is_where_vllm_seats_fewer_users(client, catalog):
    """A consistency review: where vLLM seats 14 of 64 users, the compare column headed "Decode tok/s per user"
    said 136, the page's plans table under the same words 29.6 (the average, waiting included)."""
    query = "model=llama-3-1-8b-instruct&quant=bf16&gpu=h100-sxm5-80-gb&runtime=vllm&batch=64&ctx=32768"
    verdict = client.get(f"/?{query}").context["verdict"]
    assert verdict.tok_s_who.endswith(" at once")
    [column] = client.get("/compare/", {"q": [query]}).context["columns"]
    assert column["decode"] == f"{verdict.tok_s} ({verdict.tok_s_who})"


def test_compare_with_a_bad_column_says_which(client, catalog):
    response = client.get("/compare/", {"q": ["model=nope&quant=q4_k_m&gpu=geforce-rtx-3090"]})
    assert response.status_code == 200
    assert "Unknown model" in response.content.decode()


def test_each_compared_question_can_be_removed_broken_or_not(client, catalog):
    """A review: a broken or unwanted column could be dropped only by editing the URL."""
    good, bad = (
        "model=llama-3-1-8b-instruct&gpu=geforce-rtx-3090",
        "model=nope&quant=q4_k_m&gpu=geforce-rtx-3090",
    )
    html = client.get("/compare/", {"q": [good, bad]}).content.decode()
    removes = re.findall(r'<a class="remove" href="([^"]+)" data-testid="remove">Remove</a>', html)
    assert [r.replace("&amp;", "&") for r in removes] == [
        f"/compare/?{urlencode({'q': q})}" for q in (bad, good)
    ]
    assert "Unknown model" not in client.get(removes[1].replace("&amp;", "&")).content.decode()
    alone = client.get("/compare/", {"q": [good]}).content.decode()
    assert 'href="/compare/" data-testid="remove"' in alone


def test_open_graph_meta_carries_the_verdict(client, catalog):
    html = client.get(QUESTION).content.decode()
    assert re.search(r'<meta property="og:title" content="[^"]*fits on 2× GeForce RTX 3090', html)
    assert '<meta name="twitter:card"' in html


def test_page_weighs_under_108_7_kb_with_css_and_js(client, catalog):
    """HTML, and every stylesheet and script the page loads (htmx included), before compression. 100 KB until
    the step bar (where each token's time goes, 1.2 KB of HTML) took this page to 101.2 KB: every stylesheet
    rule is used and the rest of the HTML is the question, the answer and their glossary links. 102.2 KB since
    error text wraps anywhere (a refusal naming vLLM's installation page pushed a phone page 200 px sideways)
    and the page says more where it said too little (the seated users of a vLLM verdict, the launch command
    wrapping between its arguments), each measured here. 102.5 KB since the GPU backend select (ROCm or Vulkan
    on a Radeon: ~300 bytes with its out-of-band copy in each answer). 102.7 KB since the navigation leads to
    "Choose my GPU" and the GPU pickers list the H200 SXM and the B200 (~150 bytes). 103.2 KB since a finder keeps
    the choice that matches and an emptied one brings it back (a visitor review: the question changed with
    nothing picked; ~590 bytes of script). 103.4 KB since a longer context that fits only with another plan says
    which (this page's: "only with tensor parallelism, experimental in llama.cpp, 29.5 tok/s", ~130 bytes).
    104.0 KB since the form's terms (format, link, machines, context, KV cache, flash attention, backend) each
    link their glossary page (a review: no input said what it meant; ~560 bytes). 104.5 KB since the plans'
    notes link the field's words (all-reduces, router, pipeline bubble...) and the table's TTFT its page, and the
    longest context says the recommended plan's own first (a visitor review; ~380 bytes). 105.7 KB since a
    phone pins the verdict of an answer recomputed out of sight below the question being edited (a visitor
    review: nothing visible changed; ~1.1 KB of script and style). 105.8 KB since a plan's likely speed range
    stays on one line (a review: "(15.2–" over "23.1)" on a phone; ~80 bytes). 105.9 KB since /accuracy/'s tables
    read as cards on a phone (a visitor review: its columns ran past a 390 px screen; ~90 bytes of style). 106.0 KB
    since the GPU pickers list the Mac Studio M3 Ultra 96 GB, Apple's base M3 Ultra (a review: the cheapest Mac was
    missing from every page; ~60 bytes). 107.4 KB since a desktop's question taller than the window scrolls with the
    page till its end shows, not in a box of its own (a visitor review: its last fields and its button never
    showed; ~300 bytes of script and style), a verdict pinned on a phone never covers the field being edited
    (~260 bytes), and a desktop's plans table puts each plan's notes under its numbers, a device of its memory a
    line (memory cells 110 px wide and 8-10 lines tall; ~670 bytes of style, ~80 of HTML). 107.5 KB since a launch
    command says the oldest release its flags need, each flag kept on one line (~40 bytes of style). 108.7 KB since Back and
    Forward set the page up again from the server's copy, links into the answer stop below the sticky verdict
    bar, and a phone's nav links and small-print links are 24 px tap targets (review 9; ~800 bytes of script,
    ~330 of style, ~60 of htmx-config)."""
    from django.contrib.staticfiles import finders

    html = client.get(QUESTION).content
    assets = re.findall(rb'<(?:link rel="stylesheet" href|script src)="/static/([^"]+)"', html)
    assert len(assets) >= 3  # site.css, htmx, site.js
    sizes = [Path(finders.find(name.decode())).stat().st_size for name in assets]
    assert len(html) + sum(sizes) < 108_700


def test_a_repeated_question_is_served_from_the_cache_until_the_catalog_changes(
    client, catalog, django_assert_num_queries
):
    client.get(QUESTION)
    # no query: the model, format and GPU rows that validate the question are read once per catalog
    # version (catalog/slugs.py `current`); the estimate is cached, and so is which questions have
    # published measurements (none for this one)
    with django_assert_num_queries(0):
        client.get(QUESTION, headers={"HX-Request": "true"})
    with django_assert_num_queries(0):  # the same partial again: the response kept under its ETag
        client.get(QUESTION, headers={"HX-Request": "true"})
    gpu = Gpu.objects.get(slug="geforce-rtx-3090")
    gpu.bandwidth_gb_s = 500.0
    gpu.save()
    # the edit bumped the catalog version: the estimate is computed again (3: the model, format and GPU
    # tables, +1: listed formats, +1: the
    # runtimes table, +1: the KV cache types, +1: the model's published artifacts, +1: the measured
    # questions, +2: the nearest published measurement and its row, +1: the format picker's rows, +1: the
    # link picker's rows, each read once per catalog version)
    with django_assert_num_queries(12):
        response = client.get(QUESTION, headers={"HX-Request": "true"})
    assert response.context["shown_plan"].devices[0].capacity_bytes == 24 * 2**30


def test_published_measurements_show_beside_the_estimate_with_their_source(client, catalog):
    html = client.get("/?model=llama-2-7b&quant=q4_0&gpu=geforce-rtx-4090").content.decode()
    measured = re.search(r'data-testid="measured-decode">(.*?)</span>', html, re.S).group(1)
    assert "186.2 tok/s" in measured and "llama-bench tg128" in measured
    assert 'href="https://github.com/ggml-org/llama.cpp/discussions/' in measured
    assert 'data-testid="measured-prefill"' in html


def test_no_measurement_is_claimed_for_other_hardware_or_runtimes(client, catalog):
    two = client.get("/?model=llama-2-7b&quant=q4_0&gpu=geforce-rtx-4090&count=2").content.decode()
    vllm = client.get("/?model=llama-2-7b&quant=q4_0&gpu=geforce-rtx-4090&runtime=vllm").content.decode()
    assert "measured-decode" not in two and "measured-decode" not in vllm


@pytest.mark.parametrize(
    "query",
    [
        QUESTION[2:],
        "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=8192",  # nothing fits
        "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ram_gb=64&batch=4",  # offload
    ],
)
def test_the_charts_point_of_the_question_is_its_answer(catalog, query):
    """The charts take the question's own point from its estimate instead of computing it again: the
    same as fits() finds."""
    form = QuestionForm(QueryDict(query))
    assert form.is_valid()
    question = Question.from_form(form)
    result = question.estimate()
    assert charts.speed_vs_context(question, result) == charts.speed_vs_context(question)
    assert charts.speed_vs_users(question, result) == charts.speed_vs_users(question)


def test_the_other_numbers_are_named_in_words_not_field_names(client, catalog):
    html = client.get(QUESTION).content.decode()
    why = re.search(r"How the other numbers were computed</summary>(.*?)</details>", html, re.S).group(1)
    names = re.findall(r'<li><a href="[^"]+">([^<]+)</a>', why)
    assert names and not [n for n in names if "_" in n]
    assert "time to first token" in names and "bits per weight" in names


def test_a_shared_result_says_the_kv_pool_in_conversations_of_its_context(client, catalog):
    """The review: /r/<id> showed "KV cache pool 45,216 tokens: 11.0 × " cut off, the context read
    from the form a snapshot does not have."""
    from calculator import snapshots

    response = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&batch=16&runtime=vllm")
    pool = re.search(r"KV cache pool</a>: (.*?)</dd>", response.content.decode()).group(1)
    assert pool.startswith("conversations of 4,096 tokens at once <small>(")
    snapshot = snapshots.save(response.context["question"])
    shared = client.get(snapshot.get_absolute_url()).content.decode()
    assert re.search(r"KV cache pool</a>: (.*?)</dd>", shared).group(1) == pool


def test_where_vllm_queues_users_the_decode_is_their_average_and_the_wait_is_said(client, catalog):
    """The review: "Decode, each of 16 users 37.2 tok/s" where its explanation says it is an average,
    and a 66.5 s time to first token without saying it is a queued user's."""
    queued = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&batch=16&runtime=vllm")
    page = queued.content.decode()
    assert ">Decode, average of 16 users</a>" in page and "each of 16 users" not in page
    assert ">Time to first token</a>, a queued user</dt>" in page
    seated = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&batch=4&runtime=vllm")
    assert ">Decode, each of 4 users</a>" in seated.content.decode()
    assert "a queued user" not in seated.content.decode()


def test_the_first_answer_added_by_name_is_asked_at_the_calculators_context(client, catalog):
    """The review: on an empty compare page, "Add an answer by name" asked 4,096 tokens, the calculator 8,192."""
    response = client.get("/compare/?add_model=qwen3-32b&add_gpu=geforce-rtx-4090")
    assert response.status_code == 302 and "ctx%3D8192" in response["Location"]


def test_an_image_model_is_said_to_be_one_not_unknown(client, catalog):
    html = client.get("/compare/?q=model%3Dflux-1-dev%26gpu%3Dgeforce-rtx-4090").content.decode()
    assert "FLUX.1 [dev] is an image or video model: compare puts LLM answers side by side." in html
    assert "Unknown model" not in html


def test_compare_says_what_it_leaves_out_past_four(client):
    """A visitor review: six questions showed four, nothing said the L40S and the B200 were dropped."""
    cards = ["geforce-rtx-3090", "geforce-rtx-4090", "geforce-rtx-5090", "a100-sxm4-80-gb", "l40s", "b200"]
    query = "&".join(f"q=model%3Dllama-3-1-8b-instruct%26gpu%3D{c}" for c in cards)
    response = client.get(f"/compare/?{query}")
    assert len(response.context["columns"]) == 4
    assert "6 questions asked, 4 compared here: the last 2 are left out." in response.content.decode()
    assert "left-out" not in client.get(f"/compare/?{query.rsplit('&q=', 2)[0]}").content.decode()


def test_the_forms_terms_link_their_glossary_pages(client, catalog):
    """A review: Format, KV cache type, Flash attention, Link between GPUs, GPU backend, Machines and the
    context had no link to the glossary pages that explain them."""
    html = client.get(QUESTION).content.decode()
    for field, term in [
        ("quant", "quantization"),
        ("link", "pcie"),
        ("hosts", "rpc-clustering"),
        ("ctx", "context-length"),
        ("kv", "kv-cache"),
        ("fa", "flash-attention"),
        ("backend", "gpu-backends"),
    ]:
        assert re.search(
            rf'<label for="id_{field}">[^<]+</label> <a href="/glossary/{term}/" aria-label=', html
        )


MLX_ON_M4_PRO = "model=qwen3-30b-a3b&gpu=apple-m4-pro-48gb&ctx=32768&runtime=mlx"
LLAMA_CPP_ON_M4_PRO = "model=qwen3-30b-a3b&gpu=apple-m4-pro-48gb&ctx=32768&runtime=llama-cpp"


def test_compared_answers_are_titled_by_what_sets_them_apart(client, catalog):
    """Review 9: MLX's and llama.cpp's "Full results" were both "Qwen3 30B-A3B · 1× Apple M4 Pro (20-core GPU)
    48 GB". Each title is the question's line of the table, and the rest of a question where it differs."""
    q8 = LLAMA_CPP_ON_M4_PRO + "&kv=q8_0"
    html = client.get("/compare/", {"q": [MLX_ON_M4_PRO, LLAMA_CPP_ON_M4_PRO, q8]}).content.decode()
    summaries = re.findall(r'<details class="result"><summary>([^<]+)</summary>', html)
    shared = (
        "Qwen3 30B-A3B · {} · 1× Apple M4 Pro (20-core GPU) 48 GB · 32,768 tokens · 1 user · {} · {} KV cache"
    )
    assert summaries == [
        shared.format("MLX 4-bit", "MLX", "f16"),
        shared.format("Q4_K_M", "llama.cpp", "f16"),
        shared.format("Q4_K_M", "llama.cpp", "q8_0"),
    ]
    table = html.split('data-testid="compare-table"')[1].split("</table>")[0]
    assert all(f">{title}</a>" in table for title in summaries)  # the table's rows read the same
    # what no two ask differently is not said
    alike = client.get("/compare/", {"q": [MLX_ON_M4_PRO, LLAMA_CPP_ON_M4_PRO]}).context["columns"]
    assert [c["title"].rsplit(" · ", 1)[1] for c in alike] == ["MLX", "llama.cpp"]


def test_compare_shows_the_speed_at_full_context_and_the_time_to_first_token(client, catalog):
    """Review 9: the table had the decode speed at the start of an answer alone (81.1 against 62.8), where
    at the 32K asked the two are 33.4 against 30.9, and MLX's prefill is faster. The calculator's numbers,
    in its words."""
    html = client.get("/compare/", {"q": [MLX_ON_M4_PRO, LLAMA_CPP_ON_M4_PRO]}).content.decode()
    assert "tok/s at full context</a></th>" in html and "Time to first token</a></th>" in html
    at_context = re.findall(r'data-testid="at-context">([^<]+)</td>', html)
    ttft = re.findall(r'data-testid="ttft">([^<]+)</td>', html)
    plans = [client.get(f"/?{q}").context["shown_plan"] for q in (MLX_ON_M4_PRO, LLAMA_CPP_ON_M4_PRO)]
    assert at_context == [format_rate(p.decode_tok_s_at_context) for p in plans]
    assert ttft == [format_seconds(p.ttft_s) for p in plans]
    assert float(at_context[0]) < 81.1 / 2  # at 32K, not at the start
    # several users: each one's share at the full context, as the calculator's "At full context"
    many = client.get("/compare/", {"q": [MLX_ON_M4_PRO + "&batch=4"]}).content.decode()
    plan = client.get(f"/?{MLX_ON_M4_PRO}&batch=4").context["shown_plan"]
    [each] = re.findall(r'data-testid="at-context">([^<]+)</td>', many)
    assert each == format_rate(plan.shared_tok_s_at_context(4))
