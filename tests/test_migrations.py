"""Every migration runs backwards to zero and forwards again; catalog rows survive the catalog's migrations.

These tests change the schema, so they run outside a transaction (`transaction=True`) and always end
with every app migrated to its latest migration: pytest-django then empties the tables for the tests
that follow, which expect the full schema.
"""

import contextlib
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from calculator.models import Snapshot
from catalog.models import Gpu, LlmModel, Quantization

pytestmark = pytest.mark.django_db(transaction=True)
FIRST_CATALOG_MIGRATION = ("catalog", "0001_initial")


def migrate_to_latest():
    call_command("migrate", verbosity=0, stdout=io.StringIO())


@pytest.mark.slow  # a migration round trip or a script run: make test and CI run it
def test_every_app_migrates_to_zero_and_back_and_the_catalog_loads():
    migrated_apps = sorted(MigrationExecutor(connection).loader.migrated_apps)
    assert {"catalog", "calculator", "auth"} <= set(migrated_apps)
    try:
        for app_label in migrated_apps:  # each also unapplies other apps' migrations that depend on it
            call_command("migrate", app_label, "zero", verbosity=0, stdout=io.StringIO())
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
        assert tables <= {"django_migrations"}, f"left behind by a backwards migration: {tables}"
        assert not MigrationExecutor(connection).loader.applied_migrations
    finally:
        migrate_to_latest()

    executor = MigrationExecutor(connection)
    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())  # nothing left to apply
    call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())
    assert Gpu.objects.listed().exists() and LlmModel.objects.exists()


def drop_every_table() -> None:
    """The database as it was before its first migration (the copy of the catalog that transactional
    tests get back, tests/conftest.py, is in a schema of its own)."""
    with connection.cursor() as cursor:
        tables = [connection.ops.quote_name(name) for name in connection.introspection.table_names(cursor)]
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TABLE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DROP TABLE {table}")


@contextlib.contextmanager
def apps_at(migration: tuple[str, str], *, from_empty: bool = False):
    """The schema as it was at `migration` (its historical models), migrated to the latest on leaving.

    The database gets there by unapplying the migrations after it or, `from_empty`, as a database
    deployed then did: every table dropped, then migrated forwards to `migration`. The catalog's
    backwards migrations cost ~2 s of CPU from the latest to 0001-0004, where an empty database gets
    there in 0.05-0.4 s; they are tested by migrating every app to zero and back, and with rows by
    source quality's texts coming back (tests/catalog/test_provenance.py)."""
    if from_empty:
        drop_every_table()
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([migration])
        yield executor.loader.project_state(migration).apps
    finally:
        migrate_to_latest()


@pytest.mark.slow  # a migration round trip or a script run: make test and CI run it
def test_catalog_rows_survive_every_catalog_migration_after_the_first():
    with apps_at(FIRST_CATALOG_MIGRATION, from_empty=True) as old:
        old.get_model("catalog", "Gpu").objects.create(
            slug="geforce-rtx-3090",
            name="GeForce RTX 3090",
            vendor="nvidia",
            memory_bytes=24 << 30,
            bandwidth_gb_s=936.2,
            admin_edited_fields=["bandwidth_gb_s"],
        )
        old.get_model("catalog", "Quantization").objects.create(
            slug="q4_k_m", name="Q4_K_M", family="gguf", bits_per_weight=4.8944
        )
        old.get_model("catalog", "LlmModel").objects.create(
            slug="llama-3-1-8b-instruct",
            name="Llama 3.1 8B Instruct",
            num_hidden_layers=32,
            hidden_size=4096,
            num_attention_heads=32,
            num_key_value_heads=8,
            vocab_size=128256,
            total_params_b=8.03,
        )

    gpu = Gpu.objects.get(slug="geforce-rtx-3090")
    assert (gpu.memory_bytes, gpu.bandwidth_gb_s, gpu.admin_edited_fields) == (
        24 << 30,
        936.2,
        ["bandwidth_gb_s"],
    )
    assert gpu.as_spec().memory_bytes == 24 << 30
    assert Quantization.objects.get(slug="q4_k_m").bits_per_weight == 4.8944
    assert LlmModel.objects.get(slug="llama-3-1-8b-instruct").as_spec().num_hidden_layers == 32


def test_snapshots_shared_before_reverse_snapshots_existed_stay_calculator_snapshots():
    with apps_at(("calculator", "0001_initial")) as old:
        old.get_model("calculator", "Snapshot").objects.create(
            id="23456789ab",
            query="model=llama-3-1-8b-instruct&gpu=geforce-rtx-3090",
            specs={"hardware": "1× GeForce RTX 3090"},
            result={"recommended": "single"},
            engine_version="0.2.0",
        )

    snapshot = Snapshot.objects.get(id="23456789ab")
    assert snapshot.kind == Snapshot.ESTIMATE
    assert snapshot.result == {"recommended": "single"} and snapshot.engine_version == "0.2.0"
