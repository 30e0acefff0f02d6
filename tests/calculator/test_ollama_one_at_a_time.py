"""The page and the API say that Ollama runs Qwen3-VL one request at a time: one user served at the
speed of one stream, the others waiting their turn, and one slot of KV cache (estimator/admission.py)."""

import re

import pytest

pytestmark = pytest.mark.django_db

SERIAL = "/?model=qwen3-vl-8b-instruct&gpu=geforce-rtx-4090&ctx=4096&runtime=ollama&batch=4"
BATCHED = "/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&ctx=4096&runtime=ollama&batch=4"


def said(html: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">([^<]*)<', html).group(1)


def test_the_page_says_one_user_is_served_and_the_others_wait(client, catalog):
    html = client.get(SERIAL).content.decode()
    verdict = re.fullmatch(
        r"Yes: fits on 1× GeForce RTX 4090: 1 of the 4 users at once, about (\d+) tok/s each\.",
        said(html, "verdict"),
    )
    assert verdict, said(html, "verdict")
    detail = said(html, "verdict-detail")
    assert re.fullmatch(
        r"Ollama runs this model one request at a time: the other 3 wait their turn, the first about "
        r"[\d.]+ s when every answer runs to the full context\. Averaged over all 4 users, waiting "
        r"included: ([\d.]+) tok/s each\.",
        detail,
    ), detail
    average = float(re.search(r"included: ([\d.]+) tok/s", detail).group(1))
    assert average == pytest.approx(int(verdict.group(1)) / 4, rel=0.01)
    # the plan's warning, with the wait of the next one and of the last
    assert re.search(
        r"Ollama runs this model one request at a time, whatever OLLAMA_NUM_PARALLEL says: the other 3 wait "
        r"their turn, the next about [\d.]+ s when each answer runs to the full context, the last about "
        r"[\d.]+ min\.",
        html,
    )
    assert 'data-testid="kv-pool"' not in html  # no vLLM pool to speak of
    assert "OLLAMA_NUM_PARALLEL=" not in html  # the launch command sets nothing it ignores


def test_the_api_gives_one_seat_one_stream_and_one_slot(client, catalog):
    serial = client.get(f"/api/v1/estimate?{SERIAL[2:]}").json()
    batched = client.get(f"/api/v1/estimate?{SERIAL[2:].replace('batch=4', 'batch=1')}").json()
    plan, alone = serial["plans"][0], batched["plans"][0]
    assert plan["max_concurrency"] == 1 and plan["kv_capacity_tokens"] is None
    assert plan["decode_tok_s_aggregate"] == pytest.approx(alone["decode_tok_s"])
    assert plan["queue_s"] > 0 and plan["ttft_s"] > plan["queue_s"]
    # the KV cache of one conversation, as with one user
    assert plan["devices"][0]["kv_cache_bytes"] == alone["devices"][0]["kv_cache_bytes"]
    assert serial["context_tokens_allocated"] == 4096


def test_a_model_ollama_batches_is_served_four_at_once(client, catalog):
    html = client.get(BATCHED).content.decode()
    assert re.fullmatch(
        r"Yes: fits on 1× GeForce RTX 4090, about \d+ tok/s per user\.", said(html, "verdict")
    ), said(html, "verdict")
    assert "one request at a time" not in html and "OLLAMA_NUM_PARALLEL=4 " in html
    plan = client.get(f"/api/v1/estimate?{BATCHED[2:]}").json()["plans"][0]
    assert plan["queue_s"] == 0 and plan["max_concurrency"] is None
    assert plan["decode_tok_s_aggregate"] > 3 * plan["decode_tok_s"]
