"""llama.cpp `--split-mode tensor` per GPU, and MoE models whose first layers are dense (DeepSeek-V3/R1)."""

import bisect

import pytest
from engine_specs import (
    MXFP4,
    Q4_K_M,
    Q8_0,
    RTX_3060,
    RTX_3090,
    deepseek_v3,
    gpt_oss_120b,
    llama_8b,
    llama_70b,
    make_gpu,
)

from calculator.present import reason
from estimator import Workload, estimate, memory, slots
from estimator.units import GIB

H100 = make_gpu(slug="h100", name="H100", memory_bytes=80 * GIB, bandwidth_gb_s=3350, fp16_tflops=989.0)


def plan_of(e, strategy):
    return next(p for p in e.plans if p.strategy == strategy)


def llama_cpp_devices(ratios: tuple[float, ...], n_layer: int) -> list[int]:
    """Which device llama.cpp gives each layer and the output layer (il = n_layer) for `-ts ratios`
    with -ngl n_layer + 1: llama_model::load_tensors' upper_bound over the normalised running sums."""
    total, running = sum(ratios), 0.0
    splits = []
    for r in ratios:
        running += r
        splits.append(running / total)
    return [bisect.bisect_right(splits, il / (n_layer + 1)) for il in range(n_layer + 1)]


# ---- --split-mode tensor ----------------------------------------------------------------------------


def test_tensor_split_shares_weights_and_kv_cache_evenly():
    # llama.cpp's --split-mode tensor "splits both weights and KV across the participating GPUs"
    w = Workload(context_tokens=8192)
    e = estimate(model=llama_8b(), quant=Q8_0, devices=[RTX_3090, RTX_3090], workload=w)
    a, b = plan_of(e, "tensor_parallel").devices
    # 8192 cells × 32 layers × (2 × 8 KV heads × 128) × 2 bytes = 1 GiB, half on each GPU
    assert a.kv_cache_bytes == b.kv_cache_bytes == GIB // 2
    # every matrix is cut in two; llama.cpp keeps the token embeddings in RAM
    split = memory.weights_bytes(llama_8b(), Q8_0) - memory.embedding_bytes(llama_8b(), Q8_0)
    assert a.weights_bytes == b.weights_bytes == pytest.approx(split / 2, abs=8)
    assert a.used_bytes == b.used_bytes
    assert "-sm tensor" in plan_of(e, "tensor_parallel").commands["llama-server"]  # -sm row is deprecated


def test_tensor_split_shares_the_routed_experts_too():
    model = gpt_oss_120b()
    e = estimate(model=model, quant=MXFP4, devices=[H100] * 2, workload=Workload())
    a, b = plan_of(e, "tensor_parallel").devices
    routed = sum(lb.routed_experts for lb in memory.layer_bytes_table(model, MXFP4))
    assert a.tensors["routed_experts"] == b.tensors["routed_experts"] == pytest.approx(routed / 2, abs=8)


@pytest.mark.parametrize(
    ("model", "devices", "workload", "why"),
    [
        (llama_8b(), [RTX_3090] * 2, Workload(kv_cache_type="q8_0"), "unquantized KV cache"),
        (llama_8b(), [RTX_3090] * 2, Workload(flash_attention=False), "needs flash attention"),
        (deepseek_v3(), [H100] * 8, Workload(), "MLA"),
        # on the guide's exclusion list: the audit of the commands found -sm tensor printed for OLMo 2
        (llama_8b(family="olmo2", name="OLMo 2 7B"), [RTX_3090] * 2, Workload(), "OLMo 2 7B's architecture"),
        (llama_8b(family="minimax_m2"), [RTX_3090] * 2, Workload(), "architecture"),
        (llama_8b(), [make_gpu(slug="m", name="M", backend="metal")] * 2, Workload(), "CUDA and ROCm only"),
        (llama_8b(), [RTX_3090] * 2, Workload(runtime="ollama"), "by layers only"),
    ],
)
def test_tensor_split_is_not_offered_where_llama_cpp_refuses_it(model, devices, workload, why):
    # llama.cpp's docs/multi-gpu.md: fatal errors at start-up; Ollama has no tensor split at all
    e = estimate(model=model, quant=Q4_K_M, devices=devices, workload=workload, with_suggestions=False)
    assert "tensor_parallel" not in {p.strategy for p in e.plans}
    assert why in reason(e.unavailable["tensor_parallel"])


def test_vllm_tensor_parallel_shards_evenly():
    e = estimate(model=llama_8b(), quant=Q8_0, devices=[RTX_3090] * 2, workload=Workload(runtime="vllm"))
    a, b = plan_of(e, "tensor_parallel").devices
    assert a.kv_cache_bytes == b.kv_cache_bytes > 0
    assert a.used_bytes == b.used_bytes


# ---- Dense layers before the MoE ones ---------------------------------------------------------------


def test_deepseek_v3_dense_layers_are_a_twentieth_of_an_moe_layer():
    c = memory.tensor_classes(deepseek_v3())
    # MLA attention: q 7168×1536 + 1536×128×192, kv 7168×576 + 512×128×256, o 128×128×7168 = 187,105,280
    # dense layer: + 3 × 7168 × 18432 = 396,361,728 → 583,467,008
    # MoE layer: + 3 × 7168 × 2048 × (256 routed + 1 shared) + 7168 × 256 router → 11,507,269,632
    # (the card's 671B scales the layers by 671.0 / 671.025)
    f = 671.0e9 / 671_025_397_760
    scale = (671.0e9 - 2 * 926_679_040) / (671_025_397_760 - 2 * 926_679_040)
    assert f == pytest.approx(scale, rel=1e-6)
    assert c.layer_params(0) == pytest.approx(583_467_008 * scale, rel=1e-9)
    assert c.layer_params(3) == pytest.approx(11_507_269_632 * scale, rel=1e-9)
    assert (c.dense_layers, c.moe_layers) == (3, 58)


def test_split_by_cost_follows_bytes_not_layer_counts():
    # three small layers then four big ones, two equal devices: 1+1+1+10+10 = 23 vs 20 (not 13 vs 30)
    assert slots.split_layers_by_cost([1, 1, 1, 10, 10, 10, 10], [1.0, 1.0]) == [5, 2]
    assert slots.split_layers_by_cost([5] * 8, [1.0, 3.0]) == [2, 6]
    assert slots.split_layers_by_cost([5] * 8, [1.0, 0.0, 1.0]) == [4, 0, 4]


def test_deepseek_v3_layer_split_gives_the_first_gpu_its_dense_layers_and_seven_moe_layers():
    # Q4_K_M: a dense layer is 0.357 GB, an MoE layer 7.04 GB; 409.4 GB of layers over 8 H100s is
    # 51.2 GB each: GPU 0 takes the 3 dense layers + 7 MoE layers (50.35 GB) rather than 8 layers (36.3 GB)
    model = deepseek_v3()
    table = memory.layer_bytes_table(model, Q4_K_M)
    assert table[0].total == pytest.approx(0.357e9, rel=0.01)
    assert table[3].total == pytest.approx(7.04e9, rel=0.01)
    split = plan_of(
        estimate(model=model, quant=Q4_K_M, devices=[H100] * 8, workload=Workload()), "layer_split"
    )
    first = split.devices[0]
    assert first.layers == 10
    assert first.weights_bytes == pytest.approx(3 * table[0].total + 7 * table[3].total, rel=1e-6)
    assert split.fits
    # -ts holds the counts (the head counted on the last GPU), so llama.cpp places every layer as planned
    assert split.tensor_split == (10, 7, 8, 7, 7, 8, 7, 8)
    owners = llama_cpp_devices(split.tensor_split, 61)
    assert [owners[:61].count(d) for d in range(8)] == [d.layers for d in split.devices]
    assert owners[61] == 7
    assert "-sm layer -ts 10,7,8,7,7,8,7,8" in split.commands["llama-server"]


def test_uniform_layers_give_llama_cpp_the_counts_too():
    # Llama 3.1 8B, every layer the same size: -ts 0.504,0.496 (the free-memory shares) made llama.cpp
    # place 17 + 15 where the page said 16 + 16; the counts place them as planned
    split = plan_of(
        estimate(model=llama_8b(), quant=Q8_0, devices=[RTX_3090] * 2, workload=Workload()), "layer_split"
    )
    assert [d.layers for d in split.devices] == [16, 16]
    assert split.tensor_split == (16, 17)
    owners = llama_cpp_devices(split.tensor_split, 32)
    assert [owners[:32].count(d) for d in range(2)] == [16, 16] and owners[32] == 1


def test_deepseek_v3_expert_offload_counts_only_moe_layers():
    # one 24 GB GPU, 512 GiB of RAM: the 58 MoE layers' routed experts go to RAM from layer 3 on, so
    # --n-cpu-moe (which counts layers from 0) is 3 + the number of offloaded MoE layers
    model = deepseek_v3()
    e = estimate(model=model, quant=Q4_K_M, devices=[RTX_3090], workload=Workload(ram_bytes=512 * GIB))
    plan = plan_of(e, "expert_offload")
    gpu, host = plan.devices
    table = memory.layer_bytes_table(model, Q4_K_M)
    on_gpu = gpu.tensors.get("routed_experts", 0) // table[3].routed_experts
    offloaded = 58 - on_gpu
    assert host.tensors["routed_experts"] == offloaded * table[3].routed_experts
    assert plan.n_cpu_moe == 3 + offloaded
    assert f"--n-cpu-moe {3 + offloaded}" in plan.commands["llama-server"]
    # a visitor review: "--n-cpu-moe 60: routed experts of 57 of 58 MoE layers" read as a mismatch
    assert reason(plan.notes[0]).startswith(
        f"--n-cpu-moe {3 + offloaded}: the routed experts of layers 0–{2 + offloaded} in RAM ({offloaded} of "
        "the 58 MoE layers: the flag counts the dense ones too); "
    )
    # the dense layers' MLPs never leave the GPU
    assert gpu.tensors["dense_mlp"] == 3 * table[0].dense_mlp


def test_cpu_offload_over_two_gpus_places_every_layer_as_llama_cpp_does():
    # 70B Q4_K_M on 2 × 12 GB: -ngl N (the head and N - 1 layers from the end) and -ts the counts
    plan = plan_of(
        estimate(
            model=llama_70b(), quant=Q4_K_M, devices=[RTX_3060] * 2, workload=Workload(ram_bytes=64 * GIB)
        ),
        "cpu_offload",
    )
    first, second, host = plan.devices
    n_layer, ngl = 80, plan.gpu_layers
    assert ngl == first.layers + second.layers + 1 and host.layers == n_layer + 1 - ngl
    i_gpu_start = n_layer + 1 - ngl  # llama_model::load_tensors
    splits, running = [], 0.0
    for r in plan.tensor_split:
        running += r
        splits.append(running / sum(plan.tensor_split))
    owners = [bisect.bisect_right(splits, (il - i_gpu_start) / ngl) for il in range(i_gpu_start, n_layer + 1)]
    assert [owners[:-1].count(d) for d in range(2)] == [first.layers, second.layers] and owners[-1] == 1
    assert "output" in second.tensors and f"-ngl {ngl} -sm layer -ts " in plan.commands["llama-server"]
