"""The catalog: accelerators, model architectures, weight formats, KV cache types, links and runtimes.

Public identifiers are slugs. The ORM meets the engine in one place per model: `as_spec()`. One
module per kind of table; every name is importable from here (`from catalog.models import Gpu`).
"""

from .artifacts import Artifact
from .base import (
    CatalogQuerySet,
    CatalogRow,
    FormerSlug,
    Searchable,
    SearchableQuerySet,
    catalog_changed,
    catalog_history,
    catalog_model,
    constraint_field,
    free_slug,
    one_catalog_change,
    remember_editor_changes,
    spec_errors,
    valid_specs,
)
from .diffusion import DTYPE_BYTES, ComponentRow, DiffusionModel
from .edits import UpstreamChange
from .formats import KvCacheType, Quantization
from .gpus import Gpu, GpuQuerySet, rate_field
from .links import Interconnect
from .llms import LlmModel
from .measurements import Measurement, MeasurementQuerySet
from .prices import Price, PriceQuerySet
from .runtimes import RamPreset, Runtime

__all__ = [
    "DTYPE_BYTES",
    "Artifact",
    "CatalogQuerySet",
    "CatalogRow",
    "ComponentRow",
    "DiffusionModel",
    "FormerSlug",
    "Gpu",
    "GpuQuerySet",
    "Interconnect",
    "KvCacheType",
    "LlmModel",
    "Measurement",
    "MeasurementQuerySet",
    "Price",
    "PriceQuerySet",
    "Quantization",
    "RamPreset",
    "Runtime",
    "Searchable",
    "SearchableQuerySet",
    "UpstreamChange",
    "catalog_changed",
    "catalog_history",
    "catalog_model",
    "constraint_field",
    "free_slug",
    "one_catalog_change",
    "rate_field",
    "remember_editor_changes",
    "spec_errors",
    "valid_specs",
]
