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


def test_a_non_numeric_related_id_is_a_message_not_a_500(client, editor):
    price = Price.objects.create(gpu=make_gpu(), amount="699", source_url="https://example.com/p")
    errors = post(client, f"/admin/catalog/price/{price.pk}/change/", {"gpu": "null"})
    assert errors["gpu"]
