"""Paste my rig: the GPUs (name, memory, count) and system RAM a machine's own tools print.

`parse(text) -> Rig` reads, in pure Python, what a visitor pastes:

- `nvidia-smi` (its table), `nvidia-smi -L`, `nvidia-smi --query-gpu=name,memory.total --format=csv` (with or
  without `noheader`, `nounits`) and `nvidia-smi -q`;
- `rocm-smi --showproductname` and `--showmeminfo vram` (plain, `--csv` or `--json`);
- `system_profiler SPDisplaysDataType` (and SPHardwareDataType's `Memory:`, `sysctl hw.memsize`);
- `free` (`-g`, `-m`, `-h` or kibibytes), `/proc/meminfo`, `lscpu`'s model name;
- llama.cpp's device lines: `ggml_cuda_init` (CUDA, ROCm) and `ggml_vulkan`.

Tests (tests/calculator/test_rig.py) run each reader on published outputs, cited next to each sample.

`match(rig) -> Matched` is the one function that asks the database: it maps each name to a catalog GPU,
by the names NVIDIA's driver gives its data-center parts (`DRIVER_NAMES`), else with the catalog's search
(`Gpu.objects.search`: every word of the name, ignoring case and punctuation), and picks among the rows
found by memory (the paste's, else the size the name gives), then by name, then by board power. Rows
alike in all the paste gives are not picked among: the visitor is asked to choose.
"""

import csv
import io
import json
import re
from dataclasses import dataclass, field

MAX_PASTE_CHARS = 64 * 1024
MIB = 2**20
GIB = 2**30


@dataclass(frozen=True)
class Device:
    """One GPU as a tool printed it."""

    name: str
    memory_mib: int | None = None  # what the tool reports as total (unified memory on a Mac)
    power_w: int | None = None  # nvidia-smi's power cap
    cpu: bool = False  # read from a CPU's name (lscpu): a unified-memory APU, if the catalog has it


@dataclass(frozen=True)
class Rig:
    devices: tuple[Device, ...] = ()
    ram_gib: int | None = None
    cpu: str = ""  # lscpu's model name
    sources: tuple[str, ...] = ()  # the tools recognised, e.g. ("nvidia-smi", "free")
    hints: tuple[str, ...] = ()  # what the paste lacks, in words (rocm-smi's table prints no names)


# ---- nvidia-smi --------------------------------------------------------------------------------------

BUS_ID = r"[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f]"
# |   0  NVIDIA GeForce RTX 3090        Off |   00000000:01:00.0  On |                  N/A |
SMI_GPU = re.compile(rf"^\|\s*(\d+)\s+(.+?)\s+(?:On|Off|WDDM|TCC|MCDM)\s*\|\s*{BUS_ID}\b")
SMI_MEMORY = re.compile(r"(\d+)MiB\s*/\s*(\d+)MiB")
SMI_POWER = re.compile(r"(?:\d+|N/A)W\s*/\s*(\d+)W")
# GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-513536b6-...)
SMI_LIST = re.compile(r"^GPU (\d+): (.+?) \(UUID: GPU-")


def _nvidia_smi(lines: list[str]) -> list[Device]:
    devices = []
    for i, line in enumerate(lines):
        if m := SMI_GPU.match(line):
            below = lines[i + 1] if i + 1 < len(lines) else ""
            memory, power = SMI_MEMORY.search(below), SMI_POWER.search(below)
            devices.append(
                Device(
                    name=m.group(2),
                    memory_mib=int(memory.group(2)) if memory else None,
                    power_w=int(power.group(1)) if power else None,
                )
            )
    return devices


def _nvidia_smi_list(lines: list[str]) -> list[Device]:
    return [Device(name=m.group(2)) for line in lines if (m := SMI_LIST.match(line))]


# nvidia-smi --query-gpu=name,memory.total --format=csv: a header naming the fields asked for, each unit in
# brackets ("name, memory.total [MiB]"), then a line per GPU ("NVIDIA H200, 143771 MiB"); `noheader` leaves
# the header out, `nounits` the units ("NVIDIA H200, 143771") (nvidia-smi(1), --format).
CSV_FIELD = re.compile(r"^([a-z][a-z0-9_.]*)(?: \[[^\]]+\])?$")
CSV_MIB = re.compile(r"^(\d+)(?: MiB)?$")
CSV_WATTS = re.compile(r"^(\d+(?:\.\d+)?)(?: W)?$")
# Without a header, a line is a GPU's when a field is a name as the driver gives it (its brand first)
DRIVER_BRAND = re.compile(r"^(?:NVIDIA|Tesla|Quadro|GeForce|TITAN)\b")


def _nvidia_smi_csv(lines: list[str]) -> list[Device]:
    """Lines of `nvidia-smi --query-gpu=... --format=csv`. With the header, each field by its name; without
    it, the name is the field that starts with NVIDIA's brand and memory.total the first whole number of
    1,024 MiB or more (or the largest in MiB): the order `--query-gpu=name,memory.total` prints them in."""
    devices: list[Device] = []
    columns: list[str] | None = None
    for line in lines:
        fields = [f.strip() for f in line.split(",")]
        found = [CSV_FIELD.match(f) for f in fields]
        if all(found) and {"name", "gpu_name"} & {m.group(1) for m in found if m}:
            columns = [m.group(1) for m in found if m]
            continue
        if columns is not None and len(fields) == len(columns):
            row = dict(zip(columns, fields, strict=True))
            if name := row.get("name") or row.get("gpu_name"):
                memory = CSV_MIB.match(row.get("memory.total", ""))
                power = CSV_WATTS.match(row.get("power.limit", ""))
                devices.append(
                    Device(
                        name=name,
                        memory_mib=int(memory.group(1)) if memory else None,
                        power_w=round(float(power.group(1))) if power else None,
                    )
                )
        elif columns is None and (names := [f for f in fields if DRIVER_BRAND.match(f)]):
            with_units = [int(f[:-4]) for f in fields if re.fullmatch(r"\d+ MiB", f)]
            whole = [int(f) for f in fields if f.isdecimal() and int(f) >= 1024]
            memory_mib = max(with_units) if with_units else next(iter(whole), None)
            devices.append(Device(name=names[0], memory_mib=memory_mib))
    return devices


# nvidia-smi -q: a block per GPU ("GPU 00000000:01:00.0"), its "Product Name" and, in the "FB Memory Usage"
# section, its "Total" ("49140 MiB"); the power cap in "GPU Power Readings" ("Power Readings" before driver 535)
SMI_Q_GPU = re.compile(rf"^GPU {BUS_ID}\s*$")
SMI_Q_FIELD = re.compile(r"^( *)([A-Za-z][\w .()/-]*?)\s*(?::\s*(.*?))?\s*$")
SMI_Q_MIB = re.compile(r"^(\d+) MiB$")
SMI_Q_WATTS = re.compile(r"^(\d+(?:\.\d+)?) W$")


def _nvidia_smi_q(lines: list[str]) -> list[Device]:
    found: list[dict] = []
    section = ""
    for line in lines:
        if SMI_Q_GPU.match(line):
            found.append({})
            continue
        m = SMI_Q_FIELD.match(line)
        if not found or not m:
            continue
        indent, key, value = len(m.group(1)), m.group(2), m.group(3)
        if value is None:  # a section's title
            section = key if indent <= 4 else section
            continue
        if indent <= 4:
            section = ""
        gpu = found[-1]
        if key == "Product Name" and not section:
            gpu["name"] = value
        elif key == "Total" and section == "FB Memory Usage" and (mib := SMI_Q_MIB.match(value)):
            gpu["memory_mib"] = int(mib.group(1))
        elif (
            key in ("Current Power Limit", "Power Limit")
            and section.endswith("Power Readings")
            and (watts := SMI_Q_WATTS.match(value))
        ):
            gpu.setdefault("power_w", round(float(watts.group(1))))
    return [Device(**gpu) for gpu in found if gpu.get("name")]


# ---- rocm-smi ----------------------------------------------------------------------------------------

# GPU[0]		: Card series: 		Radeon RX 7900 XTX   /   GPU[0]          : VRAM Total Memory (B): 4278190080
ROCM_FIELD = re.compile(r"^GPU\[(\d+)\]\s*:\s*([A-Za-z ()%]+?):\s*(.+?)\s*$")
HEX = re.compile(r"^0x[0-9a-fA-F]+$")
BRACKETED = re.compile(r"\[([^\]]+)\]")  # "Arcturus GL-XL [AMD Instinct MI100]": the marketing name


def _rocm_smi(text: str, lines: list[str]) -> list[Device]:
    cards: dict[str, dict[str, str]] = {}
    if text.lstrip().startswith("{"):  # rocm-smi --json
        try:
            data = json.loads(text)
        except ValueError:
            data = {}
        cards = {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}
    elif (
        start := next((i for i, ln in enumerate(lines) if ln.startswith("device,") and "Card" in ln), -1)
    ) >= 0:
        block = []  # rocm-smi --csv: its header line and the card lines below it
        for line in lines[start:]:
            if not line.strip():
                break
            block.append(line)
        rows = csv.DictReader(io.StringIO("\n".join(block)))
        cards = {row["device"]: row for row in rows if (row.get("device") or "").startswith("card")}
    else:
        for line in lines:
            if m := ROCM_FIELD.match(line):
                cards.setdefault(m.group(1), {})[m.group(2)] = m.group(3)
    devices = []
    for fields in cards.values():
        # as text, whatever the paste holds: a JSON number or null, a CSV row cut short (None)
        fields = {str(k).lower(): "" if v is None else str(v) for k, v in fields.items()}
        name = _rocm_name(fields.get("card model", ""), fields.get("card series", ""))
        if not name:
            continue
        vram = fields.get("vram total memory (b)", "")
        devices.append(Device(name=name, memory_mib=int(vram) // MIB if vram.isdecimal() else None))
    return devices


def _rocm_name(model: str, series: str) -> str:
    """The card's name: `Card model` where it is a name, else `Card series` (newer ROCm puts the name
    there and a PCI id in the model); a bracketed marketing name wins over the chip's code name."""
    for value in (model.strip(), series.strip()):
        if value and not HEX.match(value):
            bracketed = BRACKETED.search(value)
            return bracketed.group(1) if bracketed else value
    return ""


# ---- macOS ---------------------------------------------------------------------------------------------

CHIPSET = re.compile(r"^\s*Chipset Model:\s*(.+?)\s*$")
CHIP = re.compile(r"^\s*Chip:\s*(Apple .+?)\s*$")  # SPHardwareDataType
GPU_CORES = re.compile(
    r"^\s*Total Number of Cores:\s*(\d+)\s*$"
)  # the CPU's line goes on: "(8 performance ...)"
VRAM = re.compile(r"^\s*VRAM \((?:Total|Dynamic, Max)\):\s*(\d+)\s*(GB|MB)")
MAC_MEMORY = re.compile(r"^\s*Memory:\s*(\d+)\s*GB\s*$")
MEMSIZE = re.compile(r"^\s*hw\.memsize\s*[:=]\s*(\d+)\s*$")


def _macos(lines: list[str]) -> list[Device]:
    chips: list[list] = []  # [name, vram_mib]
    unified_gib = None
    for line in lines:
        if m := CHIPSET.match(line):
            chips.append([m.group(1), None])
        elif (m := VRAM.match(line)) and chips:
            chips[-1][1] = int(m.group(1)) * (1024 if m.group(2) == "GB" else 1)
        elif m := MAC_MEMORY.match(line):
            unified_gib = int(m.group(1))
        elif m := MEMSIZE.match(line):
            unified_gib = round(int(m.group(1)) / GIB)
    if not chips:
        chips = [[m.group(1), None] for line in lines if (m := CHIP.match(line))]
    devices = []
    for name, vram_mib in chips:
        name = re.sub(r"\s*\(\d+-Core GPU\)$", "", name)
        apple = name.startswith("Apple ")
        memory = unified_gib * 1024 if apple and unified_gib else vram_mib
        devices.append(Device(name=name, memory_mib=memory))
    return devices


# ---- llama.cpp's device lines ----------------------------------------------------------------------

#   Device 0: NVIDIA GeForce RTX 3090, compute capability 8.6, VMM: yes
#   Device 0: Radeon RX 570 Series, gfx803 (0x803), VMM: no, Wave Size: 64
GGML_CUDA = re.compile(r"^\s*Device \d+: (.+?), (?:compute capability|gfx\w+)")
# ggml_vulkan: 0 = AMD Radeon RX 7900 XT (RADV NAVI31) (radv) | uma: 0 | fp16: 1 | ...
# Vulkan0: AMD Radeon RX 5700 XT (RADV NAVI10) | uma: 0 | fp16: 1 | warp size: 64
GGML_VULKAN = re.compile(r"^\s*(?:ggml_vulkan: \d+ =|Vulkan\d+:) (.+?) \| uma: \d")
PARENTHESES = re.compile(r"\s*\([^()]*\)")
GGML_VRAM = re.compile(r", VRAM: (\d+) MiB")


def _llama_cpp(lines: list[str], pattern: re.Pattern) -> list[Device]:
    devices = []
    for line in lines:
        if m := pattern.match(line):
            vram = GGML_VRAM.search(line)  # newer builds: "..., Wave Size: 32, VRAM: 126976 MiB"
            name = PARENTHESES.sub("", m.group(1)).strip()
            devices.append(Device(name=name, memory_mib=int(vram.group(1)) if vram else None))
    return devices


# ---- System RAM and CPU -----------------------------------------------------------------------------

FREE_MEM = re.compile(r"^\s*Mem:\s+(\d+(?:[.,]\d+)?)([KMGT]i?)?\s")
FREE_COMMAND = re.compile(r"(?:^|[$#%>]\s*)free((?:\s+-{1,2}[a-z]+)*)\s*$", re.M)  # "$ free -m"
MEMINFO = re.compile(r"^\s*MemTotal:\s+(\d+)\s*kB")
LSCPU = re.compile(r"^\s*Model name:\s+(.+?)\s*$")
UNIT_GIB = {"K": 1 / 2**20, "M": 1 / 1024, "G": 1, "T": 1024}


def _ram_gib(text: str, lines: list[str]) -> int | None:
    """Total RAM in GiB, rounded: `free` prints GiB (-g), MiB (-m), a unit suffix (-h) or KiB (none)."""
    for line in lines:
        if m := MEMINFO.match(line):
            return round(int(m.group(1)) / 2**20)
        if m := FREE_MEM.match(line):
            value, unit = float(m.group(1).replace(",", ".")), (m.group(2) or "")[:1]
            if not unit and (command := FREE_COMMAND.search(text)):
                unit = _free_unit(command.group(1).split())
            if not unit:  # no command in the paste: the size tells (a rig has 8 GiB to 4 TiB)
                unit = "G" if value < 4096 else "M" if value < 4096 * 1024 else "K"
            return round(value * UNIT_GIB[unit]) or None
    return None


def _free_unit(flags: list[str]) -> str:
    """The unit `free` printed in: KiB by default; -g/--gibi GiB, -m/--mebi MiB (-h adds suffixes)."""
    long = {"gibi": "G", "giga": "G", "mebi": "M", "mega": "M", "kibi": "K", "kilo": "K"}
    for flag in flags:
        if flag.startswith("--") and flag[2:] in long:
            return long[flag[2:]]
        for letter, unit in (("g", "G"), ("m", "M"), ("k", "K")):
            if not flag.startswith("--") and letter in flag:
                return unit
    return "K"


# ---- The whole paste ---------------------------------------------------------------------------------

# Each vendor's own tool first, llama.cpp's lines last: one machine's paste often holds both (nvidia-smi
# and a llama-bench run), and its GPUs must be counted once. Per vendor family, the first reader that
# finds devices is used; llama.cpp's lines only when no vendor tool named any device.
VENDOR_READERS = (
    ("nvidia-smi", lambda text, lines: _nvidia_smi(lines)),
    ("nvidia-smi -L", lambda text, lines: _nvidia_smi_list(lines)),
    ("nvidia-smi -q", lambda text, lines: _nvidia_smi_q(lines)),
    ("nvidia-smi --query-gpu", lambda text, lines: _nvidia_smi_csv(lines)),
    ("rocm-smi", _rocm_smi),
    ("system_profiler", lambda text, lines: _macos(lines)),
)
FAMILIES = {
    "nvidia-smi": "nvidia",
    "nvidia-smi -L": "nvidia",
    "nvidia-smi -q": "nvidia",
    "nvidia-smi --query-gpu": "nvidia",
    "rocm-smi": "amd",
    "system_profiler": "apple",
}
LLAMA_CPP_READERS = (("llama.cpp (CUDA/ROCm)", GGML_CUDA), ("llama.cpp (Vulkan)", GGML_VULKAN))


def parse(text: str) -> Rig:
    """Everything recognised in a paste; empty when nothing is."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")[:MAX_PASTE_CHARS]
    lines = text.split("\n")
    devices: list[Device] = []
    sources: list[str] = []
    families: set[str] = set()
    for source, read in VENDOR_READERS:
        if FAMILIES[source] in families:
            continue
        found = read(text, lines)
        if found:
            devices += found
            sources.append(source)
            families.add(FAMILIES[source])
    if not devices:
        for source, pattern in LLAMA_CPP_READERS:
            if found := _llama_cpp(lines, pattern):
                devices, sources = found, [source]
                break
    ram = _ram_gib(text, lines)
    if ram:
        sources.append("free")
    cpu = next((m.group(1) for line in lines if (m := LSCPU.match(line))), "")
    if cpu:
        sources.append("lscpu")
    hints = []
    if "ROCm System Management Interface" in text and "rocm-smi" not in sources:
        hints.append(
            "This rocm-smi output names no card: paste `rocm-smi --showproductname` (ROCm 5 or later)."
        )
    return Rig(tuple(devices), ram, cpu, tuple(sources), tuple(hints))


# ---- Names to catalog rows ------------------------------------------------------------------------------

VENDOR_WORDS = {"nvidia", "amd", "ati", "intel", "apple"}
TRADEMARKS = re.compile(r"\((?:R|TM)\)|[®™]")
SIZE = re.compile(r"\b(\d+)\s*([GT])B\b", re.I)
# Names llama.cpp prints for a chip the catalog lists under another name: the Radeon 8060S is the GPU of
# the Ryzen AI Max+ 395 (Strix Halo); bench/data/public_measurements.json has it under both names.
ALIASES = {"radeon 8060s graphics": "Ryzen AI Max+ 395", "radeon 8060s": "Ryzen AI Max+ 395"}
MEMORY_TOLERANCE = 0.1  # nvidia-smi prints 24576 MiB for a 24 GiB card, 81559 MiB for an 80 GB H100
# The names NVIDIA's driver gives its data-center parts (what nvidia-smi, NVML and CUDA's device name, which
# llama.cpp prints, say), each the catalog row it is. The driver's own list of the products it supports, by PCI
# id (NVIDIA/open-gpu-kernel-modules README.md, "Compatible GPUs", 560.31.02:
# https://github.com/NVIDIA/open-gpu-kernel-modules/blob/560.31.02/README.md), names the H100 SXM5 board
# (2330) "NVIDIA H100 80GB HBM3", the PCIe card (2331) "NVIDIA H100 PCIe", the H100 NVL (2321) "NVIDIA H100
# NVL", the H200 SXM (2335) "NVIDIA H200", and the A100s "NVIDIA A100-SXM4-80GB" (20B2), "NVIDIA A100-SXM4-40GB"
# (20B0), "NVIDIA A100 80GB PCIe" (20B5), "NVIDIA A100-PCIE-40GB" (20F1); the H800s and A800s alike. Searched by
# their words, "NVIDIA H100 80GB HBM3" finds the PCIe card as well as the SXM5 module, and "NVIDIA H200" the
# H200 NVL as well as the SXM.
DRIVER_NAMES = {
    "NVIDIA H100 80GB HBM3": "h100-sxm5-80-gb",
    "NVIDIA H100 PCIe": "h100-pcie-80-gb",
    "NVIDIA H100 NVL": "h100-nvl-94-gb",
    "NVIDIA H200": "h200-sxm-141-gb",
    "NVIDIA H800": "h800-sxm5",
    "NVIDIA H800 PCIe": "h800-pcie-80-gb",
    "NVIDIA A100-SXM4-80GB": "a100-sxm4-80-gb",
    "NVIDIA A100-SXM4-40GB": "a100-sxm4-40-gb",
    "NVIDIA A100 80GB PCIe": "a100-pcie-80-gb",
    "NVIDIA A100-PCIE-40GB": "a100-pcie-40-gb",
    "NVIDIA A800-SXM4-80GB": "a800-sxm4-80-gb",
    "NVIDIA A800 80GB PCIe": "a800-pcie-80-gb",
}
MAX_CHOICES_NAMED = 4  # an ambiguous name lists this many of the catalog rows it may be
# Words of a printed name that name no part of their own: dropped, what is left is the part ("Radeon RX 570 Series")
NOISE_WORDS = {"series", "graphics", "gpu", "hbm2", "hbm2e", "hbm3", "hbm3e"}


def _driver_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


DRIVER_SLUGS = {_driver_key(name): slug for name, slug in DRIVER_NAMES.items()}


def _words(name: str) -> list[str]:
    cleaned = TRADEMARKS.sub(" ", name).replace("...", " ").replace("…", " ")
    for alias, catalog_name in ALIASES.items():
        cleaned = re.sub(re.escape(alias), catalog_name, cleaned, flags=re.I)
    return [w for w in re.split(r"[\s\-_/,]+", cleaned) if re.sub(r"[^A-Za-z0-9]", "", w)]


def base_key(name: str) -> str:
    """A name without vendor, trademarks, memory size and parentheses: "Apple M2 Pro (19-core GPU) 32 GB"
    and "Apple M2 Pro" both give "m2pro"; "NVIDIA GeForce RTX 3090" and "GeForce RTX 3090" "geforcertx3090"."""
    text = SIZE.sub(" ", PARENTHESES.sub(" ", TRADEMARKS.sub(" ", name)))
    words = [w for w in _words(text) if w.lower() not in VENDOR_WORDS]
    return re.sub(r"[^a-z0-9]", "", "".join(words).lower())


def named_memory_mib(name: str) -> int | None:
    """The memory a name gives ("NVIDIA A100-PCIE-40GB": 40 GiB, as the catalog counts a card's GB), if one."""
    sizes = SIZE.findall(name.replace("-", " "))
    if len(sizes) != 1:
        return None
    number, unit = sizes[0]
    return int(number) * (1024 if unit.upper() == "G" else 1024**2)


@dataclass
class Matched:
    """The catalog rows a rig maps to: (gpu, count) in the order first seen; names with no row; names that
    may be several rows (`choices`: those rows, by name)."""

    rows: list[tuple[object, int]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    choices: dict[str, list] = field(default_factory=dict)
    ram_gb: int | None = None
    rig: Rig = field(default_factory=Rig)

    @property
    def complete(self) -> bool:
        """Every GPU found has its catalog row (and something was found)."""
        return bool(self.rows or self.ram_gb) and not (self.unmatched or self.ambiguous)

    def message(self) -> str:
        """What was found and what could not be matched, in words (empty when complete)."""
        if self.complete:
            return ""
        if not (self.rig.devices or self.ram_gb or self.rig.cpu):
            return " ".join(
                [
                    "Nothing recognised. Paste the output of nvidia-smi (or nvidia-smi -q, or -L), "
                    "rocm-smi --showproductname, system_profiler SPDisplaysDataType, free -g or llama-bench's "
                    "device lines.",
                    *self.rig.hints,
                ]
            )
        parts = []
        if self.rows:
            parts.append("Found " + ", ".join(f"{n}× {gpu.name}" for gpu, n in self.rows) + ".")
        if self.unmatched:
            parts.append(f"No catalog GPU matches {_listing(self.unmatched)}: choose it in the list.")
        for name in dict.fromkeys(self.ambiguous):
            parts.append(self._choose(name))
        if not self.rig.devices:
            parts.append(f"No GPU in the paste (CPU: {self.rig.cpu}).")
        return " ".join([*parts, *self.rig.hints])

    def _choose(self, name: str) -> str:
        """“Apple M2 Pro” may be any of these rows: which ones, and what would tell them apart."""
        rows = self.choices[name]
        named = [gpu.name for gpu in rows[:MAX_CHOICES_NAMED]]
        if len(rows) > MAX_CHOICES_NAMED:
            named.append(f"{len(rows) - MAX_CHOICES_NAMED} more")
        said = (
            f"{_listing([name] * self.ambiguous.count(name))} may be the {_or(named)}: choose it in the list"
        )
        if len({gpu.memory_bytes for gpu in rows}) > 1:
            return (
                f"{said}, or paste what prints its memory too (nvidia-smi's table, rocm-smi --showmeminfo "
                "vram, sysctl hw.memsize)."
            )
        return f"{said}."


def _or(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)


def _listing(names: list[str]) -> str:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"“{name}”" + (f" (×{n})" if n > 1 else "") for name, n in counts.items())


def match(rig: Rig) -> Matched:
    """Catalog rows for the rig's devices (one search per distinct name). A CPU's name counts as a device
    only when no GPU was found and the catalog has it (a unified-memory APU such as the Ryzen AI Max+)."""
    from catalog.models import Gpu  # the parsers above stay free of Django

    result = Matched(ram_gb=rig.ram_gib, rig=rig)
    devices = list(rig.devices)
    if not devices and rig.cpu:
        devices = [Device(name=rig.cpu, cpu=True)]
    found: dict[tuple, object] = {}
    for device in devices:
        key = (device.name, device.memory_mib, device.power_w)
        if key not in found:
            found[key] = _best(Gpu, device)
        gpu = found[key]
        if isinstance(gpu, list):  # several rows, alike in all the paste gives
            result.ambiguous.append(device.name)
            result.choices[device.name] = gpu
        elif gpu is None:
            if not device.cpu:
                result.unmatched.append(device.name)
        else:
            for i, (row, n) in enumerate(result.rows):
                if row.pk == gpu.pk:
                    result.rows[i] = (row, n + 1)
                    break
            else:
                result.rows.append((gpu, 1))
    return result


def _best(Gpu, device: Device):  # noqa: N803 (the model class, passed in)
    """The catalog row for one device: None when nothing matches (or only rows of another memory size), the
    rows it may be (a list) when the best ones are alike in all the paste gives: never one of them picked by
    the order of their names."""
    memory_mib = device.memory_mib or named_memory_mib(device.name)
    if (slug := DRIVER_SLUGS.get(_driver_key(device.name))) is not None:
        from catalog import slugs

        try:
            gpu = slugs.get(Gpu, slug)
        except Gpu.DoesNotExist:
            return None  # not in this catalog: its words would find another part ("NVIDIA H100 NVL": H100)
        if memory_mib is None or _same_memory(memory_mib, gpu.memory_bytes):
            return gpu  # else the memory the paste gives decides among the rows of its words
    name = device.name.split(" w/ ")[0]  # lscpu: "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S"
    words = _words(name)
    digits = [i for i, w in enumerate(words) if re.search(r"\d", w)]
    candidates: list = []
    dropped: list[str] = []
    # Drop trailing words the catalog does not know ("HBM3", "Graphics", "Series"), never the model number.
    while words:
        candidates = list(Gpu.objects.search(" ".join(words))[:50])
        if candidates or device.cpu or not digits or len(words) <= digits[0] + 1:
            break
        dropped.append(words.pop().lower())
    wanted = base_key(name)
    # the words left are the name where only words that name no other part were dropped ("Radeon RX 570" of
    # "Radeon RX 570 Series"), not "Laptop" ("GeForce RTX 4090 Laptop GPU" is the 4090 Mobile, not the 4090)
    exact = {wanted, base_key(" ".join(words))} if set(dropped) <= NOISE_WORDS else {wanted}
    if not digits:  # "NVIDIA GeForce ..." (cut short): only the exact name will do
        candidates = [g for g in candidates if base_key(g.name) == wanted]
    if not candidates:
        return None

    def rank(gpu):
        memory_off = memory_mib is not None and not _same_memory(memory_mib, gpu.memory_bytes)
        power_off = device.power_w is not None and gpu.tdp_w is not None and gpu.tdp_w != device.power_w
        key = base_key(gpu.name)
        # a name all the rows begin with ("NVIDIA H100": PCIe, SXM5, NVL...) is any of them; else the row
        # whose name is nearest in length ("... 4090 Laptop GPU": the 4090 Mobile)
        nearest = 0 if key.startswith(wanted) else abs(len(key) - len(wanted))
        return (memory_off, key not in exact, nearest, power_off)

    ranked = sorted(candidates, key=lambda g: (rank(g), g.name))
    best = [g for g in ranked if rank(g) == rank(ranked[0])]
    if rank(best[0])[0]:  # the name's rows, but none of the memory the paste gives
        return None
    return best[0] if len(best) == 1 else best


def _same_memory(memory_mib: int, memory_bytes: int) -> bool:
    return abs(memory_mib * MIB - memory_bytes) <= MEMORY_TOLERANCE * memory_bytes
