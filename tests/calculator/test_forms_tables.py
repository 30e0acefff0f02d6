"""The catalog's KV cache types and RAM presets are what the calculator reads: an editor's change moves
the answer, the pickers list the rows, and a shared result says when today's catalog differs."""

import re

import pytest
from django.core.cache import cache

from calculator.models import Snapshot
from catalog.models import KvCacheType, RamPreset, Runtime
from estimator import Workload

pytestmark = pytest.mark.django_db
QUESTION = "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=32768"
API = "/api/v1/estimate"
ASKED = {"model": "llama-3-1-8b-instruct", "quant": "q4_k_m", "gpu": "geforce-rtx-3090", "ctx": 32768}
# 70B at Q4_K_M (~40 GiB) on one 24 GiB card: only CPU offload runs it, at the RAM's bandwidth
OFFLOADED = {"model": "llama-3-1-70b-instruct", "quant": "q4_k_m", "gpu": "geforce-rtx-3090", "ram_gb": 64}


def estimate(client, **query) -> dict:
    cache.clear()  # the answer computed anew, not the one kept under the last catalog version's key
    response = client.get(API, query)
    assert response.status_code == 200, response.json()
    return response.json()


def select(html: str, name: str) -> list[str]:
    """The option values of a select, the selected one marked "*"."""
    markup = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return [v + ("*" if sel else "") for v, sel in re.findall(r'<option value="([^"]*)"( selected)?', markup)]


def test_an_edit_of_a_kv_cache_types_bytes_per_element_changes_the_kv_cache(client, catalog):
    f16 = estimate(client, **ASKED)["memory"]["kv_cache_bytes"]
    q8_0 = estimate(client, **ASKED, kv="q8_0")["memory"]["kv_cache_bytes"]
    assert q8_0 == pytest.approx(f16 * 1.0625 / 2, rel=1e-3)  # the fixture's 34 bytes per 32 elements
    KvCacheType.objects.filter(slug="q8_0").update(bytes_per_element=1.5)  # an editor's correction
    edited = estimate(client, **ASKED, kv="q8_0")
    assert edited["memory"]["kv_cache_bytes"] == pytest.approx(f16 * 1.5 / 2, rel=1e-3)
    assert "-ctk q8_0" in edited["plans"][0]["commands"]["llama-server"]  # still named for the flags


def test_the_engine_keeps_a_callers_own_size_for_a_named_kv_type():
    workload = Workload(kv_cache_type="q8_0", kv_bytes_per_element=1.5)
    assert (workload.kv_cache_type, workload.kv_bytes_per_element) == ("q8_0", 1.5)
    assert Workload(kv_cache_type="q8_0").kv_bytes_per_element == 1.0625  # the engine's own, alone


def test_a_ram_preset_sets_the_offload_bandwidth_and_an_edit_of_it_moves_the_speed(client, catalog):
    assumed = estimate(client, **OFFLOADED)
    assert assumed["recommended"] == "cpu_offload"
    dual = estimate(client, **OFFLOADED, ram_preset="ddr5-4800-2ch")  # the engine's assumption: 76.8 GB/s
    eight = estimate(client, **OFFLOADED, ram_preset="ddr5-4800-8ch")
    speed = {
        name: body["plans"][0]["decode_tok_s"] for name, body in [("a", assumed), ("d", dual), ("e", eight)]
    }
    assert speed["d"] == speed["a"] and speed["e"] > 1.5 * speed["d"]
    assert "ram_preset=ddr5-4800-8ch" in eight["permalink"]
    assert "ram_preset" not in assumed["permalink"]  # old links, without it, answer as before
    RamPreset.objects.filter(slug="ddr5-4800-2ch").update(bandwidth_gb_s=38.4)  # half: one channel
    halved = estimate(client, **OFFLOADED, ram_preset="ddr5-4800-2ch")
    assert halved["plans"][0]["decode_tok_s"] < 0.75 * speed["d"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kv", "q3_k", "Unknown KV cache type “q3_k”: pick f16, bf16, q8_0, fp8, q4_0."),
        ("ram_preset", "ddr9-9999-2ch", "Unknown RAM preset “ddr9-9999-2ch”"),
        ("kv", "fp8", "llama.cpp keeps its KV cache in f16, bf16, q8_0, q4_0, not fp8"),
    ],
)
def test_an_unknown_or_refused_kv_type_or_ram_preset_is_a_400_that_says_why(
    client, catalog, field, value, message
):
    response = client.get(API, {**ASKED, field: value})
    assert response.status_code == 400
    assert message in response.json()["errors"][field][0]


def test_a_kv_type_the_engine_does_not_name_is_left_out_and_logged(client, catalog, caplog):
    KvCacheType.objects.create(slug="fp4-e2m1", name="fp4", bytes_per_element=0.5, listed=True)
    response = client.get(API, {**ASKED, "kv": "fp4-e2m1"})
    assert response.status_code == 400 and "Unknown KV cache type" in response.json()["errors"]["kv"][0]
    assert "fp4-e2m1" in caplog.text
    assert client.get(API, ASKED).status_code == 200  # the rest of the table still answers


def test_the_kv_select_offers_what_the_runtime_keeps_its_cache_in(client, catalog):
    llama = select(client.get(QUESTION).content.decode(), "kv")
    assert llama == ["f16*", "bf16", "q8_0", "q4_0"]  # the table's picker order
    vllm = select(client.get(QUESTION.replace("q4_k_m", "bf16") + "&runtime=vllm").content.decode(), "kv")
    assert vllm == ["f16*", "bf16", "fp8"]
    Runtime.objects.filter(slug="llama-cpp").update(kv_cache_types=["f16", "q8_0"])  # an editor's change
    assert select(client.get(QUESTION + "&kv=q8_0").content.decode(), "kv") == ["f16", "q8_0*"]


def test_the_kv_select_follows_the_runtime_in_the_htmx_partial(client, catalog):
    url = QUESTION.replace("q4_k_m", "bf16") + "&runtime=vllm"
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    oob = re.search(r'<select name="kv" id="id_kv" hx-swap-oob="true">(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"', oob) == ["f16", "bf16", "fp8"]


def test_the_ram_select_lists_the_presets_and_keeps_the_one_asked(client, catalog):
    html = client.get(QUESTION + "&ram_gb=64&ram_preset=ddr4-3200-8ch").content.decode()
    options = select(html, "ram_preset")
    assert options[0] == "" and "ddr4-3200-8ch*" in options and len(options) == 1 + RamPreset.objects.count()
    assert ">DDR5-4800, 2 channels</option>" in html
    assert "76.8 GB/s assumed" in html
    RamPreset.objects.filter(slug="ddr4-3200-2ch").update(listed=False)
    assert "ddr4-3200-2ch" not in select(client.get(QUESTION).content.decode(), "ram_preset")


def test_a_shared_result_says_today_differs_after_a_kv_type_is_edited(client, catalog):
    query = "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=32768&kv=q8_0"
    response = client.post("/r/", {"q": query})
    snapshot = Snapshot.objects.get(id=response["Location"].removeprefix("/r/"))
    assert snapshot.specs["workload"]["kv_bytes_per_element"] == 1.0625  # the row's value, kept with it
    KvCacheType.objects.filter(slug="q8_0").update(bytes_per_element=1.5)
    cache.clear()
    shown = client.get(snapshot.get_absolute_url())
    assert shown.context["today"]["differs"] is True
    assert shown.context["result"].memory.kv_cache_bytes == snapshot.result["memory"]["kv_cache_bytes"]


def test_before_the_kv_table_is_loaded_the_default_still_answers_at_the_engines_size(client, catalog):
    f16 = estimate(client, **ASKED)["memory"]["kv_cache_bytes"]
    KvCacheType.objects.all().delete()
    assert estimate(client, **ASKED)["memory"]["kv_cache_bytes"] == f16  # 2 bytes per element
    assert client.get(API, {**ASKED, "kv": "q8_0"}).status_code == 400
