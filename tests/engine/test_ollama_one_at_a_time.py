"""Ollama runs some architectures one request at a time whatever OLLAMA_NUM_PARALLEL says (server/sched.go
`load` sets numParallel to 1; llm/server.go sizes the KV cache num_ctx × numParallel): one slot of memory,
one sequence timed, and the other users told they wait (`kv_cache.served_sequences`, `admission`)."""

import pytest
from engine_specs import F16, Q4_K_M, RTX_3090, RTX_4090, llama_8b

from estimator import Workload, estimate, kv_cache
from estimator.schema import ArtifactSpec
from estimator.units import GIB

BARTOWSKI = ArtifactSpec(
    kind="gguf", repo="bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", formats=("q4_k_m", "f16")
)

# Llama 3.1 8B's shape under two families: one Ollama batches (qwen3), one it does not (qwen3-vl)
SERIAL = llama_8b(family="qwen3-vl", name="Qwen3-VL 8B", artifacts=(BARTOWSKI,))
BATCHED = llama_8b(family="qwen3", name="Qwen3 8B", artifacts=(BARTOWSKI,))


def single(model, workload, quant=Q4_K_M, devices=(RTX_4090,)):
    e = estimate(model=model, quant=quant, devices=list(devices), workload=workload, with_suggestions=False)
    return next(p for p in e.plans if p.strategy == "single")


@pytest.mark.parametrize(
    ("model", "runtime", "sequences"),
    [
        (SERIAL, "ollama", 1),  # Ollama: one slot whatever is asked
        (BATCHED, "ollama", 4),  # an architecture it batches: -np 4
        (SERIAL, "llama.cpp", 4),  # llama-server batches it: the rule is Ollama's
        (SERIAL, "vllm", 1),  # vLLM: one sequence of the full context must fit (its paged pool)
    ],
)
def test_ollama_reserves_one_slot_for_a_model_it_runs_one_at_a_time(model, runtime, sequences):
    w = Workload(context_tokens=8192, batch=4, runtime=runtime)
    assert kv_cache.reserved_sequences(model, w) == sequences
    # 8192 × sequences cells, already a multiple of 256 (and of vLLM's 16)
    assert kv_cache.padded_context(model, w) == 8192 * sequences


def test_its_kv_cache_is_one_conversation_not_four():
    # 32 layers × 8 KV heads × 128 × 2 (K and V) × 2 bytes = 128 KiB a token; × 8192 cells = 1 GiB a slot
    w = Workload(context_tokens=8192, batch=4, runtime="ollama")
    assert single(SERIAL, w).devices[0].kv_cache_bytes == 1 * GIB
    assert single(BATCHED, w).devices[0].kv_cache_bytes == 4 * GIB


def test_it_fits_in_one_slot_where_four_would_not():
    # F16 weights (~15 GiB) + 32K tokens: 4 GiB for one slot fits a 24 GB card, 16 GiB for four does not
    w = Workload(context_tokens=32768, batch=4, runtime="ollama")
    assert single(SERIAL, w, quant=F16, devices=[RTX_3090]).fits
    assert not single(BATCHED, w, quant=F16, devices=[RTX_3090]).fits


def test_the_users_share_one_stream_and_the_others_wait_their_turn():
    w = Workload(context_tokens=8192, batch=4, runtime="ollama")
    plan = single(SERIAL, w)
    alone = single(SERIAL, w.model_copy(update={"batch": 1}))
    # one sequence decodes at a time: all four together get what one gets alone
    assert plan.decode_tok_s == pytest.approx(alone.decode_tok_s)
    assert plan.decode_tok_s_aggregate == pytest.approx(alone.decode_tok_s)
    assert plan.seated(4) == 1 and plan.max_concurrency == 1 and plan.kv_capacity_tokens is None
    assert plan.seated_tok_s(4) == pytest.approx(alone.decode_tok_s)
    assert plan.shared_tok_s(4) == pytest.approx(alone.decode_tok_s / 4)
    # the same at the full context: one cache read per step, the one answering's
    assert plan.decode_tok_s_aggregate_at_context == pytest.approx(alone.decode_tok_s_at_context)
    assert plan.shared_tok_s_at_context(4) == pytest.approx(alone.decode_tok_s_at_context / 4)
    # the next one starts when the running answer reaches the context: its prefill and 8192 − 512 tokens,
    # each step between the start's and the full context's (the mean of the two steps: it grows linearly)
    step = (1 / plan.decode_tok_s + 1 / plan.decode_tok_s_at_context) / 2
    assert plan.decode_tok_s_at_context < plan.decode_tok_s
    queue_s = 512 / plan.prefill_tok_s + (8192 - 512) * step
    assert plan.queue_s == pytest.approx(queue_s, rel=1e-6)
    assert plan.ttft_s == pytest.approx(plan.queue_s + 512 / plan.prefill_tok_s, rel=1e-6)
    [said] = [r for r in plan.warnings if r.code == "ollama_one_at_a_time"]
    assert said.values == {"running": 1, "waiting": 3, "queue_s": pytest.approx(queue_s, rel=1e-6)}
    # alone, nobody waits and nothing is said
    assert alone.queue_s == 0 and alone.max_concurrency is None
    assert not [r for r in alone.warnings if r.code == "ollama_one_at_a_time"]


def test_an_architecture_ollama_batches_is_unchanged():
    w = Workload(context_tokens=8192, batch=4, runtime="ollama")
    plan = single(BATCHED, w)
    assert plan.queue_s == 0 and plan.max_concurrency is None and plan.seated(4) == 4
    assert plan.decode_tok_s_aggregate > 3 * plan.decode_tok_s  # four sequences in one step
    assert not [r for r in plan.warnings if r.code == "ollama_one_at_a_time"]
    # and llama.cpp batches the other one
    assert single(SERIAL, w.model_copy(update={"runtime": "llama.cpp"})).queue_s == 0


def test_a_layer_split_and_an_offload_plan_time_one_sequence_too():
    w = Workload(context_tokens=8192, batch=4, runtime="ollama", ram_bytes=64 * GIB)
    split = estimate(
        model=SERIAL, quant=F16, devices=[RTX_3090, RTX_3090], workload=w, with_suggestions=False
    )
    plan = next(p for p in split.plans if p.strategy == "layer_split")
    assert plan.decode_tok_s_aggregate == pytest.approx(plan.decode_tok_s)
    assert plan.seated(4) == 1 and plan.queue_s > 0
    assert "pipeline_bubble" in [r.code for r in plan.warnings]  # one token in flight
    small = RTX_3090.model_copy(update={"memory_bytes": 8 * GIB, "slug": "small", "name": "8 GB card"})
    offload = estimate(model=SERIAL, quant=F16, devices=[small], workload=w, with_suggestions=False)
    ram = next(p for p in offload.plans if p.strategy == "cpu_offload")
    assert ram.decode_tok_s_aggregate == pytest.approx(ram.decode_tok_s)
    assert ram.seated(4) == 1 and ram.queue_s > 0
    assert sum(d.kv_cache_bytes for d in ram.devices) == 1 * GIB  # one slot, wherever its layers are


def test_the_recommended_plan_and_its_reason_quote_the_one_stream():
    w = Workload(context_tokens=8192, batch=4, runtime="ollama")
    e = estimate(model=SERIAL, quant=Q4_K_M, devices=[RTX_4090], workload=w)
    plan = e.recommended_plan
    assert e.reason.values["tok_s"] == pytest.approx(plan.decode_tok_s)
    assert "one request at a time" in plan.commands["ollama"]
