"""The Hub import is bounded: each HTTP step has a timeout, the whole fetch a deadline, and nothing of it
runs on after the editor reads "did not answer". The Hub is a local fake (tests/catalog/fake_hub.py)."""

import json
import socket
import threading
import time

import pytest
from django.contrib.auth import get_user_model

from catalog import admin_import, byo, hub
from catalog.byo import ModelFileError
from catalog.models import LlmModel
from tests.catalog.fake_hub import (  # noqa: F401
    fake_hub_fixture,
    model_info,
    ok,
    ranged,
    redirect,
    server_thread,
    silent,
    status,
    trickle,
)
from tests.catalog.test_byo import LLAMA_31_8B

REPO = "meta-llama/Llama-3.1-8B-Instruct"
CONFIG = json.dumps(LLAMA_31_8B).encode()


def threads_started_by(call) -> tuple[set[threading.Thread], float]:
    """Run `call`; (threads it left running, other than the fake Hub's own, seconds it took)."""
    before = set(threading.enumerate())
    started = time.monotonic()
    call()
    took = time.monotonic() - started
    left = {t for t in set(threading.enumerate()) - before if t.is_alive() and not server_thread(t)}
    return left, took


def test_a_repo_config_json_is_fetched_and_parsed(fake_hub):
    fake_hub.routes[fake_hub.config_path(REPO)] = ok(CONFIG)
    fields = byo.from_hub(REPO, timeout_s=2)
    assert fields["hf_id"] == REPO and fields["num_key_value_heads"] == 8
    assert [path for path, _ in fake_hub.requests] == [f"/{REPO}/resolve/main/config.json"]


def test_a_redirect_is_followed_and_the_token_goes_to_the_hub_only(fake_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    fake_hub.routes[fake_hub.config_path("old-org/model")] = redirect(fake_hub.config_path(REPO))
    fake_hub.routes[fake_hub.config_path(REPO)] = ok(CONFIG)
    assert byo.from_hub("old-org/model", timeout_s=2)["num_hidden_layers"] == 32
    assert [h.get("Authorization") for _, h in fake_hub.requests] == ["Bearer hf_test_token"] * 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (status(404), "has no config.json in meta-llama/Llama-3.1-8B-Instruct"),
        (status(401), "gated or private"),
        (status(403, "GatedRepo"), "is gated .* accepted its terms. Paste its config.json instead"),
        (status(401, "RepoNotFound"), "has no repo meta-llama/Llama-3.1-8B-Instruct, or it is private"),
        (status(500), "answered HTTP 500"),
        (ok(b"x" * (byo.MAX_CONFIG_BYTES + 1)), "the limit is 1,000,000"),
        (ok(b"{not json"), "not valid JSON"),
    ],
)
def test_what_the_hub_answers_instead_is_a_message(fake_hub, answer, message):
    fake_hub.routes[fake_hub.config_path(REPO)] = answer
    with pytest.raises(ModelFileError, match=message):
        byo.from_hub(REPO, timeout_s=2)


def test_a_hub_that_refuses_connections_is_a_message_at_once(monkeypatch):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again below: nothing listens there
    monkeypatch.setattr("catalog.hub.HUB_URL", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(ModelFileError, match="Could not reach the Hugging Face Hub"):
        byo.from_hub(REPO, timeout_s=5)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("answer", [silent(), trickle(CONFIG, delay_s=0.05)], ids=["silent", "trickling"])
def test_a_slow_hub_is_given_up_at_the_deadline_and_nothing_runs_on(fake_hub, answer):
    """A Hub that never answers, and one that sends a byte every 50 ms (each read is quick, the whole
    file would take 18 s): both end at the deadline, in the caller's thread, with no thread left."""
    fake_hub.routes[fake_hub.config_path(REPO)] = answer

    def call():
        with pytest.raises(ModelFileError, match="did not answer within 0.5 s"):
            byo.from_hub(REPO, timeout_s=0.5)

    left, took = threads_started_by(call)
    assert 0.5 <= took < 1.0
    assert left == set()


@pytest.mark.django_db
def test_the_admin_import_gives_up_after_its_timeout_with_nothing_left_running(client, fake_hub, monkeypatch):
    client.force_login(get_user_model().objects.create_superuser("editor", "e@example.com", "pw-for-tests"))
    monkeypatch.setattr(admin_import, "HUB_TIMEOUT_S", 0.5)
    fake_hub.routes[fake_hub.config_path(REPO)] = silent()
    responses = []
    left, took = threads_started_by(
        lambda: responses.append(client.post("/admin/catalog/llmmodel/import/", {"repo_id": REPO}))
    )
    assert responses[0].status_code == 200
    assert "did not answer within 0.5 s" in responses[0].content.decode()
    assert took < 1.5 and left == set()
    assert not LlmModel.objects.exists()


@pytest.mark.django_db
def test_the_admin_import_of_a_repo_opens_the_filled_add_form(client, fake_hub):
    client.force_login(get_user_model().objects.create_superuser("editor", "e@example.com", "pw-for-tests"))
    fake_hub.routes[fake_hub.config_path(REPO)] = ok(CONFIG)
    response = client.post("/admin/catalog/llmmodel/import/", {"repo_id": REPO})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/catalog/llmmodel/add/?")
    assert not LlmModel.objects.exists()


def test_the_file_list_is_asked_as_huggingface_hub_asks_it(fake_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    body = model_info(REPO, {"config.json": 855, "model.safetensors": 16_060_522_496})
    fake_hub.routes[fake_hub.info_path(REPO)] = ok(body)
    assert hub.model_info(REPO, timeout_s=2, max_bytes=100_000) == body
    [(path, headers)] = fake_hub.requests
    assert path == f"/api/models/{REPO}?blobs=true" and headers["Authorization"] == "Bearer hf_test_token"


def test_a_file_list_over_the_limit_is_refused(fake_hub):
    fake_hub.routes[fake_hub.info_path(REPO)] = ok(model_info(REPO, {f"f{i}.bin": 1 for i in range(500)}))
    with pytest.raises(hub.HubTooLarge, match="the limit is 1,000"):
        hub.model_info(REPO, timeout_s=2, max_bytes=1_000)


def test_a_file_s_first_bytes_are_asked_as_a_range(fake_hub):
    body = bytes(range(256)) * 100
    fake_hub.routes[fake_hub.file_path(REPO, "model.gguf")] = ranged(body)
    assert hub.get_file(REPO, "model.gguf", timeout_s=2, max_bytes=1000, first_bytes=True) == body[:1000]
    assert fake_hub.requests[0][1]["Range"] == "bytes=0-999"


def test_a_server_that_ignores_the_range_is_read_only_as_far_as_asked(fake_hub):
    body = b"GGUF" + bytes(5000)
    fake_hub.routes[fake_hub.file_path(REPO, "model.gguf")] = ok(body)
    assert hub.get_file(REPO, "model.gguf", timeout_s=2, max_bytes=1000, first_bytes=True) == body[:1000]


def test_a_missing_file_is_told_apart_from_a_missing_repo(fake_hub):
    fake_hub.routes[fake_hub.config_path(REPO)] = status(404, "EntryNotFound")
    with pytest.raises(hub.HubNotFound):
        hub.get_file(REPO, "config.json", timeout_s=2, max_bytes=1000)
    fake_hub.routes[fake_hub.config_path(REPO)] = status(404, "RepoNotFound")
    with pytest.raises(hub.HubError) as refused:
        hub.get_file(REPO, "config.json", timeout_s=2, max_bytes=1000)
    assert not isinstance(refused.value, hub.HubNotFound)
