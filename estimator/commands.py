"""Launch commands matching a plan: llama-server, Ollama, vLLM, SGLang, mlx_lm.server, and LM Studio's
`lms` (commands_lms.py).

A command names the model's published weights in the chosen format (`ModelSpec.artifacts`, the
catalog's, passed in as data); where none is published it makes them from the model's own checkpoint
(llama.cpp's converter and llama-quantize, commands_gguf.py; mlx_lm.convert), and where that cannot
work either the tool gets no command and `unavailable()` says why (a `Reason`). Only a model the
site knows no weights of (the visitor's own) gets a placeholder path for their own file. A command carries
the plan's choices: context, concurrent sequences, GPU layers, split mode and ratios, experts kept in
RAM, KV cache type, flash attention, parallel sizes, the memory share vLLM and SGLang pre-allocate,
RPC hosts, Ollama's context and environment.

Every flag is one the tool documents (tests/engine/test_commands.py parses each command against these
tables):
- llama-server: ggml-org/llama.cpp tools/server/README.md (generated from common/arg.cpp) at
  00dc8057ab28c9cb4c79a6dd6dfce07fe779f63b: -hf <user>/<model>[:quant], -hff/--hf-file, --no-mmproj, -m, -c,
  -np, -ngl, -sm {none,layer,row,tensor}, -ts, -mg, -ncmoe/--n-cpu-moe, -fa [on|off|auto], -ctk, -ctv,
  --rpc, -fit [on|off], --port, --rope-scaling {none,linear,yarn}, --rope-scale, --yarn-orig-ctx. docs/multi-gpu.md at 5815cb840bfe5be1895c6ca6afcf9ce05d8b486f: `row`
  is deprecated (never emitted here); `tensor` is experimental tensor parallelism that needs flash
  attention, an f16/bf16/f32 KV cache and `-fit off`, and is not implemented for DeepSeek2 (MLA).
  rpc-server: tools/rpc/README.md at 038514c97ad9744275d52a3a4ce7b396e3d86a69 (-H, -p).
- Hugging Face downloads: `hf download <repo> --include <pattern> --local-dir <dir>` (huggingface_hub
  CLI guide, https://huggingface.co/docs/huggingface_hub/guides/cli).
- Ollama: docs/faq.md (OLLAMA_CONTEXT_LENGTH, OLLAMA_FLASH_ATTENTION, OLLAMA_KV_CACHE_TYPE f16/q8_0/q4_0,
  `/set parameter num_ctx`), envconfig/config.go at 4bf0d41c38c7b669bbbd44bf43c08bc4e231432f
  (OLLAMA_NUM_PARALLEL, OLLAMA_SCHED_SPREAD); `ollama run hf.co/<repo>:<quant>` as the Hub's GGUF pages
  print it, for a GGUF in one file (the Hub refuses it a sharded GGUF); a local GGUF, or a folder of a
  GGUF's parts (merged by `ollama create` since v0.30.0: `ollama_parts`), through a Modelfile `FROM` line
  and `ollama create -f` (docs/import.md).
- vLLM: vllm/engine/arg_utils.py at 99d7eb5d6a512cfcc5a2b104f24ebf2d6cda772b (`vllm serve <model>`,
  --tensor-parallel-size, --pipeline-parallel-size, --data-parallel-size, --max-model-len,
  --gpu-memory-utilization, --max-num-seqs, --kv-cache-dtype {auto,bfloat16,fp8,...}, --quantization,
  --hf-overrides: YaRN's `rope_parameters`, https://docs.vllm.ai/en/stable/features/context_extension/);
  over machines --nnodes, --node-rank, --master-addr and --headless: docs/serving/parallelism_scaling.md at
  096bd6a4a109b13698ab85782cc1a3630aa002ee.
- SGLang: docs/advanced_features/server_arguments.md at 004813e1dd464844bd92ddbca5cab8c024a75f78
  (`python -m sglang.launch_server`, --model-path, --tp-size, --pp-size, --dp-size, --context-length,
  --max-running-requests, --kv-cache-dtype {auto,fp8_e5m2,fp8_e4m3,...},
  --quantization, --json-model-override-args: YaRN's `rope_scaling` as Qwen3's model cards give it);
  over machines --nnodes, --node-rank and --dist-init-addr: docs/references/multi_node_deployment/multi_node.md,
  and docs/advanced_features/pipeline_parallelism.md, which runs --tp and --pp-size over --nnodes.
- mlx_lm.server: ml-explore/mlx-lm mlx_lm/server.py main() at ba46244b7f6a77d158479794afac0465046862a9
  (--model, --decode-concurrency; no context flag: the cache grows as needed). mlx_lm.convert, run
  first where no conversion is published: mlx_lm/convert.py configure_parser() at
  d78bf58e217c904ec282ed8da9b947491f78c022 (--hf-path, --mlx-path, -q, --q-bits, --q-group-size);
  `-q` alone makes mlx-community's usual 4-bit, group 64.
- convert_hf_to_gguf.py and llama-quantize: see commands_gguf.py.
"""

import json
import re
import shlex
from collections.abc import Collection

from .artifacts import file_of, in_parts, parts_pattern, placeholder, published, unknown
from .commands_gguf import conversion_blocker, converted
from .commands_lms import LMS_FORMATS, LMS_STRATEGIES, lms, lms_unavailable
from .kv_cache import ollama_one_at_a_time
from .layouts import llama_cpp_splits_tensors, pipeline_stage_layers, sequences_per_replica
from .schema import ArtifactSpec, ModelSpec, Plan, QuantSpec, Reason, Workload
from .strategies import STRATEGIES

LLAMA_CPP_STRATEGIES = set(STRATEGIES) - {"pipeline_parallel"}  # over machines, llama-server's is RPC
SERVER_STRATEGIES = {
    "single",
    "layer_split",
    "tensor_parallel",
    "replicas",
    "pipeline_parallel",
}  # vLLM, SGLang
OLLAMA_STRATEGIES = {"single", "layer_split", "cpu_offload"}
MLX_STRATEGIES = {"single"}

# Which files each tool loads, by the engine's format names (QuantSpec.format): GGUF files hold ggml
# quants, F16/BF16/F32 ("safetensors" here: 16/32-bit floats) and MXFP4; vLLM and SGLang load
# Hugging Face checkpoints; mlx-lm loads MLX conversions and unquantized safetensors.
GGUF_FORMATS = {"gguf", "safetensors", "mxfp4"}
SERVER_FORMATS = {"safetensors", "fp8", "awq", "gptq", "mxfp4"}
MLX_FORMATS = {"mlx", "safetensors"}
# The artifact kinds a Hugging Face checkpoint of each format is published as.
CHECKPOINT_KINDS = {
    "safetensors": ("safetensors",),
    "fp8": ("fp8",),
    "awq": ("awq",),
    "gptq": ("gptq",),
    "mxfp4": ("mxfp4",),
}
# --dtype for a 16/32-bit format served from a checkpoint published in another float width.
DTYPE = {"f16": "float16", "bf16": "bfloat16", "f32": "float32"}
# KV cache types each tool takes (vLLM's and SGLang's "auto" is the model's own 16-bit type).
LLAMA_CPP_KV = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"}
OLLAMA_KV = {"f16", "q8_0", "q4_0"}
UNQUANTIZED_KV = {None, "f32", "f16", "bf16"}
VLLM_KV = {"fp8": "fp8"}
SGLANG_KV = {"fp8": "fp8_e4m3"}
MLX_DECODE_CONCURRENCY = 32  # mlx_lm.server --decode-concurrency default
MLX_BITS = re.compile(r"^mlx-(\d)bit$")  # the catalog's MLX formats: mlx-4bit, mlx-8bit...
MLX_GROUP_SIZE = 64  # mlx_lm.convert's default group (fixtures/catalog/quantizations.json)


# -hf downloads and loads a repository's vision projector (mmproj) beside the model, which the plan does not
# count (a gemma-3 or Qwen3-VL repository's: about 1 GB more on the GPU). llama.cpp's tools/server/README.md at
# 00dc8057 (https://github.com/ggml-org/llama.cpp/blob/00dc8057ab28c9cb4c79a6dd6dfce07fe779f63b/tools/server/README.md),
# -hf: "mmproj is also downloaded automatically if available. to disable, add --no-mmproj". -m loads none unless
# told to (--mmproj).
NO_MMPROJ = "--no-mmproj"


def gguf_unavailable(model: ModelSpec, quant: QuantSpec) -> Reason | None:
    """Why no GGUF of this format can be had (published, or made from the model's own checkpoint)."""
    if published(model, quant, ("gguf",)) is not None or unknown(model):
        return None
    return conversion_blocker(model, quant)


def gguf_model_args(model: ModelSpec, quant: QuantSpec) -> tuple[list[str], list[str]]:
    """(lines to run first, llama-server's model arguments) for the GGUF of this format: the published
    one, else the one the lines make from the model's own checkpoint."""
    a = published(model, quant, ("gguf",))
    if a is None and unknown(model):
        note = placeholder(model, quant, "GGUF", "put your own file's path after -m")
        return [note], ["-m", f"/path/to/{model.slug}-{quant.slug.upper()}.gguf"]
    if a is None:
        lines, path = converted(model, quant)
        return lines, ["-m", path]
    pattern = file_of(a, quant)
    if "/" in pattern:  # one folder per format, split in parts: download the folder, load its first part
        folder = pattern.split("/")[0]
        local = f"models/{a.repo.split('/')[1]}"
        first = pattern.replace("-*.gguf", "-00001-of-*.gguf")
        download = f'hf download {a.repo} --include "{folder}/*" --local-dir {local}'
        return [download], ["-m", f"{local}/{first}"]
    if not a.tag or "{" in a.tag:
        return [], ["-hf", f"{a.repo}:{quant.slug.upper()}", NO_MMPROJ]
    if "*" not in a.tag:  # one named file
        return [], ["-hf", a.repo, "--hf-file", a.tag, NO_MMPROJ]
    # the repository holds this format alone, in parts: -hf takes them all
    return [], ["-hf", a.repo, NO_MMPROJ]


# ---- llama-server -----------------------------------------------------------------------------------


def sequences(plan: Plan, workload: Workload) -> int:
    """The sequences one server runs at once: all of them, or under replicas its copy's share (the
    plan's "N independent copies, M sequence(s) each")."""
    if plan.strategy == "replicas":
        return sequences_per_replica(workload, plan.replicas)
    return workload.batch


def llama_server(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    plan: Plan,
    workload: Workload,
    backends: Collection[str] = ("cuda",),
) -> str | None:
    """`backends`: the devices' (DeviceSpec.backend); CUDA's device order is said only where all are CUDA."""
    kv = workload.kv_cache_type
    order_note = f" ({CUDA_ORDER})" if set(backends) <= {"cuda"} else ""
    if kv not in LLAMA_CPP_KV and kv is not None:
        return None
    if plan.strategy == "tensor_parallel" and (
        kv not in UNQUANTIZED_KV or not llama_cpp_splits_tensors(model) or not workload.flash_attention
    ):
        return None  # --split-mode tensor: flash attention, no quantized KV cache, not every architecture
    before, model_args = gguf_model_args(model, quant)
    slots = sequences(plan, workload)
    args = [*model_args, "-c", str(workload.context_tokens * slots)]  # -c is shared by the -np slots
    if slots > 1:
        args += ["-np", str(slots)]
    args += ["-ngl", str(plan.gpu_layers if plan.gpu_layers is not None else 999)]
    gpus, env = plan.gpu_devices, []
    if plan.strategy in ("single", "replicas"):
        args += ["-sm", "none"]
        if plan.strategy == "single" and plan.gpu_indices and plan.gpu_indices[0]:
            i = plan.gpu_indices[0]
            args += ["-mg", str(i)]  # --main-gpu: "the single GPU used in --split-mode none" (multi-gpu.md)
            before.append(
                f"# -mg {i}: the {gpus[0].name}, GPU {i + 1} as listed here; check its number with "
                f"llama-server --list-devices{order_note}"
            )
    elif plan.strategy == "tensor_parallel":
        args += ["-sm", "tensor", "-fit", "off"]
        before.append("# --split-mode tensor is llama.cpp's experimental tensor parallelism (CUDA, ROCm)")
        if plan.gpu_indices:
            env = [visible_devices(plan)]
            before.append(f"# it runs on every GPU it sees: {env[0]} keeps it to {len(plan.gpu_indices)}")
    else:
        if len(gpus) > 1 or plan.strategy == "rpc_cluster":
            args += ["-sm", "layer"]
        if plan.tensor_split:
            shares = ",".join(f"{r:g}" for r in plan.tensor_split)
            args += ["-ts", shares]
            # llama.cpp hands -ts shares to devices in its own order (multi-gpu.md: "the values follow the order
            # in --device"), and CUDA's is fastest first: with unlike cards the large share could land on the
            # small card and fail to allocate (a review: gpt-oss-120b on a 3060 and a 4090)
            if plan.strategy != "rpc_cluster" and (order := unlike_order(plan)):
                before.append(
                    f"# -ts {shares}: the {order}, in the order llama-server --list-devices prints them; "
                    f"reorder the numbers to match{order_note}"
                )
    if plan.strategy == "expert_offload" and plan.n_cpu_moe is not None:
        args += ["--n-cpu-moe", str(plan.n_cpu_moe)]
    if factor := model.yarn_factor_for(workload.context_tokens):
        args += ["--rope-scaling", "yarn", "--rope-scale", f"{factor:g}", "--yarn-orig-ctx"]
        args.append(str(model.yarn_original_context))
    args += ["-fa", "on" if workload.flash_attention else "off"]
    if kv and kv != "f16":
        args += ["-ctk", kv, "-ctv", kv]
    if plan.strategy == "rpc_cluster":
        hosts = ",".join(f"HOST{h}:50052" for h in range(2, workload.hosts + 1))
        args += ["--rpc", hosts]
        # --rpc and rpc-server exist only in a build with the RPC backend, on every machine; the README warns
        # never to run rpc-server on an open network (tools/rpc/README.md at 038514c9)
        before += [
            "# every machine: llama.cpp built with -DGGML_RPC=ON beside its GPU's flag (cmake -B build "
            "-DGGML_RPC=ON -DGGML_CUDA=ON, say); without it llama-server refuses --rpc",
            "# on every other machine, on a private network only (rpc-server has no authentication): "
            "rpc-server -H 0.0.0.0 -p 50052 (HOST2... are their addresses)",
        ]
    if plan.strategy == "replicas":
        before.append("# one server per GPU, each on its own port: put a load balancer in front")
        lines = [
            " ".join(["llama-server", *args, "-mg", str(i), "--port", str(8080 + i), "&"])
            for i in range(plan.replicas)
        ]
        return "\n".join([*before, *lines])
    return "\n".join([*before, " ".join([*env, "llama-server", *args])])


# How CUDA programs number GPUs unless told otherwise (CUDA_DEVICE_ORDER: FASTEST_FIRST by default, PCI_BUS_ID
# nvidia-smi's order; CUDA_VISIBLE_DEVICES takes nvidia-smi's numbers: CUDA Programming Guide, "CUDA Environment
# Variables", https://docs.nvidia.com/cuda/archive/13.4.3/cuda-programming-guide/05-appendices/environment-variables.html).
# The GPU numbers and per-GPU shares the commands write follow the visitor's list, which may be neither.
CUDA_ORDER = "CUDA lists the fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID"


def unlike_order(plan: Plan) -> str:
    """The plan's GPUs in the order its per-GPU numbers assume ("the RTX 3060, then RTX 4090"), where they are
    unlike cards, whose order matters; "" where they are alike."""
    gpus = plan.gpu_devices
    return ", then ".join(g.name for g in gpus) if len({g.name for g in gpus}) > 1 else ""


def visible_devices(plan: Plan) -> str:
    """The environment setting that shows a program only the plan's GPUs. CUDA_VISIBLE_DEVICES: llama.cpp's
    multi-gpu.md ("As for any CUDA program ... llama.cpp only sees the specified GPUs"), and on AMD's HIP
    too ("HIP_VISIBLE_DEVICES or CUDA_VISIBLE_DEVICES ... For portability across different vendors, use
    CUDA_VISIBLE_DEVICES": https://rocm.docs.amd.com/projects/HIP/en/latest/reference/env_variables.html)."""
    return "CUDA_VISIBLE_DEVICES=" + ",".join(str(i) for i in plan.gpu_indices)


# ---- Ollama -----------------------------------------------------------------------------------------


def ollama_unavailable(model: ModelSpec, quant: QuantSpec) -> Reason | None:
    """Why Ollama has no model of this format: none in its library, no GGUF in one file nor in parts it
    can name, none to make."""
    if published(model, quant, ("ollama",)) is not None:
        return None
    a = published(model, quant, ("gguf",), one_file=True)
    if (a is not None and not in_parts(a, model, quant)) or unknown(model) or split_gguf(model, quant):
        return None
    return conversion_blocker(model, quant)


def split_gguf(model: ModelSpec, quant: QuantSpec) -> tuple[ArtifactSpec, str] | None:
    """The published GGUF of this format in parts whose parts the catalog can name, and their pattern."""
    a = published(
        model, quant, ("gguf",), where=lambda a: in_parts(a, model, quant) and bool(parts_pattern(a, quant))
    )
    return None if a is None else (a, parts_pattern(a, quant) or "")


def ollama_parts(a: ArtifactSpec, quant: QuantSpec, pattern: str) -> tuple[list[str], str]:
    """(the lines that download a GGUF's parts into a folder of their own, the folder for a Modelfile's
    FROM). `ollama create` merges them into one model since Ollama 0.30.0 (server/create.go,
    `splitGGUFGroupKey` and `mergeSplitGGUFLayers`, from commit 9db4bdba; a Modelfile's FROM <folder> takes
    the folder's *.gguf, parser/parser.go `filesForModel`); only its hf.co/ pull of parts is refused."""
    name = a.repo.split("/")[1]
    folder, _, _ = pattern.rpartition("/")
    local = f"models/{name}" if folder else f"models/{name}-{quant.slug.upper()}"
    lines = [
        f"# {a.repo} holds it in parts: Ollama 0.30 or later merges them as it creates the model (its "
        "hf.co/ pull refuses a GGUF in parts)",
        f'hf download {a.repo} --include "{pattern}" --local-dir {local}',
    ]
    return lines, f"{local}/{folder}" if folder else local


def ollama_model(model: ModelSpec, quant: QuantSpec) -> tuple[list[str], str]:
    """(lines to run first, the name `ollama run` takes) for this format: the library's tag, the Hub's
    GGUF in one file, its parts downloaded and merged by `ollama create`, else a GGUF made from the model's
    own checkpoint; both imported with a Modelfile."""
    library = published(model, quant, ("ollama",))
    if library is not None:
        return [], f"{library.repo}:{library.tag}"
    a = published(model, quant, ("gguf",), one_file=True)
    if a is not None and not in_parts(a, model, quant):
        return [], f"hf.co/{a.repo}:{quant.slug.upper()}"
    name = f"{model.slug}-{quant.slug}"
    if split := split_gguf(model, quant):
        lines, path = ollama_parts(split[0], quant, split[1])
        path = f"./{path}"
    elif unknown(model):
        where = "import your own file with a Modelfile (Ollama docs/import.md)"
        lines = [placeholder(model, quant, "GGUF in one file", where)]
        path = f"/path/to/{model.slug}-{quant.slug.upper()}.gguf"
    else:
        why = (
            a and f"{a.repo} holds it in parts this site cannot name, and Ollama's hf.co/ pull refuses parts"
        )
        lines, path = converted(model, quant, why)
        path = f"./{path}"
    sizes = [f"{o.repo}:{o.tag}" for o in model.artifacts if o.kind == "ollama"]
    if sizes:  # an aside before the steps, not between a download and its use
        lines.insert(0, f"# Ollama's library has {', '.join(sizes)}, in a format the sources do not state")
    lines.append(f"echo 'FROM {path}' > Modelfile")
    lines.append(f"ollama create {name} -f Modelfile")
    return lines, name


def ollama(*, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload) -> str | None:
    kv = workload.kv_cache_type
    if (kv not in OLLAMA_KV and kv is not None) or model.yarn_factor_for(workload.context_tokens):
        return None  # a KV cache type it lacks; YaRN, which none of its documented settings turns on
    env = [f"OLLAMA_CONTEXT_LENGTH={workload.context_tokens}"]
    serial = workload.batch > 1 and ollama_one_at_a_time(model)
    if workload.batch > 1 and not serial:  # for the others the variable does nothing
        env.append(f"OLLAMA_NUM_PARALLEL={workload.batch}")
    env.append(f"OLLAMA_FLASH_ATTENTION={int(workload.flash_attention)}")
    if kv in ("q8_0", "q4_0"):
        env.append(f"OLLAMA_KV_CACHE_TYPE={kv}")
    if plan.strategy == "layer_split":
        env.append("OLLAMA_SCHED_SPREAD=1")
    before, name = ollama_model(model, quant)
    restart = "# the server reads these settings when it starts: quit a running Ollama app or service first"
    lines = [restart]
    if serial:
        lines.append(
            f"# Ollama runs {model.name} one request at a time (its architecture ignores OLLAMA_NUM_PARALLEL): "
            f"the {workload.batch} conversations wait their turn"
        )
    if plan.gpu_indices and plan.gpu_indices[0]:
        # docs/gpu.mdx, "GPU Selection": a variable per vendor, which the command cannot tell apart
        i = plan.gpu_indices[0]
        lines.append(
            f"# to keep Ollama to the {plan.gpu_devices[0].name} (GPU {i + 1} as listed here), start it with "
            f"CUDA_VISIBLE_DEVICES={i} on NVIDIA, ROCR_VISIBLE_DEVICES={i} on AMD"
        )
    lines += [f"{' '.join(env)} ollama serve &", *before, f"ollama run {name}"]
    if plan.strategy == "cpu_offload" and plan.gpu_layers is not None:
        lines.append(f"# in the session: /set parameter num_gpu {plan.gpu_layers}")
    return "\n".join(lines)


# ---- vLLM and SGLang --------------------------------------------------------------------------------


def checkpoint(model: ModelSpec, quant: QuantSpec, tool: str) -> tuple[list[str], str, list[str]] | None:
    """(comment lines, the checkpoint to serve, extra arguments) for vLLM or SGLang; None when no
    checkpoint of this format is published and the server makes none as it loads."""
    a = published(model, quant, CHECKPOINT_KINDS.get(quant.format, ()))
    if a is not None:
        return [], a.repo, []
    floats = next((b for b in model.artifacts if b.kind == "safetensors" and b.formats), None)
    if floats is not None and quant.slug in DTYPE:  # the same weights in another float width
        return [], floats.repo, ["--dtype", DTYPE[quant.slug]]
    if floats is not None and quant.format == "fp8":  # both quantize 16-bit weights to FP8 as they load
        note = f"# No published FP8 checkpoint of {model.name} is known to this site: {tool} quantizes "
        return [note + "the 16-bit weights to FP8 as it loads them"], floats.repo, ["--quantization", "fp8"]
    if unknown(model):  # the visitor's own model: their own directory
        where = (
            f"put your own checkpoint's directory after {'vllm serve' if tool == 'vLLM' else '--model-path'}"
        )
        note = placeholder(model, quant, "checkpoint", where)
        return [note], f"/path/to/{model.slug}-{quant.slug}", []
    return None


def checkpoint_unavailable(model: ModelSpec, quant: QuantSpec, tool: str) -> Reason | None:
    if checkpoint(model, quant, tool) is not None:
        return None
    return Reason(code="no_checkpoint", values={"quant": quant.name, "model": model.name, "tool": tool})


SERVER_NAMES = {"vllm": "vLLM", "sglang": "SGLang"}
# Each server's spelling of the same choices (vLLM's engine args; SGLang's server arguments).
SERVER_FLAGS = {
    "vllm": {
        "tp": "--tensor-parallel-size",
        "pp": "--pipeline-parallel-size",
        "dp": "--data-parallel-size",
        "context": "--max-model-len",
        "memory": "--gpu-memory-utilization",
        "sequences": "--max-num-seqs",
    },
    "sglang": {
        "tp": "--tp-size",
        "pp": "--pp-size",
        "dp": "--dp-size",
        "context": "--context-length",
        # no --mem-fraction-static: it is (weights + KV pool) / memory, activations and CUDA graphs left out
        # (python/sglang/srt/server_args.py, _handle_gpu_memory_settings), where vLLM's 0.92 counts them in, so
        # 0.92 there left half the room SGLang reserves itself (a review: ~3.7 GiB on a 4090, 10 GiB or more
        # above 60 GB). SGLang's own default leaves the KV pool about what the plan sizes with vLLM's budget.
        "memory": "",
        "sequences": "--max-running-requests",
    },
}


def checkpoint_server(
    tool: str, *, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload
) -> str | None:
    """`vllm serve <checkpoint>` or `python -m sglang.launch_server --model-path <checkpoint>`, with the
    plan's parallel sizes, the context, the memory share both pre-allocate and the KV cache type."""
    kv_types = VLLM_KV if tool == "vllm" else SGLANG_KV
    kv = workload.kv_cache_type
    if kv not in UNQUANTIZED_KV and kv not in kv_types:
        return None
    flags = SERVER_FLAGS[tool]
    found = checkpoint(model, quant, SERVER_NAMES[tool])
    if found is None:
        return None
    before, repo, extra = found
    if tool == "vllm":
        args = ["vllm", "serve", repo, *extra]
    else:
        args = ["python", "-m", "sglang.launch_server", "--model-path", repo, *extra]
    if plan.tensor_parallel_size > 1:
        args += [flags["tp"], str(plan.tensor_parallel_size)]
    if plan.strategy in ("layer_split", "pipeline_parallel"):
        args += [flags["pp"], str(plan.pipeline_parallel_size)]
    if plan.strategy == "replicas":
        args += [flags["dp"], str(plan.replicas)]
    args += [flags["context"], str(workload.context_tokens)]
    if flags["memory"]:
        args += [flags["memory"], f"{workload.gpu_memory_utilization:g}"]
    # vLLM starts one engine, with its own scheduler, per data-parallel rank (vllm-project/vllm pull
    # 13923): --max-num-seqs caps each copy. So does SGLang's --max-running-requests: a worker divides it
    # by --dp-size only under DP attention (python/sglang/srt/managers/tp_worker.py: `max_running_requests
    # // (dp_size if enable_dp_attention else 1)`), which these commands do not turn on.
    seqs = sequences(plan, workload)
    if seqs > 1:
        args += [flags["sequences"], str(seqs)]
    if kv in kv_types:
        args += ["--kv-cache-dtype", kv_types[kv]]
    if factor := model.yarn_factor_for(workload.context_tokens):
        args += yarn_override(tool, model, factor)
        if tool == "sglang":  # past the context SGLang derives from config.json: allowed only when told
            args.insert(0, f"{SGLANG_LONGER_CONTEXT}=1")
    if plan.strategy == "single" and plan.gpu_indices and plan.gpu_indices[0]:
        args.insert(0, visible_devices(plan))  # both start on the first GPU they see
        i = plan.gpu_indices[0]
        name = plan.gpu_devices[0].name
        before.append(f"# GPU {i}: the {name}, GPU {i + 1} as listed here; its number is nvidia-smi -L's")
    if partition := stage_layers(plan, tool):
        layers = ",".join(map(str, partition))
        args.insert(0, f"{tool.upper()}_PP_LAYER_PARTITION={layers}")
        # a machine's stages in CUDA's device order
        if plan.strategy == "layer_split" and (order := unlike_order(plan)):
            before.append(f"# {layers} layers: the {order}, in CUDA's order; reorder to match ({CUDA_ORDER})")
    if plan.strategy == "pipeline_parallel":
        before.append(
            "# run line N on machine N; HOST1 is the first machine's address, which the others reach"
        )
        lines = [" ".join([*args, *node_flags(tool, rank, workload.hosts)]) for rank in range(workload.hosts)]
        return "\n".join([*before, *lines])
    return "\n".join([*before, " ".join(args)])


def stage_layers(plan: Plan, tool: str) -> list[int] | None:
    """The layers of each pipeline stage where the plan deals them otherwise than the server would, for
    VLLM_PP_LAYER_PARTITION or SGLANG_PP_LAYER_PARTITION: both read it first in `get_pp_indices`
    (vllm/distributed/utils.py; sglang's python/sglang/srt/distributed/utils.py), and without it deal
    equal shares, vLLM the remainder to the stages before the last (layouts.pipeline_stage_layers), SGLang
    to the last ones. A stage is a GPU, or a machine's tensor-parallel ranks."""
    if plan.strategy not in ("layer_split", "pipeline_parallel"):
        return None
    gpus = plan.gpu_devices
    if plan.strategy == "pipeline_parallel":  # a machine's ranks hold its stage's layers alike
        counts = list({d.host: d.layers for d in gpus}.values())
    else:
        counts = [d.layers for d in gpus]
    dealt = pipeline_stage_layers(sum(counts), len(counts))
    return None if counts == (dealt if tool == "vllm" else sorted(dealt)) else counts


# The port SGLang's multi-node examples give --dist-init-addr (docs/references/multi_node_deployment/multi_node.md)
SGLANG_DIST_PORT = 20000


def node_flags(tool: str, rank: int, nodes: int) -> list[str]:
    """The flags that make one machine of several its rank of one server. vLLM without Ray: --nnodes,
    --node-rank, --master-addr, the machines past the first --headless (layouts.VLLM_MULTI_NODE, "Running vLLM
    with MultiProcessing"); SGLang: --nnodes, --node-rank, --dist-init-addr (layouts.SGLANG_PIPELINE_PARALLEL)."""
    common = ["--nnodes", str(nodes), "--node-rank", str(rank)]
    if tool == "vllm":
        return [*common, "--master-addr", "HOST1", *(["--headless"] if rank else [])]
    return [*common, "--dist-init-addr", f"HOST1:{SGLANG_DIST_PORT}"]


# SGLang derives a model's longest context from config.json, its max_position_embeddings where rope_scaling names
# an original context (Qwen3: 40,960), and refuses a longer --context-length unless this is set, as Qwen's SGLang
# YaRN commands set it beside the override (sglang's model_config.get_context_length and its check).
SGLANG_LONGER_CONTEXT = "SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN"


def yarn_override(tool: str, model: ModelSpec, factor: float) -> list[str]:
    """The flag and JSON that turn YaRN on in vLLM or SGLang, quoted for the shell. vLLM: `--hf-overrides`
    with `rope_parameters` (its `--rope-scaling` is gone: docs.vllm.ai/en/stable/features/context_extension/,
    which repeats rope_theta in it); SGLang: `--json-model-override-args` with `rope_scaling`, as Qwen3's
    model cards give it (https://huggingface.co/Qwen/Qwen3-8B, "Processing Long Texts")."""
    scaling = {
        "rope_type": "yarn",
        "factor": factor,
        "original_max_position_embeddings": model.yarn_original_context,
    }
    if tool == "vllm":
        theta = {"rope_theta": model.rope_theta} if model.rope_theta else {}
        return ["--hf-overrides", shlex.quote(json.dumps({"rope_parameters": scaling | theta}))]
    return ["--json-model-override-args", shlex.quote(json.dumps({"rope_scaling": scaling}))]


def vllm_serve(**kw) -> str | None:
    return checkpoint_server("vllm", **kw)


def sglang(**kw) -> str | None:
    return checkpoint_server("sglang", **kw)


# ---- mlx_lm.server ----------------------------------------------------------------------------------


# The original checkpoints mlx_lm.convert quantizes: 16/32-bit safetensors, and gpt-oss's MXFP4 release
# ("converted to MLX format from openai/gpt-oss-120b using mlx-lm version 0.26.3", `-q --q-bits 4`:
# https://huggingface.co/sealad886/gpt-oss-120b-MLX-native/blob/c6a14b351abeb050db0b7a6534738a53d56bbae4/README.md).
MLX_CONVERTS = ("safetensors", "mxfp4")


def mlx_convert(model: ModelSpec, quant: QuantSpec, path: str) -> str | None:
    """The `mlx_lm.convert` line that quantizes the model's original weights (a catalog artifact of a kind
    it reads, `MLX_CONVERTS`) to this MLX width into `path`; None when the original or the width is unknown."""
    original = next((a for a in model.artifacts if a.kind in MLX_CONVERTS and a.formats), None)
    bits = MLX_BITS.match(quant.slug)
    if original is None or quant.format != "mlx" or not bits:
        return None
    width = ["-q", "--q-bits", bits[1], "--q-group-size", str(MLX_GROUP_SIZE)]
    return " ".join(["mlx_lm.convert", "--hf-path", original.repo, *width, "--mlx-path", path])


def mlx_model(model: ModelSpec, quant: QuantSpec) -> tuple[list[str], str] | None:
    """(lines to run first, what `--model` takes): the published MLX conversion of this width
    (mlx-community's `-4bit` repos...), else the original safetensors for a 16-bit format, else the
    conversion mlx_lm.convert makes from the original 16-bit weights; None when none of these exists."""
    a = published(model, quant, ("mlx", "safetensors"))
    if a is not None:
        return [], a.repo
    if unknown(model):  # the visitor's own model
        path = f"/path/to/{model.slug}-{quant.slug}-mlx"
        what = "conversion" if quant.format == "mlx" else "MLX model"
        lines = [placeholder(model, quant, what, "put your own model's directory after --model")]
        if convert := mlx_convert(model, quant, path):
            lines.append(f"# or make it from the original weights: {convert}")
        return lines, path
    path = f"models/{model.slug}-{quant.slug}"
    if convert := mlx_convert(model, quant, path):
        note = f"# No published {quant.name} conversion of {model.name} is known to this site: make it"
        return [f"{note} from the original weights", convert], path
    return None


def mlx_unavailable(model: ModelSpec, quant: QuantSpec) -> Reason | None:
    if mlx_model(model, quant) is not None:
        return None
    code = "no_mlx_conversion" if quant.format == "mlx" else "no_mlx_weights"
    return Reason(code=code, values={"quant": quant.name, "model": model.name})


def mlx_lm_server(*, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload) -> str | None:
    """`mlx_lm.server --model <repo or directory>` (mlx_model()), run after the lines that make it."""
    if workload.kv_cache_type not in UNQUANTIZED_KV:
        return None  # mlx-lm's KV quantization is its own, not a ggml type
    if model.yarn_factor_for(workload.context_tokens):
        return None  # mlx_lm.server has no flag for YaRN (it reads the config as published)
    found = mlx_model(model, quant)
    if found is None:
        return None
    before, repo = found
    args = ["mlx_lm.server", "--model", repo]
    if workload.batch > MLX_DECODE_CONCURRENCY:
        args += ["--decode-concurrency", str(workload.batch)]
    return "\n".join([*before, " ".join(args)])


# ---- all of them ------------------------------------------------------------------------------------

TOOLS = {
    # tool: (builder, strategies it runs, formats it loads)
    "llama-server": (llama_server, LLAMA_CPP_STRATEGIES, GGUF_FORMATS),
    "ollama": (ollama, OLLAMA_STRATEGIES, GGUF_FORMATS),
    "vllm": (vllm_serve, SERVER_STRATEGIES, SERVER_FORMATS),
    "sglang": (sglang, SERVER_STRATEGIES, SERVER_FORMATS),
    "mlx_lm": (mlx_lm_server, MLX_STRATEGIES, MLX_FORMATS),
    "lms": (lms, LMS_STRATEGIES, LMS_FORMATS),
}


def unavailable(model: ModelSpec, quant: QuantSpec, tool: str) -> Reason | None:
    """Why `tool` gets no command for this model in this format (a `Reason`, one sentence on the site):
    no published weights of the format and no way to make them that works (commands_gguf.py); None when
    it gets one. The one definition the calculator's page and its choices read."""
    formats = TOOLS[tool][2]
    if quant.format not in formats:
        return None  # the tool does not load the format at all: the catalog's runtime table says so
    if tool == "llama-server":
        return gguf_unavailable(model, quant)
    if tool == "ollama":
        return ollama_unavailable(model, quant)
    if tool in SERVER_NAMES:
        return checkpoint_unavailable(model, quant, SERVER_NAMES[tool])
    if tool == "lms":
        return lms_unavailable(model, quant)
    return mlx_unavailable(model, quant)


def launch_commands(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    plan: Plan,
    workload: Workload,
    backends: Collection[str] = ("cuda",),
) -> dict[str, str]:
    """Commands per tool that reproduce `plan`; tools that cannot run it (its strategy, its format,
    its KV cache type, weights of the format nobody published nor can make: `unavailable()`) are left
    out. Which tool suits the hardware is the catalog's question. `backends`: the devices' (llama-server's
    comments name CUDA's device order on CUDA alone)."""
    kw = {"model": model, "quant": quant, "plan": plan, "workload": workload}
    out: dict[str, str] = {}
    for tool, (build, strategies, formats) in TOOLS.items():
        if plan.strategy not in strategies or quant.format not in formats:
            continue
        extra = {"backends": backends} if build is llama_server else {}
        if unavailable(model, quant, tool) is None and (command := build(**kw, **extra)):
            out[tool] = command
    return out


def launch_command(
    *, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload, runtime: str
) -> str | None:
    return launch_commands(model=model, quant=quant, plan=plan, workload=workload).get(runtime)
