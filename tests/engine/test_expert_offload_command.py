"""The expert-offload plan says what its own llama-server command does.

Each GPU's memory is recomputed from the command alone, as llama.cpp places tensors, with the engine's
per-layer tensor sizes, and must equal the plan's bars and fit:

- `--n-cpu-moe N` keeps the routed experts of the first N layers in RAM: ggml-org/llama.cpp
  common/arg.cpp at 145b6280d6aa1890e22457143dad0badb3fd6820 pushes `llm_ffn_exps_block_regex(i)` →
  CPU buffer type for i = 0 … N-1, whichever GPU layer i is on.
- `-ngl` and `-ts` give each layer its device: src/llama-model.cpp `load_tensors` at
  a5410f046c01d01330c8a42f13b64a211fedf2c3 normalises the running sums of `-ts` into split points and
  puts layer il (the output layer is il = n_layer) on the first device whose split point exceeds
  (il - i_gpu_start) / act_gpu_layers, in float; act_gpu_layers = min(ngl, n_layer + 1) and
  i_gpu_start = max(n_layer - ngl, 0) (later versions: n_layer + 1 - ngl; both 0 for the plan's
  -ngl n_layer + 1). A tensor matching an override pattern goes to that buffer type instead ("check
  overrides"): the experts of layer il < N go to RAM from whichever GPU holds the layer.

The reviewer's question (Qwen3-235B-A22B Q4_K_M on four RTX 4090s, 128 GB of RAM) once gave
`-ngl 95 -ts 24,24,23,23 --n-cpu-moe 34`, and bars of ~22 GiB on every GPU. Placed as above, that is
25, 24, 23 and 22 layers: layers 0-33 lose their experts on GPUs 1-2 (1.6 and 22.2 GiB) while GPUs
3-4 hold full layers (33.2 and 32.3 GiB): out of memory.
"""

import bisect
import json
import shlex
import struct
from pathlib import Path

import pytest
from engine_specs import A100_80, MXFP4, Q4_K_M, Q8_0, RTX_3090, RTX_4090, deepseek_v3, gpt_oss_120b, make_gpu

from catalog.llm_spec import llm_spec
from estimator import ModelSpec, Workload, estimate, memory, plans
from estimator.device_memory import Placement, host_memory, placement_memory
from estimator.units import GB, GIB

LLMS = Path(__file__).resolve().parents[2] / "fixtures" / "catalog" / "llms.json"
RTX_5090 = make_gpu(slug="rtx-5090", name="RTX 5090", memory_bytes=32 * GIB, bandwidth_gb_s=1792)
RTX_3060 = make_gpu(slug="rtx-3060", name="RTX 3060", memory_bytes=12 * GIB, bandwidth_gb_s=360)
RTX_4060_TI = make_gpu(slug="rtx-4060-ti", name="RTX 4060 Ti", memory_bytes=16 * GIB, bandwidth_gb_s=288)


def catalog_model(slug: str) -> ModelSpec:
    """The catalog's row of `slug` as the site gives it to the engine, read without Django."""
    return llm_spec(next(r for r in json.loads(LLMS.read_text()) if r["slug"] == slug))


def server_flags(command: str) -> dict[str, str]:
    """The flags of the command's llama-server line (a switch maps to "")."""
    line = next(x for x in command.splitlines() if x.startswith("llama-server "))
    words = shlex.split(line)[1:]
    flags, i = {}, 0
    while i < len(words):
        if i + 1 < len(words) and not words[i + 1].startswith("-"):
            flags[words[i]] = words[i + 1]
            i += 2
        else:
            flags[words[i]] = ""
            i += 1
    return flags


def f32(x: float) -> float:
    """x rounded to a C float (a double operation on two floats, rounded once, is the float operation)."""
    return struct.unpack("f", struct.pack("f", x))[0]


def llama_cpp_devices(n_layer: int, n_gpus: int, ngl: int, ts: list[float]) -> list[int]:
    """The device of layers 0 … n_layer (n_layer: the output layer) as `load_tensors` computes it, in
    float as it does; -1 is the CPU. No -ts: one GPU (several would split by their free memory)."""
    assert ts or n_gpus == 1
    splits, total = [], 0.0
    for share in ts or [1.0]:
        total = f32(total + f32(share))
        splits.append(total)
    splits = [f32(s / total) for s in splits]
    start, active = max(n_layer - ngl, 0), min(ngl, n_layer + 1)
    out = []
    for il in range(n_layer + 1):
        if il < start or il - start >= active:
            out.append(-1)
        else:
            out.append(bisect.bisect_right(splits, f32((il - start) / active)))  # std::upper_bound
    return out


CASES = [
    # the reviewer's question, and the same model on fewer and mixed GPUs
    ("qwen3-235b-a22b", Q4_K_M, [RTX_4090] * 4, 128, 4096),
    ("qwen3-235b-a22b", Q4_K_M, [RTX_4090, RTX_3090], 128, 4096),
    ("qwen3-235b-a22b", Q4_K_M, [RTX_5090, RTX_4090, RTX_3060, RTX_3060], 128, 8192),
    ("qwen3-235b-a22b", Q4_K_M, [RTX_5090], 192, 4096),
    ("qwen3-30b-a3b", Q4_K_M, [RTX_3060], 32, 8192),
    ("qwen3-30b-a3b", Q8_0, [RTX_4060_TI, RTX_3060], 32, 32768),
    ("gpt-oss-120b", MXFP4, [RTX_4090], 64, 8192),
    ("gpt-oss-120b", MXFP4, [RTX_4090, RTX_3060], 64, 8192),
    ("gpt-oss-120b", MXFP4, [RTX_3060] * 4, 64, 8192),
    ("deepseek-v3", Q4_K_M, [RTX_3090], 512, 4096),
    ("deepseek-v3", Q4_K_M, [A100_80, RTX_4090], 512, 4096),
    ("deepseek-v3", Q4_K_M, [RTX_4090] * 4, 512, 4096),
    ("mixtral-8x22b-instruct-v0-1", Q4_K_M, [RTX_4090], 96, 4096),
    ("mixtral-8x22b-instruct-v0-1", Q4_K_M, [RTX_3090, RTX_4060_TI], 64, 4096),
    ("mixtral-8x22b-instruct-v0-1", Q4_K_M, [RTX_4060_TI] * 4, 64, 4096),
    # vLLM's runtime: its headroom (memory utilisation) and the embeddings on the first GPU count too
    ("qwen3-30b-a3b", Q8_0, [RTX_3060, RTX_4060_TI], 32, 4096, "vllm"),
    ("deepseek-v3", Q4_K_M, [A100_80] * 4, 512, 4096, "vllm"),
]
IDS = ["-".join([c[0], "+".join(d.slug for d in c[2]), f"{c[3]}GB", *c[5:]]) for c in CASES]


def model_of(slug: str) -> ModelSpec:
    return {"gpt-oss-120b": gpt_oss_120b, "deepseek-v3": deepseek_v3}.get(slug, lambda: catalog_model(slug))()


def offload_plan(model, quant, devices, ram_gb, context, runtime="llama.cpp"):
    workload = Workload(context_tokens=context, ram_bytes=ram_gb * GB, runtime=runtime)
    e = estimate(model=model, quant=quant, devices=devices, workload=workload)
    return e, next(p for p in e.plans if p.strategy == "expert_offload"), workload


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_gpu_holds_what_the_command_puts_there(case):
    slug, quant, devices, *question = case
    model = model_of(slug)
    n = model.num_hidden_layers
    _, plan, workload = offload_plan(model, quant, devices, *question)
    flags = server_flags(plan.commands["llama-server"])
    ngl = int(flags["-ngl"])
    n_cpu_moe = int(flags.get("--n-cpu-moe", "0"))
    ts = [float(x) for x in flags["-ts"].split(",")] if "-ts" in flags else []
    if len(devices) > 1:
        assert flags["-sm"] == "layer" and len(ts) == len(devices)
    else:
        assert not ts
    owner = llama_cpp_devices(n, len(devices), ngl, ts)
    assert -1 not in owner  # every layer and the head on a GPU
    gpus = [d for d in plan.devices if d.kind == "gpu"]
    assert len(gpus) == len(devices)
    table = memory.layer_bytes_table(model, quant)
    multi = len(devices) > 1
    for g, (device, usage) in enumerate(zip(devices, gpus, strict=True)):
        layers = [il for il in range(n) if owner[il] == g]
        p = Placement(
            device,
            layers,
            holds_output=owner[n] == g,
            holds_embedding=g == 0,
            experts_elsewhere={il for il in layers if il < n_cpu_moe},
        )
        m = placement_memory(
            model=model,
            quant=quant,
            workload=workload,
            p=p,
            tp=1,
            multi_gpu=multi,
            pipeline=multi,
            headroom_bytes=None,
        )
        assert usage.layers == len(layers), (g, flags)
        assert {k: v for k, v in usage.tensors.items() if v} == {k: v for k, v in m.tensors.items() if v}, g
        assert (usage.kv_cache_bytes, usage.compute_bytes, usage.overhead_bytes) == (
            m.kv_cache_bytes,
            m.compute_bytes,
            m.overhead_bytes,
        )
        assert m.fits and usage.fits, (g, m.slack_bytes / GIB, flags)
    in_ram = [il for il in range(min(n_cpu_moe, n)) if table[il].routed_experts]
    host = host_memory(
        model=model, quant=quant, workload=workload, layers=[], expert_layers=in_ram, holds_output=False
    )
    ram = next(d for d in plan.devices if d.kind == "host")
    assert {k: v for k, v in ram.tensors.items() if v} == {k: v for k, v in host.tensors.items() if v}
    assert ram.fits and host.fits
    # every expert somewhere, once
    on_gpus = sum(u.tensors.get("routed_experts", 0) for u in gpus)
    assert on_gpus + ram.tensors.get("routed_experts", 0) == sum(lb.routed_experts for lb in table)
    assert plan.fits


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_n_cpu_moe_is_the_fewest_layers_that_fit(case):
    # one layer's experts fewer in RAM and no split over these GPUs fits: the plan reads as little from
    # RAM per token as the GPUs allow
    slug, quant, devices, *question = case
    model = model_of(slug)
    _, plan, workload = offload_plan(model, quant, devices, *question)
    dense = memory.tensor_classes(model).dense_layers
    if plan.n_cpu_moe == 0:
        return
    fewer = plans.expert_offload(
        model=model, quant=quant, workload=workload, devices=devices, cpu_moe_layers=plan.n_cpu_moe - 1
    )
    assert fewer.n_cpu_moe == (plan.n_cpu_moe - 1 if plan.n_cpu_moe - 1 > dense else 0)
    assert not all(d.fits for d in fewer.devices if d.kind == "gpu")


def test_the_reviewers_question_gets_bars_and_a_command_that_agree():
    e, plan, _ = offload_plan(catalog_model("qwen3-235b-a22b"), Q4_K_M, [RTX_4090] * 4, 128, 4096)
    assert e.recommended == "expert_offload"
    flags = server_flags(plan.commands["llama-server"])
    n_cpu_moe, counts = int(flags["--n-cpu-moe"]), [int(x) for x in flags["-ts"].split(",")]
    gpus = [d for d in plan.devices if d.kind == "gpu"]
    assert [d.layers for d in gpus] == [*counts[:-1], counts[-1] - 1]  # the last one counts the head
    # layers 0 … N-1 lost their experts, all on the first GPU: it takes more layers, and every GPU fits
    assert n_cpu_moe <= counts[0] and counts[0] > max(counts[1:])
    assert all(d.fits for d in plan.devices)
    table = memory.layer_bytes_table(catalog_model("qwen3-235b-a22b"), Q4_K_M)
    assert gpus[0].tensors["routed_experts"] == sum(lb.routed_experts for lb in table[n_cpu_moe : counts[0]])
    assert max(d.used_bytes for d in gpus) < 24 * GIB  # not the 33 GiB the old -ts 24,24,23,23 put there


def test_one_gpu_offloads_the_first_layers_experts_as_before():
    # gpt-oss-120b on one 24 GB GPU: the experts of layers 0-23 in RAM, 12 layers' on the GPU
    model = gpt_oss_120b()
    _, plan, _ = offload_plan(model, MXFP4, [RTX_4090], 64, 8192)
    gpu, host = plan.devices
    table = memory.layer_bytes_table(model, MXFP4)
    assert plan.n_cpu_moe == 24 and plan.tensor_split == ()
    assert gpu.tensors["routed_experts"] == sum(lb.routed_experts for lb in table[24:])
    assert host.tensors["routed_experts"] == sum(lb.routed_experts for lb in table[:24])
    assert "-ts" not in server_flags(plan.commands["llama-server"])
