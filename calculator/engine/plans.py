"""Split strategies: where each tensor lives, per device, for the same model and hardware."""

from . import memory, speed
from .schema import DeviceSpec, DeviceUsage, ModelSpec, Plan, QuantSpec, Workload

OVERHEAD_BYTES = {"cuda": memory.CUDA_CONTEXT_BYTES, "rocm": memory.CUDA_CONTEXT_BYTES}


def overhead_bytes(device: DeviceSpec) -> int:
    return OVERHEAD_BYTES.get(device.backend, 0)


def layers_by_capacity(model: ModelSpec, devices: list[DeviceSpec]) -> list[int]:
    """llama.cpp's default `--tensor-split`: layers in proportion to each device's memory."""
    total = sum(d.usable_bytes for d in devices)
    layers = model.num_hidden_layers
    shares = [d.usable_bytes / total * layers for d in devices]
    counts = [int(s) for s in shares]
    # hand the rounding remainder to the devices with the largest fractional share
    for i in sorted(range(len(devices)), key=lambda i: shares[i] - counts[i], reverse=True)[: layers - sum(counts)]:
        counts[i] += 1
    return counts


def _stage(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, device: DeviceSpec, layers: int, holds_output: bool
) -> DeviceUsage:
    per_layer_weights = memory.params_bytes(memory.layer_params(model) / model.num_hidden_layers, quant)
    output = memory.params_bytes(memory.output_params(model), quant) if holds_output else 0
    kv = memory.kv_cache_bytes(
        model, context_tokens=workload.context_tokens, batch=workload.batch,
        kv_bytes_per_element=workload.kv_bytes_per_element,
    )
    return DeviceUsage(
        gpu=device.slug,
        name=device.name,
        layers=layers,
        weights_bytes=per_layer_weights * layers + output,
        kv_cache_bytes=kv * layers // model.num_hidden_layers,
        compute_bytes=memory.compute_buffer_bytes(model, holds_output=holds_output, batch=workload.batch),
        overhead_bytes=overhead_bytes(device),
        capacity_bytes=device.usable_bytes,
        headroom_bytes=workload.headroom_bytes,
    )


def _decode_and_prefill(
    *, model: ModelSpec, usages: list[DeviceUsage], devices: list[DeviceSpec], workload: Workload
) -> tuple[float, float | None, float | None]:
    """Single-stream decode tok/s, prefill tok/s and time to first token for stages run one after another."""
    active = model.active_params / (model.total_params_b * 1e9)
    decode_s = 0.0
    prefill_s: float | None = 0.0
    for usage, device in zip(usages, devices, strict=True):
        bytes_per_token = usage.weights_bytes * active + usage.kv_cache_bytes / workload.batch
        decode_s += speed.read_seconds(bytes_per_token, device)
        share = usage.layers / model.num_hidden_layers
        flops = 2 * model.active_params * share * workload.prompt_tokens
        stage_s = speed.compute_seconds(flops, device)
        prefill_s = None if prefill_s is None or stage_s is None else prefill_s + stage_s
    decode_tok_s = 1 / decode_s
    if prefill_s is None:
        return decode_tok_s, None, None
    return decode_tok_s, workload.prompt_tokens / prefill_s, prefill_s + decode_s


def single(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """The whole model on the largest device of the rig."""
    device = max(devices, key=lambda d: d.usable_bytes)
    usage = _stage(
        model=model, quant=quant, workload=workload, device=device,
        layers=model.num_hidden_layers, holds_output=True,
    )
    decode, prefill, ttft = _decode_and_prefill(model=model, usages=[usage], devices=[device], workload=workload)
    notes = ()
    if len(devices) > 1:
        notes = (f"Uses one {device.name}; the other {len(devices) - 1} device(s) stay free.",)
    return Plan(strategy="single", devices=(usage,), decode_tok_s=decode, prefill_tok_s=prefill, ttft_s=ttft,
                notes=notes)


def layer_split(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """llama.cpp `--split-mode layer`: consecutive layers per device, run one device after another."""
    counts = layers_by_capacity(model, devices)
    usages = [
        _stage(
            model=model, quant=quant, workload=workload, device=device,
            layers=n, holds_output=i == len(devices) - 1,
        )
        for i, (device, n) in enumerate(zip(devices, counts, strict=True))
    ]
    decode, prefill, ttft = _decode_and_prefill(model=model, usages=usages, devices=devices, workload=workload)
    notes = (
        "Layers run one device after another: a second GPU adds memory, not single-stream speed.",
        "If any one GPU fails, the whole model stops.",
    )
    return Plan(strategy="layer_split", devices=tuple(usages), decode_tok_s=decode, prefill_tok_s=prefill,
                ttft_s=ttft, notes=notes)
