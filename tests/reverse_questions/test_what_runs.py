"""What runs on my hardware: the system RAM's type prices the offload rows."""

import html as markup
import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_ram_type_prices_the_offload_rows_and_follows_into_the_calculator(client, catalog):
    """The review: what-runs assumed dual-channel DDR5 for every offload row (gpt-oss-120b on a 3090 and 64 GB:
    "Runs great, 32 tok/s"), where a used 3090's PC is often DDR4-3200, with no way to say so."""
    base = "/what-runs/?gpu=geforce-rtx-3090&count=1&ctx=65536&ram_gb=64"

    def row(html: str) -> str:
        return re.search(r'data-model="gpt-oss-120b">(.*?)</tr>', html, re.S).group(1)

    def decode(html: str) -> float:
        return float(re.search(r'data-testid="decode">([\d.]+)', row(html)).group(1))

    ddr5, ddr4 = (
        client.get(base).content.decode(),
        client.get(base + "&ram_preset=ddr4-3200-2ch").content.decode(),
    )
    assert 'option value="ddr4-3200-2ch"' in ddr5
    assert decode(ddr4) < 0.8 * decode(ddr5)
    link = markup.unescape(re.search(r'href="(/\?model=gpt-oss-120b[^"]*)"', row(ddr4)).group(1))
    assert link.endswith("&ram_gb=64&ram_preset=ddr4-3200-2ch")
    answer = client.get(link.replace("/?", "/api/v1/estimate?")).json()
    shown = next(p for p in answer["plans"] if p["strategy"] == answer["recommended"])
    assert round(shown["decode_tok_s"], 1) == decode(ddr4)
    refused = client.get(base + "&ram_preset=ddr6").content.decode()
    assert "Unknown RAM preset “ddr6”" in refused
