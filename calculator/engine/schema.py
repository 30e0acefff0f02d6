"""Inputs and outputs of the estimation engine: frozen pydantic models, also the JSON API's schema.

Units live in the names: ``*_bytes`` are integers of bytes, ``*_gb_s`` are 10^9 bytes per second,
``*_tflops`` are 10^12 floating-point operations per second, ``*_b`` are billions.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Strategy = Literal[
    "single",
    "layer_split",
    "tensor_parallel",
    "replicas",
    "cpu_offload",
    "expert_offload",
    "rpc_cluster",
]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelSpec(Frozen):
    """A transformer LLM, in the field names of its Hugging Face config.json."""

    slug: str
    name: str
    num_hidden_layers: int = Field(gt=0)
    hidden_size: int = Field(gt=0)
    intermediate_size: int | None = Field(default=None, ge=0)
    num_attention_heads: int = Field(gt=0)
    num_key_value_heads: int = Field(gt=0)
    head_dim: int | None = Field(default=None, gt=0)
    vocab_size: int = Field(gt=0)
    tie_word_embeddings: bool = False
    total_params_b: float = Field(gt=0)
    active_params_b: float | None = Field(default=None, gt=0)
    max_position_embeddings: int | None = Field(default=None, gt=0)
    # Mixture of experts
    num_experts: int | None = Field(default=None, ge=0)
    num_experts_per_tok: int | None = Field(default=None, ge=0)
    num_shared_experts: int | None = Field(default=None, ge=0)
    moe_intermediate_size: int | None = Field(default=None, ge=0)
    # Sliding-window attention: layers that only keep `sliding_window` tokens of KV cache
    sliding_window: int | None = Field(default=None, gt=0)
    sliding_window_layers: int = Field(default=0, ge=0)
    # Multi-head latent attention (DeepSeek): the KV cache holds one compressed latent per layer
    kv_lora_rank: int | None = Field(default=None, gt=0)
    qk_rope_head_dim: int | None = Field(default=None, gt=0)

    @property
    def head_dim_or_default(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    @property
    def is_moe(self) -> bool:
        return bool(self.num_experts and self.num_experts > 1)

    @property
    def active_params(self) -> float:
        return (self.active_params_b or self.total_params_b) * 1e9


class QuantSpec(Frozen):
    """A weight format: bits stored per weight, including block scales."""

    slug: str
    name: str
    bits_per_weight: float = Field(gt=0, le=32)


class DeviceSpec(Frozen):
    """One accelerator (a GPU, or the GPU side of a unified-memory machine)."""

    slug: str
    name: str
    memory_bytes: int = Field(gt=0)
    bandwidth_gb_s: float = Field(gt=0)
    fp16_tflops: float | None = Field(default=None, gt=0)
    unified_memory: bool = False
    # Share of memory the GPU may use; macOS wires about 2/3 to 3/4 of unified memory by default.
    gpu_memory_fraction: float = Field(default=1.0, gt=0, le=1)
    backend: Literal["cuda", "rocm", "metal", "vulkan", "sycl", "cpu"] = "cuda"

    @property
    def usable_bytes(self) -> int:
        return int(self.memory_bytes * self.gpu_memory_fraction)


class Workload(Frozen):
    context_tokens: int = Field(default=4096, gt=0)
    batch: int = Field(default=1, gt=0, description="concurrent sequences")
    prompt_tokens: int = Field(default=512, gt=0)
    kv_bytes_per_element: float = Field(default=2.0, gt=0)
    runtime: Literal["llama.cpp"] = "llama.cpp"
    headroom_bytes: int = Field(default=1 << 30, ge=0, description="memory kept free on each device")


class Explanation(Frozen):
    """Why a number is what it is: the glossary entry, the formula and the formula with values."""

    term: str
    formula: str
    substituted: str


class MemoryBreakdown(Frozen):
    weights_bytes: int
    kv_cache_bytes: int
    compute_bytes: int
    overhead_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.compute_bytes + self.overhead_bytes


class DeviceUsage(Frozen):
    gpu: str
    name: str
    layers: int
    weights_bytes: int
    kv_cache_bytes: int
    compute_bytes: int
    overhead_bytes: int
    capacity_bytes: int
    headroom_bytes: int

    @property
    def used_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.compute_bytes + self.overhead_bytes

    @property
    def free_bytes(self) -> int:
        return self.capacity_bytes - self.used_bytes

    @property
    def fits(self) -> bool:
        return self.used_bytes + self.headroom_bytes <= self.capacity_bytes

    @property
    def tight(self) -> bool:
        """Fits, but with less than 10% of the device free: latency creeps up there."""
        return self.fits and self.free_bytes < 0.10 * self.capacity_bytes


class Plan(Frozen):
    strategy: Strategy
    devices: tuple[DeviceUsage, ...]
    decode_tok_s: float | None
    prefill_tok_s: float | None = None
    ttft_s: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def fits(self) -> bool:
        return bool(self.devices) and all(d.fits for d in self.devices)

    @property
    def tight(self) -> bool:
        return self.fits and any(d.tight for d in self.devices)


class Estimate(Frozen):
    engine_version: str
    model: str
    quant: str
    memory: MemoryBreakdown
    plans: tuple[Plan, ...]
    recommended: Strategy | None
    reason: str
    explanations: dict[str, Explanation]

    @property
    def fits(self) -> bool:
        return self.recommended is not None

    @property
    def recommended_plan(self) -> Plan | None:
        return next((p for p in self.plans if p.strategy == self.recommended), None)
