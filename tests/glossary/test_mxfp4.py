"""The MXFP4 page says the widths its worked example computes with (it said 16 bits for gpt-oss's
non-expert tensors while the example multiplied them by 8.5)."""

import html
import re

import pytest

from catalog.models import Quantization

pytestmark = pytest.mark.django_db


def test_the_mxfp4_page_states_the_widths_its_worked_example_uses(client, catalog):
    widths = Quantization.objects.get(slug="mxfp4").widths()
    rest, experts = widths["bits_per_weight"], widths["expert_bits_per_weight"]
    page = html.unescape(re.sub(r"<[^>]+>", " ", client.get("/glossary/mxfp4/").content.decode()))
    prose, example = page.split("Worked example", 1)
    prose = " ".join(prose.split())
    assert (
        f"routed experts at {experts:g} bits per weight and the rest of gpt-oss at Q8_0's {rest:g} bits"
        in prose
    )
    assert f"(routed experts) × {experts:g}" in example and f"(the rest) × {rest:g}" in example
    assert "non-expert tensors of gpt-oss at 16 bits" not in prose
