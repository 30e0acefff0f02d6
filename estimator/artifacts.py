"""Which published artifact a launch command names: the catalog's weights of the model in the chosen
format (`ModelSpec.artifacts`), by kind and publisher, whether that format's GGUF is one file or parts,
and the placeholder a model the site knows no weights of (the visitor's own) gets instead. Read by every
command builder (commands.py, commands_lms.py)."""

import re
from collections.abc import Callable

from .memory import weights_bytes
from .schema import ArtifactSpec, ModelSpec, QuantSpec

# Preferred publishers when several list the format: for GGUF llama.cpp's own, then the large converters;
# for MLX the mlx-community conversions mlx-lm's own README and tests load, then LM Studio's.
GGUF_PUBLISHERS = ("ggml-org", "unsloth", "bartowski", "lmstudio-community")
PUBLISHERS = {"mlx": ("mlx-community", "lmstudio-community")}

# The Hub's hard limit on one file while the catalog's GGUF repositories were uploaded: "no single LFS
# file will be able to be >50GB. I.e. 50GB is the hard limit for single file size" (huggingface/hub-docs
# docs/hub/repositories-recommendations.md at 952411be, 2023-09-12, to docs/hub/storage-limits.md at
# 3d8026ad, 2025-11-12; 500 GB since cc7698e5, 2025-11-17). So their publishers split every larger file
# into llama.cpp's parts (TheBloke's commits say it: "Upload in splits of max 50GB due to HF 50GB
# limit"); a later upload may hold one larger file, which its artifact's `files` then says.
HUB_FILE_LIMIT_GB = 50
# The engine's size of a GGUF (memory.weights_bytes) against the files a source lists: within 1% (Qwen3
# 235B-A22B Q4_K_M 142.15 GB in five parts, gpt-oss-120b's MXFP4 63.39 GB, Qwen2.5 72B Q4_K_M 47.42 GB);
# a file this close under the limit may be over it, and is taken as parts unless a source lists it whole
# (parts only cost Ollama and LM Studio the way round that works; one file named that is not there fails).
SIZE_MARGIN = 0.98


def files_of(a: ArtifactSpec, quant: QuantSpec) -> int | None:
    """How many files a source lists for this format of the artifact; None when none lists them."""
    return dict(a.files).get(quant.slug)


def in_parts(a: ArtifactSpec, model: ModelSpec, quant: QuantSpec) -> bool:
    """The artifact holds this format in several files: its pattern is a folder or names a part, a source
    lists its parts, or the file would be larger than the publisher's largest (`part_gb`, else the Hub's
    limit when it was uploaded), by the engine's size of the file. A tag naming one file exactly (no
    {QUANT}, no *) is that file, whole."""
    tag = a.tag or ""
    if "/" in tag or "-of-" in tag:
        return True
    if tag and "{" not in tag and "*" not in tag:
        return False
    if (files := files_of(a, quant)) is not None:
        return files > 1
    largest = (a.part_gb or HUB_FILE_LIMIT_GB) * 1e9
    return weights_bytes(model, quant) > largest * SIZE_MARGIN


def parts_pattern(a: ArtifactSpec, quant: QuantSpec) -> str | None:
    """The pattern every part of this format matches (for `hf download --include`), its folder included
    where the parts have one; None when the artifact does not say where they are (`*-{QUANT}*.gguf`). The
    parts of a file are named as llama.cpp's gguf-split names them, `<name>-00001-of-00003.gguf`."""
    if a.parts_tag:
        return fill(a.parts_tag, quant)
    pattern = file_of(a, quant)
    if "/" in pattern:
        return pattern
    if "-of-" in pattern:
        return re.sub(r"-\d{5}-of-", "-*-of-", pattern)
    if pattern and "*" not in pattern:
        return pattern.removesuffix(".gguf") + "-*-of-*.gguf"
    return None


def published(
    model: ModelSpec,
    quant: QuantSpec,
    kinds: tuple[str, ...],
    *,
    one_file: bool = False,
    where: Callable[[ArtifactSpec], bool] | None = None,
) -> ArtifactSpec | None:
    """The artifact of one of `kinds` (in that order of preference) that lists `quant`: a file pattern
    before a folder of parts, the model maker's own, then llama.cpp's and the large converters; None when
    none is known. `one_file`: an artifact holding the format in one file before any holding it in parts
    (Ollama's hf.co/ pull and LM Studio's lms load take one file); `where`: only artifacts it accepts."""
    maker = (model.hf_id or "").split("/")[0].lower()

    def rank(a: ArtifactSpec) -> tuple:
        owner = a.repo.split("/")[0]
        preferred = PUBLISHERS.get(a.kind, GGUF_PUBLISHERS)
        known = preferred.index(owner) if owner in preferred else len(preferred)
        split = in_parts(a, model, quant) if one_file and a.kind == "gguf" else "/" in (a.tag or "")
        return (kinds.index(a.kind), split, owner.lower() != maker, known)

    found = [
        a for a in model.artifacts if a.kind in kinds and quant.slug in a.formats and (not where or where(a))
    ]
    return min(found, key=rank, default=None)


def fill(pattern: str, quant: QuantSpec) -> str:
    """A file pattern with the format filled in."""
    return pattern.replace("{QUANT}", quant.slug.upper()).replace("{quant}", quant.slug.lower())


def file_of(a: ArtifactSpec, quant: QuantSpec) -> str:
    """The artifact's file pattern with the format filled in."""
    return fill(a.tag or "", quant)


def unknown(model: ModelSpec) -> bool:
    """A model the site knows no weights of (the visitor's own): its commands leave a placeholder path."""
    return not model.artifacts


def placeholder(model: ModelSpec, quant: QuantSpec, what: str, where: str) -> str:
    """The comment over an unknown() model's placeholder: the visitor's own file goes there."""
    return f"# No published {quant.name} {what} of {model.name} is known to this site: {where}."
