"""What to change for an image or video question, computed: each suggestion is the question asked again with
one input changed (the denoiser's format, the picture, the system RAM) and is kept where it does better than
the answer as asked: it fits where that does not, needs less system RAM, or takes at least a tenth less time
(a wider format is kept for the model it keeps). The LLM engine's `suggest.py`, for the image engine's own
inputs; the site words each suggestion and links it to its question (calculator/diffusion_verdict.py).

The caller answers each changed question (`Ask`) as its page would: the calculator with the system RAM it
assumes where the question gives none (`ram_given` False: the RAM an answer needs is then the size it
assumed, "with 16 GB of system RAM or more"), from the answers it keeps per question."""

from collections.abc import Callable, Sequence

from .diffusion_schema import DiffusionEstimate, DiffusionPlan, DiffusionSuggestion
from .units import GIB

Change = dict[str, str | int]  # query parameters changed: {"quant": "q6_k"}, {"ram_gb": 32}
Ask = Callable[[Change], DiffusionEstimate]

# A change suggested for its speed alone takes at most this share of the time asked (the 10% the calculator's
# suggestions have used since a smaller GGUF, no quicker on a compute-bound 3060, was offered for nothing).
FASTER_BY = 0.9
# With the system RAM given, a change suggested for the RAM it spares keeps at most this share of it there
# (a visitor review: FLUX.1 [dev] in Q6_K keeps a sixth of BF16's 27 GiB). Where the RAM is assumed, a smaller
# size assumed is enough, it is what the verdict asks for; but not below the smallest size assumed, which every
# PC has: FP8 on the GPU alone against BF16's component offload with 16 GB (FLUX.1 [dev] on a 4090) spares none.
LESS_RAM_GIVEN = 0.5
# Smaller pictures tried (one step's activations and time grow with the pixels): each side at these shares,
# rounded down to PATCH_PX (the latent patch of the DiTs); a video also at half its frames (4n + 1).
PICTURE_SHARES = (0.75, 0.5)
PATCH_PX = 16
SMALLEST_SIDE_PX = 64  # the form's least width and height


def ram_needed(plan: DiffusionPlan, *, given: bool) -> int:
    """The system RAM `plan` needs in the question's terms: where the question gives none, the size its answer
    assumed (the host's capacity), else what the plan keeps there; 0 on the GPUs alone."""
    host = next((d for d in plan.devices if d.kind == "host"), None)
    if host is None:
        return 0
    return host.used_bytes if given else host.capacity_bytes


def resident_share(plan: DiffusionPlan) -> float | None:
    """Sequential offload's share of the denoiser kept on the GPU (the rest is copied at every step); None for
    another plan."""
    if plan.strategy != "sequential_offload":
        return None
    gpu, host = plan.devices[0], next(d for d in plan.devices if d.kind == "host")
    kept = {name: b for name, b in gpu.tensors.items() if name in host.tensors}
    if not kept:
        return 0.0
    name, resident = next(iter(kept.items()))
    return resident / host.tensors[name]


def _faster(plan: DiffusionPlan, than: DiffusionPlan) -> bool:
    if plan.timing is None or than.timing is None:
        return False
    return plan.timing.total_s < FASTER_BY * than.timing.total_s


def _less_ram(need: int, than: int, *, given: bool, floor: int) -> bool:
    """`need` spares RAM against `than` (`ram_needed`'s): at most LESS_RAM_GIVEN of it where the RAM is given,
    else a smaller size assumed than one above `floor` (the smallest assumed)."""
    return need <= LESS_RAM_GIVEN * than if given else need < than and than > floor


def suggest_diffusion(
    *,
    asked: DiffusionEstimate,
    ask: Ask,
    quant: str,
    formats: Sequence[tuple[str, float]],
    width: int,
    height: int,
    frames: int,
    video: bool,
    ram_given: int | None,
    ram_sizes_gb: Sequence[int],
) -> tuple[DiffusionSuggestion, ...]:
    """The changes that do better than `asked` (the answer in format `quant`), widest format first:

    - the widest format wider than `quant` that runs, for the model it keeps (BF16 as released, where the
      usual format is a smaller one);
    - where nothing fits, the widest smaller format that does; then, and where it fits, the widest smaller
      format that needs less system RAM and the widest that is at least a tenth faster (each reason once);
    - where nothing fits or only sequential offload does (every step waits on the bus), the largest smaller
      picture that fits, and faster;
    - where nothing fits, the least of `ram_sizes_gb` above the RAM given (`ram_given`, GB) that runs it.

    `formats`: the denoiser's formats offered here with their bits per weight, widest first, `quant` among
    them; `ram_sizes_gb` empty where no system RAM is beside the GPUs (unified memory)."""
    given = ram_given is not None
    floor = min(ram_sizes_gb, default=0) * GIB
    base = asked.recommended_plan
    out: list[DiffusionSuggestion] = []

    def found(kind, changes: Change, plan: DiffusionPlan, why) -> None:
        need = ram_needed(plan, given=given)
        out.append(DiffusionSuggestion(kind=kind, changes=changes, plan=plan, ram_bytes=need, why=why))

    bits = dict(formats)[quant]
    for slug, _ in (f for f in formats if f[1] > bits):
        if (plan := ask({"quant": slug}).recommended_plan) is not None:
            found("wider_format", {"quant": slug}, plan, ("keeps_more",))
            break
    reference = base
    taken: set[str] = set()
    for slug, _ in (f for f in formats if f[1] < bits):
        plan = ask({"quant": slug}).recommended_plan
        if plan is None:
            continue
        if reference is None:
            found("smaller_format", {"quant": slug}, plan, ("fits",))
            reference = plan  # the next ones do better than this one
            continue
        why = []
        need, than = ram_needed(plan, given=given), ram_needed(reference, given=given)
        if "less_ram" not in taken and _less_ram(need, than, given=given, floor=floor):
            why.append("less_ram")
        if "faster" not in taken and _faster(plan, reference):
            why.append("faster")
        if why:
            found("smaller_format", {"quant": slug}, plan, tuple(why))
            taken.update(why)
    slow = base is None or base.strategy == "sequential_offload"
    picture = slow and smaller_picture(ask, base, width=width, height=height, frames=frames, video=video)
    if picture:
        changes, plan = picture
        found("smaller_picture", changes, plan, ("fits",) if base is None else ("faster",))
    if base is None:
        for ram in (r for r in ram_sizes_gb if ram_given is None or r > ram_given):
            if (plan := ask({"ram_gb": ram}).recommended_plan) is not None:
                # the size asked for is what it needs, whether the question gave one or not
                out.append(
                    DiffusionSuggestion(
                        kind="ram", changes={"ram_gb": ram}, plan=plan, ram_bytes=ram * GIB, why=("fits",)
                    )
                )
                break
    return tuple(out)


def smaller_picture(
    ask: Ask, base: DiffusionPlan | None, *, width: int, height: int, frames: int, video: bool
) -> tuple[Change, DiffusionPlan] | None:
    """The largest smaller picture (and for a video, fewer frames) at which a plan fits, and runs faster than
    `base` where there is one: its changes and plan, or None."""
    for share in PICTURE_SHARES:
        changes: Change = {
            "width": int(width * share) // PATCH_PX * PATCH_PX,
            "height": int(height * share) // PATCH_PX * PATCH_PX,
        }
        tries = [changes] + (
            [changes | {"frames": (frames - 1) // 8 * 4 + 1}] if video and frames > 1 else []
        )
        for change in tries:
            if min(change["width"], change["height"]) < SMALLEST_SIDE_PX:
                return None
            plan = ask(change).recommended_plan
            if plan is not None and (base is None or _faster(plan, base)):
                return change, plan
    return None
