"""Properties of `estimate()` over any valid input: no NaN or negative numbers, and the monotonic
relations a buyer relies on (more context never needs less memory, a bigger GPU never fits less, more
bandwidth never decodes slower), and the roofline (no plan decodes faster than its GPUs read the weights).
Hypothesis draws the specs; no database."""

import math

from engine_specs import make_gpu
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from estimator import DeviceSpec, Estimate, ModelSpec, QuantSpec, Workload, estimate
from estimator.units import GIB

PROPERTY = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
KV_TYPES = ["f16", "bf16", "q8_0", "q4_0", "fp8"]


@st.composite
def models(draw) -> ModelSpec:
    """A dense, MoE, sliding-window or MLA transformer, sized like real ones (0.1 B to ~700 B)."""
    heads = draw(st.sampled_from([4, 8, 16, 32, 64, 128]))
    head_dim = draw(st.sampled_from([32, 64, 128, 256]))
    hidden = heads * head_dim // draw(st.sampled_from([1, 2]))
    layers = draw(st.integers(1, 128))
    fields = {
        "slug": "m",
        "name": "M",
        "num_hidden_layers": layers,
        "hidden_size": hidden,
        "intermediate_size": draw(st.none() | st.integers(hidden, 8 * hidden)),
        "num_attention_heads": heads,
        "num_key_value_heads": draw(st.sampled_from([h for h in (1, 2, 4, 8, heads) if h <= heads])),
        "head_dim": draw(st.none() | st.just(head_dim)),
        "vocab_size": draw(st.integers(1000, 262_144)),
        "tie_word_embeddings": draw(st.booleans()),
        "max_position_embeddings": draw(st.none() | st.integers(2048, 1_048_576)),
    }
    kind = draw(st.sampled_from(["dense", "moe", "window", "mla"]))
    if kind == "moe":
        experts = draw(st.integers(2, 256))
        fields |= {
            "num_experts": experts,
            "num_experts_per_tok": draw(st.integers(1, min(experts, 16))),
            "num_shared_experts": draw(st.integers(0, 2)),
            "moe_intermediate_size": draw(st.none() | st.integers(256, 4 * hidden)),
            "first_k_dense_replace": draw(st.integers(0, layers)),
        }
    elif kind == "window":
        fields |= {
            "sliding_window": draw(st.integers(64, 8192)),
            "sliding_window_layers": draw(st.integers(0, layers)),
        }
    elif kind == "mla":
        fields |= {
            "kv_lora_rank": draw(st.sampled_from([256, 512])),
            "qk_rope_head_dim": 64,
            "q_lora_rank": draw(st.none() | st.just(1536)),
            "qk_nope_head_dim": 128,
            "v_head_dim": 128,
        }
    # The card's total: around what the dimensions give (dims miss norms, biases, vision towers).
    ffn = fields["intermediate_size"] or 3 * hidden
    per_layer = 4 * hidden * hidden + 3 * hidden * ffn
    if kind == "moe":
        per_layer *= max(1, fields["num_experts"] // 4)
    dims_b = (layers * per_layer + 2 * fields["vocab_size"] * hidden) / 1e9
    total = min(max(0.05, dims_b * draw(st.floats(0.5, 2.0))), 100_000.0)  # ModelSpec's bounds
    fields["total_params_b"] = round(total, 3)
    if kind == "moe":
        fields["active_params_b"] = round(total * draw(st.floats(0.02, 1.0)), 3) or None
    return ModelSpec(**fields)


quants = st.builds(
    QuantSpec,
    slug=st.just("q"),
    name=st.just("Q"),
    bits_per_weight=st.floats(1.5, 32.0),
    expert_bits_per_weight=st.none() | st.floats(1.5, 16.0),
    output_bits_per_weight=st.none() | st.floats(4.0, 16.0),
)


@st.composite
def gpus(draw, slug: str = "gpu") -> DeviceSpec:
    backend = draw(st.sampled_from(["cuda", "rocm", "metal", "vulkan"]))
    return make_gpu(
        slug=slug,
        name=slug.upper(),
        memory_bytes=draw(st.integers(1 * GIB, 512 * GIB)),
        bandwidth_gb_s=draw(st.floats(50.0, 8000.0)),
        fp16_tflops=draw(st.none() | st.floats(1.0, 2000.0)),
        unified_memory=backend == "metal",
        backend=backend,
    )


@st.composite
def device_lists(draw) -> list[DeviceSpec]:
    """1 to 4 devices: all the same GPU, or two different ones."""
    first = draw(gpus("a"))
    second = draw(st.just(first) | gpus("b"))
    n = draw(st.integers(1, 4))
    return [first] + [second] * (n - 1)


@st.composite
def workloads(draw, max_context: int = 131_072) -> Workload:
    ctx = draw(st.integers(1, max_context))
    fields = {
        "context_tokens": ctx,
        "batch": draw(st.integers(1, 64)),
        "prompt_tokens": draw(st.integers(1, ctx)),
        "kv_cache_type": draw(st.sampled_from(KV_TYPES)),
        "runtime": draw(st.sampled_from(["llama.cpp", "vllm", "ollama", "mlx"])),
        "hosts": draw(st.integers(1, 3)),
    }
    if draw(st.booleans()):
        fields["ram_bytes"] = draw(st.integers(4 * GIB, 1024 * GIB))
    return Workload(**fields)


def numbers(value, path="estimate"):
    """Every (path, number) in a dumped model."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from numbers(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from numbers(item, f"{path}[{i}]")


def by_strategy(result: Estimate) -> dict:
    return {p.strategy: p for p in result.plans}


@PROPERTY
@given(model=models(), quant=quants, devices=device_lists(), workload=workloads())
def test_every_number_is_finite_and_not_negative(model, quant, devices, workload):
    result = estimate(model=model, quant=quant, devices=devices, workload=workload)
    bad = [(path, n) for path, n in numbers(result.model_dump()) if not math.isfinite(n) or n < 0]
    assert bad == []
    assert result.plans, "every estimate shows at least one plan"


@PROPERTY
@given(
    model=models(),
    quant=quants,
    devices=device_lists(),
    workload=workloads(max_context=65_536),
    more=st.integers(1, 65_536),
)
def test_more_context_never_needs_less_memory(model, quant, devices, workload, more):
    longer = workload.model_copy(update={"context_tokens": workload.context_tokens + more})
    short = estimate(model=model, quant=quant, devices=devices, workload=workload, with_suggestions=False)
    long = estimate(model=model, quant=quant, devices=devices, workload=longer, with_suggestions=False)
    assert long.memory.kv_cache_bytes >= short.memory.kv_cache_bytes
    short_plans, long_plans = by_strategy(short), by_strategy(long)
    for strategy in short_plans.keys() & long_plans.keys():
        before, after = short_plans[strategy], long_plans[strategy]
        if after.fits:
            assert before.fits, f"{strategy} fits at {longer.context_tokens} tokens but not fewer"
        if strategy in ("single", "replicas", "tensor_parallel"):  # the same split whatever the context
            for b, a in zip(before.devices, after.devices, strict=True):
                assert a.used_bytes >= b.used_bytes, (strategy, b.gpu, b.used_bytes, a.used_bytes)


@PROPERTY
@given(
    model=models(),
    quant=quants,
    gpu=gpus(),
    n=st.integers(1, 4),
    extra=st.integers(1, 256 * GIB),
    workload=workloads(),
)
def test_a_bigger_gpu_never_fits_less(model, quant, gpu, n, extra, workload):
    bigger = gpu.model_copy(update={"memory_bytes": gpu.memory_bytes + extra})
    small = estimate(model=model, quant=quant, devices=[gpu] * n, workload=workload, with_suggestions=False)
    big = estimate(model=model, quant=quant, devices=[bigger] * n, workload=workload, with_suggestions=False)
    assert big.fits or not small.fits
    big_plans = by_strategy(big)
    for plan in small.plans:
        if plan.fits and plan.strategy in big_plans:
            assert big_plans[plan.strategy].fits, f"{plan.strategy} fits on the smaller GPU only"


@PROPERTY
@given(
    model=models(),
    quant=quants,
    gpu=gpus(),
    n=st.integers(1, 4),
    factor=st.floats(1.0, 10.0),
    workload=workloads(),
)
def test_more_bandwidth_never_decodes_slower(model, quant, gpu, n, factor, workload):
    faster = gpu.model_copy(update={"bandwidth_gb_s": gpu.bandwidth_gb_s * factor})
    assume(faster.bandwidth_gb_s > gpu.bandwidth_gb_s)
    slow = estimate(model=model, quant=quant, devices=[gpu] * n, workload=workload, with_suggestions=False)
    fast = estimate(model=model, quant=quant, devices=[faster] * n, workload=workload, with_suggestions=False)
    fast_plans = by_strategy(fast)
    for plan in slow.plans:
        other = fast_plans.get(plan.strategy)
        if other is None or plan.decode_tok_s is None:
            continue
        assert other.decode_tok_s is not None
        assert other.decode_tok_s >= plan.decode_tok_s * (1 - 1e-9), plan.strategy


@PROPERTY
@given(model=models(), quant=quants, gpu=gpus(), n=st.integers(1, 4), workload=workloads())
def test_no_plan_decodes_faster_than_its_gpus_read_their_weights(model, quant, gpu, n, workload):
    """The roofline: a decode step reads every weight a GPU holds but the token embeddings (one row of them;
    llama.cpp keeps them on the host) and the experts its token is not routed to (an MoE reads k of its E
    experts a layer), so no plan on GPUs alone (one GPU, a layer split, tensor parallel, replicas) streams
    faster than its busiest GPU's spec bandwidth ÷ those bytes."""
    routed_share = model.num_experts_per_tok / model.num_experts if model.is_moe else 1.0
    result = estimate(model=model, quant=quant, devices=[gpu] * n, workload=workload, with_suggestions=False)
    for plan in result.plans:
        if plan.decode_tok_s is None or any(u.kind != "gpu" for u in plan.devices):
            continue
        most = max(
            sum(
                b * (routed_share if tensor == "routed_experts" else 1.0)
                for tensor, b in u.tensors.items()
                if tensor != "embedding"
            )
            for u in plan.devices
        )
        assert most > 0, plan.strategy
        assert plan.decode_tok_s <= gpu.bandwidth_gb_s * 1e9 / most * (1 + 1e-9), plan.strategy


def test_cpu_offload_that_fits_at_a_longer_context_fits_at_a_shorter_one():
    model = ModelSpec(
        slug="m",
        name="M",
        num_hidden_layers=63,
        hidden_size=256,
        num_attention_heads=8,
        num_key_value_heads=1,
        vocab_size=1000,
        total_params_b=0.054,
        active_params_b=0.054,
        num_experts=2,
        num_experts_per_tok=1,
        num_shared_experts=0,
        first_k_dense_replace=16,
    )
    quant = QuantSpec(slug="q", name="Q", bits_per_weight=2.0)
    gpu = make_gpu(slug="a", name="A", memory_bytes=1_457_494_148, bandwidth_gb_s=50.0, fp16_tflops=None)
    plans = {}
    for ctx in (295, 390):
        workload = Workload(context_tokens=ctx, batch=46, prompt_tokens=1, ram_bytes=4 * GIB)
        result = estimate(
            model=model, quant=quant, devices=[gpu, gpu], workload=workload, with_suggestions=False
        )
        plans[ctx] = by_strategy(result)["cpu_offload"]
    assert plans[390].fits
    assert plans[295].fits
