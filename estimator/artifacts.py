"""Which published artifact a launch command names: the catalog's weights of the model in the chosen
format (`ModelSpec.artifacts`), by kind and publisher, and the placeholder a model the site knows no
weights of (the visitor's own) gets instead. Read by every command builder (commands.py,
commands_lms.py)."""

from .schema import ArtifactSpec, ModelSpec, QuantSpec

# Preferred publishers when several list the format: for GGUF llama.cpp's own, then the large converters;
# for MLX the mlx-community conversions mlx-lm's own README and tests load, then LM Studio's.
GGUF_PUBLISHERS = ("ggml-org", "unsloth", "bartowski", "lmstudio-community")
PUBLISHERS = {"mlx": ("mlx-community", "lmstudio-community")}


def published(model: ModelSpec, quant: QuantSpec, kinds: tuple[str, ...]) -> ArtifactSpec | None:
    """The artifact of one of `kinds` (in that order of preference) that lists `quant`: a file pattern
    before a folder of parts, the model maker's own, then llama.cpp's and the large converters; None when
    none is known."""
    maker = (model.hf_id or "").split("/")[0].lower()

    def rank(a: ArtifactSpec) -> tuple:
        owner = a.repo.split("/")[0]
        preferred = PUBLISHERS.get(a.kind, GGUF_PUBLISHERS)
        known = preferred.index(owner) if owner in preferred else len(preferred)
        return (kinds.index(a.kind), "/" in (a.tag or ""), owner.lower() != maker, known)

    found = [a for a in model.artifacts if a.kind in kinds and quant.slug in a.formats]
    return min(found, key=rank, default=None)


def file_of(a: ArtifactSpec, quant: QuantSpec) -> str:
    """The artifact's file pattern with the format filled in."""
    return (a.tag or "").replace("{QUANT}", quant.slug.upper()).replace("{quant}", quant.slug.lower())


def in_parts(a: ArtifactSpec) -> bool:
    """The file comes in parts (model-00001-of-00003.gguf), or one folder per format."""
    return "/" in (a.tag or "") or "-of-" in (a.tag or "")


def unknown(model: ModelSpec) -> bool:
    """A model the site knows no weights of (the visitor's own): its commands leave a placeholder path."""
    return not model.artifacts


def placeholder(model: ModelSpec, quant: QuantSpec, what: str, where: str) -> str:
    """The comment over an unknown() model's placeholder: the visitor's own file goes there."""
    return f"# No published {quant.name} {what} of {model.name} is known to this site: {where}."
