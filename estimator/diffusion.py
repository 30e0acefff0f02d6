"""Diffusion models: a pipeline of components (denoiser, text encoders, VAE), each at its own dtype.

Plans: all on one GPU; component offload (text encoders and VAE to the CPU or a second GPU);
sequential CPU offload (weights streamed to the GPU module by module); and over several GPUs, several
pipelines at once (`diffusion_parallel`). Never a tensor or layer split of the denoiser: see
`diffusion_strategies.NOT_OFFERED`. Here each plan is timed and given its commands, the plans ranked, and
the recommended one's reason written: `estimate_diffusion`, the one entry point.
"""

from .diffusion_commands import as_loaded, commands_for, diffusers_ram_bytes, t5_in_8_bit_here
from .diffusion_files import (
    NO_FLOAT8_BACKENDS,
    T5_16_BIT_ABOVE_RAM_BYTES,
    T5_FILES,
    T5_XXL,
    gguf_formats,
    t5_bits,
    t5_bits_tried,
)
from .diffusion_memory import (
    DECODE_TILE_LATENT,
    VAE_DOWNSCALE,
    activation_bytes,
    activation_formula,
    activation_substituted,
    decode_bytes,
    decode_formula,
    decode_substituted,
    denoises,
    in_system_ram,
    on_gpu,
    with_decode,
)
from .diffusion_parallel import Rig, parallel_plans, pipelines_timed
from .diffusion_schema import (
    DiffusionComponent,
    DiffusionEstimate,
    DiffusionPlan,
    DiffusionSpec,
    DiffusionWorkload,
)
from .diffusion_speed import (
    SEQUENTIAL_OFFLOAD_GB_S,
    UNET_FLOPS_PER_PARAM_PIXEL,
    format_range,
    host_copy_gb_s,
    timing,
)
from .diffusion_strategies import DIFFUSION_STRATEGIES, NOT_OFFERED
from .schema import DeviceSpec, Explanation
from .units import GIB, format_bytes

MODULE_IN_FLIGHT = "one module at a time"  # sequential offload's tensor on the GPU besides what stays there


def _in_format(model: DiffusionSpec, w: DiffusionWorkload, t5: int) -> DiffusionSpec:
    """The model with its denoisers (both of Wan 2.2 A14B's experts) stored at the workload's bits per weight
    (FP8, GGUF), its T5-XXL at `t5` bits (one of `diffusion_files.t5_bits_tried`); the other components as
    released."""
    dens = model.denoisers

    def stored(c: DiffusionComponent) -> DiffusionComponent:
        if w.denoiser_bits is not None and any(c is d for d in dens):
            return c.model_copy(update={"bytes_per_param": w.denoiser_bits / 8})
        if t5 == 8 and c.name == T5_XXL:
            return c.model_copy(update={"bytes_per_param": 1})
        return c

    return model.model_copy(update={"components": tuple(stored(c) for c in model.components)})


def _one_pipeline_plans(
    model: DiffusionSpec, rig: Rig, w: DiffusionWorkload, act: int
) -> list[DiffusionPlan]:
    """The plans of one pipeline: all on the largest GPU; its denoiser there and the other components on
    the second GPU or, on one GPU, in system RAM; sequential offload. The offload plans only where the
    system RAM was given and the GPUs have RAM beside them (not unified memory)."""
    den = model.denoiser
    others = [c for c in model.components if c is not den]
    gpus, label = rig.gpus, rig.label
    main = gpus[0]
    found = [
        DiffusionPlan(
            strategy="all_on_gpu",
            devices=(on_gpu(main, list(model.components), w, activations=act),),
            notes=("Every component on one GPU: no transfers between steps.",),
        ),
    ]
    if len(gpus) > 1:
        second = gpus[1]
        found.append(
            DiffusionPlan(
                strategy="component_offload",
                devices=(
                    on_gpu(main, [den], w, activations=act, label=label[0]),
                    # a second expert there (Wan 2.2 A14B's low-noise one) runs its steps there too
                    on_gpu(second, others, w, activations=act if denoises(others) else 0, label=label[1]),
                ),
                notes=(
                    f"{den.name} on {label[0]}; {', '.join(c.name for c in others)} on {label[1]}.",
                    "The text embeddings and the final latents cross the bus once per image.",
                ),
            )
        )
    if w.ram_bytes is not None and not all(d.unified_memory for d in gpus):  # unified: no RAM beside
        if len(gpus) == 1:
            found.append(
                DiffusionPlan(
                    strategy="component_offload",
                    devices=(on_gpu(main, [den], w, activations=act), in_system_ram(others, w)),
                    # as the commands run it (diffusers' enable_model_cpu_offload, ComfyUI's loader): each
                    # component moved to the GPU while it runs, not run on the CPU (a review: the warning said CPU)
                    notes=(
                        "The text encoders and the VAE stay in system RAM and are moved to the GPU while they run; "
                        "the VAE decodes at the end.",
                    ),
                    warnings=("Each new prompt copies the text encoders to the GPU again: seconds more.",),
                )
            )
        found.append(_sequential(model, main, w, act))
    return found


def _sequential(
    model: DiffusionSpec, main: DeviceSpec, w: DiffusionWorkload, activations: int
) -> DiffusionPlan:
    """Every component kept in system RAM; on the GPU, what of the denoiser fits beside one step's
    activations and a module in flight (ComfyUI's partial loading, the time shown), the rest copied at
    every step. diffusers' sequential offload keeps none resident and copies it all: its warning.
    What stays resident leaves a tenth of the GPU free (`DeviceUsage.tight`'s line): the loader sizes it
    to the memory it finds, so a fuller GPU only streams a little more, it does not fail."""
    den = model.denoiser
    largest = max(model.components, key=lambda c: c.weights_bytes)
    module = largest.weights_bytes // 8
    empty = on_gpu(main, [], w, activations=activations)
    spare = max(empty.headroom_bytes, -(-empty.capacity_bytes // 10))
    room = empty.capacity_bytes - spare - empty.used_bytes - module
    resident = min(max(room, 0), den.weights_bytes)
    tensors = ({den.name: resident} if resident else {}) | {MODULE_IN_FLIGHT: module}
    return DiffusionPlan(
        strategy="sequential_offload",
        devices=(
            empty.model_copy(update={"weights_bytes": resident + module, "tensors": tensors}),
            in_system_ram(list(model.components), w),
        ),
        notes=(
            f"All of the {format_bytes(den.weights_bytes)} {den.name} stays on {main.name}; the other "
            "components are copied from system RAM when they run."
            if resident >= den.weights_bytes
            else f"{format_bytes(resident)} of the {format_bytes(den.weights_bytes)} {den.name} stays on "
            f"{main.name}; the other {format_bytes(den.weights_bytes - resident)} is copied from system RAM "
            "at every step, the other components when they run.",
        ),
        warnings=(
            "That is ComfyUI's partial loading (--lowvram, the time shown); diffusers' "
            f"enable_sequential_cpu_offload() keeps none of it and copies all {format_bytes(den.weights_bytes)} "
            "every step: slower, as its own time says.",
        ),
    )


def _decoded(plan: DiffusionPlan, model: DiffusionSpec, w: DiffusionWorkload) -> DiffusionPlan:
    """The plan with the VAE's decode counted on the GPUs that run it (`diffusion_memory.with_decode`), and where
    the whole decode does not fit, in tiles: said where the plan fits so (a plan that does not fit anyway is not
    told how it would decode)."""
    devices, tiled = with_decode(plan.devices, model, w)
    update: dict = {"devices": devices, "vae_tiled": tiled}
    if tiled and all(d.fits for d in devices):
        side = DECODE_TILE_LATENT * VAE_DOWNSCALE
        update["warnings"] = (
            *plan.warnings,
            f"At {w.width}×{w.height} the VAE's whole decode, {format_bytes(decode_bytes(model, w))} (ComfyUI's "
            f"estimate), does not fit beside the rest: sized in {side}×{side} tiles, "
            f"{format_bytes(decode_bytes(model, w, tiled=True))} each, a little slower. ComfyUI falls back to "
            "tiled decoding by itself; the diffusers code calls pipe.vae.enable_tiling().",
        )
    return plan.model_copy(update=update)


def _timed(
    plan: DiffusionPlan,
    model: DiffusionSpec,
    gpus: list[DeviceSpec],
    w: DiffusionWorkload,
    host_links: dict[str, float],
) -> DiffusionPlan:
    """The plan with where each component sits, its time per image or video, and its commands."""
    den = model.denoiser
    host = "System RAM"
    if plan.strategy == "sequential_offload":
        placement = {c.name: f"{host}, copied to {gpus[0].name} when it runs" for c in model.components}
        if (resident := plan.devices[0].tensors.get(den.name, 0)) >= den.weights_bytes:
            placement[den.name] = f"{host}; all of it kept on {gpus[0].name}"
        elif resident:
            placement[den.name] = (
                f"{host}; {format_bytes(resident)} of it kept on {gpus[0].name}, the other "
                f"{format_bytes(den.weights_bytes - resident)} copied at every step"
            )
    elif plan.placement:  # the multi-pipeline plans say it themselves
        placement = plan.placement
    else:
        placement = {name: d.name for d in plan.devices for name in d.tensors}
    update: dict = {"placement": placement}
    info = DIFFUSION_STRATEGIES[plan.strategy]
    shape = model.shape
    if shape is not None:
        size = {
            "width": w.width,
            "height": w.height,
            "frames": w.frames,
            "steps": w.steps,
            "images": w.images,
        }
        if info.parallel:
            update |= pipelines_timed(plan, model, gpus, size, host_links)
        else:
            moved = {
                "component_offload": sum(c.weights_bytes for c in model.components)
                if any(d.kind == "host" for d in plan.devices)
                else 0,
                "sequential_offload": sum(c.weights_bytes for c in model.components if c is not den),
            }.get(plan.strategy, 0)
            per_step = _streamed_per_step(plan, den) if plan.strategy == "sequential_offload" else 0
            t = timing(
                shape,
                gpus[0],
                **size,
                transfer_per_image_bytes=moved,
                transfer_per_step_bytes=per_step,
                copy_gb_s=host_copy_gb_s(gpus[0], host_links),
            )
            if t is not None:
                update["timing"] = t
                update["images_per_minute"] = 60 * w.images / t.total_s
    if (t := update.get("timing")) is not None:
        # the time of each command: ComfyUI runs the plan as timed; diffusers' sequential offload copies the
        # whole denoiser every step through accelerate's hooks; for a pair of GPUs ComfyUI has no command
        update["command_timing"] = {"comfyui": t, "diffusers": t}
        if plan.strategy == "sequential_offload":  # the components as the diffusers code loads them
            loaded = as_loaded(plan.strategy, model)
            slow = timing(
                shape,
                gpus[0],
                **size,
                transfer_per_image_bytes=sum(
                    c.weights_bytes for c in loaded.components if c.name != den.name
                ),
                transfer_per_step_bytes=den.weights_bytes,
                copy_gb_s=min(SEQUENTIAL_OFFLOAD_GB_S, host_copy_gb_s(gpus[0], host_links)),
            )
            update["command_timing"]["diffusers"] = slow
        if info.comfyui_flag is None:
            del update["command_timing"]["comfyui"]
    need = diffusers_ram_bytes(plan=plan.strategy, model=model, workload=w, processes=plan.gpus_used)
    if need is not None:  # the diffusers code holds more in system RAM than the plan (ComfyUI's way)
        update["command_ram_bytes"] = {"diffusers": need}
    update["commands"] = commands_for(
        plan=plan.strategy,
        model=model,
        workload=w,
        gpus=plan.gpus_used if info.parallel else len(gpus),
        backend=gpus[0].backend,
        processes=plan.processes,
        vae_tiled=plan.vae_tiled,
    )
    return plan.model_copy(update=update)


def _streamed_per_step(plan: DiffusionPlan, den: DiffusionComponent) -> int:
    """The part of the denoiser that does not stay on the GPU (`_sequential`) and is copied at every step."""
    return den.weights_bytes - plan.devices[0].tensors.get(den.name, 0)


# The denoiser's formats the reasons below offer, with the catalog's bits per weight
# (fixtures/catalog/quantizations.json): those narrower than the one asked.
DENOISER_FORMATS = (("FP8", 8.0), ("Q8_0", 8.5008), ("Q6_K", 6.5633), ("Q5_K_S", 5.5704), ("Q4_K_S", 4.6672))
FLOAT_FORMATS = {"FP8"}  # the others are GGUF files


def _loadable(float8: bool, gguf: frozenset[str]) -> list[tuple[str, float]]:
    """DENOISER_FORMATS that load here: FP8 where the devices load float8, each GGUF the model has a file of
    (`diffusion_files.gguf_formats`)."""
    return [(n, b) for n, b in DENOISER_FORMATS if (float8 if n in FLOAT_FORMATS else n.lower() in gguf)]


def _smaller(bits: float | None, loadable: list[tuple[str, float]]) -> str:
    """'FP8, GGUF Q8_0 to Q4_K_S' from BF16 (`bits` None: as released), 'GGUF Q6_K to Q4_K_S' from FP8, of the
    `loadable` formats; empty from the narrowest."""
    names = [name for name, b in loadable if bits is None or b < bits - 1e-6]
    floats = [n for n in names if n in FLOAT_FORMATS]
    gguf = [n for n in names if n not in FLOAT_FORMATS]
    if gguf:
        floats.append(f"GGUF {gguf[0]}" + (f" to {gguf[-1]}" if len(gguf) > 1 else ""))
    return ", ".join(floats)


def _no_fit_reason(
    plans: list[DiffusionPlan],
    *,
    unified: bool = False,
    bits: float | None = None,
    float8: bool = True,
    gguf: frozenset[str] = frozenset(),
) -> str:
    """Why nothing fits, in the visitor's numbers, read off the sequential-offload plan (there when RAM
    was given): the system RAM it needs against what was given, or the GPU that is too small even so.
    On unified memory (no RAM beside the GPU's) only a smaller format is left: those that load here
    (`_loadable`) narrower than the denoiser's `bits` (None: as released) are offered; at the narrowest, none is."""
    loadable = _loadable(float8, gguf)
    names = _smaller(bits, loadable)
    smaller = f"a smaller format of the denoiser ({names})"
    if not names:  # no smaller format left to offer
        or_smaller = or_pick = ""
    else:
        or_smaller, or_pick = f" or {smaller}", f" or pick {smaller}"
    sequential = next((p for p in plans if p.strategy == "sequential_offload"), None)
    if unified:
        if names:
            return f"No plan fits: pick {smaller}."
        return f"No plan fits, even at {loadable[-1][0]}." if loadable else "No plan fits."
    if sequential is None:
        return f"No plan fits: give the system RAM for sequential offload{or_pick}."
    host = next(d for d in sequential.devices if d.kind == "host")
    if not host.fits:
        return (
            f"No plan fits: sequential offload keeps every component in system RAM, "
            f"{format_bytes(host.used_bytes + host.headroom_bytes)} with headroom, against the "
            f"{format_bytes(host.capacity_bytes)} given; add RAM{or_pick}."
        )
    # a smaller format shrinks only the module in flight: offered where the activations alone would fit
    gpu = next(d for d in sequential.devices if d.kind != "host")
    module = gpu.tensors.get(MODULE_IN_FLIGHT, 0)
    if gpu.used_bytes - module + gpu.headroom_bytes > gpu.capacity_bytes:
        or_smaller = ""
    return (
        "No plan fits: even with every component in system RAM, one step's activations and a module "
        f"at a time do not fit on the GPU at this size; pick a smaller picture{or_smaller}."
    )


def _streamed(plan: DiffusionPlan, den: DiffusionComponent) -> dict[str, str]:
    """What sequential offload costs, from its own figures, for its reason: the bytes copied at every step
    ({streamed}) and what they add to a step ({cost}: a few percent where most of the denoiser stays on the
    GPU, most of it where none does)."""
    streamed = f"{format_bytes(_streamed_per_step(plan, den))} of the {den.name}"
    t = plan.timing
    if t is None or t.step_s <= t.step_transfer_s:
        return {"streamed": streamed, "cost": ""}
    added = t.step_transfer_s / (t.step_s - t.step_transfer_s)
    share = "under 1%" if added < 0.005 else f"{added:.0%}"
    return {"streamed": streamed, "cost": f", {share} on top of each step's compute"}


def _explanations(
    model: DiffusionSpec, den: DiffusionComponent, w: DiffusionWorkload, best: DiffusionPlan | None
) -> dict[str, Explanation]:
    explanations = {
        "weights_bytes": Explanation(
            term="model-weights",
            formula="Σ components: parameters × bytes per parameter",
            substituted=" + ".join(f"{c.name} {format_bytes(c.weights_bytes)}" for c in model.components),
        ),
        "compute_bytes": Explanation(
            term="denoising-loop",
            formula=activation_formula(model.shape)
            + (f"; {decode_formula()}" if decode_bytes(model, w) else ""),
            substituted=activation_substituted(model.shape, w)
            + (f"; {decode_substituted(model, w)}" if decode_bytes(model, w) else ""),
        ),
        "component_offload": Explanation(
            term=DIFFUSION_STRATEGIES["component_offload"].term,
            formula="denoiser on the GPU; encoders and VAE elsewhere",
            substituted=f"{den.name}: {format_bytes(den.weights_bytes)}",
        ),
    }
    t = best.timing if best else None
    if t is not None and model.shape is not None:
        explanations["seconds_per_image"] = Explanation(
            term="denoising-loop",
            formula=(
                "steps × (passes × FLOPs per pass ÷ (FP16 TFLOPS × efficiency)) + VAE decode + offload copies; "
                + (
                    # the UNet's measured work (diffusion_speed.UNET_FLOPS_PER_PARAM_PIXEL), not a transformer's
                    f"a UNet pass is {UNET_FLOPS_PER_PARAM_PIXEL:.3f} × parameters × latent pixels (SDXL's "
                    "measured work at 1024²)"
                    if model.shape.kind == "unet"
                    else "a DiT pass is 2 × parameters per token × tokens + 4 × layers × tokens² × width"
                )
            ),
            substituted=(
                f"{t.steps} × {t.step_s:.3f} s ({t.step_flops / 1e12:,.0f} TFLOP at {t.tflops:g} TFLOPS) "
                f"+ {t.vae_s:.1f} s + {t.transfer_s:.1f} s = {t.total_s:.1f} s, range {format_range(t)}"
            ),
        )
    return explanations


def _text_encoder(model: DiffusionSpec, w: DiffusionWorkload, best: DiffusionPlan | None, metal: bool) -> str:
    """Which T5-XXL file the memory and times assume (`diffusion_files.t5_bits_tried`) and why, and how each
    command loads it; empty for a model without a T5-XXL."""
    bits = t5_bits(model)
    if bits is None:
        return ""
    t5 = next(c for c in model.components if c.name == T5_XXL)
    above = f"{T5_16_BIT_ABOVE_RAM_BYTES // GIB} GB"  # as the calculator's RAM sizes are written
    if bits == 16:
        if metal:
            why = "PyTorch on Apple silicon has no float8 type for the 8-bit one"
        elif w.ram_bytes is None:
            why = "the GPUs hold it, nothing is kept in system RAM"
        else:
            why = f"ComfyUI's examples recommend it with more than {above} of system RAM"
        return (
            f"Sized with the T5-XXL text encoder as released, {format_bytes(t5.weights_bytes)} in 16 bits: "
            f"{T5_FILES[16]} in ComfyUI ({why})."
        )
    in_diffusers = (
        "the diffusers code of sequential offload loads it as released and says what that needs"
        if best is not None and not t5_in_8_bit_here(best.strategy, model)
        else "bitsandbytes' 8-bit T5 in diffusers"
    )
    why = (
        "the GPUs do not hold the 16-bit one"
        if w.ram_bytes is None
        else f"ComfyUI's examples give it for lower memory use, and {T5_FILES[16]} with more than {above} "
        "of system RAM"
    )
    return (
        f"Sized with the T5-XXL text encoder in 8 bits, {format_bytes(t5.weights_bytes)}: {T5_FILES[8]} in "
        f"ComfyUI, {in_diffusers}; {why}."
    )


def estimate_diffusion(
    *,
    model: DiffusionSpec,
    devices: list[DeviceSpec],
    workload: DiffusionWorkload | None = None,
    host_links: dict[str, float] | None = None,
) -> DiffusionEstimate:
    """`host_links`: each GPU's host → GPU copy rate in GB/s, by slug (`diffusion_speed.host_link_gb_s` of its
    PCIe generation and lanes); a GPU not in it copies at HOST_TO_GPU_GB_S (PCIe 4.0 x16). With a T5-XXL, sized
    at each of `diffusion_files.t5_bits_tried` in turn: the first answer something fits in, else the last."""
    if not devices:
        raise ValueError("at least one device is needed")
    w = workload or DiffusionWorkload()
    tried = t5_bits_tried(w, {d.backend for d in devices}) if t5_bits(model) is not None else (16,)
    for t5 in tried:
        found = _estimate(_in_format(model, w, t5), devices, w, host_links or {})
        if found.recommended is not None:
            break
    return found


def _estimate(
    model: DiffusionSpec, devices: list[DeviceSpec], w: DiffusionWorkload, host_links: dict[str, float]
) -> DiffusionEstimate:
    """The plans of `model` (in the question's formats) on `devices`, timed, ranked, the best one's reason."""
    den = model.denoiser
    rig = Rig.of(devices)
    gpus = rig.gpus
    main = gpus[0]
    act = activation_bytes(model.shape, w)
    found = _one_pipeline_plans(model, rig, w, act)
    if len(gpus) > 1:
        found += parallel_plans(model, rig, w, act)
    found = [_timed(_decoded(p, model, w), model, gpus, w, host_links) for p in found]
    order = list(DIFFUSION_STRATEGIES)  # fastest first
    fitting = [p for p in found if p.fits]
    best = None
    if fitting:
        # several pipelines at once win where they fit, the most images per minute among them (untimed,
        # the most pipelines); else the first that fits, in order of speed
        parallel = [p for p in fitting if p.images_in_parallel > 1]
        best = (
            max(
                parallel,
                key=lambda p: (p.images_per_minute or 0, p.images_in_parallel, -order.index(p.strategy)),
            )
            if parallel
            else min(fitting, key=lambda p: order.index(p.strategy))
        )
    ranked = sorted(found, key=lambda p: (not p.fits, p is not best, order.index(p.strategy)))
    ranked = [p.model_copy(update={"rank": i}) for i, p in enumerate(ranked, start=1)]
    metal = any(d.backend in NO_FLOAT8_BACKENDS for d in gpus)
    if best is None:
        reason = _no_fit_reason(
            found,
            unified=all(d.unified_memory for d in gpus),
            bits=w.denoiser_bits,
            float8=not metal,
            gguf=gguf_formats(model.slug),
        )
    else:
        values = {"denoiser": den.name, "gpu": main.name, "gpus": best.gpus_used}
        if best.strategy == "sequential_offload":
            values |= _streamed(best, den)
        video = bool(model.shape and model.shape.video)
        reason = DIFFUSION_STRATEGIES[best.strategy].worded(video).reason.format(**values)
    return DiffusionEstimate(
        text_encoder=_text_encoder(model, w, best, metal),
        model=model.slug,
        plans=tuple(ranked),
        recommended=best.strategy if best else None,
        reason=reason,
        not_supported={
            name: why.why_for(model.shape.kind if model.shape else None) for name, why in NOT_OFFERED.items()
        },
        explanations=_explanations(model, den, w, best),
    )
