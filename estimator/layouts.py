"""Layouts: which device holds which layers under each strategy (from the pieces in `slots.py`), decided
before any speed is computed; enough to check memory alone (`strategy_fits`), which the suggestions ask
many times over."""

from collections.abc import Callable, Sequence

from . import memory
from .device_memory import Placement, placement_memory
from .limits import bounded_cache, length_of_result
from .schema import DeviceSpec, ModelSpec, QuantSpec, Reason, Workload
from .slots import (
    HostSlot,
    Layout,
    Slot,
    free_for_layers,
    layer_costs,
    layout_fits,
    layout_memory,
    split_cached,
    split_for,
)

# llama.cpp's guide to its split modes, at the commit we read
LLAMA_CPP_MULTI_GPU = (
    "https://github.com/ggml-org/llama.cpp/blob/5815cb840bfe5be1895c6ca6afcf9ce05d8b486f/docs/multi-gpu.md"
)
# The architectures whose load fails under `--split-mode tensor` ("LLAMA_SPLIT_MODE_TENSOR not implemented
# for architecture"): that guide's exclusion list (llm_arch_supports_sm_tensor in src/llama-arch.cpp), by
# config.json's model_type as the catalog's families spell them; DeepSeek2 and GLM-DSA are MLA models
# (ModelSpec.is_mla). Grok and Mistral4 are left out: no model_type of theirs is known here.
LLAMA_CPP_NO_TENSOR_SPLIT = frozenset(
    {
        "mpt",
        "olmoe",
        "nemotron-h",
        "granitemoehybrid",
        "lfm2-moe",
        "minimax-m2",
        "kimi-linear",
        "jamba",
        "falcon-h1",
        "mamba",
        "mamba2",
        "plamo2",
        "minicpm3",
        "gemma3n",
        "olmo2",
        "bitnet",
        "t5",
    }
)


def llama_cpp_splits_tensors(model: ModelSpec) -> bool:
    """Whether llama.cpp's `--split-mode tensor` loads this architecture (LLAMA_CPP_NO_TENSOR_SPLIT)."""
    return not model.is_mla and model.family.lower().replace("_", "-") not in LLAMA_CPP_NO_TENSOR_SPLIT


def best_single_device(devices: list[DeviceSpec]) -> DeviceSpec:
    return max(devices, key=lambda d: (d.usable_bytes, d.bandwidth_gb_s))


def single_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    device = best_single_device(devices)
    p = Placement(device, range(model.num_hidden_layers), holds_output=True, holds_embedding=True)
    return Layout([Slot(p)])


def _pipeline_layout(
    model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], hosts: list[int]
) -> Layout:
    n = len(devices)
    # rigs repeat one GPU (one object: `ranking.interned`): compute each once, the last apart (the head)
    free_of: dict[int, float] = {}
    free = [0.0] * n
    for i, d in enumerate(devices[:-1]):
        if id(d) not in free_of:
            free_of[id(d)] = free_for_layers(model, quant, workload, d, holds_output=False, multi_gpu=n > 1)
        free[i] = free_of[id(d)]
    free[-1] = free_for_layers(model, quant, workload, devices[-1], holds_output=True, multi_gpu=n > 1)
    counts = split_for(model, layer_costs(model, quant, workload), free)
    slots, start = [], 0
    for i, (device, k) in enumerate(zip(devices, counts, strict=True)):
        p = Placement(
            device,
            range(start, start + k),
            holds_output=i == n - 1,
            holds_embedding=i == 0,
            host=hosts[i],
        )
        label = device.name if max(hosts) == 0 else f"{device.name} (host {hosts[i] + 1})"
        slots.append(Slot(p, multi_gpu=True, pipeline=True, label=label))
        start += k
    # llama.cpp gives layer il (the output layer is il = n_layer) to the first device whose running share
    # of -ts exceeds il / (n_layer + 1) (src/llama-model.cpp, load_tensors): the counts, the head counted
    # on the last device, give exactly these layers, where free-memory fractions rounded elsewhere (Llama
    # 3.1 70B's 80 layers: -ts 0.508,0.492 made 42 + 38 of the 41 + 39 counted here)
    ratios = [float(k) for k in counts[:-1]] + [float(counts[-1] + 1)]
    return Layout(slots, counts=counts, ratios=ratios)


def layer_split_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    return _pipeline_layout(model, quant, workload, devices, [0] * len(devices))


def tensor_parallel_size(model: ModelSpec, n: int) -> int:
    """The largest TP size ≤ n that divides the attention heads and tiles the KV heads (vLLM's rule), and in
    a hybrid model splits its linear layers' heads: a Gated DeltaNet layer's key and value heads (vLLM divides
    both with `divide()`), a Mamba-2 layer's heads and its groups, or one group copied to every GPU
    (vLLM's `MambaMixer2` asserts `(n_groups % self.tp_size) == 0 or n_groups == 1`; its releases that also
    assert the groups divide for quantized checkpoints are not told apart here)."""
    for t in range(n, 1, -1):
        kv = model.num_key_value_heads
        if (
            model.num_attention_heads % t == 0
            and (kv % t == 0 or t % kv == 0 or model.is_mla)
            and (not model.has_linear_layers or _linear_heads_split(model, t))
        ):
            return t
    return 1


def _linear_heads_split(model: ModelSpec, t: int) -> bool:
    keys, values = model.linear_num_key_heads or 1, model.linear_num_value_heads or 1
    if model.linear_attention_kind == "mamba2":
        return values % t == 0 and (keys % t == 0 or keys == 1)
    return keys % t == 0 and values % t == 0


def tensor_parallel_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    """Every rank holds 1/tp of every matrix and of the KV heads: vLLM's tensor parallel and llama.cpp's
    `--split-mode tensor`, which "splits both weights and KV across the participating GPUs"."""
    tp = tensor_parallel_size(model, len(devices))
    slots = [
        Slot(
            Placement(device, range(model.num_hidden_layers), holds_output=True, holds_embedding=True),
            tp=tp,
            multi_gpu=True,
            label=f"{device.name} (rank {i})",
        )
        for i, device in enumerate(devices[:tp])
    ]
    return Layout(slots, tp=tp)


def tensor_parallel_unsupported(
    model: ModelSpec, workload: Workload, devices: Sequence[DeviceSpec]
) -> Reason | None:
    """Why tensor parallel cannot run on these GPUs with this runtime, or None. It needs identical GPUs
    and a head count that divides over two or more of them. llama.cpp's `--split-mode tensor`
    (LLAMA_CPP_MULTI_GPU) also needs CUDA or ROCm, flash attention and an unquantized KV cache, and
    excludes some architectures (llama_cpp_splits_tensors); Ollama and MLX have none within a machine."""
    if len({d.slug for d in devices}) != 1:
        return Reason(code="gpus_differ")
    if tensor_parallel_size(model, len(devices)) < 2:
        return Reason(
            code="heads_do_not_divide", values={"heads": model.num_attention_heads, "gpus": len(devices)}
        )
    if workload.runtime in ("ollama", "mlx"):
        return Reason(code="layers_only", values={"runtime": workload.runtime})
    if workload.runtime != "llama.cpp":
        return None
    if any(d.backend not in ("cuda", "rocm") for d in devices):
        return Reason(code="tensor_split_backend")
    if model.is_mla:
        return Reason(code="tensor_split_mla")
    if not llama_cpp_splits_tensors(model):
        return Reason(code="tensor_split_architecture", values={"model": model.name})
    if not workload.flash_attention:
        return Reason(code="tensor_split_flash_attention")
    if workload.kv_bytes_per_element < 2:
        return Reason(code="tensor_split_kv_cache")
    return None


def sequences_per_replica(workload: Workload, n: int) -> int:
    return max(1, -(-workload.batch // n))


def replicas_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    per_replica = sequences_per_replica(workload, len(devices))
    w = workload if per_replica == workload.batch else workload.model_copy(update={"batch": per_replica})
    slots = [
        Slot(
            Placement(device, range(model.num_hidden_layers), holds_output=True, holds_embedding=True),
            label=f"{device.name} (copy {i + 1})",
            workload=w,
        )
        for i, device in enumerate(devices)
    ]
    return Layout(slots)


def _contiguous_counts(costs: list[int], budgets: list[int], start: int) -> list[int] | None:
    """Layers start..n-1 handed out in order, each device taking as many as fit; None if some are left."""
    counts, i, n = [], start, len(costs)
    for budget in budgets:
        k = 0
        while i < n and costs[i] <= budget:
            budget -= costs[i]
            i += 1
            k += 1
        counts.append(k)
    return counts if i == n else None


def cpu_offload_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    """llama.cpp's `-ngl N` puts the output head and the last N - 1 layers on the GPUs, a contiguous block
    per device in device order, the head on the last (src/llama-model.cpp, load_tensors: `i_gpu_start =
    n_layer + 1 - n_gpu_layers`, the output layer being slot n_layer); the first layers stay in RAM.

    The largest block whose parts fit every device: a shorter block (fewer layers) fits whenever a
    longer one does, so a binary search over where the block starts finds it. Where no layer fits, the
    head stays in RAM too (-ngl 0).
    """
    n, last = model.num_hidden_layers, len(devices) - 1
    costs = layer_costs(model, quant, workload)
    multi = len(devices) > 1
    budgets = [
        free_for_layers(model, quant, workload, d, holds_output=i == last, multi_gpu=multi)
        for i, d in enumerate(devices)
    ]
    low, high = 0, n  # starting at n (no layer on a GPU) always works
    while low < high:
        middle = (low + high) // 2
        if _contiguous_counts(costs, budgets, middle) is None:
            low = middle + 1
        else:
            high = middle
    counts = _contiguous_counts(costs, budgets, low) or [0] * len(devices)
    on_gpus = low < n
    slots, start = [], low
    for i, (device, k) in enumerate(zip(devices, counts, strict=True)):
        head = on_gpus and i == last
        if k or head:
            slots.append(Slot(Placement(device, range(start, start + k), holds_output=head), multi_gpu=multi))
        start += k
    # -ts as the layer split gives it (_pipeline_layout): each GPU's layers, the head on the last
    ratios = [float(k) for k in counts[:-1]] + [float(counts[-1] + 1)] if multi and on_gpus else []
    host = HostSlot(list(range(low)), [], holds_output=not on_gpus)
    return Layout(slots, host=host, counts=counts, ratios=ratios)


def _room_for_layers(
    model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], i: int
) -> float:
    """What device i of a layer split has left for layers, as `placement_memory` counts it (the head on
    the last device, vLLM's embeddings on the first and its memory-utilisation headroom): its slack
    holding no layer, less the compute buffer that its first layer brings."""
    multi = len(devices) > 1
    p = Placement(devices[i], range(0), holds_output=i == len(devices) - 1, holds_embedding=i == 0)
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
    compute = (
        0
        if m.compute_bytes
        else memory.compute_buffer_bytes(model, holds_output=False, workload=workload, pipeline=multi)
    )
    return max(m.slack_bytes - compute, 0)


def _balanced_counts(costs: Sequence[int], free: Sequence[float]) -> list[int] | None:
    """Consecutive layer counts that fit every device with its fullest device least full (as a share of
    its free memory), or None if no split fits. Devices filled in order, each up to the same share of
    its free memory: the smallest share at which every layer finds a place, found by bisection."""
    costs = list(costs)
    if _contiguous_counts(costs, list(free), 0) is None:
        return None
    low, high = 0.0, 1.0
    for _ in range(24):  # to within 1/16 M of the free memory: far below one layer
        middle = (low + high) / 2
        if _contiguous_counts(costs, [f * middle for f in free], 0) is None:
            low = middle
        else:
            high = middle
    return _contiguous_counts(costs, [f * high for f in free], 0)


@bounded_cache(entries=1024, size=262_144, size_of=length_of_result)
def _expert_split(
    base: tuple[int, ...],
    experts: tuple[int, ...],
    free: tuple[float, ...],
    dense_layers: int,
    cpu_moe_layers: int | None,
) -> tuple[int, tuple[int, ...]]:
    """How many MoE layers (from the first) keep their experts in RAM, and the layers per device.

    `base` is each layer's bytes without its routed experts, `experts` those experts. With
    `cpu_moe_layers` None, the fewest offloaded layers for which some consecutive split fits (more
    offloaded layers only lighten the first ones: a binary search finds the fewest)."""
    moe = len(base) - dense_layers

    def costs(offloaded: int) -> list[int]:
        return [
            b + (e if not dense_layers <= i < dense_layers + offloaded else 0)
            for i, (b, e) in enumerate(zip(base, experts, strict=True))
        ]

    if cpu_moe_layers is not None:
        offloaded = min(max(cpu_moe_layers - dense_layers, 0), moe)
    else:
        low, high = 0, moe
        while low < high:
            middle = (low + high) // 2
            if _contiguous_counts(costs(middle), list(free), 0) is None:
                low = middle + 1
            else:
                high = middle
        offloaded = low
    per_layer = costs(offloaded)
    # the layer split's rule (shares of free memory) where it fits; else the most even split that fits;
    # if none does, the layer split's, and the plan says it does not fit
    counts = split_cached(len(base), tuple(per_layer), free)
    start = 0
    for k, room in zip(counts, free, strict=True):
        if sum(per_layer[start : start + k]) > room:
            return offloaded, tuple(_balanced_counts(per_layer, free) or counts)
        start += k
    return offloaded, tuple(counts)


def expert_offload_layout(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    cpu_moe_layers: int | None = None,
) -> Layout:
    """llama.cpp `-ngl all --n-cpu-moe N -ts ...`: every layer on a GPU, consecutive layers per GPU in
    order, and the routed experts of layers 0 … N-1 in RAM (`--n-cpu-moe` moves the first N layers'
    experts, wherever those layers are: on the first GPUs of the split). N is as small as lets some
    split fit (`cpu_moe_layers` None), or as given. The split is the layer split's (shares of free
    memory) if it fits, else the one that leaves the fullest GPU least full: GPUs whose layers lost their experts take
    more layers, the others fewer.

    `counts` are the layers per GPU and `ratios` the `--tensor-split` that gives exactly them: llama.cpp
    puts layer il (the output layer is il = n_layer) on the first device whose running share of -ts
    exceeds il / (n_layer + 1), so the counts, the head counted on the last GPU, say it."""
    n = model.num_hidden_layers
    c = memory.tensor_classes(model)
    multi = len(devices) > 1
    free = tuple(_room_for_layers(model, quant, workload, devices, i) for i in range(len(devices)))
    base = tuple(layer_costs(model, quant, workload, experts=False))
    table = memory.layer_bytes_table(model, quant)
    experts = tuple(lb.routed_experts for lb in table)
    dense = min(c.dense_layers, n)
    moved, counts = _expert_split(base, experts, free, dense, cpu_moe_layers)
    offloaded = set(range(dense, dense + moved))
    slots, start = [], 0
    for device_i, (device, k) in enumerate(zip(devices, counts, strict=True)):
        group = range(start, start + k)
        start += k
        p = Placement(
            device,
            group,
            holds_output=device_i == len(devices) - 1,
            holds_embedding=device_i == 0,
            experts_elsewhere={i for i in group if i in offloaded},
        )
        slots.append(Slot(p, multi_gpu=multi, pipeline=multi))
    ratios = [float(k) for k in counts[:-1]] + [float(counts[-1] + 1)] if multi else []
    return Layout(
        slots, host=HostSlot([], sorted(offloaded), holds_output=False), counts=list(counts), ratios=ratios
    )


def rpc_hosts(workload: Workload, devices: Sequence[DeviceSpec]) -> list[int]:
    """The machine of each GPU of an RPC cluster, in llama.cpp's order of devices, which -ts follows: the
    other machines' first, in --rpc's order, and the one running llama-server last (src/llama.cpp: "add RPC
    servers at the front of the list to minimize network transfers"), so it holds the last layers and the
    head. Machine 0 is the one running llama-server."""
    return [h % workload.hosts for h in range(1, workload.hosts + 1) for _ in devices]


def rpc_cluster_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    host_of = rpc_hosts(workload, devices)
    return _pipeline_layout(model, quant, workload, list(devices) * workload.hosts, host_of)


# vLLM's guide to serving over several machines, at the commit we read: "set tensor_parallel_size to the number
# of GPUs per node and pipeline_parallel_size to the number of nodes"; SGLang's pipeline parallelism guide runs
# the same shape (--tp per node, --pp-size nodes, --nnodes, --node-rank, --dist-init-addr)
VLLM_MULTI_NODE = (
    "https://github.com/vllm-project/vllm/blob/096bd6a4a109b13698ab85782cc1a3630aa002ee/docs/serving/"
    "parallelism_scaling.md"
)
SGLANG_PIPELINE_PARALLEL = "https://docs.sglang.io/advanced_features/pipeline_parallelism.html"


def pipeline_stage_layers(layers: int, stages: int) -> list[int]:
    """How many layers each pipeline stage holds, as vLLM's `get_pp_indices` deals them
    (vllm/distributed/utils.py): an equal share each, and the remainder one apiece to the stages before the
    last, from the last but one backwards (the last holds the output head). SGLang gives the remainder to
    the last stages instead: one layer's difference at most."""
    counts = [layers // stages] * stages
    for i in range(2, layers % stages + 2):
        counts[-i] += 1
    return counts


def pipeline_parallel_unsupported(workload: Workload, devices: Sequence[DeviceSpec]) -> Reason | None:
    """Why vLLM's and SGLang's multi-machine plan is not built: one machine, a runtime that serves otherwise
    (llama.cpp's RPC, Ollama, MLX), or unlike GPUs in a machine (its tensor-parallel ranks are equal)."""
    if workload.hosts == 1:
        return Reason(code="one_machine")
    if workload.runtime != "vllm":  # SGLang is priced as vLLM (Workload.runtime)
        return Reason(code="machines_by_rpc", values={"runtime": workload.runtime})
    if len({d.slug for d in devices}) != 1:
        return Reason(code="gpus_differ")
    return None


def pipeline_parallel_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    """One pipeline stage per machine, its layers (`pipeline_stage_layers`) sharded over the tensor-parallel
    ranks of that machine's GPUs (`tensor_parallel_size`: the heads must divide): the first stage holds the
    embedding, the last the output head (vLLM's PPMissingLayer elsewhere)."""
    tp = tensor_parallel_size(model, len(devices))
    hosts = workload.hosts
    counts = pipeline_stage_layers(model.num_hidden_layers, hosts)
    slots, start = [], 0
    for h, k in enumerate(counts):
        for r, device in enumerate(devices[:tp]):
            p = Placement(
                device, range(start, start + k), holds_output=h == hosts - 1, holds_embedding=h == 0, host=h
            )
            slots.append(Slot(p, tp=tp, multi_gpu=True, label=f"{device.name} (host {h + 1}, rank {r})"))
        start += k
    return Layout(slots, counts=counts, tp=tp)


LayoutBuilder = Callable[..., Layout]


LAYOUTS: dict[str, LayoutBuilder] = {
    "single": single_layout,
    "layer_split": layer_split_layout,
    "tensor_parallel": tensor_parallel_layout,
    "replicas": replicas_layout,
    "cpu_offload": cpu_offload_layout,
    "expert_offload": expert_offload_layout,
    "rpc_cluster": rpc_cluster_layout,
    "pipeline_parallel": pipeline_parallel_layout,
}


def strategy_fits(
    strategy: str, *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> bool:
    """Whether `strategy`'s plan would fit, from its memory alone: the suggestions' many probes."""
    layout = LAYOUTS[strategy](model=model, quant=quant, workload=workload, devices=devices)
    return layout_fits(layout, model=model, quant=quant, workload=workload)


def strategy_slack(
    strategy: str, *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> list[int]:
    """`slack_bytes` of each distinct device (and RAM) under `strategy`: how far each is from full."""
    layout = LAYOUTS[strategy](model=model, quant=quant, workload=workload, devices=devices)
    return [m.slack_bytes for m in layout_memory(layout, model=model, quant=quant, workload=workload)]
