"""`fa=off`: llama.cpp's `-fa off`, an input of the page, the API and permalinks (issue 14: the compute
buffer and the speed at depth without flash attention), refused where no command can turn it off."""

import pytest
from django.http import QueryDict

pytestmark = pytest.mark.django_db

URL = "/api/v1/estimate"
QUESTION = {"model": "llama-3-1-8b-instruct", "quant": "q4_k_m", "gpu": "geforce-rtx-4090", "ctx": "32768"}


def single(body: dict) -> dict:
    return next(p for p in body["plans"] if p["strategy"] == "single")


def test_without_flash_attention_a_full_context_decodes_slower_in_a_bigger_buffer(client, catalog):
    on = client.get(URL, QUESTION).json()
    off = client.get(URL, QUESTION | {"fa": "off"}).json()
    assert single(off)["decode_tok_s"] == pytest.approx(
        single(on)["decode_tok_s"], rel=0.05
    )  # an empty cache
    # the KV cache read at llama.cpp's general kernels' share (estimator/kv_reads.py NO_FLASH_KV_EFFICIENCY)
    assert single(off)["decode_tok_s_at_context"] < 0.6 * single(on)["decode_tok_s_at_context"]
    # the scores of a micro-batch against the whole context, not one head's tile
    assert off["memory"]["compute_bytes"] > 2 * on["memory"]["compute_bytes"]
    assert off["permalink"] == on["permalink"] + "&fa=off"
    assert "-fa off" in single(off)["commands"]["llama-server"]
    assert "-fa on" in single(on)["commands"]["llama-server"]


def test_ollama_says_flash_attention_either_way(client, catalog):
    for fa, env in (("on", "OLLAMA_FLASH_ATTENTION=1"), ("off", "OLLAMA_FLASH_ATTENTION=0")):
        body = client.get(URL, QUESTION | {"runtime": "ollama", "fa": fa}).json()
        assert env in single(body)["commands"]["ollama"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"runtime": "vllm", "quant": "awq-4bit"}, "vLLM always runs flash attention"),
        ({"runtime": "lm-studio"}, "LM Studio always runs flash attention"),
        ({"kv": "q8_0"}, "q8_0 KV cache only with flash attention on"),
        ({"runtime": "ollama", "kv": "q4_0"}, "q4_0 KV cache only with flash attention on"),
    ],
)
def test_flash_attention_off_where_nothing_turns_it_off_is_a_400(client, catalog, changes, message):
    response = client.get(URL, QUESTION | changes | {"fa": "off"})
    assert response.status_code == 400
    assert any(message in m for m in response.json()["errors"]["fa"])


def test_flash_attention_is_on_or_off(client, catalog):
    response = client.get(URL, QUESTION | {"fa": "sometimes"})
    assert response.status_code == 400 and response.json()["errors"]["fa"] == [
        "Flash attention is on or off."
    ]
    assert (
        client.get(URL, QUESTION | {"fa": "on"}).json()["permalink"]
        == client.get(URL, QUESTION).json()["permalink"]
    )


def test_the_page_keeps_flash_attention_off_and_offers_the_fixes(client, catalog):
    page = client.get("/", QUESTION | {"fa": "off"}).content.decode()
    assert '<option value="off" selected>Off</option>' in page
    refused = client.get("/", QUESTION | {"fa": "off", "kv": "q8_0"})
    html = refused.content.decode()
    assert "q8_0 KV cache only with flash attention on" in html
    fixes = [QueryDict(href.split("?", 1)[1].replace("&amp;", "&")) for href in _links(html)]
    assert any("fa" not in q and q.get("kv") == "q8_0" for q in fixes)  # flash attention back on
    assert any(q.get("fa") == "off" and "kv" not in q for q in fixes)  # or the f16 cache


def _links(html: str) -> list[str]:
    import re

    return re.findall(r'href="(/\?[^"]*)"', html)


def test_what_to_change_offers_flash_attention_back_and_keeps_it_with_a_quantized_cache(client, catalog):
    body = client.get(URL, QUESTION | {"fa": "off"}).json()
    by_kind = {s["kind"]: s for s in body["suggestions"]}
    back_on = by_kind["flash_attention"]
    assert back_on["changes"] == {"fa": "on"}
    on = single(client.get(URL, QUESTION).json())["decode_tok_s_at_context"]
    off = single(body)["decode_tok_s_at_context"]
    assert back_on["text"] == (
        f"Flash attention on: {on:.1f} tok/s at full context, not {off:.1f}, and allows 131,072 tokens of context."
    )
    # a quantized KV cache is kept only with flash attention: its link turns it on too, and says so
    kv = by_kind["kv_cache"]
    assert kv["changes"]["fa"] == "on" and "(with flash attention on)" in kv["text"]
    page = client.get("/", QUESTION | {"fa": "off"}).content.decode()
    assert "Flash attention on: " in page
    linked = {
        QueryDict(h.split("?", 1)[1].replace("&amp;", "&")).get("fa") for h in _links(page) if "kv=q8_0" in h
    }
    assert linked == {None}  # every link to a q8_0 cache asks with flash attention on (the default)
