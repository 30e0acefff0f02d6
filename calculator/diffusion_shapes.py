"""Which models are image or video models, and each one's denoiser shape (fixtures/sources/
diffusion_shapes.json): what the engine sizes a step's activations and times a step by, beside the catalog's
components."""

import json
from functools import cache

from django.conf import settings

from catalog.models import DiffusionModel
from estimator import DiffusionSpec
from estimator.diffusion_speed import DenoiserShape

SHAPES_FILE = settings.BASE_DIR / "fixtures" / "sources" / "diffusion_shapes.json"


@cache
def shapes() -> dict[str, dict]:
    """slug -> {"shape": DenoiserShape, "diffusers_repo": str}, validated once per process."""
    rows = json.loads(SHAPES_FILE.read_text(encoding="utf-8"))["models"]
    return {
        slug: {"shape": DenoiserShape(**{k: v for k, v in row.items() if k != "diffusers_repo"}),
               "diffusers_repo": row.get("diffusers_repo")}
        for slug, row in rows.items()
    }  # fmt: skip


def is_diffusion(slug: str | None) -> bool:
    """Whether the question is about an image or video model, without a query (the LLM page's query
    counts stay as they are): the models of the shapes file, each of which the catalog lists."""
    return bool(slug) and slug in shapes()


def spec_of(model: DiffusionModel) -> DiffusionSpec:
    """The catalog row as the engine sizes and times it: with its denoiser's shape (SHAPES_FILE)."""
    return model.as_spec().model_copy(update=shapes().get(model.slug, {}))
