"""A visitor's review of the result page, one test per finding: speed per user at the asked concurrency,
the launch box of a runtime that cannot run the recommended plan, one status for a borderline answer,
the charts' axes, the machines of an RPC cluster, and where the weights the bars leave out sit."""

import html as markup
import re

import pytest

from calculator import charts, present, snapshots
from estimator.units import format_rate

pytestmark = pytest.mark.django_db

LLAMA_8B_3090 = "/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-3090"
BORDERLINE = "/?model=qwen2-5-32b-instruct&quant=q5_k_m&gpu=geforce-rtx-3090&ctx=8192"


def text(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:p|summary|span|code|pre)>', html, re.S)
    return markup.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


@pytest.mark.parametrize("query", ["&batch=8", "&count=2&batch=16"])
def test_speed_per_user_is_all_users_speed_shared_by_them(client, catalog, query):
    """The review: at batch 8 the verdict said "about 129 tok/s per user", batch 1's figure, while "All
    users" was 955 tok/s (119 each)."""
    response = client.get(LLAMA_8B_3090 + query)
    users = int(query.rsplit("=", 1)[1])
    plan = response.context["result"].recommended_plan
    each = plan.decode_tok_s_aggregate / users
    assert each < plan.decode_tok_s  # users share the GPU: each gets less than one alone
    rate = f"{each:.0f}"
    assert f"about {rate} tok/s per user." in response.context["verdict"].text
    assert response.context["verdict"].tok_s == rate
    html = response.content.decode()
    assert text(html, "decode").startswith(f"{rate} tok/s (")
    row = re.search(r'<tr class=" recommended".*?</tr>', html, re.S).group(0)
    assert f'<td data-label="Decode per user">{rate} tok/s <span class="range">(' in row  # kept on one line
    one = client.get(LLAMA_8B_3090).context
    assert one["verdict"].tok_s == f"{one['result'].recommended_plan.decode_tok_s:.0f}"  # alone: as before


def test_compare_and_a_shared_result_say_the_same_speed_per_user(client, catalog):
    query = LLAMA_8B_3090[2:] + "&batch=8"
    response = client.get(f"/?{query}")
    page = response.context["verdict"]
    compare = client.get("/compare/", {"q": query}).content.decode()
    assert f'#plans">{page.tok_s}</a>' in compare
    snapshot = snapshots.save(response.context["question"])
    shared = snapshots.show(snapshot)
    assert shared["verdict"] == page and str(shared["per_user"]) == str(response.context["per_user"])
    shown = client.get(snapshot.get_absolute_url()).content.decode()
    cells = re.findall(r'<td data-label="Decode per user">(.*?)</td>', shown)
    assert str(response.context["per_user"]) in [re.sub(r"<[^>]+>", "", cell) for cell in cells]
    assert present.per_user(response.context["shown_plan"], 8).value == pytest.approx(
        float(page.tok_s), rel=0.01
    )


@pytest.mark.parametrize(
    ("query", "missing", "instead"),
    [
        (
            "/?model=qwen3-30b-a3b&quant=q4_k_m&gpu=geforce-rtx-3060-12-gb&ram_gb=64&runtime=lm-studio",
            "lms has no flag to keep a MoE model's experts in system RAM.",
            "CPU offload",
        ),
        (
            f"{LLAMA_8B_3090}&count=2&batch=16&runtime=lm-studio",
            "lms has no flag to run one copy of the model per GPU.",
            "One GPU",
        ),
    ],
)
def test_a_runtime_that_cannot_run_the_plan_launches_its_best_fitting_one(
    client, catalog, query, missing, instead
):
    """The review: the launch box said only "LM Studio cannot run the expert offload plan with these
    settings: see the other plans below", and the plans below have no commands."""
    response = client.get(query)
    launch = response.context["command"]
    first, second = launch.why.split(". Its best plan that fits here: ")
    assert f"{first}.".endswith(missing) and first.startswith("LM Studio cannot run the ")
    assert second.startswith(f"{instead}, ")
    assert "lms load " in launch.text and "see the other plans" not in launch.text
    assert "cannot run" not in launch.text  # the box holds the command, the why is above it
    assert launch.title.startswith(f"{instead}, ") and launch.title.endswith(" tok/s per user")
    assert f"<h2>Launch it: {launch.title}</h2>" in response.content.decode()


def test_with_no_plan_it_can_run_the_launch_box_names_the_runtime_that_can(client, catalog):
    url = "/?model=llama-3-1-405b-instruct&gpu=geforce-rtx-3090&count=4&hosts=4&runtime=lm-studio"
    response = client.get(url)
    launch = response.context["command"]
    assert launch.why == (
        "LM Studio cannot run the RPC cluster plan: lms has no flag to spread the layers over several "
        "machines with llama.cpp's RPC backend. llama.cpp runs it: choose it in the form."
    )
    assert not launch.text and 'data-testid="launch-command"' not in response.content.decode()


def test_borderline_is_one_amber_status_everywhere(client, catalog):
    """The review: "Borderline … It will likely load" above a red "does not fit", "Fits: no" and
    "# Does not fit as asked"."""
    response = client.get(BORDERLINE)
    html = response.content.decode()
    verdict = response.context["verdict"]
    assert verdict.borderline and verdict.css == "tight"
    assert verdict.text == "Borderline: it fits on 1× GeForce RTX 3090 only inside the safety margin."
    assert "GeForce RTX 3090" not in verdict.text.replace("1× GeForce RTX 3090", "", 1)  # named once
    assert text(html, "verdict-detail").startswith("It needs ")
    assert '<span class="warning">fits only inside the safety margin</span>' in html
    assert 'class="error">does not fit' not in html and '<span class="fit-no">' not in html
    assert '<span class="fit-tight">only inside the safety margin</span>' in html
    command = response.context["command"]
    assert command.why.startswith("Fits only inside the safety margin: it may load")
    assert "Does not fit" not in command.text and "safety margin" not in command.text
    assert f'<p data-testid="launch-why">{command.why}</p>' in html


def test_a_real_miss_still_says_does_not_fit(client, catalog):
    html = client.get("/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090").content.decode()
    assert 'class="error">does not fit' in html and '<span class="fit-no">no</span>' in html


def test_context_labels_are_never_rounded_onto_a_neighbour():
    """The review: ctx=3000 was labelled "2k", beside 2048's "2k"."""
    assert [charts._short(t) for t in (512, 1024, 2048, 3000, 4096, 16000, 131072)] == [
        "512",
        "1k",
        "2k",
        "2.9k",
        "4k",
        "15.6k",
        "128k",
    ]


def test_charts_name_their_axes_and_what_a_cross_means(client, catalog):
    url = LLAMA_8B_3090[2:] + "&ctx=3000"
    context_chart, users_chart = client.get(f"/?{url}").context["charts"]
    assert [p.label for p in context_chart.points][:4] == ["1k", "2k", "3k", "4k"]  # as the visitor wrote it
    assert context_chart.alt.startswith(
        "Decode speed per user at full context, in tok/s, by tokens of context: 1k "
    )
    assert users_chart.alt.startswith(
        "Total decode speed against concurrent users, in tok/s, by users at once: 1 "
    )
    svg = client.get(f"/chart.svg?chart=users&{url}").content.decode()
    assert ">tok/s</text>" in svg and ">users at once</text>" in svg
    assert users_chart.misses and "does not fit</text>" in svg  # 64 users do not fit: the × explained
    context_svg = client.get(f"/chart.svg?chart=context&{url}").content.decode()
    assert ">tokens of context</text>" in context_svg and "does not fit" not in context_svg


def test_a_borderline_question_is_drawn_where_the_page_says_it_fits(client, catalog):
    """The review: at 28,000 tokens on a 12 GB card the page said borderline at 39.8 tok/s while the
    users chart crossed out every point on an empty 0-1 axis, and labelled the context "27.3k"."""
    url = "model=llama-3-1-8b-instruct&quant=q8_0&gpu=geforce-rtx-3060-12-gb&ctx=28000"
    response = client.get(f"/?{url}")
    assert response.context["verdict"].borderline
    context_chart, users_chart = response.context["charts"]
    one = users_chart.points[0]
    assert one.current and one.margin and one.drawn and not one.fits
    assert f"{one.value:.1f}" == f"{response.context['per_user'].value:.1f}"
    assert users_chart.y_max > 1 and users_chart.alt.split(": ", 1)[1].startswith(
        f"1 {one.value:.1f} inside the safety margin; 2 does not fit"
    )
    asked = next(p for p in context_chart.points if p.current)
    assert asked.label == "28k" and asked.margin and asked.drawn

    assert [p.label for p in context_chart.points][:5] == ["1k", "2k", "4k", "8k", "16k"]
    svg = client.get(f"/chart.svg?chart=users&{url}").content.decode()
    assert 'fill="#b54708" stroke="#1f2328"/>' in svg and "</tspan> inside the safety margin <tspan" in svg
    assert charts._asked(4000, ["4k"]) == "4,000" and charts._asked(28500, []) == "28,500"


def test_a_chart_says_where_its_line_switches_plans(client, catalog):
    """The review: on two 4090s under vLLM the context chart rose from 54.5 at 4k to 88.8 at 8k and the
    users chart from 838 at 16 to 2,556 at 32 without saying that each point is another plan. (There, tensor
    parallel is now recommended at every context: its 1,306 aggregate tok/s against the copies' 894, more
    than the 5% in which replicas are preferred. A 32B on two 3090s moves from one GPU to a layer split.)"""
    url = "model=qwen2-5-32b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2"
    response = client.get(f"/?{url}")
    context_chart = response.context["charts"][0]
    sixteen = next(p for p in context_chart.points if p.label == "16k")
    assert sixteen.plan == "layer_split" and (context_chart.plan_changes[-1][1]) == sixteen
    note = context_chart.plans_note
    assert note.startswith("Each point is the plan recommended there: ") and "layer split from 16k" in note
    svg = client.get(f"/chart.svg?chart=context&{url}").content.decode()
    assert svg.count('stroke-dasharray="3 2"') == len(context_chart.plan_changes) and note in svg  # its title
    lines = re.findall(r'<text x="4" y="\d+" fill="#1f2328">([^<]+)</text>', svg)
    assert " ".join(lines) == note and all(len(line) <= charts.NOTE_CHARS for line in lines)
    assert f'height="{charts.HEIGHT + charts.NOTE_LINE * len(lines)}"' in response.content.decode()
    one_plan = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090").context["charts"]
    assert (
        not one_plan[0].plans_note
        and "Each point"
        not in client.get(
            "/chart.svg?chart=context&model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090"
        ).content.decode()
    )


def test_compare_names_users_and_runtime_and_a_borderline_speed(client, catalog):
    """The review: a compare row read "Llama 3.1 8B (Instruct) · BF16 · 1× GeForce RTX 4090 · 4,096 tokens"
    for 16 users on vLLM, and a borderline answer's decode "–" where its page said 39.8 tok/s."""
    vllm = "model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&batch=16&runtime=vllm"
    borderline = "model=llama-3-1-8b-instruct&quant=q8_0&gpu=geforce-rtx-3060-12-gb&ctx=28000"
    missing = "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090"
    html = client.get("/compare/", {"q": [vllm, borderline, missing]}).content.decode()
    assert '· 4,096 tokens · 16 users · vLLM</a> <small><a class="remove"' in html
    assert "· 28,000 tokens · 1 user · llama.cpp</a> <small>" in html
    page = client.get(f"/?{borderline}").context
    assert page["verdict"].borderline and not page["verdict"].tok_s
    assert f'#plans">{page["per_user"].value:.1f}</a>' in html
    assert "70B (Instruct) · Q4_K_M · 1× GeForce RTX 3090 · 4,096 tokens · 1 user · llama.cpp</a>" in html
    assert html.count('#plans">–</a>') == 1  # what does not fit has no speed


def test_compare_names_the_system_ram_and_the_machines_an_answer_depends_on(client, catalog):
    """A visitor review: "gpt-oss-120b · MXFP4 · 1× GeForce RTX 3090 · 4,096 tokens" fits only with the 64 GB
    of RAM the row left out; two machines read as one."""
    ram = "model=gpt-oss-120b&gpu=geforce-rtx-3090&ram_gb=64"
    machines = "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&hosts=2"
    html = client.get("/compare/", {"q": [ram, machines]}).content.decode()
    assert "· 1× GeForce RTX 3090 + 64 GB RAM · 4,096 tokens ·" in html
    assert "· 2 GPUs over 2 machines (1× GeForce RTX 4090 each) · 4,096 tokens ·" in html


def test_compare_words_a_sets_price_as_the_other_pages_do(client, catalog):
    """A visitor review: one price of this month read "(prices of Dec 2026 or later)"; a second: compare said
    "price of" for a launch price and a used one alike, where what-hardware says which."""
    from catalog.models import Gpu

    one = "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2"
    mixed = one + "&gpu=geforce-rtx-4090&count=1"
    html = client.get("/compare/", {"q": [one, mixed]}).content.decode()
    assert "or later)" not in html
    words = {
        slug: Gpu.objects.get(slug=slug).current_price().tag.when
        for slug in ("geforce-rtx-3090", "geforce-rtx-4090")
    }
    assert f"<small>({words['geforce-rtx-3090']})</small>" in html
    if words["geforce-rtx-3090"] != words["geforce-rtx-4090"]:
        both = f"GeForce RTX 3090: {words['geforce-rtx-3090']}; GeForce RTX 4090: {words['geforce-rtx-4090']}"
        assert f"<small>({both})</small>" in html


@pytest.mark.parametrize(
    ("query", "says", "never"),
    [
        (
            "&hosts=2",
            "Yes: one GeForce RTX 3090 holds it alone, no need for the other machine, about ",
            "of your",
        ),
        (
            "&count=4&hosts=4",
            "fits on 16 GPUs over 4 machines (4× GeForce RTX 3090 each) with an RPC cluster, about ",
            "4× GeForce RTX 3090 with an RPC",
        ),
    ],
)
def test_the_verdict_counts_the_machines(client, catalog, query, says, never):
    model = "llama-3-1-405b-instruct" if "count=4" in query else "llama-3-1-8b-instruct"
    verdict = client.get(f"/?model={model}&gpu=geforce-rtx-3090{query}").context["verdict"].text
    assert says in verdict and never not in verdict


def test_the_bars_say_where_the_weights_they_leave_out_sit(client, catalog):
    """The review: the bar said "Weights 4.3 GiB" and the totals "Weights 4.6 GiB", with nothing between."""
    response = client.get(LLAMA_8B_3090)
    html = response.content.decode()
    plan, total = response.context["shown_plan"], response.context["result"].memory.weights_bytes
    assert plan.devices[0].weights_bytes < total
    assert text(html, "weights-elsewhere") == (
        "The GPU holds 4.3 GiB of the 4.6 GiB of weights; the other 306 MiB, the token embedding table, "
        "stays in system RAM, where llama.cpp reads its rows."
    )
    offload = client.get(
        "/?model=qwen3-30b-a3b&quant=q4_k_m&gpu=geforce-rtx-3060-12-gb&ram_gb=64"
    ).content.decode()
    assert 'data-testid="weights-elsewhere"' not in offload  # the RAM's own bar holds them
    # a DGX Spark's "system RAM" is its GPU's memory: the sentence says so (the review of 6 December)
    spark = client.get("/?model=gpt-oss-120b&gpu=nvidia-dgx-spark-128gb").content.decode()
    assert "stays in a CPU buffer of the same unified memory" in text(spark, "weights-elsewhere")


def test_runtime_overhead_is_worded_for_the_devices_backend(client, catalog):
    cuda = client.get(LLAMA_8B_3090).content.decode()
    assert "CUDA context per device" in cuda
    apple = client.get("/?model=llama-3-1-8b-instruct&gpu=apple-m2-ultra-192gb").content.decode()
    assert "CUDA" not in re.search(r'data-testid="overhead".*?</details>', apple, re.S).group(0)
    assert "none counted apart on Apple silicon (Metal)" in apple


def test_the_preview_of_a_borderline_answer_is_amber_not_red(monkeypatch, client, catalog):
    from calculator import og_image

    drawn = {}
    monkeypatch.setattr(og_image, "render", lambda **kw: drawn.update(kw) or b"\x89PNG")
    client.get(f"/og.png{BORDERLINE[1:]}")
    assert drawn["tone"] == "tight" and drawn["verdict"].startswith("Borderline: it fits on ")
    assert all(bar.fits for bar in drawn["bars"])  # its figures are not in red either


def test_on_apple_silicon_the_weights_left_out_stay_with_the_cpu(client, catalog):
    html = client.get("/?model=llama-3-1-8b-instruct&gpu=apple-m2-ultra-192gb").content.decode()
    assert text(html, "weights-elsewhere").endswith(
        "the token embedding table, stays with the CPU, outside the GPU's share of unified memory, where "
        "llama.cpp reads its rows."
    )


def test_a_term_pages_worked_example_says_the_speed_per_user_of_its_users(client, catalog):
    """The glossary's examples word their verdict as the calculator does: per user at their concurrency."""
    from glossary.examples import outcome

    query = "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&batch=8"
    page = client.get(f"/?{query}").context["verdict"]
    assert outcome(query).text == page.text and f"about {page.tok_s} tok/s per user" in page.text


def test_where_vllm_seats_fewer_users_the_speed_per_user_is_an_average_said_so(client, catalog):
    url = "/?model=llama-3-1-8b-instruct&quant=awq-4bit&gpu=geforce-rtx-4090&ctx=32768&batch=64&runtime=vllm"
    context = client.get(url).context
    plan, explained = context["shown_plan"], context["per_user_explained"].substituted
    assert plan.queue_s and int(plan.max_concurrency) < 64
    average = format_rate(present.per_user(plan, 64).value)
    seats = int(plan.max_concurrency)
    assert (
        f"= {average} tok/s each on average: about {seats} run at once, at {context['verdict'].tok_s} tok/s each"
        in explained
    )
    assert "while the others wait" in explained
    assert context["verdict"].tok_s_who == f"each, {seats} at once"


LMS_MOE = "/?model=qwen3-30b-a3b&quant=q4_k_m&gpu=geforce-rtx-3060-12-gb&ram_gb=64&runtime=lm-studio"


def test_the_verdict_quotes_the_plan_the_chosen_runtime_runs(monkeypatch, client, catalog):
    """The review: verdict, stat, plans table and preview said 55.2 tok/s with expert offload, which
    LM Studio cannot run, while the launch box launched CPU offload at 43.5."""
    from calculator import og_image

    response = client.get(LMS_MOE)
    context, page = response.context, markup.unescape(response.content.decode())
    assert context["shown_plan"].strategy == "cpu_offload"
    text = context["verdict"].text
    assert text.startswith(
        "Yes: fits on 1× GeForce RTX 3060 12 GB with CPU offload, about 32.5 tok/s per user"
    )
    assert text.endswith("; expert offload, 39.4 tok/s, needs llama.cpp.")
    assert context["verdict"].tok_s == "32.5" and context["command"].title.startswith("CPU offload, 32.5")
    assert re.search(r"CPU offload</a> <strong>recommended", page)
    assert "Expert offload is recommended" not in re.search(r'class="headroom".*?</p>', page).group(0)
    drawn = {}
    monkeypatch.setattr(og_image, "render", lambda **kw: drawn.update(kw) or b"\x89PNG")
    client.get(f"/og.png{LMS_MOE[1:]}")
    assert drawn["verdict"] == text and drawn["lines"][1].startswith("CPU offload: ")


def test_a_runtime_that_runs_no_fitting_plan_says_so_and_links_the_one_that_does(client, catalog):
    url = "/?model=qwen3-30b-a3b&quant=bf16&gpu=geforce-rtx-3060-12-gb&runtime=vllm&ram_gb=64"
    response = client.get(url)
    assert response.context["verdict"].text == (
        "No: vLLM cannot run any plan that fits on 1× GeForce RTX 3060 12 GB: llama.cpp can."
    )
    assert response.context["command"].why.endswith("llama.cpp runs it: choose it in the form.")
    page = markup.unescape(response.content.decode())
    assert 'can. <a href="/?model=qwen3-30b-a3b&quant=bf16&gpu=geforce-rtx-3060-12-gb&ram_gb=64">' in page


def test_a_shared_result_quotes_the_plan_its_runtime_runs(monkeypatch, client, catalog):
    from calculator import og_image

    response = client.get(LMS_MOE)
    snapshot = snapshots.save(response.context["question"])
    shared = snapshots.show(snapshot)
    assert shared["verdict"] == response.context["verdict"] and shared["shown_plan"].strategy == "cpu_offload"
    drawn = {}
    monkeypatch.setattr(og_image, "render", lambda **kw: drawn.update(kw) or b"\x89PNG")
    client.get(f"{snapshot.get_absolute_url()}/og.png")
    assert drawn["verdict"] == response.context["verdict"].text
    # the API says the same: the engine words it, for the backends it timed the devices on
    api = client.get("/api/v1/estimate?model=llama-3-1-8b-instruct&gpu=apple-m2-ultra-192gb").json()
    assert api["explanations"]["overhead_bytes"]["formula"] == "none counted apart on Apple silicon (Metal)"
    arc = client.get("/api/v1/estimate?model=llama-3-1-8b-instruct&gpu=arc-a770&runtime=lm-studio").json()
    assert arc["explanations"]["overhead_bytes"]["formula"] == "Vulkan context per device"  # LM Studio there


def test_a_no_shows_the_first_change_that_makes_it_fit_under_the_verdict(client, catalog):
    """The review: on a phone 'What to change' began 4,251 px down a 5,713 px page; the one line a visitor
    acts on now sits under the verdict, linking the changed question, with a jump to every change."""
    url = "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=32768"
    response = client.get(url)
    first = next(s for s in response.context["suggestions"] if s["fits"] and s["url"])
    fix = re.search(r'data-testid="first-fix">(.*?)</p>', response.text, re.S).group(1)
    assert f'href="{markup.escape(first["url"])}"' in fix and '<a href="#what-to-change">' in fix
    assert '<h2 id="what-to-change">' in response.text
    fits = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090").text
    assert 'data-testid="first-fix"' not in fits


def test_an_offload_plan_that_fills_its_gpus_is_not_marked_down(client, catalog):
    """The review: DeepSeek-R1 Q2_K on two 3090s and 256 GB of RAM recommended CPU offload (16.2 tok/s)
    over expert offload (18.2), the tenth off a "tight" plan outweighing 12%: an offload plan fills its
    GPUs by design (-ngl, --n-cpu-moe), and one more layer in RAM frees what it must. Nor is it called
    tight (a later review: "Yes, but tight" headed the plan the page had itself packed); its warning still
    names the flag that leaves room."""
    answer = client.get(
        "/api/v1/estimate?model=deepseek-r1&quant=q2_k&gpu=geforce-rtx-3090&count=2&ram_gb=256"
        "&ram_preset=ddr5-4800-8ch&ctx=16384"
    ).json()
    plans = {p["strategy"]: p for p in answer["plans"]}
    assert not plans["expert_offload"]["tight"] and not plans["cpu_offload"]["tight"]
    packed = [d for d in plans["expert_offload"]["devices"] if d["kind"] == "gpu" and d["tight"]]
    assert packed and any(
        "keeps one more layer's experts in RAM" in w for w in plans["expert_offload"]["warnings"]
    )
    assert plans["expert_offload"]["decode_tok_s"] > 1.05 * plans["cpu_offload"]["decode_tok_s"]
    assert answer["recommended"] == "expert_offload"
    assert "within 5%" not in answer["reason"]


def test_a_measurement_outside_the_range_is_said_to_be_outside(client, catalog):
    """The review: Llama 3 8B Q4_K_M on a 4090 read "152 tok/s (140–169)" above "measured: 130.6 tok/s"
    with nothing said; the page now says the measurement lies below the range and why runs differ."""
    html = client.get(
        "/?model=llama-3-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=8192"
    ).content.decode()
    assert text(html, "measured-decode").startswith("measured: 130.6 tok/s")
    assert text(html, "measured-outside").startswith(
        "below the likely range: runs of one card and model differ"
    )
    # only rows the range is for: near an empty cache, on the backend the estimate is timed on
    for deep_or_other in (
        "/?model=glm-4-7-flash&quant=q8_0&gpu=amd-ryzen-ai-max-395-128gb",  # tg32@d32768
        "/?model=llama-2-7b&quant=q4_0&gpu=radeon-rx-7900-xtx",  # a Vulkan row beside a ROCm estimate
        "/?model=gpt-oss-20b&quant=q4_k_m&gpu=geforce-rtx-4090&backend=vulkan",
    ):
        assert 'data-testid="measured-outside"' not in client.get(deep_or_other).content.decode(), (
            deep_or_other
        )
    inside = client.get("/?model=llama-3-8b-instruct&quant=f16&gpu=geforce-rtx-4090").content.decode()
    assert text(inside, "measured-decode").startswith("measured: 54.8 tok/s")
    assert 'data-testid="measured-outside"' not in inside


def test_under_vllm_the_memory_left_is_said_to_go_to_the_kv_cache_pool(client, catalog):
    """The review: "Headroom: 62.4 GiB free" on an A100 under vLLM, whose --gpu-memory-utilization 0.92
    hands that memory to its KV cache pool at start."""
    vllm = client.get(
        "/?model=llama-3-1-8b-instruct&quant=bf16&gpu=a100-sxm4-80-gb&ctx=8192&runtime=vllm"
    ).content.decode()
    assert re.fullmatch(
        r"[\d.]+ GiB to spare on the fullest device, which the KV cache pool takes at start",
        text(vllm, "headroom"),
    )
    llama = client.get(
        "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=a100-sxm4-80-gb&ctx=8192"
    ).content.decode()
    assert re.fullmatch(r"[\d.]+ GiB free on the fullest device", text(llama, "headroom"))


def test_a_no_says_its_speeds_are_the_closest_plans(client, catalog):
    """The review: "No: it does not fit" above "Decode, per user 61.0 tok/s" read as a speed it would run at."""
    no = client.get("/?model=gpt-oss-120b&quant=mxfp4&gpu=apple-m3-max-64gb&ctx=8192").content.decode()
    assert "It does not fit: the speeds below are the closest plan's, as if it had the memory." in no
    yes = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090").content.decode()
    assert 'data-testid="no-fit-speeds"' not in yes


def test_a_mac_just_over_its_gpu_limit_is_told_to_raise_it_first(client, catalog):
    html = markup.unescape(
        client.get(
            "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=apple-m3-max-64gb&ctx=32768"
        ).content.decode()
    )
    first = text(html, "first-fix")
    assert first.startswith(
        "To make it fit: Raise macOS's GPU memory limit to 56.0 GiB, keeping 8.0 GiB for macOS"
    )
    assert "sudo sysctl iogpu.wired_limit_mb=57344; it resets at reboot" in first


def test_a_vllm_borderline_question_is_drawn_where_the_page_says_it_fits(client, catalog):
    """A consistency review: under vLLM the margin is 1 - --gpu-memory-utilization, which the charts did not
    give up: the borderline question's own points (16k, 8 users) were drawn as "does not fit"."""
    url = "model=llama-3-1-70b-instruct&quant=awq-4bit&gpu=geforce-rtx-3090&count=2&runtime=vllm&batch=8&ctx=16384"
    response = client.get(f"/?{url}")
    assert response.context["verdict"].borderline
    for chart in response.context["charts"]:
        asked = next(p for p in chart.points if p.current)
        assert asked.margin and asked.drawn, chart.alt
    users = response.context["charts"][1]
    eight = next(p for p in users.points if p.current)
    assert f"{eight.value:.1f}" == f"{response.context['shown_plan'].decode_tok_s_aggregate:.1f}"


def test_compare_shows_the_same_question_once(client, catalog):
    """A visitor review: /compare/ accepted the same question twice and showed two identical columns."""
    q = "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2"
    other = "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&count=2"
    reordered = "gpu=geforce-rtx-3090&count=2&quant=q4_k_m&model=llama-3-1-70b-instruct&ctx=4096"
    response = client.get("/compare/", {"q": [q, "/?" + q, other, q, reordered]})
    assert [c["query"] for c in response.context["columns"]] == [q, other]
    assert response.context["left_out"] == 0


def test_a_chart_where_nothing_fits_is_said_in_a_line_not_drawn():
    """A "No" answer drew two empty charts on a 0–1 axis under a row of × (a visitor review)."""
    fits = charts.drawn(
        "users",
        "Total decode speed against concurrent users",
        "tok/s",
        "users at once",
        [charts.Point("1", 12.0, 10.0, 14.0, True, True), charts.Point("64", None, None, None, False, False)],
    )
    none = charts.drawn(
        "context",
        "Decode speed per user at full context",
        "tok/s",
        "tokens of context",
        [
            charts.Point("1k", None, None, None, False, True),
            charts.Point("128k", None, None, None, False, False),
        ],
    )
    assert none.empty and not fits.empty
    assert charts.nothing_fits([fits]) == ""
    assert charts.nothing_fits([none, fits]) == (
        "Nothing fits at any of 1k–128k tokens of context: no chart of decode speed per user at full context."
    )
    assert charts.nothing_fits([none]) == "Nothing fits at any of 1k–128k tokens of context: no speed chart."
