"""A shared result (/r/<id>) keeps its own numbers through catalog reloads, admin edits and deletions.

How an edit reaches the catalog (the admin, an import, a load) is tests/catalog/test_catalog_version.py's
concern: every path moves the catalog version, and this page only compares the snapshot with today.
"""

import io
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.core.management import call_command

from calculator.models import Snapshot
from catalog.models import Gpu
from estimator import Estimate
from estimator.units import format_rate

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


def test_a_shared_answer_says_what_to_run_and_what_to_change(client, catalog):
    """The review: a shared result left out "Launch it" and "What to change", the parts a visitor shares
    an answer for. The command is the one stored with the answer."""
    snapshot = share(client)
    html = unescape(re.sub(r"</?span[^>]*>", "", shown(client, snapshot).content.decode()))  # command_lines
    stored = Estimate.model_validate(snapshot.result)
    command = next(p for p in stored.plans if p.strategy == stored.recommended).commands["llama-server"]
    assert command.splitlines()[0] in html and 'data-testid="launch-command"' in html
    assert 'data-testid="suggestions"' in html


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
    assert (
        after.context["today"]["differs"] is True and after.context["today"]["url"] == f"/?{snapshot.query}"
    )
    assert after.context["today"]["reason"].startswith("today's catalog gives ")
    assert 'data-testid="differs"' in html and "See the fresh one" in html
    # the fresh estimate, at the new bandwidth, is slower than the shared one
    fresh = client.get(f"/?{snapshot.query}")
    assert fresh.context["shown_plan"].decode_tok_s < before.context["shown_plan"].decode_tok_s
    assert numbers(fresh.content.decode())["decode"] != numbers(html)["decode"]


def test_a_shared_answer_keeps_its_charts_as_they_were_drawn(client, catalog):
    """The review: a shared result dropped its two charts. They are stored with it and drawn from what was
    stored: after an admin edit that moves today's speeds, the snapshot's charts still read as shared
    while the page's own chart of the same question reads the new speeds."""
    snapshot = share(client)
    html = shown(client, snapshot).content.decode()
    srcs = re.findall(r'<figure class="chart"><figcaption>[^<]*</figcaption><img src="([^"]+)"', html)
    assert srcs == [f"/r/{snapshot.id}/chart.svg?chart=context", f"/r/{snapshot.id}/chart.svg?chart=users"]
    before = {src: client.get(src) for src in srcs}
    for response in before.values():
        assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
        assert "max-age=604800" in response["Cache-Control"]
    context_alt = re.search(r"<title>([^<]*)</title>", before[srcs[0]].content.decode()).group(1)
    assert context_alt.startswith("Decode speed per user at full context, in tok/s, by tokens of context: ")
    assert "8k " in context_alt  # the shared question's own context is a point

    gpu = Gpu.objects.get(slug="geforce-rtx-3090")
    gpu.bandwidth_gb_s = 500.0
    gpu.save()
    cache.clear()
    for src, response in before.items():
        assert client.get(src).content == response.content
    today = client.get(f"/chart.svg?chart=context&{snapshot.query}").content.decode()
    assert re.search(r"<title>([^<]*)</title>", today).group(1) != context_alt
    assert client.get(f"/r/{snapshot.id}/chart.svg?chart=nope").status_code == 404
    assert client.get("/r/abcdefghij/chart.svg?chart=context").status_code == 404


def test_a_snapshot_shared_before_charts_were_kept_shows_none(client, catalog):
    snapshot = share(client)
    Snapshot.objects.filter(id=snapshot.id).update(charts=[])
    html = shown(client, snapshot).content.decode()
    assert 'class="chart"' not in html
    assert client.get(f"/r/{snapshot.id}/chart.svg?chart=context").status_code == 404


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


def _older_engine(snapshot: Snapshot, change) -> Snapshot:
    """The snapshot as an older engine stored it: `change` edits its stored answer in place."""
    change(snapshot.result)
    snapshot.engine_version = "0.6.12"
    snapshot.save()
    return snapshot


def _recommended(result: dict) -> dict:
    return next(p for p in result["plans"] if p["strategy"] == result["recommended"])


def test_a_snapshot_whose_speed_reads_differently_today_says_so(client, catalog):
    """3.73 then, 3.69 today: rounded to 0.1 they were "the same", yet a visitor reads two numbers."""

    def faster(result):
        plan = _recommended(result)
        plan["decode_tok_s"] *= 1.01

    snapshot = _older_engine(share(client), faster)
    then = _recommended(snapshot.result)["decode_tok_s"]
    page = shown(client, snapshot)
    html = page.content.decode()
    now = client.get(f"/?{snapshot.query}").context["per_user"].value
    assert page.context["today"]["differs"] is True
    said = f"today's engine gives {format_rate(now)} tok/s per user, not {format_rate(then)}"
    assert page.context["today"]["reason"] == said
    assert 'data-testid="same"' not in html and said in unescape(html)


def test_a_snapshot_where_nothing_fit_compares_the_memory_it_showed(client, catalog):
    query = "model=llama-3-1-405b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=1&ctx=8192"
    response = client.post("/r/", {"q": query})
    snapshot = Snapshot.objects.get(id=response["Location"].removeprefix("/r/"))
    assert shown(client, snapshot).context["today"]["differs"] is False

    def heavier(result):
        result["memory"]["weights_bytes"] += 3 * 2**30

    page = shown(client, _older_engine(snapshot, heavier))
    assert page.context["today"]["differs"] is True
    assert page.context["today"]["reason"].startswith("today's engine gives weights of ")


def test_a_shared_answer_without_a_stored_command_words_no_reason_from_today(client, catalog):
    """A snapshot stored when its runtime had no weights must not say why from today's catalog (it said
    "vLLM cannot run the tensor parallel plan" once the catalog had them)."""
    snapshot = share(client)
    stored = Estimate.model_validate(snapshot.result)
    bare = stored.model_copy(
        update={"plans": tuple(p.model_copy(update={"commands": {}}) for p in stored.plans)}
    )
    Snapshot.objects.filter(pk=snapshot.pk).update(result=bare.model_dump(mode="json"))
    snapshot.refresh_from_db()
    response = client.get(snapshot.get_absolute_url())
    html = response.content.decode()
    assert (
        response.status_code == 200 and "<h2>Launch it" not in html and 'data-testid="launch-why"' not in html
    )


def test_an_sglang_snapshot_says_its_pool_in_tokens_not_vllms_log(client, catalog):
    """The review of the diff: the page said "tokens of KV cache" under SGLang, its snapshot "in vLLM's log"."""
    query = "model=llama-3-1-8b-instruct&quant=bf16&gpu=geforce-rtx-4090&runtime=sglang"
    page = client.get(f"/?{query}").content.decode()
    assert "tokens of KV cache)" in page and "vLLM's log" not in page
    response = client.post("/r/", {"q": query})
    shared = client.get(response["Location"]).content.decode()
    assert "tokens of KV cache)" in shared and "vLLM's log" not in shared


def test_a_shared_answer_over_machines_names_them_in_its_heading(client, catalog):
    """The heading and preview of a shared answer over two machines said "on 8× H100 SXM5 80 GB", one
    machine's GPUs, where the page asked about sixteen: they now read as the verdict does."""
    query = (
        "model=llama-3-1-405b-instruct&quant=bf16&gpu=h100-sxm5-80-gb&count=8&hosts=2&runtime=vllm&ctx=8192"
    )
    response = client.post("/r/", {"q": query})
    snapshot = Snapshot.objects.get(id=response["Location"].removeprefix("/r/"))
    html = unescape(shown(client, snapshot).content.decode())
    heading = re.search(r"<h1>(.*?)</h1>", html).group(1)
    assert heading.endswith("on 16 GPUs over 2 machines (8× H100 SXM5 80 GB each), 8,192 tokens")
    assert "on 16 GPUs over 2 machines (8× H100 SXM5 80 GB each):" in html  # og:description


def test_a_shared_answer_shows_what_its_page_showed_in_the_same_order(client, catalog):
    """A visitor review: a shared gpt-oss-120b answer listed the plans not offered, the step's parts and the
    explanations in another order than its page (PostgreSQL's jsonb sorts an object's keys), and left out
    the nearest measured run and the error pages; its heading left out the RAM the answer depends on."""
    query = "model=gpt-oss-120b&gpu=geforce-rtx-3090&ram_gb=64"
    snapshot = Snapshot.objects.get(id=client.post("/r/", {"q": query})["Location"].removeprefix("/r/"))
    snapshot.refresh_from_db()  # as a later request reads it
    page = client.get(f"/?{query}")
    live = page.context["result"]
    stored = Estimate.model_validate(snapshot.result)
    assert list(stored.unavailable) == list(live.unavailable)
    assert list(stored.explanations) == list(live.explanations)
    assert list(stored.recommended_plan.decode_step_s) == list(live.recommended_plan.decode_step_s)
    shared = shown(client, snapshot)
    assert shared.context["nearest"] == page.context["nearest"] and shared.context["error_pages"]
    html = unescape(shared.content.decode())
    assert 'data-testid="error-pages"' in html
    assert re.search(
        r"<h1>gpt-oss-120b at MXFP4 on 1× GeForce RTX 3090 \+ 64 GB of RAM, 4,096 tokens</h1>", html
    )


def test_a_shared_answer_keeps_why_there_was_no_command(client, catalog):
    """A consistency review: a page whose launch box said why there was no command (no GPTQ checkpoint of Gemma 3
    27B is published; here it runs as Q4_K_M) was shared with no launch box at all. The words are the catalog's of
    the day, so the snapshot keeps them as they were said."""
    query = "model=gemma-3-27b-it&quant=gptq-4bit&gpu=geforce-rtx-4090&ctx=8192&runtime=vllm"
    page = client.get(f"/?{query}").context["command"]
    assert page.text.startswith("# ") and "vllm serve" not in page.text  # a note, not a command
    snapshot = Snapshot.objects.get(id=client.post("/r/", {"q": query})["Location"].removeprefix("/r/"))
    assert shown(client, snapshot).context["command"] == page
    html = unescape(shown(client, snapshot).content.decode())
    assert page.text.splitlines()[0] in html
