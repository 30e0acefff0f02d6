"""Several GPUs running one image model, one pipeline per process: the whole pipeline on every GPU (one
image per GPU), the denoiser on every GPU with the other components in system RAM (one offloaded pipeline
per GPU), or each pipeline over a pair of GPUs (one pipeline per GPU pair). Their images per minute are the
pipelines' added up; each process is told its GPUs by their place in the question (`Rig.index`).
"""

from dataclasses import dataclass

from .device_memory import HOST_HEADROOM_BYTES
from .diffusion_memory import denoises, in_system_ram, on_gpu
from .diffusion_schema import DiffusionComponent, DiffusionPlan, DiffusionSpec, DiffusionWorkload
from .diffusion_speed import host_copy_gb_s, timing
from .schema import DeviceSpec
from .units import format_bytes


@dataclass(frozen=True)
class Rig:
    """The question's GPUs, largest first, each with its label in "where each part sits" and its place in the
    question's list (`index`, from 0: what the launch commands name, CUDA_VISIBLE_DEVICES=2 being the third
    GPU listed whatever its size)."""

    gpus: list[DeviceSpec]
    label: list[str]
    index: list[int]

    @classmethod
    def of(cls, devices: list[DeviceSpec]) -> "Rig":
        index = sorted(range(len(devices)), key=lambda i: -devices[i].usable_bytes)
        gpus = [devices[i] for i in index]
        # two cards of one kind must read apart in "where each part sits": "GeForce RTX 3090 (GPU 2)"
        alike = len({d.name for d in gpus}) < len(gpus)
        label = [f"{d.name} (GPU {i + 1})" if alike else d.name for d, i in zip(gpus, index, strict=True)]
        return cls(gpus, label, index)


def one_image_per_gpu(model: DiffusionSpec, rig: Rig, w: DiffusionWorkload, act: int) -> DiffusionPlan:
    """The whole pipeline on every GPU, one process each making its own images."""
    gpus = rig.gpus
    return DiffusionPlan(
        strategy="one_image_per_gpu",
        devices=tuple(
            on_gpu(d, list(model.components), w, activations=act, label=f"{d.name} (copy {i + 1})")
            for i, d in enumerate(gpus)
        ),
        images_in_parallel=len(gpus),
        notes=(f"{len(gpus)} pipelines, one image each: {len(gpus)}× the images per minute.",),
        placement={c.name: f"each of the {len(gpus)} GPUs, one pipeline per GPU" for c in model.components},
    )


def pipeline_per_pair(model: DiffusionSpec, rig: Rig, w: DiffusionWorkload, act: int) -> DiffusionPlan:
    """One pipeline per pair of GPUs, as component offload over two: the denoiser on the larger of each
    pair, the other components on its partner (the largest GPUs paired with the smallest); with an odd
    count, the middle GPU is left out."""
    gpus, label, index = rig.gpus, rig.label, rig.index
    den = model.denoiser
    others = [c for c in model.components if c is not den]
    n = len(gpus) // 2
    pairs = [(i, len(gpus) - 1 - i) for i in range(n)]
    partner_act = act if denoises(others) else 0
    devices = []
    for a, b in pairs:
        devices.append(on_gpu(gpus[a], [den], w, activations=act, label=label[a]))
        devices.append(on_gpu(gpus[b], others, w, activations=partner_act, label=label[b]))
    idle = f" {label[n]} is left idle." if len(gpus) % 2 else ""
    return DiffusionPlan(
        strategy="pipeline_per_pair",
        devices=tuple(devices),
        images_in_parallel=n,
        processes=tuple((index[a], index[b]) for a, b in pairs),
        notes=(
            f"{n} pipelines, one per pair of GPUs: {n}× the images per minute of one.{idle}",
            "In each pair the text embeddings and the final latents cross the bus once per image.",
        ),
        placement={
            den.name: f"{' and '.join(label[a] for a, _ in pairs)}, one copy each",
            **{c.name: f"{' and '.join(label[b] for _, b in pairs)}, one copy each" for c in others},
        },
    )


SHARED_COPIES = (
    "Each image copies its pipeline's weights from system RAM over PCIe (the time counts each GPU's own "
    "link); the processes share the CPU's memory bandwidth, so copies that coincide take longer."
)


def _idle(gpus: int, holding: int, copies: int, den: DiffusionComponent) -> tuple[str, ...]:
    """Why GPUs of an offloaded pipeline per GPU are left idle: too small for the denoiser, or no RAM for
    one more copy of the other components."""
    why = []
    if holding < gpus:
        why.append(f"{gpus - holding} GPU(s) too small for {den.name} and a step's work: left idle.")
    if 0 < copies < holding:
        why.append(
            f"The system RAM holds {copies} copies of the other components: {holding - copies} GPU(s) idle."
        )
    return tuple(why)


def offload_per_gpu(model: DiffusionSpec, rig: Rig, w: DiffusionWorkload, act: int) -> DiffusionPlan:
    """One pipeline per GPU, each process with its text encoders and VAE in system RAM (diffusers'
    enable_model_cpu_offload, ComfyUI's --normalvram, one process per GPU), as component offload to RAM
    on one GPU: the denoiser and one step's activations on each GPU, and in RAM one copy of the other
    components per process. As many pipelines as GPUs hold the denoiser and the RAM holds copies; where
    none fits, every GPU with its copy, to show what is short."""
    gpus, label, index = rig.gpus, rig.label, rig.index
    den = model.denoiser
    others = [c for c in model.components if c is not den]
    on = [(i, on_gpu(d, [den], w, activations=act, label=label[i])) for i, d in enumerate(gpus)]
    holding = [(i, u) for i, u in on if u.fits]
    per = sum(c.weights_bytes for c in others)
    room = (w.ram_bytes or 0) - HOST_HEADROOM_BYTES
    copies = room // per if per else len(gpus)
    used = holding[: max(0, copies)] or on
    host = in_system_ram(others, w, copies=len(used))
    names = ", ".join(label[i] for i, _ in used)
    return DiffusionPlan(
        strategy="offload_per_gpu",
        devices=(*(u for _, u in used), host),
        images_in_parallel=len(used),
        processes=tuple((index[i],) for i, _ in used),
        notes=(
            f"{len(used)} processes, one per GPU ({names}), each with {den.name} on its GPU and its own "
            f"copy of the other components, {format_bytes(per)}, in system RAM: {len(used)}× the images "
            "per minute of one.",
        ),
        warnings=(*_idle(len(gpus), len(holding), max(0, copies), den), SHARED_COPIES),
        placement={
            den.name: f"each of the {len(used)} GPUs, one pipeline per GPU",
            **{c.name: "System RAM, one copy per pipeline, copied to its GPU when it runs" for c in others},
        },
    )


def parallel_plans(model: DiffusionSpec, rig: Rig, w: DiffusionWorkload, act: int) -> list[DiffusionPlan]:
    """The plans of several pipelines at once the GPUs allow: one per GPU; one per pair from four GPUs (with
    two or three, one pair is component offload over two GPUs); one offloaded per GPU where the system RAM
    was given and the GPUs have RAM beside them."""
    found = [one_image_per_gpu(model, rig, w, act)]
    if len(rig.gpus) >= 4:
        found.append(pipeline_per_pair(model, rig, w, act))
    if w.ram_bytes is not None and not any(d.unified_memory for d in rig.gpus):
        found.append(offload_per_gpu(model, rig, w, act))
    return found


def pipelines_timed(
    plan: DiffusionPlan,
    model: DiffusionSpec,
    gpus: list[DeviceSpec],
    size: dict,
    host_links: dict[str, float],
) -> dict:
    """One timing per pipeline, on the GPU that holds its denoiser: the slowest shown, and the images per
    minute of all of them added up; none where a GPU has no FP16 rate. An offloaded pipeline per GPU copies
    its components to its GPU for each image, over that GPU's own link."""
    den = model.denoiser
    by_slug = {d.slug: d for d in gpus}
    runs_on = [by_slug[d.gpu] for d in plan.devices if d.kind != "host" and den.name in d.tensors]
    moved = sum(c.weights_bytes for c in model.components) if plan.strategy == "offload_per_gpu" else 0
    each = [
        timing(
            model.shape, d, **size, transfer_per_image_bytes=moved, copy_gb_s=host_copy_gb_s(d, host_links)
        )
        for d in runs_on
    ]
    if not (each and all(each)):
        return {}
    slowest = max(each, key=lambda t: t.total_s)
    return {"timing": slowest, "images_per_minute": sum(60 * size["images"] / t.total_s for t in each)}
