"""Reasons in plain words that never contradict themselves: a faster plan that is not recommended says
why, no engine identifier (`layer_split`) reaches the text, and a miss that is only the memory kept free
for safety is told apart from one that is not. The engine gives the reasons as data; calculator/present.py
words them."""

import re
from typing import get_args

from calculator.present import reason, suggestion
from calculator.sentences import SENTENCES
from estimator import STRATEGIES, Estimate, Workload, estimate
from estimator.reasons import ReasonCode
from estimator.units import GIB
from tests.engine.engine_specs import Q4_K_M, RTX_3090, llama_8b, llama_70b, make_gpu

IDENTIFIERS = re.compile("|".join(s for s in STRATEGIES if "_" in s))


def texts(e) -> list[str]:
    return [reason(e.reason), *(reason(p.reason) for p in e.plans), *(suggestion(s) for s in e.suggestions)]


def test_a_faster_plan_that_is_not_recommended_says_why():
    # llama.cpp's tensor split decodes faster on two 3090s, but it is experimental: the layer split is chosen
    e = estimate(
        model=llama_70b(), quant=Q4_K_M, devices=[RTX_3090] * 2, workload=Workload(context_tokens=8192)
    )
    tp = next(p for p in e.plans if p.strategy == "tensor_parallel")
    split = e.recommended_plan
    assert e.recommended == "layer_split" and tp.decode_tok_s > split.decode_tok_s
    said = reason(e.reason)
    assert said.startswith("Layer split is recommended: ")
    assert "Tensor parallel is faster (" in said and said.endswith("but experimental in llama.cpp.")
    assert reason(tp.reason).endswith("for layer split, but experimental in llama.cpp.")


def test_the_recommended_plan_is_the_fastest_when_the_reason_says_so():
    # a q8_0 KV cache rules out llama.cpp's tensor split: one GPU is then the fastest plan
    w = Workload(kv_cache_type="q8_0")
    e = estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_3090] * 2, workload=w)
    assert e.recommended == "single"
    assert ", the fastest plan that fits (next: " in reason(e.reason)
    others = [p for p in e.plans if p.fits and p.strategy != "single"]
    assert all(p.decode_tok_s <= e.recommended_plan.decode_tok_s for p in others)


def test_no_text_names_an_engine_identifier():
    for devices, w in [
        ([RTX_3090], Workload(context_tokens=8192)),  # nothing fits: suggestions name plans
        ([RTX_3090] * 2, Workload(context_tokens=8192)),
        ([RTX_3090], Workload(context_tokens=8192, ram_bytes=128 * GIB)),  # offload
    ]:
        e = estimate(model=llama_70b(), quant=Q4_K_M, devices=devices, workload=w)
        for text in texts(e):
            assert not IDENTIFIERS.search(text), text
    nothing = estimate(
        model=llama_70b(), quant=Q4_K_M, devices=[RTX_3090], workload=Workload(context_tokens=8192)
    )
    assert any("(layer split, " in suggestion(s) for s in nothing.suggestions)


def test_a_miss_within_the_safety_margin_is_told_apart():
    model, w = llama_8b(), Workload(context_tokens=8192)
    roomy = estimate(model=model, quant=Q4_K_M, devices=[make_gpu(memory_bytes=80 * GIB)], workload=w)
    used = roomy.recommended_plan.devices[0].used_bytes
    # a card with 512 MiB more than the model uses: it would load, but not with the 1 GiB kept free
    tight = make_gpu(memory_bytes=used + GIB // 2)
    e = estimate(model=model, quant=Q4_K_M, devices=[tight], workload=w)
    assert e.recommended is None
    assert reason(e.reason) == (
        "No plan fits with 1.0 GiB kept free on each device: the closest, one GPU, would leave 512 MiB free on "
        "RTX 4090."
    )
    assert (
        reason(e.plans[0].reason)
        == "Does not fit with the 1.0 GiB kept free: RTX 4090 would have 512 MiB left."
    )
    far = estimate(model=model, quant=Q4_K_M, devices=[make_gpu(memory_bytes=2 * GIB)], workload=w)
    assert reason(far.reason).startswith("No plan fits. The closest, one GPU, needs ")


def said(e) -> dict:
    """Every sentence the presenter makes of an estimate."""
    return {
        "reason": reason(e.reason),
        "plans": [
            (reason(p.reason), [reason(n) for n in p.notes], [reason(w) for w in p.warnings]) for p in e.plans
        ],
        "unavailable": {s: reason(why) for s, why in e.unavailable.items()},
        "suggestions": [suggestion(s) for s in e.suggestions],
    }


def test_a_snapshot_stored_with_sentences_reads_as_it_was_said():
    # before reasons were data the engine stored the sentences themselves (a shared snapshot keeps them)
    w = Workload(context_tokens=8192)
    e = estimate(model=llama_70b(), quant=Q4_K_M, devices=[RTX_3090] * 2, workload=w)
    words = said(e)
    old = e.model_dump(mode="json")
    old["reason"] = words["reason"]
    old["unavailable"] = words["unavailable"]
    for plan, (why, notes, warnings) in zip(old["plans"], words["plans"], strict=True):
        plan |= {"reason": why, "notes": notes, "warnings": warnings}
    for s, text in zip(old["suggestions"], words["suggestions"], strict=True):
        del s["reason"]
        s["text"] = text
    kept = Estimate.model_validate(old)
    assert kept.reason.code == "said" and said(kept) == words
    assert Estimate.model_validate(e.model_dump(mode="json")) == e  # and the data round-trips


def test_every_reason_the_engine_gives_has_its_sentence():
    assert set(get_args(ReasonCode)) == set(SENTENCES)


def test_devices_are_named_once_with_their_count():
    """'Less than 10% stays free on GeForce RTX 3090, GeForce RTX 3090' named each card of a pair."""
    from estimator.reasons import Reason

    tight = Reason(
        code="tight", values={"devices": ["GeForce RTX 3090", "GeForce RTX 4090", "GeForce RTX 3090"]}
    )
    assert reason(tight) == (
        "Less than 10% stays free on 2× GeForce RTX 3090, GeForce RTX 4090: another program (a desktop, "
        "a browser) can run it out of memory."
    )


def test_a_tight_offload_plan_says_which_flag_leaves_room(client, catalog):
    """A review: the expert-offload plan the engine packs to the 1 GiB margin is always under the 10% line
    on a 12 GB card, and warned "tight" without saying the way out: one more layer's experts in RAM."""
    query = "model=qwen3-30b-a3b&gpu=geforce-rtx-3060-12-gb&ram_gb=64&ctx=16384"
    plan = client.get(f"/api/v1/estimate?{query}").json()["plans"][0]
    assert plan["strategy"] == "expert_offload"
    assert (
        f"Less than 10% stays free on GeForce RTX 3060 12 GB; --n-cpu-moe {plan['n_cpu_moe'] + 1} keeps one "
        "more layer's experts in RAM, for room at a little speed."
    ) in plan["warnings"]


def test_the_fields_words_in_a_plans_notes_link_to_the_glossary(client, catalog):
    """A visitor review: "160 all-reduces per token", "an NVLink bridge cuts that", "Needs a router in front"
    and the plans table's "TTFT" were jargon without a link, though the glossary explains each."""
    from calculator.term_links import linked

    assert linked("Tensor parallel over PCIe: 160 all-reduces per token; an NVLink bridge cuts that.") == (
        'Tensor parallel over <a href="/glossary/pcie/">PCIe</a>: 160 <a href="/glossary/all-reduce/">'
        'all-reduces</a> per token; an <a href="/glossary/nvlink/">NVLink</a> bridge cuts that.'
    )
    # once a sentence; escaped; not inside another word
    assert (
        linked("KV cache, KV cache <b>") == '<a href="/glossary/kv-cache/">KV cache</a>, KV cache &lt;b&gt;'
    )
    assert linked("MLA's latent KV cache cannot be split") == (
        '<a href="/glossary/mla/">MLA&#x27;s latent KV cache</a> cannot be split'
    )
    assert linked("routers -nglx") == "routers -nglx"
    page = client.get("/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&count=2&ctx=8192")
    text = page.content.decode()
    for slug in ("all-reduce", "request-routing", "pipeline-bubble", "time-to-first-token"):
        assert f'href="/glossary/{slug}/"' in text
    for slug in ("all-reduce", "request-routing", "pipeline-bubble", "time-to-first-token"):
        assert client.get(f"/glossary/{slug}/").status_code == 200
