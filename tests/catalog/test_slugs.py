"""Slugs are fixed once created; when one must change, the admin's "Change slug" page keeps the old one,
and every link that uses it keeps working: pages redirect (301), the API and shared results answer,
and catalog loads update the renamed row instead of creating the old one again (catalog/slugs.py)."""

import io
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from calculator import snapshots
from calculator.forms import QuestionForm
from calculator.question import Question
from catalog import slugs
from catalog.models import FormerSlug, Gpu, LlmModel, Measurement, Price, UpstreamChange
from tests.conftest import make_gpu, make_llm

pytestmark = pytest.mark.django_db


def query(model, quant, gpu, **more) -> str:
    return "/?" + urlencode({"model": model, "quant": quant, "gpu": gpu, "count": 2, "ctx": 8192, **more})


OLD = query("llama-3-1-70b-instruct", "q4_k_m", "geforce-rtx-3090")
NEW = query("llama-31-70b-instruct", "q4_k_m", "rtx-3090-24gb")
RENAMES = [
    (Gpu, "geforce-rtx-3090", "rtx-3090-24gb"),
    (LlmModel, "llama-3-1-70b-instruct", "llama-31-70b-instruct"),
]


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-for-tests")
    client.force_login(user)
    return user


def rename_in_admin(client, row, new_slug: str, reason: str = "The slug named the wrong card"):
    url = f"/admin/catalog/{row._meta.model_name}/{row.pk}/slug/"
    return client.post(url, {"new_slug": new_slug, "change_reason": reason})


@pytest.fixture
def renamed(client, staff, catalog):
    """The shipped catalog with a GPU and an LLM renamed in the admin."""
    for model, old, new in RENAMES:
        response = rename_in_admin(client, model.objects.get(slug=old), new)
        assert response.status_code == 302, response.context["form"].errors
    cache.clear()  # as after any write: the catalog version moved


# ---- the admin -------------------------------------------------------------------------------------------


def test_the_slug_is_fixed_on_the_change_form_which_links_to_its_own_page(client, staff):
    gpu = make_gpu()
    response = client.get(f"/admin/catalog/gpu/{gpu.pk}/change/")
    assert response.context["adminform"].form.fields["slug"].disabled
    html = response.content.decode()
    assert f'<li><a href="/admin/catalog/gpu/{gpu.pk}/slug/">Change slug</a></li>' in html  # beside History
    assert "change the slug</a>: old links keep working" in html  # and below the field
    page = client.get(f"/admin/catalog/gpu/{gpu.pk}/slug/")
    assert page.status_code == 200
    assert "None: this row has always had its slug." in page.content.decode()


@pytest.mark.parametrize(
    ("model", "renameable"),
    [("gpu", True), ("llmmodel", True), ("diffusionmodel", False), ("quantization", False)],
)
def test_gpus_and_llms_can_change_slug_but_formats_and_image_models_cannot(
    client, staff, catalog, model, renameable
):
    """A format's slug is its llama.cpp name, read by the engine (its kernel family) and the commands;
    an image model's names its denoiser shape in fixtures/sources/diffusion_shapes.json."""
    from django.apps import apps

    row = apps.get_model("catalog", model).objects.order_by("pk").first()
    change = client.get(f"/admin/catalog/{model}/{row.pk}/change/").content.decode()
    assert (f'href="/admin/catalog/{model}/{row.pk}/slug/"' in change) is renameable
    if renameable:
        assert client.get(f"/admin/catalog/{model}/{row.pk}/slug/").status_code == 200


def test_renaming_keeps_the_old_slug_with_who_when_and_why(client, staff):
    gpu = make_gpu()
    response = rename_in_admin(client, gpu, "rtx-3090-24gb", "Two cards shared the slug")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/catalog/gpu/{gpu.pk}/change/"
    gpu.refresh_from_db()
    assert gpu.slug == "rtx-3090-24gb"
    assert "slug" in gpu.admin_edited_fields  # an editor's value: catalog loads leave it alone
    former = FormerSlug.objects.get()
    assert (former.model, former.slug, former.row_id) == ("catalog.gpu", "geforce-rtx-3090", gpu.pk)
    assert (former.renamed_to, former.renamed_by, former.reason) == (
        "rtx-3090-24gb",
        staff,
        "Two cards shared the slug",
    )
    record = gpu.history.first()
    assert record.history_user == staff
    assert record.history_change_reason == (
        "Slug changed from “geforce-rtx-3090” to “rtx-3090-24gb”: Two cards shared the slug"
    )
    page = client.get(f"/admin/catalog/gpu/{gpu.pk}/slug/").content.decode()
    assert "<code>geforce-rtx-3090</code>" in page and "Two cards shared the slug" in page
    every_rename = client.get("/admin/catalog/formerslug/").content.decode()  # for reading only
    assert "geforce-rtx-3090" in every_rename and "Add former slug" not in every_rename


@pytest.mark.parametrize(
    ("new_slug", "message"),
    [
        ("", "This field is required."),
        ("Not a slug!", "Letters, digits, hyphens and underscores only."),
        ("geforce-rtx-3090", "That is the slug it has."),
        ("geforce-rtx-4090", "“geforce-rtx-4090” is the slug of GeForce RTX 4090."),
        ("x" * 121, "At most 120 characters."),
    ],
)
def test_a_slug_that_cannot_be_is_refused_next_to_the_field(client, staff, new_slug, message):
    gpu = make_gpu()
    make_gpu(slug="geforce-rtx-4090", name="GeForce RTX 4090")
    response = rename_in_admin(client, gpu, new_slug)
    assert response.status_code == 200
    assert message in response.context["form"].errors["new_slug"]
    gpu.refresh_from_db()
    assert gpu.slug == "geforce-rtx-3090" and not FormerSlug.objects.exists()


def test_a_former_slug_stays_its_rows_for_renames_and_new_rows(client, staff):
    gpu = make_gpu()
    other = make_gpu(slug="geforce-rtx-4090", name="GeForce RTX 4090")
    assert rename_in_admin(client, gpu, "rtx-3090-24gb").status_code == 302
    response = rename_in_admin(client, other, "geforce-rtx-3090")
    assert "“geforce-rtx-3090” was the slug of GeForce RTX 3090 until" in str(response.context["form"].errors)
    newcomer = Gpu(
        slug="geforce-rtx-3090", name="Another", vendor="nvidia", memory_bytes=2**34, bandwidth_gb_s=1
    )
    with pytest.raises(ValidationError, match="links that use it lead there"):
        newcomer.full_clean()


def test_renamed_back_a_slug_leads_nowhere_else_and_never_loops(client, staff):
    gpu = make_gpu()
    assert rename_in_admin(client, gpu, "rtx-3090-24gb").status_code == 302
    assert rename_in_admin(client, gpu, "geforce-rtx-3090", "Back: the old one was right").status_code == 302
    assert list(FormerSlug.objects.values_list("slug", "renamed_to")) == [
        ("rtx-3090-24gb", "geforce-rtx-3090")
    ]
    assert client.get("/gpus/geforce-rtx-3090/").status_code == 200
    response = client.get("/gpus/rtx-3090-24gb/")
    assert (response.status_code, response["Location"]) == (301, "/gpus/geforce-rtx-3090/")
    assert client.get(response["Location"]).status_code == 200
    assert [r.history_change_reason.split(":")[0] for r in gpu.history.all()[:2]] == [
        "Slug changed from “rtx-3090-24gb” to “geforce-rtx-3090”",
        "Slug changed from “geforce-rtx-3090” to “rtx-3090-24gb”",
    ]


def test_the_change_page_preview_follows_a_renamed_model(client, staff, catalog):
    llm = LlmModel.objects.get(slug="llama-3-1-8b-instruct")  # one of the models every GPU page previews
    slugs.rename(llm, "llama-31-8b-instruct", reason="test", user=staff)
    gpu = Gpu.objects.get(slug="geforce-rtx-4090")
    preview = client.get(f"/admin/catalog/gpu/{gpu.pk}/change/").content.decode()
    assert 'href="/?model=llama-31-8b-instruct&amp;quant=q4_k_m&amp;gpu=geforce-rtx-4090' in preview


def test_a_renamed_popular_gpu_keeps_its_column_on_model_pages(client, staff, catalog):
    slugs.rename(Gpu.objects.get(slug="geforce-rtx-3090"), "rtx-3090-24gb", reason="test", user=staff)
    rows = client.get("/models/llama-3-1-70b-instruct/").context["rows"]
    assert any(fit.gpu.slug == "rtx-3090-24gb" for row in rows for fit in row.stacked)


def test_upstream_changes_waiting_for_the_row_follow_it(staff):
    gpu = make_gpu()
    UpstreamChange.objects.create(model="catalog.gpu", slug=gpu.slug, field="bandwidth_gb_s", value=900)
    slugs.rename(gpu, "rtx-3090-24gb", reason="test", user=staff)
    assert UpstreamChange.objects.get().row() == gpu


# ---- old links -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (OLD, NEW),
        ("/gpus/geforce-rtx-3090/", "/gpus/rtx-3090-24gb/"),
        ("/models/llama-3-1-70b-instruct/", "/models/llama-31-70b-instruct/"),
        ("/what-runs/?gpu=geforce-rtx-3090&count=2", "/what-runs/?gpu=rtx-3090-24gb&count=2"),
        (
            "/what-hardware/?model=llama-3-1-70b-instruct&quant=q4_k_m",
            "/what-hardware/?model=llama-31-70b-instruct&quant=q4_k_m",
        ),
        (
            "/gpus/compare/?gpu=geforce-rtx-3090&gpu=geforce-rtx-4090",
            "/gpus/compare/?gpu=rtx-3090-24gb&gpu=geforce-rtx-4090",
        ),
        ("/choose/?model=llama-3-1-70b-instruct", "/choose/?model=llama-31-70b-instruct"),
        ("/og.png" + OLD[1:], "/og.png" + NEW[1:]),
    ],
)
def test_a_page_asked_by_old_slugs_redirects_permanently_to_the_new_ones(client, renamed, old, new):
    response = client.get(old)
    assert (response.status_code, response["Location"]) == (301, new)
    assert "no-cache" in response["Cache-Control"]  # a later rename back is seen at once
    assert client.get(new).status_code == 200


def test_the_calculator_answers_at_the_new_address_as_before(client, catalog, staff):
    before = client.get(OLD).context["result"]
    for model, old, new in RENAMES:
        slugs.rename(model.objects.get(slug=old), new, reason="test", user=staff)
    after = client.get(client.get(OLD)["Location"])
    assert after.context["form"].is_valid()
    result = after.context["result"]
    assert (result.fits, result.recommended_plan.decode_tok_s) == (
        before.fits,
        before.recommended_plan.decode_tok_s,
    )
    assert {d.gpu for d in result.recommended_plan.devices} == {"rtx-3090-24gb"}


def test_the_api_answers_an_old_slug_under_the_new_one(client, renamed):
    old = client.get("/api/v1/estimate" + OLD[1:])
    new = client.get("/api/v1/estimate" + NEW[1:])
    assert old.status_code == new.status_code == 200
    assert old.json() == new.json()
    assert old.json()["permalink"] == NEW


def test_a_shared_result_from_before_the_rename_still_compares_with_today(client, catalog, staff):
    form = QuestionForm(QueryDict(OLD[2:]))
    assert form.is_valid()
    snapshot = snapshots.save(Question.from_form(form))
    slugs.rename(Gpu.objects.get(slug="geforce-rtx-3090"), "rtx-3090-24gb", reason="test", user=staff)
    page = client.get(f"/r/{snapshot.id}")
    assert page.status_code == 200
    today = page.context["today"]
    assert "reason" not in today  # not "The catalog no longer has one of its inputs."
    assert today["url"] == OLD  # its link redirects (above)


@pytest.mark.usefixtures("catalog_version_from_a_clear_cache")  # counts its queries from a clear cache
def test_current_slugs_cost_no_query_more_and_old_ones_two_per_table(client, catalog, staff):
    def queries(url) -> int:
        cache.clear()  # nothing served from the response cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code in (200, 301)
        return len(captured)

    before = queries(OLD)
    for model, old, new in RENAMES:
        slugs.rename(model.objects.get(slug=old), new, reason="test", user=staff)
    assert queries(NEW) == before
    # each old slug: its former-slug row, then the row it names (the page's own lookup found nothing)
    assert queries(OLD) == before + 2 * 2


def test_a_file_exported_before_the_rename_updates_the_renamed_rows(client, staff):
    from tests.catalog.test_admin_bulk import confirm, csv_file, preview

    gpu = make_gpu()
    slugs.rename(gpu, "rtx-3090-24gb", reason="test", user=staff)
    response = preview(client, "gpu", csv_file([{"slug": "geforce-rtx-3090", "bandwidth_gb_s": "900"}]))
    assert (
        not response.context["result"].has_errors() and not response.context["result"].has_validation_errors()
    )
    confirm(client, "gpu", response)
    prices = [{"slug": "", "gpu": "geforce-rtx-3090", "amount": "699", "date": "2026-11-30",
               "source_url": "https://example.com/3090"}]  # fmt: skip
    confirm(client, "price", preview(client, "price", csv_file(prices)))
    gpu.refresh_from_db()
    assert (gpu.slug, gpu.bandwidth_gb_s) == ("rtx-3090-24gb", 900)
    assert Gpu.objects.count() == 1 and gpu.prices.get().amount == 699


# ---- catalog loads ---------------------------------------------------------------------------------------


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_catalog", "--fixtures-only", *args, stdout=out)
    return out.getvalue()


def test_a_catalog_load_after_a_rename_updates_the_renamed_row_and_recreates_nothing(catalog, staff):
    gpu = Gpu.objects.get(slug="geforce-rtx-3090")
    llm = LlmModel.objects.get(slug="llama-3-1-70b-instruct")
    counts = {m: m.objects.count() for m in (Gpu, LlmModel, Price, Measurement)}
    prices, measurements = gpu.prices.count(), gpu.measurements.count()
    slugs.rename(gpu, "rtx-3090-24gb", reason="test", user=staff)
    slugs.rename(llm, "llama-31-70b-instruct", reason="test", user=staff)
    Gpu.objects.filter(pk=gpu.pk).update(bandwidth_gb_s=1.0)  # a field no editor changed, gone stale

    dry = load("--dry-run")
    assert "  > geforce-rtx-3090: renamed rtx-3090-24gb by an editor, loaded as rtx-3090-24gb" in dry
    assert "  + geforce-rtx-3090" not in dry
    out = load()
    assert "geforce-rtx-3090" not in out and "llama-3-1" not in out  # rows naming them found them

    assert {m: m.objects.count() for m in counts} == counts
    assert not Gpu.objects.filter(slug="geforce-rtx-3090").exists()
    assert not LlmModel.objects.filter(slug="llama-3-1-70b-instruct").exists()
    gpu.refresh_from_db()
    assert gpu.slug == "rtx-3090-24gb" and gpu.bandwidth_gb_s == 936.2  # upstream still fills the rest
    assert (gpu.prices.count(), gpu.measurements.count()) == (prices, measurements)
    assert not UpstreamChange.objects.filter(field="slug").exists()  # a rename is no upstream change
    again = [line for line in load().splitlines() if "created" in line]
    assert again and all(": 0 created" in line for line in again)  # and again: nothing to do


def test_with_renamed_reads_nothing_while_every_slug_is_current(django_assert_num_queries):
    llm = make_llm()
    with django_assert_num_queries(0):
        assert slugs.with_renamed(LlmModel, {llm.slug: llm}, [llm.slug]) == {llm.slug: llm}
    with django_assert_num_queries(1):  # an unknown slug: its former-slug lookup finds nothing
        assert slugs.with_renamed(LlmModel, {}, ["no-such-model"]) == {}
    with django_assert_num_queries(0):  # not a slug at all (a name typed in a picker): not looked up
        assert slugs.with_renamed(LlmModel, {}, ["Llama 3 70B", "a\x00b"]) == {}


@pytest.mark.django_db
def test_rows_by_current_slug_are_fresh_instances_of_the_catalog_as_it_is_now(django_assert_num_queries):
    """`slugs.current` serves the calculator's lookups from a table read once per catalog version: each
    call builds its own instances (a request never sees another's), equal to the rows, and an edit is
    seen at once."""
    gpu = make_gpu(slug="card-a", name="Card A")
    first = slugs.current(Gpu, ["card-a", "no-such-card"])
    with django_assert_num_queries(0):
        second = slugs.current(Gpu, ["card-a"])
    assert set(first) == {"card-a"} and first["card-a"] is not second["card-a"]
    assert first["card-a"] == gpu and first["card-a"].name == "Card A" and not first["card-a"]._state.adding
    first["card-a"].name = "Changed in one request"
    assert slugs.get(Gpu, "card-a").name == "Card A"
    gpu.name = "Card A, edited"
    gpu.save()  # the catalog version moves
    assert slugs.get(Gpu, "card-a").name == "Card A, edited"
    with pytest.raises(Gpu.DoesNotExist):
        slugs.get(Gpu, "no-such-card")


@pytest.mark.parametrize(
    ("typed", "current"),
    [
        (
            "/?model=Llama-3.1-70B-Instruct&quant=Q4_K_M&gpu=GeForce-RTX-3090&count=2",
            "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2",
        ),
        ("/models/Llama-3.1-70B-Instruct/", "/models/llama-3-1-70b-instruct/"),
        ("/gpus/GeForce-RTX-3090/", "/gpus/geforce-rtx-3090/"),
        ("/what-runs/?gpu=GeForce+RTX+3090", "/what-runs/?gpu=geforce-rtx-3090"),
        ("/what-hardware/?model=llama-3.1-70b-instruct", "/what-hardware/?model=llama-3-1-70b-instruct"),
        ("/choose/?model=Llama_3.1_70B_Instruct", "/choose/?model=llama-3-1-70b-instruct"),
    ],
)
def test_a_name_typed_as_people_write_it_redirects_to_its_slug(client, catalog, typed, current):
    """ "Llama-3.1-70B-Instruct" (the Hugging Face spelling), dots, capitals, spaces: the row whose slug
    it spells, by a 301 to the page at its current address, as a renamed slug is."""
    response = client.get(typed)
    assert (response.status_code, response["Location"]) == (301, current)
    assert client.get(current).status_code == 200


def test_the_api_answers_a_name_typed_as_people_write_it(client, catalog):
    typed = client.get("/api/v1/estimate?model=Llama-3.1-8B-Instruct&quant=Q4_K_M&gpu=GeForce-RTX-4090")
    slug = client.get("/api/v1/estimate?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090")
    assert typed.status_code == slug.status_code == 200
    assert typed.json() == slug.json()


def test_respelling_reads_nothing_and_never_reaches_a_catalog_load(django_assert_num_queries):
    llm = make_llm(slug="llama-3-1-8b")
    slugs.current(LlmModel, [])  # the table read once per catalog version
    with django_assert_num_queries(0):
        assert slugs.with_renamed(LlmModel, {}, ["Llama-3.1-8B"], respell=True) == {"Llama-3.1-8B": llm}
    with django_assert_num_queries(1):  # a catalog load's slug: the former-slug lookup alone
        assert slugs.with_renamed(LlmModel, {}, ["llama-3.1-8b", "Llama-3-1-8B"]) == {}
    assert slugs.spellings("Q4_K_M")[:2] == ("q4_k_m", "q4-k-m")
    assert slugs.spellings("FLUX.1 [dev]") == ("flux.1 [dev]", "flux-1-dev")
    assert slugs.spellings("Wan2.2-T2V-A14B", versioned=True)[-1] == "wan-2-2-t2v-a14b"
    assert "llama-3-1-70b" not in slugs.spellings("llama3.1:70b")  # Ollama's tag: the instruct model


def test_an_image_model_named_as_people_write_it_redirects_to_its_page(client, catalog):
    for typed, slug in (("FLUX.1-dev", "flux-1-dev"), ("Wan2.2-T2V-A14B", "wan-2-2-t2v-a14b")):
        response = client.get(f"/?model={typed}&gpu=geforce-rtx-4090")
        assert (response.status_code, response["Location"]) == (301, f"/?model={slug}&gpu=geforce-rtx-4090")
