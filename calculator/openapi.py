"""/api/v1/openapi.json: an OpenAPI 3.1 description of every /api/v1/ endpoint.

Built from what the code validates and returns, not written by hand beside it: query parameters from the
Forms that bind them (QuestionForm, catalog.api's filters), the estimate from the engine's pydantic
models plus the derived values `calculator.api.estimate_json` adds. tests/test_openapi.py checks that
the schema is valid OpenAPI, names every /api/v1/ URL, and (with schemathesis) that the API keeps it.
"""

from copy import deepcopy
from functools import cache

from django import forms
from django.conf import settings
from django.http import JsonResponse

from catalog import api as catalog_api
from catalog.models import DiffusionModel, Gpu, Interconnect, Quantization
from config.api import ALLOWED_METHODS, api_view
from estimator import ENGINE_VERSION, Estimate

from .diffusion_answer import DiffusionForm
from .diffusion_answer import schemas as diffusion_schemas
from .forms import MAX_DEVICES, MAX_DEVICES_IN_ALL, QuestionForm

REF = "#/components/schemas/{model}"
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"  # forms.SlugField's validator
ERRORS = {"$ref": "#/components/responses/BadRequest"}
TOO_MANY = {"$ref": "#/components/responses/TooManyRequests"}
WRONG_METHOD = {"$ref": "#/components/responses/MethodNotAllowed"}


def field_schema(field: forms.Field) -> dict:
    """The JSON schema of what a form field accepts from a query string."""
    if isinstance(field, forms.FloatField):  # before IntegerField: Django's FloatField subclasses it
        schema = {"type": "number"}
    elif isinstance(field, forms.IntegerField):
        schema = {"type": "integer"}
    elif isinstance(field, forms.ChoiceField):
        values = [value for value, _ in field.choices]
        return {"type": "string", "enum": values if field.required or "" in values else ["", *values]}
    elif isinstance(field, forms.SlugField):
        schema = {"type": "string", "pattern": SLUG_PATTERN}
    else:
        schema = {"type": "string"}
    for key, attr in (("minimum", "min_value"), ("maximum", "max_value"), ("maxLength", "max_length")):
        if getattr(field, attr, None) is not None:
            schema[key] = getattr(field, attr)
    return schema


def form_parameters(form_class: type[forms.Form], **overrides: dict) -> list[dict]:
    """One query parameter per form field; `overrides` replace or extend a parameter by name."""
    params = []
    for name, field in form_class.base_fields.items():
        words = [str(s).rstrip(".") for s in (field.label or "", field.help_text or "") if s]
        description = f"{'. '.join(words)}." if words else ""
        param = {
            "name": name,
            "in": "query",
            "required": field.required,
            "schema": field_schema(field),
        }
        if description:
            param["description"] = description
        params.append(param | overrides.get(name, {}))
    return params


def estimate_parameters() -> list[dict]:
    devices = f"at most {MAX_DEVICES} devices a machine"
    return form_parameters(
        QuestionForm,
        model={
            "description": "Model slug, from /api/v1/models, or its Hugging Face id (meta-llama/Llama-3.1-70B-Instruct); "
            "required unless `config` is given. An unknown name is a 400 that names the model it most likely means.",
            "example": "llama-3-1-70b-instruct",
        },
        quant={"description": "Weight format slug, from /api/v1/quantizations.", "example": "q4_k_m"},
        gpu={
            "required": True,
            "description": f"GPU slug, from /api/v1/gpus; repeat it once per device ({devices}).",
            "schema": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": MAX_DEVICES},
            "style": "form",
            "explode": True,
            "example": ["geforce-rtx-3090", "geforce-rtx-3090"],
        },
        count={
            "description": f"How many of each `gpu`: one count per gpu, or one for all; {devices}.",
            "schema": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_DEVICES},
                "maxItems": MAX_DEVICES,
            },
            "style": "form",
            "explode": True,
        },
        ctx={
            "description": "Context per sequence, in tokens (at most the model's own limit); 4096 if absent."
        },
        batch={"description": "Concurrent sequences; 1 if absent."},
        prompt={"description": "Prompt length in tokens, at most `ctx`; min(512, ctx) if absent."},
        kv={
            "description": "KV cache type slug, one the runtime keeps its cache in (/api/v1/runtimes "
            "`kv_cache_types`): f16, bf16, q8_0, q4_0, fp8...; f16 if absent. An unknown one is a 400.",
            "example": "q8_0",
        },
        config={  # the form's label ("Or paste a config.json") is for the page
            "description": "A model's config.json as JSON text, instead of `model`: a Hugging Face "
            "checkpoint's own config, sized without saving it."
        },
        runtime={
            "description": "Runtime. If absent, the usual runtime for the format on these GPUs: the "
            "first of these values that runs it there and has (or can make) the model's weights in it, "
            "e.g. llama-cpp for GGUF, vllm for AWQ, GPTQ or FP8, mlx for MLX formats. The answer's "
            "`permalink` names it unless it is llama-cpp."
        },
        fa={
            "description": "Flash attention: `off` times and sizes llama.cpp's `-fa off` (Ollama: "
            "OLLAMA_FLASH_ATTENTION=0), slower with a long context; on if absent. Only llama-cpp and ollama "
            "turn it off, and not with a quantized KV cache (a 400 says so).",
        },
        ram_gb={
            "description": "System RAM in GB as it is sold, binary (a 64 GB kit: 64 GiB): adds the CPU and expert offload plans."
        },
        ram_preset={
            "description": "System RAM type (DDR generation and channels, e.g. ddr5-4800-2ch): the RAM "
            "bandwidth offload plans read; dual-channel DDR5-4800 assumed if absent. An unknown one is a 400.",
            "example": "ddr5-4800-2ch",
        },
        link={"description": "Interconnect slug between the GPUs, from /api/v1/interconnects."},
        hosts={
            "description": "Machines with these GPUs each, joined by the network (llama.cpp's RPC cluster; "
            "vLLM's and SGLang's tensor parallel in each machine, pipeline parallel across them); at most "
            f"{MAX_DEVICES_IN_ALL} GPUs over all machines."
        },
    ) + [  # an image or video model's question (calculator/diffusion_answer.py)
        p | {"description": f"{p['description']} Image and video models only."}
        if "models only" not in p["description"]
        else p
        for p in form_parameters(DiffusionForm)
        if p["name"] in ("width", "height", "steps", "frames")
    ]


# The engine's reasons as the API gives them: one sentence each, worded by calculator/present.py
# The nearest published row (api.nearest_json), where the question itself has none.
NEAREST = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "model",
        "quant",
        "gpu",
        "gpu_count",
        "same_gpu",
        "backend",
        "test",
        "tok_s",
        "date",
        "source",
        "estimate_tok_s",
    ],
    "properties": {
        "model": {"type": "string", "description": "the measured model's slug"},
        "quant": {"type": "string", "description": "the measured format's slug"},
        "gpu": {"type": "string", "description": "the measured GPU's slug"},
        "gpu_count": {"type": "integer", "minimum": 1, "description": "several: a layer split over them"},
        "same_gpu": {"type": "boolean", "description": "measured on the question's own (first) GPU"},
        "backend": {"type": "string"},
        "test": {"type": "string", "description": "llama-bench test: tg128, tg512"},
        "tok_s": {"type": "number", "exclusiveMinimum": 0},
        "date": {"type": ["string", "null"], "format": "date"},
        "source": {"type": "string", "description": "a URL where the number was published"},
        "estimate_tok_s": {
            "type": ["number", "null"],
            "description": "the engine's estimate for that row's own test today (null: not priced)",
        },
    },
}

WORDED = {
    "Estimate": {
        "reason": {"title": "Reason", "type": "string"},
        "unavailable": {
            "additionalProperties": {"type": "string"},
            "description": "strategy → why it was not computed",
            "title": "Unavailable",
            "type": "object",
        },
    },
    "Plan": {
        "reason": {"default": "", "title": "Reason", "type": "string"},
        **{
            key: {"default": [], "items": {"type": "string"}, "title": key.title(), "type": "array"}
            for key in ("notes", "warnings")
        },
    },
}


@cache
def engine_schemas() -> dict[str, dict]:
    """The estimate as /api/v1/estimate returns it: the engine's models, each with the derived values
    estimate_json adds (`fits`, totals, free bytes), every key always present."""
    generated = Estimate.model_json_schema(mode="serialization", ref_template=REF)
    schemas = generated.pop("$defs")
    schemas["Estimate"] = generated
    derived = {
        "Estimate": {
            "fits": {"type": "boolean", "description": "a plan fits (`recommended` is not null)"},
            "permalink": {"type": "string", "description": "the page answering the same question"},
            "backends": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the GPU backend each device is timed on, in the question's order: the one "
                "asked for; else each vendor's usual one (cuda, rocm, metal, sycl), or where GPUs of several "
                "vendors share no usual one, the build they all have (vulkan: no one llama.cpp build drives "
                "CUDA and ROCm devices)",
            },
            "measured": {"$ref": REF.format(model="Measured")},
            "missing_weights": {
                "type": ["string", "null"],
                "description": "why the chosen runtime can have no weights of this format for this model (none "
                "published, none it makes), so no plan has its command; null when it can",
            },
        },
        "MemoryBreakdown": {"total_bytes": {"type": "integer"}},
        "Plan": {"fits": {"type": "boolean"}, "tight": {"type": "boolean"}},
        "DeviceUsage": {
            "used_bytes": {"type": "integer"},
            "free_bytes": {
                "type": "integer",
                "description": "capacity_bytes - used_bytes; the device fits only with headroom_bytes of it free",
            },
            "fits": {"type": "boolean"},
            "tight": {"type": "boolean", "description": "fits with less than 10% free"},
        },
    }
    for name, props in derived.items():
        schemas[name]["properties"] |= props
    for name, props in WORDED.items():  # data in the engine, sentences in the API (calculator/present.py)
        schemas[name]["properties"] |= props
    schemas["Suggestion"]["properties"] = {  # its `reason` as `text`, in the same place
        ("text" if key == "reason" else key): (
            {"title": "Text", "type": "string"} if key == "reason" else value
        )
        for key, value in schemas["Suggestion"]["properties"].items()
    } | {"permalink": {"type": "string", "description": "the page answering the suggested question"}}
    schemas["Suggestion"]["properties"]["changes"]["description"] = (
        'this endpoint\'s query parameters to change, e.g. {"quant": "q4_k_m"}, {"ctx": 17920} or {"count": 3} '
        "(with `gpu` where the question's GPUs were of several kinds)"
    )
    schemas.pop("Reason")
    measurement = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "tok_s": {"type": "number", "exclusiveMinimum": 0},
            "backend": {"type": "string"},
            "runtime": {"type": "string"},
            "test": {"type": "string", "description": "llama-bench test: tg128, pp512"},
            "context_tokens": {"type": "integer"},
            "source": {"type": "string"},
        },
    }
    schemas["Measured"] = {
        "type": "object",
        "additionalProperties": False,
        "description": "published llama.cpp measurements of exactly this model, format and GPUs",
        "properties": {
            "decode": {"type": "array", "items": measurement},
            "prefill": {"type": "array", "items": measurement},
            "nearest": {
                "description": "where none is published, the nearest published llama.cpp decode row "
                "(the same GPU when it has one, on as many GPUs where it can, else the measured GPU of the "
                "same vendor and kind of memory with the nearest bandwidth) and the engine's estimate for "
                "that row's own test; null otherwise",
                "oneOf": [{"type": "null"}, NEAREST],
            },
        },
    }
    for schema in schemas.values():
        schema["required"] = list(schema["properties"])
    return schemas


def listing(item: dict) -> dict:
    """`{"count": n, "next": url or null, "results": [item, ...]}`: one page of at most
    catalog.api.MAX_LIMIT rows."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["count", "next", "results"],
        "properties": {
            "count": {"type": "integer", "minimum": 0, "description": "Rows that match, on every page."},
            "next": {"type": ["string", "null"], "description": "The next page's URL; null on the last."},
            "results": {"type": "array", "maxItems": catalog_api.MAX_LIMIT, "items": item},
        },
    }


def row(**properties: dict) -> dict:
    base = {"slug": {"type": "string"}, "name": {"type": "string"}, "listed": {"type": "boolean"}}
    props = base | properties
    return {"type": "object", "additionalProperties": False, "required": list(props), "properties": props}


def choices(choices: list[tuple[str, str]]) -> dict:
    return {"type": "string", "enum": [value for value, _ in choices]}


STRING, INTEGER, NUMBER = {"type": "string"}, {"type": "integer"}, {"type": "number"}
STRINGS = {"type": "array", "items": STRING}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def catalog_schemas() -> dict[str, dict]:
    return {
        "Gpu": row(
            vendor=choices(Gpu.Vendor.choices),
            form_factor=choices(Gpu.FormFactor.choices),
            memory_bytes=INTEGER,
            bandwidth_gb_s=NUMBER,
            fp16_tflops=nullable(NUMBER),
            unified_memory={"type": "boolean"},
            nvlink={"type": "boolean"},
            backends=STRINGS,
        ),
        "LlmModel": row(
            family=STRING,
            hf_id=STRING,
            total_params_b=NUMBER,
            active_params_b=nullable(NUMBER),
            max_position_embeddings=nullable(INTEGER),
            yarn_factor=nullable(NUMBER),  # YaRN past max_position_embeddings, over yarn_original_context
            yarn_original_context=nullable(INTEGER),
        ),
        "Quantization": row(family=choices(Quantization.Family.choices), bits_per_weight=NUMBER),
        "Interconnect": row(
            kind=choices(Interconnect.Kind.choices),
            bandwidth_gb_s=NUMBER,
            bandwidth_total_gb_s=nullable(NUMBER),
            latency_us=nullable(NUMBER),
        ),
        "Runtime": row(
            kv_cache_types=STRINGS,
            backends=STRINGS,
            # backend -> the weight-format families it runs there (the calculator offers only these)
            formats={"type": "object", "additionalProperties": STRINGS},
            docs_url=STRING,
        ),
        "DiffusionModel": row(
            kind=choices(DiffusionModel.Kind.choices),
            hf_id=STRING,
            components={"type": "array", "items": {"type": "object"}},
        ),
    }


def operation(summary: str, parameters: list[dict], ok: dict, *, description: str = "") -> dict:
    op = {
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": ok}}},
            "400": ERRORS,
            "405": WRONG_METHOD,
            "429": TOO_MANY,
        },
    }
    if description:
        op["description"] = description
    return {"get": op}


CATALOG_ENDPOINTS = [
    ("/api/v1/gpus", "GPUs and other accelerators", catalog_api.GpuFilter, "Gpu"),
    ("/api/v1/models", "LLM architectures", catalog_api.LlmFilter, "LlmModel"),
    ("/api/v1/quantizations", "Weight formats", catalog_api.QuantFilter, "Quantization"),
    ("/api/v1/interconnects", "Links between GPUs and machines", catalog_api.CatalogFilter, "Interconnect"),
    ("/api/v1/runtimes", "Inference runtimes", catalog_api.CatalogFilter, "Runtime"),
    (
        "/api/v1/diffusion-models",
        "Image and video diffusion models",
        catalog_api.CatalogFilter,
        "DiffusionModel",
    ),
]
CATALOG_PARAMS = {
    "q": {"description": "Words every row's name or slug contains (case, spaces, dashes and dots ignored)."},
    "listed": {"description": "1/true: only rows shown in the pickers; 0/false: only the others."},
    "unified": {"description": "1/true: only unified-memory machines; 0/false: only discrete GPUs."},
    "min_memory_gb": {"description": "At least this much memory, in GiB."},
    "vendor": {"description": "Only this vendor's GPUs."},
    "family": {
        "description": "Only this family (models: e.g. llama3.1, one a model has: another is a 400 naming "
        "them; formats: one of the enum)."
    },
    "limit": {"description": f"Rows per page (default {catalog_api.LIMIT})."},
    "offset": {"description": "Rows to skip: follow `next` to page through."},
}


def rate_limit() -> str:
    """The 429 in the numbers config.middleware.RateLimitMiddleware applies."""
    limit, window = settings.API_RATE_LIMIT, max(1, settings.API_RATE_WINDOW)
    if not limit:
        return "Rate limit reached (no limit is set on this server)"
    return f"Rate limit reached: at most {limit} requests per {window} s from one address"


@cache
def schema() -> dict:
    catalog = catalog_schemas()
    paths = {
        "/api/v1/estimate": operation(
            "Does this model fit on these GPUs, how should it be split, how fast will it be",
            estimate_parameters(),
            {
                "anyOf": [
                    {"$ref": REF.format(model="Estimate")},
                    {"$ref": REF.format(model="DiffusionEstimate")},
                ]
            },
            description=(
                "The same question as the page's query string. An unknown parameter, a value out of "
                "range, an unknown slug or a question the engine refuses is a 400 naming the field."
            ),
        ),
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "405": WRONG_METHOD,
                    "429": TOO_MANY,
                },
            }
        },
    }
    for path, summary, form_class, name in CATALOG_ENDPOINTS:
        params = form_parameters(form_class, **CATALOG_PARAMS)
        paths[path] = operation(
            summary,
            params,
            {"$ref": REF.format(model=f"{name}List")},
            description=(
                f"One page of {catalog_api.LIMIT} rows (`limit`, up to {catalog_api.MAX_LIMIT}): listed "
                "ones first, then by name; `count` and `next` to page through."
            ),
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Will it run?",
            "version": "1",
            "description": f"Whether an LLM fits on your GPUs, and how fast it runs. Engine {ENGINE_VERSION}.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                **deepcopy(engine_schemas()),
                **catalog,
                **diffusion_schemas(),
                **{f"{name}List": listing({"$ref": REF.format(model=name)}) for name in catalog},
                "Errors": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["errors"],
                    "properties": {
                        "errors": {
                            "type": "object",
                            "description": "messages by parameter name; `__all__` for the whole question",
                            "additionalProperties": {"type": "array", "items": STRING, "minItems": 1},
                        }
                    },
                },
            },
            "responses": {
                "BadRequest": {
                    "description": "Invalid parameters",
                    "content": {"application/json": {"schema": {"$ref": REF.format(model="Errors")}}},
                },
                "MethodNotAllowed": {
                    "description": f"Every endpoint answers {' and '.join(ALLOWED_METHODS)} only",
                    "headers": {
                        "Allow": {
                            "description": "the methods it answers",
                            "schema": {"type": "string", "const": ", ".join(ALLOWED_METHODS)},
                        }
                    },
                    "content": {"application/json": {"schema": {"$ref": REF.format(model="Errors")}}},
                },
                "TooManyRequests": {
                    "description": rate_limit(),
                    "headers": {
                        "Retry-After": {
                            "description": "seconds until the next window",
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    },
                    "content": {"application/json": {"schema": {"$ref": REF.format(model="Errors")}}},
                },
            },
        },
    }


@api_view
def openapi_json(request):
    return JsonResponse(schema())
