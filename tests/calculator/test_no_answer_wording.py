"""A "No" says each thing once and says how good each way out is (a visitor review of a 70B on one RTX 5090,
and of gpt-oss-20b's CPU offload on an RTX 3060)."""

import html
import re

import pytest

pytestmark = pytest.mark.django_db

NO_ON_5090 = "/?model=llama-3-3-70b-instruct&gpu=geforce-rtx-5090"


def test_a_no_gives_its_first_fix_and_its_shortfall_once(client, catalog):
    page = html.unescape(client.get(NO_ON_5090).content.decode())
    first = re.search(r'data-testid="first-fix">(.*?)</p>', page).group(1)
    # the format that fits, with what it costs ("Q2_K fits: the largest format that does." said neither)
    assert "<strong>To make it fit:</strong>" in first
    assert "Q2_K fits, the largest format that does; its quality drops." in first
    headroom = re.search(r'<p class="headroom">(.*?)</p>', page).group(1)
    assert headroom.count("GiB more") == 1 and "short in the closest plan" not in headroom


def test_the_ram_that_makes_offloading_fit_says_which_plan_and_how_fast(client, catalog):
    """ "With 32 GB of system RAM, offloading would fit." said neither the plan nor its ~3 tok/s."""
    answer = client.get("/api/v1/estimate", {"model": "llama-3-3-70b-instruct", "gpu": "geforce-rtx-5090"})
    [offload] = [s for s in answer.json()["suggestions"] if s["kind"] == "offload"]
    assert re.fullmatch(r"With 32 GB of system RAM, CPU offload would fit: [\d.]+ tok/s\.", offload["text"])
    assert offload["changes"] == {"ram_gb": 32}


def test_layers_in_ram_say_their_share_of_the_time_not_that_they_dominate(client, catalog):
    """ "8% of the layers run from system RAM ...; they dominate each token's time" where they took 24%."""
    answer = client.get(
        "/api/v1/estimate", {"model": "gpt-oss-20b", "gpu": "geforce-rtx-3060-12-gb", "ram_gb": "32"}
    ).json()
    [cpu] = [p for p in answer["plans"] if p["strategy"] == "cpu_offload"]
    [said] = [w for w in cpu["warnings"] if "of the layers run from system RAM" in w]
    share = int(re.search(r": (\d+)% of each token's time\.$", said).group(1))
    assert 5 < share < 60 and "dominate" not in said
