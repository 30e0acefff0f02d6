"""A shared result (/r/<id>) keeps its own numbers through catalog reloads, admin edits and deletions.

How an edit reaches the catalog (the admin, an import, a load) is tests/catalog/test_catalog_version.py's
concern: every path moves the catalog version, and this page only compares the snapshot with today.
"""

import io
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command

from calculator.models import Snapshot
from catalog.models import Gpu
from estimator import Estimate

pytestmark = pytest.mark.django_db
QUERY = "model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


def share(client) -> Snapshot:
    response = client.post("/r/", {"q": QUERY})
    assert response.status_code == 302
    return Snapshot.objects.get(id=response["Location"].removeprefix("/r/"))


def numbers(html: str) -> dict[str, str]:
    """The headline numbers as the page prints them, by data-testid."""
    return dict(re.findall(r'data-testid="(decode|prefill)">([^<]*)<', html))


def shown(client, snapshot: Snapshot):
    cache.clear()  # render the page anew, not the response kept under its ETag
    response = client.get(snapshot.get_absolute_url())
    assert response.status_code == 200
    assert response.context["result"] == Estimate.model_validate(snapshot.result)
    return response


def test_snapshot_survives_a_reload_of_the_catalog(client, catalog):
    snapshot = share(client)
    before = shown(client, snapshot)
    assert numbers(before.content.decode())["decode"]

    call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())

    after = shown(client, snapshot)
    assert numbers(after.content.decode()) == numbers(before.content.decode())
    assert after.context["today"]["differs"] is False
    assert 'data-testid="same"' in after.content.decode()


def test_snapshot_keeps_its_numbers_and_says_today_differs_after_an_admin_edit(client, catalog):
    """The snapshot page is rendered anew after the edit: the catalog version is in its cache key."""
    snapshot = share(client)
    assert re.fullmatch(r"/r/[a-z2-9]{10}", snapshot.get_absolute_url())
    before = shown(client, snapshot)
    assert 'data-testid="same"' in before.content.decode()

    gpu = Gpu.objects.get(slug="geforce-rtx-3090")  # an admin edits the GPU
    gpu.bandwidth_gb_s = 500.0
    gpu.save()

    after = client.get(snapshot.get_absolute_url())  # no cache.clear(): the edit alone must show
    html = after.content.decode()
    assert after.context["result"] == Estimate.model_validate(snapshot.result)
    assert numbers(html) == numbers(before.content.decode())
    assert after.context["shown_plan"].decode_tok_s == before.context["shown_plan"].decode_tok_s
    assert after.context["result"].memory.kv_cache_bytes == before.context["result"].memory.kv_cache_bytes
    assert after.context["today"] == {"differs": True, "url": f"/?{snapshot.query}"}
    assert 'data-testid="differs"' in html and "See the fresh one" in html
    # the fresh estimate, at the new bandwidth, is slower than the shared one
    fresh = client.get(f"/?{snapshot.query}")
    assert fresh.context["shown_plan"].decode_tok_s < before.context["shown_plan"].decode_tok_s
    assert numbers(fresh.content.decode())["decode"] != numbers(html)["decode"]


def test_snapshot_still_shows_when_its_gpu_is_deleted(client, catalog):
    snapshot = share(client)
    before = numbers(shown(client, snapshot).content.decode())

    gpu = Gpu.objects.get(slug="geforce-rtx-3090")
    gpu.measurements.all().delete()  # they protect the GPU from deletion
    gpu.delete()

    after = shown(client, snapshot)
    html = after.content.decode()
    assert numbers(html) == before
    assert after.context["today"]["differs"] is True
    assert "The catalog no longer has one of its inputs" in html
    assert "GeForce RTX 3090" in html  # the hardware named from the snapshot, not the catalog
