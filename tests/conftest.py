import contextlib
import gc
import io
import json
import os
import re
import subprocess
import sys
import time

import hypothesis
import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import override_settings

from catalog.models import CatalogRow, Gpu, LlmModel, Quantization, catalog_changed
from tests import db_template

GIB = 1 << 30

# Property and fuzz tests draw the same examples on every run ("ci"), so a red CI is a regression that
# reproduces on any clone, never a lucky draw. HYPOTHESIS_PROFILE=explore draws new examples each run.
# No deadline: Hypothesis fails an example that takes over 200 ms by default, a timed test that a loaded
# 2-core machine fails at random (an og.png bar layout took 251 ms once); bench/ measures speed.
hypothesis.settings.register_profile("ci", derandomize=True, database=None, deadline=None)
hypothesis.settings.register_profile("explore", derandomize=False, deadline=None)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    """CPython's collector looks at its youngest objects after every 700 more allocations than frees, and
    at all of them once enough of those survive: with Django, Hypothesis, the catalog and ~2,900 collected
    tests in memory, each worker of the quick suite spent 7.5-8 s of its ~50 s of CPU collecting, ~5.5 s
    of it in ~24 full collections (`gc.callbacks`, December 2026). Every 10,000 instead: 2.8-2.9 s, 4
    full collections (two shards of the whole-site crawl: 3.5 -> 2.2 s). Garbage with a cycle still goes,
    only later (each older generation after 10 collections of the one younger, as before)."""
    gc.set_threshold(10_000, *gc.get_threshold()[1:])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """The `slow` tests first, so that pytest-xdist starts the long ones while both workers have the
    short ones still to share, instead of one worker finishing a long test alone at the end
    (scripts/test.sh sends tests one by one, `--maxschedchunk 1`, so the long ones go to both).
    pytest-django's own (stable) sort runs after this one and keeps its order within each group:
    plain `db` tests, then transactional ones, then those without a database. A `slow` test marked
    `first=True` goes before the others: the whole-site crawl's pages, which its shards read. One marked
    `reads_crawl=True` goes after the other `slow` tests: it skips the pages that crawl has fetched
    (tests/glossary/test_pages.py, `pages_crawled`), so it is sent once the crawl is done."""

    def order(item):
        slow = item.get_closest_marker("slow")
        kwargs = slow.kwargs if slow else {}
        return (slow is None, not kwargs.get("first"), bool(kwargs.get("reads_crawl")))

    items.sort(key=order)


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory):
    """Settings every test runs under, set once per session (a test's `settings` changes go on top):

    - static files are stored plainly, as tests render templates without running collectstatic, and
      STATIC_ROOT is an empty directory: WhiteNoise walks STATIC_ROOT each time a test client builds
      its middleware, ~700 files and ~0.1 s of CPU per client where `collectstatic` had filled the
      checkout's staticfiles/ (no test reads a collected file; e2e pages get theirs from the finders);
    - MD5 password hashing: `admin_user` hashes a password, and PBKDF2's million rounds cost about
      half a second per test (production keeps Django's default hashers: config/settings.py sets none);
    - no page rate limits: tests ask many questions from one client (tests/test_rate_limit.py sets
      its own); windows of a day where a test sets a limit: the counters are per fixed window, and a
      first answer computed slowly on a loaded machine once crossed a minute's boundary, letting the
      second request through (flaky runs of test_rate_limit.py, then of test_rig.py).
    """
    from django.conf import settings

    overrides = override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        STATIC_ROOT=str(tmp_path_factory.mktemp("static_root")),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        PAGE_RATE_LIMIT=0,
        SHARE_RATE_LIMIT=0,
        PAGE_RATE_WINDOW=86_400,
        API_RATE_WINDOW=86_400,
        SHARE_RATE_WINDOW=86_400,
    )
    overrides.enable()
    yield
    overrides.disable()


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    """After each transactional test (live server, migrations) pytest-django flushes every table. On
    PostgreSQL Django flushes with one TRUNCATE of the ~40 tables, which gives each table, index and
    TOAST table a new file: ~180 ms a test at load 2-4 on the 2-core machine, where deleting the rows
    a test leaves (the catalog's ~1,500 at most, unless it imports more) takes 30-50 ms (psql, December
    2026). The flush runs in one transaction (`execute_sql_flush`) and Django's foreign keys are checked
    at its end (DEFERRABLE INITIALLY DEFERRED), when every table is empty, so the order does not matter.
    A flush that resets sequences or cascades keeps Django's TRUNCATE."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with no cached estimates."""
    from django.core.cache import cache

    cache.clear()


def load_catalog() -> None:
    call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())


# The tables the session's catalog load fills, and whether the catalog is still in the database
# (the first transactional test empties it), and the template the test database was copied from.
_SESSION_CATALOG = {"tables": [], "loaded": False, "template": None, "emptying": []}
# A copy of those tables as the session's load left them, outside the schema Django flushes.
SNAPSHOT = db_template.SNAPSHOT


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, django_db_blocker):
    """On PostgreSQL, each test database is a copy of a template that is already migrated and holds the
    catalog (tests/db_template.py, built once and kept while the sources it was built from are
    unchanged): pytest-django's `setup_databases` copies it, and its `migrate` finds nothing to do."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql" or os.environ.get("TEST_DB_TEMPLATE") == "0":
        return
    name = db_template.template_name(database["NAME"])
    key = db_template.source_hash()
    with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
        built = db_template.fitting(cursor, name, key)
        if not built:  # scripts/test.sh may be building it while the tests are collected: wait for it
            cursor.execute("SELECT pg_advisory_lock(%s), pg_advisory_unlock(%s)", [db_template.LOCK] * 2)
            built = db_template.fitting(cursor, name, key)
    if not built:  # nobody had built it: the script builds it, or waits for another worker building it
        # What it built or found, as it says: its key differs from ours when a source changed meanwhile.
        script = [sys.executable, db_template.__file__]
        out = subprocess.run(script, check=True, env=os.environ, capture_output=True, text=True).stdout
        built = json.loads(out.splitlines()[-1])
    database.setdefault("TEST", {})["TEMPLATE"] = name
    _SESSION_CATALOG["template"] = built


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Migrate the test database, then load the shipped catalog into it once for the whole session
    (on PostgreSQL both come with the template the database is copied from, tests/db_template.py).

    A test that asks for `catalog` sees it inside its own transaction, rolled back when the test
    ends, so it may edit or delete rows freely; any other `db` test sees the catalog tables empty
    (`_catalog_only_where_asked`). Loading the catalog per test cost about 0.8 s, hundreds of times.
    """
    if _SESSION_CATALOG["template"]:
        _SESSION_CATALOG.update(tables=_SESSION_CATALOG["template"]["tables"], loaded=True)
        with django_db_blocker.unblock():
            _SESSION_CATALOG["emptying"] = _emptying_sql(_SESSION_CATALOG["tables"])
        return
    with django_db_blocker.unblock():
        before = db_template.row_counts(connection)
        load_catalog()
        after = db_template.row_counts(connection)
    filled = sorted(table for table, rows in after.items() if rows != before[table])
    assert not any(before[table] for table in filled), "the catalog load adds to a migration's rows"
    _SESSION_CATALOG.update(tables=filled, loaded=True)
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT} CASCADE")
        cursor.execute(f"CREATE SCHEMA {SNAPSHOT}")
        for table in filled:
            name = connection.ops.quote_name(table)
            cursor.execute(f"CREATE TABLE {SNAPSHOT}.{name} AS TABLE {name}")
    with django_db_blocker.unblock():
        _SESSION_CATALOG["emptying"] = _emptying_sql(filled)


def _emptying_sql(tables: list[str]) -> list[str]:
    """How a plain `db` test empties the catalog's tables inside its transaction (the rollback brings
    the rows back): one DELETE per table, sent as one statement. Django's foreign keys are checked at
    the end of the transaction (DEFERRABLE INITIALLY DEFERRED; pytest-django checks them before its
    rollback), when every catalog table is empty, so the order does not matter.

    DELETE, not TRUNCATE: TRUNCATE gives each of the ~22 tables, their indexes and TOAST tables new
    files, and its rollback unlinks them: 60-300 ms a test where deleting the ~1,500 rows and checking
    the deferred keys takes 12-20 ms (psql on the 2-core machine at load 4-5, December 2026). It
    fails only if a table pointing at the catalog's (e.g. community measurements) holds rows when the
    session starts: then `TRUNCATE ... CASCADE` empties those too, as before."""
    quoted = [connection.ops.quote_name(table) for table in tables]
    deletes = [f"DELETE FROM {name}" for name in quoted]
    if connection.vendor != "postgresql" or not tables:
        return deletes
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH RECURSIVE refs(name) AS (
                SELECT unnest(%s::text[])
                UNION SELECT c.conrelid::regclass::text FROM pg_constraint c JOIN refs
                ON c.confrelid::regclass::text = refs.name WHERE c.contype = 'f'
            ) SELECT name FROM refs""",
            [tables],
        )
        for (name,) in cursor.fetchall():
            if name not in tables:
                cursor.execute(f"SELECT EXISTS (SELECT FROM {connection.ops.quote_name(name)})")
                if cursor.fetchone()[0]:
                    return [f"TRUNCATE {', '.join(quoted)} CASCADE"]
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        superuser = cursor.fetchone()[0]
    if not superuser:
        return ["; ".join(deletes)]  # one round trip
    # As a superuser (the clusters of scripts/test.sh and of development), the deletions skip the
    # foreign-key triggers, which queue a check per deleted row (~11 ms -> ~2 ms of server time a test):
    # every row pointing at a deleted one goes too. The test's own statements are checked as always.
    return [
        "SET LOCAL session_replication_role = replica; "
        + "; ".join(deletes)
        + "; SET LOCAL session_replication_role = origin"
    ]


def restore_catalog() -> None:
    """Put back the rows the session's load wrote (a transactional test's database starts empty): the
    same rows as `load_catalog` writes, copied in SQL in ~0.05 s where the command takes ~0.9 s, which
    every browser test paid. The sequences move past the copied ids; the catalog version moves, as
    after a load."""
    tables = _SESSION_CATALOG["tables"]
    models = [m for m in apps.get_models(include_auto_created=True) if m._meta.db_table in tables]
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            name = connection.ops.quote_name(table)
            cursor.execute(f"INSERT INTO {name} SELECT * FROM {SNAPSHOT}.{name}")
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    catalog_changed.send(sender=CatalogRow, models=sorted(m._meta.label_lower for m in models))


@pytest.fixture(autouse=True)
def _catalog_only_where_asked(request, django_db_blocker, _empty_cache):
    """Every `db` test starts as if the catalog had never been loaded, unless it asks for `catalog`.

    A plain `db` test gets the catalog's tables emptied inside its transaction (`_emptying_sql`; the
    rollback brings them back), so `make_gpu` and tests counting what a load creates work as before.
    A transactional test (live server, migrations) commits, and pytest-django empties every table
    when it ends: the first one empties the database, so each starts empty as before, and one that
    wants the catalog gets the session's rows back (`catalog`, `restore_catalog`). pytest-django runs these after all other `db` tests.
    A plain `db` test starts at the catalog version of the tests that started like it
    (`_shared_catalog_version`).
    """
    marker = request.node.get_closest_marker("django_db")
    if not (marker or "db" in request.fixturenames or "transactional_db" in request.fixturenames):
        yield
        return
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    )
    transactional = transactional or bool({"transactional_db", "live_server"} & set(request.fixturenames))
    if transactional:
        if _SESSION_CATALOG["loaded"]:
            with django_db_blocker.unblock():
                call_command("flush", "--no-input", verbosity=0)
            _SESSION_CATALOG["loaded"] = False
        yield
        return
    if "catalog" not in request.fixturenames:
        request.getfixturevalue("db")  # inside the test's transaction, never the session's rows
        with connection.cursor() as cursor:
            for sql in _SESSION_CATALOG["emptying"]:
                cursor.execute(sql)
    if STARTS_CLEAR & set(request.fixturenames):
        yield
        return
    with _shared_catalog_version("catalog" if "catalog" in request.fixturenames else "empty"):
        yield


# The catalog version each plain `db` test starts at, one per way it starts (the session's catalog, or
# its tables emptied) and per worker: see `_shared_catalog_version`.
_SHARED_VERSIONS: dict[str, int] = {}
# Tests that start with nothing kept, as every test did (`_empty_cache`): those counting their queries,
# and those of the catalog version itself (`catalog_version_from_a_clear_cache`).
STARTS_CLEAR = {
    "django_assert_num_queries",
    "django_assert_max_num_queries",
    "catalog_version_from_a_clear_cache",
    # a patched setting or function may change what the tables hold: computed from it, they would be kept
    # under the shared version for later tests, or read from it unpatched
    "monkeypatch",
    "settings",
}
# Statements that write nothing; any other statement may (INSERT, UPDATE, DELETE, TRUNCATE, SET ...).
READS = re.compile(r"\s*(SELECT|SAVEPOINT|RELEASE|ROLLBACK TO)\b", re.IGNORECASE)


@pytest.fixture
def catalog_version_from_a_clear_cache():
    """The catalog version starts from the clock in this test (`_empty_cache`), never at a version other
    tests started at (`_shared_catalog_version`): for tests of the version itself, and those that count
    their queries with `CaptureQueriesContext` (cold tables are what they bound)."""


@contextlib.contextmanager
def _shared_catalog_version(start: str):
    """The catalog-wide tables a page reads (catalog/cache.py: the pickers' rows, the slug tables, the
    runtime table...) computed once per worker for each way a plain `db` test starts, not once per test.

    Every test empties the cache (`_empty_cache`), so the catalog version started again from the clock
    and each test that rendered a calculator page read the whole catalog into those tables again: ~55 ms
    of CPU of a ~65 ms answer (the shipped catalog, December 2026), in ~480 tests of the quick suite. A
    plain `db` test's database starts the same each time (the session's catalog, or its tables emptied, in a transaction
    rolled back at its end), so it now starts at the same version as the tests that started like it, and
    reads the tables they computed. Until it writes: the first statement that may write (anything but a
    SELECT or a savepoint, seen by `connection.execute_wrapper`) drops the version, before it runs, as the
    clear did at the start, so nothing computed from rows the test changed is ever kept under the shared
    version (the catalog's own signals bump the version after a write; a write that sends none, a test's
    `.update()` or SQL, is caught here too). A request in flight forgets the version it read, as after
    its own writes (`catalog.cache._bump`). Transactional tests, whose rows are committed and flushed,
    and tests counting queries start from a clear cache as before."""
    from django.core.cache import cache

    from catalog import cache as catalog_cache

    # Kept per process under each version while the test runs (a production process keeps 32): both starts'
    # tables and those of the tests that wrote since, rather than dropped together every few tests.
    kept = catalog_cache.TABLES_KEPT
    catalog_cache.TABLES_KEPT = max(kept, 256)
    cache.set(catalog_cache.CATALOG_VERSION_KEY, _SHARED_VERSIONS.setdefault(start, time.time_ns()), None)
    shared = [True]

    def watch(execute, sql, params, many, context):
        if shared and not READS.match(sql):
            shared.clear()
            cache.delete(catalog_cache.CATALOG_VERSION_KEY)  # read next from the clock, as after a clear
            if (held := catalog_cache._in_request.get()) is not None:
                held.clear()
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(watch):
            yield
    finally:
        catalog_cache.TABLES_KEPT = kept


@pytest.fixture
def catalog(db):
    """The whole shipped catalog (fixtures/catalog), as `make run` loads it: loaded once per session
    (`django_db_setup`), and put back for each transactional test, whose database starts empty."""
    if not _SESSION_CATALOG["loaded"]:
        restore_catalog()


def make_gpu(**overrides) -> Gpu:
    fields = {
        "slug": "geforce-rtx-3090",
        "name": "GeForce RTX 3090",
        "vendor": "nvidia",
        "memory_bytes": 24 * GIB,
        "bandwidth_gb_s": 936.2,
        "fp16_tflops": 35.58,
        "listed": True,
    }
    fields.update(overrides)
    return Gpu.objects.create(**fields)


def make_llm(**overrides) -> LlmModel:
    """Llama 3.1 8B Instruct, as in ../shared/reference/models.json."""
    fields = {
        "slug": "llama-3-1-8b-instruct",
        "name": "Llama 3.1 8B Instruct",
        "family": "llama3.1",
        "num_hidden_layers": 32,
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "vocab_size": 128256,
        "total_params_b": 8.03,
        "max_position_embeddings": 131072,
        "listed": True,
    }
    fields.update(overrides)
    return LlmModel.objects.create(**fields)


def make_quant(**overrides) -> Quantization:
    fields = {"slug": "q4_k_m", "name": "Q4_K_M", "family": "gguf", "bits_per_weight": 4.8944, "listed": True}
    fields.update(overrides)
    return Quantization.objects.create(**fields)
