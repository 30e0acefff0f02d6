"""The offload suggestion's "a GPU with more memory would be faster" quotes the factor the plans give
(estimator/suggest.py): the one-GPU plan's decode speed over the offload plan's, never "several"."""

from test_engine_speed import CAND, CASES

from calculator.present import suggestion
from estimator import estimate


def test_the_offload_suggestion_quotes_the_one_gpu_plans_factor():
    model, quant, devices, workload = CASES["gpt_oss_120b_mxfp4_4090_ram"]
    e = estimate(model=model, quant=quant, devices=devices, workload=workload, candidates=CAND)
    one_gpu = next(p for p in e.plans if p.strategy == "single")
    offload = e.recommended_plan
    assert offload.strategy == "expert_offload" and not one_gpu.fits
    factor = one_gpu.decode_tok_s / offload.decode_tok_s
    [text] = [suggestion(s) for s in e.suggestions if s.kind == "offload"]
    assert text.endswith(f"a GPU with more memory would be about {factor:.1f}× faster.")
    assert "several times" not in text


def test_a_mac_is_told_to_raise_its_gpu_limit_where_that_fits():
    """The review: Llama 3.3 70B Q4_K_M at 32K on a 64 GB M3 Max is 1.2 GiB over macOS's default GPU limit (48 GiB),
    and the answer offered a smaller format and a second Mac, not the site's own Apple guide's fix."""
    from engine_specs import llama_70b

    from estimator import DeviceSpec, QuantSpec, Workload
    from estimator.units import GIB

    q4 = QuantSpec(slug="q4_k_m", name="Q4_K_M", bits_per_weight=4.8944)
    mac = DeviceSpec(
        slug="m3-max-64", name="M3 Max 64 GB", memory_bytes=64 * GIB, bandwidth_gb_s=400, fp16_tflops=28.4,
        unified_memory=True, gpu_memory_fraction=0.75, backend="metal",
    )  # fmt: skip
    e = estimate(model=llama_70b(), quant=q4, devices=[mac], workload=Workload(context_tokens=32768))
    assert not e.fits
    first = e.suggestions[0]
    assert first.kind == "wired_limit" and first.changes == {}
    assert first.reason.values == {"wired_limit_mb": 57344, "usable_bytes": 56 * GIB, "kept_bytes": 8 * GIB}
    # where even that does not fit the context asked, the longest it holds, after the longest at the default
    # limit (a change of the context, not first)
    huge = estimate(model=llama_70b(), quant=q4, devices=[mac], workload=Workload(context_tokens=131072))
    kinds = [s.kind for s in huge.suggestions]
    assert kinds.index("context") < kinds.index("wired_limit")
    [raised] = [s for s in huge.suggestions if s.kind == "wired_limit"]
    shorter = next(s for s in huge.suggestions if s.kind == "context").changes["ctx"]
    assert shorter < raised.reason.values["context_tokens"] < 131072
    assert raised.reason.values["wired_limit_mb"] == 57344 and raised.changes == {}


def test_a_mac_under_mlx_is_offered_a_smaller_mlx_format_first_and_the_raised_limit_with_its_context():
    """A visitor review: Llama 3.3 70B at MLX 4-bit and 8K on a 48 GB M4 Pro is 4.7 GiB over macOS's
    default GPU limit; it was offered only an RPC cluster, while MLX 3-bit fits, and the raised limit
    (40 GiB, 8 kept for macOS) holds the 4-bit at a shorter context."""
    from engine_specs import llama_70b

    from estimator import DeviceSpec, QuantSpec, Workload
    from estimator.units import GIB

    m4_pro = DeviceSpec(
        slug="m4-pro-48", name="M4 Pro 48 GB", memory_bytes=48 * GIB, bandwidth_gb_s=273, fp16_tflops=17.0,
        unified_memory=True, gpu_memory_fraction=0.75, backend="metal",
    )  # fmt: skip
    mlx4 = QuantSpec(slug="mlx-4bit", name="MLX 4-bit", bits_per_weight=4.5, format="mlx")
    mlx3 = QuantSpec(slug="mlx-3bit", name="MLX 3-bit", bits_per_weight=3.5, format="mlx")
    w = Workload(context_tokens=8192, runtime="mlx")
    e = estimate(model=llama_70b(), quant=mlx4, devices=[m4_pro], workload=w, candidates=[mlx3, mlx4])
    assert not e.fits
    kinds = [s.kind for s in e.suggestions]
    assert kinds[0] == "quant" and e.suggestions[0].changes == {"quant": "mlx-3bit"}
    assert kinds.index("wired_limit") < kinds.index("hosts")
    [raised] = [s for s in e.suggestions if s.kind == "wired_limit"]
    assert raised.reason.values["wired_limit_mb"] == 40 * 1024
    assert 4096 < raised.reason.values["context_tokens"] < 8192
    assert suggestion(raised).startswith(
        "Raise macOS's GPU memory limit to 40.0 GiB, keeping 8.0 GiB for macOS: it fits with up to "
    )
