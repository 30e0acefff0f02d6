"""Buyer guides: tables computed from the catalog and the engine when the page is read."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Gpu, Price
from costs.guides import GUIDES

pytestmark = pytest.mark.django_db


def test_at_least_six_guides_are_listed_and_linked(client, costs):
    response = client.get("/buyers-guides/")
    assert response.status_code == 200
    html = response.content.decode()
    assert len(GUIDES) >= 6
    for slug in GUIDES:
        assert f'href="/buyers-guides/{slug}/"' in html


@pytest.mark.usefixtures("catalog_version_from_a_clear_cache")  # counts its queries from a clear cache
@pytest.mark.parametrize("slug", list(GUIDES))
def test_every_guide_renders_a_table_in_a_few_queries(client, costs, slug):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/buyers-guides/{slug}/")
    assert response.status_code == 200
    assert len(queries) <= 5  # the guide's rows: models, formats, devices, prices; the runtime table
    assert "<table" in response.content.decode()


def test_the_70b_guide_follows_todays_prices(client, costs):
    url = "/buyers-guides/best-gpu-for-70b-models-under-2500/"
    first = client.get(url).context["answer"]["answer"]["choices"][0]
    assert (first.device.slug, first.count, first.condition) == ("geforce-rtx-3090", 2, "used")
    Price.objects.filter(gpu__slug="geforce-rtx-3090", condition="used").delete()
    again = client.get(url).context["answer"]["answer"]["choices"]
    assert ("geforce-rtx-3090", "used") not in {(c.device.slug, c.condition) for c in again}


def test_the_mac_guide_lists_only_macs_with_three_model_sizes(client, costs):
    response = client.get("/buyers-guides/best-mac-for-local-ai/")
    rows = response.context["rows"]
    assert rows and all(r.gpu.vendor == "apple" for r in rows)
    assert response.context["sizes"] == ["8B", "32B", "70B"]
    usable = [r.largest_usable for r in rows]
    assert usable == sorted(usable, reverse=True)


def test_the_image_guide_holds_flux_without_offload(client, costs):
    response = client.get("/buyers-guides/best-gpu-for-image-generation/")
    rows = response.context["rows"]
    assert rows and all(r.free_bytes >= 0 for r in rows)
    assert "geforce-rtx-3090" not in {r.gpu.slug for r in rows}  # 24 GB: FLUX.1 [dev] in bf16 needs ~33 GB
    priced = [r.price for r in rows if r.price]
    today, old = [p for p in priced if not p.old], [p for p in priced if p.old]
    assert priced == today + old and today and old  # launch prices over two years old after today's
    for group in (today, old):
        assert [p.amount_usd for p in group] == sorted(p.amount_usd for p in group)


def test_an_unknown_guide_is_404(client, costs):
    assert client.get("/buyers-guides/best-toaster/").status_code == 404


def test_a_guide_on_an_empty_catalog_says_what_is_missing(client):
    for slug in GUIDES:
        response = client.get(f"/buyers-guides/{slug}/")
        assert response.status_code == 200
        assert 'data-testid="missing"' in response.content.decode(), slug


def test_the_home_page_links_the_guides(client, costs):
    assert 'href="/buyers-guides/"' in client.get("/").content.decode()


def test_the_best_buy_says_whose_price_it_is(client, costs):
    """The second review: "The best buy: 4× RTX 3060 (new, $1,316)" was the 3060's launch price of January
    2021; the sentence now gives the price's words as every price table does (PriceTag.when)."""
    html = client.get("/buyers-guides/best-gpu-for-70b-models-under-2500/").content.decode()
    best = re.search(r"The best buy: <strong>[^<]+</strong> \(\$[\d,]+, ([^)]+)\)", html)
    assert best, html[:400]
    assert re.fullmatch(r"((used, |launch, )?[A-Z][a-z]{2} \d{4}|launch)(, weak source)?", best.group(1)), (
        best.group(1)
    )


def test_the_image_guide_times_an_image_and_measures_what_the_gpu_may_use(client, costs):
    """The review: the guide said "the engine gives no image speed" beside a calculator that times one, and
    a unified-memory machine's "32.4 GiB of 128.0 GiB" beside a free figure that added up only against its
    GPU's share. The guide now asks what the calculator asks (the denoiser's shape too)."""
    html = client.get("/buyers-guides/best-gpu-for-image-generation/").content.decode()
    assert "no image speed" not in html
    seconds = re.findall(r'data-testid="image-seconds">about ([\d.]+) s<', html)
    assert seconds and all(float(s) > 1 for s in seconds)
    strix = re.search(r'data-gpu="amd-ryzen-ai-max-395-128gb">.*?</tr>', html, re.S).group(0)
    assert " of 110.2 GiB<" in strix


def test_a_used_guide_says_the_others_have_no_used_price(client, costs):
    """The review: the used-GPU guide listed the RX 7900 XTX under "no price published" beside pages that show
    its new price."""
    html = client.get("/buyers-guides/best-used-gpu/").content.decode()
    assert "Also runs it, no used price published (" in html and "no price published (" not in html


def test_the_image_guide_ranks_an_old_launch_price_after_todays(client, costs):
    """A visitor review: the image guide ranked an RTX A6000 at "$4,700 (launch, Oct 2020, none newer)" among
    the prices of today. It now comes after them, as on /choose/, and the page says why."""
    response = client.get("/buyers-guides/best-gpu-for-image-generation/")
    rows = response.context["rows"]
    a6000 = next(i for i, r in enumerate(rows) if r.gpu.slug == "rtx-a6000")
    assert rows[a6000].price.old
    today = [r for r in rows if r.price and not r.price.old]
    assert rows[: len(today)] == today and a6000 >= len(today)
    assert {"l40s", "nvidia-dgx-spark-128gb"} <= {r.gpu.slug for r in today}  # $7,500 and $4,700, of 2026
    html = response.content.decode()
    assert "cheapest first at today's prices, launch prices over two years old after them" in html
    assert (
        'data-testid="price-caveats"' in html and "so it ranks after today's prices, not among them." in html
    )


def test_a_used_price_of_today_stands_for_a_card_whose_new_price_is_an_old_launch_one(client, costs):
    """One row per device: the price shown, and ranked, is new, unless the only new one is an old launch price
    and a used one of today is published."""
    Price.objects.create(
        gpu=Gpu.objects.get(slug="rtx-a6000"),
        condition="used",
        amount=3200,
        date=datetime.date.today(),
        source_url="https://example.com/a6000",
    )
    rows = client.get("/buyers-guides/best-gpu-for-image-generation/").context["rows"]
    a6000 = next(r for r in rows if r.gpu.slug == "rtx-a6000")
    assert (a6000.price.condition, a6000.price.amount_usd, a6000.price.old) == ("used", 3200, False)
    l40s = next(r for r in rows if r.gpu.slug == "l40s")
    assert rows.index(a6000) < rows.index(l40s)  # $3,200 used today before the L40S's $7,500


@pytest.mark.parametrize("slug", list(GUIDES))
def test_every_guide_ranks_old_launch_prices_after_todays(client, costs, slug):
    """One rule on every guide, as on /choose/ (catalog.price_tag.price_rank): in each table ranked by price, no
    price of today after an old launch price."""
    context = client.get(f"/buyers-guides/{slug}/").context
    if "answer" in context:  # a "Choose my GPU" question
        rows = [(0, c.unit_price) for c in context["answer"]["answer"]["choices"]]
    else:  # Macs: by how large a model each runs first
        rows = [(-getattr(r, "largest_usable", 0), r.price) for r in context["rows"]]
    ranks = [(group, price is None, price is not None and price.old) for group, price in rows]
    assert ranks == sorted(ranks), slug
