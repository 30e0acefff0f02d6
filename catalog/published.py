"""What the catalog says is published, read once per catalog version (catalog/cache.py): the formats each
model is published in, a model's artifacts (for its launch commands), every LLM and format as the engine's
specs, and the listed formats as a runtime holds them. The catalog pages, the reverse questions and the
calculator read them here."""

from estimator import ModelSpec, QuantSpec

from . import cache
from .models import Artifact, LlmModel, Quantization, valid_specs
from .runtimes import loads_checkpoint


def published_formats() -> dict[str, frozenset[str]]:
    """Model slug -> the format slugs its catalog artifacts publish (fitting.PUBLISHED_ONLY), read once
    per catalog version; a variant's (another checkpoint's, `Artifact.variant`) are not the model's."""

    def read() -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for slug, formats in Artifact.objects.filter(variant=False).values_list("llm__slug", "formats"):
            found.setdefault(slug, set()).update(formats or ())
        return {slug: frozenset(formats) for slug, formats in found.items()}

    return cache.get_or_compute("published-formats", "", read)


def formats_of(model: LlmModel) -> frozenset[str]:
    """The format slugs one model is published in (its row of `published_formats`, from the artifacts
    its question reads anyway); none for a visitor's own model (no pk)."""
    return frozenset(f for a in artifacts_of(model) for f in a.formats or ())


def artifacts_of(model: LlmModel) -> list[Artifact]:
    """A catalog model's published artifacts, in `model.artifacts.all()`'s order, without the variants
    (another checkpoint: a base model's Instruct fine-tune), which its commands never name: a visitor who
    chose the base model asked for it, and the Instruct is a catalog model of its own; none for a
    visitor's own model (no pk). Every model's are read in one query per catalog version: read per model,
    they were a query for each model a process answered about, again after each eviction."""
    if model.pk is None:
        return []

    def read() -> dict[int, list[Artifact]]:
        found: dict[int, list[Artifact]] = {}
        for artifact in Artifact.objects.filter(variant=False):
            found.setdefault(artifact.llm_id, []).append(artifact)
        return found

    return list(cache.get_or_compute("artifacts", "", read).get(model.pk, ()))


def model_spec(model: LlmModel) -> ModelSpec:
    """The model as the engine sees it, with its published artifacts (for the launch commands)."""
    return model.as_spec(artifacts=artifacts_of(model))


def llm_specs() -> list[tuple[LlmModel, ModelSpec]]:
    """Every LLM of the catalog and its spec (`valid_specs`, without artifacts: for the pages that size and time
    every model and name no launch command), in the catalog's order, read once per catalog version.

    One spec object per model for every page and request: the engine's caches tell specs apart by identity
    (estimator/limits.py `bounded_cache`), so a GPU page that built its ~160 specs anew computed each model's
    formats again (`memory.sized`, ~900 a page: ~40% of its CPU) and pushed the what-runs page's out of
    the cache."""
    return cache.get_or_compute("llm-specs", "", lambda: valid_specs(LlmModel.objects.all()))


def format_specs() -> list[tuple[Quantization, QuantSpec]]:
    """Every format of the catalog and its spec as a GGUF holds it (`Quantization.as_spec()`), in the catalog's
    order, read once per catalog version: one object per format, as `llm_specs`."""
    return cache.get_or_compute("format-specs", "", lambda: valid_specs(Quantization.objects.all()))


def listed_formats(
    runtime: str | None = None, *, moe: bool = False
) -> list[tuple[QuantSpec, float, str, str]]:
    """The listed formats as the engine's specs (as `runtime` holds them for an MoE or a dense model:
    Quantization.as_spec), with bits per weight, family and slug, read once per catalog version: a query
    and thirty specs less per question (~1.2 ms)."""
    checkpoint = moe and loads_checkpoint(runtime)
    return cache.get_or_compute(
        f"listed-formats:{'checkpoint' if checkpoint else 'gguf'}",
        "",
        lambda: [
            (q.as_spec(runtime, moe=moe), q.bits_per_weight, q.family, q.slug)
            for q in Quantization.objects.listed()
        ],
    )
