"""What links between devices move: PCIe, NVLink and a network between machines, their bandwidth and the
latency of one small message, and the time a transfer or a ring all-reduce takes over them."""

from .hardware import nvidia_architecture
from .schema import DeviceSpec

# PCIe 4.0 x16: 31.5 GB/s per direction (../shared/reference/interconnects.json). NVLink: the RTX 3090
# bridge, 56.25 GB/s per direction, the slowest NVLink a user is likely to have (A100/H100 are 300/450).
PCIE_GB_S = 31.5
NVLINK_GB_S = 56.25
# NVLink of SXM parts, per direction (interconnects.json: NVLink 3 on A100, 600 GB/s both directions;
# NVLink 4 on H100/H200, 900 GB/s; NVLink 5 on the B200, 1.8 TB/s a GPU through NVSwitch, NVIDIA's DGX B200
# page: https://www.nvidia.com/en-us/data-center/dgx-b200/), the default link between them.
SXM_NVLINK_GB_S = {"Ampere": 300.0, "Hopper": 450.0, "Blackwell": 900.0}
SXM_NVLINK_DEFAULT_GB_S = 300.0


# AMD's Infinity Fabric (xGMI) between Instinct MI300-series OAM modules: each has seven links of 16 lanes
# at 32 Gb/s, 128 GB/s both directions each (64 one way), joining the eight GPUs of a platform directly
# ("AMD Looks to Infinity for AI Interconnects", wheelersnetwork.com/2024/01/). A group of n of them
# all-reduces over its n - 1 direct links at once (RCCL's rings).
INFINITY_FABRIC_LINK_GB_S = 64.0
INFINITY_FABRIC_ARCHITECTURES = ("CDNA 3",)  # the MI300 series; the catalog's architecture "CDNA 3.0"


def sxm_nvlink_gb_s(device: DeviceSpec) -> float:
    """Per-direction NVLink of an SXM part, by architecture (`hardware.nvidia_architecture`)."""
    return SXM_NVLINK_GB_S.get(nvidia_architecture(device), SXM_NVLINK_DEFAULT_GB_S)


def infinity_fabric(device: DeviceSpec) -> bool:
    """An AMD Instinct module of a platform joined by Infinity Fabric (MI300X, MI325X: datacenter CDNA 3)."""
    return device.form_factor == "datacenter" and (device.architecture or "").startswith(
        INFINITY_FABRIC_ARCHITECTURES
    )


def fabric_gb_s(devices) -> float:
    """Per-direction bandwidth of the fabric a platform's GPUs are built on: SXM NVLink by architecture,
    or Infinity Fabric's direct links to each of the other GPUs of the question."""
    if all(infinity_fabric(d) for d in devices):
        return INFINITY_FABRIC_LINK_GB_S * max(len(devices) - 1, 1)
    return min(sxm_nvlink_gb_s(d) for d in devices)


# Time for one hop of a small message (a few KiB of activations): a PCIe round trip through the host
# with NCCL is ~10 µs, NVLink peer-to-peer ~3 µs (NCCL all-reduce latency at small sizes).
PCIE_LATENCY_US = 10.0
NVLINK_LATENCY_US = 3.0
# Between machines: 10 GbE (1.25 GB/s) and the TCP round trip llama.cpp's RPC backend pays per hop.
NETWORK_GB_S = 1.25
NETWORK_LATENCY_US = 300.0


def transfer_seconds(bytes_: float, gb_s: float, latency_us: float) -> float:
    return latency_us * 1e-6 + bytes_ / (gb_s * 1e9)


def ring_all_reduce_seconds(message_bytes: float, ranks: int, gb_s: float, latency_us: float) -> float:
    """Ring all-reduce: 2 (n − 1) steps, each moving 1/n of the message over the link."""
    if ranks <= 1:
        return 0.0
    steps = 2 * (ranks - 1)
    return steps * latency_us * 1e-6 + steps / ranks * message_bytes / (gb_s * 1e9)
