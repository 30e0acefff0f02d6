"""'Use my own model': a pasted config.json or an uploaded config.json / GGUF header, never saved."""

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import byo
from catalog.models import LlmModel
from tests.catalog.test_byo import LLAMA_31_8B, MIXTRAL_8X7B, write_tiny_gguf

pytestmark = pytest.mark.django_db

HARDWARE = {"quant": "q4_k_m", "gpu": "geforce-rtx-3090", "ctx": "8192"}


def ask(client, **params):
    return client.get("/?" + urlencode({**HARDWARE, **params}))


def test_a_pasted_config_json_is_sized_like_the_catalog_model(client, catalog):
    own = ask(client, config=json.dumps({**LLAMA_31_8B, "_name_or_path": "me/my-llama"}))
    listed = ask(client, model="llama-3-1-8b-instruct")
    assert own.status_code == 200
    mine, theirs = own.context["result"].memory, listed.context["result"].memory
    assert mine.kv_cache_bytes == theirs.kv_cache_bytes
    assert mine.weights_bytes == pytest.approx(theirs.weights_bytes, rel=1e-4)  # parameters counted from dims
    html = own.content.decode()
    assert 'data-testid="own-model"' in html and "my-llama" in html
    assert LlmModel.objects.filter(name__icontains="my-llama").count() == 0  # nothing saved


def test_the_permalink_carries_a_compact_config_and_reproduces_the_result(client, catalog):
    pasted = json.dumps(
        {**MIXTRAL_8X7B, "rope_theta": 1e6, "architectures": ["MixtralForCausalLM"]}, indent=2
    )
    first = ask(client, config=pasted)
    permalink = first.context["permalink"]
    query = parse_qs(urlsplit(permalink).query)
    assert "model" not in query
    compact = query["config"][0]
    assert len(compact) < len(pasted) and "rope_theta" not in compact and " " not in compact
    again = client.get(permalink)
    assert again.context["result"] == first.context["result"]
    assert again.context["permalink"] == permalink


def test_the_config_wins_over_the_picked_model_and_the_page_offers_the_way_back(client, catalog):
    response = ask(client, model="llama-3-1-70b-instruct", config=json.dumps(LLAMA_31_8B))
    assert response.context["result"].model == response.context["form"].cleaned_data["model"].slug
    assert response.context["form"].cleaned_data["model"].num_hidden_layers == 32
    back = response.context["without_config"]
    assert "config" not in parse_qs(urlsplit(back).query)
    assert parse_qs(urlsplit(back).query)["model"] == ["llama-3-1-70b-instruct"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"hidden_size": 4096}), "num_hidden_layers"),
        (json.dumps({**LLAMA_31_8B, "num_hidden_layers": 0}), "num_hidden_layers"),
    ],
)
def test_a_malformed_config_gets_a_message_next_to_the_field_and_keeps_the_text(
    client, catalog, config, message
):
    response = ask(client, config=config)
    assert response.status_code == 200
    errors = response.context["form"].errors["config"]
    assert message in " ".join(errors)
    html = response.content.decode()
    assert 'id="error-config"' in html and message.split()[0] in html
    assert response.context["form"].data["config"] == config  # what was pasted is still there


def test_the_api_takes_the_same_config_and_refuses_a_bad_one_with_400(client, catalog):
    ok = client.get("/api/v1/estimate?" + urlencode({**HARDWARE, "config": json.dumps(LLAMA_31_8B)}))
    assert ok.status_code == 200 and ok.json()["fits"] is True
    bad = client.get("/api/v1/estimate?" + urlencode({**HARDWARE, "config": "{"}))
    assert bad.status_code == 400 and "config" in bad.json()["errors"]


def test_no_model_and_no_config_asks_for_one(client, catalog):
    response = client.get("/?" + urlencode(HARDWARE))
    assert "Choose a model" in " ".join(response.context["form"].errors["model"])


def test_uploading_a_config_json_redirects_to_its_permalink_with_the_other_inputs(client, catalog):
    upload = SimpleUploadedFile("config.json", json.dumps(LLAMA_31_8B).encode(), "application/json")
    response = client.post(
        "/own-model/", {**HARDWARE, "ctx": "16384", "model": "llama-3-1-70b-instruct", "file": upload}
    )
    assert response.status_code == 303
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["ctx"] == ["16384"] and "config" in query and "model" not in query
    assert json.loads(query["config"][0])["num_hidden_layers"] == 32
    assert client.get(response["Location"]).context["result"].fits


def test_uploading_the_first_bytes_of_a_gguf_reads_its_header(client, catalog, tmp_path):
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    header_only = path.read_bytes()[:4096]  # what `head -c` gives: the tensor data is cut off
    upload = SimpleUploadedFile("tiny.gguf", header_only, "application/octet-stream")
    response = client.post("/own-model/", {**HARDWARE, "file": upload})
    assert response.status_code == 303, response.content.decode()[:2000]
    config = json.loads(parse_qs(urlsplit(response["Location"]).query)["config"][0])
    assert config["num_hidden_layers"] == byo.from_gguf(path)["num_hidden_layers"]


def test_htmx_upload_answers_with_a_client_redirect(client, catalog):
    upload = SimpleUploadedFile("config.json", json.dumps(LLAMA_31_8B).encode())
    response = client.post("/own-model/", {**HARDWARE, "file": upload}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/?config=")


def test_a_file_that_is_neither_gets_a_400_with_the_reason_and_keeps_the_inputs(client, catalog):
    upload = SimpleUploadedFile("notes.txt", b"hello")
    response = client.post("/own-model/", {**HARDWARE, "model": "llama-3-1-8b-instruct", "file": upload})
    assert response.status_code == 400
    assert "not valid JSON" in " ".join(response.context["form"].errors["config"])
    assert response.context["form"].data["gpu"] == "geforce-rtx-3090"
    # no answer beside the message: it would be the previous model's, read as the file's
    assert "verdict" not in response.context and "Fix the highlighted fields" in response.content.decode()


def test_no_file_chosen_is_a_clear_400(client, catalog):
    response = client.post("/own-model/", {**HARDWARE, "model": "llama-3-1-8b-instruct"})
    assert response.status_code == 400
    assert "Choose a config.json or GGUF file" in response.content.decode()


def test_an_oversized_upload_is_refused_before_it_is_read(client, catalog, monkeypatch):
    monkeypatch.setattr(byo, "MAX_UPLOAD_BYTES", 1000)
    upload = SimpleUploadedFile("big.gguf", b"GGUF" + b"\0" * 200_000)
    response = client.post("/own-model/", {**HARDWARE, "model": "llama-3-1-8b-instruct", "file": upload})
    assert response.status_code == 400
    assert "head -c 32M model.gguf" in response.content.decode()


def test_the_upload_limit_itself_names_the_size(monkeypatch):
    monkeypatch.setattr(byo, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(byo.ModelFileError, match="upload at most"):
        byo.upload_to_config(b"x" * 11, filename="big.gguf")


def test_a_shared_snapshot_keeps_the_own_model(client, catalog):
    first = ask(client, config=json.dumps(LLAMA_31_8B))
    query = first.context["permalink"][2:]
    response = client.post("/r/", {"q": query})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["result"] == first.context["result"]
    assert page.context["today"]["differs"] is False


def test_canonical_config_parses_to_the_same_fields():
    for config in (LLAMA_31_8B, MIXTRAL_8X7B):
        assert byo.parse_config(byo.canonical_config(json.dumps(config))) == byo.parse_config(
            json.dumps(config)
        )
