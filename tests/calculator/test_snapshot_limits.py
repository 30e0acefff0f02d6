"""Shared snapshots cannot be abused: POST /r/ only from this site's pages, only a question of at most
MAX_QUERY_CHARS, a view noted at most once a day, a read-only admin list, and a prune command."""

import io
import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.http import QueryDict
from django.utils import timezone

from calculator.forms import QuestionForm
from calculator.models import MAX_QUERY_CHARS, Snapshot
from calculator.question import Question
from catalog import byo
from catalog.models import Gpu

pytestmark = pytest.mark.django_db

QUESTION = "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090"
WHAT_RUNS = "gpu=geforce-rtx-3090&count=2"
OURS = "http://testserver"
# gpt-oss-120b's config.json as its permalink carries it (catalog/byo.py canonical_config): the longest of
# the reference configs (shared/reference/models.json), for its 36 layer_types.
GPT_OSS_120B = {
    "head_dim": 64,
    "hidden_size": 2880,
    "intermediate_size": 2880,
    "layer_types": ["sliding_attention", "full_attention"] * 18,
    "max_position_embeddings": 131072,
    "model_type": "gpt_oss",
    "num_attention_heads": 64,
    "num_experts": 128,
    "num_experts_per_tok": 4,
    "num_hidden_layers": 36,
    "num_key_value_heads": 8,
    "sliding_window": 128,
    "vocab_size": 201088,
}


def share(client, data: dict, **headers):
    return client.post("/r/", data, headers=headers)


# ---- Origin ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # a page that hides where it is
        {"Origin": "http://testserver.evil.example"},
        {"Referer": "https://evil.example/page"},
        {"Origin": "https://evil.example", "Referer": f"{OURS}/"},  # Origin wins
    ],
)
@pytest.mark.parametrize("data", [{"q": QUESTION}, {"kind": "what-runs", "q": WHAT_RUNS}])
def test_a_share_from_another_site_is_refused(client, catalog, headers, data):
    response = share(client, data, **headers)
    assert response.status_code == 403
    assert response.content.decode() == "Sharing works from this site's own pages only.\n"
    assert not Snapshot.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": OURS},
        {"Referer": f"{OURS}/?{QUESTION}"},
        {},  # no browser's cross-site form: a script, bounded by the rate and size limits
    ],
)
@pytest.mark.parametrize("data", [{"q": QUESTION}, {"kind": "what-runs", "q": WHAT_RUNS}])
def test_a_share_from_this_site_is_saved(client, catalog, headers, data):
    response = share(client, data, **headers)
    assert response.status_code == 302
    assert Snapshot.objects.get().get_absolute_url() == response["Location"]


def test_trusted_origins_may_share_and_a_wildcard_names_subdomains(client, catalog, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://willitrun.example", "https://*.willitrun.org"]
    assert share(client, {"q": QUESTION}, Origin="https://willitrun.example").status_code == 302
    assert share(client, {"q": QUESTION}, Origin="https://www.willitrun.org").status_code == 302
    assert share(client, {"q": QUESTION}, Origin="http://www.willitrun.org").status_code == 403  # scheme
    assert share(client, {"q": QUESTION}, Origin="https://willitrun.example.net").status_code == 403


def test_an_unparsable_referer_is_refused_not_a_500(client, catalog):
    assert share(client, {"q": QUESTION}, Referer="http://[::1/").status_code == 403


def test_a_get_of_the_share_url_goes_to_the_calculator_and_stores_nothing(client, catalog):
    """A typed or truncated /r/ link is not a blank 405: the visitor lands on the calculator."""
    response = client.get("/r/", {"q": QUESTION})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not Snapshot.objects.exists()


def test_the_share_form_of_a_page_has_no_token_so_the_page_stays_public(client, catalog):
    response = client.get(f"/?{QUESTION}")
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert "public" in response["Cache-Control"] and not response.cookies


# ---- Size --------------------------------------------------------------------------------------------


def test_a_990_000_character_question_is_a_400_and_nothing_is_stored(client, catalog):
    config = {**GPT_OSS_120B, "layer_types": ["x" * 990_000]}
    query = f"config={quote(json.dumps(config))}&quant=q4_k_m&gpu=geforce-rtx-3090"
    response = share(client, {"q": query}, Origin=OURS)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"This question is {len(query):,} characters long")
    assert f"a shared one is at most {MAX_QUERY_CHARS:,}" in response.content.decode()
    assert not Snapshot.objects.exists()


def test_a_question_whose_canonical_query_is_too_long_is_a_400(client, catalog, monkeypatch):
    """Under the limit as sent (JSON unencoded), over it once percent-encoded as the permalink. Configs
    canonicalise small (a per-layer list becomes a count), so the limit is lowered to reach the case."""
    config = {k: v for k, v in GPT_OSS_120B.items() if k in byo.HfConfig.model_fields and k != "layer_types"}
    query = f"config={json.dumps(config, separators=(',', ':'))}&quant=q4_k_m&gpu=geforce-rtx-3090"
    monkeypatch.setattr("calculator.snapshots.MAX_QUERY_CHARS", len(query))
    response = share(client, {"q": query}, Origin=OURS)
    assert response.status_code == 400, response.content
    assert not Snapshot.objects.exists()


def test_the_longest_real_question_is_far_below_the_limit(catalog):
    """gpt-oss-120b's config.json on up to 64 different GPUs, the catalog's longest slugs first (no Mac: it
    takes no other GPU; each with a Vulkan build, the one build a rig of several vendors runs on)."""
    gpus = [g.slug for g in Gpu.objects.exclude(vendor=Gpu.Vendor.APPLE) if "vulkan" in g.backends]
    slugs = sorted(gpus, key=len, reverse=True)[:64]
    query = QueryDict(mutable=True)
    query["config"], query["quant"] = json.dumps(GPT_OSS_120B), "mxfp4"
    query.setlist("gpu", slugs)
    form = QuestionForm(query)
    assert form.is_valid(), form.errors
    assert len(Question.from_form(form).query()) < MAX_QUERY_CHARS / 2


def test_a_pasted_config_is_stored_canonical(client, catalog):
    config = {**GPT_OSS_120B, "architectures": ["GptOssForCausalLM"], "rope_scaling": {"factor": 32.0}}
    query = f"config={quote(json.dumps(config, indent=2))}&quant=mxfp4&gpu=geforce-rtx-3090&ram_gb=128"
    response = share(client, {"q": query}, Origin=OURS)
    assert response.status_code == 302
    stored = Snapshot.objects.get().query
    assert "architectures" not in stored and "rope_scaling" not in stored and "%20" not in stored
    assert len(stored) < len(query)


# ---- Views -------------------------------------------------------------------------------------------


def saved(client) -> Snapshot:
    return Snapshot.objects.get(id=share(client, {"q": QUESTION})["Location"].removeprefix("/r/"))


def test_a_view_notes_the_day_it_was_viewed(client, catalog):
    snapshot = saved(client)
    assert snapshot.last_viewed is None
    assert client.get(snapshot.get_absolute_url()).status_code == 200
    snapshot.refresh_from_db()
    assert timezone.now() - snapshot.last_viewed < timedelta(minutes=1)


def test_a_view_writes_at_most_once_a_day(catalog, client, django_assert_num_queries):
    snapshot = saved(client)
    recently = timezone.now() - timedelta(hours=23)
    Snapshot.objects.filter(pk=snapshot.pk).update(last_viewed=recently)
    snapshot.refresh_from_db()
    with django_assert_num_queries(0):
        snapshot.mark_viewed()
    snapshot.refresh_from_db()
    assert snapshot.last_viewed == recently

    Snapshot.objects.filter(pk=snapshot.pk).update(last_viewed=timezone.now() - timedelta(hours=25))
    snapshot.refresh_from_db()
    with django_assert_num_queries(1):  # UPDATE last_viewed
        snapshot.mark_viewed()
    snapshot.refresh_from_db()
    assert timezone.now() - snapshot.last_viewed < timedelta(minutes=1)


# ---- Admin -------------------------------------------------------------------------------------------


def test_the_admin_lists_snapshots_read_only(admin_client, catalog, client):
    snapshot = saved(client)
    listing = admin_client.get("/admin/calculator/snapshot/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert snapshot.id in html and snapshot.engine_version in html
    assert "model=llama-3-1-8b-instruct&amp;quant=q4_k_m" in html
    assert "/admin/calculator/snapshot/add/" not in html

    assert admin_client.get("/admin/calculator/snapshot/add/").status_code == 403
    page = admin_client.get(f"/admin/calculator/snapshot/{snapshot.id}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    edit = admin_client.post(f"/admin/calculator/snapshot/{snapshot.id}/change/", {"query": "model=other"})
    assert edit.status_code == 403
    snapshot.refresh_from_db()
    assert snapshot.query == QUESTION


def test_the_admin_list_shortens_long_queries(admin_client, db):
    Snapshot.objects.create(
        id="longquery1", query="config=" + "x" * 500, specs={}, result={}, engine_version="1"
    )
    html = admin_client.get("/admin/calculator/snapshot/").content.decode()
    assert "x" * 500 not in html and "config=" + "x" * 60 in html


# ---- Prune -------------------------------------------------------------------------------------------


def make_snapshot(id: str, *, created_days_ago: int, viewed_days_ago: int | None) -> Snapshot:
    now = timezone.now()
    Snapshot.objects.create(id=id, query=f"model={id}", specs={}, result={}, engine_version="1")
    viewed = None if viewed_days_ago is None else now - timedelta(days=viewed_days_ago)
    Snapshot.objects.filter(id=id).update(created=now - timedelta(days=created_days_ago), last_viewed=viewed)


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_snapshots", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def aged(db):
    make_snapshot("oldunseen1", created_days_ago=400, viewed_days_ago=None)
    make_snapshot("oldstale01", created_days_ago=400, viewed_days_ago=200)
    make_snapshot("oldviewed1", created_days_ago=400, viewed_days_ago=3)
    make_snapshot("newunseen1", created_days_ago=10, viewed_days_ago=None)


def test_prune_removes_snapshots_not_viewed_for_n_days(aged):
    assert prune("--unused-days", "90") == "Deleted 2 snapshots not viewed for 90 days.\n"
    assert set(Snapshot.objects.values_list("id", flat=True)) == {"oldviewed1", "newunseen1"}


def test_prune_dry_run_deletes_nothing(aged):
    assert prune("--unused-days", "90", "--dry-run") == "Would delete 2 snapshots not viewed for 90 days.\n"
    assert Snapshot.objects.count() == 4


@pytest.mark.parametrize("days", ["0", "2", "-5", "100000000"])
def test_prune_refuses_a_window_views_cannot_be_measured_in(aged, days):
    with pytest.raises(CommandError, match="--unused-days must be more than 2"):
        prune("--unused-days", days)
    assert Snapshot.objects.count() == 4
