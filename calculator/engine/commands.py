"""Launch commands matching a plan: llama-server, vllm serve, Ollama, mlx_lm.server."""

from .schema import ModelSpec, Plan, QuantSpec, Workload

LLAMA_CPP_STRATEGIES = {
    "single",
    "layer_split",
    "tensor_parallel",
    "replicas",
    "cpu_offload",
    "expert_offload",
    "rpc_cluster",
}
VLLM_STRATEGIES = {"single", "layer_split", "tensor_parallel", "replicas"}
OLLAMA_STRATEGIES = {"single", "layer_split", "cpu_offload"}
# vLLM's --kv-cache-dtype values for our KV types
VLLM_KV = {"fp8": "fp8", "q8_0": "fp8"}


def _gguf_ref(model: ModelSpec, quant: QuantSpec) -> str:
    repo = model.hf_id or model.slug
    return f"{repo}-GGUF:{quant.slug.upper()}" if quant.format == "gguf" else repo


def llama_server(*, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload) -> str:
    ctx = workload.context_tokens * workload.batch
    parts = ["llama-server", "-hf", _gguf_ref(model, quant), "-c", str(ctx)]
    if workload.batch > 1:
        parts += ["-np", str(workload.batch)]
    parts += ["-ngl", str(plan.gpu_layers if plan.gpu_layers is not None else 999)]
    if plan.strategy in ("layer_split", "rpc_cluster"):
        parts += ["-sm", "layer"]
        if plan.tensor_split:
            parts += ["-ts", ",".join(f"{r:g}" for r in plan.tensor_split)]
    elif plan.strategy == "tensor_parallel":
        parts += ["-sm", "row"]
    elif plan.strategy in ("single", "replicas") and len(plan.gpu_devices) >= 1:
        parts += ["-sm", "none"]
    if plan.strategy == "expert_offload" and plan.n_cpu_moe is not None:
        parts += ["--n-cpu-moe", str(plan.n_cpu_moe)]
    parts += ["-fa", "on" if workload.flash_attention else "off"]
    kv = workload.kv_cache_type
    if kv and kv not in ("f16", "fp8"):
        parts += ["-ctk", kv, "-ctv", kv]
    if plan.strategy == "rpc_cluster":
        parts += ["--rpc", ",".join(f"HOST{h}:50052" for h in range(2, workload.hosts + 1))]
    command = " ".join(parts)
    if plan.strategy == "replicas":
        command = f"# one server per GPU, each with CUDA_VISIBLE_DEVICES=<i> and its own --port\n{command}"
    if plan.strategy == "rpc_cluster":
        command = f"# on every other machine: rpc-server --host 0.0.0.0 -p 50052\n{command}"
    return command


def vllm_serve(*, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload) -> str:
    parts = ["vllm", "serve", model.hf_id or model.slug]
    if plan.tensor_parallel_size > 1:
        parts += ["--tensor-parallel-size", str(plan.tensor_parallel_size)]
    if plan.strategy == "layer_split":
        parts += ["--pipeline-parallel-size", str(plan.pipeline_parallel_size)]
    if plan.strategy == "replicas":
        parts += ["--data-parallel-size", str(plan.replicas)]
    parts += [
        "--max-model-len",
        str(workload.context_tokens),
        "--gpu-memory-utilization",
        f"{workload.gpu_memory_utilization:g}",
    ]
    if workload.batch > 1:
        parts += ["--max-num-seqs", str(workload.batch)]
    kv = VLLM_KV.get(workload.kv_cache_type or "")
    if kv:
        parts += ["--kv-cache-dtype", kv]
    return " ".join(parts)


def ollama(*, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload) -> str:
    env = [f"OLLAMA_CONTEXT_LENGTH={workload.context_tokens}"]
    if workload.batch > 1:
        env.append(f"OLLAMA_NUM_PARALLEL={workload.batch}")
    if workload.flash_attention:
        env.append("OLLAMA_FLASH_ATTENTION=1")
    kv = workload.kv_cache_type
    if kv in ("q8_0", "q4_0"):
        env.append(f"OLLAMA_KV_CACHE_TYPE={kv}")
    if plan.strategy == "layer_split":
        env.append("OLLAMA_SCHED_SPREAD=1")
    ref = f"hf.co/{_gguf_ref(model, quant)}"
    lines = [f"{' '.join(env)} ollama serve", f"ollama run {ref}"]
    if plan.strategy == "cpu_offload" and plan.gpu_layers is not None:
        lines.append(f"# in the session: /set parameter num_gpu {plan.gpu_layers}")
    return "\n".join(lines)


def mlx_lm_server(*, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload) -> str:
    bits = 4 if quant.bits_per_weight < 6 else 8
    repo = model.hf_id or model.slug
    name = repo.split("/")[-1]
    return f"mlx_lm.server --model mlx-community/{name}-{bits}bit --port 8080"


def launch_commands(*, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload) -> dict[str, str]:
    """Commands per runtime that reproduce `plan`; runtimes that cannot run it are left out."""
    kw = {"model": model, "quant": quant, "plan": plan, "workload": workload}
    out: dict[str, str] = {}
    if plan.strategy in LLAMA_CPP_STRATEGIES and quant.format == "gguf":
        out["llama-server"] = llama_server(**kw)
    if plan.strategy in VLLM_STRATEGIES and (quant.format != "gguf" or workload.runtime == "vllm"):
        out["vllm"] = vllm_serve(**kw)
    if plan.strategy in OLLAMA_STRATEGIES and plan.replicas == 1 and quant.format == "gguf":
        out["ollama"] = ollama(**kw)
    if plan.strategy == "single" and workload.runtime == "mlx":
        out["mlx_lm"] = mlx_lm_server(**kw)
    return out


def launch_command(
    *, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload, runtime: str
) -> str | None:
    return launch_commands(model=model, quant=quant, plan=plan, workload=workload).get(runtime)
