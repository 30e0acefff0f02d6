"""Admin posts that answered 500 in bench/fuzz_requests.py (issue 12): each is a message on the form."""

import pytest
from django.contrib.auth import get_user_model

from catalog.models import Price, Runtime
from tests.catalog.test_admin import change_form_data
from tests.conftest import make_gpu

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    client.force_login(get_user_model().objects.create_superuser("ed", "ed@example.com", "pw-for-tests"))


@pytest.fixture
def runtime(db):
    return Runtime.objects.create(
        slug="llama-cpp", name="llama.cpp", backends=["cuda"], formats={"cuda": ["gguf"]}, source="test"
    )


def post(client, url, changes):
    data = change_form_data(client, url) | changes | {"change_reason": "fuzz"}
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the reason: not a 500, not saved
    return response.context["adminform"].form.errors


@pytest.mark.parametrize(
    ("value", "message"),
    [("-Infinity", "NaN and Infinity"), ('{"cuda": [' + "9" * 4337 + "]}", "too long")],
    ids=["infinity", "4337-digit integer"],
)
def test_json_the_database_cannot_store_is_refused_next_to_the_field(client, editor, runtime, value, message):
    errors = post(client, f"/admin/catalog/runtime/{runtime.pk}/change/", {"formats": value})
    assert message in " ".join(errors["formats"])


def test_backends_that_are_not_a_list_are_refused(client, editor, runtime):
    errors = post(client, f"/admin/catalog/runtime/{runtime.pk}/change/", {"backends": "7"})
    assert "A list of backends" in " ".join(errors["backends"])


def test_kv_cache_types_that_are_not_a_list_of_names_are_refused(client, editor, runtime):
    """The 20,000-request fuzz run saved a number here, and then every page that reads the runtime
    table answered 500."""
    errors = post(client, f"/admin/catalog/runtime/{runtime.pk}/change/", {"kv_cache_types": "5"})
    assert "A list of KV cache type slugs" in " ".join(errors["kv_cache_types"])


def test_a_runtime_row_written_around_the_admin_is_left_out_and_the_pages_answer(client, catalog, caplog):
    Runtime.objects.filter(slug="vllm").update(kv_cache_types=5)  # no clean(): as a bad import would
    for url in [
        "/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090",
        "/what-hardware/",
        "/api/v1/estimate?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090",
    ]:
        assert client.get(url).status_code == 200, url
    assert "Runtime 'vllm' left out of the runtime table" in caplog.text


# "²" and "١" are digits to str.isdigit() (bench/fuzz_requests.py seed 20 posted "²" to an artifact's model);
# a 20-digit id is past PostgreSQL's bigint.
@pytest.mark.parametrize(
    "value", ["null", "²", "١٢", "9" * 20], ids=["null", "superscript", "arabic", "20 digits"]
)
def test_a_non_numeric_related_id_is_a_message_not_a_500(client, editor, value):
    price = Price.objects.create(gpu=make_gpu(), amount="699", source_url="https://example.com/p")
    errors = post(client, f"/admin/catalog/price/{price.pk}/change/", {"gpu": value})
    assert errors["gpu"]


@pytest.mark.parametrize("model_admin", ["catalog.Price", "community.VisitorMeasurement"])
def test_every_autocomplete_ignores_an_id_that_is_no_number(rf, model_admin):
    """bench/fuzz_requests.py seed 65 posted " " to a visitor measurement's GPU: its admin, not a catalog table's,
    re-rendered the form through Django's AutocompleteSelect, which filtered the GPUs by " " (a 500)."""
    from django.apps import apps
    from django.contrib import admin as django_admin

    from catalog.admin_editing import NumericAutocompleteSelect

    model = apps.get_model(model_admin)
    found = django_admin.site._registry[model]
    request = rf.get("/")
    field = found.formfield_for_foreignkey(model._meta.get_field("gpu"), request)
    widget = getattr(field.widget, "widget", field.widget)
    assert type(widget) is NumericAutocompleteSelect
    assert widget.optgroups("gpu", [" ", "²"]) == [(None, [], 0)]  # no query with either: no option
