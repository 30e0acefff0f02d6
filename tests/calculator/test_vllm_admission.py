"""The page and the API say how many sequences vLLM's KV cache holds and what the others wait (issue 19)."""

import re

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
    assert "Its KV cache holds 3 full-length conversations at once: the others wait their turn." in html
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
