"""The page and the API say how many sequences vLLM's KV cache holds and what the others wait (issue 19)."""

import re

import pytest

Q = "model=llama-3-1-8b-instruct&quant=awq-4bit&gpu=geforce-rtx-4090&ctx=32768&batch=64&runtime=vllm"


def test_the_page_shows_the_kv_pool_and_the_wait(client, catalog):
    html = client.get(f"/?{Q}").content.decode()
    label, pool = re.search(
        r'KV cache pool</a>: (.*?)</dt><dd data-testid="kv-pool">(.*?)</dd>', html
    ).groups()
    label = re.sub(r"<[^>]+>", "", label).replace("&#x27;", "'")
    # the conversations, and the pool as vLLM's log counts it (with sliding-window layers, fewer
    # tokens than conversations × context: those layers keep only their window)
    assert re.fullmatch(r"\d+\.\d", pool), pool
    assert re.fullmatch(r"conversations of 32,768 tokens at once \([\d,]+ tokens in vLLM's log\)", label), (
        label
    )
    # the verdict quotes what a seated user sees, not the average over everyone with the waiting at 0
    verdict = re.search(r'data-testid="verdict">([^<]*)<', html).group(1)
    each = re.fullmatch(
        r"Yes: fits on 1× GeForce RTX 4090: 3 of the 64 users at once, about (\d+) tok/s each\.", verdict
    )
    assert each, verdict
    assert f'<strong>{each.group(1)}</strong> tok/s<span class="long"> each, 3 at once</span>' in html
    detail = re.search(r'data-testid="verdict-detail">([^<]*)<', html).group(1)
    assert re.fullmatch(
        r"Its KV cache holds 3 full-length conversations at once: the other 61 wait their turn, the first "
        r"about [\d.]+ min when every answer runs to the full context \(shorter ones share the pool and wait "
        r"less\)\. Averaged over all 64 users, waiting included: ([\d.]+) tok/s each\.",
        detail,
    ), detail
    average = float(re.search(r"included: ([\d.]+) tok/s", detail).group(1))
    assert average == pytest.approx(int(each.group(1)) * 3 / 64, rel=0.01)
    assert "wait for one to finish" in html
    assert "after" in html and "waiting for a free KV slot" in html
    # llama.cpp plans reserve every slot up front: no pool to speak of
    llama = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090").content.decode()
    assert 'data-testid="kv-pool"' not in llama


def test_the_api_gives_max_concurrency_and_queueing(client, catalog):
    data = client.get(f"/api/v1/estimate?{Q}").json()
    plan = next(p for p in data["plans"] if p["strategy"] == "single")
    assert plan["max_concurrency"] == plan["kv_capacity_tokens"] / 32768
    assert plan["queue_s"] > 0
    assert plan["ttft_s"] > plan["queue_s"]


def test_a_plan_that_seats_every_user_wins_over_one_that_makes_some_wait(client, catalog):
    """A visitor review: Qwen3-30B-A3B AWQ on 2× RTX 3090 for 8 users at 32K recommended replicas (796 tok/s
    aggregate, 6 users at once, the other 2 waiting about 5 min for a first token) over tensor parallel
    (726, all 8 at once). The users asked are part of the question (estimator/ranking.py `_seating_all`)."""
    q = "model=qwen3-30b-a3b&quant=awq-4bit&gpu=geforce-rtx-3090&count=2&ctx=32768&batch=8&runtime=vllm&kv=fp8"
    data = client.get(f"/api/v1/estimate?{q}").json()
    plans = {p["strategy"]: p for p in data["plans"]}
    replicas, chosen = plans["replicas"], plans[data["recommended"]]
    assert replicas["fits"] and replicas["queue_s"] > 60  # they still fit, with users queued for minutes
    assert replicas["decode_tok_s_aggregate"] > chosen["decode_tok_s_aggregate"]  # and the higher aggregate
    assert data["recommended"] == "tensor_parallel" and chosen["queue_s"] == 0
    assert re.search(
        r"but the other 2 of the 8 users wait their turn, the first about [\d.]+ min\.$", data["reason"]
    )
    assert re.search(r"but the other 2 of the 8 users wait their turn", replicas["reason"])
