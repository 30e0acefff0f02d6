"""The GPUs offered for an image or video question that names none: the fewest of each popular card, and the
smallest device alone, that run it."""

from django.http import QueryDict

from catalog.models import Gpu
from catalog.pages import POPULAR_GPUS

from .diffusion_estimate import answered
from .diffusion_form import DiffusionForm

# One image uses at most two cards' memory: the denoiser on one, the other components on a second
# (estimator/diffusion.py, component_offload); a third only makes one more image at once.
MAX_SAME_CARDS = 2


def devices_that_fit(query: QueryDict, most: int = 3) -> list[tuple[Gpu, int]]:
    """For an image or video question that names no GPU (`query`, its other fields as asked): the fewest
    of each popular kind (catalog.pages.POPULAR_GPUS, up to MAX_SAME_CARDS) and the smallest listed
    device alone (a card before a unified-memory one) whose recommended plan fits it, as
    `fixes.devices_that_hold` does for an LLM; at most `most`, one card alone first."""

    def fits(gpu: Gpu, n: int) -> bool:
        asked = query.copy()
        asked.setlist("gpu", [gpu.slug])
        asked.setlist("count", [str(n)])
        form = DiffusionForm(asked)
        if not form.is_valid():
            return False
        return answered(form).recommended is not None

    listed = sorted(Gpu.objects.listed(), key=lambda g: (g.memory_bytes, g.name))
    popular = [g for slug in POPULAR_GPUS for g in listed if g.slug == slug]
    fewest = [(g, next((n for n in range(1, MAX_SAME_CARDS + 1) if fits(g, n)), 0)) for g in popular]
    found = [(g, n) for g, n in fewest if n]
    # a card with its own memory before a unified-memory machine, like the popular ones; smallest first
    cards_first = sorted(listed, key=lambda g: g.unified_memory)
    alone = next((g for g in cards_first if g not in popular and fits(g, 1)), None)
    found += [(alone, 1)] if alone else []
    return sorted(found, key=lambda pair: pair[1] > 1)[:most]
