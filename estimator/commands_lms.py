"""LM Studio's `lms`: fetch the plan's weights, load them with the plan's context and GPU offload, start
the server. LM Studio runs GGUF files on its llama.cpp engine everywhere and MLX conversions on its MLX
engine on Apple silicon ("Run llama.cpp (GGUF) or MLX models", https://lmstudio.ai/docs/app).

Every word is one LM Studio documents (tests/engine/command_flags.py parses each command against it):
- `lms get <Hugging Face URL>[@<quantization>]`: "Use a full Hugging Face URL" and "the @ qualifier"
  (https://huggingface.co/docs/hub/lmstudio, huggingface/hub-docs docs/hub/lmstudio.md at 8806f47d);
  `lms get` in https://lmstudio.ai/docs/cli; lmstudio-ai/lms src/subcommands/get.ts at 019d00cb
  (the `@` quantization is matched case-insensitively; with none given LM Studio picks one, so it is
  given wherever the repository holds several formats). Neither page nor get.ts says whether it fetches
  a GGUF split in parts (LM Studio's downloader does that in the app, not in lms), and `lms import`
  takes one file: where the format is published only in parts, lms imports a GGUF made from the
  model's own checkpoint instead (commands_gguf.py), or gets no command; a publisher's single file of
  the format comes first where the catalog has one (artifacts.published, one_file). Ollama, unlike lms,
  merges a GGUF's parts in `ollama create` (commands.ollama_parts).
- `lms import <file> --user-repo <user>/<repo>`: lmstudio-ai/lms src/subcommands/importCmd.ts at
  05bced0a (it moves the file to <models folder>/<user>/<repo>/<file>); `lms import` in
  https://lmstudio.ai/docs/cli. For a GGUF made from the model's own checkpoint (commands_gguf.py).
- `lms load <path> --exact --context-length <n> --gpu <off|max|0-1> --parallel <n>`:
  https://lmstudio.ai/docs/cli/load ("--gpu: How much to offload to the GPU. Values: 0-1, off, max");
  lmstudio-ai/lms src/subcommands/load.ts at 07b7252d (since 066002e a name is matched against the
  downloaded models' keys as a fuzzy subsequence, and `--exact` matches a path, <publisher>/<repository>/
  <file>, exactly; `--parallel`, "Maximum number of predictions the model can run at a given time", since
  687cf96; the ratio is of the model's layers). Where the catalog's pattern names the file (or the
  model is an MLX folder), the command loads that path with --exact; else it gives the repository and the
  format's name, and a comment says lms asks which model to load if that finds none.
- `lms server start`: https://lmstudio.ai/docs/cli/server-start.

No lms flag sets the KV cache type, how layers split over several GPUs, experts kept in RAM
(--n-cpu-moe), tensor parallelism, one server per GPU or RPC hosts (the flags above are all `lms load`
has), nor concurrent predictions on the MLX engine ("supported for LM Studio's llama.cpp engine, with MLX
coming soon": https://lmstudio.ai/docs/app/advanced/parallel-requests). Plans that need experts in RAM, tensor
parallelism, replicas or RPC get no lms command; for the others a comment line says what the command
leaves to LM Studio.
"""

from .artifacts import file_of, in_parts, placeholder, published, unknown
from .commands_gguf import conversion_blocker, converted, own_checkpoint
from .schema import ModelSpec, Plan, QuantSpec, Reason, Workload

LMS_STRATEGIES = {"single", "layer_split", "cpu_offload"}
# GGUF files as llama.cpp loads them (quants, 16/32-bit floats, MXFP4: commands.GGUF_FORMATS) and MLX
# conversions.
LMS_FORMATS = {"gguf", "safetensors", "mxfp4", "mlx"}
HF = "https://huggingface.co"
IN_PARTS = "LM Studio does not document lms get for a GGUF in parts"


def lms_model(model: ModelSpec, quant: QuantSpec) -> tuple[list[str], str] | None:
    """(lines to run first, the path `lms load` takes): the published GGUF or MLX conversion, fetched
    with `lms get`; else a GGUF made from the model's own checkpoint and imported with `lms import`;
    None when none of these exists (an MLX width nobody published, a GGUF nobody can make)."""
    if quant.format == "mlx":
        a = published(model, quant, ("mlx",))
        return None if a is None else ([f"lms get {HF}/{a.repo}"], a.repo)
    a = published(model, quant, ("gguf",), one_file=True)
    if a is not None and not in_parts(a, model, quant):
        file = file_of(a, quant)
        alone = "*" in file and "{" not in (a.tag or "")  # the repository holds this format alone
        get = f"lms get {HF}/{a.repo}" + ("" if alone else f"@{quant.slug.upper()}")
        if file and "*" not in file:  # the catalog names the file
            return [get], f"{a.repo}/{file}"
        return [get], a.repo if alone else f"{a.repo}/{quant.slug.upper()}"
    if unknown(model):
        folder = f"local/{model.slug}"
        where = f"put your own file's path after lms import; LM Studio files it under {folder}"
        file = f"{model.slug}-{quant.slug.upper()}.gguf"
        lines = [placeholder(model, quant, "GGUF", where), f"lms import /path/to/{file} --user-repo {folder}"]
        return lines, f"{folder}/{file}"
    if conversion_blocker(model, quant) is not None:
        return None
    lines, path = converted(model, quant, a and f"{a.repo} holds it in parts, and {IN_PARTS}")
    own = own_checkpoint(model)
    assert own is not None  # conversion_blocker found it
    lines.append(f"lms import {path} --user-repo {own.repo}")
    return lines, f"{own.repo}/{path.rsplit('/', 1)[-1]}"


def lms_unavailable(model: ModelSpec, quant: QuantSpec) -> Reason | None:
    """Why lms has no weights of this format for the model; None when it has."""
    if lms_model(model, quant) is not None:
        return None
    names = {"quant": quant.name, "model": model.name}
    if quant.format == "mlx":
        return Reason(code="no_lms_conversion", values=names)
    a = published(model, quant, ("gguf",), one_file=True)
    if a is not None:
        return Reason(code="gguf_in_parts", values={**names, "repo": a.repo})
    return conversion_blocker(model, quant)


def gpu_ratio(plan: Plan, model: ModelSpec) -> str:
    """`--gpu`: every layer on the GPUs ("max"), none ("off"), or the share of the layers the plan puts
    there (its GPU layers over the model's layers and output head, as llama.cpp's -ngl counts them),
    rounded down so that no more than the plan's layers go to the GPUs."""
    if plan.strategy != "cpu_offload" or plan.gpu_layers is None:
        return "max"
    share = int(100 * plan.gpu_layers / (model.num_hidden_layers + 1)) / 100
    return "max" if share >= 1 else "off" if share <= 0 else f"{share:g}"


def lms(*, model: ModelSpec, quant: QuantSpec, plan: Plan, workload: Workload) -> str | None:
    """`lms get` (or the lines that make and import the GGUF), `lms load` with the plan's context and GPU
    offload, `lms server start`; a comment line for each choice of the plan no lms flag carries."""
    found = lms_model(model, quant)
    if found is None or model.yarn_factor_for(workload.context_tokens):
        return None  # no weights; or YaRN, which lms load has no flag for
    before, path = found
    notes = []
    gpus = plan.gpu_devices
    if len(gpus) > 1:
        counts = [str(d.layers) for d in gpus]
        layers = ", ".join(counts[:-1]) + f" and {counts[-1]}"
        notes.append(
            "# lms load has no flag for how layers split over GPUs: LM Studio decides, where this plan "
            f"puts {layers} layers, the output head beside the last {counts[-1]}"
        )
    kv = workload.kv_cache_type
    if kv not in (None, "f16"):
        notes.append(
            f"# lms load has no KV cache type flag: LM Studio's own setting applies, not this plan's {kv}"
        )
    if workload.batch > 1 and quant.format == "mlx":  # parallel requests: llama.cpp engine only
        notes.append(
            f"# lms load has no flag for {workload.batch} conversations at once, and LM Studio documents "
            "parallel requests for its llama.cpp engine only"
        )
    exact = path.endswith(".gguf") or quant.format == "mlx"  # the file or the MLX folder, by its path
    if not exact:
        notes.append(
            "# lms load finds a model by the key lms ls lists for it; where this name finds none, it asks "
            "which to load"
        )
    # on its llama.cpp engine the conversations at once share the context it loads, as llama-server's -np
    # slots share -c (commands.llama_server): each gets the plan's whole context with batch × it
    parallel = workload.batch if workload.batch > 1 and quant.format != "mlx" else 1
    load = ["lms", "load", path, *(["--exact"] if exact else [])]
    load += ["--context-length", str(workload.context_tokens * parallel), "--gpu", gpu_ratio(plan, model)]
    if parallel > 1:
        load += ["--parallel", str(parallel)]
    return "\n".join([*notes, *before, " ".join(load), "lms server start"])
