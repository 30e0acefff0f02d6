"""The runtimes the calculator offers, defined once: each one's slug (the URL's `runtime=`, the catalog's
`Runtime` row in fixtures/catalog/runtimes.json, which says which backends and format families it runs),
its label, how the engine models it (`Workload.runtime`) and the key of its launch command in
`Plan.commands` (estimator/commands.py `TOOLS`). The form, the question, the answer, the fitting of the
reverse pages, the admin and the API schema all read this table.

The order is the calculator's order of preference: a visitor who names no runtime gets the first that
runs the chosen format on every device (`runtime_support.runtime_for`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RuntimeInfo:
    slug: str  # in URLs and the catalog's Runtime table
    label: str  # how the form and the pages name it
    engine: str  # the engine's Workload.runtime it is modelled as
    command: str  # the key of its launch command in Plan.commands
    gguf: bool = False  # loads GGUF files: its usual format is Q4_K_M, or the model's own quantized release
    engines: Mapping[str, str] = field(default_factory=dict)  # format family -> another engine runtime
    flash_attention_off: bool = False  # its command turns flash attention off (the form's `fa=off`)
    yarn: bool = False  # its command turns YaRN on past a model's released context (estimator/commands.py)
    # a linear-attention state's matrix where config.json names no dtype (`Workload.mamba_ssm_cache_dtype`)
    mamba_ssm_cache_dtype: str = "auto"


# Ollama runs llama.cpp underneath, but the engine models its own overheads; the engine models SGLang
# as vLLM, the closest (fixtures/catalog/runtimes.json says so). LM Studio runs GGUF files on its
# llama.cpp engine and MLX conversions on its MLX engine (https://lmstudio.ai/docs/app): the engine
# models each as the runtime underneath. It comes last: a format it runs, llama.cpp or MLX runs too.
RUNTIMES = (
    RuntimeInfo(
        "llama-cpp", "llama.cpp", "llama.cpp", "llama-server", gguf=True, flash_attention_off=True, yarn=True
    ),
    RuntimeInfo("ollama", "Ollama", "ollama", "ollama", gguf=True, flash_attention_off=True),
    RuntimeInfo("vllm", "vLLM", "vllm", "vllm", yarn=True),
    RuntimeInfo("sglang", "SGLang", "vllm", "sglang", mamba_ssm_cache_dtype="float32", yarn=True),
    RuntimeInfo("mlx", "MLX", "mlx", "mlx_lm"),
    RuntimeInfo("lm-studio", "LM Studio", "llama.cpp", "lms", gguf=True, engines={"mlx": "mlx"}),
)
BY_SLUG = {r.slug: r for r in RUNTIMES}


def loads_checkpoint(slug: str | None) -> bool:
    """Whether the runtime loads the publisher's checkpoint (safetensors), not a GGUF: how it holds an
    MXFP4 model (catalog.models.Quantization.widths). An unknown or no runtime: a GGUF's."""
    info = BY_SLUG.get(slug or "")
    return info is not None and not info.gguf


def engine_runtime(slug: str, family: str | None = None) -> str:
    """The engine's Workload.runtime for a runtime running a format of this family."""
    info = BY_SLUG[slug]
    return info.engines.get(family or "", info.engine)


# What other modules read: slug -> the engine's name (for the runtime's GGUF or checkpoint formats:
# engine_runtime() for a given family), (slug, label) for a form's choices, slug -> the
# Plan.commands key and back.
ENGINE_RUNTIME = {r.slug: r.engine for r in RUNTIMES}
RUNTIME_CHOICES = [(r.slug, r.label) for r in RUNTIMES]
COMMAND_FOR_RUNTIME = {r.slug: r.command for r in RUNTIMES}
RUNTIME_FOR_COMMAND = {r.command: r.slug for r in RUNTIMES}
FLASH_ATTENTION_OFF = tuple(r.slug for r in RUNTIMES if r.flash_attention_off)  # llama.cpp -fa off, Ollama
