"""The reverse question "What hardware runs this model?" (what runs on given hardware: test_pages.py)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings

from catalog import fitting
from catalog.models import Gpu, Price
from reverse_questions import offload
from tests.conftest import make_gpu, make_llm, make_quant
from tests.reverse_questions.answers import M4_MAX, PRICES, RTX_3090, calculator_answer, row_for, set_prices

pytestmark = pytest.mark.django_db


# ---- What hardware runs this model? ------------------------------------------------------------


def test_cheapest_way_to_run_gpt_oss_120b_at_20_tok_s_lists_multi_gpu_sets(client, catalog):
    set_prices(PRICES)
    response = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4&tok_s=20")
    assert response.status_code == 200
    cheapest = response.context["answer"].cheapest
    priced = [s for s in cheapest if s.price_usd is not None]
    # about 63 GB of MXFP4 weights: two 32 GB cards, three 24 GB ones, or one 80 GB
    assert [(s.device.slug, s.count, s.price_usd) for s in priced] == [
        ("geforce-rtx-5090", 2, Decimal("3998")),
        (RTX_3090, 3, Decimal("4497")),
        ("geforce-rtx-4090", 3, Decimal("4797")),
        ("h100-sxm5-80-gb", 1, Decimal("30000")),
    ]
    assert all(s.plan.decode_tok_s >= 20 for s in cheapest)
    html = response.content.decode()
    assert "2× GeForce RTX 5090" in html and "$3,998" in html
    assert '<a href="https://example.com/geforce-rtx-5090" rel="nofollow noopener">Nov 2026</a>' in html
    assert "<h3>No price published</h3>" in html  # the rest of the top 10, after the priced ones
    sides = [title for title, *_ in response.context["answer_firsts"]]
    assert sides == ["Smallest", "Cheapest", "Fastest"]
    fastest = response.context["answer"].fastest
    assert [s.tok_s_at_context for s in fastest] == sorted(
        (s.tok_s_at_context for s in fastest), reverse=True
    )
    assert "/?model=gpt-oss-120b&amp;quant=mxfp4&amp;gpu=geforce-rtx-5090&amp;count=2&amp;ctx=8192" in html


def test_without_prices_there_is_no_cheapest_list_to_show(client, catalog):
    set_prices({})
    response = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4&tok_s=20")
    assert response.context["answer"].priced == 0
    assert "No price is published for any of these GPUs" in response.content.decode()


def test_smallest_sets_come_first_by_device_count_then_memory(client, catalog):
    answer_ = client.get("/what-hardware/?model=llama-3-3-70b-instruct").context["answer"]
    keys = [(s.count, s.memory_bytes) for s in answer_.smallest]
    assert keys == sorted(keys)
    assert answer_.smallest[0].count == 1
    assert len(answer_.smallest) == 10 < answer_.found


def test_each_gpu_kind_appears_once_at_its_smallest_count_and_unified_machines_alone(client, catalog):
    response = client.get("/what-hardware/?model=llama-3-1-405b-instruct&quant=q2_k&ctx=4096&tok_s=1")
    sets = response.context["answer"].smallest
    kinds = [s.device.slug for s in sets]
    assert len(kinds) == len(set(kinds))
    assert all(s.count == 1 for s in sets if s.device.unified_memory)
    assert any(s.count > 1 for s in sets)


def test_each_device_set_links_to_the_calculator_question_that_gives_the_same_answer(client, catalog):
    response = client.get("/what-hardware/?model=qwen3-30b-a3b&ctx=32768&tok_s=30")
    for device_set in response.context["answer"].smallest[:4]:
        result, canonical = calculator_answer(device_set.permalink)
        assert canonical == device_set.permalink
        assert result.recommended_plan.decode_tok_s == pytest.approx(device_set.plan.decode_tok_s)


def test_a_speed_nothing_reaches_says_so(client, catalog):
    response = client.get("/what-hardware/?model=llama-3-1-405b-instruct&tok_s=500")
    assert response.context["answer"].found == 0
    assert "No device set of the catalog runs Llama 3.1 405B" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("model=nope", "model", "Unknown model “nope”."),
        ("model=llama-3-1-8b-instruct&quant=q9_z", "quant", "Unknown format “q9_z”."),
        ("model=llama-3-70b-instruct&ctx=32768", "ctx", "reads at most 8,192 tokens"),
        ("model=llama-3-1-8b-instruct&ctx=0", "ctx", "Enter 1 or more."),
        ("model=llama-3-1-8b-instruct&tok_s=-3", "tok_s", "Enter 0 or more."),
        ("model=llama-3-1-8b-instruct&tok_s=fast", "tok_s", "Enter a number."),
        ("model=llama-3-1-8b-instruct&tok_s=inf", "tok_s", "Enter a number."),
        ("quant=q4_k_m", "model", "This field is required."),
        ("model=llama-3-1-8b-instruct&ctx=4096&ctx=8192", "ctx", "Given 2 times: give it once."),
        ("model=llama-3-1-8b-instruct&model=llama-3-70b-instruct", "model", "Given 2 times: give it once."),
    ],
)
def test_what_hardware_bad_input_shows_a_message_next_to_the_field(client, query, field, message):
    make_gpu()
    make_llm()
    make_llm(slug="llama-3-70b-instruct", name="Llama 3 70B Instruct", max_position_embeddings=8192)
    make_quant()
    response = client.get(f"/what-hardware/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html.split(f'id="error-{field}">')[1].split("</span>")[0]
    assert "answer" not in response.context


def test_first_visit_already_shows_hardware_for_llama_70b(client, catalog):
    response = client.get("/what-hardware/")
    assert response.context["form"].cleaned_data["model"].slug == "llama-3-1-70b-instruct"
    assert response.context["answer"].found > 0


def test_what_hardware_htmx_gets_only_the_result_and_the_canonical_url(client, catalog):
    response = client.get(
        "/what-hardware/?model=gpt-oss-120b&quant=mxfp4&ctx=8192&tok_s=20", headers={"HX-Request": "true"}
    )
    assert response.template_name == "reverse_questions/what_hardware.html#result"
    assert response["HX-Replace-Url"] == "/what-hardware/?model=gpt-oss-120b&tok_s=20"  # its own format


def test_what_hardware_answers_at_the_models_own_format_when_none_is_asked(client, catalog):
    """The review: gpt-oss-120b was answered at Q4_K_M, which the calculator says no one publishes for
    it, and asked for 4× RTX 3090 where 3 hold its own MXFP4; the rows' links opened MXFP4 pages."""
    own = client.get("/what-hardware/?model=gpt-oss-120b")
    assert own.context["form"].cleaned_data["quant"].slug == "mxfp4"
    assert '<option value="mxfp4" selected>' in own.content.decode()
    asked = client.get("/what-hardware/?model=gpt-oss-120b&quant=q4_k_m")
    assert asked.context["form"].cleaned_data["quant"].slug == "q4_k_m"
    assert asked.context["permalink"].endswith("quant=q4_k_m")
    dense = client.get("/what-hardware/?model=llama-3-3-70b-instruct")
    assert dense.context["form"].cleaned_data["quant"].slug == "q4_k_m"


def test_what_hardware_query_count_is_bounded(client, catalog, django_assert_max_num_queries):
    # 1: every LLM (picker and lookup); 2: every format (picker and lookup); 3: the listed GPUs; 4: every
    # image and video model (picker and lookup); 5: the runtime table; 6: the RAM presets (the RAM type's
    # picker and the offload's bandwidth); 7: their channels and memory types (the most RAM a type takes:
    # offload.platforms); each cached until the catalog changes
    with django_assert_max_num_queries(7):
        response = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4&tok_s=20")
    assert response.context["answer"].found > 0


def test_a_second_what_hardware_question_reads_nothing_from_the_database(
    client, catalog, django_assert_num_queries
):
    client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4&tok_s=20")  # the catalog's tables, once
    with django_assert_num_queries(0):
        response = client.get("/what-hardware/?model=qwen3-8b&ctx=32768")
    assert response.context["answer"].found > 0


def test_what_hardware_sees_a_new_price_at_once(client, catalog):
    url = "/what-hardware/?model=qwen3-8b&quant=q4_k_m"
    assert "$1,234" not in client.get(url).text
    Price.objects.create(
        gpu=Gpu.objects.get(slug=RTX_3090),
        amount="1234",
        date=datetime.date(2026, 11, 1),
        source_url="https://example.com/p",
    )
    assert "$1,234 <small>(" in client.get(url).text


def test_no_format_wider_than_the_models_own_weights_is_offered(client, catalog):
    """gpt-oss ships MXFP4 experts and DeepSeek-V3 FP8 weights: a wider file holds nothing more."""
    response = client.get("/what-runs/?gpu=h100-sxm5-80-gb&count=8&ctx=8192&quant=largest")
    rows = {
        slug: row_for(response, slug) for slug in ("gpt-oss-120b", "deepseek-v3", "llama-3-1-8b-instruct")
    }
    assert rows["gpt-oss-120b"].quant.slug == "mxfp4"
    assert rows["deepseek-v3"].quant.bits_per_weight <= 8.5008
    assert rows["llama-3-1-8b-instruct"].quant.bits_per_weight == 16.0  # bf16 models may still run at F16
    on_m4 = row_for(client.get(f"/what-runs/?gpu={M4_MAX}&quant=largest"), "gpt-oss-120b")
    assert on_m4.quant.slug == "mxfp4"


def test_what_hardware_lists_only_devices_that_run_the_format(client, catalog):
    mlx = client.get("/what-hardware/?model=llama-3-1-8b-instruct&quant=mlx-4bit&tok_s=1").context["answer"]
    assert mlx.found > 0
    assert all(s.device.backend == "metal" and s.runtime == "mlx" for s in mlx.smallest)
    result, canonical = calculator_answer(mlx.smallest[0].permalink)
    assert canonical == mlx.smallest[0].permalink
    assert result.recommended_plan.decode_tok_s == pytest.approx(mlx.smallest[0].plan.decode_tok_s)
    awq = client.get("/what-hardware/?model=llama-3-1-8b-instruct&quant=awq-4bit&tok_s=1").context["answer"]
    assert awq.found > 0
    assert all(s.device.backend in ("cuda", "rocm") and s.runtime == "vllm" for s in awq.smallest)


def test_what_hardware_says_its_rankings_show_the_first_ten(client, catalog):
    """The review: "27 device sets … run gpt-oss-120b" above rankings that showed 21 of them."""
    response = client.get("/what-hardware/?model=gpt-oss-120b")
    assert response.context["answer"].found > 10
    assert "Each ranking below shows its first 10." in response.content.decode()


def test_users_at_once_share_the_memory_and_follow_into_the_calculator(client, catalog):
    """The review: a buyer for four users at 32K was told two RTX 5090s run Llama 3.3 70B, where the calculator
    with four users says No (their 40 GiB of KV cache together): the page had no users field."""
    base = "/what-hardware/?model=llama-3-3-70b-instruct&ctx=32768"
    one, four = client.get(base), client.get(base + "&batch=4")
    assert "for each of 4 users at once at 10 tok/s or more each" in four.content.decode()

    def sets(response):
        return {(s.device.slug, s.count) for s in response.context["answer"].cheapest}

    assert ("geforce-rtx-5090", 2) in sets(one) and ("geforce-rtx-5090", 2) not in sets(four)
    first = four.context["answer"].cheapest[0]
    assert first.permalink.endswith("&ctx=32768&batch=4" + (f"&kv={first.kv}" if first.kv else ""))
    answer = client.get(first.permalink.replace("/?", "/api/v1/estimate?")).json()
    assert answer["fits"] and answer["recommended"] == first.plan.strategy
    assert four.context["permalink"].endswith("&batch=4")
    refused = client.get(base + "&batch=0").content.decode()
    assert 'id="error-batch">Enter 1 or more.' in refused


def test_with_users_the_target_is_each_users_speed(client, catalog):
    """The review of the diff: with 64 users the page compared the target with one user's speed alone (a 3090
    qualified for "100 tok/s or more each" at 133 tok/s, where each of 64 gets about 75)."""
    response = client.get("/what-hardware/?model=llama-3-1-8b-instruct&quant=q4_k_m&batch=64&tok_s=100")
    for s in response.context["answer"].cheapest:
        assert s.users == 64 and s.tok_s == s.plan.shared_tok_s(64) and s.tok_s >= 100
        assert s.tok_s < s.plan.decode_tok_s  # sharing the batch, each user is slower than one alone


def test_a_macs_memory_is_the_share_its_gpu_may_use_as_in_the_calculator(client, catalog):
    """The review: what-hardware listed the 128 GB Mac as "128.0 GiB" where the calculator says "of 96.0 GiB"."""
    html = client.get("/what-hardware/?model=gpt-oss-120b&ctx=32768").content.decode()
    mac = re.search(
        r'<tr[^>]*>\s*<th scope="row">[^<]*Apple M4 Max \(40-core GPU\) 128 GB.*?</tr>', html, re.S
    )
    assert mac and 'data-label="Memory">96.0 GiB <small>' in mac.group(0)


def test_a_macs_memory_says_it_is_macos_default_gpu_share_and_links_how_to_raise_it(client, catalog):
    """A visitor review: "1× Apple M3 Ultra … 512 GB · 384.0 GiB" with no word on why three quarters."""
    html = client.get("/what-hardware/?model=deepseek-r1&quant=q2_k&tok_s=0").content.decode()
    mac = re.search(r'<tr data-gpu="apple-m3-ultra-512gb".*?</tr>', html, re.S).group(0)
    memory = re.search(r'<td data-label="Memory">(.*?)</td>', mac, re.S).group(1)
    assert memory.startswith("384.0 GiB <small>(")
    assert "macOS&#x27;s default GPU share, ¾ of 512.0 GiB" in memory
    assert '<a href="/guides/apple-silicon-unified-memory/">' in memory
    h100 = re.search(r'<tr data-gpu="h100-sxm5-80-gb".*?</tr>', html, re.S).group(0)
    assert "macOS" not in h100  # a card's memory is all its own


def test_a_machine_that_runs_no_macos_says_its_gpu_share_without_naming_macos(client, catalog):
    """A visitor review: "(macOS's default GPU share, 86% of 128.0 GiB…)" under the Ryzen AI Max+ 395 and "90%"
    under the DGX Spark, neither of which runs macOS. Their share is the GPU's usable share of the memory."""
    html = client.get("/what-hardware/?model=gpt-oss-120b").content.decode()
    for slug, share in (("amd-ryzen-ai-max-395-128gb", "86%"), ("nvidia-dgx-spark-128gb", "90%")):
        row = re.search(rf'<tr data-gpu="{slug}".*?</tr>', html, re.S).group(0)
        memory = re.search(r'<td data-label="Memory">(.*?)</td>', row, re.S).group(1)
        assert "macOS" not in memory and "apple-silicon-unified-memory" not in memory
        assert f"(the GPU&#x27;s usable share of the machine&#x27;s memory, {share} of 128.0 GiB)" in memory


def test_a_speed_asked_reads_grouped(client, catalog):
    """A visitor review: "at 100000 tok/s or more", where the site groups its numbers."""
    html = client.get("/what-hardware/?model=llama-3-1-8b-instruct&tok_s=100000").content.decode()
    assert "at 100,000 tok/s or more" in html


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}])
def test_the_folded_questions_speed_reads_grouped_as_the_verdict(client, catalog, headers):
    """A visitor review: the folded question said "at least 100000 tok/s", the sentence below "100,000"."""
    url = "/what-hardware/?model=llama-3-3-70b-instruct&tok_s=100000"
    html = client.get(url, headers=headers).content.decode()
    summary = re.search(r'<span class="summary-text" id="summary"[^>]*>(.*?)</span>', html).group(1)
    assert summary.endswith("· at least 100,000 tok/s")


def used_3090_and_3060_at_launch(*, keep: bool = False):
    """A used RTX 3090 seen last month at $700, and the RTX 3060's launch price of January 2021, none newer;
    `keep`: beside the test prices already set."""
    if not keep:
        set_prices({})
    Price.objects.filter(gpu__slug=RTX_3090).delete()
    Price.objects.create(
        slug="rtx-3090-used-test",
        gpu=Gpu.objects.get(slug=RTX_3090),
        amount=Decimal("700"),
        currency="USD",
        region="US",
        date=datetime.date(2026, 11, 1),
        source_url=f"https://example.com/{RTX_3090}",
    )
    gpu = Gpu.objects.get(slug="geforce-rtx-3060-12-gb")
    Price.objects.create(
        slug="rtx-3060-launch-test",
        gpu=gpu,
        amount=Decimal("329"),
        currency="USD",
        region="US",
        date=gpu.release_date,
        source_url="https://example.com/rtx-3060-launch",
    )


def test_a_launch_price_of_years_ago_is_not_ranked_cheaper_than_todays(client, catalog):
    """A visitor review: "2× RTX 3060 12 GB: $658 (launch, Jan 2021, none newer)" ranked cheapest, before a used
    RTX 3090 seen this month at $700 and faster. An old launch price now follows the prices of today."""
    used_3090_and_3060_at_launch()
    answer = client.get("/what-hardware/?model=qwen3-30b-a3b&quant=q4_k_m&tok_s=20").context["answer"]
    priced = [(s.device.slug, s.unit_price.old) for s in answer.cheapest if s.price_usd is not None]
    assert priced.index((RTX_3090, False)) < priced.index(("geforce-rtx-3060-12-gb", True))


def test_the_cheapest_card_and_table_say_an_old_launch_price_is_lower(client, catalog):
    """A visitor review: "Cheapest 6× L40S … $45,000 (Jun 2026)", and right under it in the table "6× Radeon PRO
    W7900 … $24,000": launch prices over two years old ranked after today's without a word. The card says it is
    the cheapest but for old launch prices and names the lower old launch price; the table puts the old
    ones under their own heading."""
    used_3090_and_3060_at_launch()
    response = client.get("/what-hardware/?model=qwen3-30b-a3b&quant=q4_k_m&tok_s=20")
    html = response.content.decode()
    card = re.search(r'<li class="tier-card"><strong>Cheapest[^<]*</strong>.*?</li>', html, re.S).group(0)
    assert "<strong>Cheapest, old launch prices aside</strong>" in card
    assert "1× GeForce RTX 3090" in card and "$700" in card
    assert "Lower at a launch price over two years old: 2× GeForce RTX 3060 12 GB, $658 (Jan 2021)" in card
    cheapest = html[html.index("<h2>Cheapest</h2>") : html.index("<h2>Fastest</h2>")]
    recent = cheapest[: cheapest.index("<h3>At a launch price over two years old</h3>")]
    old = cheapest[cheapest.index("<h3>At a launch price over two years old</h3>") :]
    assert 'data-gpu="geforce-rtx-3090"' in recent and 'data-gpu="geforce-rtx-3060-12-gb"' not in recent
    assert 'data-gpu="geforce-rtx-3060-12-gb"' in old


def test_an_old_launch_price_beyond_the_ten_shown_is_still_said_lower_and_listed(client, catalog):
    """A visitor review: qwen3-8b's cheapest card said "1× GeForce RTX 3090 … $700 (used, Dec 2026)" with no word of
    old launch prices, while the smallest card beside it was "1× GeForce RTX 3060 12 GB … $329 (launch, Jan 2021,
    none newer)": ten sets at today's prices filled the ranking, and the old launch prices fell outside it."""
    cards = Gpu.objects.filter(listed=True, unified_memory=False, memory_bytes__gte=16 * 2**30)
    set_prices({g.slug: str(1000 + i) for i, g in enumerate(cards.order_by("slug")[:12])})
    used_3090_and_3060_at_launch(keep=True)
    html = client.get("/what-hardware/?model=qwen3-8b").content.decode()
    card = re.search(r'<li class="tier-card"><strong>Cheapest[^<]*</strong>.*?</li>', html, re.S).group(0)
    assert "<strong>Cheapest, old launch prices aside</strong>" in card
    assert "Lower at a launch price over two years old: 1× GeForce RTX 3060 12 GB, $329 (Jan 2021)" in card
    cheapest = html[html.index("<h2>Cheapest</h2>") : html.index("<h2>Fastest</h2>")]
    today, _, old = cheapest.partition("<h3>At a launch price over two years old</h3>")
    assert today.count("<tr data-gpu=") == 10  # today's ten, then the old launch prices lower than the tenth
    assert 'data-gpu="geforce-rtx-3060-12-gb"' in old and ">launch, Jan 2021, none newer</a>)" in old


def test_the_sets_with_system_ram_are_grouped_by_price_as_the_cheapest_table(client, catalog):
    """A visitor review: the system-RAM table ran "$7,500 (Jun 2026)" straight into "$329 (launch, Jan 2021, none
    newer)" with no heading, where the cheapest table puts old launch prices under their own."""
    html = client.get("/what-hardware/?model=deepseek-r1&tok_s=3").content.decode()
    table = html[html.index('id="with-ram"') :]
    today, _, old = table.partition("<h3>At a launch price over two years old</h3>")
    assert old, "no heading over the old launch prices"
    assert 'data-testid="with-ram-old"' in old and "none newer" not in today
    assert ">launch, Jan 2021, none newer</a>)" in old and "<tr data-gpu=" in today


def test_with_no_old_launch_price_the_cheapest_card_is_plainly_the_cheapest(client, catalog):
    set_prices(PRICES)
    html = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4&tok_s=20").content.decode()
    assert "<strong>Cheapest</strong>" in html and "Lower at a launch price" not in html
    assert "<h3>At a launch price over two years old</h3>" not in html
    assert "<h3>No price published</h3>" in html


def test_on_a_phone_the_answer_comes_first_and_its_links_are_buttons(client, catalog):
    """A visitor review at 390×844: the whole form filled the first screen before any result, the count sat in
    a bar fixed over the page's foot, and "Details · Cost" were 19 px tall links side by side."""
    html = client.get("/what-hardware/?model=qwen3-30b-a3b").content.decode()
    assert '<details class="question-toggle" open data-collapse-on-phone>' in html  # site.js folds it
    assert "Qwen3 30B-A3B · 8,192 tokens · at least 10 tok/s</span></summary>" in html
    assert '<div class="verdict-bar first">' in html  # at the top, as the calculator's
    assert '<td class="row-links"><a href="/?model=qwen3-30b-a3b' in html
    runs = client.get("/what-runs/?gpu=geforce-rtx-3090").content.decode()
    assert "1× GeForce RTX 3090 · 8,192 tokens</span></summary>" in runs and "data-collapse-on-phone" in runs


def test_the_folded_question_follows_an_answer_swapped_in(client, catalog):
    """A review of the diff: HTMX swaps only #result, so the folded summary on a phone kept the first
    question's words after a change; each answer now swaps it out of band, as the calculator's does."""
    hx = {"HX-Request": "true"}
    hardware = client.get("/what-hardware/?model=qwen3-30b-a3b&tok_s=20", headers=hx).content.decode()
    assert (
        '<span class="summary-text" id="summary" hx-swap-oob="true">Qwen3 30B-A3B · 8,192 tokens · at least 20 tok/s'
        in hardware
    )
    runs = client.get("/what-runs/?gpu=geforce-rtx-4090&ctx=4096", headers=hx).content.decode()
    assert (
        '<span class="summary-text" id="summary" hx-swap-oob="true">1× GeForce RTX 4090 · 4,096 tokens'
        in runs
    )


# ---- One or two GPUs with system RAM (reverse_questions/offload.py) -------------------------------------


def ram_row(html: str, gpu: str) -> str:
    table = html[html.index('id="with-ram"') :]
    return re.search(rf'<tr data-gpu="{gpu}" data-count="\d">.*?</tr>', table, re.S).group(0)


def test_gpt_oss_120b_runs_on_one_3090_with_64_gb_of_ram_as_the_calculator_says(client, catalog):
    """A review: what-hardware never offered one GPU and system RAM, the usual low-cost way to run a large mixture
    of experts, which the calculator recommends (gpt-oss-120b on a 3090 with 64 GB: expert offload, 33 tok/s)."""
    set_prices({RTX_3090: "700"})
    response = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4")
    html = response.content.decode()
    s = next(s for s in response.context["ram_sets"] if s.device.slug == RTX_3090)
    assert (s.count, s.ram_gb, s.plan.strategy) == (1, 64, "expert_offload")
    row = ram_row(html, RTX_3090)
    assert "24.0 GiB <small>+ 64 GB of system RAM</small>" in row
    assert "$700" in row and "GPUs only: the RAM not priced" in row
    assert "Cost</a>" not in row  # the cost page would price the GPU alone
    estimate, canonical = calculator_answer(s.permalink)
    assert (
        canonical == s.permalink == "/?model=gpt-oss-120b&quant=mxfp4&gpu=geforce-rtx-3090&ctx=8192&ram_gb=64"
    )
    assert estimate.recommended_plan.strategy == "expert_offload"
    assert estimate.recommended_plan.decode_tok_s == pytest.approx(s.plan.decode_tok_s)
    assert "no price of RAM is published on this site" in html


def test_the_cheapest_card_says_a_gpu_with_ram_below_may_cost_less(client, catalog):
    """A visitor review: gpt-oss-120b's cheapest card said "AMD Ryzen AI Max+ 395 … $1,999" while the section below
    showed "1× GeForce RTX 3060 12 GB + 64 GB … $329 + the RAM". The RAM has no price: not ranked together, but
    the card says such sets may cost less."""
    set_prices({RTX_3090: "700", "amd-ryzen-ai-max-395-128gb": "1999"})
    html = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4").content.decode()
    card = re.search(r'<li class="tier-card"><strong>Cheapest[^<]*</strong>.*?</li>', html, re.S).group(0)
    assert "AMD Ryzen AI Max+ 395" in card and "$1,999" in card
    assert (
        "GPU + RAM sets below may cost less (their RAM not priced): 1× GeForce RTX 3090 + 64 GB of RAM, $700"
        in card
    )
    set_prices({RTX_3090: "2500", "amd-ryzen-ai-max-395-128gb": "1999"})
    html = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4").content.decode()
    assert "GPU + RAM sets below may cost less" not in html


def test_deepseek_r1_on_one_gpu_needs_hundreds_of_gb_of_ram_at_the_speed_asked(client, catalog):
    # 3 tok/s: from engine 0.6.101 the CPU reads its RAM at 0.43 of its spec (published offload runs), and no
    # set of one or two GPUs reaches 5
    response = client.get("/what-hardware/?model=deepseek-r1&quant=q2_k&tok_s=3")
    sets = response.context["ram_sets"]
    assert sets and all(s.count <= 2 and s.tok_s >= 3 for s in sets)
    assert all(s.plan.strategy not in ("single", "layer_split") for s in sets)
    ones = [s for s in sets if s.count == 1 and s.device.memory_bytes <= 48 * 2**30]
    assert ones and all(s.ram_gb >= 192 for s in ones)  # about 225 GiB of Q2_K weights and cache


def test_more_ram_than_a_desktop_takes_is_read_at_a_workstations_channels(client, catalog):
    """A visitor review: "1× GeForce RTX 3090 — 24.0 GiB + 384 GB of system RAM — 3.98 tok/s", read at dual-channel
    DDR5-4800: two channels take 256 GB at most (four 64 GB DIMMs), so that machine does not exist; one with 384 GB
    is a workstation of more channels, faster. With no RAM type asked, a size above 256 GB is read at four channels
    of DDR5-4800, said in its row and carried into its Details link."""
    response = client.get("/what-hardware/?model=deepseek-r1&tok_s=3")
    html = response.content.decode()
    s = next(s for s in response.context["ram_sets"] if s.device.slug == RTX_3090)
    assert s.ram_gb > 256 and s.ram_read_at == "DDR5-4800, 4 channels"
    assert s.permalink.endswith(f"&ram_gb={s.ram_gb}&ram_preset=ddr5-4800-4ch")
    assert f"+ {s.ram_gb} GB of system RAM (DDR5-4800, 4 channels: a workstation board)</small>" in ram_row(
        html, RTX_3090
    )
    estimate, canonical = calculator_answer(s.permalink)
    assert canonical == s.permalink
    assert estimate.recommended_plan.decode_tok_s == pytest.approx(s.plan.decode_tok_s)
    small = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4").context["ram_sets"]
    assert all(r.ram_gb <= 256 and r.ram_read_at == "" and "ram_preset" not in r.permalink for r in small)


def test_a_dual_channel_ram_type_is_offered_no_more_than_it_holds(client, catalog):
    response = client.get("/what-hardware/?model=deepseek-r1&tok_s=3&ram_preset=ddr5-4800-2ch")
    assert response.context["ram_sets"] and all(s.ram_gb <= 256 for s in response.context["ram_sets"])
    assert response.context["ram_sizes"][-1] == 256
    ddr4 = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4&ram_preset=ddr4-3200-2ch")
    assert ddr4.context["ram_sizes"][-1] == 128
    server = client.get("/what-hardware/?model=deepseek-r1&tok_s=3&ram_preset=ddr5-4800-12ch")
    assert server.context["ram_sizes"][-1] == 1024
    assert any(s.ram_gb > 256 and s.ram_read_at == "" for s in server.context["ram_sets"])


def test_the_ram_type_asked_reads_the_offload_and_follows_into_the_permalinks(client, catalog):
    slow = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4&ram_preset=ddr4-3200-2ch")
    fast = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4")
    by_gpu = {s.device.slug: s for s in fast.context["ram_sets"]}
    s = next(s for s in slow.context["ram_sets"] if s.device.slug == RTX_3090)
    assert s.tok_s < by_gpu[RTX_3090].tok_s
    assert s.permalink.endswith("&ram_gb=64&ram_preset=ddr4-3200-2ch")
    assert slow.context["permalink"].endswith("&ram_preset=ddr4-3200-2ch")
    assert "DDR4-3200, 2 channels, 51.2 GB/s" in slow.content.decode()


def test_a_dense_model_is_asked_no_sets_with_system_ram(client, catalog):
    response = client.get("/what-hardware/?model=llama-3-3-70b-instruct")
    assert response.context["ram_sets"] == []
    assert 'id="with-ram"' not in response.content.decode()


def test_a_set_with_ram_takes_the_8_bit_kv_cache_where_that_needs_less_ram(client, catalog, monkeypatch):
    """The GPU-only sets try the runtime's 8-bit KV cache before another card; the sets with system RAM did not, so
    what-hardware answered one RX 7900 XT with 64 GB for Qwen3-Next 80B at 131,072 tokens and 10 tok/s (25.8 with the
    context cached), where 32 GB reach it with a q8_0 KV cache (28.5; with the f16 one, 32 GB hold it as a CPU offload
    at 6.0). Same rule now: the question's KV cache first, the 8-bit one where it takes less RAM, fewer cards or no
    workstation board; each (cards, size, platform, KV cache) asked of the engine once."""
    set_prices({})
    asked = []
    holds, recommended = offload.holds, offload.recommended

    def counted(engine, kind):
        def call(**kwargs):
            w = kwargs["workload"]
            asked.append(
                (
                    kind,
                    len(kwargs["devices"]),
                    kwargs["devices"][0].slug,
                    w.ram_bytes,
                    w.ram_bandwidth_gb_s,
                    w.kv_cache_type,
                )
            )
            return engine(**kwargs)

        return call

    monkeypatch.setattr(offload, "holds", counted(holds, "holds"))
    monkeypatch.setattr(offload, "recommended", counted(recommended, "plan"))
    response = client.get("/what-hardware/?model=qwen3-next-80b-a3b-instruct&ctx=131072&tok_s=10")
    s = next(s for s in response.context["ram_sets"] if s.device.slug == "radeon-rx-7900-xt")
    assert (s.count, s.ram_gb, s.kv, s.ram_read_at) == (1, 32, "q8_0", "")
    assert s.permalink == (
        "/?model=qwen3-next-80b-a3b-instruct&quant=q4_k_m&gpu=radeon-rx-7900-xt&ctx=131072&kv=q8_0&ram_gb=32"
    )
    estimate, canonical = calculator_answer(s.permalink)
    assert canonical == s.permalink
    assert estimate.recommended_plan.decode_tok_s == pytest.approx(s.plan.decode_tok_s)
    f16, _ = calculator_answer(s.permalink.replace("&kv=q8_0", ""))  # the question's KV cache, the same RAM
    assert f16.recommended_plan.strategy == "cpu_offload"
    assert fitting.context_tok_s(f16.recommended_plan, 1) < 10 < s.tok_s_at_context
    assert 'class="measured" data-testid="kv">with a <a' in ram_row(
        response.content.decode(), "radeon-rx-7900-xt"
    )
    assert len(asked) == len(set(asked))  # each asked of the engine once
    assert len([a for a in asked if a[0] == "plan"]) <= offload.MAX_PLANS


def test_under_vllm_more_cards_are_tried_while_they_split_the_heads_more_ways(client, catalog):
    """More devices were tried only while the speed rose: Qwen3 32B in FP8 under vLLM runs on three RTX 3090s no
    faster than on two (38.1 tok/s: its 64 heads split over two of them), and the search stopped there, where four
    split them four ways at 61.9 with the context cached. Choose my GPU, which asks what-hardware, lost it too."""
    set_prices({RTX_3090: "700"})  # the one priced: first in the cheapest ranking
    response = client.get("/what-hardware/?model=qwen3-32b&quant=fp8&ctx=4096&tok_s=40")
    s = response.context["answer"].cheapest[0]
    assert s.device.slug == RTX_3090
    assert (s.count, s.kv, s.runtime, s.plan.strategy) == (4, "", "vllm", "tensor_parallel")
    assert s.tok_s_at_context >= 40
    estimate, canonical = calculator_answer(s.permalink)
    assert canonical == s.permalink
    assert estimate.recommended_plan.decode_tok_s == pytest.approx(s.plan.decode_tok_s)


# ---- The search for sets with system RAM is complete for what the page shows, or says what it did not ask ------


def test_one_gpu_that_does_not_hold_a_model_alone_is_asked_with_ram(client, catalog):
    """The lower bound said one RTX 3060 12 GB might hold gpt-oss-20b at Q4_K_M alone, so the search left it to the
    GPU-only rankings, where it is not (it does not): one 3060 and 32 GB, a common budget machine, was on neither."""
    response = client.get("/what-hardware/?model=gpt-oss-20b&quant=q4_k_m")
    assert not any(
        s.device.slug == "geforce-rtx-3060-12-gb" and s.count == 1
        for s in response.context["answer"].smallest
    )
    s = next(s for s in response.context["ram_sets"] if s.device.slug == "geforce-rtx-3060-12-gb")
    assert (s.count, s.ram_gb) == (1, 32) and s.tok_s >= 10
    estimate, _ = calculator_answer(s.permalink)
    assert estimate.recommended_plan.decode_tok_s == pytest.approx(s.plan.decode_tok_s)


@pytest.mark.parametrize(
    ("query", "gpu", "count", "ram_gb", "why"),
    [
        # with 256 GB at two channels of DDR5-4800, one card is under 6 tok/s (4.0); 256 GB on four channels reach it
        ("model=glm-5&quant=q2_k&tok_s=6", "geforce-rtx-5090", 1, 256, "a faster RAM past a desktop's"),
        # 192 GB holds its layers offloaded, 2.7 tok/s; 256 GB holds its experts alone, 4.6 (engine 0.6.101's CPU)
        (
            "model=deepseek-r1&quant=q4_k_m&tok_s=4&ram_preset=ddr5-4800-2ch",
            "radeon-instinct-mi300x",
            1,
            256,
            "a plan more RAM holds",
        ),
    ],
)
def test_more_ram_than_the_least_that_holds_is_asked_where_it_is_too_slow(
    client, catalog, query, gpu, count, ram_gb, why
):
    """The search stopped at the least RAM that holds the model: too slow there, a kind was left out, though more RAM
    (read faster, or holding a faster plan) reaches the speed asked."""
    sets = client.get(f"/what-hardware/?{query}").context["ram_sets"]
    s = next((s for s in sets if s.device.slug == gpu), None)
    assert s is not None, why
    assert (s.count, s.ram_gb) == (count, ram_gb)
    estimate, _ = calculator_answer(s.permalink)
    assert estimate.recommended_plan.decode_tok_s == pytest.approx(s.plan.decode_tok_s)


def test_a_model_no_ram_set_was_found_for_has_them_past_a_desktops_ram(client, catalog):
    """qwen3-coder-480b at Q4_K_M and 10 tok/s: "No GPU kind of the catalog, one or two cards with up to 1,024 GB of
    system RAM … runs" it, where two cards of several kinds do with RAM read at four channels."""
    response = client.get("/what-hardware/?model=qwen3-coder-480b-a35b-instruct&quant=q4_k_m")
    sets = response.context["ram_sets"]
    assert sets and all(s.ram_read_at == "DDR5-4800, 4 channels" for s in sets)
    assert 'data-testid="with-ram">No GPU kind' not in response.content.decode()


def test_an_old_launch_price_lower_than_the_tenth_set_with_ram_is_asked_and_listed(client, catalog):
    """As the cheapest ranking (`answers.cut`): once ten sets at today's prices were found, the kinds at an old launch
    price were not asked, though lower: a 3060 at its 2021 launch price, $329, was never shown with 64 GB."""
    cards = Gpu.objects.filter(listed=True, unified_memory=False).exclude(slug="geforce-rtx-3060-12-gb")
    set_prices({g.slug: str(1000 + i) for i, g in enumerate(cards.order_by("slug"))})
    used_3090_and_3060_at_launch(keep=True)
    response = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4")
    table = response.content.decode()[response.content.decode().index('id="with-ram"') :]
    today, _, old = table.partition("<h3>At a launch price over two years old</h3>")
    assert today.count("<tr data-gpu=") == 10
    assert 'data-gpu="geforce-rtx-3060-12-gb"' in old


def test_the_kinds_not_asked_are_said(client, catalog, monkeypatch):
    """The search stops asking once the ten cheapest are found (a dearer kind cannot rank among them), and after
    MAX_PLANS plans: the page says how many kinds it did not ask, and why."""
    response = client.get("/what-hardware/?model=gpt-oss-120b&quant=mxfp4")
    html = response.content.decode()
    dearer = response.context["ram_dearer"]
    assert len(response.context["ram_sets"]) == 10 and dearer > 0 and not response.context["ram_stopped"]
    assert (
        f"Not asked: {dearer} dearer GPU kinds (or with no price), whose one card already costs more than the sets "
        "above rank." in html
    )
    monkeypatch.setattr("reverse_questions.offload.MAX_PLANS", 3)
    stopped = client.get("/what-hardware/?model=deepseek-r1&quant=q2_k&tok_s=3")
    assert stopped.context["ram_stopped"] and len(stopped.context["ram_sets"]) < 10
    assert "dearer GPU kinds, for the page to answer in time." in stopped.content.decode()


@pytest.mark.parametrize(
    ("first_true", "count"),
    [(0, 5), (1, 5), (2, 5), (4, 5), (None, 5), (0, 1), (None, 1), (None, 0), (7, 10)],
)
def test_the_least_size_search_finds_the_first_yes_in_a_few_questions(first_true, count):
    from reverse_questions.offload import _least

    asked = []

    def ok(i):
        asked.append(i)
        return first_true is not None and i >= first_true

    assert _least(count, ok) == first_true
    assert len(asked) <= 2 + max(count - 2, 1).bit_length()


# ---- The speed asked holds with the whole context cached ---------------------------------------------------


def test_the_speed_asked_holds_at_the_full_context_not_the_start(client, catalog):
    """A visitor review: at 131,072 tokens and "at least 40 tok/s", the cheapest card was a Strix Halo at 46.0, the
    start of its answer; the calculator gives 21.3 once the context fills. The sets qualify, and the fastest rank,
    by the speed with the whole context cached; both speeds are shown where they differ."""
    strix = "amd-ryzen-ai-max-395-128gb"
    set_prices({RTX_3090: "700", strix: "1999"})
    response = client.get("/what-hardware/?model=gpt-oss-120b&ctx=131072&tok_s=40")
    answer = response.context["answer"]
    every = [*answer.smallest, *answer.cheapest, *answer.fastest, *response.context["ram_sets"]]
    assert every and all(s.plan.decode_tok_s_at_context >= 40 for s in every)
    assert strix not in {s.device.slug for s in every}
    speeds = [s.tok_s_at_context for s in answer.fastest]
    assert speeds == sorted(speeds, reverse=True)
    card = re.search(
        r'<li class="tier-card"><strong>Cheapest[^<]*</strong>.*?</li>', response.content.decode(), re.S
    )
    first = answer.cheapest[0]
    assert f"{first.tok_s:.0f} → {first.tok_s_at_context:.1f} tok/s" in card.group(0)
    estimate, _ = calculator_answer(first.permalink)
    assert estimate.recommended_plan.decode_tok_s_at_context == pytest.approx(first.tok_s_at_context)
    # 20 tok/s at the full context: the Strix Halo reaches it (21.3), its two speeds side by side
    slower = client.get("/what-hardware/?model=gpt-oss-120b&ctx=131072&tok_s=20").content.decode()
    row = re.search(rf'<tr data-gpu="{strix}" data-count="1">.*?</tr>', slower, re.S).group(0)
    assert re.search(r"46\.0 <small>\([\d.–]+\)</small> → 21\.3</td>", row)


def test_ram_is_the_least_that_reaches_the_speed_on_its_platform_not_a_size_that_buys_channels(
    client, catalog
):
    """A visitor review: "1× GeForce RTX 3060 12 GB + 384 GB of RAM, $329" for gpt-oss-120b (~59 GiB) at 20 tok/s:
    sizes above 256 GB were read at four channels, so the search took 384 GB to reach four channels' speed, where
    96 GB or less on the same four channels reach it. The platform is searched apart from the size, a desktop's
    first; the price says it is the GPUs' alone, and the cheapest card does not offer a workstation's set as
    possibly cheaper."""
    set_prices({"geforce-rtx-3060-12-gb": "329", "amd-ryzen-ai-max-395-128gb": "1999"})
    response = client.get("/what-hardware/?model=gpt-oss-120b&ctx=32768&tok_s=20")
    s = next(s for s in response.context["ram_sets"] if s.device.slug == "geforce-rtx-3060-12-gb")
    assert s.count == 1 and s.ram_gb <= 96 and s.ram_read_at == "DDR5-4800, 4 channels"
    assert s.permalink.endswith(f"&ram_gb={s.ram_gb}&ram_preset=ddr5-4800-4ch")
    estimate, canonical = calculator_answer(s.permalink)
    assert canonical == s.permalink
    assert estimate.recommended_plan.decode_tok_s_at_context == pytest.approx(s.tok_s_at_context)
    html = response.content.decode()
    row = ram_row(html, "geforce-rtx-3060-12-gb")
    assert f"+ {s.ram_gb} GB of system RAM (DDR5-4800, 4 channels: a workstation board)</small>" in row
    assert "$329" in row and "GPUs only: the RAM and the workstation board not priced" in row
    card = re.search(r'<li class="tier-card"><strong>Cheapest[^<]*</strong>.*?</li>', html, re.S).group(0)
    assert "GPU + RAM sets" not in card  # GPU-only sets of 3060s may be (six with a q8_0 KV cache, $1,974)


def test_70b_at_32k_and_10_tok_s_is_cheapest_on_two_3090s_with_a_q8_0_kv_cache(client, catalog):
    """A visitor review: this question answered "Cheapest 3× GeForce RTX 3090 … 17.4 → 13.9 tok/s … $2,100", where
    Choose my GPU, what-runs and the calculator run it on two with a q8_0 KV cache, $1,400, 17.5 → 15.4. A set
    that does not fit at f16 is asked with the runtime's 8-bit KV cache before a device is added."""
    used_3090_and_3060_at_launch()  # a used RTX 3090 at $700
    response = client.get("/what-hardware/?model=llama-3-3-70b-instruct&ctx=32768&tok_s=10")
    first = response.context["answer"].cheapest[0]
    assert (first.device.slug, first.count, first.price_usd, first.kv) == (
        RTX_3090,
        2,
        Decimal("1400"),
        "q8_0",
    )
    link = "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=32768&kv=q8_0"
    assert first.permalink == link
    result, canonical = calculator_answer(first.permalink)
    assert canonical == link
    assert result.recommended_plan.decode_tok_s == pytest.approx(first.plan.decode_tok_s)
    html = response.content.decode()
    card = next(c for c in html.split('<li class="tier-card">') if c.startswith("<strong>Cheapest"))
    assert '2× GeForce RTX 3090</a> <small data-testid="kv">with a q8_0 KV cache</small>' in card
    assert "$1,400" in card and "17.5" in card and "15.4" in card
    row = re.search(r'<tr data-gpu="geforce-rtx-3090" data-count="2">.*?</tr>', html, re.S).group(0)
    assert re.search(
        r'2× GeForce RTX 3090 <small class="measured" data-testid="kv">with a <a [^>]*>q8_0 KV cache</a>', row
    )
    assert link.replace("&", "&amp;") in row and "/cost/?" + link[2:].replace("&", "&amp;") in row


def test_a_sets_kv_cache_is_a_muted_line_under_its_devices_not_part_of_their_bold_name(client, catalog):
    """The row header is the set's hardware, in bold; "with a q8_0 KV cache" sat inside it, in bold, as if part of
    the cards' name. It is a setting the answer takes: a line of its own under the devices, muted and not bold
    (`.measured`, as the calculator's notes under a number), on a phone's card as on a desktop's table."""
    response = client.get("/what-hardware/?model=llama-3-3-70b-instruct&ctx=32768&tok_s=10")
    html = response.content.decode()
    header = re.search(
        r'<tr data-gpu="geforce-rtx-3090" data-count="2">\s*<th scope="row">(.*?)</th>', html, re.S
    )
    name, _, note = header.group(1).partition("<small")
    assert name == "2× GeForce RTX 3090 "  # a space before it: one line where no style applies
    assert note.startswith(
        ' class="measured" data-testid="kv">with a <a href="/glossary/kv-cache/">q8_0 KV cache'
    )
    css = (settings.BASE_DIR / "static/css/site.css").read_text()
    rule = re.search(r"\.measured\{([^}]*)\}", css).group(1)
    assert {"display:block", "font-weight:400", "color:var(--muted)"} <= set(rule.split(";"))


def test_a_set_that_fits_at_f16_names_no_kv_cache(client, catalog):
    """The 8-bit KV cache is tried only where the question's does not fit or reach the speed: 70B at 8K on two
    3090s fits at f16, and says nothing of a KV cache."""
    used_3090_and_3060_at_launch()  # the used RTX 3090 first among today's prices
    response = client.get("/what-hardware/?model=llama-3-3-70b-instruct&ctx=8192&tok_s=10")
    s = next(s for s in response.context["answer"].cheapest if s.device.slug == RTX_3090)
    assert (s.count, s.kv) == (2, "")
    assert "kv=" not in s.permalink
