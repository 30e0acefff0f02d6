import pytest
from django.contrib.auth import get_user_model

from catalog.models import (
    DiffusionModel,
    Gpu,
    Interconnect,
    KvCacheType,
    LlmModel,
    Quantization,
    RamPreset,
    Runtime,
)
from tests.conftest import make_gpu

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-for-tests")
    client.force_login(user)
    return user


def change_form_data(client, url) -> dict:
    """The change form's current values, as the browser would post them back."""
    return form_data(client.get(url).context["adminform"].form)


def form_data(form) -> dict:
    """A form's values as shown (the posted ones, if it was posted), as the browser would post them."""
    data = {}
    for bound in form:
        value = bound.value()  # already prepared: JSON as text, dates as shown
        if isinstance(value, bool):
            if value:
                data[bound.name] = "on"
        else:
            data[bound.name] = "" if value is None else value
    return data


def test_admin_edit_records_who_changed_what_and_protects_the_field_from_imports(client, staff):
    gpu = make_gpu()
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    data = change_form_data(client, url) | {"bandwidth_gb_s": "900.0", "change_reason": "Spec sheet"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    gpu.refresh_from_db()
    assert gpu.bandwidth_gb_s == 900.0
    assert gpu.admin_edited_fields == ["bandwidth_gb_s"]
    latest = gpu.history.first()
    assert latest.history_user == staff
    assert latest.history_type == "~"
    assert latest.bandwidth_gb_s == 900.0


def test_a_field_typed_back_to_its_loaded_value_follows_the_loads_again(client, staff):
    """A review: 936.2 → 468 → 936.2 kept the bandwidth pinned for good, so a later correction from
    upstream would have been skipped silently. Another field edited in between stays pinned."""
    gpu = make_gpu(bandwidth_gb_s=936.2, tdp_w=350)
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    client.post(
        url, change_form_data(client, url) | {"bandwidth_gb_s": "468", "tdp_w": "351", "change_reason": "x"}
    )
    gpu.refresh_from_db()
    assert gpu.admin_edited_fields == ["bandwidth_gb_s", "tdp_w"]
    client.post(url, change_form_data(client, url) | {"bandwidth_gb_s": "936.2", "change_reason": "Undo"})
    gpu.refresh_from_db()
    assert gpu.bandwidth_gb_s == 936.2 and gpu.admin_edited_fields == ["tdp_w"]


def test_an_editor_types_the_memory_the_driver_reports_in_mib(client, staff):
    gpu = make_gpu()  # 24 GiB
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    data = change_form_data(client, url) | {"visible_memory_bytes": "23034", "change_reason": "nvidia-smi"}
    assert client.post(url, data).status_code == 302
    gpu.refresh_from_db()
    assert gpu.visible_memory_bytes == 23034 * 2**20 and gpu.as_spec().memory_bytes == 23034 * 2**20
    too_much = data | {"visible_memory_bytes": "30000"}  # more than the card's 24 GiB
    form = client.post(url, too_much).context["adminform"].form
    assert "at most the memory" in str(form.errors)


def test_reverting_a_history_entry_restores_the_old_value(client, staff):
    gpu = make_gpu(bandwidth_gb_s=936.2)
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    client.post(url, change_form_data(client, url) | {"bandwidth_gb_s": "1.0", "change_reason": "Typo"})
    original = gpu.history.earliest()
    revert_url = f"/admin/catalog/gpu/{gpu.pk}/history/{original.history_id}/"
    response = client.post(revert_url, change_form_data(client, revert_url))
    assert response.status_code == 302
    gpu.refresh_from_db()
    assert gpu.bandwidth_gb_s == 936.2
    assert gpu.history.count() == 3  # created, edited, reverted
    assert gpu.history.first().history_user == staff


def test_history_page_lists_the_change(client, staff):
    gpu = make_gpu()
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    client.post(url, change_form_data(client, url) | {"tdp_w": "370", "change_reason": "Spec sheet"})
    page = client.get(f"/admin/catalog/gpu/{gpu.pk}/history/")
    assert page.status_code == 200
    assert "editor" in page.content.decode()


@pytest.mark.parametrize("staff_flag", [False, None])
def test_non_staff_get_no_admin_access(client, staff_flag):
    if staff_flag is not None:
        user = get_user_model().objects.create_user("visitor", password="pw-for-tests", is_staff=staff_flag)
        client.force_login(user)
    for url in ("/admin/", "/admin/catalog/gpu/", f"/admin/catalog/gpu/{make_gpu().pk}/history/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("model", "query"),
    [
        (Gpu, "?vendor__exact=nvidia&memory=16-32&listed__exact=1&q=rtx"),
        (LlmModel, "?params=40-100&listed__exact=1"),
        (Quantization, "?family__exact=gguf"),
        (KvCacheType, "?listed__exact=1"),
        (Interconnect, "?kind__exact=nvlink"),
        (Runtime, "?q=llama"),
        (RamPreset, "?memory_type__exact=ddr5"),
        (DiffusionModel, "?kind__exact=video"),
    ],
)
def test_every_catalog_table_has_a_filtered_admin_list(client, staff, catalog, model, query):
    response = client.get(f"/admin/catalog/{model._meta.model_name}/{query}")
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
