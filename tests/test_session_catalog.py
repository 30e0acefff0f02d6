"""The shipped catalog is loaded once per session (tests/conftest.py), and every test still sees the
database it asks for: the whole catalog with `catalog`, no catalog rows without it, whatever ran before.

pytest-django runs the transactional tests after every other database test, in file order: run serially,
the two here run one after the other, so the second proves the catalog comes back after the first's flush
(on another xdist worker, after the flush that precedes a worker's first transactional test).
"""

import json

import pytest
from django.conf import settings
from django.db import connection

from catalog.models import Gpu, LlmModel, Measurement, Quantization
from tests.conftest import _SESSION_CATALOG, load_catalog, make_gpu


def shipped(filename: str) -> int:
    path = settings.BASE_DIR / "fixtures" / "catalog" / filename
    return len(json.loads(path.read_text(encoding="utf-8")))


def assert_whole_catalog():
    assert Gpu.objects.count() == shipped("gpus.json")
    assert LlmModel.objects.count() == shipped("llms.json")
    assert Quantization.objects.count() == shipped("quantizations.json")
    assert Measurement.objects.exists() and Gpu.history.exists()


def assert_no_catalog():
    assert not Gpu.objects.exists() and not LlmModel.objects.exists() and not Gpu.history.exists()


def test_a_test_that_asks_for_the_catalog_sees_all_of_it(catalog):
    assert_whole_catalog()
    Gpu.objects.filter(slug="geforce-rtx-3090").update(name="edited")  # rolled back when the test ends


def test_its_edits_are_gone_in_the_next_test(catalog):
    assert_whole_catalog()
    assert Gpu.objects.get(slug="geforce-rtx-3090").name == "GeForce RTX 3090"


def test_a_database_test_without_it_starts_with_no_catalog_rows(db):
    assert_no_catalog()
    assert make_gpu().slug == "geforce-rtx-3090"  # no clash with the shipped row of that slug


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_starts_empty_and_its_commits_are_flushed_after_it():
    assert_no_catalog()
    make_gpu()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_after_a_flush_gets_the_whole_catalog_again(catalog):
    assert_whole_catalog()


def catalog_rows() -> dict[str, list[tuple]]:
    """Every row of the tables the catalog load fills, but when each history row was written."""
    rows = {}
    with connection.cursor() as cursor:
        for table in _SESSION_CATALOG["tables"]:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            names = [column.name for column in cursor.description]
            rows[table] = sorted(
                tuple(v for n, v in zip(names, row, strict=True) if n != "history_date") for row in cursor
            )
    return rows


@pytest.mark.django_db(transaction=True)
def test_the_catalog_a_transactional_test_gets_back_is_what_load_catalog_writes(catalog):
    restored = catalog_rows()
    assert restored["catalog_gpu"] and restored["catalog_historicalgpu"]
    make_gpu(slug="one-more", name="One more")  # the ids go on after the copied ones
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(_SESSION_CATALOG["tables"]) + " RESTART IDENTITY CASCADE")
    load_catalog()
    assert catalog_rows() == restored
