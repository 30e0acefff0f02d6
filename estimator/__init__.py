"""The estimation engine: pure Python, no Django. `estimate()` is its one entry point for LLMs,
`estimate_diffusion()` for image models."""

from .commands import launch_command, launch_commands
from .diffusion import estimate_diffusion
from .diffusion_schema import (
    DiffusionComponent,
    DiffusionEstimate,
    DiffusionPlan,
    DiffusionSpec,
    DiffusionWorkload,
)
from .diffusion_speed import host_link_gb_s
from .estimate import ENGINE_VERSION, estimate
from .schema import (
    KV_BYTES_PER_ELEMENT,
    STRATEGIES,
    DeviceSpec,
    DeviceUsage,
    Estimate,
    Explanation,
    MemoryBreakdown,
    ModelSpec,
    Plan,
    QuantSpec,
    Suggestion,
    Workload,
)

# Every glossary slug an `Explanation.term` or `Plan.terms` can carry; each has a page on the site.
GLOSSARY_TERMS: frozenset[str] = frozenset(
    {
        "tensor-parallelism",
        "pipeline-parallelism",
        "layer-split",
        "data-parallelism",
        "model-parallelism",
        "expert-parallelism",
        "cpu-offload",
        "moe-expert-offload",
        "component-offload",
        "rpc-clustering",
        "request-routing",
        "kv-cache",
        "gqa",
        "mla",
        "sliding-window-attention",
        "context-length",
        "quantization",
        "bits-per-weight",
        "vram",
        "memory-bandwidth",
        "nvlink",
        "pcie",
        "all-reduce",
        "pipeline-bubble",
        "prefill",
        "decode",
        "time-to-first-token",
        "continuous-batching",
        "headroom",
        "compute-buffer",
        "roofline",
        "denoising-loop",
        "mixture-of-experts",
        "runtime-overhead",
        "model-weights",
    }
)

__all__ = [
    "ENGINE_VERSION",
    "GLOSSARY_TERMS",
    "KV_BYTES_PER_ELEMENT",
    "STRATEGIES",
    "DeviceSpec",
    "DeviceUsage",
    "DiffusionComponent",
    "DiffusionEstimate",
    "DiffusionPlan",
    "DiffusionSpec",
    "DiffusionWorkload",
    "Estimate",
    "Explanation",
    "MemoryBreakdown",
    "ModelSpec",
    "Plan",
    "QuantSpec",
    "Suggestion",
    "Workload",
    "estimate",
    "estimate_diffusion",
    "host_link_gb_s",
    "launch_command",
    "launch_commands",
]
