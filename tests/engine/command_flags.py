"""Each launch tool's real flags, transcribed from its documentation, and a parser that reads a launch
command against them: an unknown flag, a flag without its value or a value outside its choices fails.

Sources (the same as estimator/commands.py cites):
- llama-server: ggml-org/llama.cpp tools/server/README.md at 00dc8057ab28c9cb4c79a6dd6dfce07fe779f63b
  (the table generated from common/arg.cpp); `-sm row` left out of the choices: docs/multi-gpu.md at
  5815cb840bfe5be1895c6ca6afcf9ce05d8b486f marks it deprecated.
- hf download: https://huggingface.co/docs/huggingface_hub/guides/cli
- vllm serve: vllm-project/vllm vllm/engine/arg_utils.py at 99d7eb5d6a512cfcc5a2b104f24ebf2d6cda772b,
  vllm/config/cache.py CacheDType; over machines docs/serving/parallelism_scaling.md at
  096bd6a4a109b13698ab85782cc1a3630aa002ee (--nnodes, --node-rank, --master-addr, --headless).
- SGLang: sgl-project/sglang docs/advanced_features/server_arguments.md at
  004813e1dd464844bd92ddbca5cab8c024a75f78; over machines docs/references/multi_node_deployment/multi_node.md
  (--nnodes, --node-rank, --dist-init-addr).
- mlx_lm.server: ml-explore/mlx-lm mlx_lm/server.py main() at ba46244b7f6a77d158479794afac0465046862a9.
- Ollama: envconfig/config.go at 4bf0d41c38c7b669bbbd44bf43c08bc4e231432f and docs/faq.md
  (OLLAMA_CONTEXT_LENGTH); `ollama run`, `ollama serve`, `ollama create -f` (README, docs/import.md).
- convert_hf_to_gguf.py: ggml-org/llama.cpp parse_args() at 0024aa7417efd50a7c2a79e049dfbbbceb0beaaf.
- llama-quantize: ggml-org/llama.cpp tools/quantize/quantize.cpp at
  03161a4eb9a2ec66ef97789f347c5a28279f06ea (usage(): options, `model-f32.gguf [model-quant.gguf] type
  [nthreads]`; QUANT_OPTIONS: the types).
- mlx_lm.convert: ml-explore/mlx-lm mlx_lm/convert.py configure_parser() at
  d78bf58e217c904ec282ed8da9b947491f78c022.
- lms (LM Studio's CLI): `lms load` https://lmstudio.ai/docs/cli/load and lmstudio-ai/lms
  src/subcommands/load.ts at 07b7252d6de26a3a58c1bb80ed7e75a2b17f5eb6 (--gpu off|max|0-1,
  -c/--context-length, --parallel, --ttl, --exact, --identifier, --estimate-only, -y); `lms get`
  https://huggingface.co/docs/hub/lmstudio (a full Hugging Face URL, `@<quantization>`) and
  src/subcommands/get.ts at 019d00cb6eeea0d660543c53584cd43cefe9cdb9; `lms import` src/subcommands/importCmd.ts
  at 05bced0a324d6a277c72bd9b2e6a47d28c3dc107; `lms server start`
  https://lmstudio.ai/docs/cli/server-start (--port, --cors).
"""

import shlex
from dataclasses import dataclass, field

KV_GGML = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"}

# flag -> None (a switch) or the set of values it takes (empty set: any value)
LLAMA_SERVER = {
    **dict.fromkeys(["-m", "--model", "-hf", "-hfr", "--hf-repo", "-hff", "--hf-file"], set()),
    **dict.fromkeys(["-c", "--ctx-size", "-np", "--parallel", "-b", "--batch-size"], set()),
    **dict.fromkeys(["-ub", "--ubatch-size", "-ngl", "--gpu-layers", "--n-gpu-layers"], set()),
    **dict.fromkeys(["-sm", "--split-mode"], {"none", "layer", "tensor"}),
    **dict.fromkeys(["-ts", "--tensor-split", "-mg", "--main-gpu", "-dev", "--device"], set()),
    **dict.fromkeys(["-ncmoe", "--n-cpu-moe", "-ot", "--override-tensor"], set()),
    **dict.fromkeys(["-cmoe", "--cpu-moe", "--jinja", "--no-mmproj"], None),
    **dict.fromkeys(["-fa", "--flash-attn"], {"on", "off", "auto"}),
    **dict.fromkeys(["-ctk", "--cache-type-k", "-ctv", "--cache-type-v"], KV_GGML),
    **dict.fromkeys(["-fit", "--fit"], {"on", "off"}),
    **dict.fromkeys(["--rpc", "--host", "--port", "-t", "--threads", "-a", "--alias"], set()),
    "--rope-scaling": {"none", "linear", "yarn"},
    **dict.fromkeys(["--rope-scale", "--yarn-orig-ctx"], set()),
}
HF_DOWNLOAD = dict.fromkeys(["--include", "--exclude", "--local-dir", "--revision", "--token"], set())
# Options that take one value each time and gather them: hf download's typer list options
# (huggingface_hub cli/download.py: `include`, `exclude` as Optional[list[str]] typer.Option)
REPEATED = {("hf", "download"): {"--include", "--exclude"}}
VLLM_SERVE = {
    **dict.fromkeys(["--tensor-parallel-size", "-tp", "--pipeline-parallel-size", "-pp"], set()),
    **dict.fromkeys(["--data-parallel-size", "-dp", "--max-model-len", "--max-num-seqs"], set()),
    "--gpu-memory-utilization": set(),
    "--kv-cache-dtype": {"auto", "bfloat16", "fp8", "fp8_e4m3", "fp8_e5m2"},
    **dict.fromkeys(["--quantization", "-q"], {"awq", "gptq", "fp8", "bitsandbytes", "gguf", "mxfp4"}),
    "--dtype": {"auto", "half", "float16", "bfloat16", "float", "float32"},
    **dict.fromkeys(["--enable-expert-parallel", "--trust-remote-code"], None),
    "--hf-overrides": set(),  # JSON: https://docs.vllm.ai/en/stable/features/context_extension/
    **dict.fromkeys(["--nnodes", "--node-rank", "--master-addr"], set()),
    "--headless": None,
}
SGLANG = {
    **dict.fromkeys(["--model-path", "--model", "--tp-size", "--tensor-parallel-size"], set()),
    **dict.fromkeys(["--pp-size", "--pipeline-parallel-size", "--dp-size", "--data-parallel-size"], set()),
    **dict.fromkeys(["--context-length", "--mem-fraction-static", "--max-running-requests"], set()),
    "--kv-cache-dtype": {"auto", "fp8_e5m2", "fp8_e4m3", "bf16", "bfloat16", "fp4_e2m1"},
    "--quantization": {"awq", "fp8", "gptq", "mxfp4", "gguf", "bitsandbytes"},
    "--dtype": {"auto", "half", "float16", "bfloat16", "float", "float32"},
    **dict.fromkeys(["--host", "--port", "--json-model-override-args"], set()),
    **dict.fromkeys(["--nnodes", "--node-rank", "--dist-init-addr"], set()),
    "--trust-remote-code": None,
}
MLX_LM_SERVER = {
    **dict.fromkeys(["--model", "--adapter-path", "--host", "--port", "--draft-model"], set()),
    **dict.fromkeys(["--num-draft-tokens", "--max-tokens", "--decode-concurrency"], set()),
    **dict.fromkeys(["--prompt-concurrency", "--prompt-cache-size", "--prompt-cache-bytes"], set()),
    **dict.fromkeys(["--trust-remote-code", "--pipeline", "--use-default-chat-template"], None),
}
OLLAMA_ENV = {
    "OLLAMA_CONTEXT_LENGTH": set(),
    "OLLAMA_NUM_PARALLEL": set(),
    "OLLAMA_FLASH_ATTENTION": {"0", "1"},
    "OLLAMA_KV_CACHE_TYPE": {"f16", "q8_0", "q4_0"},
    "OLLAMA_SCHED_SPREAD": {"0", "1"},
}
# SGLang refuses a context past the one config.json derives (its max_position_embeddings where rope_scaling names
# the original context) unless told: the environment variable Qwen's SGLang YaRN commands set beside the override.
SGLANG_ENV = {"SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN": {"1"}}
# The layers of each pipeline stage, comma-separated: read by get_pp_indices (vllm/distributed/utils.py,
# vllm/envs.py; sglang python/sglang/srt/distributed/utils.py at 1107be112815907371027e0ab2203cb57d91c10e)
PARTITION_ENV = {"VLLM_PP_LAYER_PARTITION": set(), "SGLANG_PP_LAYER_PARTITION": set()}
# The GPUs a CUDA or HIP program sees: llama.cpp's docs/multi-gpu.md,
# https://rocm.docs.amd.com/projects/HIP/en/latest/reference/env_variables.html
DEVICES_ENV = {"CUDA_VISIBLE_DEVICES": set()}
ENVIRONMENT = OLLAMA_ENV | SGLANG_ENV | PARTITION_ENV | DEVICES_ENV
VLLM_PROGRAM, SGLANG_PROGRAM = ("vllm", "serve"), ("python", "-m", "sglang.launch_server")
ENV_PROGRAM = {
    **dict.fromkeys(OLLAMA_ENV, {("ollama", "serve")}),
    **dict.fromkeys(SGLANG_ENV, {SGLANG_PROGRAM}),
    "VLLM_PP_LAYER_PARTITION": {VLLM_PROGRAM},
    "SGLANG_PP_LAYER_PARTITION": {SGLANG_PROGRAM},
    "CUDA_VISIBLE_DEVICES": {("llama-server",), VLLM_PROGRAM, SGLANG_PROGRAM},
}
CONVERT_HF_TO_GGUF = {
    **dict.fromkeys(["--outfile", "--model-name", "--split-max-tensors", "--split-max-size"], set()),
    "--metadata": set(),
    "--outtype": {"f32", "f16", "bf16", "q8_0", "tq1_0", "tq2_0", "auto"},
    **dict.fromkeys(["--vocab-only", "--bigendian", "--use-temp-file", "--no-lazy", "--verbose"], None),
    **dict.fromkeys(["--dry-run", "--no-tensor-first-split", "--print-supported-models", "--remote"], None),
    **dict.fromkeys(["--mmproj", "--mistral-format", "--disable-mistral-community-chat-template"], None),
    **dict.fromkeys(["--sentence-transformers-dense-modules", "--fuse-gate-up-exps"], None),
}
LLAMA_QUANTIZE = {
    **dict.fromkeys(["--allow-requantize", "--leave-output-tensor", "--pure", "--keep-split"], None),
    "--dry-run": None,
    **dict.fromkeys(["--imatrix", "--include-weights", "--exclude-weights", "--output-tensor-type"], set()),
    **dict.fromkeys(["--token-embedding-type", "--tensor-type", "--tensor-type-file"], set()),
    **dict.fromkeys(["--prune-layers", "--override-kv", "--target-bpw", "--target-size"], set()),
}
QUANTIZE_TYPES = {
    "Q1_0", "Q2_0", "Q4_0", "Q4_1", "MXFP4_MOE", "Q5_0", "Q5_1", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M",
    "IQ1_S", "IQ1_M", "TQ1_0", "TQ2_0", "Q2_K", "Q2_K_S", "IQ3_XXS", "IQ3_S", "IQ3_M", "Q3_K", "IQ3_XS",
    "Q3_K_S", "Q3_K_M", "Q3_K_L", "IQ4_NL", "IQ4_XS", "Q4_K", "Q4_K_S", "Q4_K_M", "Q5_K", "Q5_K_S",
    "Q5_K_M", "Q6_K", "Q8_0", "F16", "BF16", "F32", "COPY",
}  # fmt: skip
MLX_LM_CONVERT = {
    **dict.fromkeys(["--hf-path", "--model", "--mlx-path", "--q-group-size", "--upload-repo"], set()),
    "--q-bits": {"2", "3", "4", "5", "6", "8"},
    "--q-mode": {"affine", "mxfp4", "nvfp4", "mxfp8"},
    "--dtype": {"float16", "bfloat16", "float32"},
    **dict.fromkeys(["-q", "--quantize", "-d", "--dequantize", "--trust-remote-code"], None),
}
LMS_LOAD = {
    **dict.fromkeys(["-c", "--context-length", "--ttl", "--identifier", "--parallel"], set()),
    "--gpu": set(),  # off, max or a ratio from 0 to 1: VALUE_CHECKS
    **dict.fromkeys(["--exact", "--estimate-only", "-y", "--yes"], None),
}
LMS_GET = {
    **dict.fromkeys(["-n", "--limit"], set()),
    **dict.fromkeys(["--mlx", "--gguf", "--always-show-all-results", "-a"], None),
    **dict.fromkeys(["--always-show-download-options", "-y", "--yes"], None),
}
LMS_IMPORT = {
    "--user-repo": set(),
    **dict.fromkeys(["-y", "--yes", "-c", "--copy", "-L", "--hard-link", "-l", "--symbolic-link"], None),
    "--dry-run": None,
}
LMS_SERVER_START = {"--port": set(), "--cors": None}


def lms_gpu(value: str) -> bool:
    """lms load --gpu: "off", "max" or a number from 0 to 1 (load.ts gpuOptionParser)."""
    if value in ("off", "max"):
        return True
    try:
        return 0 <= float(value) <= 1
    except ValueError:
        return False


# program (its first words) -> (flag table, how many positional arguments it takes)
PROGRAMS = {
    ("llama-server",): (LLAMA_SERVER, 0),
    ("hf", "download"): (HF_DOWNLOAD, 1),
    ("vllm", "serve"): (VLLM_SERVE, 1),
    ("python", "-m", "sglang.launch_server"): (SGLANG, 0),
    ("mlx_lm.server",): (MLX_LM_SERVER, 0),
    ("ollama", "serve"): ({}, 0),
    ("ollama", "run"): ({}, 1),
    ("ollama", "create"): ({"-f": set()}, 1),
    ("python", "convert_hf_to_gguf.py"): (CONVERT_HF_TO_GGUF, 1),
    ("llama-quantize",): (LLAMA_QUANTIZE, 3),  # input, output, type (nthreads left to its default)
    ("mlx_lm.convert",): (MLX_LM_CONVERT, 0),
    ("lms", "get"): (LMS_GET, 1),
    ("lms", "import"): (LMS_IMPORT, 1),
    ("lms", "load"): (LMS_LOAD, 1),
    ("lms", "server", "start"): (LMS_SERVER_START, 0),
}
# program -> {flag: a check of its value}, for values no set lists
VALUE_CHECKS = {("lms", "load"): {"--gpu": lms_gpu}}
# program -> {position: the values that positional argument takes}
POSITIONAL_CHOICES = {("llama-quantize",): {2: QUANTIZE_TYPES}}


@dataclass
class Invocation:
    program: tuple[str, ...]
    positional: list[str] = field(default_factory=list)
    flags: dict[str, str | None] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


def parse(command: str) -> tuple[list[Invocation], list[str]]:
    """(the command's invocations, its comment lines); AssertionError on anything a tool would refuse."""
    invocations, comments = [], []
    for line in command.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            comments.append(line)
            continue
        words = shlex.split(line)
        if words[-1] == "&":
            words = words[:-1]
        if words[0] == "echo":  # writing a Modelfile: echo 'FROM <path>' > Modelfile
            assert words[2:] == [">", "Modelfile"] and words[1].startswith("FROM "), line
            continue
        env = {}
        while words and "=" in words[0] and words[0].split("=")[0].isupper():
            key, value = words.pop(0).split("=", 1)
            known = ENVIRONMENT.get(key)
            assert known is not None, f"unknown environment variable {key}: {line}"
            assert not known or value in known, f"{key}={value}: {line}"
            env[key] = value
        program = next((p for p in PROGRAMS if tuple(words[: len(p)]) == p), None)
        assert program is not None, f"unknown program: {line}"
        assert all(program in ENV_PROGRAM[k] for k in env), f"environment for {program}: {line}"
        table, positional = PROGRAMS[program]
        found = Invocation(program, env=env)
        rest = words[len(program) :]
        while rest:
            word = rest.pop(0)
            if not word.startswith("-"):
                found.positional.append(word)
                continue
            assert word in table, f"{' '.join(program)} has no flag {word}: {line}"
            if table[word] is None:
                found.flags[word] = None
                continue
            assert rest and not rest[0].startswith("--"), f"{word} needs a value: {line}"
            value = rest.pop(0)
            assert not table[word] or value in table[word], f"{word} {value} is not a choice: {line}"
            check = VALUE_CHECKS.get(program, {}).get(word)
            assert check is None or check(value), f"{word} {value} is not a value it takes: {line}"
            repeats = word in REPEATED.get(program, ())
            assert repeats or word not in found.flags, f"{word} given twice: {line}"
            found.flags[word] = value
        assert len(found.positional) == positional, (
            f"{' '.join(program)} takes {positional} arguments: {line}"
        )
        for i, choices in POSITIONAL_CHOICES.get(program, {}).items():
            assert found.positional[i] in choices, f"{found.positional[i]} is not a choice: {line}"
        invocations.append(found)
    return invocations, comments
