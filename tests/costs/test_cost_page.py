"""/cost/: a calculator question priced bought, rented and as a hosted API, with dated sources."""

import datetime
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.fitting import context_tok_s
from catalog.models import Gpu, Price
from costs.costing import dollars, label
from costs.economics import tokens_text
from costs.models import ApiPrice, CloudPrice
from estimator.units import format_rate
from tests.conftest import make_gpu, make_llm, make_quant

pytestmark = pytest.mark.django_db

TWO_3090S = "model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"
TWO_MACHINES = "model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=8192&hosts=2"
H100_RUNPOD = "runpod-community-h100-sxm5-80-gb-2026-11-09"


def text(response) -> str:
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r" ([).,:;])", r"\1", words)


def test_two_3090s_against_an_h100_for_2m_tokens_a_day_is_a_dated_sourced_answer(client, costs):
    response = client.get(
        f"/cost/?{TWO_3090S}&tokens_per_day=2000000&condition=used&rent={H100_RUNPOD}&billed=generating"
    )
    assert response.status_code == 200
    words = text(response)
    # the used 3090 street price ($700 each), RunPod's $2.69/h read on 2026-11-09
    assert "At 2 M tokens a day" in words
    assert "renting 1× H100 SXM5 80 GB on RunPod (Community Cloud) costs" in words
    assert re.search(
        r"Buying 2× GeForce RTX 3090 pays off from [\d.]+ k to [\d.]+ k tokens a day against renting", words
    )
    assert "at $2.69/h (price of 9 Nov 2026, source)" in words
    html = response.content.decode()
    assert (
        'href="https://raw.githubusercontent.com/datareceipts/data-receipts/main/109-gpu-pricing/vendors.json"'
        in html
    )
    own = response.context["owned"]
    assert own.cost.hardware_usd == 1400
    assert [p.condition for p in own.prices] == ["used"]
    assert re.search(
        r'<td data-label="Price of"><a [^>]*>used, \w+ 2026, weak source</a></td>', html
    )  # said used
    assert response.context["compare"].price.slug == H100_RUNPOD
    assert 'class="weights" fill="none" stroke="#3b6fd8"' in html


def test_every_number_follows_from_the_inputs(client, costs):
    """Doubling the lifetime halves the hardware's share; electricity follows $/kWh."""
    base = client.get(f"/cost/?{TWO_3090S}&condition=used&utilisation=1").context["owned"].cost
    longer = client.get(f"/cost/?{TWO_3090S}&condition=used&utilisation=1&lifetime=6").context["owned"].cost
    assert longer.hardware_usd_per_day == pytest.approx(base.hardware_usd_per_day / 2)
    free_power = client.get(f"/cost/?{TWO_3090S}&condition=used&utilisation=1&kwh=0").context["owned"].cost
    assert free_power.electricity_usd_per_token == 0
    assert base.power_w == 700  # 2 × the RTX 3090's 350 W board power


def test_rented_rows_are_the_cheapest_first_and_skip_instances_that_cannot_run_it(client, costs):
    response = client.get(f"/cost/?{TWO_3090S}")
    rentals = response.context["rentals"]
    fitting = [r for r in rentals if r.cost]
    tokens = response.context["tokens"]
    assert [r.cost.usd_per_day(tokens) for r in fitting] == sorted(
        r.cost.usd_per_day(tokens) for r in fitting
    )
    assert {r.price.gpu.slug for r in rentals if not r.cost} == {
        "geforce-rtx-3090",
        "geforce-rtx-4090",
    }  # 24 GB
    assert response.context["compare"] is fitting[0]  # no choice given: the cheapest
    apis = response.context["apis"]
    assert [a.provider for a in apis] == ["Groq", "Venice"]  # by output price


def test_a_stale_price_is_flagged(client, costs, settings):
    settings.COSTS_PRICE_MAX_AGE_DAYS = 1
    response = client.get(f"/cost/?{TWO_3090S}")
    assert 'data-testid="stale"' in response.content.decode()
    stale = text(response).split("Older than 1 days:")[1].split("Check the source")[0]
    assert not re.search(r"\d{4}-\d\d-\d\d", stale)  # each date once, as "16 May 2026"
    settings.COSTS_PRICE_MAX_AGE_DAYS = 100_000
    assert 'data-testid="stale"' not in client.get(f"/cost/?{TWO_3090S}").content.decode()


def test_hardware_without_a_price_says_so_and_still_prices_renting(client, costs):
    Price.objects.filter(gpu__slug="geforce-rtx-3090").delete()
    words = text(client.get(f"/cost/?{TWO_3090S}"))
    assert "No published price for GeForce RTX 3090: no break-even to compute." in words
    assert re.search(r"Rent (\d+ instances of )?1× [^:]+ \$[\d.,]+/h", words)  # renting still priced
    # a visitor review: it went on "No published price for GeForce RTX 3090." under the break-even
    assert words.count("No published price") == 1


def test_a_question_that_does_not_fit_says_so(client, costs):
    words = text(client.get("/cost/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090"))
    assert "It does not fit on 1× GeForce RTX 3090: nothing to price." in words


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        # each in the site's words, as the calculator's (Django's read "Ensure this value is greater than or
        # equal to 0.25." and "Select a valid choice. stolen is not one of the available choices.")
        (f"{TWO_3090S}&lifetime=0", "lifetime", "Enter 0.25 or more."),
        (f"{TWO_3090S}&utilisation=150", "utilisation", "Enter at most 100."),
        (f"{TWO_3090S}&utilisation=0", "utilisation", "Enter 1 or more (a percentage of the day)."),
        (f"{TWO_3090S}&billed=monthly", "billed", "Unknown billing “monthly”: pick "),
        (f"{TWO_3090S}&kwh=abc", "kwh", "Enter a number."),
        (f"{TWO_3090S}&tokens_per_day=-5", "tokens_per_day", "Enter 1,000 or more."),
        (f"{TWO_3090S}&tokens_per_day=10000000000000", "tokens_per_day", "Enter at most 1,000,000,000,000."),
        (f"{TWO_3090S}&rent=nope", "rent", "Unknown rental “nope”: pick one of the"),
        (
            f"{TWO_3090S}&condition=stolen",
            "condition",
            "Unknown hardware price “stolen”: pick “Newest, new or used”, New or Used.",
        ),
        (f"{TWO_3090S}&kwh=0.1&kwh=0.3", "kwh", "Given 2 times: give it once. The first, “0.1”, is kept."),
    ],
)
def test_bad_cost_input_is_a_message_next_to_its_field(client, costs, query, field, message):
    response = client.get(f"/cost/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html.split(f'id="error-{field}">')[1].split("</span>")[0]
    assert "Fix the highlighted fields" in html
    assert "Select a valid choice" not in html and "Ensure this value" not in html


@pytest.mark.parametrize(
    "query",
    [
        "model=nope&quant=q4_k_m&gpu=geforce-rtx-3090",
        "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=nope",
        "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=x",
        "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090%00",
        "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=99999999",
        "quant=q4_k_m&gpu=geforce-rtx-3090",
    ],
)
def test_a_bad_calculator_question_is_a_message_never_an_error_page(client, costs, query):
    response = client.get(f"/cost/?{query}")
    assert response.status_code == 200
    assert "Fix the question to see its cost." in response.content.decode()


def test_your_own_model_from_a_config_has_no_api_price_and_no_error(client, costs):
    config = (
        '{"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336, '
        '"num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256, '
        '"max_position_embeddings": 131072, "torch_dtype": "bfloat16"}'
    )
    response = client.get("/cost/", {"config": config, "quant": "q4_k_m", "gpu": "geforce-rtx-3090"})
    assert response.status_code == 200
    assert response.context["apis"] == []


def test_the_permalink_keeps_the_calculator_question_and_the_changed_inputs(client, costs):
    response = client.get(f"/cost/?{TWO_3090S}&lifetime=5&kwh=0.3&rent={H100_RUNPOD}")
    link = response.context["permalink"]
    assert link.startswith(
        "/cost/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"
    )
    assert "lifetime=5" in link and "kwh=0.3" in link and f"rent={H100_RUNPOD}" in link
    assert "utilisation" not in link  # defaults are left out
    again = client.get(link)
    assert again.context["permalink"] == link


def test_htmx_gets_only_the_result_and_the_canonical_url(client, costs):
    url = f"/cost/?{TWO_3090S}&lifetime=5&utilisation=0.5"
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.template_name == "costs/cost.html#result"
    assert re.match(r'\s*<title>[^<]*</title>\s*<section id="result"', response.content.decode())
    assert response["HX-Replace-Url"] == f"/cost/?{TWO_3090S}&lifetime=5"
    full = client.get(url)
    assert full.template_name == "costs/cost.html" and "<form" in full.content.decode()


def test_a_first_visit_shows_the_calculators_first_question(client, costs):
    response = client.get("/cost/")
    assert response.status_code == 200
    assert response.context["hardware"] == "2× GeForce RTX 3090"


@pytest.mark.usefixtures("catalog_version_from_a_clear_cache")  # counts its queries from a clear cache
def test_the_cost_page_runs_a_fixed_number_of_queries_whatever_the_catalog_size(client, costs):
    def count(query: str = TWO_3090S) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/cost/?{query}").status_code == 200
        return len(queries)

    # the calculator question's own (its GPUs, model, format, runtime, KV cache types, published
    # weights), then the cloud offers with their GPUs, the question's hardware prices and the model's
    # API prices
    before = count()
    assert before <= 9
    # two machines: every offer priced once or twice over, the engine run for more instances, no query more
    machines = count(TWO_MACHINES)
    assert machines <= before
    llm = ApiPrice.objects.first().llm
    for n in range(5):
        gpu = make_gpu(slug=f"extra-{n}", name=f"Extra {n}", memory_bytes=96 * 2**30)
        today = datetime.date.today()
        CloudPrice.objects.create(
            slug=f"extra-{n}",
            provider="Test",
            gpu=gpu,
            usd_per_hour=1,
            date=today,
            source_url="https://example.com/",
        )
        ApiPrice.objects.create(
            slug=f"extra-{n}",
            provider="Test",
            llm=llm,
            usd_per_m_input=1,
            usd_per_m_output=1,
            date=today,
            source_url="https://example.com/",
        )
        Price.objects.create(
            gpu=Gpu.objects.get(slug="geforce-rtx-3090"),
            amount=n + 1,
            date=today,
            source_url="https://example.com/",
        )
    assert count() == before
    assert count(TWO_MACHINES) == machines


def test_cost_page_works_on_a_small_catalog(client):
    """No cloud offer and no price: every section says what is missing."""
    make_gpu(tdp_w=350)
    make_llm()
    make_quant()
    response = client.get("/cost/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090")
    words = text(response)
    assert "No published price for GeForce RTX 3090" in words
    assert Gpu.objects.count() == 1


def test_the_calculator_result_and_what_hardware_rows_link_here(client, costs):
    html = client.get(f"/?{TWO_3090S}").content.decode()
    link = re.search(r'href="(/cost/\?[^"]+)" data-testid="cost-link"', html).group(1).replace("&amp;", "&")
    assert client.get(link).context["hardware"] == "2× GeForce RTX 3090"
    rows = client.get("/what-hardware/?model=llama-3-3-70b-instruct").content.decode()
    assert (
        'href="/cost/?model=llama-3-3-70b-instruct&amp;quant=q4_k_m&amp;gpu=geforce-rtx-3090&amp;count=2'
        in rows
    )


def test_a_launch_price_says_it_is_one(client, costs):
    """The second review: the RTX 3060's "Price of 12 Jan 2021" is its launch price; the cell says so."""
    html = client.get(
        "/cost/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3060-12-gb"
    ).content.decode()
    assert re.search(r'<td data-label="Price of"><a [^>]*>launch, Jan 2021, none newer</a></td>', html)


def test_the_break_even_never_contradicts_the_table(client, costs):
    """The review: "pays off above 1.7 M tokens a day" where 1.7 M was one set's whole day, and at 2 M the
    table said buying costs $4.04 a day against renting's $2.78. Past one set's day a second set is bought:
    buying pays off only inside each set's day, or never."""
    from costs.economics import break_even_tokens_per_day

    on_demand = "&billed=generating"  # the break-even in tokens a day: renting billed while it generates
    for query in (
        f"{TWO_3090S}&condition=used&rent={H100_RUNPOD}{on_demand}",
        f"model=qwen3-32b&gpu=geforce-rtx-4090{on_demand}",
    ):
        context = client.get(f"/cost/?{query}").context
        owned, compare = context["owned"].cost, context["compare"].cost
        tokens = break_even_tokens_per_day(owned, compare)
        for day in (0.5, 0.99, 1.0, 1.5, 1.99, 2.5, 5, 10):
            volume = day * owned.capacity_tokens_per_day
            buying, renting = owned.usd_per_day(volume), compare.usd_per_day(volume)
            if tokens is None:
                assert buying >= renting, (query, day)
            elif volume <= owned.capacity_tokens_per_day:
                assert (buying < renting) == (volume > tokens), (query, day)


def test_the_table_marks_the_cheapest_option_and_says_how_many_sets_are_bought(client, costs):
    """The review: the highlighted row was the rental the break-even compares with, not the cheapest
    option, and "Buy 1× GeForce RTX 4090 ... $1,700" cost two sets a day."""
    response = client.get("/cost/?model=qwen3-32b&gpu=geforce-rtx-4090&tokens_per_day=2000000")
    rows = response.context["rows"]
    cheapest = min(rows, key=lambda r: r.usd_per_day)
    assert [r for r in rows if r.cheapest] == [cheapest]
    html = response.content.decode()
    assert re.search(
        r'<tr class="\w+ recommended"[^>]*>\s*<th scope="row">[^<]*<small data-testid="cheapest">', html
    )
    assert html.count(" recommended") == 1 and html.count('data-testid="compared"') == 1
    own = next(r for r in rows if r.kind == "own")
    assert own.name == "Buy 1× GeForce RTX 4090, 2 sets" and own.price == "$1,700 a set"


def test_the_verdict_names_the_cheapest_of_what_it_weighs_and_the_tab_follows(client, costs):
    html = client.get("/cost/?model=qwen3-32b&gpu=geforce-rtx-4090").content.decode()
    assert "is the cheapest of these." in html
    partial = client.get(
        "/cost/?model=qwen3-32b&gpu=geforce-rtx-3090&count=2", headers={"HX-Request": "true"}
    )
    assert (
        partial.content.decode()
        .lstrip()
        .startswith("<title>What a million tokens cost on 2× GeForce RTX 3090 – Will it run?</title>")
    )


def test_every_hourly_price_reads_one_way(client, costs):
    """A visitor review: "$2.4024/h" in one table, "1.7043 $/h" in the list of the other offers."""
    html = client.get(f"/cost/?{TWO_3090S}").content.decode()
    more = html[html.index("Every other cloud offer") :]
    assert "$/h" not in html and re.search(r": \$\d+(\.\d+)?/h, ", more)


def test_hourly_prices_read_in_cents(client, costs):
    """Review 10: "$27.44705/h", "$2.4024/h", "$1.7043/h": the catalog's digits, where the page's money
    elsewhere is in cents (`usd_text`)."""
    html = client.get(f"/cost/?{H100X4_20_USERS}&billed=generating").content.decode()
    hourly = re.findall(r"\$[\d,.]+/h", html)
    assert hourly and all(re.fullmatch(r"\$[\d,]+\.\d\d/h", h) for h in hourly), hourly


@pytest.mark.parametrize(
    ("written", "tokens"),
    [
        ("2M", 2_000_000),
        ("2 M", 2_000_000),
        ("1.5m", 1_500_000),
        ("750k", 750_000),
        ("750 K", 750_000),
        ("2,000,000", 2_000_000),
        ("2 000 000", 2_000_000),
        ("2000000", 2_000_000),
    ],
)
def test_tokens_a_day_read_as_the_page_writes_them(client, costs, written, tokens):
    """Review 10: the page says "2 M tokens a day" and the field answered "2M" with "Enter a whole number."; k
    here is 1,000 (a count of tokens, not a context's 1,024), and the form's help says so."""
    response = client.get(f"/cost/?{TWO_3090S}&{urlencode({'tokens_per_day': written})}")
    assert response.context["tokens"] == tokens
    assert f"tokens_per_day={tokens}" in response.context["permalink"]
    assert "k and M are 1,000 and 1,000,000 here" in response.content.decode()


@pytest.mark.parametrize("written", ["2MB", "1.2345k", "2G", "2,00"])
def test_tokens_a_day_written_otherwise_says_the_forms_it_takes(client, costs, written):
    response = client.get(f"/cost/?{TWO_3090S}&{urlencode({'tokens_per_day': written})}")
    assert response.context["form"].errors["tokens_per_day"] == [
        "Enter a number of tokens: 2000000, 2,000,000 or 2M."
    ]


def test_two_machines_are_priced_powered_and_named_as_two(client, costs):
    """A visitor review: the calculator's "Cost vs cloud" link carried hosts=2 (an RPC cluster of two machines
    with one 3090 each, 17.3 tok/s), and the page said "on 1× GeForce RTX 3090 ... $700 a set": half the
    hardware and power, on one card a 70B at Q4_K_M does not fit."""
    response = client.get(f"/cost/?{TWO_MACHINES}&condition=used")
    assert response.context["hardware"] == "2 machines × 1× GeForce RTX 3090"
    words = text(response)
    assert "Llama 3.3 70B Instruct at Q4_K_M on 2 machines × 1× GeForce RTX 3090, 8,192 tokens" in words
    owned = response.context["owned"]
    assert owned.cost.hardware_usd == 1400  # 2 × the used 3090's $700
    assert owned.cost.power_w == 700  # 2 × its 350 W board power
    assert "on 1× GeForce RTX 3090" not in words and "buying 1×" not in words
    # the speed is the calculator's for the same question: the cluster's
    result = client.get(f"/?{TWO_MACHINES}").context["result"]
    assert owned.tok_s == pytest.approx(result.recommended_plan.decode_tok_s_at_context)
    assert "Buy 2 machines × 1× GeForce RTX 3090" in words and "$1,400" in words


def test_two_machines_rent_two_instances_where_one_does_not_hold_it(client, costs):
    """One 24 GB instance does not hold the 70B; two of them, joined as the visitor's machines are, do: billed
    as two of the catalog's price, at the cluster's speed. An instance that holds it alone is rented alone."""
    rentals = client.get(f"/cost/?{TWO_MACHINES}").context["rentals"]
    by_slug = {r.price.slug: r for r in rentals}
    pair = next(r for r in rentals if r.price.gpu.slug == "geforce-rtx-3090")
    assert pair.instances == 2 and pair.cost is not None
    assert pair.name == f"2 instances of {label(pair.price)}"
    assert pair.hourly == f"2 × ${pair.price.usd_per_hour:.2f}/h"
    hourly = 2 * float(pair.price.usd_per_hour)
    assert pair.cost.usd_per_million == pytest.approx(hourly / (pair.tok_s * 3600) * 1e6)
    a6000 = next(r for r in by_slug.values() if r.price.gpu.slug == "rtx-a6000")
    assert a6000.instances == 1 and a6000.cost is not None  # 48 GB holds it alone
    one_machine = client.get(f"/cost/?{TWO_MACHINES.replace('&hosts=2', '&count=2')}").context["rentals"]
    assert all(r.instances == 1 for r in one_machine)  # one machine: one instance, as before


def test_sixteen_h100s_over_two_machines_are_rented_as_two_8x_instances(client, costs):
    """The review: DeepSeek-R1 at FP8 on two machines of 8× H100 was priced as 8 H100s at the 16 GPUs'
    speed, and "No cloud offer in the catalog runs this question" beside two 8× H100 instances that would."""
    response = client.get(
        "/cost/?model=deepseek-r1&gpu=h100-sxm5-80-gb&count=8&quant=fp8&runtime=vllm&hosts=2&condition=new"
    )
    words = text(response)
    owned = response.context["owned"]
    price = owned.prices[0].amount
    assert owned.cost.hardware_usd == float(16 * price)
    assert owned.power_w == 16 * Gpu.objects.get(slug="h100-sxm5-80-gb").tdp_w
    assert "No cloud offer" not in words
    lambda_8x = next(
        r for r in response.context["rentals"] if r.price.gpu_count == 8 and r.price.provider == "Lambda"
    )
    assert lambda_8x.instances == 2 and lambda_8x.tok_s == pytest.approx(owned.tok_s)
    assert "Rent 2 instances of 8× H100 SXM5 80 GB on Lambda" in words
    assert all(r.cost is None for r in response.context["rentals"] if r.price.gpu_count == 1)


def test_no_offer_of_as_many_instances_says_so(client, costs):
    CloudPrice.objects.filter(gpu_count__gt=1).delete()
    words = text(
        client.get("/cost/?model=deepseek-r1&gpu=h100-sxm5-80-gb&count=8&quant=fp8&runtime=vllm&hosts=2")
    )
    assert (
        "No cloud offer in the catalog runs this question, on one instance or 2 together: no break-even to "
        "compute." in words
    )
    assert (
        "1× H100 SXM5 80 GB on Lambda (1x H100 SXM): does not hold this question, alone or 2 together"
        in words
    )


H100X4_20_USERS = (
    "model=llama-3-1-70b-instruct&quant=fp8&gpu=h100-sxm5-80-gb&count=4&ctx=8192&batch=20&runtime=vllm"
)


def test_renting_is_billed_for_the_hours_kept_up_and_the_users_set_the_tokens_a_day(client, costs):
    """A visitor review: for 20 users on 4× H100 under vLLM the page said renting an 8× H100 node costs $7.18 a
    day, billed only while it generates, beside buying paid every day at 50%, and at the page's 2 M tokens a day
    where the question's rig makes 1,673 tok/s for its users (about 72 M in 12 hours)."""
    response = client.get(f"/cost/?{H100X4_20_USERS}")
    context = response.context
    owned, compare = context["owned"], context["compare"]
    per_user = context_tok_s(owned.plan, 20)  # with the whole 8,192 tokens cached
    assert context["tokens"] == pytest.approx(20 * per_user * 86_400 * 0.5, abs=1)
    assert owned.cost.sets_needed(context["tokens"]) == 1  # what one set makes, not a token more
    hourly = float(compare.price.usd_per_hour) * compare.instances
    assert compare.cost.usd_per_day(context["tokens"]) == pytest.approx(
        hourly * 12 * compare.cost.sets_needed(context["tokens"])
    )
    assert compare.cost.usd_per_day(1) == pytest.approx(hourly * 12)  # kept up, generating or not
    words = text(response)
    assert f"At {context['tokens_text']} tokens a day" in words and "$7.18" not in words
    assert (
        f"{format_rate(owned.tok_s)} tok/s for all users together on 4× H100 SXM5 80 GB (20 users) with each "
        "one's whole 8,192-token context cached, kept up 50% of the day (12 hours), bought or rented: "
        f"{context['tokens_text']} tokens a day, what your 20 users generate together, "
        f"{format_rate(per_user)} tok/s each, in those hours" in words
    )
    assert "A rented instance is billed for those hours, whether it generates or not" in words
    assert re.search(r"pays off when it is kept up more than [\d.]+ hours a day against renting", words)
    assert (
        f'placeholder="{context["tokens"]}"' in response.content.decode()
    )  # the field shows the tokens it assumed
    assert "tokens_per_day" not in context["permalink"]
    # billed while it generates, as before, when asked for; a number typed is kept
    on_demand = client.get(f"/cost/?{H100X4_20_USERS}&billed=generating").context
    assert on_demand["compare"].cost.usd_per_day(on_demand["tokens"]) < compare.cost.usd_per_day(
        context["tokens"]
    )
    typed = client.get(f"/cost/?{H100X4_20_USERS}&tokens_per_day=2000000").context
    assert typed["tokens"] == 2_000_000 and "tokens_per_day=2000000" in typed["permalink"]


ONE_USER_32K = (
    "model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=32768&kv=q8_0&condition=used"
)


def test_one_users_tokens_a_day_are_what_they_generate_at_the_full_context(client, costs):
    """Review 10 (#3): one user on 2× RTX 3090 at 32K was priced at the page's 2 M tokens a day, more than
    they generate, so "buying 2× GeForce RTX 3090 (3 sets: one makes 756 k a day)". The default is the
    user's decode with the whole context cached, for the hours it is kept up, stated on the page."""
    response = client.get(f"/cost/?{ONE_USER_32K}")
    context = response.context
    owned = context["owned"]
    per_user = context_tok_s(owned.plan, 1)
    assert per_user < owned.plan.decode_tok_s  # the full context is slower than the start of the answer
    assert context["tokens"] == pytest.approx(per_user * 86_400 * 0.5, abs=1)
    assert owned.cost.sets_needed(context["tokens"]) == 1
    words = text(response)
    assert "sets" not in context["verdict"] and "At 2 M tokens a day" not in words
    assert (
        f"{format_rate(per_user)} tok/s for all users together on 2× GeForce RTX 3090 (1 user) with the whole "
        f"32,768-token context cached, kept up 50% of the day (12 hours), bought or rented: "
        f"{context['tokens_text']} tokens a day, what your one user generates in those hours" in words
    )
    assert "tokens_per_day" not in context["permalink"]
    assert f'placeholder="{context["tokens"]}"' in response.content.decode()


def test_utilisation_is_a_percentage_and_older_links_fractions_still_read(client, costs):
    """The review: "share of the day" took 0.5 where people typed 50 and got "Enter at most 1."."""
    percent = client.get(f"/cost/?{TWO_3090S}&utilisation=75").context
    fraction = client.get(f"/cost/?{TWO_3090S}&utilisation=0.75").context
    assert percent["owned"].cost.utilisation == fraction["owned"].cost.utilisation == 0.75
    assert percent["permalink"] == fraction["permalink"] and "utilisation=75" in percent["permalink"]
    html = client.get(f"/cost/?{TWO_3090S}&utilisation=0.75").content.decode()
    assert 'name="utilisation" id="id_utilisation" step="any" min="1" max="100" value="75"' in html
    assert "Kept up and generating (% of the day)" in html
    one = client.get(f"/cost/?{TWO_3090S}&utilisation=0.01").context
    assert (
        one["owned"].cost.utilisation == 0.01 and "utilisation=0.01" in one["permalink"]
    )  # 1%, read back so


def test_every_price_reads_in_one_money_format(client, costs, settings):
    """The review: "Older than 180 days: 30,000.00 USD (new, US)" beside "$30,000" in the table."""
    settings.COSTS_PRICE_MAX_AGE_DAYS = 180
    response = client.get(f"/cost/?{H100X4_20_USERS}")
    words = text(response)
    assert "30,000.00 USD" not in words and "$30,000 (new, US)" in words
    html = response.content.decode()
    days = re.findall(r'<td data-label="A day">([^<]*)</td>', html)
    assert days and all(re.fullmatch(r"\$[\d,]+(\.\d\d)?|<\$0\.01", d) for d in days)
    assert not any(d.endswith(".00") and len(d) > 7 for d in days)  # "$224", not "$224.00"


def test_electricity_is_counted_for_the_hours_the_tokens_take(client, costs):
    """A visitor review (F7): 712 k tokens a day made at 16.5 tok/s (the full context's speed) in 12 hours,
    but electricity billed for 712,800 ÷ 17.5 tok/s (the start's) = 11.3 hours: $2.47 a day where the line's
    own numbers give $2.54. One speed, the one the tokens are made at, for both."""
    context = client.get(
        "/cost/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"
    ).context
    owned, tokens = context["owned"], context["tokens"]
    assert owned.tok_s == pytest.approx(context_tok_s(owned.plan, 1)) == context["user_tok_s"]
    assert tokens / (owned.tok_s * 3600) == pytest.approx(12, abs=1e-3)  # the hours kept up, no fewer
    hardware_a_day = owned.cost.hardware_usd / (3 * 365)
    electricity = 0.7 * 12 * 0.15  # 2 × 350 W for 12 hours at $0.15 per kWh
    assert owned.cost.usd_per_day(tokens) == pytest.approx(hardware_a_day + electricity, abs=1e-3)
    own_row = next(r for r in context["rows"] if r.kind == "own")
    assert own_row.tok_s == owned.tok_s  # the table's speed is the one priced


H100X8_50_USERS = (
    "model=llama-3-3-70b-instruct&quant=fp8&gpu=h100-sxm5-80-gb&count=8&ctx=8192&batch=50&runtime=vllm"
)


def test_speeds_read_as_the_calculator_writes_them_and_api_prices_to_the_cent(client, costs):
    """A visitor review (F13): "5728.8 tok/s", "4229.6 tok/s each" where the calculator writes "5,729 tok/s"
    (`format_rate`), and "$0.7 in, $2.8 out per M" beside "$0.59 in, $0.79 out"."""
    response = client.get(f"/cost/?{H100X8_50_USERS}")
    owned, html, words = response.context["owned"], response.content.decode(), text(response)
    assert f"{format_rate(owned.tok_s)} tok/s for all users together" in words and owned.tok_s >= 1000
    speeds = re.findall(r'<td data-label="Decode, full context">([^<]*)</td>', html)
    assert speeds and all(
        re.fullmatch(r"(\d{1,3}(,\d{3})*|\d+\.\d{1,2}) tok/s( each| a set)?|–", s) for s in speeds
    )
    prices = re.findall(r'<td data-label="Price">([^<]*per M)</td>', html)
    assert prices and all(re.fullmatch(r"\$\d+\.\d\d+ in, \$\d+\.\d\d+ out per M", p) for p in prices)


@pytest.mark.parametrize(
    ("published", "shown"), [("0.7", "$0.70"), ("2.80000", "$2.80"), ("0.59", "$0.59"), ("0.075", "$0.075")]
)
def test_an_api_price_is_shown_to_the_cent_and_no_digit_published_is_lost(published, shown):
    assert dollars(Decimal(published)) == shown


@pytest.mark.parametrize(
    ("provider", "offer", "said"),
    [
        ("RunPod", "Community Cloud", "1× RTX A6000 on RunPod (Community Cloud)"),
        ("OpenRelay", "", "1× RTX A6000 on OpenRelay"),
        (
            "Verda (formerly DataCrunch)",
            "On-demand instance (1x GPU)",
            "1× RTX A6000 on Verda (formerly DataCrunch; on-demand instance, 1x GPU)",
        ),
    ],
)
def test_a_rentals_name_nests_no_brackets(provider, offer, said):
    """The last review: "Verda (formerly DataCrunch) (On-demand instance (1x GPU))", brackets in brackets."""
    rental = CloudPrice(provider=provider, offer=offer, gpu=Gpu(name="RTX A6000"), gpu_count=1)
    assert label(rental) == said


def test_a_rental_names_every_instance_it_bills_and_the_break_even_gives_the_same_figure(client, costs):
    """Review 10 (#2): "renting 1× RTX A6000 … costs $39.36 a day" at $0.82/h (four instances, unsaid), and the
    next sentence "renting costs $9.84 a day" (one). Every row bills what it names; the break-even sentence
    weighs one instance and repeats the verdict's figure for the instances the tokens take."""
    response = client.get(f"/cost/?{ONE_USER_32K}&tokens_per_day=2M")
    context = response.context
    rent_rows = [r for r in context["rows"] if r.kind == "rent"]
    for row in rent_rows:
        named = re.match(r"Rent (?:(\d+) instances of )?1× ", row.name)
        count = int(named[1] or 1)
        each = float(re.search(r"\$([\d.]+)/h", row.price)[1])
        assert row.price == (f"{count} × ${each:.2f}/h" if count > 1 else f"${each:.2f}/h")
        assert row.usd_per_day == pytest.approx(count * each * 12, abs=0.01 * count * 12), row.name
    compare = context["compare"]
    assert compare.count > 1  # 2 M a day takes several of the cheapest instance
    words = text(response)
    assert f"renting {compare.count} instances of {label(compare.price)} costs" in context["verdict"]
    day = re.search(r"renting [^$]+ costs (\$[\d,.]+) a day", context["verdict"])[1]
    assert f"take {compare.count} instances of {label(compare.price)}, {day} a day, as above" in words
    assert f"against renting {label(compare.price)} at ${float(compare.price.usd_per_hour):.2f}/h" in words
    assert f"{compare.count} × ${float(compare.price.usd_per_hour):.2f}/h" in words


@pytest.mark.parametrize(
    ("billed", "rented"),
    [
        (
            "",
            "4 instances at your 2 M tokens a day, one more every {capacity}",
        ),  # kept up: a step an instance (553 k each at the full context)
        (
            "generating",
            "2 instances at your 2 M tokens a day, billed only while they generate",
        ),  # a straight line
    ],
)
def test_the_charts_legend_says_how_many_sets_and_instances_its_lines_draw(client, costs, billed, rented):
    """Review 10: the chart's legend read "Rent 1× RTX A6000 on Verda …" beside a line that bills four instances
    at the visitor's 2 M tokens a day, and "Buy 2× GeForce RTX 3090" beside three sets: a line names how many it
    draws at those tokens a day, and what each of its steps adds."""
    response = client.get(f"/cost/?{ONE_USER_32K}&tokens_per_day=2M&billed={billed}")
    context = response.context
    owned, compare = context["owned"], context["compare"]
    assert owned.cost.sets_needed(2_000_000) == 4  # 666 k a set at the full context's 15.4 tok/s
    capacity = getattr(compare.cost, "capacity_tokens_per_day", 0)
    assert [s.label for s in context["chart"].series] == [
        f"Buy 2× GeForce RTX 3090: 4 sets at your 2 M tokens a day, one more every "
        f"{tokens_text(owned.cost.capacity_tokens_per_day)}",
        f"Rent {label(compare.price)}: {rented.format(capacity=tokens_text(capacity))}",
        "API: Groq",
    ]
    assert "</span>Buy 2× GeForce RTX 3090: 4 sets at your 2 M tokens a day" in response.content.decode()


def test_a_line_with_no_step_on_the_chart_names_what_it_prices_alone(client, costs):
    """Where a set makes more than the chart reaches, the legend names the hardware and nothing more."""
    context = client.get(f"/cost/?{TWO_3090S}&tokens_per_day=200000&condition=used&billed=generating").context
    assert context["chart"].series[0].label == "Buy 2× GeForce RTX 3090"


def test_past_eight_instances_a_rental_is_too_slow_for_the_volume_not_a_priced_fleet(client, costs):
    """Review 10 (#2): 20 users' 72 M tokens a day "Rent 1× A100 PCIe 80 GB on RunPod … $1.19/h … $1,257"
    a day: about 88 instances, priced without a word."""
    from costs.costing import MOST_INSTANCES

    response = client.get(f"/cost/?{H100X4_20_USERS}")
    context = response.context
    assert all(r.count <= MOST_INSTANCES for r in context["rentals"] if r.priced)
    assert all(r.count <= MOST_INSTANCES for r in context["more_rentals"])
    assert context["compare"].count <= MOST_INSTANCES
    rows = [r for r in context["rows"] if r.kind == "rent"]
    assert rows and not any("A100 PCIe" in r.name for r in rows)
    words = text(response)
    assert re.search(
        rf"1× A100 PCIe 80 GB on RunPod \(Community Cloud\): too slow for {context['tokens_text']} tokens a "
        rf"day \([\d.]+ tok/s; it would take \d+ instances, and this page prices at most 8\)",
        words,
    )


def test_a_rental_picked_too_slow_for_the_volume_is_said_and_the_cheapest_that_is_fast_enough_used(
    client, costs
):
    """Review 10: a rental picked in "Compare with renting" that is too slow for the tokens a day asked was
    swapped for another without a word. The page says which was asked, why it is not priced, and what it
    compares with instead; the menu keeps the visitor's pick."""
    slow = CloudPrice.objects.get(provider="RunPod", offer="Community Cloud", gpu__slug="a100-pcie-80-gb")
    response = client.get(f"/cost/?{H100X4_20_USERS}&rent={slow.slug}")
    context = response.context
    compare = context["compare"]
    assert compare.price.slug != slow.slug and compare.priced
    picked = next(r for r in context["rentals"] if r.price == slow)
    said = " ".join(
        re.search(r'data-testid="rent-swapped">(.*?)</p>', response.content.decode(), re.S)[1].split()
    )
    assert said == (
        f"You asked to compare with renting {label(slow)}: too slow for {context['tokens_text']} tokens a day "
        f"({picked.tok_s:.1f} tok/s; it would take {picked.count} instances, and this page prices at most 8). "
        f"Compared with renting {compare.name} instead, the cheapest offer that makes them."
    )
    assert f'<option value="{slow.slug}" selected>' in response.content.decode()
    # the cheapest offer, asked for, or nothing asked: no such note
    for rent in (compare.price.slug, ""):
        assert "rent-swapped" not in client.get(f"/cost/?{H100X4_20_USERS}&rent={rent}").content.decode()


def test_a_rental_picked_that_does_not_hold_the_question_is_said(client, costs):
    one = CloudPrice.objects.filter(gpu__slug="h100-sxm5-80-gb", gpu_count=1).first()
    response = client.get(
        f"/cost/?model=deepseek-r1&gpu=h100-sxm5-80-gb&count=8&quant=fp8&runtime=vllm&hosts=2&rent={one.slug}"
    )
    words = text(response)
    compare = response.context["compare"]
    assert (
        f"You asked to compare with renting {label(one)}: does not hold this question, alone or 2 together. "
        f"Compared with renting {compare.name} instead, the cheapest offer that runs it." in words
    )


def test_no_offer_fast_enough_says_so_rather_than_none_runs_it(client, costs):
    CloudPrice.objects.filter(gpu_count__gt=1).delete()
    words = text(client.get(f"/cost/?{H100X4_20_USERS}"))
    assert re.search(
        r"No cloud offer in the catalog makes [\d.]+ M tokens a day on 8 instances or fewer \(\d+ run it, too "
        r"slowly\): no break-even to compute\.",
        words,
    )
