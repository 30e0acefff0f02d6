"""Two editors (or two tabs) on one row: a save goes through only over the values its page was opened on;
otherwise it is refused with who changed what, the editor's own changes kept on the page."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from catalog.models import Gpu, Price
from tests.catalog.test_admin import change_form_data, form_data
from tests.conftest import make_gpu

pytestmark = pytest.mark.django_db
URL = "/admin/catalog/gpu/{}/change/"


def login(name: str) -> tuple[Client, object]:
    user = get_user_model().objects.create_superuser(name, f"{name}@example.com", "pw-for-tests")
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def two_editors():
    return login("anna"), login("ben")


def posted_back(response) -> dict:
    """The re-rendered form's values, as the browser would post them again."""
    return form_data(response.context["adminform"].form)


def refusal(response) -> str:
    assert response.status_code == 200, response.get("Location")
    return " ".join(response.context["adminform"].form.non_field_errors())


def test_a_stale_tab_is_refused_with_who_changed_what_and_keeps_its_own_change(two_editors):
    """The review's steps: A sets bandwidth, B (opened before) changes only TDP."""
    (a, anna), (b, _) = two_editors
    gpu = make_gpu(tdp_w=350)
    url = URL.format(gpu.pk)
    tab_a, tab_b = change_form_data(a, url), change_form_data(b, url)
    assert tab_a["opened_version"]
    assert a.post(url, tab_a | {"bandwidth_gb_s": "1008", "change_reason": "Spec sheet"}).status_code == 302

    response = b.post(url, tab_b | {"tdp_w": "450", "change_reason": "TDP test"})
    message = refusal(response)
    assert "This row was changed by anna at " in message and "(“Spec sheet”)" in message
    assert "Bandwidth (GB/s): 936.2 → 1008.0" in message
    assert "Nothing was saved" in message
    gpu.refresh_from_db()
    assert (gpu.bandwidth_gb_s, gpu.tdp_w, gpu.history.count()) == (1008, 350, 2)
    again = posted_back(response)
    assert (again["tdp_w"], again["bandwidth_gb_s"]) == ("450", "1008.0")  # B's change kept, A's shown
    assert again["change_reason"] == "TDP test"

    assert b.post(url, again).status_code == 302  # saved over the version the page now shows
    gpu.refresh_from_db()
    assert (gpu.bandwidth_gb_s, gpu.tdp_w) == (1008, 450)
    assert gpu.admin_edited_fields == ["bandwidth_gb_s", "tdp_w"]
    newest = gpu.history.first()
    delta = newest.diff_against(newest.prev_record)
    assert [c.field for c in delta.changes] == ["tdp_w"]  # "TDP test" changed TDP alone
    assert newest.history_change_reason == "TDP test"


def test_both_editors_changing_one_field_see_the_other_value_and_decide(two_editors):
    (a, _), (b, _) = two_editors
    gpu = make_gpu()
    url = URL.format(gpu.pk)
    tab_a, tab_b = change_form_data(a, url), change_form_data(b, url)
    a.post(url, tab_a | {"bandwidth_gb_s": "1008", "change_reason": "one"})
    response = b.post(url, tab_b | {"bandwidth_gb_s": "900", "change_reason": "two"})
    assert "Bandwidth (GB/s): 936.2 → 1008.0" in refusal(response)
    assert posted_back(response)["bandwidth_gb_s"] == "900"  # B's value, for B to confirm
    assert b.post(url, posted_back(response)).status_code == 302
    assert Gpu.objects.get().bandwidth_gb_s == 900


def test_a_save_with_no_change_since_is_not_refused(two_editors):
    (a, _), _ = two_editors
    gpu = make_gpu()
    url = URL.format(gpu.pk)
    data = change_form_data(a, url)
    assert a.post(url, data | {"bandwidth_gb_s": "1000", "change_reason": "one"}).status_code == 302
    data = change_form_data(a, url)  # the page after the save is at the new version
    assert a.post(url, data | {"tdp_w": "300", "change_reason": "two"}).status_code == 302
    gpu.refresh_from_db()
    assert (gpu.bandwidth_gb_s, gpu.tdp_w) == (1000, 300)


def test_a_revert_opened_before_another_save_is_refused_then_confirmed(two_editors):
    (a, _), (b, ben) = two_editors
    gpu = make_gpu()
    url = URL.format(gpu.pk)
    a.post(url, change_form_data(a, url) | {"bandwidth_gb_s": "1", "change_reason": "typo"})
    first = gpu.history.earliest()
    revert_url = f"/admin/catalog/gpu/{gpu.pk}/history/{first.history_id}/"
    revert = change_form_data(b, revert_url)
    a.post(url, change_form_data(a, url) | {"tdp_w": "400", "change_reason": "TDP from the spec sheet"})

    response = b.post(revert_url, revert)
    message = refusal(response)
    assert "TDP (W): (empty) → 400" in message and "save again to revert" in message
    gpu.refresh_from_db()
    assert (gpu.bandwidth_gb_s, gpu.tdp_w) == (1, 400)
    assert b.post(revert_url, posted_back(response)).status_code == 302  # the editor confirms
    gpu.refresh_from_db()
    assert (gpu.bandwidth_gb_s, gpu.tdp_w) == (936.2, None)
    assert gpu.history.first().history_user == ben


# Another editor's save of each table the admin edits: a text field changed through the ORM, as a save.
OTHER_EDIT = {
    "gpu": "source",
    "llmmodel": "notes",
    "quantization": "name",
    "kvcachetype": "name",
    "interconnect": "name",
    "runtime": "name",
    "rampreset": "name",
    "diffusionmodel": "name",
    "measurement": "notes",
    "price": "note",
    "artifact": "note",
}


@pytest.mark.parametrize("model", sorted(OTHER_EDIT))
def test_every_catalog_table_refuses_a_save_over_a_change_it_did_not_see(two_editors, catalog, model):
    (a, _), (b, ben) = two_editors
    row = apps.get_model("catalog", model).objects.order_by("pk").first()
    url = f"/admin/catalog/{model}/{row.pk}/change/"
    stale = change_form_data(a, url)
    field = OTHER_EDIT[model]
    setattr(row, field, f"{getattr(row, field)} (edited)")
    row._change_reason = "another editor"
    row._history_user = ben
    row.save()

    message = refusal(a.post(url, stale | {"change_reason": "mine"}))
    assert "This row was changed by ben at " in message and "(edited)" in message
    row.refresh_from_db()
    assert getattr(row, field).endswith(" (edited)")


def test_the_gpu_list_has_no_ticks_to_post_back_from_a_stale_page(client):
    """Listing and unlisting are the actions, with a reason, on the rows as saved."""
    login_client, _ = login("carl")
    make_gpu()
    html = login_client.get("/admin/catalog/gpu/").content.decode()
    assert 'name="form-0-listed"' not in html
    assert "List the selected rows" in html


def test_a_changed_foreign_key_is_named_by_its_row(two_editors, catalog):
    (a, _), (b, ben) = two_editors
    price = Price.objects.order_by("pk").first()
    other = Gpu.objects.exclude(pk=price.gpu_id).order_by("pk").first()
    url = f"/admin/catalog/price/{price.pk}/change/"
    stale = change_form_data(a, url)
    was = price.gpu
    price.gpu, price._history_user = other, ben
    price.save()
    message = refusal(a.post(url, stale | {"change_reason": "mine"}))
    assert f"GPU: {was.name} → {other.name}" in message
