"""vLLM's hybrid KV cache manager: sliding-window layers take only their window's blocks from the pool, and
a plan fits only when that pool holds one request of the full context (what vLLM checks at start-up).
The KV explanation names the cells the sliding-window layers keep, so its factors give its total."""

import re

import pytest
from engine_specs import A100_80, F16, MXFP4, gemma3_27b, gpt_oss_20b, gpt_oss_120b, make_gpu

from estimator import Workload, estimate, kv_cache
from estimator.units import GIB, KIB, format_bytes

# fixtures/catalog/gpus.json: geforce-rtx-4060-ti-16-gb
RTX_4060_TI_16 = make_gpu(
    slug="geforce-rtx-4060-ti-16-gb",
    name="GeForce RTX 4060 Ti 16 GB",
    memory_bytes=16 * GIB,
    bandwidth_gb_s=288.0,
    fp16_tflops=44.1,
    architecture="Ada Lovelace",
    form_factor="desktop",
)


def single(model, quant, device, workload):
    e = estimate(model=model, quant=quant, devices=[device], workload=workload, with_suggestions=False)
    return e, next(p for p in e.plans if p.strategy == "single")


@pytest.mark.parametrize("context", [8192, 12288, 16384, 17664, 32768])
def test_gpt_oss_20b_on_a_16_gb_card_fits_under_vllm_only_when_its_pool_holds_one_request(context):
    # The visitor's question at 17,664 tokens said "fits" beside a pool of 0.5 × 17,664: the memory bar
    # counted the sliding-window layers at their window, the pool every layer at full length.
    e, plan = single(gpt_oss_20b(), MXFP4, RTX_4060_TI_16, Workload(context_tokens=context, runtime="vllm"))
    assert plan.fits == (plan.max_concurrency >= 1)
    if plan.fits:
        assert e.recommended == "single"
    else:
        assert e.recommended is None


def test_gpt_oss_20b_at_17664_tokens_does_not_fit_a_16_gb_card_under_vllm():
    # 12 full layers keep 17,664 tokens and 12 sliding-window layers 127 + 2048 → 136 blocks + 1 = 2192:
    # 2 KiB per layer per token × 12 × (17,664 + 2,192) = 465 MiB, past what the card leaves (~418 MiB)
    _, plan = single(gpt_oss_20b(), MXFP4, RTX_4060_TI_16, Workload(context_tokens=17664, runtime="vllm"))
    assert plan.devices[0].kv_cache_bytes == 12 * (17664 + 2192) * 2 * KIB
    assert not plan.fits
    assert plan.max_concurrency < 1


def test_gpt_oss_20b_concurrency_counts_the_window_groups_blocks_only():
    # Two groups of 12 layers share one pool: the log's N tokens are N / 16 blocks of each group, 2N / 16
    # blocks in all; a request of 8,192 tokens takes 512 blocks in the full group and 137 in the window one
    _, plan = single(gpt_oss_20b(), MXFP4, RTX_4060_TI_16, Workload(context_tokens=8192, runtime="vllm"))
    assert plan.fits
    blocks = 2 * plan.kv_capacity_tokens // 16
    assert plan.max_concurrency == pytest.approx(blocks / (512 + 137), rel=1e-3)
    # every layer counted at full length, as before, gave N / 8192: 2 × 512 / 649 = 1.58 times less
    assert plan.max_concurrency == pytest.approx(1.578 * plan.kv_capacity_tokens / 8192, rel=1e-3)


def test_gemma_3_27b_pool_pads_its_window_groups():
    # 10 full layers, 52 sliding-window ones: 7 groups of 10 layers (the sixth window group padded); a
    # request of 32,768 tokens takes 2048 blocks + 6 × (cdiv(1023 + 2048, 16) + 1 = 193)
    _, plan = single(gemma3_27b(), F16, A100_80, Workload(context_tokens=32768, runtime="vllm"))
    assert kv_cache.vllm_groups(gemma3_27b()) == kv_cache.VllmGroups(full=1, window=6, size=10)
    assert kv_cache.vllm_request_blocks(gemma3_27b(), Workload(context_tokens=32768, runtime="vllm")) == 3206
    blocks = 7 * plan.kv_capacity_tokens // 16
    assert plan.max_concurrency == pytest.approx(blocks / 3206, rel=1e-3)


def kv_factors(substituted: str) -> tuple[int, int, int, int, int, str]:
    """(bytes per token, cells, sliding-window layers, their cells, padding slots, the total shown)."""
    found = re.search(
        r"= (\d+) KiB per token × (\d+) cells; (\d+) sliding-window layers keep(?: only)? (\d+) cells"
        r"(?:; vLLM pads its groups with (\d+) sliding-window layers?)? = (.+)$",
        substituted,
    )
    assert found, substituted
    per_token, cells, windowed, window_cells, pads, total = found.groups()
    return int(per_token) * KIB, int(cells), int(windowed), int(window_cells), int(pads or 0), total


@pytest.mark.parametrize(
    ("model", "quant", "runtime"),
    [
        # 72 KiB × 8192 cells; 18 layers keep 128 + 512 (micro-batch) → 768 cells = 315 MiB, not 292.5
        (gpt_oss_120b(), MXFP4, "llama.cpp"),
        (gpt_oss_20b(), MXFP4, "vllm"),
        (gemma3_27b(), F16, "vllm"),
        (gemma3_27b(), F16, "llama.cpp"),
    ],
)
def test_kv_explanation_factors_give_its_total(model, quant, runtime):
    w = Workload(context_tokens=8192, runtime=runtime)
    e = estimate(model=model, quant=quant, devices=[A100_80], workload=w, with_suggestions=False)
    per_token, cells, windowed, window_cells, pads, total = kv_factors(
        e.explanations["kv_cache_bytes"].substituted
    )
    per_layer = per_token // model.num_hidden_layers
    product = per_layer * ((model.num_hidden_layers - windowed) * cells + (windowed + pads) * window_cells)
    assert product == e.memory.kv_cache_bytes
    assert format_bytes(product) == total
