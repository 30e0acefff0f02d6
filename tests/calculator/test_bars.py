"""The memory bars of a result: their figures agree with the verdict's, the headroom said in words."""

import html as markup
import re

import pytest

pytestmark = pytest.mark.django_db

TWO_3090S = "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2"


def legends(html: str) -> list[str]:
    """Each device bar's legend, as text."""
    found = re.findall(r'<ul class="legend">(.*?)</ul>', html, re.S)
    return [markup.unescape(re.sub(r"<[^>]+>", "", f)) for f in found]


def test_a_device_that_does_not_fit_is_short_by_the_verdicts_figure(client, catalog):
    """The review of the result page: the bars said "free −1.4 GiB" beside a verdict of "2.4 GiB short",
    and nothing on the page said the 1 GiB between them is the headroom kept free."""
    response = client.get(f"{TWO_3090S}&ctx=32768")
    html = response.content.decode()
    short = re.search(r"([\d.]+ GiB) short in the closest plan", response.context["verdict"].headroom).group(
        1
    )
    tightest = max(legends(html), key=lambda t: float(re.search(r"([\d.]+) GiB short", t).group(1)))
    assert f"{short} short with the 1.0 GiB headroom" in tightest
    assert not [t for t in legends(html) if re.search(r"free [-−]", t)]
    assert html.count('data-testid="device-short"') == 2
    assert html.count('href="/glossary/headroom/">headroom</a>') >= 2


def test_a_device_that_fits_says_how_much_of_its_free_memory_is_headroom(client, catalog):
    html = client.get(f"{TWO_3090S}&ctx=8192").content.decode()
    for legend in legends(html):
        assert re.search(r"free [\d.]+ GiB, 1\.0 GiB of it headroom", legend), legend


def test_the_ram_row_leaves_out_what_it_holds_none_of(client, catalog):
    """It read "KV cache 0 KiB · Compute … · Overhead 0 KiB" under a partial offload."""
    response = client.get("/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ram_gb=64")
    ram = next(bar for bar in response.context["bars"] if bar["device"].kind == "host")
    assert ram["segments"] and all(s.size != "0 B" and not s.size.startswith("0 ") for s in ram["segments"])
    held = {s.label for s in ram["segments"]}
    assert "Weights" in held and "Overhead" not in held  # no runtime context counted in RAM
    assert not [
        legend for legend in legends(response.content.decode()) if re.search(r"\b0 (B|KiB)\b", legend)
    ]


def test_a_macs_bar_says_its_capacity_is_what_macos_lets_the_gpu_use(client, catalog):
    """The review: a 48 GB Mac showed "of 36.0 GiB used" and nothing said why 36."""
    html = client.get("/?model=qwen3-30b-a3b&quant=q4_k_m&gpu=apple-m4-max-48gb").content.decode()
    caption = markup.unescape(
        re.sub(r"<[^>]+>", "", re.search(r"<figcaption>(.*?)</figcaption>", html).group(1))
    )
    assert re.search(r"GiB of the 36\.0 GiB macOS lets the GPU use$", caption), caption
    assert '<a href="/glossary/unified-memory/">macOS lets the GPU use</a>' in html
    rtx = client.get(TWO_3090S).content.decode()
    assert "macOS" not in re.search(r"<figcaption>(.*?)</figcaption>", rtx).group(1)


def test_identical_devices_share_one_bar(client, catalog):
    """Eight tensor-parallel ranks that hold the same bytes were eight identical bars (a phone scrolled a screen
    and a half past them): one bar, named for all of them, "each"; a layer split's unequal cards keep theirs."""
    tp = client.get(
        "/?model=deepseek-v3-1&quant=fp8&gpu=radeon-instinct-mi300x&count=8&runtime=sglang"
    ).content.decode()
    captions = re.findall(r'data-testid="device-bar">\s*<figcaption>(.*?)</figcaption>', tp)
    assert len(captions) == 1
    assert re.match(
        r"<strong>8 × Radeon Instinct MI300X \(ranks \d–\d\), each</strong> · 61 layers", captions[0]
    )
    split = client.get("/?model=llama-3-1-70b-instruct&gpu=geforce-rtx-3090&count=2").content.decode()
    assert len(re.findall(r'data-testid="device-bar"', split)) == 2
