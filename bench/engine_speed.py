"""How long the engine takes: `estimate()` with and without suggestions, and one page's worth of calls.

    .venv/bin/python bench/engine_speed.py              # every case, 30 repetitions
    .venv/bin/python bench/engine_speed.py -n 100 -k 70b

One calculator page runs `estimate()` once with suggestions (the answer) and 12 times without (the
charts: the same question at 12 context lengths). The budget is 20 ms of server time per page; the
targets are a median "page" under 20 ms and an estimate without suggestions under 1.5 ms.

"warm" repeats the page in one process, as a server does for a model asked about before; "cold page"
first clears the engine's caches (per model and format tables), as for the first question about a model.
The cases and `--distinct` import the engine only, never Django.

Distinct questions, as a server meets them (each asked once, CPU time, not wall-clock):

    source /tmp/devenv.sh NAME && .venv/bin/python bench/engine_speed.py --record /tmp/pages.json.gz
    .venv/bin/python bench/engine_speed.py --distinct /tmp/pages.json.gz

`--record` (Django, against DATABASE_URL with the catalog loaded) builds the calculator's `Question`
for each of tests/golden/questions.py's 320 questions and writes down every engine call its page makes:
`estimate()` with suggestions, then the two charts' points at other contexts and user counts
(`best_plan()`, and `fits()` once a point does not fit, with the flags the charts pass).
`--distinct` (engine only) replays them in one fresh process, each question once and in order, and
prints CPU milliseconds per question (`time.process_time`): median, p90 and the mean, for the whole
page and for the estimate alone. The machine is shared: compare two engines by alternating their runs.
"""

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import estimator as engine  # noqa: E402
from estimator import DeviceSpec, ModelSpec, QuantSpec, Workload, estimate  # noqa: E402
from estimator.units import GIB  # noqa: E402

# ---- Specs: config.json fields (../shared/reference/models.json) and spec sheets -------------------

LLAMA_8B = ModelSpec(
    slug="llama-3.1-8b",
    name="Llama 3.1 8B",
    hf_id="meta-llama/Llama-3.1-8B-Instruct",
    num_hidden_layers=32,
    hidden_size=4096,
    intermediate_size=14336,
    num_attention_heads=32,
    num_key_value_heads=8,
    head_dim=128,
    vocab_size=128256,
    total_params_b=8.03,
    max_position_embeddings=131072,
)
LLAMA_70B = LLAMA_8B.model_copy(
    update={
        "slug": "llama-3.1-70b",
        "name": "Llama 3.1 70B",
        "hf_id": "meta-llama/Llama-3.1-70B-Instruct",
        "num_hidden_layers": 80,
        "hidden_size": 8192,
        "intermediate_size": 28672,
        "num_attention_heads": 64,
        "total_params_b": 70.0,
    }
)
GPT_OSS_120B = ModelSpec(
    slug="gpt-oss-120b",
    name="gpt-oss-120b",
    hf_id="openai/gpt-oss-120b",
    num_hidden_layers=36,
    hidden_size=2880,
    intermediate_size=2880,
    num_attention_heads=64,
    num_key_value_heads=8,
    head_dim=64,
    vocab_size=201088,
    total_params_b=117.0,
    active_params_b=5.1,
    max_position_embeddings=131072,
    num_experts=128,
    num_experts_per_tok=4,
    num_shared_experts=0,
    sliding_window=128,
    sliding_window_layers=18,
)
DEEPSEEK_V3 = ModelSpec(
    slug="deepseek-v3",
    name="DeepSeek-V3",
    hf_id="deepseek-ai/DeepSeek-V3",
    num_hidden_layers=61,
    hidden_size=7168,
    intermediate_size=18432,
    num_attention_heads=128,
    num_key_value_heads=128,
    vocab_size=129280,
    total_params_b=671.0,
    active_params_b=37.0,
    max_position_embeddings=163840,
    num_experts=256,
    num_experts_per_tok=8,
    num_shared_experts=1,
    moe_intermediate_size=2048,
    first_k_dense_replace=3,
    kv_lora_rank=512,
    qk_rope_head_dim=64,
    q_lora_rank=1536,
    qk_nope_head_dim=128,
    v_head_dim=128,
)
QWEN3_30B_A3B = ModelSpec(
    slug="qwen3-30b-a3b",
    name="Qwen3-30B-A3B",
    hf_id="Qwen/Qwen3-30B-A3B",
    num_hidden_layers=48,
    hidden_size=2048,
    intermediate_size=6144,
    num_attention_heads=32,
    num_key_value_heads=4,
    head_dim=128,
    vocab_size=151936,
    total_params_b=30.5,
    active_params_b=3.3,
    max_position_embeddings=40960,
    num_experts=128,
    num_experts_per_tok=8,
    moe_intermediate_size=768,
)

# Whole-file bits per weight, llama.cpp's figures for Llama 3.1 8B where it prints them (rounded).
GGUF_BITS = {
    "f32": 32.0,
    "f16": 16.0,
    "q8_0": 8.5008,
    "q6_k": 6.5633,
    "q5_k_m": 5.6997,
    "q5_k_s": 5.5710,
    "q4_k_m": 4.8944,
    "q4_k_s": 4.6672,
    "q3_k_l": 4.3,
    "q3_k_m": 3.9,
    "q3_k_s": 3.5,
    "q2_k": 3.1593,
    "iq2_xs": 2.4,
    "iq1_m": 1.75,
}
CANDIDATES = tuple(QuantSpec(slug=s, name=s.upper(), bits_per_weight=b) for s, b in GGUF_BITS.items())
QUANTS = {q.slug: q for q in CANDIDATES}
MXFP4 = QuantSpec(slug="mxfp4", name="MXFP4", bits_per_weight=16.0, expert_bits_per_weight=4.25)
AWQ = QuantSpec(slug="awq", name="AWQ 4-bit", bits_per_weight=4.15625, format="awq")

RTX_4090 = DeviceSpec(
    slug="rtx-4090", name="RTX 4090", memory_bytes=24 * GIB, bandwidth_gb_s=1008, fp16_tflops=165.2
)
RTX_3090 = DeviceSpec(
    slug="rtx-3090", name="RTX 3090", memory_bytes=24 * GIB, bandwidth_gb_s=936, fp16_tflops=71.0
)
RTX_3060 = DeviceSpec(
    slug="rtx-3060", name="RTX 3060 12GB", memory_bytes=12 * GIB, bandwidth_gb_s=360, fp16_tflops=51.2
)
H100 = DeviceSpec(
    slug="h100-sxm", name="H100 SXM", memory_bytes=80 * GIB, bandwidth_gb_s=3350, fp16_tflops=989.0
)
M3_MAX = DeviceSpec(
    slug="m3-max-64gb",
    name="M3 Max 64GB",
    memory_bytes=64 * GIB,
    bandwidth_gb_s=400,
    fp16_tflops=28.4,
    unified_memory=True,
    backend="metal",
)


@dataclass(frozen=True)
class Case:
    name: str
    model: ModelSpec
    quant: QuantSpec
    devices: tuple[DeviceSpec, ...]
    workload: Workload = field(default_factory=Workload)


CASES = (
    Case("8B Q4_K_M, 1× 3090", LLAMA_8B, QUANTS["q4_k_m"], (RTX_3090,)),
    Case(
        "70B Q4_K_M, 2× 3090, 8k, RAM",
        LLAMA_70B,
        QUANTS["q4_k_m"],
        (RTX_3090, RTX_3090),
        Workload(context_tokens=8192, ram_bytes=64 * GIB),
    ),
    Case(
        "70B F16, 1× 3060, RAM (no fit)",
        LLAMA_70B,
        QUANTS["f16"],
        (RTX_3060,),
        Workload(ram_bytes=64 * GIB),
    ),
    Case(
        "gpt-oss-120b MXFP4, 4090, RAM",
        GPT_OSS_120B,
        MXFP4,
        (RTX_4090,),
        Workload(context_tokens=16384, ram_bytes=64 * GIB),
    ),
    Case("DeepSeek-V3 Q4_K_M, 8× H100", DEEPSEEK_V3, QUANTS["q4_k_m"], (H100,) * 8),
    Case(
        "Qwen3-30B-A3B Q4_K_M, M3 Max",
        QWEN3_30B_A3B,
        QUANTS["q4_k_m"],
        (M3_MAX,),
        Workload(context_tokens=32768),
    ),
    Case(
        "70B Q4_K_M, 4090 + 3090, 8k",
        LLAMA_70B,
        QUANTS["q4_k_m"],
        (RTX_4090, RTX_3090),
        Workload(context_tokens=8192),
    ),
    Case(
        "70B AWQ vLLM, 2× 3090",
        LLAMA_70B,
        AWQ,
        (RTX_3090, RTX_3090),
        Workload(context_tokens=8192, runtime="vllm"),
    ),
)
# The charts: the same question at these context lengths.
CHART_CONTEXTS = (1024, 2048, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536, 131072)


def clear_caches() -> None:
    """Forget every lru_cache in the engine's modules: the first question about a model."""
    for name, module in list(sys.modules.items()):
        if name.startswith(engine.__name__):
            for obj in vars(module).values():
                if callable(getattr(obj, "cache_clear", None)):
                    obj.cache_clear()


def _ms(start: int) -> float:
    return (time.perf_counter_ns() - start) / 1e6


def run(case: Case, repeat: int) -> dict[str, list[float]]:
    devices = list(case.devices)
    charts = [
        case.workload.model_copy(
            update={"context_tokens": c, "prompt_tokens": min(c, case.workload.prompt_tokens)}
        )
        for c in CHART_CONTEXTS
    ]
    kw = {"model": case.model, "quant": case.quant, "devices": devices, "candidates": CANDIDATES}
    times: dict[str, list[float]] = {"with": [], "without": [], "page": [], "cold page": []}
    estimate(**kw, workload=case.workload)  # warm-up: imports, caches
    for i in range(repeat + 1):
        cold = i == repeat
        if cold:
            clear_caches()
        t = time.perf_counter_ns()
        estimate(**kw, workload=case.workload)
        with_ms = _ms(t)
        chart_ms = 0.0
        for w in charts:
            t = time.perf_counter_ns()
            estimate(**kw, workload=w, with_suggestions=False)
            chart_ms += _ms(t)
        if cold:
            times["cold page"].append(with_ms + chart_ms)
            continue
        t = time.perf_counter_ns()
        estimate(**kw, workload=case.workload, with_suggestions=False)
        times["without"].append(_ms(t))
        times["with"].append(with_ms)
        times["page"].append(with_ms + chart_ms)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


# ---- Distinct questions: the engine calls of real calculator pages, recorded then replayed ---------


def record(path: str) -> None:
    """Write down the engine calls of each golden question's page (Django and the catalog needed)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.http import QueryDict

    from calculator import charts, question
    from calculator.forms import QuestionForm
    from tests.golden.questions import questions

    calls: list[dict] = []

    def recorded(name, function):
        def call(**kw):
            entry = {"call": name, "with_suggestions": kw.get("with_suggestions", True)}
            entry["flags"] = {k: kw[k] for k in ("reasoned", "probe") if k in kw}  # as the chart asked
            entry |= {k: _dump(kw[k]) for k in ("model", "quant", "workload")}
            entry["devices"] = [_dump(d) for d in kw["devices"]]
            entry["candidates"] = [_dump(c) for c in kw.get("candidates") or ()] or None
            calls.append(entry)
            return function(**kw)

        return call

    question.estimate = recorded("estimate", question.estimate)
    charts.fits = recorded("fits", charts.fits)
    charts.best_plan = recorded("best_plan", charts.best_plan)  # the charts' points until one does not fit
    pages = []
    for query in questions():
        form = QuestionForm(QueryDict(query))
        if not form.is_valid():
            continue
        q = question.Question.from_form(form)
        calls.clear()
        try:
            result = q.estimate()
        except question.EngineRefused:
            continue
        charts.speed_vs_context(q, result)
        charts.speed_vs_users(q, result)
        pages.append({"query": query, "calls": list(calls)})
    Path(path).write_bytes(gzip.compress(json.dumps(pages).encode(), mtime=0))
    print(f"{len(pages)} pages, {sum(len(p['calls']) for p in pages)} engine calls -> {path}")


def _dump(spec) -> dict:
    """A spec as JSON, with the object's id: the replay passes one object where the page passed one
    (each chart builds its specs once for all its points; each request builds them anew)."""
    return {"id": id(spec), "fields": spec.model_dump(mode="json")}


def _specs(call: dict, built: dict) -> dict:
    """The keyword arguments of one recorded call, as spec objects shared as the page shared them.
    `built`: the page's objects so far, by recorded id and fields (an id may be reused once freed)."""

    def spec(cls, dumped: dict):
        key = (dumped["id"], json.dumps(dumped["fields"], sort_keys=True))
        if key not in built:
            built[key] = cls.model_validate(dumped["fields"])
        return built[key]

    kw: dict = {
        "model": spec(engine.ModelSpec, call["model"]),
        "quant": spec(engine.QuantSpec, call["quant"]),
        "devices": [spec(engine.DeviceSpec, d) for d in call["devices"]],
        "workload": spec(engine.Workload, call["workload"]),
    }
    if call["call"] == "estimate":
        kw["with_suggestions"] = call["with_suggestions"]
        kw["candidates"] = [spec(engine.QuantSpec, c) for c in call["candidates"] or ()] or None
    return kw | call.get("flags", {})


def distinct(path: str, limit: int | None) -> None:
    """CPU time of each recorded page's engine calls, each page once, in order, in this fresh process."""
    from estimator.estimate import best_plan
    from estimator.ranking import fits

    pages = json.loads(gzip.decompress(Path(path).read_bytes()))[:limit]
    function = {"estimate": estimate, "fits": fits, "best_plan": best_plan}
    page_ms, estimate_ms = [], []
    for page in pages:
        built: dict = {}
        kws = [(call["call"], _specs(call, built)) for call in page["calls"]]  # built before the timing
        total = 0.0
        for name, kw in kws:
            t = time.process_time()
            function[name](**kw)
            spent = (time.process_time() - t) * 1e3
            total += spent
            if name == "estimate":
                estimate_ms.append(spent)
        page_ms.append(total)

    def summary(values: list[float]) -> str:
        p90 = statistics.quantiles(values, n=10, method="inclusive")[-1]
        return (
            f"median {statistics.median(values):6.2f}  p90 {p90:6.2f}  mean {statistics.fmean(values):6.2f}"
        )

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{len(pages)} distinct pages, CPU ms (load average {load})")
    print(f"  page (estimate + charts' points): {summary(page_ms)}")
    print(f"  estimate with suggestions:      {summary(estimate_ms)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--repeat", type=int, default=30, help="repetitions per case")
    parser.add_argument("-k", default="", help="only cases whose name contains this (case-insensitive)")
    parser.add_argument("--record", metavar="FILE", help="write the golden questions' engine calls (Django)")
    parser.add_argument("--distinct", metavar="FILE", help="replay recorded pages, each once: CPU ms")
    parser.add_argument("--limit", type=int, help="only the first LIMIT recorded pages")
    args = parser.parse_args()
    if args.record:
        record(args.record)
        return
    if args.distinct:
        distinct(args.distinct, args.limit)
        return
    cases = [c for c in CASES if args.k.lower() in c.name.lower()]
    print(f"{'case':<34} {'with sugg.':>16} {'without':>14} {'page (1+12)':>16} {'cold page':>10}")
    print(f"{'':<34} {'median   p95':>16} {'median  p95':>14} {'median   p95':>16} {'':>10}  ms")
    worst_page = worst_without = 0.0
    for case in cases:
        t = run(case, args.repeat)
        med = {k: statistics.median(v) for k, v in t.items()}
        worst_page = max(worst_page, med["page"])
        worst_without = max(worst_without, med["without"])
        print(
            f"{case.name:<34} {med['with']:7.2f} {p95(t['with']):7.2f}  {med['without']:6.2f} "
            f"{p95(t['without']):6.2f}  {med['page']:7.2f} {p95(t['page']):7.2f}  {med['cold page']:9.2f}"
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nload average {load} on {os.cpu_count()} CPUs (other work on the machine inflates these times)")
    print(
        f"slowest median page {worst_page:.2f} ms (target < 20), slowest median estimate without "
        f"suggestions {worst_without:.2f} ms (target < 1.5)"
    )


if __name__ == "__main__":
    main()
