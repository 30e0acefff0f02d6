"""The reverse pages' shortcut (`estimator.ranking.best_plan`) recommends what the calculator does.

What runs on these GPUs asks the engine once per listed model; for one user on one machine, `best_plan`
builds only the plans that could be recommended (where a single device holds the model with room to
spare, that plan alone) instead of every plan of the rig. Over every listed model of the shipped
catalog, on rigs of one, of several equal devices and of two kinds, with and without RAM for offload,
it must give `fits`' plan, every field equal but the reason it does not write.
"""

import pytest

from catalog.models import Gpu, LlmModel, Quantization
from estimator import Workload
from estimator.ranking import best_plan, fits
from estimator.units import GIB

RIGS = [
    (("geforce-rtx-4090", 1),),
    (("geforce-rtx-3090", 2),),
    (("geforce-rtx-4090", 8),),
    (("h100-sxm5-80-gb", 4),),
    (("geforce-rtx-4090", 1), ("geforce-rtx-3090", 1)),  # unequal cards: a layer split can beat one
    (("geforce-rtx-3090", 2), ("geforce-rtx-3060-12-gb", 1)),
]
WORKLOADS = {
    "llama.cpp 8k": Workload(context_tokens=8192),
    "llama.cpp 32k, 64 GiB RAM": Workload(context_tokens=32768, ram_bytes=64 * GIB),
    "mlx": Workload(context_tokens=4096, runtime="mlx"),
    "vllm": Workload(context_tokens=4096, runtime="vllm"),
    "two users": Workload(context_tokens=4096, batch=2),
}


# Every listed model on four rigs is ~0.7 s of CPU per workload: the quick suite checks one, `slow`
# (make test, CI) all of them.
@pytest.mark.parametrize(
    "name",
    [name if i == 0 else pytest.param(name, marks=pytest.mark.slow) for i, name in enumerate(WORKLOADS)],
)
def test_best_plan_is_the_plan_fits_recommends_for_every_listed_model(catalog, name):
    workload = WORKLOADS[name]
    quant = Quantization.objects.get(slug="q4_k_m").as_spec()
    slugs = {slug for rig in RIGS for slug, _ in rig}
    gpus = {g.slug: g.as_spec() for g in Gpu.objects.filter(slug__in=slugs)}
    assert len(gpus) == len(slugs)
    shortcuts, splits = 0, 0
    for model in LlmModel.objects.filter(listed=True):
        spec = model.as_spec()
        if workload.context_tokens > (spec.max_position_embeddings or workload.context_tokens):
            continue
        for rig in RIGS:
            devices = [gpus[slug] for slug, n in rig for _ in range(n)]
            try:
                full = fits(model=spec, quant=quant, devices=devices, workload=workload)
            except ValueError:
                continue
            quick = best_plan(model=spec, quant=quant, devices=devices, workload=workload)
            if full is None:
                assert quick is None, (model.slug, rig)
                continue
            assert quick.model_copy(update={"reason": ""}) == full.model_copy(update={"reason": ""}), (
                model.slug,
                rig,
            )
            shortcuts += not quick.reason
            splits += not quick.reason and quick.strategy == "layer_split"
    if name.startswith("llama.cpp"):
        assert shortcuts > 100  # the shortcut is taken: the comparison is not vacuous
        assert splits > 10  # and the layer split over equal cards that no single card holds
