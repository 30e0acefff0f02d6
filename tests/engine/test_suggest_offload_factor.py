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
    # where even that does not fit, nothing is said; nor on a PC's GPU
    huge = estimate(model=llama_70b(), quant=q4, devices=[mac], workload=Workload(context_tokens=131072))
    assert all(s.kind != "wired_limit" for s in huge.suggestions)
