"""'Use my own model' with a Hugging Face id: its config.json fetched within a deadline, cached, kept in
the permalink; gated, missing and slow repositories get a clear message. The Hub is a local fake serving a
recorded config.json (tests/catalog/fake_hub.py): the real Hub cannot be reached from the test machines."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from calculator import hub_config
from tests.catalog.fake_hub import fake_hub_fixture, ok, silent, status  # noqa: F401
from tests.catalog.test_byo import LLAMA_31_8B

REPO = "meta-llama/Llama-3.1-8B-Instruct"
HARDWARE = {"quant": "q4_k_m", "gpu": "geforce-rtx-3090", "ctx": "8192"}


def test_a_hugging_face_id_answers_as_for_a_catalog_model(client, catalog, fake_hub):
    fake_hub.routes[fake_hub.config_path(REPO)] = ok(json.dumps(LLAMA_31_8B).encode())
    response = client.post("/own-model/", {**HARDWARE, "ctx": "16384", "hf_id": f" {REPO} "})
    assert response.status_code == 303
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["ctx"] == ["16384"] and "model" not in query
    config = json.loads(query["config"][0])
    assert config["_name_or_path"] == REPO and config["num_hidden_layers"] == 32
    page = client.get(response["Location"])
    listed = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=16384")
    assert page.context["result"].memory.kv_cache_bytes == listed.context["result"].memory.kv_cache_bytes
    assert REPO in page.content.decode()
    # asked again: the config comes from the cache, the Hub is not asked twice
    client.post("/own-model/", {**HARDWARE, "hf_id": REPO})
    assert len(fake_hub.requests) == 1


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (status(403), "gated or private"),
        (status(404), "has no config.json"),
        (ok(b"[1, 2]"), "not a JSON object"),
    ],
)
def test_gated_missing_or_unusable_repos_get_a_400_with_the_reason(client, catalog, fake_hub, answer, says):
    fake_hub.routes[fake_hub.config_path(REPO)] = answer
    response = client.post("/own-model/", {**HARDWARE, "model": "llama-3-1-8b-instruct", "hf_id": REPO})
    assert response.status_code == 400
    assert says in " ".join(response.context["form"].errors["config"])
    assert response.context["form"].data["gpu"] == "geforce-rtx-3090"  # nothing typed is lost
    # the refusal is remembered for a few minutes: a retry does not ask the Hub again
    client.post("/own-model/", {**HARDWARE, "hf_id": REPO})
    assert len(fake_hub.requests) == 1


def test_not_an_id_is_refused_without_asking_the_hub(client, catalog, fake_hub):
    response = client.post("/own-model/", {**HARDWARE, "hf_id": "https://example.com/../etc/passwd"})
    assert response.status_code == 400
    assert "is not a Hugging Face id" in response.content.decode()
    assert fake_hub.requests == []


def test_a_silent_hub_gives_up_at_the_deadline(client, catalog, fake_hub, monkeypatch):
    monkeypatch.setattr(hub_config, "TIMEOUT_S", 0.5)
    fake_hub.routes[fake_hub.config_path(REPO)] = silent()
    started = time.monotonic()
    response = client.post("/own-model/", {**HARDWARE, "hf_id": REPO})
    assert time.monotonic() - started < 2
    assert response.status_code == 400
    assert "did not answer within" in response.content.decode()
