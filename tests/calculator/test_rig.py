"""Paste my rig: each reader on outputs published in public issues (the URL above each sample), the names
mapped to catalog rows, and POST /rig/, which fills in the calculator's hardware rows."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculator import rig
from tests.conftest import GIB, make_gpu

# https://github.com/noonghunna/club-3090/issues/1128 ("Full nvidia-smi output")
NVIDIA_SMI_2X3090 = """\
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 595.84                 Driver Version: 595.84         CUDA Version: 13.2     |
+-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |
|                                         |                        |               MIG M. |
|=========================================+========================+======================|
|   0  NVIDIA GeForce RTX 3090        Off |   00000000:01:00.0  On |                  N/A |
|  0%   41C    P2            115W /  250W |   22598MiB /  24576MiB |     10%      Default |
|                                         |                        |                  N/A |
+-----------------------------------------+------------------------+----------------------+
|   1  NVIDIA GeForce RTX 3090        Off |   00000000:21:00.0 Off |                  N/A |
|  0%   35C    P8              7W /  250W |   24006MiB /  24576MiB |      0%      Default |
"""

# https://github.com/noonghunna/club-3090/issues/741 (an RTX 5090 beside an RTX 3090)
NVIDIA_SMI_5090_3090 = """\
|=========================================+========================+======================|
|   0  NVIDIA GeForce RTX 5090        Off |   00000000:01:00.0  On |                  N/A |
|  0%   47C    P8             13W /  575W |      18MiB /  32607MiB |      0%      Default |
|                                         |                        |                  N/A |
+-----------------------------------------+------------------------+----------------------+
|   1  NVIDIA GeForce RTX 3090        Off |   00000000:02:00.0 Off |                  N/A |
|  0%   43C    P8             29W /  420W |   23352MiB /  24576MiB |      0%      Default |
"""

# https://github.com/wilicc/gpu-burn/issues/114 (H100 SXM: 700 W power cap)
NVIDIA_SMI_H100 = """\
|=========================================+========================+======================|
|   0  NVIDIA H100 80GB HBM3          On  |   00000000:19:00.0 Off |                    0 |
| N/A   39C    P0            145W /  700W |   72790MiB /  81559MiB |      0%      Default |
|                                         |                        |             Disabled |
+-----------------------------------------+------------------------+----------------------+
|   1  NVIDIA H100 80GB HBM3          On  |   00000000:3B:00.0 Off |                    0 |
| N/A   32C    P0            140W /  700W |   72790MiB /  81559MiB |      4%      Default |
"""

# https://github.com/filecoin-project/bellperson/issues/227 (an older nvidia-smi cuts long names short)
NVIDIA_SMI_CUT_SHORT = """\
| NVIDIA-SMI 470.57.02    Driver Version: 470.57.02    CUDA Version: 11.4     |
|-------------------------------+----------------------+----------------------+
| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |
|                               |                      |               MIG M. |
|===============================+======================+======================|
|   0  NVIDIA GeForce ...  On   | 00000000:41:00.0 Off |                  N/A |
|  0%   42C    P8    24W / 280W |     15MiB /  7979MiB |      0%      Default |
"""

# https://github.com/influxdata/telegraf/issues/5812 (MIG instances are not GPUs of their own)
NVIDIA_SMI_L_A100 = """\
GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-513536b6-7d19-9063-b049-1e69664bb298)
  MIG 1g.20gb     Device  0: (UUID: MIG-ce861fb0-a248-58ce-a9a8-f9adbc22a66a)
  MIG 1g.20gb     Device  1: (UUID: MIG-a45882f0-9215-5733-a0c1-49286ab31cb5)
GPU 1: NVIDIA A100-SXM4-80GB (UUID: GPU-d8594bd4-0fc3-8595-e355-7c98138f3b95)
GPU 2: NVIDIA A100-SXM4-80GB (UUID: GPU-5e375e7e-b41f-155b-dcdc-534524c356fc)
GPU 3: NVIDIA A100-SXM4-80GB (UUID: GPU-69ec2344-ebac-b028-f88f-452abb3d7f11)
"""

# https://github.com/akash-network/provider-configs/pull/12
NVIDIA_SMI_L_QUADRO = """\
GPU 0: Quadro RTX 4000 (UUID: GPU-c7b57be0-94ff-d352-a59b-d0ee00aeed43)
GPU 1: Quadro RTX 4000 (UUID: GPU-d6de6afc-bdfe-75c4-5273-0544439153fc)
"""

# The H100 SXM5 board as its driver names it ("NVIDIA H100 80GB HBM3", PCI id 2330, in the driver's own list:
# NVIDIA/open-gpu-kernel-modules README.md, "Compatible GPUs"; an 8× H100 node prints it so in
# https://github.com/vllm-project/vllm/issues/8243), in nvidia-smi -L's lines (UUIDs shortened)
NVIDIA_SMI_L_H100_SXM = """\
GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)
GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-1)
"""
# the PCIe card (2331), its driver's name
NVIDIA_SMI_L_H100_PCIE = "GPU 0: NVIDIA H100 PCIe (UUID: GPU-0)\n"
# the A100 PCIe 40 GB (20F1), which the fixtures' catalog does not list
NVIDIA_SMI_L_A100_40 = "GPU 0: NVIDIA A100-PCIE-40GB (UUID: GPU-0)\n"
# llama.cpp's CUDA device line (https://github.com/ggml-org/llama.cpp/issues/6758) names the device by CUDA's
# name for it, the driver's
LLAMA_CPP_H100 = """\
ggml_cuda_init: found 1 CUDA devices:
  Device 0: NVIDIA H100 80GB HBM3, compute capability 9.0, VMM: yes
"""
# nvidia-smi --query-gpu=name,memory.total --format=csv, in nvidia-smi(1)'s format: the header names each field
# and its unit; 143771 MiB is what an H200 reports (https://github.com/NVIDIA/mig-parted/issues/120 has its
# name "NVIDIA H200")
NVIDIA_SMI_CSV_H200 = """\
$ nvidia-smi --query-gpu=name,memory.total --format=csv
name, memory.total [MiB]
NVIDIA H200, 143771 MiB
NVIDIA H200, 143771 MiB
"""
# https://github.com/akash-network/provider-configs/pull/91 (--query-gpu=name,pci.device_id --format=csv,noheader)
NVIDIA_SMI_CSV_NOHEADER = "NVIDIA H100 NVL, 0x232110DE\n"
# https://github.com/Ricks-Lab/gpu-utils/issues/83 (--format=csv,noheader,nounits; memory.total the 4th field)
NVIDIA_SMI_CSV_NOUNITS = (
    "200.00, 105.00, 292.00, 7979, 90.04.23.00.5F, 440.64, GeForce RTX 2080, "
    "GPU-22b2c6ac-2d49-4863-197c-9c469071178a, 176.98, 45, N/A, 1965, 1965, 7199, 86, 55, 100, 8, P2\n"
)
NVIDIA_SMI_CSV_3090 = "NVIDIA GeForce RTX 3090, 24576\n"  # noheader,nounits; 24576 MiB as in its table above
# https://github.com/ObrienlabsDev/machine-learning/blob/main/gpus.md (nvidia-smi -q of an RTX A6000, cut)
NVIDIA_SMI_Q_A6000 = """\
==============NVSMI LOG==============

Timestamp                                 : Thu Mar 28 17:53:27 2024
Driver Version                            : 537.99
CUDA Version                              : 12.2

Attached GPUs                             : 1
GPU 00000000:01:00.0
    Product Name                          : NVIDIA RTX A6000
    Product Brand                         : NVIDIA RTX
    Product Architecture                  : Ampere
    MIG Mode
        Current                           : N/A
        Pending                           : N/A
    Accounting Mode                       : Disabled
    FB Memory Usage
        Total                             : 49140 MiB
        Reserved                          : 569 MiB
        Used                              : 0 MiB
        Free                              : 48571 MiB
    BAR1 Memory Usage
        Total                             : 65536 MiB
        Used                              : 1 MiB
        Free                              : 65535 MiB
    Compute Mode                          : Default
    GPU Power Readings
        Power Draw                        : 7.82 W
        Current Power Limit               : 300.00 W
        Requested Power Limit             : 300.00 W
"""

# https://github.com/marimo-team/marimo/issues/9237 (--csv, then --json)
ROCM_SMI_CSV = """\
device,GPU use (%),VRAM Total Memory (B),VRAM Total Used Memory (B),Card Series,Card Model,Card Vendor,Card SKU,Subsystem ID,Device Rev,Node ID,GUID,GFX Version
card0,0,21458059264,27856896,Radeon RX 7900 XT,0x744c,Advanced Micro Devices Inc. [AMD/ATI],D70401XT,0x471e,0xcc,1,26967,gfx1100
"""
ROCM_SMI_JSON = """\
{
  "card0": {
    "GPU use (%)": "0",
    "VRAM Total Memory (B)": "21458059264",
    "VRAM Total Used Memory (B)": "27856896",
    "Card Series": "Radeon RX 7900 XT",
    "Card Model": "0x744c",
    "Card Vendor": "Advanced Micro Devices, Inc. [AMD/ATI]",
    "Card SKU": "D70401XT",
    "Subsystem ID": "0x471e",
    "Device Rev": "0xcc",
    "Node ID": "1",
    "GUID": "26967",
    "GFX Version": "gfx1100"
  }
}
"""

# https://github.com/easybuilders/easybuild-framework/pull/3978 (an older rocm-smi: the name in "Card model")
ROCM_SMI_FIJI = """\
======================= ROCm System Management Interface =======================
================================= Product Info =================================
GPU[0]          : Card series:          Fiji [Radeon R9 FURY / NANO Series]
GPU[0]          : Card model:           Radeon R9 FURY X
GPU[0]          : Card vendor:          Advanced Micro Devices, Inc. [AMD/ATI]
GPU[0]          : Card SKU:             C88001
"""
# the same thread, --csv: the marketing name in brackets after the chip's
ROCM_SMI_MI100_CSV = """\
device,Card series,Card model,Card vendor,Card SKU
card0,Arcturus GL-XL [AMD Instinct MI100],0x0c34,Advanced Micro Devices Inc. [AMD/ATI],D34316
card1,Arcturus GL-XL [AMD Instinct MI100],0x0c34,Advanced Micro Devices Inc. [AMD/ATI],D34316
"""

# https://github.com/ROCm/legacy-rocm-build/issues/1351 (ROCm 4.0 printed only PCI ids)
ROCM_SMI_HEX_ONLY = """\
======================= ROCm System Management Interface =======================
================================= Product Info =================================
GPU[0]\t\t: Card series: \t\t0x738c
GPU[0]\t\t: Card model: \t\t0xc34
GPU[0]\t\t: Card vendor: \t\tAdvanced Micro Devices, Inc. [AMD/ATI]
GPU[0]\t\t: Card SKU: \t\tD34314
================================================================================
"""

# https://github.com/oliverhu/rama/pull/4 (SPDisplaysDataType, then SPHardwareDataType)
SYSTEM_PROFILER_M2_PRO = """\
Graphics/Displays:

    Apple M2 Pro:

      Chipset Model: Apple M2 Pro
      Type: GPU
      Bus: Built-In
      Total Number of Cores: 19
      Vendor: Apple (0x106b)
      Metal Support: Metal 3
      Displays:
        Color LCD:
          Display Type: Built-in Liquid Retina XDR Display
          Resolution: 3456 x 2234 Retina
Hardware:

    Hardware Overview:

      Model Name: MacBook Pro
      Model Identifier: Mac14,10
      Chip: Apple M2 Pro
      Total Number of Cores: 12 (8 performance and 4 efficiency)
      Memory: 32 GB
"""

# https://github.com/zeam-vm/cpu_info/issues/17 (an iMac Pro's discrete GPU)
SYSTEM_PROFILER_VEGA = """\
Graphics/Displays:

    Radeon Pro Vega 64:

      Chipset Model: Radeon Pro Vega 64
      Type: GPU
      Bus: PCIe
      PCIe Lane Width: x16
      VRAM (Total): 16 GB
      Vendor: AMD (0x1002)
"""

# https://github.com/ggml-org/llama.cpp/pull/4812
LLAMA_BENCH_CUDA = "  Device 0: NVIDIA GeForce RTX 3090 Ti, compute capability 8.6, VMM: yes\n"

# https://github.com/ollama/ollama/issues/3158 (an older build's prefix: ggml_init_cublas)
LLAMA_CPP_ROCM_2X = """\
ggml_init_cublas: found 2 ROCm devices:
  Device 0: Radeon RX 7900 XTX, compute capability 11.0, VMM: no
  Device 1: Radeon RX 7900 XTX, compute capability 11.0, VMM: no
"""

# https://github.com/ollama/ollama/issues/2453
LLAMA_BENCH_ROCM_GFX = """\
ggml_cuda_init: found 1 ROCm devices:
  Device 0: Radeon RX 570 Series, gfx803 (0x803), VMM: no, Wave Size: 64
"""

# https://github.com/ggml-org/llama.cpp/pull/13324
LLAMA_BENCH_VULKAN = """\
ggml_vulkan: Found 1 Vulkan devices:
ggml_vulkan: 0 = NVIDIA GeForce RTX 2070 (NVIDIA) | uma: 0 | fp16: 1 | warp size: 32 | shared memory: 49152 | int dot: 0 | matrix cores: none
"""

# https://github.com/ggml-org/llama.cpp/pull/5835
LLAMA_CPP_VULKAN_SHORT = "Vulkan0: AMD Radeon RX 5700 XT (RADV NAVI10) | uma: 0 | fp16: 1 | warp size: 64\n"

# https://github.com/kyuz0/amd-strix-halo-toolboxes/blob/08aa7bc026cb730fbf70a414b0fa5ca802fb72f5/benchmark/results/gpt-oss-20b-mxfp4__vulkan_radv__fa1__longctx32768.log
STRIX_HALO_VULKAN = """\
ggml_vulkan: Found 1 Vulkan devices:
ggml_vulkan: 0 = AMD Radeon 8060S Graphics (RADV GFX1151) (radv) | uma: 1 | fp16: 1 | bf16: 0 | warp size: 64 | shared memory: 65536 | int dot: 1 | matrix cores: KHR_coopmat
"""
# https://github.com/kyuz0/amd-strix-halo-toolboxes/blob/08aa7bc026cb730fbf70a414b0fa5ca802fb72f5/benchmark/results/gpt-oss-20b-mxfp4__rocm-7_2_3__fa1.log
STRIX_HALO_ROCM = """\
ggml_cuda_init: found 1 ROCm devices (Total VRAM: 126976 MiB):
  Device 0: AMD Radeon 8060S Graphics, gfx1151 (0x1151), VMM: no, Wave Size: 32, VRAM: 126976 MiB
"""

# https://github.com/fabriziosalmi/proxmox-lxc-autoscale/pull/18 (free -m)
FREE_M = """\
               total        used        free      shared  buff/cache   available
Mem:           31966       10870        9147        1572       14146       21095
Swap:           2047         137        1910
"""

# https://github.com/newrelic/nri-flex/pull/228 (free, in KiB)
FREE_KIB = """\
free
              total        used        free      shared  buff/cache   available
Mem:        1015732      630952      136660       10848      248120      212284
Swap:             0           0           0
"""

# https://github.com/cloudera-ps/prereq-checks/pull/35 (free -h)
FREE_H = """\
[root@maru-centos73 prereq-checks]# free -h
              total        used        free      shared  buff/cache   available
Mem:           3.6G        143M        3.3G        8.2M        169M        3.3G
Swap:            0B          0B          0B
"""

# https://github.com/Freemius/server-monitoring/issues/4 (free -m, 128 GB)
FREE_M_128 = """\
[domain@machine ~]$ free -m
              total        used        free      shared  buff/cache   available
Mem:         128817        8881        9009        5416      110926      112742
Swap:         16383          13       16370
"""

# https://github.com/abetlen/llama-cpp-python/issues/1785 (lscpu)
LSCPU_I7 = """\
Architecture:            x86_64
  CPU op-mode(s):        32-bit, 64-bit
CPU(s):                  20
Vendor ID:               GenuineIntel
  Model name:            12th Gen Intel(R) Core(TM) i7-12700
    CPU family:          6
"""


def names(text: str) -> list[tuple[str, int | None]]:
    return [(d.name, d.memory_mib) for d in rig.parse(text).devices]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (NVIDIA_SMI_2X3090, [("NVIDIA GeForce RTX 3090", 24576)] * 2),
        (NVIDIA_SMI_5090_3090, [("NVIDIA GeForce RTX 5090", 32607), ("NVIDIA GeForce RTX 3090", 24576)]),
        (NVIDIA_SMI_H100, [("NVIDIA H100 80GB HBM3", 81559)] * 2),
        (NVIDIA_SMI_CUT_SHORT, [("NVIDIA GeForce ...", 7979)]),
        (NVIDIA_SMI_L_A100, [("NVIDIA A100-SXM4-80GB", None)] * 4),
        (NVIDIA_SMI_L_QUADRO, [("Quadro RTX 4000", None)] * 2),
        (NVIDIA_SMI_L_H100_SXM, [("NVIDIA H100 80GB HBM3", None)] * 2),
        (LLAMA_CPP_H100, [("NVIDIA H100 80GB HBM3", None)]),
        (NVIDIA_SMI_CSV_H200, [("NVIDIA H200", 143771)] * 2),
        (NVIDIA_SMI_CSV_NOHEADER, [("NVIDIA H100 NVL", None)]),
        (NVIDIA_SMI_CSV_NOUNITS, [("GeForce RTX 2080", 7979)]),
        (NVIDIA_SMI_CSV_3090, [("NVIDIA GeForce RTX 3090", 24576)]),
        (NVIDIA_SMI_Q_A6000, [("NVIDIA RTX A6000", 49140)]),  # FB memory's total, not BAR1's
        (ROCM_SMI_CSV, [("Radeon RX 7900 XT", 20464)]),  # 21458059264 B
        (ROCM_SMI_JSON, [("Radeon RX 7900 XT", 20464)]),
        (ROCM_SMI_FIJI, [("Radeon R9 FURY X", None)]),
        (ROCM_SMI_MI100_CSV, [("AMD Instinct MI100", None)] * 2),
        (ROCM_SMI_HEX_ONLY, []),
        (SYSTEM_PROFILER_M2_PRO, [("Apple M2 Pro", 32 * 1024)]),
        (SYSTEM_PROFILER_VEGA, [("Radeon Pro Vega 64", 16 * 1024)]),
        (LLAMA_BENCH_CUDA, [("NVIDIA GeForce RTX 3090 Ti", None)]),
        (LLAMA_CPP_ROCM_2X, [("Radeon RX 7900 XTX", None)] * 2),
        (LLAMA_BENCH_ROCM_GFX, [("Radeon RX 570 Series", None)]),
        (LLAMA_BENCH_VULKAN, [("NVIDIA GeForce RTX 2070", None)]),
        (LLAMA_CPP_VULKAN_SHORT, [("AMD Radeon RX 5700 XT", None)]),
        (STRIX_HALO_VULKAN, [("AMD Radeon 8060S Graphics", None)]),
        (STRIX_HALO_ROCM, [("AMD Radeon 8060S Graphics", 126976)]),
        (FREE_M + LSCPU_I7, []),
        ("", []),
    ],
)
def test_each_reader_finds_the_gpus_and_their_memory(text, expected):
    assert names(text) == expected


def test_the_power_cap_is_read_from_the_line_below_the_name():
    assert [d.power_w for d in rig.parse(NVIDIA_SMI_5090_3090).devices] == [575, 420]
    assert [d.power_w for d in rig.parse(NVIDIA_SMI_Q_A6000).devices] == [300]  # -q's power readings


def test_each_nvidia_smi_output_is_named_as_the_tool_read():
    assert rig.parse(NVIDIA_SMI_Q_A6000).sources == ("nvidia-smi -q",)
    assert rig.parse(NVIDIA_SMI_CSV_H200).sources == ("nvidia-smi --query-gpu",)


@pytest.mark.parametrize(
    ("name", "mib"),
    [
        ("NVIDIA A100-PCIE-40GB", 40 * 1024),
        ("NVIDIA H100 80GB HBM3", 80 * 1024),
        ("Apple M2 Pro (19-core GPU) 32 GB", 32 * 1024),
        ("NVIDIA H100 PCIe", None),
        ("NVIDIA A100-SXM4-80GB", 80 * 1024),
    ],
)
def test_a_name_gives_its_memory_where_it_says_it(name, mib):
    assert rig.named_memory_mib(name) == mib


@pytest.mark.parametrize(
    ("text", "gib"),
    [
        (FREE_M, 31),  # 31966 MiB
        (FREE_M_128, 126),  # 128817 MiB
        (FREE_KIB, 1),  # 1015732 KiB
        (FREE_H, 4),  # 3.6G
        (NVIDIA_SMI_2X3090, None),
    ],
)
def test_free_gives_the_total_ram_in_gib(text, gib):
    assert rig.parse(text).ram_gib == gib


def test_a_paste_of_several_tools_counts_each_gpu_once():
    """nvidia-smi and a llama-bench run of the same machine: the GPUs come from nvidia-smi alone."""
    both = rig.parse(NVIDIA_SMI_2X3090 + LLAMA_BENCH_CUDA + FREE_M + LSCPU_I7)
    assert [d.name for d in both.devices] == ["NVIDIA GeForce RTX 3090"] * 2
    assert both.sources == ("nvidia-smi", "free", "lscpu")
    assert both.ram_gib == 31 and both.cpu == "12th Gen Intel(R) Core(TM) i7-12700"


def test_a_vendor_tool_of_each_family_adds_up():
    mixed = rig.parse(NVIDIA_SMI_L_QUADRO + ROCM_SMI_CSV)
    assert [d.name for d in mixed.devices] == ["Quadro RTX 4000", "Quadro RTX 4000", "Radeon RX 7900 XT"]


def test_rocm_smi_without_names_says_which_command_prints_them():
    assert "rocm-smi --showproductname" in rig.parse(ROCM_SMI_HEX_ONLY).hints[0]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("NVIDIA GeForce RTX 3090", "geforcertx3090"),
        ("GeForce RTX 3090", "geforcertx3090"),
        ("Apple M2 Pro (19-core GPU) 32 GB", "m2pro"),
        ("Intel(R) Arc(TM) A770 Graphics", "arca770graphics"),
        ("NVIDIA H100 80GB HBM3", "h100hbm3"),
    ],
)
def test_base_key_leaves_out_vendor_memory_and_trademarks(name, key):
    assert rig.base_key(name) == key


# ---- Names to catalog rows (the fixtures' catalog) ----------------------------------------------------


def matched(text: str) -> rig.Matched:
    return rig.match(rig.parse(text))


def slugs(result: rig.Matched) -> list[tuple[str, int]]:
    return [(gpu.slug, n) for gpu, n in result.rows]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (NVIDIA_SMI_2X3090, [("geforce-rtx-3090", 2)]),  # not the 3090 Ti: the name decides
        (NVIDIA_SMI_5090_3090, [("geforce-rtx-5090", 1), ("geforce-rtx-3090", 1)]),
        (NVIDIA_SMI_H100, [("h100-sxm5-80-gb", 2)]),  # the driver's name of the SXM5 board
        (NVIDIA_SMI_L_H100_SXM, [("h100-sxm5-80-gb", 2)]),  # without memory or power cap: the name alone
        (LLAMA_CPP_H100, [("h100-sxm5-80-gb", 1)]),
        (NVIDIA_SMI_L_H100_PCIE, [("h100-pcie-80-gb", 1)]),
        (NVIDIA_SMI_CSV_H200, [("h200-sxm-141-gb", 2)]),  # "NVIDIA H200" is the SXM board, not the H200 NVL
        (NVIDIA_SMI_CSV_3090, [("geforce-rtx-3090", 1)]),
        (NVIDIA_SMI_Q_A6000, [("rtx-a6000", 1)]),
        (NVIDIA_SMI_L_A100, [("a100-sxm4-80-gb", 4)]),
        (ROCM_SMI_CSV, [("radeon-rx-7900-xt", 1)]),
        (SYSTEM_PROFILER_M2_PRO, [("apple-m2-pro-32gb", 1)]),  # the 32 GB one of the M2 Pro rows
        (LLAMA_BENCH_CUDA, [("geforce-rtx-3090-ti", 1)]),
        (LLAMA_CPP_ROCM_2X, [("radeon-rx-7900-xtx", 2)]),
        # the GPU of the Ryzen AI Max+ 395, under its own name (calculator/rig.py ALIASES)
        (STRIX_HALO_VULKAN, [("amd-ryzen-ai-max-395-128gb", 1)]),
        (STRIX_HALO_ROCM, [("amd-ryzen-ai-max-395-128gb", 1)]),
    ],
)
def test_names_map_to_catalog_gpus_with_their_counts(catalog, django_assert_max_num_queries, text, expected):
    with django_assert_max_num_queries(3):  # one search per distinct name (a dropped word: one more)
        result = matched(text)
    assert slugs(result) == expected
    assert result.complete and not result.message()


def test_a_name_cut_short_or_missing_from_the_catalog_is_said_not_guessed(catalog):
    cut = matched(NVIDIA_SMI_CUT_SHORT)
    assert cut.rows == [] and cut.unmatched == ["NVIDIA GeForce ..."]
    quadro = matched(NVIDIA_SMI_L_QUADRO + FREE_M)
    assert not quadro.complete and quadro.ram_gb == 31
    assert "No catalog GPU matches “Quadro RTX 4000” (×2)" in quadro.message()


def test_an_apple_chip_without_its_memory_is_ambiguous(catalog):
    result = matched(SYSTEM_PROFILER_M2_PRO.split("Hardware:")[0])  # no "Memory: 32 GB"
    assert result.ambiguous == ["Apple M2 Pro"]
    assert [g.slug for g in result.choices["Apple M2 Pro"]] == ["apple-m2-pro-16gb", "apple-m2-pro-32gb"]
    message = result.message()
    assert (
        "“Apple M2 Pro” may be the Apple M2 Pro (19-core GPU) 16 GB or Apple M2 Pro (19-core GPU) 32 GB"
        in (message)
    )
    assert "sysctl hw.memsize" in message


def test_rows_alike_in_all_the_paste_gives_are_asked_about_never_picked_by_name(catalog):
    """ "NVIDIA H100" (no board in the name, no memory, no power cap): the PCIe card and the SXM5 module are
    both 80 GB H100s; the visitor chooses, the first by name is not taken."""
    result = matched("GPU 0: NVIDIA H100 (UUID: GPU-0)\n")
    assert result.rows == [] and result.ambiguous == ["NVIDIA H100"] and not result.complete
    assert [g.slug for g in result.choices["NVIDIA H100"]] == ["h100-pcie-80-gb", "h100-sxm5-80-gb"]
    message = result.message()
    assert "“NVIDIA H100” may be the H100 PCIe 80 GB or H100 SXM5 80 GB: choose it in the list." in message
    assert "memory" not in message  # both 80 GB: its memory would not tell them apart


def test_a_name_every_row_begins_with_lists_them_all(catalog):
    """ "NVIDIA H100" begins "H100 NVL 94 GB" as much as "H100 PCIe 80 GB": not the shortest names alone."""
    make_gpu(slug="h100-nvl-94-gb", name="H100 NVL 94 GB", memory_bytes=94 * GIB, listed=False, tdp_w=400)
    result = matched("GPU 0: NVIDIA H100 (UUID: GPU-0)\n")
    assert [g.slug for g in result.choices["NVIDIA H100"]] == [
        "h100-nvl-94-gb",
        "h100-pcie-80-gb",
        "h100-sxm5-80-gb",
    ]
    assert "prints its memory" in result.message()  # 94 GB or 80 GB: its memory tells


def test_words_that_name_no_part_are_dropped_and_words_that_do_are_not(catalog):
    """ "Series" names no part: "Radeon RX 570 Series" is the RX 570, not the RX 5700 XT its words also find;
    "Laptop" does: "GeForce RTX 4090 Laptop GPU" is the 4090 Mobile, not the desktop 4090."""
    make_gpu(slug="radeon-rx-570", name="Radeon RX 570", vendor="amd", memory_bytes=4 * GIB, listed=False)
    make_gpu(
        slug="radeon-rx-5700-xt", name="Radeon RX 5700 XT", vendor="amd", memory_bytes=8 * GIB, listed=False
    )
    make_gpu(
        slug="geforce-rtx-4090-mobile", name="GeForce RTX 4090 Mobile", memory_bytes=16 * GIB, listed=False
    )
    assert slugs(matched(LLAMA_BENCH_ROCM_GFX)) == [("radeon-rx-570", 1)]
    laptop = "  Device 0: NVIDIA GeForce RTX 4090 Laptop GPU, compute capability 8.9, VMM: yes\n"
    assert slugs(matched(laptop)) == [("geforce-rtx-4090-mobile", 1)]


def test_the_driver_names_the_pcie_card_whatever_other_sizes_the_catalog_holds(catalog):
    """An unlisted 96 GB H100 PCIe beside the listed 80 GB card: "NVIDIA H100 PCIe" is the driver's name of
    the 80 GB card (PCI id 2331), so it is that row, not "several memory sizes"; a 96 GB one's table says so."""
    make_gpu(slug="h100-pcie-96-gb", name="H100 PCIe 96 GB", memory_bytes=96 * GIB, listed=False, tdp_w=700)
    assert slugs(matched(NVIDIA_SMI_L_H100_PCIE)) == [("h100-pcie-80-gb", 1)]
    larger = "name, memory.total [MiB]\nNVIDIA H100 PCIe, 97871 MiB\n"
    assert slugs(matched(larger)) == [("h100-pcie-96-gb", 1)]


def test_memory_decides_among_the_sizes_of_one_name(catalog):
    make_gpu(slug="geforce-rtx-3060-8-gb", name="GeForce RTX 3060 8 GB", memory_bytes=8 * GIB, listed=False)
    assert slugs(matched(NVIDIA_SMI_CSV_3090.replace("3090, 24576", "3060, 12288"))) == [
        ("geforce-rtx-3060-12-gb", 1)
    ]
    without = matched("GPU 0: NVIDIA GeForce RTX 3060 (UUID: GPU-0)\n")
    assert without.ambiguous == ["NVIDIA GeForce RTX 3060"] and "prints its memory" in without.message()


def test_a_part_or_size_the_catalog_lacks_is_said_not_swapped_for_another(catalog):
    """The fixtures list no A100 PCIe 40 GB and no H100 NVL: neither becomes the 80 GB A100 or an H100 of
    the words left once "NVL" is dropped."""
    for text, name in [
        (NVIDIA_SMI_L_A100_40, "NVIDIA A100-PCIE-40GB"),
        (NVIDIA_SMI_CSV_NOHEADER, "NVIDIA H100 NVL"),
    ]:
        result = matched(text)
        assert result.rows == [] and result.unmatched == [name]
        assert f"No catalog GPU matches “{name}”" in result.message()
    # a name that gives its size, when the catalog has the name only at another size
    assert matched("GPU 0: NVIDIA GeForce RTX 3090 48GB (UUID: GPU-0)\n").unmatched == [
        "NVIDIA GeForce RTX 3090 48GB"
    ]


def test_nothing_recognised_names_the_commands_to_paste(catalog):
    result = matched("hello, I have a big GPU")
    assert result.message().startswith("Nothing recognised. Paste the output of nvidia-smi")


def test_a_cpu_alone_gives_ram_and_says_no_gpu_was_found(catalog):
    result = matched(FREE_M + LSCPU_I7)
    assert result.rows == [] and result.ram_gb == 31
    assert result.complete  # RAM alone fills in the RAM field
    no_ram = matched(LSCPU_I7)
    assert "No GPU in the paste (CPU: 12th Gen Intel(R) Core(TM) i7-12700)" in no_ram.message()


# ---- POST /rig/ ---------------------------------------------------------------------------------------

QUESTION = {"model": "llama-3-1-70b-instruct", "quant": "q4_k_m", "gpu": "l4", "ctx": "8192", "kv": "q8_0"}


def post(client, rig_text: str, **headers):
    return client.post("/rig/", {**QUESTION, "rig": rig_text}, headers=headers)


def test_a_pasted_h100_sxm_node_fills_in_the_sxm5_modules(client, catalog):
    for text in (NVIDIA_SMI_L_H100_SXM, LLAMA_CPP_H100, NVIDIA_SMI_CSV_H200):
        response = post(client, text)
        assert response.status_code == 303, text
    query = parse_qs(urlsplit(post(client, NVIDIA_SMI_L_H100_SXM)["Location"]).query)
    assert query["gpu"] == ["h100-sxm5-80-gb"] and query["count"] == ["2"]


def test_an_ambiguous_name_is_a_400_that_names_the_rows_to_choose_from(client, catalog):
    response = post(client, "GPU 0: NVIDIA H100 (UUID: GPU-0)\n", HX_Request="true")
    assert response.status_code == 400
    assert "“NVIDIA H100” may be the H100 PCIe 80 GB or H100 SXM5 80 GB: choose it in the list." in (
        response.content.decode()
    )


def test_a_pasted_nvidia_smi_fills_in_the_gpus_and_keeps_the_other_inputs(client, catalog):
    response = post(client, NVIDIA_SMI_2X3090 + FREE_M)
    assert response.status_code == 303
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["gpu"] == ["geforce-rtx-3090"] and query["count"] == ["2"]
    assert query["ram_gb"] == ["31"]
    assert (
        query["model"] == ["llama-3-1-70b-instruct"] and query["ctx"] == ["8192"] and query["kv"] == ["q8_0"]
    )
    assert client.get(response["Location"]).status_code == 200


def test_htmx_gets_a_client_redirect_to_the_same_permalink(client, catalog):
    plain = post(client, SYSTEM_PROFILER_M2_PRO)
    htmx = post(client, SYSTEM_PROFILER_M2_PRO, HX_Request="true")
    assert htmx.status_code == 200 and htmx["HX-Redirect"] == plain["Location"]
    assert "gpu=apple-m2-pro-32gb" in plain["Location"]


def test_ram_alone_keeps_the_gpus_and_fills_in_the_ram(client, catalog):
    query = parse_qs(urlsplit(post(client, FREE_M_128)["Location"]).query)
    assert query["gpu"] == ["l4"] and query["ram_gb"] == ["126"]


def test_what_could_not_be_matched_is_said_next_to_the_field_with_the_text_kept(client, catalog):
    response = post(client, NVIDIA_SMI_L_QUADRO)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-rig"' in html and "No catalog GPU matches “Quadro RTX 4000” (×2)" in html
    assert "GPU-c7b57be0-94ff-d352-a59b-d0ee00aeed43" in html  # the paste, back in its textarea
    assert response.context["form"].data["gpu"] == "l4"  # the question as it was
    assert '<details class="own-model field full" open>' in html or 'id="rig-details" open' in html


def test_htmx_gets_only_the_message_for_the_fields_error_span(client, catalog):
    response = post(client, "not a tool's output", HX_Request="true")
    assert response.status_code == 400
    assert response.content.decode().startswith("Nothing recognised.")
    assert response["Content-Type"].startswith("text/html")


def test_a_partial_match_offers_the_gpus_it_found(client, catalog):
    response = post(client, NVIDIA_SMI_2X3090 + ROCM_SMI_FIJI, HX_Request="true")
    text = response.content.decode()
    assert response.status_code == 400
    assert "Found 2× GeForce RTX 3090." in text and "“Radeon R9 FURY X”" in text
    assert (
        'href="/?model=llama-3-1-70b-instruct&amp;quant=q4_k_m&amp;gpu=geforce-rtx-3090&amp;count=2' in text
    )


def test_a_paste_over_64_kb_is_refused(client, catalog):
    response = post(client, "x" * (rig.MAX_PASTE_CHARS + 1))
    assert response.status_code == 400
    assert "over 64 KB" in response.content.decode()


def test_the_paste_is_escaped_never_rendered_as_html(client, catalog):
    response = post(client, "<script>alert(1)</script>")
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_rig_posts_count_toward_the_page_rate_limit(client, catalog, settings):
    settings.PAGE_RATE_LIMIT = 1
    assert post(client, FREE_M).status_code == 303
    assert post(client, FREE_M).status_code == 429


def test_only_post(client, catalog):
    assert client.get("/rig/").status_code == 405


def test_the_calculator_page_has_the_paste_box_and_the_detect_button(client, catalog):
    html = client.get("/").content.decode()
    assert "Paste my rig (nvidia-smi, rocm-smi, system_profiler…)" in html
    assert 'name="rig"' in html and "data-detect-gpu" in html


# ---- Malformed pastes: a reading, never an exception ----------------------------------------------------

ROCM_FIELDS = ["Card series", "Card model", "Card vendor", "VRAM Total Memory (B)", "GFX Version"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=8,
)
CELLS = st.text(alphabet=st.characters(blacklist_characters=",\n\r\x00"), max_size=12)


@pytest.mark.parametrize(
    "paste",
    [
        '{"card0": {"Card model": 5, "Card series": 7, "VRAM Total Memory (B)": 123}}',  # numbers, not text
        "device,Card series,Card model,VRAM Total Memory (B)\ncard0,Navi 31 [Radeon RX 7900 XTX],0x744c\n",  # short
        "GPU[0]          : Card model:           Radeon R9 FURY X\nGPU[0]          : VRAM Total Memory (B): ²\n",
    ],
    ids=["json numbers", "csv row cut short", "superscript digit"],
)
def test_a_malformed_rocm_smi_paste_is_read_as_far_as_it_goes(paste):
    assert all(device.memory_mib is None or device.memory_mib >= 0 for device in rig.parse(paste).devices)


@given(
    st.one_of(
        st.text(max_size=300),
        st.dictionaries(st.text(max_size=12), st.dictionaries(st.sampled_from(ROCM_FIELDS), JSON_VALUES)).map(
            json.dumps
        ),
        st.lists(st.lists(CELLS, max_size=6), max_size=4).map(
            lambda rows: (
                "device," + ",".join(ROCM_FIELDS) + "\n" + "\n".join("card" + ",".join(r) for r in rows)
            )
        ),
        st.lists(st.tuples(st.sampled_from(ROCM_FIELDS), CELLS), max_size=6).map(
            lambda pairs: "\n".join(f"GPU[0]          : {k}:  {v}" for k, v in pairs)
        ),
    )
)
def test_any_paste_is_read_without_an_exception(paste):
    rig.parse(paste)
