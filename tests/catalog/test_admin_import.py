"""Admins add an LLM from a config.json, a GGUF header or a Hub repo id; non-staff cannot."""

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import byo
from catalog.models import LlmModel
from tests.catalog.fake_hub import fake_hub_fixture, ok  # noqa: F401
from tests.catalog.test_admin import change_form_data
from tests.catalog.test_byo import LLAMA_31_8B, MIXTRAL_8X7B, write_tiny_gguf

pytestmark = pytest.mark.django_db
URL = "/admin/catalog/llmmodel/import/"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-for-tests")
    client.force_login(user)
    return user


def test_the_model_list_offers_the_import(client, staff):
    assert (
        URL.removeprefix("/admin/catalog/llmmodel/")
        in client.get("/admin/catalog/llmmodel/").content.decode()
    )
    assert client.get(URL).status_code == 200


def review_and_save(client, response) -> None:
    """The editor's side of an import: the "Add LLM" form, filled, saved as it is."""
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert response["Location"].startswith("/admin/catalog/llmmodel/add/?")
    assert not LlmModel.objects.exists()  # nothing is saved before the editor saves the form
    saved = client.post(response["Location"], change_form_data(client, response["Location"]))
    assert saved.status_code == 302, saved.context["adminform"].form.errors


def test_a_pasted_config_becomes_a_model_with_history_by_the_admin(client, staff):
    response = client.post(URL, {"name": "Mixtral 8x7B (mine)", "config": json.dumps(MIXTRAL_8X7B)})
    review_and_save(client, response)
    model = LlmModel.objects.get(name="Mixtral 8x7B (mine)")
    assert model.num_experts == 8 and model.active_params_b == pytest.approx(12.9, rel=0.01)
    record = model.history.get()
    assert record.history_type == "+" and record.history_user == staff
    assert record.history_change_reason == "Imported from a pasted config.json"


def test_an_uploaded_gguf_header_is_read(client, staff, tmp_path):
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    upload = SimpleUploadedFile("tiny.gguf", Path(path).read_bytes()[:4096])
    review_and_save(client, client.post(URL, {"name": "Tiny GGUF", "file": upload}))
    assert (
        LlmModel.objects.get(name="Tiny GGUF").num_hidden_layers == byo.from_gguf(path)["num_hidden_layers"]
    )


def test_a_repo_id_goes_through_the_hub(client, staff, fake_hub):
    # the Hub cannot be reached here: a local fake gives its recorded answer
    fake_hub.routes[fake_hub.config_path("someone/Llama-3.1-8B-Copy")] = ok(json.dumps(LLAMA_31_8B).encode())
    review_and_save(client, client.post(URL, {"repo_id": "someone/Llama-3.1-8B-Copy"}))
    assert LlmModel.objects.get(hf_id="someone/Llama-3.1-8B-Copy").num_key_value_heads == 8


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"config": "{oops"}, "not valid JSON"),
        ({}, "exactly one of"),
        ({"config": json.dumps(LLAMA_31_8B), "repo_id": "a/b"}, "exactly one of"),
        ({"repo_id": "not a repo"}, "is not a Hugging Face repo id"),
    ],
)
def test_bad_input_is_shown_not_saved(client, staff, data, message):
    before = LlmModel.objects.count()
    response = client.post(URL, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert LlmModel.objects.count() == before


def test_a_taken_slug_is_refused_with_the_reason(client, staff):
    review_and_save(client, client.post(URL, {"name": "Twice", "config": json.dumps(LLAMA_31_8B)}))
    response = client.post(URL, {"name": "Twice", "config": json.dumps(LLAMA_31_8B)})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert LlmModel.objects.filter(name="Twice").count() == 1


def test_an_oversized_upload_is_refused(client, staff, monkeypatch):
    monkeypatch.setattr(byo, "MAX_UPLOAD_BYTES", 100)
    response = client.post(URL, {"file": SimpleUploadedFile("big.gguf", b"GGUF" + b"\0" * 500)})
    assert response.status_code == 200
    assert "upload at most" in response.content.decode()


def test_non_staff_cannot_import(client):
    user = get_user_model().objects.create_user("visitor", password="pw-for-tests")
    client.force_login(user)
    response = client.post(URL, {"config": json.dumps(LLAMA_31_8B)})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not LlmModel.objects.exists()
