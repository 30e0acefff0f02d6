"""Memory per device: weights by tensor class, KV cache (GQA, MLA, sliding window), buffers, overhead."""

import pytest
from engine_specs import (
    F16,
    MXFP4,
    Q4_K_M,
    RTX_4090,
    deepseek_v3,
    gemma2_9b,
    gemma3_27b,
    gpt_oss_120b,
    llama_8b,
    make_gpu,
)

from estimator import DeviceSpec, QuantSpec, Workload, estimate, kv_cache, memory
from estimator.units import GB, GIB, KIB, MIB


def test_llama_3_1_8b_f16_weights_are_16_06_gb():
    # 8.03 B parameters × 16 bits ÷ 8 = 16.06 GB
    assert memory.weights_bytes(llama_8b(), F16) == pytest.approx(16.06 * GB, rel=1e-3)


@pytest.mark.parametrize(
    ("kv_type", "bytes_per_token"),
    [
        ("f16", 128 * KIB),  # 2 × 32 layers × 8 KV heads × 128 × 2 bytes = 131072
        ("q8_0", 69632),  # × 1.0625 / 2
        ("q4_0", 36864),  # × 0.5625 / 2
    ],
)
def test_llama_3_1_8b_kv_cache_per_token_counts_only_the_8_kv_heads(kv_type, bytes_per_token):
    w = Workload(kv_cache_type=kv_type)
    assert kv_cache.kv_bytes_per_token(llama_8b(), w.kv_bytes_per_element) == bytes_per_token


def test_llama_3_1_8b_8k_context_f16_kv_cache_is_exactly_1_gib():
    w = Workload(context_tokens=8192)
    assert (
        kv_cache.kv_cache_bytes(llama_8b(), context_tokens=8192, batch=1, kv_bytes_per_element=2, workload=w)
        == GIB
    )


@pytest.mark.parametrize(
    ("runtime", "context", "batch", "cells"),
    [
        ("llama.cpp", 8000, 1, 8192),  # padded to 256
        ("llama.cpp", 4096, 3, 12288),  # -c is shared by -np slots
        ("llama.cpp", 1000, 1, 1024),
        ("vllm", 8000, 1, 8000),  # 16-token blocks
        ("vllm", 1001, 1, 1008),
        ("mlx", 1001, 1, 1001),
    ],
)
def test_context_is_padded_the_way_each_runtime_allocates_it(runtime, context, batch, cells):
    w = Workload(context_tokens=context, batch=batch, runtime=runtime, prompt_tokens=min(512, context))
    assert kv_cache.padded_context(llama_8b(), w) == cells


def test_deepseek_v3_mla_caches_576_values_per_layer_not_k_and_v_per_head():
    # 61 layers × (kv_lora_rank 512 + qk_rope_head_dim 64) × 2 bytes = 70272 bytes per token
    assert kv_cache.kv_bytes_per_token(deepseek_v3(), 2.0) == 61 * 576 * 2 == 70272
    w = Workload(context_tokens=32768)
    assert (
        kv_cache.kv_cache_bytes(
            deepseek_v3(), context_tokens=32768, batch=1, kv_bytes_per_element=2, workload=w
        )
        == 70272 * 32768
    )  # 2.14 GiB, not the 156 GiB of per-head K/V


def test_deepseek_v3_tensor_classes_add_up_to_671b_with_37b_active():
    c = memory.tensor_classes(deepseek_v3())
    assert (c.dense_layers, c.moe_layers) == (3, 58)
    assert c.stored_total == pytest.approx(671e9, rel=1e-6)
    active = sum(c.layer_active_params(i) for i in range(61)) + c.output + c.embedding
    assert active == pytest.approx(37.5e9, rel=0.03)  # card: 37 B


@pytest.mark.parametrize(
    ("runtime", "local_layers", "local_cells"),
    [
        ("llama.cpp", 52, 1536),  # window 1024 + one 512-token micro-batch, padded to 256
        # vLLM's hybrid manager: 6 groups of 10 local layers (the last padded: 60 slots for 52 layers),
        # each keeping window - 1 + 2048 scheduled tokens = 3071 → 192 blocks, + 1 block = 3088 tokens
        ("vllm", 60, 3088),
    ],
)
def test_gemma_3_sliding_window_layers_keep_only_their_window(runtime, local_layers, local_cells):
    # 62 layers: 10 global keep 32768 tokens, 52 local keep the window; 2 × 16 heads × 128 × 2 B = 8 KiB per layer
    w = Workload(context_tokens=32768, runtime=runtime)
    kv = kv_cache.kv_cache_bytes(
        gemma3_27b(), context_tokens=32768, batch=1, kv_bytes_per_element=2, workload=w
    )
    assert kv == 10 * 32768 * 8192 + local_layers * local_cells * 8192
    assert kv < 0.35 * 62 * 32768 * 8192  # about a third of a cache without windows, or less


def test_gemma_3_has_one_global_layer_in_six():
    model = gemma3_27b()
    assert sum(not kv_cache.is_window_layer(model, i) for i in range(62)) == 10


def test_gemma_2_alternates_local_and_global_layers():
    model = gemma2_9b()
    assert [kv_cache.is_window_layer(model, i) for i in range(4)] == [True, False, True, False]


def test_gpt_oss_128_token_window_layers_hold_window_plus_micro_batch():
    w = Workload(context_tokens=8192)
    kv = kv_cache.kv_cache_bytes(
        gpt_oss_120b(), context_tokens=8192, batch=1, kv_bytes_per_element=2, workload=w
    )
    per_layer_token = 2 * 8 * 64 * 2
    assert kv == 18 * 8192 * per_layer_token + 18 * 768 * per_layer_token


def test_gpt_oss_120b_mxfp4_weights_are_about_65_gb():
    # experts 114.7 B × 4.25 bits + 2.2 B of BF16 attention, embeddings and head
    assert memory.weights_bytes(gpt_oss_120b(), MXFP4) == pytest.approx(65.3 * GB, rel=0.01)


@pytest.mark.parametrize(
    ("flash_attention", "mib"),
    [
        (True, 266),  # llama.cpp logs ~258 MiB for Llama 3 8B at 8K with -fa
        (False, 528),  # ~560 MiB without: the 512 × 8192 × 32 × 4 B attention scores dominate
    ],
)
def test_llama_cpp_compute_buffer_grows_with_context_without_flash_attention(flash_attention, mib):
    w = Workload(context_tokens=8192, flash_attention=flash_attention)
    assert memory.compute_buffer_bytes(llama_8b(), holds_output=True, workload=w) / MIB == pytest.approx(
        mib, abs=1
    )


def test_llama_cpp_keeps_token_embeddings_off_the_gpu_and_the_head_on_it():
    plan = estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090], workload=Workload()).recommended_plan
    tensors = plan.devices[0].tensors
    assert "embedding" not in tensors
    assert tensors["output"] == memory.output_bytes(llama_8b(), Q4_K_M)


def test_vllm_keeps_token_embeddings_on_the_gpu():
    plan = estimate(
        model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090], workload=Workload(runtime="vllm")
    ).recommended_plan
    assert plan.devices[0].tensors["embedding"] == memory.embedding_bytes(llama_8b(), Q4_K_M)


@pytest.mark.parametrize(
    ("runtime", "gpu"),
    [
        ("vllm", make_gpu(memory_bytes=48 * GIB)),
        ("mlx", make_gpu(name="Apple M3 Max", memory_bytes=48 * GIB, backend="metal", unified_memory=True)),
    ],
)
def test_a_tied_head_on_the_embeddings_device_is_the_table_itself(runtime, gpu):
    # Gemma 2 9B ties its head: vLLM and MLX keep one tensor for both (a 256,000 × 3,584 table at 4.89 bits is
    # 561 MB, counted twice before), so one GPU holds the checkpoint's bytes, not the table twice
    model = gemma2_9b()
    device = estimate(
        model=model, quant=Q4_K_M, devices=[gpu], workload=Workload(runtime=runtime)
    ).recommended_plan.devices[0]
    assert device.tensors["embedding"] == memory.embedding_bytes(model, Q4_K_M)
    assert "output" not in device.tensors
    assert device.weights_bytes == memory.weights_bytes(model, Q4_K_M)


@pytest.mark.parametrize(
    ("memory_gb", "fraction"),
    [
        (16, 2 / 3),  # measured: ~10.67 GB of a 16 GB M4
        (64, 0.75),
    ],
)
def test_mac_unified_memory_counts_only_the_gpu_usable_share(memory_gb, fraction):
    mac = DeviceSpec(
        slug="m4",
        name="M4",
        memory_bytes=memory_gb * 10**9,
        bandwidth_gb_s=120,
        unified_memory=True,
        backend="metal",
    )
    assert mac.usable_bytes == int(memory_gb * 10**9 * fraction)


def test_an_explicit_gpu_memory_fraction_overrides_the_mac_default():
    mac = DeviceSpec(
        slug="m4",
        name="M4",
        memory_bytes=16 * 10**9,
        bandwidth_gb_s=120,
        unified_memory=True,
        backend="metal",
        gpu_memory_fraction=0.9,
    )
    assert mac.usable_bytes == int(16 * 10**9 * 0.9)


def test_cuda_device_carries_a_300_mib_context_and_metal_none():
    cuda = estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090], workload=Workload())
    mac = estimate(
        model=llama_8b(),
        quant=Q4_K_M,
        devices=[make_gpu(backend="metal", unified_memory=True)],
        workload=Workload(),
    )
    assert cuda.recommended_plan.devices[0].overhead_bytes == 300 * MIB
    assert mac.recommended_plan.devices[0].overhead_bytes == 0


@pytest.mark.parametrize(
    ("capacity_over_used", "fits", "tight"),
    [
        (1.25, True, False),  # 20% free
        (1.05, True, True),  # under 10% free: fits, but tight
        (0.99, False, False),
    ],
)
def test_tight_means_fits_with_under_10_percent_free(capacity_over_used, fits, tight):
    w = Workload(headroom_bytes=0)
    used = (
        estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090], workload=w)
        .plans[0]
        .devices[0]
        .used_bytes
    )
    gpu = make_gpu(memory_bytes=int(used * capacity_over_used))
    single = estimate(model=llama_8b(), quant=Q4_K_M, devices=[gpu], workload=w).plans[0]
    assert (single.fits, single.tight) == (fits, tight)


def test_default_headroom_keeps_1_gib_free_per_device():
    used = (
        estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090], workload=Workload())
        .plans[0]
        .devices[0]
        .used_bytes
    )
    assert (
        not estimate(
            model=llama_8b(),
            quant=Q4_K_M,
            devices=[make_gpu(memory_bytes=used + GIB - 1)],
            workload=Workload(),
        )
        .plans[0]
        .fits
    )
    assert (
        estimate(
            model=llama_8b(), quant=Q4_K_M, devices=[make_gpu(memory_bytes=used + GIB)], workload=Workload()
        )
        .plans[0]
        .fits
    )


def test_an_awq_checkpoint_of_llama_3_1_8b_keeps_16_bit_embeddings_and_head_5_7_gb():
    # 6.979 B in the decoder's linears × 4.15625 bits = 3.626 GB, plus the embedding table and the head,
    # 128256 × 4096 = 0.525 B each, at 16 bits: 2 × 1.051 GB. 5.73 GB, not 4.17 at 4.16 bits throughout.
    awq = QuantSpec(
        slug="awq-4bit", name="AWQ", bits_per_weight=4.15625, format="awq",
        output_bits_per_weight=16, embedding_bits_per_weight=16,
    )  # fmt: skip
    assert memory.weights_bytes(llama_8b(), awq) == pytest.approx(5.728e9, rel=1e-3)
    assert memory.embedding_bytes(llama_8b(), awq) == memory.output_bytes(llama_8b(), awq) == 1_050_673_152
    widths = [(what, bits) for what, _, bits in memory.params_by_width(llama_8b(), awq)]
    assert widths == [("the rest", 4.15625), ("token embeddings", 16), ("output head", 16)]


def test_the_headroom_explained_is_the_one_the_bars_keep():
    """Under vLLM each device keeps (1 − --gpu-memory-utilization) of its memory free, 1.9 GiB of a 24 GiB card,
    where the explanation said the workload's 1.0 GiB beside bars of 1.9 (the review)."""
    bf16 = QuantSpec(slug="bf16", name="BF16", bits_per_weight=16.0, format="safetensors")
    e = estimate(model=llama_8b(), quant=bf16, devices=[RTX_4090], workload=Workload(runtime="vllm"))
    held = e.recommended_plan.gpu_devices[0].headroom_bytes
    said = e.explanations["headroom_bytes"].substituted
    assert said.startswith("(1 − 0.92) = 8% of each device") and said.endswith(
        f"{held / 2**30:.1f} GiB on the largest"
    )
    plain = estimate(model=llama_8b(), quant=bf16, devices=[RTX_4090], workload=Workload())
    assert plain.explanations["headroom_bytes"].substituted == "1.0 GiB per device"
