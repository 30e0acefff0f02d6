"""Editing one row in the admin: sizes in the unit they are labelled with, errors beside their field, a
reason with every change, versions compared, the effect of the saved values, fixed slugs."""

import datetime
import json
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from catalog import admin_import, admin_preview
from catalog.models import Gpu, Interconnect, LlmModel, Quantization, RamPreset, Runtime
from estimator.units import format_rate
from tests.catalog.fake_hub import fake_hub_fixture, silent  # noqa: F401
from tests.catalog.test_admin import change_form_data
from tests.catalog.test_byo import LLAMA_31_8B
from tests.conftest import GIB, make_gpu, make_llm, make_quant

pytestmark = pytest.mark.django_db
REASON = "Spec sheet, nvidia.com, 2025-01-30"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-for-tests")
    client.force_login(user)
    return user


def errors(response) -> dict:
    return response.context["adminform"].form.errors


def new_gpu_data(**overrides) -> dict:
    return {
        "slug": "geforce-rtx-5090",
        "name": "GeForce RTX 5090",
        "vendor": "nvidia",
        "form_factor": "desktop",
        "memory_bytes": "32",
        "bandwidth_gb_s": "1792",
        "gpu_memory_fraction": "1.0",
        "backends": "[]",
        "admin_edited_fields": "[]",
        "change_reason": REASON,
    } | overrides


# ---- sizes in the unit of their label ----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("32", 32 * GIB),  # the label says GiB: a "32 GB" card
        ("32 GiB", 32 * GIB),
        ("80 GB", 80 * 10**9),
        ("15.9921875", 16376 * 2**20),
        ("512 mib", 512 * 2**20),
        ("25769803776 bytes", 24 * GIB),
    ],
)
def test_memory_is_typed_in_gib_or_with_its_unit_and_stored_in_bytes(client, staff, typed, stored):
    response = client.post("/admin/catalog/gpu/add/", new_gpu_data(memory_bytes=typed))
    assert response.status_code == 302, errors(response)
    assert Gpu.objects.get().memory_bytes == stored


def test_the_change_page_shows_gib_with_the_bytes_beside_it(client, staff):
    gpu = make_gpu(memory_bytes=24 * GIB)
    html = client.get(f"/admin/catalog/gpu/{gpu.pk}/change/").content.decode()
    assert 'name="memory_bytes" value="24"' in html
    assert "Memory (GiB)" in html
    assert "= 25,769,803,776 bytes (24 GiB, 25.77 GB)" in html


def test_a_size_given_in_gb_is_shown_in_gb(client, staff):
    gpu = make_gpu(memory_bytes=80 * 10**9)
    html = client.get(f"/admin/catalog/gpu/{gpu.pk}/change/").content.decode()
    assert 'name="memory_bytes" value="80 GB"' in html


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("32 parsecs", "is not a size"),
        ("lots", "is not a size"),
        ("2000000", "At most 1,048,576 GiB"),
        ("0", "greater than 0"),
    ],
)
def test_a_bad_size_is_refused_beside_the_field(client, staff, typed, message):
    response = client.post("/admin/catalog/gpu/add/", new_gpu_data(memory_bytes=typed))
    assert response.status_code == 200
    assert message in " ".join(errors(response)["memory_bytes"])
    assert not Gpu.objects.exists()


def test_a_runtime_shows_the_memory_per_gpu_the_engine_adds(client, staff, catalog):
    """Not columns: how the engine runs it and its own figure per backend (estimator/memory.py
    `overhead_bytes`)."""
    shown = {
        slug: client.get(
            f"/admin/catalog/runtime/{Runtime.objects.get(slug=slug).pk}/change/"
        ).content.decode()
        for slug in ("llama-cpp", "vllm", "mlx", "exllamav2", "lm-studio")
    }
    assert "300 MiB on cuda, rocm, vulkan, sycl; none on metal, cpu" in shown["llama-cpp"]
    assert "300 MiB (500 MiB on several GPUs) on cuda, rocm" in shown["vllm"]
    assert "none on metal" in shown["mlx"]
    assert "Not modelled" in shown["exllamav2"]
    assert "llama.cpp; mlx formats: mlx" in shown["lm-studio"]  # its llama.cpp and MLX engines
    sglang = client.get(f"/admin/catalog/runtime/{Runtime.objects.get(slug='sglang').pk}/change/")
    assert "300 MiB (500 MiB on several GPUs) on cuda, rocm" in sglang.content.decode()  # run as vLLM
    assert "300 MiB (500 MiB on several GPUs)" in client.get("/admin/catalog/runtime/").content.decode()


# ---- constraint errors beside their field ---------------------------------------------------------


def test_a_violated_check_constraint_is_reported_beside_its_field(client, staff, catalog):
    preset = RamPreset.objects.order_by("pk").first()
    url = f"/admin/catalog/rampreset/{preset.pk}/change/"
    response = client.post(
        url, change_form_data(client, url) | {"bandwidth_gb_s": "-5", "change_reason": REASON}
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["bandwidth_gb_s"]  # the models' validate_constraints puts it here
    assert not form.non_field_errors()


def test_a_constraint_with_a_null_alternative_is_reported_beside_its_field(client, staff, catalog):
    link = Interconnect.objects.order_by("pk").first()
    url = f"/admin/catalog/interconnect/{link.pk}/change/"
    response = client.post(url, change_form_data(client, url) | {"latency_us": "-1", "change_reason": REASON})
    assert response.status_code == 200
    assert errors(response)["latency_us"]
    assert not response.context["adminform"].form.non_field_errors()


# ---- the list ------------------------------------------------------------------------------------------


def test_memory_ranges_include_their_upper_bound_and_do_not_overlap(client, staff):
    for gib in (12, 16, 24, 32, 48):
        make_gpu(slug=f"card-{gib}", name=f"Card {gib}", memory_bytes=gib * GIB)

    def slugs(key):
        response = client.get(f"/admin/catalog/gpu/?memory={key}")
        return sorted(g.slug for g in response.context["cl"].result_list)

    assert slugs("le16") == ["card-12", "card-16"]
    assert slugs("16-32") == ["card-24", "card-32"]
    assert slugs("32-64") == ["card-48"]
    html = client.get("/admin/catalog/gpu/").content.decode()
    assert "Over 16, up to 32 GiB" in html and "Up to 16 GiB" in html


def test_gpu_list_starts_with_the_newest_and_shows_memory_price_and_last_change(client, staff):
    make_gpu(slug="old", name="3D Rage", release_date=datetime.date(1996, 1, 1), memory_bytes=2**20)
    make_gpu(slug="undated", name="Undated")
    make_gpu(slug="new", name="New", release_date=datetime.date(2025, 1, 30))
    response = client.get("/admin/catalog/gpu/")
    assert [g.slug for g in response.context["cl"].result_list] == ["new", "old", "undated"]
    html = response.content.decode()
    for header in ("Release date", "Memory", "Bandwidth", "Price (USD)", "Last changed"):
        assert header in html
    assert "1 MiB" in html and "24.0 GiB" in html  # not 0.0009765625
    assert "0.000" not in html


# ---- a reason with every change; history; versions compared ---------------------------------------


def test_an_edit_needs_a_reason_and_the_history_shows_it(client, staff):
    gpu = make_gpu()
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    data = change_form_data(client, url) | {"bandwidth_gb_s": "900"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "This field is required." in errors(response)["change_reason"]
    response = client.post(url, data | {"change_reason": REASON})
    assert response.status_code == 302
    record = gpu.history.first()
    assert (record.history_change_reason, record.history_user, record.bandwidth_gb_s) == (REASON, staff, 900)
    html = client.get(f"/admin/catalog/gpu/{gpu.pk}/history/").content.decode()
    assert REASON in html
    gpu.refresh_from_db()
    assert gpu.admin_edited_fields == ["bandwidth_gb_s"]


def test_the_revert_page_offers_a_reason_and_reverting_records_it(client, staff):
    gpu = make_gpu(bandwidth_gb_s=936.2)
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    client.post(url, change_form_data(client, url) | {"bandwidth_gb_s": "1", "change_reason": "typo"})
    first = gpu.history.earliest()
    revert_url = f"/admin/catalog/gpu/{gpu.pk}/history/{first.history_id}/"
    data = change_form_data(client, revert_url)
    assert data["change_reason"].startswith("Revert to the version of ")
    assert client.post(revert_url, data).status_code == 302
    gpu.refresh_from_db()
    assert gpu.bandwidth_gb_s == 936.2
    assert gpu.history.first().history_change_reason.startswith("Revert to the version of ")


def test_two_versions_are_compared_field_by_field(client, staff):
    gpu = make_gpu(bandwidth_gb_s=936.2, tdp_w=350)
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    client.post(url, change_form_data(client, url) | {"bandwidth_gb_s": "900", "change_reason": "one"})
    client.post(url, change_form_data(client, url) | {"tdp_w": "370", "change_reason": "two"})
    first, last = gpu.history.earliest(), gpu.history.latest()
    history = client.get(f"/admin/catalog/gpu/{gpu.pk}/history/").content.decode()
    assert "Compare selected versions" in history and 'name="old"' in history
    response = client.get(f"/admin/catalog/gpu/{gpu.pk}/history/compare/?old={first.pk}&new={last.pk}")
    assert response.status_code == 200
    changed = {c["name"]: (c["old"], c["new"]) for c in response.context["changes"]}
    assert changed["bandwidth_gb_s"] == (936.2, 900.0)
    assert changed["tdp_w"] == (350, 370)
    assert "two" in response.content.decode()


def test_each_cell_of_the_history_says_its_column_for_a_narrow_screen(client, staff):
    # admin-catalog.css stacks a version's cells on a phone, each after its column's name (data-label)
    gpu = make_gpu(tdp_w=350)
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    client.post(url, change_form_data(client, url) | {"tdp_w": "370", "change_reason": REASON})
    table = re.search(
        r'<table id="change-history".*?</table>',
        client.get(f"/admin/catalog/gpu/{gpu.pk}/history/").text,
        re.S,
    ).group(0)
    columns = re.findall(r'<th scope="col">([^<]*)</th>', table)
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    assert len(rows) == 2
    for cells in rows:
        assert re.findall(r'<td(?: class="pick")? data-label="([^"]*)"', cells) == columns
        assert cells.count("<td") == len(columns)
    # nothing changed in the first version: its Changes cell is empty, which a phone leaves out
    assert re.search(r'data-label="Changes"></td>', rows[1])


@pytest.mark.parametrize("query", ["", "?old=x&new=1", "?old=99999&new=99999"])
def test_comparing_with_bad_versions_is_not_an_error_page(client, staff, query):
    gpu = make_gpu()
    response = client.get(f"/admin/catalog/gpu/{gpu.pk}/history/compare/{query}")
    assert response.status_code in (200, 404)


def test_list_and_unlist_actions_need_a_reason_and_write_history(client, staff):
    a = make_gpu(slug="a", name="A", listed=False)
    b = make_gpu(slug="b", name="B", listed=False)
    post = {"action": "list_selected", "_selected_action": [a.pk, b.pk], "index": 0}
    client.post("/admin/catalog/gpu/", post)
    assert not Gpu.objects.filter(listed=True).exists()  # no reason: nothing changed
    client.post("/admin/catalog/gpu/", post | {"change_reason": "For the launch"})
    assert set(Gpu.objects.filter(listed=True).values_list("slug", flat=True)) == {"a", "b"}
    assert a.history.first().history_change_reason == "For the launch"
    client.post("/admin/catalog/gpu/", post | {"action": "unlist_selected", "change_reason": "Retired"})
    assert not Gpu.objects.filter(listed=True).exists()


# ---- slugs, view on site, save as new ---------------------------------------------------------------


def test_a_slug_is_fixed_once_the_row_exists(client, staff):
    gpu = make_gpu()
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    response = client.post(url, change_form_data(client, url) | {"slug": "renamed", "change_reason": REASON})
    assert response.status_code == 302
    gpu.refresh_from_db()
    assert gpu.slug == "geforce-rtx-3090"
    assert client.get("/admin/catalog/gpu/add/").context["adminform"].form.fields["slug"].disabled is False


def test_change_pages_link_to_the_public_page(client, staff):
    gpu, llm = make_gpu(), make_llm()
    assert (
        'href="/gpus/geforce-rtx-3090/"'
        in client.get(f"/admin/catalog/gpu/{gpu.pk}/change/").content.decode()
    )
    html = client.get(f"/admin/catalog/llmmodel/{llm.pk}/change/").content.decode()
    assert 'href="/models/llama-3-1-8b-instruct/"' in html


def test_save_as_new_makes_a_variant(client, staff):
    gpu = make_gpu()
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    data = change_form_data(client, url) | {"change_reason": "The 48 GB variant", "_saveasnew": "Save as new"}
    data |= {"name": "GeForce RTX 3090 48 GB", "memory_bytes": "48"}
    response = client.post(url, data)
    assert response.status_code == 200  # the slug of the new row is asked for
    assert "slug" in errors(response)
    response = client.post(url, data | {"slug": "geforce-rtx-3090-48-gb"})
    assert response.status_code == 302, errors(response)
    variant = Gpu.objects.get(slug="geforce-rtx-3090-48-gb")
    assert variant.memory_bytes == 48 * GIB and variant.bandwidth_gb_s == gpu.bandwidth_gb_s
    assert variant.history.get().history_change_reason == "The 48 GB variant"


# ---- the effect of the saved values ------------------------------------------------------------------


def test_gpu_change_page_previews_three_models_at_q4_k_m(client, staff, catalog):
    gpu = Gpu.objects.get(slug="geforce-rtx-4090")
    html = client.get(f"/admin/catalog/gpu/{gpu.pk}/change/").content.decode()
    assert "On the site, with the saved values" in html
    assert "Llama 3.1 8B (Instruct) Q4_K_M</a>: fits" in html
    assert "Llama 3.1 70B (Instruct) Q4_K_M</a>: does not fit" in html
    assert "/?model=llama-3-1-8b-instruct&amp;quant=q4_k_m&amp;gpu=geforce-rtx-4090" in html


def test_model_change_page_previews_three_gpus(client, staff, catalog):
    llm = LlmModel.objects.get(slug="llama-3-1-70b-instruct")
    html = client.get(f"/admin/catalog/llmmodel/{llm.pk}/change/").content.decode()
    assert "One GeForce RTX 3060 12 GB, Q4_K_M</a>: does not fit" in html
    assert "One H100 SXM5 80 GB, Q4_K_M</a>: fits" in html


def test_the_preview_says_what_it_lacks(client, staff):
    make_quant()
    gpu = make_gpu()
    html = client.get(f"/admin/catalog/gpu/{gpu.pk}/change/").content.decode()
    assert "None of llama-3-1-8b-instruct" in html


def test_the_preview_speed_is_the_calculators(client, staff, catalog):
    gpu = Gpu.objects.get(slug="geforce-rtx-4090")
    html = client.get(f"/admin/catalog/gpu/{gpu.pk}/change/").content.decode()
    calculator = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090")
    speed = calculator.context["result"].recommended_plan.decode_tok_s
    assert f"fits, ~{format_rate(speed)} tok/s" in html


# ---- "Preview": the posted values' answers, before saving --------------------------------------------


def preview_items(html: str) -> list[str]:
    start = html.index('id="estimates"')
    return re.findall(r"<li>(.*?)</li>", html[start : html.index("</ul>", start)])


def test_a_preview_of_a_change_shows_each_answer_before_and_after_and_saves_nothing(client, staff, catalog):
    gpu = Gpu.objects.get(slug="geforce-rtx-4090")
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    saved = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090")
    before = format_rate(saved.context["result"].recommended_plan.decode_tok_s)
    records, bandwidth = gpu.history.count(), gpu.bandwidth_gb_s
    data = change_form_data(client, url) | {"bandwidth_gb_s": "10080", "change_reason": "", "_preview": "1"}
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "On the site: the saved values → yours (not saved)" in html
    items = preview_items(html)
    assert len(items) == 3  # bounded: three models at one format
    assert f"Llama 3.1 8B (Instruct) Q4_K_M</a>: fits, ~{before} tok/s → <strong>fits, ~" in items[0]
    assert items[2].endswith("does not fit (unchanged)")  # 70B at Q4 on 24 GiB, whatever the bandwidth
    assert response.context["adminform"].form["bandwidth_gb_s"].value() == "10080"  # the input kept
    assert not response.context["adminform"].form.errors  # no reason needed to preview
    gpu.refresh_from_db()
    assert (gpu.bandwidth_gb_s, gpu.history.count(), gpu.admin_edited_fields) == (bandwidth, records, [])
    saving = {k: v for k, v in data.items() if k != "_preview"}
    assert "This field is required." in errors(client.post(url, saving))["change_reason"]


def test_a_preview_speed_is_the_calculators_for_the_typed_values(client, staff, catalog):
    gpu = Gpu.objects.get(slug="geforce-rtx-4090")
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    data = change_form_data(client, url) | {"bandwidth_gb_s": "2016", "_preview": "1"}
    html = client.post(url, data).content.decode()
    gpu.bandwidth_gb_s = 2016  # what the preview should have computed, unsaved
    (llama,) = LlmModel.objects.filter(slug="llama-3-1-8b-instruct")
    quant = Quantization.objects.get(slug="q4_k_m")
    expected = admin_preview.answer(llama, gpu, quant, "x").text
    assert f"→ <strong>{expected}</strong>" in preview_items(html)[0]


def test_a_new_gpu_is_previewed_before_it_exists(client, staff, catalog):
    data = new_gpu_data(slug="my-card", name="My card", bandwidth_gb_s="1000", change_reason="")
    html = client.get("/admin/catalog/gpu/add/").content.decode()
    assert "Press Preview (beside Save)" in html and 'name="_preview"' in html
    response = client.post("/admin/catalog/gpu/add/", data | {"_preview": "1"})
    assert response.status_code == 200
    items = preview_items(response.content.decode())
    assert len(items) == 3 and items[0].startswith("Llama 3.1 8B (Instruct) Q4_K_M: <strong>fits")
    assert not Gpu.objects.filter(slug="my-card").exists()


def test_a_model_is_previewed_on_three_gpus(client, staff, catalog):
    llm = LlmModel.objects.get(slug="llama-3-1-70b-instruct")
    url = f"/admin/catalog/llmmodel/{llm.pk}/change/"
    data = change_form_data(client, url) | {
        "total_params_b": "7.06",
        "active_params_b": "",
        "num_hidden_layers": "8",
        "_preview": "1",
    }
    items = preview_items(client.post(url, data).content.decode())
    assert "One GeForce RTX 3060 12 GB, Q4_K_M</a>: does not fit → <strong>fits" in items[0]
    llm.refresh_from_db()
    assert llm.num_hidden_layers == 80


def test_a_preview_of_invalid_values_shows_the_errors(client, staff, catalog):
    gpu = Gpu.objects.get(slug="geforce-rtx-4090")
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    response = client.post(url, change_form_data(client, url) | {"bandwidth_gb_s": "-1", "_preview": "1"})
    assert errors(response)["bandwidth_gb_s"]
    assert "Correct the errors above, then press Preview again." in response.content.decode()


def test_only_tables_with_answers_offer_a_preview(client, staff, catalog):
    assert 'name="_preview"' in client.get("/admin/catalog/llmmodel/add/").content.decode()
    assert 'name="_preview"' not in client.get("/admin/catalog/rampreset/add/").content.decode()


# ---- import from config.json / the Hub: nothing saved before review -----------------------------------


def test_an_import_opens_the_filled_add_form_and_saves_nothing(client, staff):
    response = client.post(
        "/admin/catalog/llmmodel/import/", {"name": "Llama mine", "config": json.dumps(LLAMA_31_8B)}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/catalog/llmmodel/add/?")
    assert not LlmModel.objects.exists()
    form = client.get(response["Location"]).context["adminform"].form
    assert form["name"].value() == "Llama mine"
    assert int(form["num_key_value_heads"].value()) == 8
    assert form["change_reason"].value() == "Imported from a pasted config.json"


def test_a_silent_hub_is_given_up_after_the_timeout(client, staff, monkeypatch, fake_hub):
    fake_hub.routes[fake_hub.config_path("meta-llama/Llama-3.1-8B")] = silent()
    monkeypatch.setattr(admin_import, "HUB_TIMEOUT_S", 0.2)
    response = client.post("/admin/catalog/llmmodel/import/", {"repo_id": "meta-llama/Llama-3.1-8B"})
    assert response.status_code == 200
    assert "did not answer within 0.2 s" in response.content.decode()
    assert not LlmModel.objects.exists()


@pytest.mark.parametrize(
    "model",
    [
        "gpu",
        "llmmodel",
        "quantization",
        "kvcachetype",
        "interconnect",
        "runtime",
        "rampreset",
        "diffusionmodel",
        "measurement",
        "price",
    ],
)
def test_every_catalog_table_has_add_change_and_history_pages_that_ask_why(client, staff, catalog, model):
    row = apps.get_model("catalog", model).objects.order_by("pk").first()
    for url in (f"/admin/catalog/{model}/add/", f"/admin/catalog/{model}/{row.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'name="change_reason"' in response.content.decode()
    assert "Fields an editor changed" in response.content.decode()  # what loads leave alone, shown
    assert client.get(f"/admin/catalog/{model}/{row.pk}/history/").status_code == 200
