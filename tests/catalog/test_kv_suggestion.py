"""The smaller KV cache's suggestion says what it saves from memory alone (`suggest._kv_of_best`): the KV
cache of the plan `fits` would recommend at that cache type, without building the plan where every plan
it could be holds each layer's cache once. Over every listed model of the shipped catalog, on rigs of one,
of several equal devices and of two kinds, for one user and several, with RAM for offload and over two
machines, it must be the built plan's.
"""

import pytest

from catalog.models import Gpu, LlmModel, Quantization
from estimator import Workload
from estimator.ranking import fits, plan_fits
from estimator.schema import KV_BYTES_PER_ELEMENT
from estimator.strategies import GPU_ONLY
from estimator.suggest import QUANTIZED_KV, _kv_of_best, _kv_total
from estimator.units import GIB

RIGS = [
    (("geforce-rtx-4090", 1),),
    (("geforce-rtx-3090", 2),),
    (("geforce-rtx-3060-12-gb", 4),),
    (("h100-sxm5-80-gb", 4),),
    (("geforce-rtx-4090", 1), ("geforce-rtx-3090", 1)),
    (("geforce-rtx-3090", 2), ("geforce-rtx-3060-12-gb", 1)),
]
WORKLOADS = {
    "llama.cpp 8k": Workload(context_tokens=8192),
    "llama.cpp 32k, 64 GiB RAM": Workload(context_tokens=32768, ram_bytes=64 * GIB),
    "ollama 16k, no flash attention": Workload(context_tokens=16384, runtime="ollama", flash_attention=False),
    "llama.cpp 4 users": Workload(context_tokens=4096, batch=4, ram_bytes=32 * GIB),
    "llama.cpp 2 machines": Workload(context_tokens=8192, hosts=2),
    "vllm 8k": Workload(context_tokens=8192, runtime="vllm"),
}


@pytest.mark.parametrize(
    "name",
    [name if i == 0 else pytest.param(name, marks=pytest.mark.slow) for i, name in enumerate(WORKLOADS)],
)
def test_the_kv_cache_a_smaller_type_saves_is_the_recommended_plans(catalog, name):
    base = WORKLOADS[name]
    slugs = {slug for rig in RIGS for slug, _ in rig}
    gpus = {g.slug: g.as_spec() for g in Gpu.objects.filter(slug__in=slugs)}
    quants = [Quantization.objects.get(slug=s).as_spec() for s in ("q4_k_m", "q8_0")]
    compared = 0
    for i, model in enumerate(LlmModel.objects.filter(listed=True).order_by("slug")):
        spec = model.as_spec()
        if base.context_tokens > (spec.max_position_embeddings or base.context_tokens):
            continue
        quant = quants[i % len(quants)]
        for rig in RIGS:
            devices = [gpus[slug] for slug, n in rig for _ in range(n)]
            for kv in QUANTIZED_KV[base.runtime]:
                # as `suggest.suggestions` asks it: the type's bytes, flash attention on for llama.cpp's
                w = base.model_copy(
                    update={
                        "kv_cache_type": kv,
                        "kv_bytes_per_element": KV_BYTES_PER_ELEMENT[kv],
                        "flash_attention": base.flash_attention or base.runtime != "vllm",
                    }
                )
                for strategies in (None, GPU_ONLY):
                    kw = {"model": spec, "quant": quant, "devices": devices, "workload": w}
                    if not plan_fits(**kw, strategies=strategies):
                        continue
                    built = fits(**kw, strategies=strategies, reasoned=False)
                    assert _kv_of_best(spec, quant, devices, w, strategies) == _kv_total(built), (
                        model.slug,
                        rig,
                        kv,
                        strategies,
                    )
                    compared += 1
    assert compared > 1000  # 1,154-2,775 today
