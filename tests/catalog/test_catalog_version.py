"""Every write to the catalog moves the catalog version, so no visitor is served an answer computed
from an older catalog; bulk writes move it once."""

import io
import json
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection

from catalog.cache import CATALOG_VERSION_KEY, catalog_version
from catalog.loading import upsert
from catalog.models import Gpu, Price, UpstreamChange, one_catalog_change
from tests.conftest import make_gpu, make_llm, make_quant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog_version_from_a_clear_cache")]
ESTIMATE = "/api/v1/estimate?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090"


@pytest.fixture
def shared_cache(settings):
    """One cache for every process, as CACHE_URL=redis://... gives: a second connection to the same
    store stands for the other gunicorn workers and replicas."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"}
    }
    caches["default"].clear()
    return caches.create_connection("default")


def decode_tok_s(client) -> float:
    response = client.get(ESTIMATE)
    assert response.status_code == 200
    return response.json()["plans"][0]["decode_tok_s"]


def test_a_cached_answer_is_not_served_after_an_import(client, shared_cache, tmp_path):
    make_gpu(), make_llm(), make_quant()
    before = decode_tok_s(client)
    with connection.cursor() as cursor:  # a write no code hears of: the cached answer stays
        cursor.execute("UPDATE catalog_gpu SET bandwidth_gb_s = 1")
    assert decode_tok_s(client) == before
    version = shared_cache.get(CATALOG_VERSION_KEY)
    out = io.StringIO()
    call_command("export_catalog", stdout=out)
    document = json.loads(out.getvalue())
    gpus = next(s for s in document["models"] if s["model"] == "catalog.gpu")["rows"]
    gpus[0]["bandwidth_gb_s"] = 2 * 936.2
    path = tmp_path / "faster.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    call_command("import_catalog", str(path), stdout=io.StringIO())

    assert shared_cache.get(CATALOG_VERSION_KEY) == version + 1  # what the other processes read
    assert decode_tok_s(client) > 1.5 * before


def test_a_dry_run_import_changes_no_answer(client, tmp_path):
    make_gpu(), make_llm(), make_quant()
    before = decode_tok_s(client)
    out = io.StringIO()
    call_command("export_catalog", stdout=out)
    path = tmp_path / "same.json"
    path.write_text(out.getvalue(), encoding="utf-8")
    call_command("import_catalog", str(path), "--dry-run", stdout=io.StringIO())
    assert decode_tok_s(client) == before


def bumps(write) -> int:
    version = catalog_version()
    write()
    return catalog_version() - version


def test_each_row_save_and_delete_moves_the_version():
    gpu = make_gpu()
    gpu.tdp_w = 350
    assert bumps(gpu.save) == 1
    price = Price.objects.create(gpu=gpu, amount=Decimal("1"), source_url="https://example.com/")
    assert bumps(price.delete) == 1


def test_a_revert_moves_the_version():
    gpu = make_gpu()
    gpu.bandwidth_gb_s = 1.0
    gpu.save()
    old = gpu.history.last().instance  # the first version, as the admin's revert page saves it
    assert bumps(old.save) == 1
    assert Gpu.objects.get().bandwidth_gb_s == 936.2


@pytest.mark.parametrize(
    "write",
    [
        lambda: Gpu.objects.update(listed=False),  # an admin action's update
        lambda: Gpu.objects.bulk_create([Gpu(slug=f"g{i}", name=f"G{i}", vendor="amd", memory_bytes=1, bandwidth_gb_s=1) for i in range(3)]),
        lambda: Gpu.objects.bulk_update(list(Gpu.objects.all()), ["tdp_w"], batch_size=1),
        lambda: upsert(Gpu, [{"slug": "geforce-rtx-3090", "tdp_w": 350}, {"slug": "new", "name": "New", "vendor": "amd", "memory_bytes": 1, "bandwidth_gb_s": 1.0}]),
    ],
    ids=["queryset-update", "bulk-create", "bulk-update-in-batches", "upsert-create-and-update"],
)  # fmt: skip
def test_a_bulk_write_moves_the_version_once(write):
    make_gpu(), make_gpu(slug="other", name="Other")
    assert bumps(write) == 1


def test_writes_that_change_nothing_leave_the_version():
    make_gpu()
    assert bumps(lambda: Gpu.objects.filter(slug="absent").update(listed=False)) == 0
    assert bumps(lambda: upsert(Gpu, [{"slug": "geforce-rtx-3090", "bandwidth_gb_s": 936.2}])) == 0


def test_a_whole_catalog_load_moves_the_version_once(catalog):
    Gpu.objects.filter(
        slug="h100-pcie-80-gb"
    ).delete()  # a row to create (no measurement or price names it) and...
    Price.objects.filter(gpu__slug="geforce-rtx-4090").update(note="")  # ...one to update, in two tables
    assert bumps(lambda: call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())) == 1
    assert bumps(lambda: call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())) == 0


def test_accepting_an_upstream_value_moves_the_version():
    make_gpu(tdp_w=500, admin_edited_fields=["tdp_w"])
    change = UpstreamChange.objects.create(
        model="catalog.gpu", slug="geforce-rtx-3090", field="tdp_w", value=350
    )
    assert bumps(change.accept) == 1


def test_the_version_moves_again_when_the_transaction_commits(django_capture_on_commit_callbacks):
    """Between a write and its commit another process may cache an answer from the old rows."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert bumps(lambda: make_gpu()) == 1
    assert len(callbacks) == 1
    assert catalog_version() >= 3


def test_nested_batches_send_one_change():
    make_gpu()
    with one_catalog_change():
        version = catalog_version()
        Gpu.objects.update(listed=False)
        with one_catalog_change():
            Gpu.objects.update(listed=True)
        assert catalog_version() == version  # not yet
    assert catalog_version() == version + 1


def test_a_table_kept_in_the_process_is_served_only_for_its_catalog_version(db):
    """catalog/cache.py keeps the catalog-wide tables in the process (unpickling them each read cost
    ~3.7 ms of an answer). A cleared cache must not serve the table computed from the catalog before:
    its catalog version starts again at a number no earlier catalog had. Distinct answers evicting the
    table's own entry do not make the process read it again."""
    from catalog.cache import get_or_compute, key

    caches["default"].clear()
    first = get_or_compute("a-table", "", lambda: {"rows": 1})
    assert get_or_compute("a-table", "", lambda: {"rows": 2}) is first  # kept, not unpickled
    caches["default"].delete(key("a-table", ""))  # evicted by a thousand answers since
    assert get_or_compute("a-table", "", lambda: {"rows": 2}) is first
    version = catalog_version()
    caches["default"].clear()
    assert catalog_version() != version
    assert get_or_compute("a-table", "", lambda: {"rows": 3}) == {"rows": 3}
    # a question's answer (a non-empty query) is never kept in the process: a copy each time
    answer = get_or_compute("an-answer", "q", lambda: {"plans": []})
    assert get_or_compute("an-answer", "q", lambda: None) is not answer


def test_a_full_process_table_store_drops_older_versions_tables_first(db, monkeypatch):
    """When the tables kept in the process reach their bound, those of older catalog versions go and the
    current version's stay the same objects: dropping them all rebuilt the specs a page was using in the middle
    of its request, and the engine's caches, which tell specs apart by identity, missed (a test of the GPU
    pages failed after another file's tests had filled the store)."""
    from catalog import cache as catalog_cache
    from catalog.cache import get_or_compute

    monkeypatch.setattr(catalog_cache, "TABLES_KEPT", 4)
    monkeypatch.setattr(catalog_cache, "_tables", {})
    caches["default"].clear()
    for n in range(3):  # an older version's tables
        get_or_compute(f"old-{n}", "", lambda: {})
    caches["default"].clear()  # a new catalog version
    first = get_or_compute("a-table", "", lambda: {"rows": 1})
    get_or_compute("another", "", lambda: {"rows": 2})  # the store is full: the older version's go
    assert get_or_compute("a-table", "", lambda: {"rows": 3}) is first
    assert len(catalog_cache._tables) == 2


def test_a_value_kept_in_the_process_is_served_only_for_its_catalog_version(db):
    """`keep=True` (a measurement's estimate): kept in the process like a table, through evictions and
    even when it is None, and computed again for a new catalog version."""
    from catalog.cache import get_or_compute, key

    caches["default"].clear()
    first = get_or_compute("a-row", "slug", lambda: {"tok_s": 1.0}, keep=True)
    caches["default"].delete(key("a-row", "slug"))
    assert get_or_compute("a-row", "slug", lambda: {"tok_s": 2.0}, keep=True) is first
    assert get_or_compute("no-estimate", "slug", lambda: None, keep=True) is None
    assert get_or_compute("no-estimate", "slug", lambda: 1 / 0, keep=True) is None  # not computed again
    caches["default"].clear()
    assert get_or_compute("a-row", "slug", lambda: {"tok_s": 3.0}, keep=True) == {"tok_s": 3.0}


def test_a_request_reads_the_version_once_and_again_after_its_own_edit(db):
    """catalog/cache.py's CatalogVersionMiddleware: one read per request (each cached value is keyed
    on it), and a new read after the request itself writes to the catalog."""
    from catalog.cache import CatalogVersionMiddleware

    seen = []

    def view(request):
        seen.append(catalog_version())
        caches["default"].incr(CATALOG_VERSION_KEY)  # another process's edit: not seen by this request
        seen.append(catalog_version())
        make_gpu()  # this request's own edit
        seen.append(catalog_version())
        return None

    catalog_version()
    CatalogVersionMiddleware(view)(None)
    assert seen[0] == seen[1] and seen[2] == seen[0] + 2
    assert catalog_version() == seen[2]  # outside a request: read each time
