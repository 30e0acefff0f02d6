"""Prices drive the "Cheapest" rankings, so a reader must be able to trust where each comes from: a vendor
page, a retailer listing or an established outlet. Where no such page was found, the row keeps its blog or
aggregator source and its note says so first, in words the admin and the Sources row show."""

import json
from pathlib import Path
from urllib.parse import urlparse

CATALOG = Path(__file__).resolve().parents[2] / "fixtures" / "catalog"
STREET = Path(__file__).resolve().parents[2] / "costs" / "fixtures" / "street_prices.json"
PRICES = [
    *json.loads((CATALOG / "prices.json").read_text(encoding="utf-8")),
    *json.loads(STREET.read_text("utf-8")),
]

# Vendors, retailers and established outlets a shipped price may cite without a warning. Hugging Face's hardware
# catalogue is here because its rows say "this is Hugging Face's figure" (test_street_prices).
ESTABLISHED = {
    "huggingface.co",
    "www.macrumors.com",
    "global.dday.it",
    "wccftech.com",
    "www.rockpapershotgun.com",
    "www.slashgear.com",
    "www.digitaltrends.com",
    "www.tomsguide.com",
    "www.anandtech.com",
    "dotesports.com",
}
WEAK = "Weak source: "


def test_every_price_cites_an_established_source_or_says_first_that_its_source_is_weak():
    unmarked = [
        (p["slug"], urlparse(p["source_url"]).netloc)
        for p in PRICES
        if urlparse(p["source_url"]).netloc not in ESTABLISHED and not p["note"].startswith(WEAK)
    ]
    assert unmarked == []


def test_a_weak_source_warning_names_the_page_it_warns_about_and_no_established_one_carries_it():
    for price in PRICES:
        if price["note"].startswith(WEAK):
            host = urlparse(price["source_url"]).netloc
            assert host not in ESTABLISHED, price["slug"]
            assert price["note"].startswith(f"{WEAK}{host} is "), price["slug"]


def test_the_rtx_5090_launch_price_cites_press_coverage_of_nvidias_announcement_not_a_seo_page():
    launch = next(p for p in PRICES if p["slug"] == "geforce-rtx-5090-new-us-usd-2025-01-30")
    assert launch["source_url"].startswith("https://dotesports.com/")
    assert "'The Nvidia GeForce RTX Blackwell 5090 costs a whopping $1,999'" in launch["note"]
    street = next(p for p in PRICES if p["slug"] == "geforce-rtx-5090-new-us-usd-2026-01-05")
    assert street["note"].startswith("Weak source: themoneyunlock.com is a blog")


def test_the_rows_flagged_weak_are_the_ones_whose_note_says_so():
    """`weak_source` is what the pages read ("weak source" beside the price); the note says which and why."""
    assert [p["slug"] for p in PRICES if p.get("weak_source")] == [
        p["slug"] for p in PRICES if p["note"].startswith(WEAK)
    ]
