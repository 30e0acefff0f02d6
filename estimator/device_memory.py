"""Memory per device: what one device (or system RAM) holds of a model, by tensor class, and what one
token costs it to read there (a `speed.Stage`). Layouts say which layers go where; this module prices
a placement in bytes."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from . import fixed_costs, kv_cache, memory, quant_mix, speed
from .limits import bounded_cache, length_of_result
from .schema import DeviceSpec, DeviceUsage, ModelSpec, QuantSpec, Workload
from .units import GIB

# The OS and the runtime's own process need system memory too when layers live in RAM.
HOST_HEADROOM_BYTES = 2 * GIB


@dataclass
class Placement:
    """What one device holds: layer indices, and which of them keep their routed experts elsewhere."""

    device: DeviceSpec
    layers: Sequence[int]  # a range, except where experts_elsewhere picks layers
    holds_output: bool = False
    holds_embedding: bool = False
    experts_elsewhere: set[int] = field(default_factory=set)
    host: int = 0


def ram_bandwidth(workload: Workload) -> float:
    return workload.ram_bandwidth_gb_s or speed.DEFAULT_RAM_BANDWIDTH_GB_S


def kv_share(model: ModelSpec, tp: int) -> float:
    """Share of the KV cache one tensor-parallel rank holds: its KV heads, at least one whole head.

    Past `num_key_value_heads` ranks, heads replicate; MLA's single latent cannot be split at all.
    """
    if tp <= 1:
        return 1.0
    if model.is_mla:
        return 1.0
    heads = model.num_key_value_heads
    return max(heads // tp, 1) / heads if heads >= tp else 1 / heads


def _embedding_on_gpu(workload: Workload) -> bool:
    """llama.cpp keeps the token embedding table in host memory; vLLM and MLX keep it on the device."""
    return workload.runtime in ("vllm", "mlx")


@bounded_cache(entries=4096, size=262_144, size_of=length_of_result)
def _weight_sums(
    model: ModelSpec, quant: QuantSpec, layers: Sequence[int], elsewhere: frozenset[int]
) -> tuple[int, int, int, int, float]:
    """Attention, dense MLP, shared-expert and routed-expert bytes of `layers` (routed: those kept here),
    and the parameters one token multiplies there. Cached: the same layer ranges recur across plans."""
    c = memory.tensor_classes(model)
    table = memory.layer_bytes_table(model, quant)
    attention = dense = routed = shared = 0
    active = 0.0
    for i in layers:
        lb = table[i]
        attention += lb.attention
        dense += lb.dense_mlp
        shared += lb.shared_experts
        if i not in elsewhere:
            routed += lb.routed_experts
            active += c.layer_active_params(i)
        else:
            active += c.layer_active_params(i) - c.routed_experts * (
                c.experts_per_tok / c.experts if c.experts else 0
            )
    return attention, dense, shared, routed, active


class DeviceMemory(NamedTuple):
    """A device's memory under a placement, before it becomes a `DeviceUsage`."""

    tensors: dict[str, int]
    kv_cache_bytes: int
    compute_bytes: int
    overhead_bytes: int
    capacity_bytes: int
    headroom_bytes: int
    sums: tuple  # _weight_sums / _host_sums, for the speed stage
    state_bytes: int = 0  # linear-attention layers' recurrent state (`kv_cache.recurrent_state_layers_bytes`)

    @property
    def slack_bytes(self) -> int:
        """Memory left once the headroom is kept: `DeviceUsage.fits` is `slack_bytes >= 0`."""
        used = (
            sum(self.tensors.values())
            + self.kv_cache_bytes
            + self.state_bytes
            + self.compute_bytes
            + self.overhead_bytes
        )
        return self.capacity_bytes - self.headroom_bytes - used

    @property
    def fits(self) -> bool:
        """`DeviceUsage.fits`."""
        return self.slack_bytes >= 0


def layers_key(layers: Sequence[int]) -> Sequence[int]:
    """A hashable stand-in for `layers` (a range hashes in constant time)."""
    return layers if isinstance(layers, range | tuple) else tuple(layers)


def placement_memory(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    p: Placement,
    tp: int,
    multi_gpu: bool,
    pipeline: bool,
    headroom_bytes: int | None,
) -> DeviceMemory:
    sums = _weight_sums(model, quant, layers_key(p.layers), frozenset(p.experts_elsewhere))
    attention, dense, shared, routed, _ = sums
    output = memory.output_bytes(model, quant) if p.holds_output else 0
    embedding = (
        memory.embedding_bytes(model, quant) if p.holds_embedding and _embedding_on_gpu(workload) else 0
    )
    if embedding and output and not memory.tensor_classes(model).output_stored:
        output = 0  # a tied head is the embedding table itself: vLLM and MLX keep one tensor for both
    kv = int(kv_cache.kv_cache_layers_bytes(model, workload, p.layers) * kv_share(model, tp))
    tensors = {
        "attention": attention // tp,
        "dense_mlp": dense // tp,
        "routed_experts": routed // tp,
        "shared_experts": shared // tp,
        "output": output // tp,
        "embedding": embedding // tp,
    }
    capacity = p.device.usable_bytes
    if workload.runtime == "vllm":
        headroom = int(capacity * (1 - workload.gpu_memory_utilization))
        headroom = max(headroom, workload.headroom_bytes if headroom_bytes is None else headroom_bytes)
    else:
        headroom = workload.headroom_bytes if headroom_bytes is None else headroom_bytes
    compute = (
        memory.compute_buffer_bytes(
            model, holds_output=p.holds_output, workload=workload, tp=tp, pipeline=pipeline
        )
        if p.layers or p.holds_output
        else 0
    )
    overhead = memory.overhead_bytes(p.device.backend, runtime=workload.runtime, multi_gpu=multi_gpu)
    # the state splits by heads over tensor-parallel ranks, as the KV cache does
    state = kv_cache.recurrent_state_layers_bytes(model, workload, p.layers) // tp
    return DeviceMemory(tensors, kv, compute, overhead, capacity, headroom, sums, state)


def _usage(m: DeviceMemory, p: Placement, label: str | None) -> DeviceUsage:
    """The device's `DeviceUsage` from its memory under the placement."""
    return DeviceUsage(
        gpu=p.device.slug,
        name=label or p.device.name,
        layers=len(p.layers),
        weights_bytes=sum(m.tensors.values()),
        kv_cache_bytes=m.kv_cache_bytes,
        compute_bytes=m.compute_bytes,
        overhead_bytes=m.overhead_bytes,
        capacity_bytes=m.capacity_bytes,
        headroom_bytes=m.headroom_bytes,
        host=p.host,
        tensors={k: v for k, v in m.tensors.items() if v},
        recurrent_state_bytes=m.state_bytes,
    )


def usage_and_stage(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    p: Placement,
    tp: int = 1,
    multi_gpu: bool = False,
    pipeline: bool = False,
    headroom_bytes: int | None = None,
    label: str | None = None,
    priced: DeviceMemory | None = None,
) -> tuple[DeviceUsage, speed.Stage]:
    """The device's memory and speed stage under the placement; `priced`: its `placement_memory`, where
    the caller has it already (for the same model, format and workload, the default headroom)."""
    if priced is None:
        priced = placement_memory(
            model=model,
            quant=quant,
            workload=workload,
            p=p,
            tp=tp,
            multi_gpu=multi_gpu,
            pipeline=pipeline,
            headroom_bytes=headroom_bytes,
        )
    stage = _stage(
        model,
        quant,
        p.device,
        layers_key(p.layers),
        frozenset(p.experts_elsewhere),
        p.holds_output,
        tp,
        *stage_inputs(model, workload),
    )
    return _usage(priced, p, label), stage


def stage_inputs(model: ModelSpec, workload: Workload) -> tuple[str, float, bool, int]:
    """What a `speed.Stage` reads of the workload: the runtime, the KV cache's bytes per element, flash attention
    and a linear-attention layer's state per sequence. Not the context or the users: a question's stages are
    the same at every point of its charts (a step's depth and batch are the timing's arguments)."""
    return (
        workload.runtime,
        workload.kv_bytes_per_element,
        workload.flash_attention,
        _state_per_layer(model, workload),
    )


def _state_per_layer(model: ModelSpec, workload: Workload) -> int:
    """`kv_cache.recurrent_state_bytes_per_layer`, 0 for a model without linear-attention layers."""
    return kv_cache.recurrent_state_bytes_per_layer(model, workload) if model.has_linear_layers else 0


@bounded_cache(entries=2048, size=65_536, size_of=length_of_result)
def _stage(
    model: ModelSpec,
    quant: QuantSpec,
    device: DeviceSpec,
    layers: Sequence[int],
    elsewhere: frozenset[int],
    holds_output: bool,
    tp: int,
    runtime: str,
    kv_bytes_per_element: float,
    flash_attention: bool,
    state_bytes_per_layer: int,
) -> speed.Stage:
    """The stage of a placement (`usage_and_stage`), from the workload's `stage_inputs`. Cached: a question's
    plans, suggestions and chart points price the same devices at other contexts and user counts, and
    nothing assigns to a stage once built."""
    attention, dense, shared, routed, active = _weight_sums(model, quant, layers, elsewhere)
    c = memory.tensor_classes(model)
    # the widths as the file keeps them (gpt-oss: MXFP4 experts in any type), for the recipe's roles
    stored = memory.sized(model, quant)
    output = memory.output_bytes(model, quant) if holds_output else 0
    if holds_output:
        active += c.output
    share = kv_share(model, tp)
    mix = quant_mix.role_factors(model, stored)
    q6k_dense, q6k_routed = quant_mix.q6k_shares(model, stored)
    mesa_moe_nodes, mesa_linear_nodes = fixed_costs.mesa_moe_layer_nodes(model.family)
    attention_fields = _attention_fields(
        model,
        layers,
        kv_bytes_per_element=kv_bytes_per_element,
        flash_attention=flash_attention,
        state_bytes_per_layer=state_bytes_per_layer,
        kv_share=share,
        head_share=1 / tp,
    )
    return speed.Stage(
        **_hardware_fields(device, quant, runtime, model.hidden_size),
        experts=c.experts,
        experts_per_tok=c.experts_per_tok,
        layers=len(layers),
        # the bytes a token reads where the quantizer's recipe puts them (quant_mix: a Q4_K_M head is Q6_K)
        dense_bytes=(attention * mix.attention + (dense + shared) * mix.mlp + output * mix.output) / tp,
        routed_bytes=routed * mix.mlp / tp,
        active_params=active / tp,
        output_params=c.output / tp if holds_output else 0.0,
        mlx_layer_kernels=fixed_costs.mlx_layer_kernels(model.family, model.max_position_embeddings),
        mlx_moe_kernels=fixed_costs.mlx_moe_kernels(model.family),
        mesa_moe_layer_nodes=mesa_moe_nodes,
        mesa_linear_layer_nodes=mesa_linear_nodes,
        q6k_dense_share=q6k_dense,
        q6k_routed_share=q6k_routed,
        **attention_fields,
        **_moe_fields(c, stored, layers, elsewhere, 1 / tp),
    )


@bounded_cache(entries=1024, size=4096, size_of=length_of_result)
def _hardware_fields(device: DeviceSpec, quant: QuantSpec, runtime: str, hidden_size: int) -> dict:
    """The Stage fields of the device, the runtime and the format. Cached: they read names with regular
    expressions (`hardware.py`), and every plan of every probe prices its devices anew."""
    return {
        "bandwidth_gb_s": device.bandwidth_gb_s,
        "backend": speed.kernels(device, runtime),
        "tflops": device.fp16_tflops,
        "memory": speed.memory_class(device),
        "fmt": speed.format_family(quant),
        "integer_dot": speed.integer_dot_matvec(device, quant, runtime, hidden_size=hidden_size),
        "full_rate_fp16": speed.full_rate_fp16(device),
        "tensor_width": speed.tensor_width(device),
        "matrix_width": speed.matrix_width(device),
        "prompt_backend": speed.prompt_kernels(device, runtime),
        "sm_ghz": speed.sm_ghz(device),
        "expert_loop": speed.expert_loop_prompts(device, runtime),
        "clock_ghz": speed.clock_ghz(device),
        "bf16_rate": speed.bf16_prompt_rate(device),
        "prompt_clock_share": speed.graphics_clock_share(device),
        "integer_tops": speed.integer_tops(device),
        "emulated_dp4a": speed.emulated_dp4a(device, runtime),
        "matvec_type": speed.matvec_file_type(device, quant, runtime),
        "wide_matvec": speed.wide_matvec(device, runtime),
        "shader_lanes_tops": speed.shader_lanes_tops(device, runtime),
        "float_matvec": speed.float_matvec(device, quant, runtime, hidden_size=hidden_size),
        "dmmv_type": speed.dmmv_file_type(device, quant, runtime),
    }


def decode_attention_flops_per_pair(model: ModelSpec) -> float:
    """The FLOPs of one decoded token against one cached token in one attention layer: QKᵀ and PV, 4 × heads × head
    dim; an MLA layer attends in its latent instead (llama.cpp's DeepSeek-2 graph absorbs wk_b into the query and
    reads V as a view of the cached latent, fixed_costs.MLA_LAYER_KERNELS): each query head multiplies the latent
    and RoPE key (kv_lora_rank + qk_rope_head_dim values) and the latent again, 2 × heads × (2 × kv_lora_rank +
    qk_rope_head_dim). GLM-4.7-Flash's 20 heads: 43,520 FLOPs a cell and layer for 1,152 bytes of cache, 38 a
    byte, where a GQA Llama's are 4: at depth its decode is bound by that arithmetic, not by the reads
    (`kv_reads.attention_arithmetic_seconds`). A prompt's attention stays at 4 × heads × head dim: priced absorbed,
    the MI300X's DeepSeek-V3 prompts came out 24-61% slow and the M4 Max's GLM-4.7-Flash 63%."""
    if model.is_mla:
        return 2 * model.num_attention_heads * (2 * (model.kv_lora_rank or 0) + (model.qk_rope_head_dim or 0))
    return 4 * model.num_attention_heads * model.head_dim_or_default


def _attention_fields(
    model: ModelSpec,
    layers: Sequence[int],
    *,
    kv_bytes_per_element: float,
    flash_attention: bool,
    state_bytes_per_layer: int,
    kv_share: float = 1.0,
    head_share: float = 1.0,
) -> dict:
    """Attention's costs on these layers, full-attention and sliding-window ones apart (a window layer
    stops growing at the window): the KV bytes one sequence reads per cached token, and the FLOPs of one
    query against one key (QKᵀ and PV: 4 × heads × head dim per layer; at decode, MLA's in its latent,
    `decode_attention_flops_per_pair`). Linear-attention layers keep
    no KV cache: each step reads their recurrent state once per sequence, whatever the depth."""
    per_cell = kv_cache.kv_values_per_token_layer(model) * kv_bytes_per_element * kv_share
    per_pair = 4 * model.num_attention_heads * head_share * model.head_dim_or_default
    windowed = 0
    if model.has_window_layers:
        mask = kv_cache.window_layers(model)
        windowed = sum(1 for i in layers if mask[i])
    attention = kv_cache.attention_layers_in(model, layers)
    full = attention - windowed
    linear = {}
    if model.has_linear_layers:
        state = (len(layers) - attention) * state_bytes_per_layer * head_share
        linear = {"state_bytes": state, "linear_layers": len(layers) - attention}
    if model.is_mla:
        linear["mla_kernels"] = attention * fixed_costs.mla_layer_kernels(model.q_lora_rank)
    return {
        **linear,
        "kv_bytes_per_cell": full * per_cell,
        "kv_window_bytes_per_cell": windowed * per_cell,
        "window": (model.sliding_window or 0) if windowed else 0,
        "attention_flops_per_pair": full * per_pair,
        "decode_attention_flops_per_pair": full * decode_attention_flops_per_pair(model) * head_share,
        "window_attention_flops_per_pair": windowed * per_pair,
        "flash_attention": flash_attention,
        "score_heads": full * model.num_attention_heads * head_share,
        "window_score_heads": windowed * model.num_attention_heads * head_share,
        "gqa_ratio": model.num_attention_heads / model.num_key_value_heads,
        "head_dim": model.head_dim_or_default,
        "kv_heads": model.num_key_value_heads * head_share,
        "kv_quantized": kv_bytes_per_element < 2,
    }


def _moe_fields(
    c: memory.TensorClasses, quant: QuantSpec, layers: Sequence[int], elsewhere: set[int], share: float
) -> dict:
    """MoE layers whose experts run here, the expert parameters a token multiplies in them, and the routers of
    every MoE layer here (a layer whose experts went to the CPU still routes on this device) with the bytes
    `dense_bytes` counts them at (the format's width)."""
    if not c.experts:
        return {}
    moe = [i for i in layers if i >= c.dense_layers]
    here = sum(1 for i in moe if i not in elsewhere)
    router = len(moe) * c.router * share
    return {
        "moe_layers": here,
        "routed_active_params": here * c.routed_experts * c.experts_per_tok / c.experts * share,
        "router_params": router,
        "router_bytes": router * quant.bits_per_weight / 8,
    }


@bounded_cache(entries=4096, size=262_144, size_of=length_of_result)
def _host_sums(
    model: ModelSpec, quant: QuantSpec, layers: Sequence[int], expert_layers: Sequence[int]
) -> tuple[int, int, float]:
    """Dense and routed bytes in RAM, and the parameters one token multiplies there."""
    c = memory.tensor_classes(model)
    table = memory.layer_bytes_table(model, quant)
    dense = routed = 0
    active = 0.0
    for i in layers:
        lb = table[i]
        dense += lb.attention + lb.dense_mlp + lb.shared_experts
        routed += lb.routed_experts
        active += c.layer_active_params(i)
    share = c.experts_per_tok / c.experts if c.experts else 0.0
    for i in expert_layers:
        routed += table[i].routed_experts
        active += c.routed_experts * share
    return dense, routed, active


def host_memory(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    layers: Sequence[int],
    expert_layers: Sequence[int],
    holds_output: bool,
) -> DeviceMemory:
    sums = _host_sums(model, quant, layers_key(layers), layers_key(expert_layers))
    dense, routed, _ = sums
    output = memory.output_bytes(model, quant) if holds_output else 0
    embedding = memory.embedding_bytes(model, quant)
    kv = kv_cache.kv_cache_layers_bytes(model, workload, layers)
    compute = 0
    if layers or expert_layers:
        cpu_workload = (
            workload
            if workload.runtime == "llama.cpp"
            else workload.model_copy(update={"runtime": "llama.cpp"})
        )
        compute = memory.compute_buffer_bytes(model, holds_output=holds_output, workload=cpu_workload)
    tensors = {
        "attention": 0,
        "dense_mlp": dense,
        "routed_experts": routed,
        "output": output,
        "embedding": embedding,
    }
    state = kv_cache.recurrent_state_layers_bytes(model, workload, layers)
    return DeviceMemory(tensors, kv, compute, 0, workload.ram_bytes or 0, HOST_HEADROOM_BYTES, sums, state)


def _host_usage(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    layers: Sequence[int],
    expert_layers: Sequence[int],
    holds_output: bool,
) -> tuple[DeviceUsage, tuple[int, int, float]]:
    m = host_memory(
        model=model,
        quant=quant,
        workload=workload,
        layers=layers,
        expert_layers=expert_layers,
        holds_output=holds_output,
    )
    usage = DeviceUsage(
        gpu="host-ram",
        name="System RAM",
        kind="host",
        layers=len(layers),
        weights_bytes=sum(m.tensors.values()),
        kv_cache_bytes=m.kv_cache_bytes,
        compute_bytes=m.compute_bytes,
        overhead_bytes=0,
        capacity_bytes=m.capacity_bytes,
        headroom_bytes=HOST_HEADROOM_BYTES,
        tensors={k: v for k, v in m.tensors.items() if v},
        recurrent_state_bytes=m.state_bytes,
    )
    return usage, m.sums


def host_usage_and_stage(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    layers: list[int],
    expert_layers: list[int],
    holds_output: bool,
) -> tuple[DeviceUsage, speed.Stage]:
    """System RAM as a device: whole layers (cpu_offload) or only routed experts (expert_offload)."""
    usage, (dense, routed, active) = _host_usage(
        model=model,
        quant=quant,
        workload=workload,
        layers=layers,
        expert_layers=expert_layers,
        holds_output=holds_output,
    )
    c = memory.tensor_classes(model)
    output = memory.output_bytes(model, quant) if holds_output else 0
    if holds_output:
        active += c.output
    stage = speed.Stage(
        bandwidth_gb_s=ram_bandwidth(workload),
        backend="cpu",
        tflops=workload.cpu_tflops,
        layers=len(layers) + len(expert_layers),
        dense_bytes=dense + output,
        routed_bytes=routed,
        experts=c.experts,
        experts_per_tok=c.experts_per_tok,
        active_params=active,
        output_params=c.output if holds_output else 0.0,
        **_attention_fields(
            model,
            layers,
            kv_bytes_per_element=workload.kv_bytes_per_element,
            flash_attention=workload.flash_attention,
            state_bytes_per_layer=_state_per_layer(model, workload),
        ),
        memory="ram",
        fmt=speed.format_family(quant),
        **_moe_fields(c, memory.sized(model, quant), [*layers, *expert_layers], set(), 1.0),
    )
    return usage, stage
