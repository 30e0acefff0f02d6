"""Engine 0.6's physics, each against the published figure it came from (estimator/speed.py comments)."""

import dataclasses

import pytest
from engine_specs import F16, H100_SXM, Q4_K_M, gpt_oss_120b, llama_8b, make_gpu

from estimator import QuantSpec, Workload, hardware, kv_reads, memory, plans, ranges, speed
from estimator.units import GIB

# llama.cpp's MXFP4_MOE mix: expert tensors MXFP4 (4.25 bits), everything else and the head Q8_0 (8.5),
# as catalog.models.Quantization.widths() gives an MXFP4 row of one width.
MXFP4_MOE = QuantSpec(
    slug="mxfp4",
    name="MXFP4",
    bits_per_weight=8.5,
    expert_bits_per_weight=4.25,
    output_bits_per_weight=8.5,
    format="mxfp4",
)
GEFORCE_4090 = make_gpu(name="GeForce RTX 4090", form_factor="desktop", architecture="Ada Lovelace")


def test_gpt_oss_120b_at_llama_cpps_mxfp4_mix_is_the_size_of_ggml_orgs_file():
    # ggml-org/gpt-oss-120b-GGUF: 59.02 GiB as llama-bench prints it (116.83 B parameters); the catalog
    # spec counts 117.0 B
    size = memory.weights_bytes(gpt_oss_120b(), MXFP4_MOE) / GIB
    assert size == pytest.approx(59.02 * 117.0 / 116.83, rel=0.02)


def test_the_weights_explanation_names_each_width():
    widths = memory.params_by_width(gpt_oss_120b(), MXFP4_MOE)
    assert [(what, bits) for what, _, bits in widths] == [("routed experts", 4.25), ("the rest", 8.5)]
    assert sum(n for _, n, _ in widths) == pytest.approx(117.0e9)
    assert memory.params_by_width(llama_8b(), Q4_K_M) == [("", memory.stored_params(llama_8b()), 4.8944)]


def test_hoppers_quantized_prompts_run_at_llama_cpps_kernels_not_its_tensor_rate():
    # pp512 of LLaMA-2-7B Q4_0 on the CUDA scoreboard: H100 9,918-11,263 tok/s, RTX 4090 11,993-14,771:
    # the H100 lists 6x the 4090's FP16 rate but is not faster on quantized prompts
    w = Workload(context_tokens=1024, prompt_tokens=512)
    h100, rtx = (
        plans.single(model=llama_8b(), quant=Q4_K_M, devices=[d], workload=w)
        for d in (H100_SXM, GEFORCE_4090)
    )
    assert 0.5 < h100.prefill_tok_s / rtx.prefill_tok_s < 1.5
    # 16-bit weights go to cuBLAS, which uses the whole tensor rate
    h100_f16, rtx_f16 = (
        plans.single(model=llama_8b(), quant=F16, devices=[d], workload=w) for d in (H100_SXM, GEFORCE_4090)
    )
    assert h100_f16.prefill_tok_s > 2 * rtx_f16.prefill_tok_s
    assert speed.tensor_width(H100_SXM) == speed.TENSOR_WIDTH["GH100"]
    # GA100 twice an Ada SM's: the A100's 2025 scoreboard rows (MMQ) are as fast as a 3090's
    assert (
        speed.tensor_width(make_gpu(name="A100 80GB", architecture="Ampere")) == speed.TENSOR_WIDTH["GA100"]
    )
    assert speed.tensor_width(make_gpu(name="GeForce RTX 3090", architecture="Ampere")) == 1.0


def test_vulkan_on_nvidias_tensor_cores_prompts_like_cuda_not_like_amd():
    # pp512 of LLaMA-2-7B Q4_0 on an RTX 3090: 5,175 tok/s on CUDA (the CUDA scoreboard), 4,666 on Vulkan (a
    # 2026 llama.cpp PR): its cooperative-matrix shaders run on the tensor cores (llama.cpp PR 10206)
    rtx_3090 = make_gpu(name="GeForce RTX 3090", architecture="Ampere", bandwidth_gb_s=936, fp16_tflops=71.0)
    w = Workload(context_tokens=1024, prompt_tokens=512)
    cuda, vulkan = (
        plans.single(
            model=llama_8b(), quant=q, devices=[rtx_3090.model_copy(update={"backend": b})], workload=w
        )
        for b in ("cuda", "vulkan")
        for q in (Q4_K_M,)
    )
    assert vulkan.prefill_tok_s == pytest.approx(cuda.prefill_tok_s, rel=0.05)
    assert vulkan.decode_tok_s != cuda.decode_tok_s  # decode is Vulkan's own
    # AMD and Intel on Vulkan keep Vulkan's prompt kernels; Pascal has no tensor cores
    for name, architecture in (
        ("Radeon RX 7900 XTX", "RDNA 3.0"),
        ("Arc A770", "Xe-HPG"),
        ("GeForce GTX 1080", "Pascal"),
        ("Radeon 780M", None),
    ):
        gpu = make_gpu(name=name, architecture=architecture, backend="vulkan")
        assert speed.prompt_kernels(gpu, "llama.cpp") != "cuda", name
    assert speed.prompt_kernels(make_gpu(name="GeForce RTX 4090", backend="vulkan"), "llama.cpp") == "cuda"


@pytest.mark.parametrize(
    ("name", "memory_class"),
    [("Apple M2 Ultra (76-core GPU)", "lpddr_two_die"), ("Apple M2 Max (38-core GPU)", "lpddr")],
)
def test_apples_ultra_chips_read_across_two_dies(name, memory_class):
    chip = make_gpu(name=name, unified_memory=True, backend="metal", memory_type="LPDDR5")
    assert speed.memory_class(chip) == memory_class


@pytest.mark.parametrize("memory_type", ["HBM3e", None])
def test_an_h200_decodes_at_the_h100s_rate_not_its_memorys(memory_type):
    # pavlokhmel.com, same files: Qwen3.6-27B Q4_K_M 74 tok/s on the H100 SXM, 76 on the H200 SXM (+3%); the same
    # GH100 behind 4890 GB/s of HBM3e instead of 3350 of HBM3: bound by what its SMs keep in flight
    # (speed.HBM_BYTES_PER_SM_CYCLE), a few percent faster, not the 46% of its bandwidth
    same_chip = {"name": "H200 SXM 141 GB", "bandwidth_gb_s": 4890, "memory_type": memory_type}
    h200 = H100_SXM.model_copy(update={**same_chip, "slug": "h200-sxm-141-gb", "memory_bytes": 141 * GIB})
    assert speed.memory_class(h200) == "hbm3e"
    w = Workload(context_tokens=4096, prompt_tokens=512)
    h100_plan, h200_plan = (
        plans.single(model=llama_8b(), quant=Q4_K_M, devices=[d], workload=w) for d in (H100_SXM, h200)
    )
    assert h100_plan.decode_tok_s < h200_plan.decode_tok_s < 1.08 * h100_plan.decode_tok_s


def test_a_class_without_rows_of_its_own_misses_like_any_device():
    # a Strix Halo on Vulkan, held out, missed the GeForce-heavy Vulkan range in 33 of 43 rows
    low, high = ranges.speed_range(100.0, "lpddr/vulkan/moe")  # no range of its own
    for fallback in ("*/vulkan/*", "decode"):
        error_low, error_high = ranges.ERROR_RANGES[fallback]
        assert low <= 100 / (1 + error_high) + 1e-9
        assert high >= 100 / (1 + error_low) - 1e-9


def with_and_without_flash_attention(quant: QuantSpec, **workload) -> tuple:
    """Llama 3.1 8B on an RTX 4090, the same question with flash attention on, then off."""
    return tuple(
        plans.single(
            model=llama_8b(),
            quant=quant,
            devices=[GEFORCE_4090],
            workload=Workload(**workload, flash_attention=fa),
        )
        for fa in (True, False)
    )


def test_without_flash_attention_the_full_context_is_what_slows():
    # lhl's Strix Halo runs, one build: Llama 3 8B Q4_K_M tg4096 at 33.96 tok/s without flash attention and
    # 37.61 with it, tg128 43.42: the general kernels read the KV cache at a fraction of the fused kernel's
    # rate (kv_reads.NO_FLASH_KV_EFFICIENCY), so the gap grows with the cache and is nothing at its start
    on, off = with_and_without_flash_attention(Q4_K_M, context_tokens=32768, prompt_tokens=16)
    assert off.decode_tok_s == pytest.approx(on.decode_tok_s, rel=0.01)
    assert off.decode_tok_s_at_context < 0.75 * on.decode_tok_s_at_context
    assert min(kv_reads.KV_EFFICIENCY.values()) > max(kv_reads.NO_FLASH_KV_EFFICIENCY.values())


@pytest.mark.parametrize(
    ("kernels", "fitted"),
    [
        ("cuda", True),
        ("rocm", True),
        ("vulkan", True),
        ("metal", True),
        ("sycl", False),
        ("cuda_pascal", False),
        ("vulkan_intel", False),
    ],
)
def test_each_backends_general_kernels_read_the_cache_below_its_flash_attention(kernels, fitted):
    # a kernel family with no-flash-attention rows takes its own share of the weights' rate
    # (kv_reads.NO_FLASH_KV_EFFICIENCY), the others the prior 0.2, unfitted; each stays under its fused kernel's
    stage = speed.Stage(
        bandwidth_gb_s=256,
        backend=kernels,
        tflops=None,
        layers=32,
        dense_bytes=4e9,
        routed_bytes=0,
        experts=0,
        experts_per_tok=0,
        active_params=8e9,
        kv_bytes_per_cell=32 * 4096,
        flash_attention=False,
    )
    share = kv_reads.kv_efficiency(stage)
    assert share == kv_reads.NO_FLASH_KV_EFFICIENCY[kernels]
    if not fitted:  # no rows of their own: the prior
        assert share == 0.2
    assert 0 < share < kv_reads.KV_EFFICIENCY[kernels]
    fused = dataclasses.replace(stage, flash_attention=True)
    assert speed.decode_step_seconds(stage, 1, 32768) > speed.decode_step_seconds(fused, 1, 32768)


def test_a_prompt_without_flash_attention_pays_for_its_score_matrix_in_memory():
    # 32 heads × 32 layers, 4096 prompt tokens in micro-batches of 512: each micro-batch scores every cell
    # cached up to its end, (4096 + 512) / 2 keys on average; 16 bytes a score (prefill.SCORE_BYTES) at the
    # RTX 4090's 1008 GB/s: 16 × 4096 × 1024 × 2304 / 1008e9 = 0.153 s more than with flash attention
    on, off = with_and_without_flash_attention(F16, context_tokens=8192, prompt_tokens=4096)
    extra_s = 4096 / off.prefill_tok_s - 4096 / on.prefill_tok_s
    assert extra_s == pytest.approx(16 * 4096 * 32 * 32 * 2304 / 1008e9, rel=1e-6)


def test_pascal_with_dp4a_prompts_with_cudas_int8_kernels_and_gp100_without():
    # llama.cpp's MMQ runs on cc 6.1 parts with __dp4a (ggml_cuda_should_use_mmq); GP100 (cc 6.0) has none and
    # takes cuBLAS (hardware._dp4a_pascal). The P40's catalog rate is its FP32 rate (its FP16 runs at 1/64), a
    # quarter of its 47 int8 TOPS, as a GeForce card's listed rate is a quarter of its int8 tensor rate.
    p40 = make_gpu(
        name="Tesla P40",
        bandwidth_gb_s=347.1,
        fp16_tflops=11.76,
        form_factor="datacenter",
        architecture="Pascal",
    )
    p100 = make_gpu(
        name="Tesla P100 PCIe 16 GB", fp16_tflops=19.05, form_factor="datacenter", architecture="Pascal"
    )
    gtx_1080 = make_gpu(name="GeForce GTX 1080", fp16_tflops=8.87, architecture="Pascal")
    assert [speed.prompt_kernels(g, "llama.cpp") for g in (p40, gtx_1080, p100)] == [
        "cuda",
        "cuda",
        "cuda_pascal",
    ]
    assert [speed.kernels(g, "llama.cpp") for g in (p40, gtx_1080)] == [
        "cuda_pascal"
    ] * 2  # decode is Pascal's
    assert not speed.full_rate_fp16(p40)
    # PR 4766's P40 table: LLaMA 7B Q4_0 pp512 at 912 tok/s, 12.3 TOPS, above the P40's FP32 peak; with the
    # P100's prompt share the engine said 405-420
    llama_7b = llama_8b(
        total_params_b=6.74, vocab_size=32000, num_key_value_heads=32, intermediate_size=11008
    )
    q4_0 = QuantSpec(slug="q4_0", name="Q4_0", bits_per_weight=4.5)
    w = Workload(context_tokens=1024, prompt_tokens=512)
    plan = plans.single(model=llama_7b, quant=q4_0, devices=[p40], workload=w)
    assert plan.prefill_tok_s == pytest.approx(912, rel=0.2)


def test_bf16_prompts_on_amd_chips_without_bf16_run_at_the_fp32_rate():
    # rocBLAS emulates BF16 where the chip has none (GCN, RDNA 1 and 2): widened to FP32, at half the listed
    # packed-FP16 rate (hardware.NO_BF16_NAMES); the MI50's BF16 pp512 rows were held out +155% and +195%
    def gpu(architecture, backend="rocm"):
        return make_gpu(
            name="AMD Instinct MI50 32GB",
            bandwidth_gb_s=1024,
            fp16_tflops=26.82,
            memory_type="HBM2",
            architecture=architecture,
            backend=backend,
        )

    assert hardware.bf16_prompt_rate(gpu("GCN 5.1")) == 0.5
    assert hardware.bf16_prompt_rate(gpu("RDNA 2.0")) == 0.5
    for kept in (gpu("RDNA 3.0"), gpu("CDNA 1.0"), gpu("GCN 5.1", backend="vulkan")):
        assert hardware.bf16_prompt_rate(kept) == 1.0
    bf16 = QuantSpec(slug="bf16", name="BF16", bits_per_weight=16.0)
    w = Workload(context_tokens=1024, prompt_tokens=512)

    def prompt(architecture, quant):
        plan = plans.single(model=llama_8b(), quant=quant, devices=[gpu(architecture)], workload=w)
        return plan.prefill_tok_s

    assert prompt("GCN 5.1", bf16) == pytest.approx(prompt("RDNA 3.0", bf16) / 2, rel=0.1)
    assert prompt("GCN 5.1", Q4_K_M) == prompt("RDNA 3.0", Q4_K_M)


def test_mlx_prompts_in_mlx_lms_2048_token_chunks_not_llama_cpps_micro_batches():
    # mlx_lm's generate_step runs a prompt in prefill_step_size (2048) chunks: llama.cpp's -ub does not reach it,
    # and gpt-oss-120b's experts see 2048 x 4 / 128 = 64 tokens a chunk, not 16 (prefill.EXPERT_TILE_TOKENS)
    m4_max = make_gpu(
        name="Apple M4 Max (40-core GPU)",
        memory_bytes=128 * GIB,
        bandwidth_gb_s=546,
        fp16_tflops=34.1,
        unified_memory=True,
        backend="metal",
        memory_type="LPDDR5X",
    )

    def prompt(runtime, ubatch):
        w = Workload(context_tokens=21000, prompt_tokens=20480, runtime=runtime, ubatch_tokens=ubatch)
        return plans.single(model=gpt_oss_120b(), quant=MXFP4_MOE, devices=[m4_max], workload=w).prefill_tok_s

    assert prompt("mlx", 512) == prompt("mlx", 2048) > 0
    assert prompt("llama.cpp", 512) < prompt("llama.cpp", 2048)
