"""The fast paths (memory-only fit checks, cached layer tables) give the same answers as the full engine.

`PINNED` holds the suggestions engine 0.2.0 computed before the fast paths existed (every full estimate
re-run per probe); their kinds, changes and verdicts must not move. The speeds in their text follow the
calibrated constants (engine 0.6's refit moved five of them by 1–6%).
"""

import pytest
from engine_specs import (
    AWQ,
    F16,
    MXFP4,
    Q2_K,
    Q4_K_M,
    Q6_K,
    Q8_0,
    RTX_3090,
    RTX_4090,
    deepseek_v3,
    gemma3_27b,
    gpt_oss_120b,
    llama_8b,
    llama_70b,
    make_gpu,
)

from calculator.present import suggestion
from estimator import Workload, estimate
from estimator.estimate import best_plan, fits, plan_fits
from estimator.ranking import candidate_plans
from estimator.suggest import GPU_ONLY, longest_context
from estimator.units import GIB

CAND = (F16, Q8_0, Q6_K, Q4_K_M, Q2_K)
RTX_3060 = make_gpu(
    slug="rtx-3060", name="RTX 3060", memory_bytes=12 * GIB, bandwidth_gb_s=360, fp16_tflops=51.2
)
H100 = make_gpu(slug="h100", name="H100", memory_bytes=80 * GIB, bandwidth_gb_s=3350, fp16_tflops=989.0)

CASES = {
    "70b_q4_k_m_two_3090s_8k_ram": (
        llama_70b(),
        Q4_K_M,
        [RTX_3090, RTX_3090],
        Workload(context_tokens=8192, ram_bytes=64 * GIB),
    ),
    "70b_f16_one_3060_ram": (llama_70b(), F16, [RTX_3060], Workload(ram_bytes=64 * GIB)),
    "70b_q4_k_m_one_4090_no_ram": (llama_70b(), Q4_K_M, [RTX_4090], Workload()),
    "gpt_oss_120b_mxfp4_4090_ram": (
        gpt_oss_120b(),
        MXFP4,
        [RTX_4090],
        Workload(context_tokens=16384, ram_bytes=64 * GIB),
    ),
    "8b_q4_k_m_one_3090": (llama_8b(), Q4_K_M, [RTX_3090], Workload()),
    "gemma3_27b_q8_0_4090_32k": (gemma3_27b(), Q8_0, [RTX_4090], Workload(context_tokens=32768)),
    "70b_awq_vllm_two_3090s": (
        llama_70b(),
        AWQ,
        [RTX_3090, RTX_3090],
        Workload(context_tokens=8192, runtime="vllm"),
    ),
    "deepseek_v3_q4_k_m_8_h100": (deepseek_v3(), Q4_K_M, [H100] * 8, Workload()),
    "70b_q4_k_m_4090_3090_no_flash_batch_4": (
        llama_70b(),
        Q4_K_M,
        [RTX_4090, RTX_3090],
        Workload(context_tokens=16384, batch=4, flash_attention=False, ram_bytes=32 * GIB),
    ),
}

PINNED = {
    # engine 0.6.93: where only another plan holds the longest context, the recommended plan's own comes first
    # engine 0.6.91: with RAM given, the longest context searched on the GPUs says so ("fits on the GPUs")
    # engine 0.5: llama.cpp's tensor split (-sm tensor) spreads the KV cache over the GPUs, but refuses a
    # quantized one; vLLM keeps 0.92 of each GPU (its default) and needs room for one sequence only
    # engine 0.4: the speeds quoted move with the recalibrated speed model (bench/README.md, Accuracy)
    # engine 0.3: llama.cpp's row split keeps the whole KV cache on the main GPU, so the layer split
    # now sets the longest context (it was the row split with half the cache per GPU)
    # a wider format is suggested only where it runs on the GPUs alone: Q8_0 fitted here with CPU offload
    "70b_q4_k_m_two_3090s_8k_ram": [
        (
            "context",
            (
                "Context up to 16,896 tokens fits on the GPUs at Q4_K_M with a layer split; 18,176 (only with tensor "
                "parallelism, experimental in llama.cpp, 29.3 tok/s)."
            ),
            {"ctx": 16896},
            True,
        ),
        (
            "kv_cache",
            "A q8_0 KV cache saves 1.2 GiB and allows 32,000 tokens of context.",
            {"kv": "q8_0"},
            True,
        ),
        (
            "kv_cache",
            "A q4_0 KV cache saves 1.8 GiB and allows 60,672 tokens of context.",
            {"kv": "q4_0"},
            True,
        ),
    ],
    "70b_f16_one_3060_ram": [
        ("quant", "Q8_0 fits, the largest format that does.", {"quant": "q8_0"}, True),
        (
            "hosts",
            "2 machines of 8× RTX 3060, joined over the network, would fit it (RPC cluster, 2.07 tok/s).",
            {"gpu_count": 8, "hosts": 2},
            True,
        ),
        ("offload", "With 192 GB of system RAM, CPU offload would fit: 0.26 tok/s.", {"ram_gb": 192}, True),
    ],
    "70b_q4_k_m_one_4090_no_ram": [
        ("gpu_count", "2 × RTX 4090 would fit it (layer split, 19.0 tok/s).", {"gpu_count": 2}, True),
        ("offload", "With 32 GB of system RAM, CPU offload would fit: 1.63 tok/s.", {"ram_gb": 32}, True),
    ],
    "gpt_oss_120b_mxfp4_4090_ram": [
        (
            "context",
            "Context up to 131,072 tokens fits at MXFP4 (the model's maximum).",
            {"ctx": 131072},
            True,
        ),
        ("kv_cache", "A q8_0 KV cache saves 283 MiB.", {"kv": "q8_0"}, True),
        ("kv_cache", "A q4_0 KV cache saves 433 MiB.", {"kv": "q4_0"}, True),
        (
            "offload",
            "Runs with expert offload at 20.3 tok/s; a GPU with more memory would be about 6.1× faster.",
            {},
            True,
        ),
    ],
    "8b_q4_k_m_one_3090": [
        ("quant", "F16 also fits, and keeps more of the model's quality.", {"quant": "f16"}, True),
        (
            "context",
            "Context up to 131,072 tokens fits at Q4_K_M (the model's maximum).",
            {"ctx": 131072},
            True,
        ),
        ("kv_cache", "A q8_0 KV cache saves 240 MiB.", {"kv": "q8_0"}, True),
        ("kv_cache", "A q4_0 KV cache saves 368 MiB.", {"kv": "q4_0"}, True),
    ],
    "gemma3_27b_q8_0_4090_32k": [
        ("quant", "Q4_K_M fits, the largest format that does.", {"quant": "q4_k_m"}, True),
        ("gpu_count", "2 × RTX 4090 would fit it (layer split, 29.6 tok/s).", {"gpu_count": 2}, True),
        ("offload", "With 32 GB of system RAM, CPU offload would fit: 3.73 tok/s.", {"ram_gb": 32}, True),
    ],
    "70b_awq_vllm_two_3090s": [
        ("context", "Context up to 20,224 tokens fits at AWQ 4-bit.", {"ctx": 20224}, True),
        # vLLM's FP8 KV cache (--kv-cache-dtype fp8): no flash-attention change, as vLLM has no such flag here
        (
            "kv_cache",
            "An fp8 KV cache saves 1.2 GiB and allows 40,448 tokens of context.",
            {"kv": "fp8"},
            True,
        ),
    ],
    "deepseek_v3_q4_k_m_8_h100": [
        ("quant", "Q6_K also fits, and keeps more of the model's quality.", {"quant": "q6_k"}, True),
        (
            "context",
            "Context up to 163,840 tokens fits at Q4_K_M (the model's maximum).",
            {"ctx": 163840},
            True,
        ),
        ("kv_cache", "A q8_0 KV cache saves 129 MiB.", {"kv": "q8_0"}, True),
        ("kv_cache", "A q4_0 KV cache saves 197 MiB.", {"kv": "q4_0"}, True),
    ],
    "70b_q4_k_m_4090_3090_no_flash_batch_4": [
        ("quant", "Q2_K fits, the largest format that does; its quality drops.", {"quant": "q2_k"}, True),
        ("context", "Context up to 2,304 tokens fits on the GPUs at Q4_K_M.", {"ctx": 2304}, True),
        # llama.cpp keeps a quantized V cache only with flash attention: the links turn it on
        (
            "kv_cache",
            "A q8_0 KV cache allows 7,936 tokens of context (with flash attention on).",
            {"kv": "q8_0", "fa": "on"},
            False,
        ),
        (
            "kv_cache",
            "A q4_0 KV cache allows 15,104 tokens of context (with flash attention on).",
            {"kv": "q4_0", "fa": "on"},
            False,
        ),
        ("flash_attention", "Flash attention on allows 4,096 tokens of context.", {"fa": "on"}, False),
        (
            "gpu_count",
            "5 × RTX 4090 would fit it (layer split, about 17.7 tok/s per user).",
            {"gpu_count": 5},
            True,
        ),
        (
            "offload",
            "With 48 GB of system RAM, CPU offload would fit: about 1.41 tok/s per user.",
            {"ram_gb": 48},
            True,
        ),
    ],
}


@pytest.mark.parametrize("name", list(CASES))
def test_suggestions_are_unchanged_by_the_fast_paths(name):
    model, quant, devices, workload = CASES[name]
    e = estimate(model=model, quant=quant, devices=devices, workload=workload, candidates=CAND)
    assert [(s.kind, suggestion(s), s.changes, s.fits) for s in e.suggestions] == PINNED[name]


def _reference_longest_context(model, quant, devices, workload, strategies):
    """The binary search over multiples of 256 tokens, with full plans: what `longest_context` was."""

    def ok(tokens):
        w = workload.model_copy(
            update={"context_tokens": tokens, "prompt_tokens": min(workload.prompt_tokens, tokens)}
        )
        return fits(model=model, quant=quant, devices=devices, workload=w, strategies=strategies) is not None

    if not ok(512):
        return None
    lo, hi = 2, (model.max_position_embeddings or 131072) // 256
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if ok(mid * 256) else (lo, mid - 1)
    return lo * 256


WORKLOADS = {
    "8k": Workload(context_tokens=8192),
    "8k_ram": Workload(context_tokens=8192, ram_bytes=64 * GIB),
    "batch_4_no_flash": Workload(context_tokens=4096, batch=4, flash_attention=False, ram_bytes=32 * GIB),
    "vllm": Workload(context_tokens=8192, runtime="vllm"),
    "q8_0_kv_3_hosts": Workload(context_tokens=8192, kv_cache_type="q8_0", hosts=3),
}
RIGS = {"3060": [RTX_3060], "2x3090": [RTX_3090, RTX_3090], "4090+3090": [RTX_4090, RTX_3090]}
MODELS = {"70b": llama_70b(), "gemma3": gemma3_27b(), "gpt-oss": gpt_oss_120b()}


@pytest.mark.parametrize("workload", list(WORKLOADS))
@pytest.mark.parametrize("rig", list(RIGS))
@pytest.mark.parametrize("model", list(MODELS))
def test_memory_only_checks_agree_with_full_plans(model, rig, workload):
    m, devices, w = MODELS[model], RIGS[rig], WORKLOADS[workload]
    for quant in (F16, Q4_K_M, Q2_K):
        # every plan built (fits() itself asks plan_fits first and builds none when it says no)
        built, _ = candidate_plans(model=m, quant=quant, devices=devices, workload=w)
        for strategies in (None, GPU_ONLY, ("cpu_offload", "expert_offload")):
            full = any(p.fits for p in built if strategies is None or p.strategy in strategies)
            fast = plan_fits(model=m, quant=quant, devices=devices, workload=w, strategies=strategies)
            assert fast is full, (quant.slug, strategies)
    for strategies in (None, GPU_ONLY):
        assert longest_context(m, Q4_K_M, devices, w, strategies) == _reference_longest_context(
            m, Q4_K_M, devices, w, strategies
        ), strategies


@pytest.mark.parametrize("workload", list(WORKLOADS))
@pytest.mark.parametrize("rig", list(RIGS))
def test_fits_without_its_probe_or_reason_finds_the_same_plan(rig, workload):
    """The charts ask best_plan (or fits) with probe=False, reasoned=False while their points fit: the same
    plan, or None."""
    m, devices, w = MODELS["70b"], RIGS[rig], WORKLOADS[workload]
    for quant in (F16, Q4_K_M, Q2_K):
        plan = fits(model=m, quant=quant, devices=devices, workload=w)
        quick = fits(model=m, quant=quant, devices=devices, workload=w, probe=False, reasoned=False)
        alone = best_plan(model=m, quant=quant, devices=devices, workload=w, probe=False, reasoned=False)
        if plan is None:
            assert quick is None and alone is None, quant.slug
        else:
            same = {"rank": plan.rank, "reason": plan.reason}
            assert quick.model_copy(update=same) == plan == alone.model_copy(update=same), quant.slug
