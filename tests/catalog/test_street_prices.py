"""Street prices beside launch prices: dated, sourced sightings of what a GPU or machine costs new or used,
which the newest-first `current_price()` (and so "cheapest", cost per tok/s and the cost table) reads."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.models import Gpu

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = json.loads((ROOT / "fixtures/sources/gpu_launch_prices.json").read_text(encoding="utf-8"))["devices"]
LISTED = [g["slug"] for g in json.loads((ROOT / "fixtures/catalog/gpus.json").read_text()) if g["listed"]]
PRICES = json.loads((ROOT / "fixtures/catalog/prices.json").read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_a_used_3090_costs_what_its_newest_sighting_says_and_its_launch_price_stays(catalog):
    rtx3090 = Gpu.objects.get(slug="geforce-rtx-3090")
    used = rtx3090.current_price()
    assert (used.condition, used.amount, used.date) == ("used", Decimal("750.00"), datetime.date(2026, 5, 16))
    assert used.source_url == "https://bestllmfor.com/best/dual-rtx-3090-budget-rig/"
    assert rtx3090.prices.get(condition="new").amount == Decimal("1499.00")


@pytest.mark.django_db
def test_a_price_in_another_currency_does_not_enter_the_dollar_tables(catalog):
    mac = Gpu.objects.get(slug="apple-m4-max-128gb")
    assert mac.current_price() is None  # no US price published for this configuration
    assert (mac.current_price("EUR").amount, mac.current_price("EUR").region) == (Decimal("4674.00"), "IT")


def test_every_listed_device_has_a_price_or_a_note_saying_none_is_published():
    priced = {p["gpu"] for p in PRICES if p["currency"] == "USD"}
    for slug in LISTED:
        if slug not in priced:
            assert LAUNCH[slug]["price_usd"] is None and LAUNCH[slug]["note"], slug


def test_datacenter_launch_prices_are_labelled_as_hugging_faces_figures_not_the_vendors():
    for slug in ("l40s", "a100-sxm4-80-gb", "h100-sxm5-80-gb", "h200-sxm-141-gb", "radeon-instinct-mi300x"):
        (launch,) = [p for p in PRICES if p["gpu"] == slug and p["note"].startswith("US launch price")]
        assert launch["source_url"].startswith("https://huggingface.co/hardware/")
        assert "this is Hugging Face's figure" in launch["note"] and "'MSRP $" in launch["note"]
