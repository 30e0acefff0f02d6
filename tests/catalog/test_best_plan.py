"""The reverse pages' shortcut (`estimator.ranking.best_plan`) recommends what the calculator does.

What runs on these GPUs asks the engine once per listed model; for one user on one machine, `best_plan`
builds only the plans that could be recommended (where a single device holds the model with room to
spare, that plan alone) instead of every plan of the rig. Over every listed model of the shipped
catalog, on rigs of one, of several equal devices and of two kinds, with and without RAM for offload,
it must give `fits`' plan, every field equal but the reason it does not write. `fits` itself, asked for
the recommended plan alone (the charts' points, the suggestions), leaves out the plans it could not
recommend, checked below the same way.
"""

import pytest

from catalog.models import Gpu, LlmModel, Quantization
from estimator import Workload, plans
from estimator.ranking import (
    _copies_outranked,
    _score,
    _split_outranked,
    best_plan,
    fits,
    interned,
    interned_devices,
)
from estimator.speed import shared_steps
from estimator.strategies import STRATEGIES
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


# `ranking.candidate_plans` leaves out, for a caller that wants only the recommended plan (`fits` without
# its reason: the charts' points, the suggestions), a layer split over equal devices where the single plan
# fits with room to spare (under vLLM, seating every user: `ranking._split_outranked`), and for one user
# replicas where the single plan fits (`ranking._copies_outranked`). Here every listed model, on rigs of
# equal devices of each kernel family (CUDA, Pascal's, HBM parts', ROCm, Vulkan on AMD and Intel, SYCL) and
# of unequal ones, at each user count of the chart over users, in several formats, contexts and KV caches,
# has the plans built: wherever one would be left out, it is never faster than the single plan, alone or in
# aggregate, so `_order` (the faster, or within 5% the simpler: the single plan) would never have
# recommended it.
SPLIT_RIGS = [  # (slug, count, backend: None for the GPU's usual one), ...
    (("geforce-rtx-3090", 2, None),),
    (("geforce-rtx-4090", 8, None),),
    (("geforce-rtx-3060-12-gb", 4, "vulkan"),),
    (("tesla-p40", 3, None),),
    (("h100-sxm5-80-gb", 4, None),),
    (("radeon-instinct-mi300x", 8, None),),
    (("radeon-rx-7900-xtx", 2, None),),
    (("radeon-rx-7900-xtx", 4, "vulkan"),),
    (("arc-pro-b70", 4, None),),
    (("arc-pro-b70", 2, "vulkan"),),
    (("geforce-rtx-4090", 1, None), ("geforce-rtx-3090", 1, None)),
    (("geforce-rtx-3090", 2, None), ("geforce-rtx-3060-12-gb", 1, None)),
]
USERS = [1, 2, 4, 8, 16, 32, 64]  # calculator.answer.CHART_USERS
SPLIT_WORKLOADS = {
    "llama.cpp 4k": Workload(context_tokens=4096),
    "llama.cpp 32k, q8_0 KV, 8k prompt": Workload(
        context_tokens=32768, prompt_tokens=8192, kv_cache_type="q8_0", ram_bytes=64 * GIB
    ),
    "ollama 8k, no flash attention": Workload(context_tokens=8192, runtime="ollama", flash_attention=False),
    "mlx 4k": Workload(context_tokens=4096, runtime="mlx"),
    "llama.cpp 2 machines": Workload(context_tokens=4096, hosts=2, ram_bytes=32 * GIB),
    "vllm 4k": Workload(context_tokens=4096, runtime="vllm"),
    "vllm 32k, 2k prompt": Workload(context_tokens=32768, prompt_tokens=2048, runtime="vllm"),
}
FORMATS = ["q4_k_m", "q8_0", "bf16", "q2_k", "iq4_xs", "mxfp4", "q4_0", "q6_k", "iq2_xs"]
VLLM_FORMATS = ["bf16", "fp8", "awq-4bit", "gptq-4bit", "mxfp4"]


@pytest.mark.parametrize(
    "name",
    [
        name if i == 0 else pytest.param(name, marks=pytest.mark.slow)
        for i, name in enumerate(SPLIT_WORKLOADS)
    ],
)
def test_a_plan_left_out_never_outruns_the_single_plan(catalog, name):
    base = SPLIT_WORKLOADS[name]
    names = VLLM_FORMATS if base.runtime == "vllm" else FORMATS
    formats = {q.slug: q for q in Quantization.objects.filter(slug__in=names)}
    assert len(formats) == len(names)
    rigs = [
        [Gpu.objects.get(slug=slug).as_spec(backend) for slug, n, backend in rig for _ in range(n)]
        for rig in SPLIT_RIGS
    ]
    left_out, users_left_out, copies_left_out = 0, 0, 0
    models = LlmModel.objects.filter(listed=True).order_by("slug")
    with shared_steps():
        for i, model in enumerate(models):
            spec = interned(model.as_spec())
            if base.context_tokens > (spec.max_position_embeddings or base.context_tokens):
                continue
            runtime = "vllm" if base.runtime == "vllm" else None
            quant = interned(formats[names[i % len(names)]].as_spec(runtime, moe=spec.is_moe))
            for rig in rigs:
                devices = interned_devices(rig)
                for users in USERS:
                    workload = base.model_copy(update={"batch": users})
                    kw = {"model": spec, "quant": quant, "devices": devices, "workload": workload}
                    try:
                        one = plans.single(**kw)
                    except ValueError:
                        break
                    where = (model.slug, quant.slug, rig[0].slug, rig[0].backend, len(rig), users)
                    if _copies_outranked(one, workload, STRATEGIES):
                        copies = plans.replicas(**kw)
                        assert copies.decode_tok_s <= one.decode_tok_s, where
                        assert _score(copies, workload) <= _score(one, workload), where
                        copies_left_out += 1
                    if not _split_outranked(one, devices, workload, STRATEGIES):
                        continue
                    split = plans.layer_split(**kw)
                    assert split.decode_tok_s <= one.decode_tok_s, where
                    assert split.decode_tok_s_aggregate <= one.decode_tok_s_aggregate, where
                    assert _score(split, workload) <= _score(one, workload), where
                    left_out += 1
                    users_left_out += users > 1
    # not vacuous: 2,168-5,529 splits (1,573-4,537 for several users) and 705-1,213 copies today
    assert left_out > 1500 and users_left_out > 1000 and copies_left_out > 500


@pytest.mark.parametrize(
    "users", [pytest.param(1, marks=pytest.mark.slow), pytest.param(4, marks=pytest.mark.slow), 32]
)
def test_fits_without_its_reason_is_fits_for_several_users(catalog, users):
    """`fits(reasoned=False)`, which leaves those plans out and those whose memory does not fit, recommends
    what `fits` does building every plan, over every listed model on rigs of equal and of unequal devices."""
    quant = Quantization.objects.get(slug="q4_k_m").as_spec()
    slugs = {slug for rig in RIGS for slug, _ in rig}
    gpus = {g.slug: g.as_spec() for g in Gpu.objects.filter(slug__in=slugs)}
    workloads = [
        Workload(context_tokens=4096, batch=users),
        Workload(context_tokens=16384, batch=users, kv_cache_type="q8_0", ram_bytes=64 * GIB),
        Workload(context_tokens=8192, batch=users, runtime="vllm"),
    ]
    compared = 0
    for model in LlmModel.objects.filter(listed=True):
        spec = model.as_spec()
        for rig in RIGS:
            devices = [gpus[slug] for slug, n in rig for _ in range(n)]
            for workload in workloads:
                try:
                    full = fits(model=spec, quant=quant, devices=devices, workload=workload)
                except ValueError:
                    continue
                quick = fits(model=spec, quant=quant, devices=devices, workload=workload, reasoned=False)
                if full is None:
                    assert quick is None, (model.slug, rig)
                    continue
                same = {"rank": full.rank, "reason": full.reason}
                assert quick.model_copy(update=same) == full, (model.slug, rig, workload.context_tokens)
                compared += 1
    assert compared > 1500  # 1,985-2,230 today
