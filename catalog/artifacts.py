"""The shape of a published artifact: what `Artifact.clean()`, the admin and `manage.py check_artifacts` check.

Plain functions of the row's values (no database): which repository syntax each kind takes, what its
tag may look like, and which weight-format families it can provide.
"""

import re

# Hugging Face repo ids: owner/name, letters, digits, "-", "_", "." (huggingface_hub's
# validate_repo_id: at most 96 characters a part, no "--" or "..", no leading or trailing "-" or ".").
_HF_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
HF_REPO = re.compile(rf"^{_HF_PART}/{_HF_PART}$")
# Ollama library names (`llama3.3`) or a user's model (`user/model`), lower case; tags as in `ollama pull`.
OLLAMA_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*)?$")
OLLAMA_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
# A GGUF file pattern: a path ending in .gguf, with {QUANT} (upper-case format name), {quant} (lower
# case) or * where the name varies.
GGUF_TAG = re.compile(r"^[A-Za-z0-9_.*{}/-]+\.gguf$")
GGUF_PLACEHOLDERS = {"{QUANT}", "{quant}"}
# MLX repos say their bits: 3bit, 4bit, 6bit, 8bit, or an unquantized dtype.
MLX_TAG = re.compile(r"^(?:[2-8]bit|bf16|fp16|f16|f32)$")
# The catalog format an MLX repo provides, by its tag: 4bit -> mlx-4bit (MLX's affine quantization at
# mlx_lm.convert's default group of 64), bf16 -> bf16.
MLX_FLOAT_TAGS = {"bf16": "bf16", "fp16": "f16", "f16": "f16", "f32": "f32"}

HF_KINDS = {"gguf", "mlx", "safetensors", "awq", "gptq", "fp8", "mxfp4"}
# The weight-format families (Quantization.family) each kind of artifact can hold.
FAMILIES = {
    "gguf": {"gguf", "float", "mxfp4"},  # GGUF files hold ggml quants, F16/BF16/F32 and MXFP4
    "ollama": {"gguf", "float", "mxfp4"},  # Ollama's library serves GGUF files
    "mlx": {"mlx", "float"},
    "safetensors": {"float"},
    "awq": {"awq"},
    "gptq": {"gptq"},
    "fp8": {"fp8"},
    "mxfp4": {"mxfp4"},
}


def repo_problem(kind: str, repo: str) -> str | None:
    if kind == "ollama":
        if not OLLAMA_NAME.match(repo):
            return f"“{repo}” is not an Ollama model name (lower case, like llama3.3 or user/model)."
        return None
    if not HF_REPO.match(repo) or "--" in repo or ".." in repo:
        return f"“{repo}” is not a Hugging Face repo id (owner/name)."
    if kind == "gguf" and "gguf" not in repo.split("/")[1].lower():
        return f"A GGUF repository's name says GGUF; “{repo}” does not."
    return None


def tag_problem(kind: str, tag: str) -> str | None:
    """None when `tag` (possibly empty) suits an artifact of `kind`."""
    if not tag:
        return "An Ollama artifact needs its tag (latest, 70b, ...)." if kind == "ollama" else None
    if kind == "gguf":
        if not GGUF_TAG.match(tag):
            return f"“{tag}” is not a GGUF file pattern (a name ending in .gguf; {{QUANT}}, {{quant}} or *)."
        braces = set(re.findall(r"\{[^}]*\}", tag))
        if braces - GGUF_PLACEHOLDERS or tag.count("{") != tag.count("}"):
            return "The only placeholders in a file pattern are {QUANT} and {quant}."
        return None
    if kind == "ollama":
        return None if OLLAMA_TAG.match(tag) else f"“{tag}” is not an Ollama tag."
    if kind == "mlx":
        return None if MLX_TAG.match(tag) else f"“{tag}” is not an MLX width (4bit, 8bit, bf16...)."
    return f"A {kind} artifact has no tag: the repository is the whole checkpoint (got “{tag}”)."


def format_problems(kind: str, formats: list, families: dict[str, str]) -> list[str]:
    """What is wrong with `formats` for this kind; `families` maps every catalog format slug to its family."""
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        return ['Formats are a list of catalog format slugs, like ["q4_k_m", "q8_0"].']
    problems = []
    unknown = sorted(f for f in formats if f not in families)
    if unknown:
        problems.append(f"Not catalog formats: {', '.join(unknown)}.")
    wrong = sorted(f for f in formats if f in families and families[f] not in FAMILIES.get(kind, set()))
    if wrong:
        problems.append(f"A {kind} artifact cannot hold {', '.join(wrong)}.")
    if len(set(formats)) != len(formats):
        problems.append("A format is listed twice.")
    return problems


def mlx_format(tag: str) -> str | None:
    """The catalog format slug an MLX repository tagged `tag` provides; None for an unknown width."""
    if re.fullmatch(r"[2-8]bit", tag):
        return f"mlx-{tag}"
    return MLX_FLOAT_TAGS.get(tag)


def width_problem(kind: str, tag: str, formats: list) -> str | None:
    """An MLX repository provides the one width its tag names, and nothing else."""
    if kind != "mlx" or not isinstance(formats, list):
        return None
    said = mlx_format(tag)
    other = sorted(f for f in formats if isinstance(f, str) and f != said)
    if not other:
        return None
    if said is None:
        return "Give the MLX repository's width in its tag (4bit, bf16...) before listing its format."
    return f"An MLX repository tagged “{tag}” provides {said}, not {', '.join(other)}."


def layout_problems(kind: str, formats: list, files, part_gb, parts_tag: str) -> dict[str, list[str]]:
    """What is wrong with how a GGUF repository lays its formats out (estimator/artifacts.py in_parts):
    `files` counts files per listed format, `part_gb` is a size in GB up to the Hub's 500 GB limit,
    `parts_tag` a GGUF file pattern; only a GGUF artifact has them."""
    found: dict[str, list[str]] = {}
    if kind != "gguf":
        given = [
            name
            for name, value in (("files", files), ("part_gb", part_gb), ("parts_tag", parts_tag))
            if value
        ]
        for name in given:
            found[name] = [
                f"Only a GGUF repository lays its formats out in files; a {kind} artifact has no {name}."
            ]
        return found
    if files:
        if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 1
            for k, v in files.items()
        ):
            found["files"] = ['Files are a count per format slug, 1 or more: {"q4_k_m": 2}.']
        elif isinstance(formats, list) and (unlisted := sorted(set(files) - set(formats))):
            found["files"] = [f"Files counted for formats the artifact does not list: {', '.join(unlisted)}."]
    if part_gb is not None and not 0 < part_gb <= 500:
        found["part_gb"] = ["The largest file is between 0 and 500 GB (the Hub's limit per file)."]
    if parts_tag and (message := tag_problem("gguf", parts_tag)):
        found["parts_tag"] = [message]
    return found


def problems(
    *,
    kind: str,
    repo: str,
    tag: str,
    formats: list,
    families: dict[str, str] | None,
    files=None,
    part_gb=None,
    parts_tag: str = "",
) -> dict:
    """{field: [messages]} for everything wrong with one artifact; formats are checked against the
    catalog only when `families` is given."""
    found: dict[str, list[str]] = {}
    if kind not in FAMILIES:
        found["kind"] = [f"Unknown kind “{kind}”."]
        return found
    if message := repo_problem(kind, repo or ""):
        found["repo"] = [message]
    if message := tag_problem(kind, tag or ""):
        found["tag"] = [message]
    messages = format_problems(kind, formats, families) if families is not None else []
    if message := width_problem(kind, tag or "", formats):
        messages.append(message)
    if messages:
        found["formats"] = messages
    found |= layout_problems(kind, formats, files, part_gb, parts_tag or "")
    return found
