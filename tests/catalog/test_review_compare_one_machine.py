"""/gpus/compare/ links "all of them together" to the calculator only when the GPUs can be one machine."""

import html
import re

import pytest

pytestmark = pytest.mark.django_db

TOGETHER = "Llama 3.1 8B at Q4_K_M on all of them together"


def together_link(page: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)">{TOGETHER}</a>', page)
    return html.unescape(found.group(1)) if found else None


def test_a_mac_among_the_compared_gpus_gets_no_together_link_and_says_why(client, catalog):
    gpus = ["geforce-rtx-4090", "radeon-rx-7900-xtx", "apple-m4-max-128gb"]
    page = client.get("/gpus/compare/", {"gpu": gpus}).text
    assert together_link(page) is None
    assert (
        "per GPU, as the Apple M4 Max (40-core GPU) 128 GB is a whole computer that takes no other GPU:"
        in page
    )
    assert len(re.findall(r'<a href="/gpus/[^"]+/">what runs on ', page)) == 3  # the per-GPU links stay
    # the question the link used to ask is one the calculator refuses
    query = "".join(f"&gpu={g}" for g in gpus)
    refused = client.get(f"/?model=llama-3-1-8b-instruct&quant=q4_k_m{query}&ctx=8192").text
    assert "An Apple silicon Mac takes no other GPU" in refused


def test_cards_alone_keep_the_together_link_and_the_calculator_answers_it(client, catalog):
    page = client.get("/gpus/compare/", {"gpu": ["geforce-rtx-4090", "radeon-rx-7900-xtx"]}).text
    href = together_link(page)
    assert (
        href
        == "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&gpu=radeon-rx-7900-xtx&ctx=8192"
    )
    assert "whole computer" not in page
    assert client.get(href).context["verdict"].fits


def test_a_strix_halo_beside_a_card_keeps_the_link_the_calculator_answers(client, catalog):
    """The third review: the compare page used unified memory as its rule where the calculator refuses only a
    Mac beside another device: a Strix Halo and a 7900 XTX lost a link to a question the calculator answers."""
    page = client.get("/gpus/compare/", {"gpu": ["amd-ryzen-ai-max-395-128gb", "radeon-rx-7900-xtx"]}).text
    href = together_link(page)
    assert href is not None and "whole computer" not in page
    answer = client.get(href)
    assert (
        answer.status_code == 200
        and 'data-testid="verdict">Yes: fits on 1× AMD Ryzen AI Max+ 395' in answer.text
    )
