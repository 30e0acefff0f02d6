"""bench/accuracy.py, step 1 of 5: each published row built into engine stages once, and re-timed with
the engine's current constants (so a fit can move them); the constant formula's estimate beside it.

Imported through bench/accuracy.py, which puts the repository and bench/ on the path.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from speed_resolve import (
    batched_submit_dated,
    bf16_gemm_dated,
    coopmat1_gqa_dated,
    float_matvec_dated,
    host_launches_dated,
    integer_dot_dated,
    intel_windows_vulkan,
    moe_fusion_date,
    moe_host_ids_dated,
    narrow_matvec_dated,
    per_query_head_dated,
    q6k_dmmv_dated,
    unfused_moe_kernels,
)
from speed_rows import Measurement

from estimator import Workload, fixed_costs, kv_reads, layouts, memory, plans, prefill, speed, timing

BASELINE_EFFICIENCY = 0.7

# ---- Prediction through the engine ------------------------------------------------------------------

# vLLM's serving benchmark sends 320 ShareGPT prompts at once: while ~65–90 sequences decode, the server
# also prefills the prompts still waiting, so each step carries some prompt tokens per sequence in flight.
# How many (ShareGPT's prompt length over its answer length, as the scheduler interleaves them) is fitted
# on the vLLM rows with the engine's constants; it describes that benchmark, so it lives here.
SERVING = {"prompt_tokens_per_output": 0.301, "sequence_seconds": 216e-6}
# vLLM's chunked prefill processes up to this many prompt tokens per step (max_num_batched_tokens).
VLLM_CHUNK_TOKENS = 8192


# llama.cpp builds before PR 8075 (23 June 2024: "CUDA: use MMQ instead of cuBLAS by default") multiplied
# quantized weights in a prompt batch by dequantizing them to F16 for cuBLAS, which reaches GA100's and GH100's
# wider tensor cores; later builds run llama.cpp's own int8 kernels (MMQ), which do not (speed.full_rate_factor).
# The Llama 3 runs of May 2024 (builds b2778-b2843) and PR 4766's tables (January 2024) are of the first kind.
CUBLAS_PROMPT_SOURCES = (
    "calibration/llama_bench_llama3.json",
    "https://github.com/ggml-org/llama.cpp/pull/4766",
)


def _as_built(row: Measurement, model, stages: list[speed.Stage]) -> list[speed.Stage]:
    """The stages as the row's build ran them, equal stages still one object (`each_stage`): quantized prompt
    products by cuBLAS (`CUBLAS_PROMPT_SOURCES`), Intel's float mat-vec before its integer-dot one
    (`speed_resolve.integer_dot_dated`), SYCL's batched launches (`batched_submit_dated`), CUDA's host-bound
    steps before graphs (`host_launches_dated`), ROCm's KV read once per
    query head (`per_query_head_dated`), Vulkan's V read once per row group (`coopmat1_gqa_dated`), SYCL's BF16
    through an F32 copy (`bf16_gemm_dated`), a prompt's expert lists built on the host (`moe_host_ids_dated`),
    Intel's Windows Vulkan driver (`intel_windows_vulkan`), Intel's Q6_K on the float mat-vec (`q6k_dmmv_dated`),
    RDNA 4's ROCm mat-vec at 1 warp a block (`narrow_matvec_dated`), AMD's and NVIDIA's Vulkan float mat-vec before the
    integer-dot one (`float_matvec_dated`). The engine answers for today's builds on Linux's
    drivers, where none of these holds."""
    date = (row.record or {}).get("date")
    cublas = row.source in CUBLAS_PROMPT_SOURCES
    float_matvec = not integer_dot_dated(date)
    batched = batched_submit_dated(row.device, date)
    host = row.kind == "decode" and host_launches_dated(row.device.backend, row.source, date)
    bf16_gemm = bf16_gemm_dated(row.device.backend, date) and any(s.fmt == "bf16" for s in stages)
    gqa_ratio = model.num_attention_heads / model.num_key_value_heads if model.num_key_value_heads else 1.0
    head_reads = gqa_ratio if per_query_head_dated(row.device.backend, date) else 1.0
    intel_vulkan = any(s.backend == "vulkan_intel" for s in stages)
    windows = intel_windows_vulkan(row.source) and intel_vulkan
    q6k_dmmv = q6k_dmmv_dated(date) and not windows and intel_vulkan
    narrow_matvec = narrow_matvec_dated(date) and any(s.wide_matvec for s in stages)
    dmmv = any(float_matvec_dated(s.fmt, date) and s.dmmv_type and not s.float_matvec for s in stages)
    if coopmat1_gqa_dated(row.device, gqa_ratio, date):
        head_reads = kv_reads.COOPMAT1_KV_READS
    unfused = {
        s.backend: unfused_moe_kernels(
            s.backend, moe_fusion_date(row.record or {}), s.experts_per_tok, model.family
        )
        for s in stages
        if s.moe_layers
    }
    moe_host = row.kind == "prefill" and moe_host_ids_dated(row.device, row.source, row.record or {})
    if not (
        any(unfused.values())
        or cublas
        or moe_host
        or batched
        or host
        or bf16_gemm
        or head_reads != 1.0
        or windows
        or q6k_dmmv
        or narrow_matvec
        or dmmv
        or (float_matvec and any(s.integer_dot for s in stages))
    ):
        return stages
    copies: dict[int, speed.Stage] = {}
    for s in stages:
        copies.setdefault(
            id(s),
            replace(
                s,
                prompt_cublas=cublas and s.backend == "cuda",
                integer_dot=s.integer_dot and not float_matvec,
                batched_submit=batched and s.backend == "sycl",
                host_launches=host and s.backend in ("cuda", "cuda_pascal"),
                bf16_gemm=bf16_gemm and s.backend == "sycl" and s.fmt == "bf16",
                kv_head_reads=head_reads if s.backend in ("rocm", "vulkan") else 1.0,
                unfused_moe_kernels=unfused.get(s.backend, 0) if s.moe_layers else 0,
                moe_host_ids=moe_host and bool(s.moe_layers) and not s.expert_loop,
                intel_windows=windows and s.backend == "vulkan_intel",
                q6k_dmmv=q6k_dmmv and s.backend == "vulkan_intel",
                wide_matvec=s.wide_matvec and not narrow_matvec,
                float_matvec=s.float_matvec or (bool(s.dmmv_type) and float_matvec_dated(s.fmt, date)),
            ),
        )
    return [copies[id(s)] for s in stages]


# llama.cpp PR 6122 ("llama : greatly reduce output buffer memory usage", merged in March 2024: still in review in its
# comment of 19 March) made the graph keep only the rows a batch outputs before the last layer's FFN and the output head
# (`inp_out_ids`, `ggml_get_rows`) and the GPU backends skip the empty nodes that leaves (`ggml_is_empty` in each
# backend's graph loop). A build dated before that review computed the head for every token.
OUTPUT_ROWS_DATE = "2024-03-19"


def one_token_prompt(row: Measurement) -> bool:
    """A llama-bench prompt test run one token a pass (`-ub 1`, `ppN`), which the bench scores as decode, by a build
    that computes the output head only for the tokens a batch outputs (`OUTPUT_ROWS_DATE`; undated rows are of 2025-2026
    pull requests)."""
    record = row.record or {}
    date = record.get("date")
    if date and date < OUTPUT_ROWS_DATE:
        return False
    return str(record.get("n_ubatch")) == "1" and str(record.get("test", "")).startswith("pp")


def _without_output(stages: list[speed.Stage], head_bytes: float) -> list[speed.Stage]:
    """The stages of a one-token-a-pass prompt: no pass but the last asks for logits (llama-bench's batch asks for
    the last token's only), and llama.cpp's graph keeps only the rows it outputs (`inp_out_ids`) before the output
    head, so the other passes read no output head: its bytes and multiply-adds off the stage that holds it."""
    last = stages[-1]
    if not last.output_params:
        return stages
    trimmed = replace(
        last,
        dense_bytes=max(0.0, last.dense_bytes - head_bytes),
        active_params=last.active_params - last.output_params,
        output_params=0.0,
    )
    return [*stages[:-1], trimmed]


@dataclass
class Prepared:
    """A row with its engine stages built once; `predict()` re-times them with the engine's current constants."""

    row: Measurement
    predict: Callable[[], float | None]
    baseline: float | None
    stages: list[speed.Stage]
    dated: bool = (
        False  # `_as_built` changed a stage: the engine's own entry points time today's build instead
    )


def _workload(row: Measurement, batch: int | None = None) -> Workload:
    if row.kind == "decode":
        depth = max(1, row.decode_depth)
        return Workload(
            context_tokens=depth + 1,
            prompt_tokens=depth,
            runtime=row.runtime,
            flash_attention=row.flash_attention is not False,
        )
    if row.kind == "prefill":
        return Workload(
            context_tokens=row.depth + row.tokens,
            prompt_tokens=row.tokens,
            runtime=row.runtime,
            ubatch_tokens=row.ubatch,
            flash_attention=row.flash_attention is not False,
        )
    batch = batch or max(1, round(row.concurrency))
    return Workload(context_tokens=row.depth + 1, prompt_tokens=row.depth, runtime="vllm", batch=batch)


def _bytes_per_token(stages: list[speed.Stage], batch: int = 1) -> float:
    return sum(s.dense_bytes + s.routed_bytes * s.touched_share(batch) for s in stages)


def prepare(row: Measurement) -> Prepared:
    if row.kind == "vllm_tp" and row.concurrency > 1 and row.concurrency % 1:
        return _prepare_between(row)
    return _prepare(row)


def _prepare_between(row: Measurement) -> Prepared:
    """A serving row whose concurrency (throughput × ITL, Little's law) falls between whole sequence counts:
    its step time is interpolated between the two counts' and its throughput is concurrency ÷ step. Rounding
    instead would move a 1.5-sequence row's estimate by a third."""
    lo = int(row.concurrency)
    low, high, share = _prepare(row, lo), _prepare(row, lo + 1), row.concurrency - lo

    def predict() -> float | None:
        a, b = low.predict(), high.predict()
        if not a or not b:
            return None
        return row.concurrency / ((1 - share) * lo / a + share * (lo + 1) / b)

    base = (1 - share) * (low.baseline or 0) + share * (high.baseline or 0)
    return Prepared(row, predict, base or None, high.stages, low.dated or high.dated)


def _prepare(row: Measurement, batch: int | None = None) -> Prepared:
    model, quant, w = row.model, row.quant, _workload(row, batch)
    kw = {"model": model, "quant": quant, "workload": w}
    devices = [row.device] * row.count
    if row.kind == "vllm_tp":
        layout = layouts.tensor_parallel_layout(devices=devices, **kw)
    elif row.count > 1:
        layout = layouts.layer_split_layout(devices=devices, **kw)
    else:
        layout = layouts.single_layout(devices=devices, **kw)
    _, today = plans.run_layout(layout, **kw)
    stages = _as_built(row, model, today)
    dated = stages is not today
    if row.kind == "decode" and one_token_prompt(row):
        stages = _without_output(stages, memory.output_bytes(model, quant))
        dated = True
    bw = row.device.bandwidth_gb_s * 1e9
    if row.kind == "vllm_tp" and row.single_stream:

        def predict_stream() -> float:
            # one request at a time: the decode step the engine's vLLM plan shows, nothing interleaved
            t = timing.tensor_parallel_timing(
                stages, model=model, workload=w, tp=layout.tp, devices=devices, vllm_engine=row.vllm_engine
            )
            return 1 / t.decode_s

        per_rank = max(s.dense_bytes + s.routed_bytes * s.touched_share(1) for s in stages)
        return Prepared(row, predict_stream, BASELINE_EFFICIENCY * bw / per_rank, stages, dated)
    if row.kind == "vllm_tp":

        def predict() -> float:
            t = timing.tensor_parallel_timing(
                stages, model=model, workload=w, tp=layout.tp, devices=devices, vllm_engine=row.vllm_engine
            )
            prompt = w.batch * SERVING["prompt_tokens_per_output"]  # a mean: need not be whole
            prefill_s = max(prefill.prefill_seconds(s, prompt, VLLM_CHUNK_TOKENS) or 0.0 for s in stages)
            return w.batch / (t.decode_batch_s + prefill_s + w.batch * SERVING["sequence_seconds"])

        per_rank = max(s.dense_bytes + s.routed_bytes * s.touched_share(w.batch) for s in stages)
        return Prepared(row, predict, w.batch * BASELINE_EFFICIENCY * bw / per_rank, stages, dated)
    gb_s, lat = timing.link(w, devices)

    def hops() -> list[timing.Hop]:  # built when timed: the hand-off time is a fitted constant
        return [timing.Hop(gb_s, lat, fixed_costs.handoff_seconds(s)) for s in stages[:-1]]

    if row.kind == "decode":

        def predict() -> float:
            return 1 / timing.sequential_step_seconds(stages, hops(), model.hidden_size, 1, w.prompt_tokens)

        return Prepared(row, predict, BASELINE_EFFICIENCY * bw / _bytes_per_token(stages), stages, dated)

    def predict_prefill() -> float | None:
        t = timing.sequential_prefill_seconds(
            stages, w, hops(), model.hidden_size, row.depth, pipelined=len(stages) > 1
        )
        return row.tokens / t if t else None

    flops = row.device.fp16_tflops
    baseline = flops * 1e12 / (2 * model.active_params) if flops else None
    return Prepared(row, predict_prefill, baseline, stages, dated)


def engine_prediction(row: Measurement) -> float | None:
    """The same number through the engine's public entry points, to check that `prepare` times it alike."""
    model, quant, w = row.model, row.quant, _workload(row)
    devices = [row.device] * row.count
    if row.kind == "vllm_tp":
        plan = plans.tensor_parallel(model=model, quant=quant, workload=w, devices=devices)
        return None  # the interleaved prompts are the bench's, not the plan's
    if row.kind == "prefill" and row.depth:
        return None  # a plan's prompt starts a conversation: no depth to give it
    builder = plans.layer_split if row.count > 1 else plans.single
    plan = builder(model=model, quant=quant, workload=w, devices=devices)
    return plan.decode_tok_s if row.kind == "decode" else plan.prefill_tok_s
