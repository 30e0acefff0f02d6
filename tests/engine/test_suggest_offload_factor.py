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
