"""Where each token's time goes: the shown plan's decode step drawn as one bar, its parts in the legend with their
glossary pages, and what bounds the speed; the same in the page and in the partial HTMX swaps."""

import html as markup
import re

import pytest

from calculator.step_time import step_bar
from estimator.units import format_ms

pytestmark = pytest.mark.django_db

TWO_3090S = "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"
OFFLOAD = "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ram_gb=64&ctx=8192"


def step_legend(html: str) -> str:
    found = re.search(r'<ul class="legend" data-testid="step-legend">(.*?)</ul>', html, re.S)
    assert found, "no step bar"
    return markup.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}])
def test_the_bar_adds_up_to_the_speed_the_page_shows(client, catalog, headers):
    response = client.get(TWO_3090S, headers=headers)
    html = response.content.decode()
    plan = response.context["shown_plan"]
    step = 1 / plan.decode_tok_s
    assert f"Where each token's <strong>{format_ms(step)}</strong> go" in html
    legend = step_legend(html)
    for name, seconds in plan.decode_step_s.items():
        assert format_ms(seconds) in legend, name
    assert "Weights" in legend and "KV cache" in legend and "Launches and synchronisation" in legend
    assert 'href="/glossary/memory-bandwidth/">Weights</a>' in html
    assert re.search(r'data-testid="step-lever">Memory bandwidth bounds this speed', html)


def test_the_decode_explanation_adds_the_same_parts(client, catalog):
    response = client.get(TWO_3090S)
    plan = response.context["shown_plan"]
    explained = plan.explanations["decode_tok_s"].substituted
    assert explained.startswith("1 ÷ (weights ")
    assert f"= 1 ÷ {format_ms(1 / plan.decode_tok_s)} = " in explained


def test_an_offloaded_step_names_the_weights_in_system_ram_as_its_bound(client, catalog):
    response = client.get(OFFLOAD)
    html = response.content.decode()
    assert response.context["shown_plan"].strategy == "cpu_offload"
    assert "Weights in system RAM" in step_legend(html)
    assert 'href="/glossary/cpu-offload/">Weights in system RAM</a>' in html
    assert re.search(r'data-testid="step-lever">The weights in system RAM bound this speed', html)


def test_a_step_of_fixed_costs_says_a_larger_format_costs_little(client, catalog):
    """Qwen3.5 35B-A3B on an Arc Pro B70: Intel's Vulkan MoE layers cost more than their reads."""
    response = client.get("/?model=qwen3-5-35b-a3b&quant=q4_k_m&gpu=arc-pro-b70&ctx=32768")
    parts = response.context["shown_plan"].decode_step_s
    assert max(parts, key=parts.get) == "fixed"
    assert re.search(
        r'data-testid="step-lever">Each layer&#x27;s fixed costs \(kernel launches, synchronisation\) bound this speed',
        response.content.decode(),
    )


def test_compare_shows_where_each_columns_time_goes(client, catalog):
    """Two cards side by side: each column's step, so the visitor sees why one is faster."""
    html = client.get(
        "/compare/",
        {
            "q": [
                "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090",
                "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090",
            ]
        },
    ).content.decode()
    assert html.count('data-testid="step-bar"') == 2
    assert html.count('data-testid="step-legend"') == 2


def test_every_part_the_engine_names_has_a_colour_and_a_glossary_page(client, catalog):
    """A part the engine adds (`estimator.timing.STEP_PARTS`) needs its look here before any plan draws it."""
    from django.conf import settings

    from calculator.step_time import LOOKS
    from estimator.timing import STEP_PARTS

    assert set(LOOKS) == set(STEP_PARTS)
    css = (settings.BASE_DIR / "static" / "css" / "site.css").read_text()
    for look in LOOKS.values():
        assert client.get(f"/glossary/{look.term}/").status_code == 200
        assert f".{look.css}{{--c:" in css


def test_a_part_that_reads_zero_is_left_out_and_the_total_is_the_whole_step(client, catalog):
    """A visitor review: "The runtime's host work 0.00 ms (under 1%)", a float residue of the step's sum
    (7e-18 s) listed as a part; and a part that reads "0.00 ms" is nothing to list."""
    url = "/?model=qwen3-30b-a3b&gpu=geforce-rtx-3060-12-gb&ram_gb=32&ctx=65536&kv=q8_0"
    response = client.get(url)
    plan = response.context["shown_plan"]
    legend = step_legend(response.content.decode())
    assert "0.00 ms" not in legend and "host work" not in legend
    assert "Hand-offs 0.60 ms" in " ".join(legend.split())
    step = response.context["step"]
    assert step.total == format_ms(sum(plan.decode_step_s.values()))
    assert len(step.parts) == len(plan.decode_step_s)  # the engine leaves the residue out (tests/engine)
    tiny = plan.model_copy(update={"decode_step_s": {"weights": 0.004, "kv_cache": 0.001, "runtime": 4e-6}})
    bar = step_bar(tiny)
    assert [p.ms for p in bar.parts] == ["4.0 ms", "1.0 ms"] and bar.total == "5.0 ms"
    assert [p.share for p in bar.parts] == ["80%", "20%"]
