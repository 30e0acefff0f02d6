"""/api/v1/estimate: the calculator for scripts. 200 with the estimate, 400 with errors, never a 500."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .answer import answer
from .engine import Estimate
from .forms import QuestionForm, unknown_parameters

ALLOWED = set(QuestionForm.FIELDS)


@require_GET
def estimate(request):
    errors = {name: ["Unknown parameter."] for name in unknown_parameters(request.GET, ALLOWED)}
    form = QuestionForm(request.GET)
    if not form.is_valid() or errors:
        errors |= {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    return JsonResponse(estimate_json(answer(form), permalink=f"/?{form.canonical_query()}"))


def estimate_json(result: Estimate, *, permalink: str) -> dict:
    return {
        "engine_version": result.engine_version,
        "model": result.model,
        "quant": result.quant,
        "fits": result.fits,
        "recommended": result.recommended,
        "reason": result.reason,
        "permalink": permalink,
        "memory": {
            "weights_bytes": result.memory.weights_bytes,
            "kv_cache_bytes": result.memory.kv_cache_bytes,
            "compute_bytes": result.memory.compute_bytes,
            "overhead_bytes": result.memory.overhead_bytes,
            "total_bytes": result.memory.total_bytes,
        },
        "plans": [
            {
                "strategy": plan.strategy,
                "fits": plan.fits,
                "tight": plan.tight,
                "decode_tok_s": plan.decode_tok_s,
                "prefill_tok_s": plan.prefill_tok_s,
                "ttft_s": plan.ttft_s,
                "notes": list(plan.notes),
                "devices": [
                    {
                        "gpu": d.gpu,
                        "layers": d.layers,
                        "weights_bytes": d.weights_bytes,
                        "kv_cache_bytes": d.kv_cache_bytes,
                        "compute_bytes": d.compute_bytes,
                        "overhead_bytes": d.overhead_bytes,
                        "used_bytes": d.used_bytes,
                        "capacity_bytes": d.capacity_bytes,
                        "free_bytes": d.free_bytes,
                        "fits": d.fits,
                    }
                    for d in plan.devices
                ],
            }
            for plan in result.plans
        ],
        "explanations": {key: e.model_dump() for key, e in result.explanations.items()},
    }
