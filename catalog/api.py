"""Catalog lists for scripts and the pickers: /api/v1/gpus, /models, /quantizations."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .models import Gpu, LlmModel, Quantization

LIMIT = 50


def _query(request, model):
    qs = model.objects.all()
    if q := request.GET.get("q", "").strip():
        qs = qs.search(q)
    if request.GET.get("listed") in {"1", "true"}:
        qs = qs.listed()
    return qs


@require_GET
def gpus(request):
    rows = _query(request, Gpu).order_by("-listed", "name")[:LIMIT]
    return JsonResponse(
        {
            "results": [
                {
                    "slug": g.slug,
                    "name": g.name,
                    "vendor": g.vendor,
                    "memory_bytes": g.memory_bytes,
                    "bandwidth_gb_s": g.bandwidth_gb_s,
                    "fp16_tflops": g.fp16_tflops,
                    "unified_memory": g.unified_memory,
                }
                for g in rows
            ]
        }
    )


@require_GET
def llms(request):
    rows = _query(request, LlmModel).order_by("-listed", "name")[:LIMIT]
    return JsonResponse(
        {
            "results": [
                {
                    "slug": m.slug,
                    "name": m.name,
                    "family": m.family,
                    "hf_id": m.hf_id,
                    "total_params_b": m.total_params_b,
                    "active_params_b": m.active_params_b,
                    "max_position_embeddings": m.max_position_embeddings,
                }
                for m in rows
            ]
        }
    )


@require_GET
def quantizations(request):
    rows = _query(request, Quantization)[:LIMIT]
    return JsonResponse(
        {
            "results": [
                {"slug": q.slug, "name": q.name, "family": q.family, "bits_per_weight": q.bits_per_weight}
                for q in rows
            ]
        }
    )
