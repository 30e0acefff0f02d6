"""A shared reverse answer (/r/<id> from "What runs on my hardware?" or "What hardware runs this model?")
keeps its own rows after the catalog changes, and says when today's answer differs."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.cache import cache

from calculator.models import Snapshot
from catalog.models import Gpu, Measurement, Price
from catalog.tiers import TIERS
from tests.reverse_questions.answers import set_prices

pytestmark = pytest.mark.django_db

WHAT_RUNS = "gpu=apple-m4-max-128gb&count=1"
WHAT_HARDWARE = "model=gpt-oss-120b&tok_s=20"  # at its own MXFP4, which the canonical query leaves out
TIER_KEYS = [key for key, *_ in TIERS]


def share(client, kind: str, query: str) -> Snapshot:
    response = client.post("/r/", {"kind": kind, "q": query})
    assert response.status_code == 302, response.content
    return Snapshot.objects.get(id=response["Location"].removeprefix("/r/"))


def shown(client, snapshot: Snapshot) -> str:
    cache.clear()  # render anew, not the response kept in the cache
    response = client.get(snapshot.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def decode_speeds(html: str) -> list[str]:
    return re.findall(r'data-testid="decode">([^<]*)<', html)


@pytest.mark.parametrize(("kind", "query"), [("what-runs", WHAT_RUNS), ("what-hardware", WHAT_HARDWARE)])
def test_each_reverse_page_offers_a_snapshot_of_its_answer(client, catalog, kind, query):
    page = client.get(f"/{kind}/?{query}").content.decode()
    assert f'name="kind" value="{kind}"' in page
    assert f'name="q" value="{query.replace("&", "&amp;")}"' in page


def test_a_what_runs_snapshot_keeps_its_rows_after_an_admin_edit(client, catalog):
    """Also what tests/e2e/test_reverse.py did in Chromium: the page's own share form (a plain POST,
    no script) saves the snapshot, and its "See the fresh one" link leads back to the question."""
    live = client.get(f"/what-runs/?{WHAT_RUNS}").content.decode()
    form = re.search(r'<form class="share" method="post" action="([^"]+)">(.*?)</form>', live, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form[2]))
    response = client.post(form[1], {name: unescape(value) for name, value in fields.items()})
    assert response.status_code == 302
    snapshot = Snapshot.objects.get(id=response["Location"].removeprefix("/r/"))
    assert snapshot.kind == "what-runs" and snapshot.query == WHAT_RUNS
    before = shown(client, snapshot)
    # the live page shows each tier's first rows; the snapshot every row, those of each tier's own page
    every_row = [
        decode_speeds(client.get(f"/what-runs/?{WHAT_RUNS}&tier={key}").content.decode()) for key in TIER_KEYS
    ]
    assert decode_speeds(before) == sum(every_row, []) and decode_speeds(before)
    assert len(decode_speeds(live)) < len(decode_speeds(before))
    assert 'data-testid="same"' in before
    assert "What runs on 1× Apple M4 Max" in before
    assert "Share a snapshot" not in before

    Gpu.objects.filter(slug="apple-m4-max-128gb").update(bandwidth_gb_s=273)
    Gpu.objects.get(slug="apple-m4-max-128gb").save()  # as the admin does: bumps the catalog version

    after = shown(client, snapshot)
    assert decode_speeds(after) == decode_speeds(before)
    assert 'data-testid="differs"' in after
    fresh_link = re.search(r'<a href="([^"]*)">See the fresh one</a>', after)[1]
    assert unescape(fresh_link) == f"/what-runs/?{WHAT_RUNS}"
    fresh = client.get(f"/what-runs/?{WHAT_RUNS}").content.decode()
    assert decode_speeds(fresh) != decode_speeds(before)


def test_a_what_runs_snapshot_differs_where_only_the_full_context_speed_does(client, catalog):
    """Review 10: whether today's answer differs compared each row's speed at the start of an answer alone,
    where the row shows "start → full context" (`RunsRow.speed`): a snapshot whose speeds with the whole
    context cached had halved said "same"."""
    snapshot = share(client, "what-runs", WHAT_RUNS)
    assert 'data-testid="same"' in shown(client, snapshot)
    result = snapshot.result
    row = next(r for r in result["rows"] if r["plan"] and r["plan"]["decode_tok_s_at_context"])
    row["plan"]["decode_tok_s_at_context"] /= 2  # the start of an answer as fast as today
    Snapshot.objects.filter(id=snapshot.id).update(result=result)
    snapshot.refresh_from_db()
    assert 'data-testid="differs"' in shown(client, snapshot)


def test_sharing_the_same_answer_twice_gives_the_same_link(client, catalog):
    assert share(client, "what-runs", WHAT_RUNS).id == share(client, "what-runs", WHAT_RUNS).id
    assert share(client, "what-runs", WHAT_RUNS).id != share(client, "what-runs", WHAT_RUNS + "&ctx=32768").id


def test_a_what_hardware_snapshot_keeps_its_prices_after_they_change(client, catalog):
    set_prices({"geforce-rtx-5090": "1999"})
    snapshot = share(client, "what-hardware", WHAT_HARDWARE)
    before = shown(client, snapshot)
    assert "$3,998" in before and 'data-testid="same"' in before
    assert "What hardware runs gpt-oss-120b at MXFP4?" in before

    price = Price.objects.get(gpu__slug="geforce-rtx-5090")
    price.amount = Decimal("2999")
    price.save()

    after = shown(client, snapshot)
    assert "$3,998" in after and "$5,998" not in after
    assert 'data-testid="differs"' in after
    assert "$5,998" in client.get(f"/what-hardware/?{WHAT_HARDWARE}").content.decode()


def test_a_snapshot_whose_gpu_left_the_catalog_still_shows_and_says_so(client, catalog):
    snapshot = share(client, "what-runs", "gpu=geforce-rtx-3090&count=2")
    before = shown(client, snapshot)
    Measurement.objects.filter(gpu__slug="geforce-rtx-3090").delete()
    Gpu.objects.filter(slug="geforce-rtx-3090").delete()
    after = shown(client, snapshot)
    assert decode_speeds(after) == decode_speeds(before)
    assert "The catalog no longer has one of its inputs" in after


def test_sharing_a_bad_reverse_question_goes_back_to_its_page(client, catalog):
    response = client.post("/r/", {"kind": "what-runs", "q": "gpu=no-such-gpu"})
    assert response.status_code == 302 and response["Location"] == "/what-runs/?gpu=no-such-gpu"
    assert not Snapshot.objects.exists()


def test_an_unknown_kind_of_snapshot_is_a_400(client, catalog):
    assert client.post("/r/", {"kind": "what-ever", "q": WHAT_RUNS}).status_code == 400


def test_a_reverse_snapshot_has_no_preview_image_but_no_error(client, catalog):
    snapshot = share(client, "what-runs", WHAT_RUNS)
    assert client.get(f"/r/{snapshot.id}/og.png").status_code == 404


def test_a_what_hardware_snapshot_stored_before_unit_prices_shows_its_prices_as_then(client, catalog):
    set_prices({"geforce-rtx-5090": "1999"})
    snapshot = share(client, "what-hardware", WHAT_HARDWARE)
    before = shown(client, snapshot)
    # as a snapshot of the first version stored a set: the total, the date and the source
    result = snapshot.result
    result.pop("with_ram", None)  # asked since 7 December 2026
    for key in ("smallest", "cheapest", "fastest"):
        for s in result[key]:
            tag = s.pop("unit_price")
            s["price_date"] = tag and tag["date"]
            s["price_source"] = tag["source_url"] if tag else ""
    Snapshot.objects.filter(id=snapshot.id).update(result=result)
    snapshot.refresh_from_db()
    assert "unit_price" not in str(snapshot.result)
    old = shown(client, snapshot)
    assert "$3,998" in old and "https://example.com/geforce-rtx-5090" in old and "Nov 2026" in old
    assert set(re.findall(r"\$[\d,]+ <small>\(<a [^>]*>[^<]*</a>", old)) == set(
        re.findall(r"\$[\d,]+ <small>\(<a [^>]*>[^<]*</a>", before.partition('id="with-ram"')[0])
    )


def test_an_image_models_what_hardware_snapshot_keeps_its_sets_and_prices(client, catalog):
    set_prices({"geforce-rtx-3090": "1499"})
    page = client.get("/what-hardware/?model=flux-1-dev").content.decode()
    assert 'name="kind" value="what-hardware"><input type="hidden" name="q" value="model=flux-1-dev">' in page
    snapshot = share(client, "what-hardware", "model=flux-1-dev")
    assert "DiffusionPipeline.from_pretrained" not in str(snapshot.result)  # the launch commands left out
    before = shown(client, snapshot)
    assert "$1,499" in before and "Time per image" in before and 'data-testid="same"' in before
    assert "What hardware runs FLUX.1 [dev]?" in before and "Share a snapshot" not in before
    assert "24.0 GiB <small>+ 16 GB of system RAM</small>" in before  # one card, the RAM it assumes

    price = Price.objects.get(gpu__slug="geforce-rtx-3090")
    price.amount = Decimal("999")
    price.save()

    after = shown(client, snapshot)
    assert "$1,499" in after and "$999" not in after
    assert "24.0 GiB <small>+ 16 GB of system RAM</small>" in after
    assert 'data-testid="differs"' in after

    # shared before a card with system RAM was offered: its sets (two cards, none in RAM) show as they were
    stored = dict(snapshot.result)
    for ranking in ("smallest", "cheapest", "fastest"):
        stored[ranking] = [
            {
                key: value
                for key, value in s.items()
                if key not in ("ram_gb", "ram_read_at", "runtime", "users", "kv")
            }
            for s in stored[ranking]
        ]
    Snapshot.objects.filter(id=snapshot.id).update(result=stored)
    snapshot.refresh_from_db()
    old = shown(client, snapshot)
    assert "$1,499" in old and "system RAM</small>" not in old and "GPUs only" not in old


def test_a_what_runs_snapshot_keeps_its_image_rows(client, catalog):
    snapshot = share(client, "what-runs", "gpu=geforce-rtx-3090&count=2")
    before = shown(client, snapshot)
    assert len(re.findall(r"<tr[^>]*data-image-model=", before)) == len(snapshot.result["images"]) > 10
    assert "image and video models run on 2× GeForce RTX 3090." in before and 'data-testid="same"' in before
    # one shared before image models were listed shows and compares its language models alone
    Snapshot.objects.filter(id=snapshot.id).update(result={"rows": snapshot.result["rows"]})
    snapshot.refresh_from_db()
    old = shown(client, snapshot)
    assert "data-image-model" not in old and 'data-testid="same"' in old


def test_a_what_hardware_snapshot_keeps_its_sets_with_system_ram(client, catalog):
    set_prices({"geforce-rtx-3090": "700"})
    snapshot = share(client, "what-hardware", "model=gpt-oss-120b&ram_preset=ddr4-3200-2ch")
    before = shown(client, snapshot)
    table = before[before.index('id="with-ram"') :]
    assert "24.0 GiB <small>+ 64 GB of system RAM</small>" in table and "$700" in table
    assert "DDR4-3200, 2 channels, 51.2 GB/s" in table

    set_prices({"geforce-rtx-3090": "900"})
    after = shown(client, snapshot)
    assert "$700" in after[after.index('id="with-ram"') :] and "$900" not in after
    assert (
        "$900" in client.get("/what-hardware/?model=gpt-oss-120b&ram_preset=ddr4-3200-2ch").content.decode()
    )


def test_a_what_runs_snapshot_from_before_the_full_context_speed_shows_one_number(client, catalog):
    """A snapshot whose plans have no speed with the context cached (stored before the engine gave it) shows
    the start of an answer alone and tiers by it, as it did; one stored since shows both where they differ."""
    query = "gpu=geforce-rtx-4090&count=1&ctx=131072"
    snapshot = share(client, "what-runs", query)
    before = shown(client, snapshot)
    assert any(" → " in cell for cell in re.findall(r'data-testid="decode">(.*?)</td>', before))
    result = snapshot.result
    for row in result["rows"]:
        for key in ("decode_tok_s_at_context", "decode_tok_s_at_context_low", "decode_tok_s_at_context_high"):
            (row["plan"] or {}).pop(key, None)
    Snapshot.objects.filter(id=snapshot.id).update(result=result)
    snapshot.refresh_from_db()
    old = shown(client, snapshot)
    assert sorted(decode_speeds(old)) == sorted(decode_speeds(before)) and 'data-testid="same"' in old
    assert not any(" → " in cell for cell in re.findall(r'data-testid="decode">(.*?)</td>', old))
    assert "Magistral Small 2509" in old.partition('data-testid="tier-great"')[2].partition("</section>")[0]
