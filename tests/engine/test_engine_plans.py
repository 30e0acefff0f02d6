"""Every strategy side by side, with hand-checked worked examples."""

import pytest
from engine_specs import (
    A100_80,
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
    gpt_oss_120b,
    llama_8b,
    llama_70b,
    make_gpu,
)

from estimator import GLOSSARY_TERMS, Workload, estimate, links, memory, timing
from estimator.units import GB, GIB


def plan_of(e, strategy):
    return next(p for p in e.plans if p.strategy == strategy)


def test_70b_q4_k_m_needs_two_24gb_gpus():
    one = estimate(model=llama_70b(), quant=Q4_K_M, devices=[RTX_4090], workload=Workload())
    two = estimate(model=llama_70b(), quant=Q4_K_M, devices=[RTX_4090, RTX_4090], workload=Workload())
    assert not one.fits
    assert two.fits
    assert {"kind": "gpu_count", "changes": {"gpu_count": 2}}.items() <= next(
        s for s in one.suggestions if s.kind == "gpu_count"
    ).model_dump().items()


def test_mixed_4090_and_3090_layer_split_puts_the_head_on_the_last_gpu():
    # 70B Q4_K_M (42.8 GB) at 8K: layers in proportion to free memory; the 3090 also holds the 0.8 GB head
    e = estimate(
        model=llama_70b(), quant=Q4_K_M, devices=[RTX_4090, RTX_3090], workload=Workload(context_tokens=8192)
    )
    split = plan_of(e, "layer_split")
    first, last = split.devices
    assert e.recommended == "layer_split"
    assert (first.layers, last.layers) == (41, 39)
    assert "output" not in first.tensors and last.tensors["output"] == memory.output_bytes(
        llama_70b(), Q4_K_M
    )
    assert split.fits and all(d.used_bytes < 24 * GIB for d in split.devices)
    # the two stages run one after another: slower than either GPU reading its share alone
    assert split.decode_tok_s < 1008e9 * 0.93 / (first.weights_bytes + last.weights_bytes) * 2
    assert any(w.code == "pipeline_bubble" for w in split.warnings)
    assert split.commands["llama-server"].count("-sm layer -ts 41,40 ") == 1  # 41 layers, 39 and the head


def test_layer_split_memory_is_per_device_never_summed():
    e = estimate(model=llama_70b(), quant=Q4_K_M, devices=[RTX_4090, RTX_4090], workload=Workload())
    split = plan_of(e, "layer_split")
    assert all(d.capacity_bytes == 24 * GIB for d in split.devices)
    assert sum(d.weights_bytes for d in split.devices) == pytest.approx(
        memory.weights_bytes(llama_70b(), Q4_K_M) - memory.embedding_bytes(llama_70b(), Q4_K_M), rel=1e-6
    )


@pytest.mark.parametrize(("nvlink", "has_pcie_warning"), [(False, True), (True, False)])
def test_tensor_parallel_2_over_pcie_is_slower_than_over_nvlink(nvlink, has_pcie_warning):
    w = Workload(context_tokens=8192, runtime="vllm", nvlink=nvlink)
    tp = plan_of(
        estimate(model=llama_70b(), quant=AWQ, devices=[RTX_3090, RTX_3090], workload=w), "tensor_parallel"
    )
    assert tp.tensor_parallel_size == 2 and tp.fits
    # 2 all-reduces × 80 layers × 2 (n − 1) ÷ n × 8192 hidden × 2 bytes = 2.62 MB per token
    assert tp.interconnect_bytes_per_token == 2 * 80 * 8192 * 2
    assert any(x.code == "all_reduce_over_pcie" for x in tp.warnings) is has_pcie_warning
    assert "--tensor-parallel-size 2" in tp.commands["vllm"]


def test_tensor_parallel_over_nvlink_beats_pcie():
    speeds = [
        plan_of(
            estimate(
                model=llama_70b(),
                quant=AWQ,
                devices=[RTX_3090, RTX_3090],
                workload=Workload(runtime="vllm", nvlink=n),
            ),
            "tensor_parallel",
        ).decode_tok_s
        for n in (False, True)
    ]
    # vLLM's custom all-reduce over NVLink (15 µs a call, fitted on the A100/H100 rows) against NCCL's ring
    # over PCIe (two 10 µs hops): 160 all-reduces a token on a 70B save a few percent at batch 1
    assert speeds[1] > speeds[0] * 1.02


def test_tensor_parallel_halves_the_weights_and_the_kv_cache_per_gpu():
    e = estimate(
        model=llama_70b(), quant=AWQ, devices=[RTX_3090, RTX_3090], workload=Workload(runtime="vllm")
    )
    tp = plan_of(e, "tensor_parallel")
    full = memory.weights_bytes(llama_70b(), AWQ)
    assert tp.devices[0].weights_bytes == pytest.approx(full / 2, rel=0.01)
    assert tp.devices[0].kv_cache_bytes == pytest.approx(e.memory.kv_cache_bytes / 2, rel=0.01)


def test_tensor_parallel_past_the_kv_heads_replicates_them():
    # 16 ranks, 8 KV heads: each rank holds one whole head, 1/8 of the cache, not 1/16
    gpus = [make_gpu(slug="h100", name="H100", memory_bytes=80 * GIB, bandwidth_gb_s=3350)] * 16
    e = estimate(model=llama_70b(), quant=F16, devices=gpus, workload=Workload(runtime="vllm"))
    tp = plan_of(e, "tensor_parallel")
    assert tp.tensor_parallel_size == 16
    assert tp.devices[0].kv_cache_bytes == pytest.approx(e.memory.kv_cache_bytes / 8, rel=0.01)
    assert any(w.code == "kv_heads_replicated" for w in tp.warnings)


def test_tensor_parallel_is_not_offered_on_mixed_gpus():
    e = estimate(model=llama_70b(), quant=Q4_K_M, devices=[RTX_4090, RTX_3090], workload=Workload())
    assert "tensor_parallel" in e.unavailable
    assert all(p.strategy != "tensor_parallel" for p in e.plans)


def test_deepseek_v3_mla_cache_is_replicated_on_every_tensor_parallel_rank():
    gpus = [make_gpu(slug="h200", name="H200", memory_bytes=141 * GB, bandwidth_gb_s=4800)] * 8
    fp8 = Q8_0.model_copy(update={"bits_per_weight": 8.0, "format": "fp8", "slug": "fp8"})
    e = estimate(
        model=deepseek_v3(), quant=fp8, devices=gpus, workload=Workload(runtime="vllm", context_tokens=32768)
    )
    tp = plan_of(e, "tensor_parallel")
    assert tp.devices[0].kv_cache_bytes == 70272 * 32768
    assert e.explanations["kv_cache_bytes"].term == "mla"


def test_replicas_double_aggregate_throughput_not_single_stream():
    e = estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090, RTX_4090], workload=Workload(batch=2))
    single, rep = plan_of(e, "single"), plan_of(e, "replicas")
    assert rep.decode_tok_s == pytest.approx(single.decode_tok_s, rel=0.02)
    assert rep.decode_tok_s_aggregate == pytest.approx(2 * single.decode_tok_s, rel=0.05)


def test_batching_raises_aggregate_throughput_until_compute_bound():
    plans = [
        estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090], workload=Workload(batch=b)).plans[0]
        for b in (1, 8, 64)
    ]
    agg = [p.decode_tok_s_aggregate for p in plans]
    assert agg[0] < agg[1] < agg[2]
    assert agg[2] < 64 * agg[0]  # KV reads and the roofline stop it scaling linearly


def test_four_users_at_32k_each_read_their_own_kv_cache_in_every_step():
    # Llama 3.1 8B Q4_K_M on a 4090, 4 users at 32,768 tokens, every one's context cached. One step gives
    # each user a token and reads:
    #   the weights once: 4.617 GB (the GPU's share of the file) ÷ (1008 GB/s × 0.846, the 4090's bandwidth
    #     efficiency) = 4.617 ÷ 853.1 GB/s = 5.41 ms
    #   each user's KV cache: 2 (K, V) × 32 layers × 8 KV heads × 128 × 2 bytes = 131,072 B a token
    #     × 32,768 tokens = 4.295 GB a user; × 4 users = 17.18 GB ÷ (1008 GB/s × 0.914 CUDA × 0.846 KV
    #     kernels = 779.4 GB/s) = 22.04 ms
    #   launches and synchronisation: 1.11 ms
    # 5.41 + 22.04 + 1.11 = 28.57 ms a step → 4 ÷ 28.57 ms = 140.0 tok/s in total, 35.0 tok/s a user: under
    # a quarter of the 146 each gets at the start of the answer, and well under one user's 83.1 alone
    # (151 × 83.1 ÷ 151 tok/s for the 4, as sharing the start and slowing as one user does would say, is 80)
    w = Workload(context_tokens=32768, batch=4)
    plan = estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090], workload=w).plans[0]
    assert plan.strategy == "single"
    assert plan.decode_tok_s_aggregate_at_context == pytest.approx(4 / (5.41 + 22.04 + 1.11) * 1e3, rel=0.002)
    assert plan.shared_tok_s_at_context(4) == pytest.approx(35.0, rel=0.002)
    assert plan.shared_tok_s(4) == pytest.approx(145.6, rel=0.002)
    assert plan.decode_tok_s_at_context == pytest.approx(83.1, rel=0.002)
    assert "decode_tok_s_aggregate_at_context" in plan.explanations


ONE_USER_RIGS = {
    "one GPU": (llama_8b(), Q4_K_M, [RTX_4090], Workload(context_tokens=32768)),
    "layer split": (llama_70b(), Q4_K_M, [RTX_4090, RTX_3090], Workload(context_tokens=16384)),
    "vLLM tensor parallel": (
        llama_70b(),
        AWQ,
        [A100_80, A100_80],
        Workload(context_tokens=16384, runtime="vllm"),
    ),
    "replicas": (llama_8b(), Q4_K_M, [RTX_4090, RTX_4090], Workload(context_tokens=32768)),
}


@pytest.mark.parametrize("rig", list(ONE_USER_RIGS))
def test_one_users_aggregate_at_full_context_is_their_single_stream(rig):
    model, quant, devices, workload = ONE_USER_RIGS[rig]
    e = estimate(model=model, quant=quant, devices=devices, workload=workload, with_suggestions=False)
    for plan in e.plans:
        assert plan.shared_tok_s_at_context(1) is None  # one user: `decode_tok_s_at_context` itself
        if plan.strategy == "replicas" and len({d.slug for d in devices}) > 1:
            # unequal copies: one user lands on either, so both aggregates are the copies' mean, and the single
            # stream the slower copy's
            alone = plan.decode_tok_s_at_context
            assert plan.decode_tok_s_aggregate_at_context > alone
            assert plan.decode_tok_s_aggregate > plan.decode_tok_s
            continue
        assert plan.decode_tok_s_aggregate_at_context == pytest.approx(plan.decode_tok_s_at_context), (
            plan.strategy
        )


@pytest.mark.parametrize("strategy", ["layer_split", "tensor_parallel", "replicas"])
def test_more_users_at_full_context_share_less_than_at_the_start(strategy):
    w = Workload(
        context_tokens=16384, batch=8, runtime="vllm" if strategy == "tensor_parallel" else "llama.cpp"
    )
    e = estimate(
        model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090, RTX_4090], workload=w, with_suggestions=False
    )
    plan = plan_of(e, strategy)
    at_context, start = plan.shared_tok_s_at_context(8), plan.shared_tok_s(8)
    assert at_context < start
    # each sequence's cache is read in each step: the share falls by more than one user's speed does
    assert at_context / start < plan.decode_tok_s_at_context / plan.decode_tok_s


def test_gpt_oss_120b_expert_offload_on_one_24gb_gpu_and_64gb_ram():
    # 65 GB: 1.9 GB attention + 1.2 GB head stay on the GPU with 12 layers of experts (1.7 GB each);
    # the experts of the other 24 layers (40.7 GB) and the embeddings go to RAM.
    e = estimate(
        model=gpt_oss_120b(),
        quant=MXFP4,
        devices=[RTX_4090],
        workload=Workload(context_tokens=8192, ram_bytes=64 * GIB),
    )
    assert e.recommended == "expert_offload"
    plan = e.recommended_plan
    gpu, host = plan.devices
    assert plan.n_cpu_moe == 24
    assert host.kind == "host" and host.fits and gpu.fits
    assert host.tensors["routed_experts"] == pytest.approx(24 / 36 * 61.0e9, rel=0.01)
    assert gpu.tensors["attention"] == pytest.approx(1.94e9, rel=0.02)
    assert 20 < plan.decode_tok_s < 50  # 1.3 GB of experts per token from DDR5 dominates
    assert plan.decode_tok_s > plan_of(e, "cpu_offload").decode_tok_s
    assert "--n-cpu-moe 24" in plan.commands["llama-server"]


def test_cpu_offload_keeps_the_last_layers_and_the_head_on_the_gpu():
    # llama.cpp's -ngl N counts the output head: i_gpu_start = n_layer + 1 - N (src/llama-model.cpp), so
    # -ngl 44 is the head and 43 layers on the GPU
    e = estimate(model=llama_70b(), quant=Q4_K_M, devices=[RTX_4090], workload=Workload(ram_bytes=64 * GIB))
    plan = plan_of(e, "cpu_offload")
    gpu, host = plan.devices
    assert plan.gpu_layers == gpu.layers + 1 and 35 < gpu.layers < 50
    assert gpu.layers + host.layers == 80
    assert "output" in gpu.tensors and "output" not in host.tensors
    assert f"-ngl {gpu.layers + 1} " in plan.commands["llama-server"]
    assert plan.fits and plan.decode_tok_s < 5


def test_offload_plans_are_skipped_when_the_model_fits_on_the_gpus():
    e = estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090], workload=Workload(ram_bytes=64 * GIB))
    assert "cpu_offload" in e.unavailable and e.recommended == "single"


def test_rpc_cluster_is_slower_than_the_same_gpus_in_one_machine():
    w = Workload(hosts=2)
    e = estimate(model=llama_70b(), quant=Q4_K_M, devices=[RTX_4090], workload=w)
    rpc = plan_of(e, "rpc_cluster")
    # llama.cpp lists the RPC servers' GPUs first: the other machine holds the first layers, the one
    # running llama-server the last ones and the head
    first, last = rpc.devices
    assert rpc.fits and (first.host, last.host) == (1, 0)
    assert "output" in last.tensors and "output" not in first.tensors
    local = plan_of(
        estimate(model=llama_70b(), quant=Q4_K_M, devices=[RTX_4090] * 2, workload=Workload()), "layer_split"
    )
    assert rpc.decode_tok_s < local.decode_tok_s
    assert rpc.interconnect_bytes_per_token == 8192 * 4
    assert "--rpc" in rpc.commands["llama-server"]


def test_single_gpu_beats_a_split_when_the_model_fits_on_one():
    e = estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090, RTX_4090], workload=Workload())
    assert e.recommended == "single"
    assert plan_of(e, "single").decode_tok_s > plan_of(e, "layer_split").decode_tok_s
    assert [p.rank for p in e.plans] == list(range(1, len(e.plans) + 1))
    assert e.plans[0].reason == e.reason


def test_every_plan_carries_a_speed_range_around_its_estimate():
    for p in estimate(
        model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090, RTX_3090], workload=Workload()
    ).plans:
        assert p.decode_tok_s_low < p.decode_tok_s < p.decode_tok_s_high
        assert p.prefill_tok_s_low < p.prefill_tok_s < p.prefill_tok_s_high
        # the prefill pass yields the first token: no decode step on top, no queue for one sequence
        assert p.ttft_s == pytest.approx(512 / p.prefill_tok_s, rel=1e-6) and p.queue_s == 0


def test_moe_speed_uses_active_parameters_and_memory_uses_total():
    e = estimate(
        model=gpt_oss_120b(),
        quant=MXFP4,
        devices=[make_gpu(memory_bytes=96 * GIB, bandwidth_gb_s=1792)],
        workload=Workload(),
    )
    plan = e.recommended_plan
    assert plan.devices[0].weights_bytes > 60 * GB
    # a dense model of the same size would read 65 GB per token: ~25 tok/s at 1.8 TB/s; MoE reads ~5 GB
    assert plan.decode_tok_s > 100


@pytest.mark.parametrize(
    ("memory_gib", "quant"),
    [
        (80, "q8_0"),  # 70B Q8_0 = 74.4 GB fits 80 GiB (85.9 GB); F16 = 140 GB does not
        (48, "q4_k_m"),  # Q4_K_M = 42.8 GB fits 48 GiB (51.5 GB); Q6_K = 57.4 GB does not
    ],
)
def test_suggests_the_largest_format_that_fits(memory_gib, quant):
    e = estimate(
        model=llama_70b(),
        quant=Q2_K,
        devices=[make_gpu(memory_bytes=memory_gib * GIB)],
        workload=Workload(),
        candidates=(F16, Q8_0, Q6_K, Q4_K_M, Q2_K),
    )
    s = next(s for s in e.suggestions if s.kind == "quant")
    assert s.changes == {"quant": quant}


def test_suggests_the_longest_context_and_a_quantized_kv_cache():
    e = estimate(model=llama_8b(), quant=F16, devices=[RTX_4090], workload=Workload())
    ctx = next(s for s in e.suggestions if s.kind == "context").changes["ctx"]
    kv8 = next(s for s in e.suggestions if s.changes == {"kv": "q8_0"})
    # 25.77 GB − (16.06 − 1.05 GB of embeddings kept in RAM) − 0.6 GB of buffers − 1 GiB headroom
    # leaves ~9.0 GB: ~69K tokens at 128 KiB each
    assert 66_000 < ctx < 72_000
    assert "context_tokens" in kv8.reason.values  # "... allows N tokens of context"


def test_every_explanation_term_has_a_glossary_page():
    cases = [
        (llama_8b(), Q4_K_M, [RTX_4090, RTX_3090], Workload(batch=4)),
        (gpt_oss_120b(), MXFP4, [RTX_4090], Workload(ram_bytes=64 * GIB)),
        (llama_70b(), AWQ, [RTX_3090, RTX_3090], Workload(runtime="vllm", kv_cache_type="fp8")),
        (deepseek_v3(), Q4_K_M, [RTX_4090], Workload(hosts=4)),
    ]
    for model, quant, devices, w in cases:
        e = estimate(model=model, quant=quant, devices=devices, workload=w)
        terms = {x.term for x in e.explanations.values()}
        for p in e.plans:
            terms |= {x.term for x in p.explanations.values()} | set(p.terms)
        assert terms <= GLOSSARY_TERMS, terms - GLOSSARY_TERMS


def test_vllm_kv_capacity_of_8b_f16_on_one_a100_80gb():
    # 0.92 × 80 GiB = 79,027,398,246 B, less 16.06 GB of weights (embedding and head on the GPU),
    # 1.41 GB of activations and CUDA graphs (8192 × (2 × 14336 + 4 × 4096) × 2 + 256 × 128256 × 4
    # + 512 MiB) and 300 MiB of CUDA context = 61.25 GB; one token is 32 layers × 2 × 8 KV heads × 128
    # × 2 B = 128 KiB → 467,273 tokens, 467,264 in 16-token blocks: 57 sequences of 8,192 tokens.
    e = estimate(
        model=llama_8b(),
        quant=F16,
        devices=[A100_80],
        workload=Workload(context_tokens=8192, runtime="vllm"),
        with_suggestions=False,
    )
    single = plan_of(e, "single")
    assert single.devices[0].compute_bytes == 8192 * (2 * 14336 + 4 * 4096) * 2 + 256 * 128256 * 4 + (
        512 << 20
    )
    assert single.kv_capacity_tokens == 467_264
    assert single.max_concurrency == pytest.approx(467_264 / 8192)


def test_vllm_kv_capacity_of_tensor_parallel_counts_each_ranks_share_of_the_heads():
    # 70B AWQ over 2 × 3090: each rank keeps 0.92 × 24 GiB = 23,708,219,473 B, less 18.18 GB of weights,
    # 1.67 GB of activations and graphs and 500 MiB of CUDA context + NCCL = 3.33 GB; a token costs a
    # rank 80 layers × 4 of 8 KV heads × 2 × 128 × 2 B = 160 KiB → 20,296 tokens, 20,288 in blocks.
    # Both ranks hold the same tokens: the cache is that count, not twice it.
    e = estimate(
        model=llama_70b(),
        quant=AWQ,
        devices=[RTX_3090, RTX_3090],
        workload=Workload(context_tokens=8192, runtime="vllm"),
        with_suggestions=False,
    )
    tp = plan_of(e, "tensor_parallel")
    rank = tp.devices[0]
    budget = int(24 * GIB * 0.92) - rank.weights_bytes - rank.compute_bytes - rank.overhead_bytes
    assert 3_320_000_000 < budget < 3_330_000_000
    assert tp.kv_capacity_tokens == budget // (80 * 4 * 2 * 128 * 2) // 16 * 16 == 20_288
    # the pipeline's stages hold different layers; the fuller one decides
    split = plan_of(e, "layer_split")
    assert 0 < split.kv_capacity_tokens < tp.kv_capacity_tokens
    # a plan whose weights leave no room has none, and llama.cpp plans carry no vLLM figure
    assert plan_of(e, "single").kv_capacity_tokens == 0
    llama = estimate(model=llama_70b(), quant=Q4_K_M, devices=[RTX_3090, RTX_3090], workload=Workload())
    assert all(p.kv_capacity_tokens is None for p in llama.plans)


def test_vllm_kv_capacity_of_replicas_adds_up_the_copies():
    e = estimate(
        model=llama_8b(),
        quant=AWQ,
        devices=[RTX_3090, RTX_3090],
        workload=Workload(context_tokens=8192, runtime="vllm"),
        with_suggestions=False,
    )
    assert plan_of(e, "replicas").kv_capacity_tokens == 2 * plan_of(e, "single").kv_capacity_tokens


def test_mi300x_modules_all_reduce_over_infinity_fabric_not_pcie():
    """The review: 8× MI300X under vLLM said "Tensor parallel over PCIe ... NVLink cuts that": an MI300X
    platform joins its eight modules by Infinity Fabric (seven 64 GB/s links each), and AMD has no NVLink."""
    mi300x = make_gpu(
        slug="mi300x", name="Radeon Instinct MI300X", memory_bytes=192 * GIB, bandwidth_gb_s=5300,
        fp16_tflops=1307.0, backend="rocm", form_factor="datacenter", architecture="CDNA 3.0",
    )  # fmt: skip
    w = Workload(runtime="vllm", context_tokens=8192)
    assert timing.link(w, [mi300x] * 8)[0] == 7 * links.INFINITY_FABRIC_LINK_GB_S == 448.0
    assert timing.link(w, [mi300x] * 2)[0] == 64.0
    tp = plan_of(estimate(model=llama_70b(), quant=F16, devices=[mi300x] * 8, workload=w), "tensor_parallel")
    assert not any(r.code == "all_reduce_over_pcie" for r in tp.warnings)
    pcie = mi300x.model_copy(update={"form_factor": "workstation"})  # a PCIe card of the same chip
    over_pcie = plan_of(
        estimate(model=llama_70b(), quant=F16, devices=[pcie] * 8, workload=w), "tensor_parallel"
    )
    assert over_pcie.decode_tok_s < tp.decode_tok_s
    warning = next(r for r in over_pcie.warnings if r.code == "all_reduce_over_pcie")
    assert "bridge" not in warning.values  # no NVLink to offer on AMD cards, nor on a 4090
    assert (
        "bridge"
        not in next(
            r
            for r in plan_of(
                estimate(model=llama_70b(), quant=AWQ, devices=[RTX_4090] * 2, workload=w), "tensor_parallel"
            ).warnings
            if r.code == "all_reduce_over_pcie"
        ).values
    )
    bridged = RTX_3090.model_copy(update={"nvlink": True})  # the RTX 3090 takes a bridge
    warning = next(
        r
        for r in plan_of(
            estimate(model=llama_70b(), quant=AWQ, devices=[bridged] * 2, workload=w), "tensor_parallel"
        ).warnings
        if r.code == "all_reduce_over_pcie"
    )
    assert warning.values["bridge"] == 1
