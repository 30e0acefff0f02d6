"""/api/v1/estimate for an image or video model: its answer as JSON, the parameters it refuses, and the
OpenAPI schemas of the answer (calculator/openapi.py reads them)."""

import json

from django.http import QueryDict

from estimator import ENGINE_VERSION, DiffusionEstimate
from estimator.diffusion_schema import DiffusionPlan, DiffusionSuggestion

from .diffusion_estimate import assumed_ram_gb, formats_here
from .diffusion_form import DiffusionForm
from .diffusion_formats import FORMATS
from .diffusion_verdict import suggestions


def estimate_json(result: DiffusionEstimate, form: DiffusionForm) -> dict:
    """The estimate as /api/v1/estimate returns it for an image or video model."""
    return {
        "engine_version": ENGINE_VERSION,
        "kind": "diffusion",
        "model": result.model,
        "quant": form.cleaned_data["quant"].slug,
        "fits": result.recommended is not None,
        "recommended": result.recommended,
        "assumed_ram_gb": assumed_ram_gb(result, form),
        "reason": result.reason,
        "text_encoder": result.text_encoder,
        "permalink": f"/?{form.canonical_query()}",
        "workload": {name: form.cleaned_data[name] for name in ("width", "height", "steps", "frames")},
        "plans": [
            {
                **p.model_dump(mode="json", exclude={"devices"}),
                "commands": p.commands,
                "fits": p.fits,
                "tight": p.tight,
                "devices": [  # with the derived values the LLM answer's devices have (api.plan_json)
                    {
                        **d.model_dump(mode="json"),
                        "used_bytes": d.used_bytes,
                        "free_bytes": d.free_bytes,
                        "fits": d.fits,
                        "tight": d.tight,
                    }
                    for d in p.devices
                ],
            }
            for p in result.plans
        ],
        "not_supported": result.not_supported,
        "explanations": {key: e.model_dump() for key, e in result.explanations.items()},
        "suggestions": [suggestion_json(found) for found in suggestions(result, form, formats_here(form))],
    }


def suggestion_json(found: dict) -> dict:
    """A "what to change" as the API gives it: the page's words and link (`diffusion_verdict.suggestions`), the
    engine's change and reasons (`DiffusionSuggestion`), and the plan it runs by. `kind`, `text`, `changes`,
    `fits` and `permalink` as an LLM answer's suggestions have them (calculator/api.py)."""
    s: DiffusionSuggestion = found["suggestion"]
    return {
        "kind": s.kind,
        "text": found["text"],
        "changes": s.changes,
        "why": list(s.why),
        "fits": True,  # each runs: it is kept for a plan that does (estimator/diffusion_suggest.py)
        "strategy": s.plan.strategy,
        "total_s": s.plan.timing.total_s if s.plan.timing else None,
        "ram_bytes": s.ram_bytes,
        "permalink": found["url"],
    }


_OBJECT = {"type": "object"}
REF = "#/components/schemas/{model}"  # calculator/openapi.py's, which reads this module
ESTIMATE_SCHEMA = {  # /api/v1/estimate for an image or video model, as estimate_json returns it
    "type": "object",
    "additionalProperties": False,
    "description": "plans for an image or video model: where each component sits, time per image, commands",
    "properties": {
        "engine_version": {"type": "string", "description": "the engine that computed this answer"},
        "kind": {"const": "diffusion"},
        "model": {"type": "string"},
        "quant": {
            "type": "string",
            "enum": FORMATS,
            "description": "the denoiser's format answered in: the one asked for, else the usual one (BF16, or "
            "the widest smaller format offered where BF16 runs only by sequential offload and it runs faster "
            "in less system RAM; the permalink then leaves it out)",
        },
        "fits": {"type": "boolean"},
        "recommended": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "assumed_ram_gb": {
            "anyOf": [{"type": "integer"}, {"type": "null"}],
            "description": "no ram_gb given and only an offload plan runs it: the system RAM assumed (GB)",
        },
        "reason": {"type": "string"},
        "text_encoder": {
            "type": "string",
            "description": "the T5-XXL text encoder file the memory and times assume; empty without a T5",
        },
        "permalink": {"type": "string"},
        "workload": {
            "type": "object",
            "properties": {name: {"type": "integer"} for name in ("width", "height", "steps", "frames")},
        },
        "plans": {
            "type": "array",
            "items": {"$ref": REF.format(model="DiffusionPlan")},
            "description": "strategy, devices, placement, timing, commands",
        },
        "not_supported": {"type": "object", "additionalProperties": {"type": "string"}},
        "explanations": _OBJECT,
        "suggestions": {
            "type": "array",
            "items": {"$ref": REF.format(model="DiffusionSuggestion")},
            "description": 'what to change, as the page\'s "What to change" says it: each a question that does better '
            "than this one (fits where it does not, less system RAM, at least a tenth faster, or the format as "
            "released), widest format first",
        },
    },
}
ESTIMATE_SCHEMA["required"] = list(ESTIMATE_SCHEMA["properties"])


def schemas() -> dict[str, dict]:
    """The OpenAPI schemas of the answer for an image or video model: DiffusionEstimate, and its plans
    generated from the engine's DiffusionPlan (with `fits` and `tight`, as estimate_json adds them) and
    their Timing (as DiffusionTiming); a plan's devices are the LLM answer's DeviceUsage, which
    calculator/openapi.py generates. Every key is always present."""
    generated = DiffusionPlan.model_json_schema(mode="serialization", ref_template=REF)
    timing = generated.pop("$defs")["Timing"]
    renamed = json.dumps(generated).replace(REF.format(model="Timing"), REF.format(model="DiffusionTiming"))
    plan = json.loads(renamed)
    plan["properties"] |= {
        "fits": {"type": "boolean", "description": "every device holds its share, headroom counted"},
        "tight": {"type": "boolean", "description": "fits with less than 10% of a device free"},
    }
    found = {
        "DiffusionEstimate": ESTIMATE_SCHEMA,
        "DiffusionPlan": plan,
        "DiffusionTiming": timing,
        "DiffusionSuggestion": suggestion_schema(),
    }
    for schema in (plan, timing):
        schema["additionalProperties"] = False
        schema["required"] = list(schema["properties"])
    return found


def suggestion_schema() -> dict:
    """A suggestion as `suggestion_json` gives it; its kinds, changes, reasons and RAM read from the engine's
    DiffusionSuggestion, its strategy from DiffusionPlan."""
    engine = DiffusionSuggestion.model_json_schema(mode="serialization", ref_template=REF)["properties"]
    plan = DiffusionPlan.model_json_schema(mode="serialization", ref_template=REF)["properties"]
    changes = engine["changes"] | {
        "description": "the query parameters changed: the denoiser's format (quant), the picture (width, height, "
        "frames) or the system RAM (ram_gb)"
    }
    why = engine["why"] | {
        "description": "why it does better: it fits, less system RAM, faster, or it keeps more of the model"
    }
    properties = {
        "kind": engine["kind"]
        | {"description": "what it changes: a wider or a smaller format, a smaller picture, the system RAM"},
        "text": {"type": "string", "description": "the change in the page's words"},
        "changes": changes,
        "why": why,
        "fits": {"type": "boolean", "description": "always true: a change is suggested for a plan that runs"},
        "strategy": plan["strategy"] | {"description": "how it runs with the change"},
        "total_s": {
            "anyOf": [{"type": "number"}, {"type": "null"}],
            "description": "seconds per image (or video) with the change; null where not timed",
        },
        "ram_bytes": engine["ram_bytes"],
        "permalink": {"type": "string", "description": "the page of the question with the change"},
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": list(properties),
    }


def bad_parameters(query: QueryDict) -> dict[str, list[str]]:
    """API parameters that are not questions about an image model (`ctx`, `kv`...): each named."""
    return {
        name: ["Not a parameter of an image or video model."]
        for name in sorted(set(query) - set(DiffusionForm.FIELDS))
    }
