"""The result shows published measurements of the question itself, or else the nearest published one
with this site's estimate for it, so the visitor can see how far off the engine was nearby."""

import datetime
import math
import re


def test_an_unmeasured_question_shows_the_nearest_measurement_and_its_estimate(client, catalog):
    text = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=8192").text
    near = re.search(r'data-testid="nearest-measured">(.*?)</span>', text, re.S).group(1)
    # the same card and format, the nearest bytes a token reads (not Ministral 3 3B, measured on it too)
    assert "Qwen3.5 9B Q4_K_M on this card" in near
    # a visitor review: under a 405B answer, a 9B on one card read as the answer's own measurement
    assert near.startswith("nearest measured (another model, to show how close our estimates run here): ")
    assert 'href="https://pavlokhmel.com/' in near
    assert re.search(r"; ours [\d.]+ \([+−]\d+%\)", near)
    assert 'data-testid="measured-decode"' not in text


def test_a_measured_question_shows_its_own_measurements_not_a_neighbour(client, catalog):
    text = client.get("/?model=llama-2-7b&quant=q4_0&gpu=geforce-rtx-4090&ctx=4096").text
    assert 'data-testid="measured-decode"' in text
    assert 'data-testid="nearest-measured"' not in text


def test_an_unmeasured_card_names_the_measured_card_nearest_it(client, catalog):
    text = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4070-ti-super").text
    assert re.search(r"nearest measured: [^<]+ on an? [^<]+, <a href=", text)  # another card: named


def test_on_another_card_a_model_of_the_same_kind_comes_before_the_nearest_bandwidth(client, catalog):
    """The review: Qwen3-30B-A3B on an RTX 4060 Ti 16 GB quoted Ministral 3 3B on a GTX 1080 (the card of
    the nearest bandwidth) when cards of like bandwidth had mixture-of-experts rows."""
    from catalog.measurements import NEAR_BANDWIDTH, _decode_rows
    from catalog.models import Gpu, Measurement

    card = Gpu.objects.get(slug="geforce-rtx-4060-ti-16-gb")
    # a mixture of experts measured on a card of like bandwidth (an RTX 3060, 360 GB/s to its 288)
    row = Measurement.objects.filter(llm__slug="gpt-oss-20b", metric="decode_tok_s", backend="cuda").first()
    row.pk, row.slug, row.gpu = (
        None,
        "gpt-oss-20b-on-a-3060-for-this-test",
        Gpu.objects.get(slug="geforce-rtx-3060-12-gb"),
    )
    row.save()
    alike = [
        r
        for r in _decode_rows()
        if r.vendor == card.vendor
        and not r.unified_memory
        and abs(math.log(r.bandwidth_gb_s / card.bandwidth_gb_s)) <= math.log(NEAR_BANDWIDTH)
    ]
    moe = {f"{r.llm} {r.quant} on " for r in alike if r.moe}
    assert moe and any(not r.moe for r in alike)  # both kinds measured on cards of like bandwidth
    url = "/?model=qwen3-30b-a3b&quant=q4_k_m&gpu=geforce-rtx-4060-ti-16-gb&ram_gb=64&ctx=32768"
    near = re.search(r'data-testid="nearest-measured">(.*?)</span>', client.get(url).text, re.S).group(1)
    assert any(near.split(": ", 1)[1].startswith(m) for m in moe), near


def test_vllm_gets_no_llama_cpp_neighbour(client, catalog):
    url = "/?model=llama-3-1-8b-instruct&quant=bf16&gpu=geforce-rtx-4090&runtime=vllm&ctx=8192"
    assert 'data-testid="nearest-measured"' not in client.get(url).text


def test_a_measurement_says_when_it_was_taken(client, catalog):
    """A row of an old build can be far from today's runtime: the visitor sees its month beside it."""
    from catalog.models import Measurement

    for m in Measurement.objects.filter(gpu__slug="geforce-rtx-4090"):
        m.date = datetime.date(2023, 12, 7)
        m.save()
    text = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=8192").text
    near = re.search(r'data-testid="nearest-measured">(.*?)</span>', text, re.S).group(1)
    assert re.search(r"\(CUDA, tg\d*, Dec 2023\)", near)
    text = client.get("/?model=llama-2-7b&quant=q4_0&gpu=geforce-rtx-4090&ctx=4096").text
    measured = re.search(r'data-testid="measured-decode">(.*?)</span>', text, re.S).group(1)
    assert re.search(r"llama-bench tg128, Dec 2023\)", measured)


def test_two_cards_show_a_measured_split_over_two_of_them(client, catalog):
    """70B on two RTX 3090s: the nearest row is a published layer split over two 3090s, not one card's 7B."""
    text = client.get(
        "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"
    ).text
    near = re.search(r'data-testid="nearest-measured">(.*?)</span>', text, re.S).group(1)
    assert re.search(r"Llama 3 70B[^<]* Q4_K_M on 2 of these cards, <a href=", near)
    assert re.search(r"\(CUDA, layer split, tg\d+", near)


def test_the_nearest_row_is_on_the_answers_backend_and_a_mixed_rig_names_its_card(client, catalog):
    """The review: two RX 7900 XTX answered on ROCm quoted a Vulkan run on two of them (+25%), and a 3090 beside an
    XTX quoted a 3090 run "on 2 of these cards"."""
    xtx = client.get(
        "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=radeon-rx-7900-xtx&count=2&ctx=8192"
    ).text
    near = re.search(r'data-testid="nearest-measured">(.*?)</span>', xtx, re.S).group(1)
    assert "(ROCm," in near and "Vulkan" not in near
    mixed = client.get(
        "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=1&gpu=radeon-rx-7900-xtx&count=1"
    ).text
    near = re.search(r'data-testid="nearest-measured">(.*?)</span>', mixed, re.S).group(1)
    assert "these cards" not in near and "this card" not in near and "GeForce RTX 3090" in near


def test_an_estimate_within_half_a_percent_has_no_sign():
    """A visitor review: "ours 189.5 (−0%)"."""
    from calculator.templatetags.calculator import signed_percent

    assert [signed_percent(v) for v in (-0.003, 0.004, 0.042, -0.11, None)] == [
        "0%",
        "0%",
        "+4%",
        "−11%",
        "–",
    ]
