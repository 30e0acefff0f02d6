"""The GPUs a pasted benchmark ran on: calculator/rig.py's reading and matching, and what a llama.cpp log
adds to it.

A device line ("Device 0: NVIDIA GeForce RTX 3080, compute capability 8.6, VMM: yes") names a card but not
its memory, and several catalog rows share the name (the RTX 3080 of 10 GB and of 12 GB): `rig.match` leaves
such a name `ambiguous`, with its candidates. A log of llama-server or llama-cli (not llama-bench, which
keeps it quiet) also prints, per device it loads the model on, its free memory (llama.cpp src/llama.cpp,
`llama_model_load_from_file_impl`: "%s: using device %s (%s) (%s) - %zu MiB free", the name, description,
PCI id; before the PCI id was added, "llama_load_model_from_file: using device CUDA0 (NVIDIA GeForce RTX
4090) - 23819 MiB free", ollama/ollama issue #8361). A card holds at least what it has free, so a 10 GB card
cannot have 11,000 MiB free: the candidates too small for it are struck out, and one left is the card.
"""

import dataclasses
import re

from calculator import rig
from estimator.units import or_listed

# llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce RTX 4090) (0000:01:00.0) - 23008 MiB free
USING_DEVICE = re.compile(
    r"using device \S+ \((.+?)\)(?: \((?:[0-9A-Fa-f:.]+|unknown id)\))? - (\d+) MiB free\s*$"
)


def read(text: str) -> rig.Matched:
    """The catalog rows of the paste's GPUs (`rig.match`), narrowed by the free memory a log prints; its
    "using device" lines name the GPUs when nothing else in the paste does."""
    found = rig.parse(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n")[: rig.MAX_PASTE_CHARS].split("\n")
    using = [(_name(m.group(1)), int(m.group(2))) for line in lines if (m := USING_DEVICE.search(line))]
    if using and not found.devices:
        devices = tuple(rig.Device(name=name) for name, _ in using)
        found = dataclasses.replace(
            found, devices=devices, sources=("llama.cpp (using device)", *found.sources)
        )
    matched = rig.match(found)
    free: dict[str, int] = {}
    for name, mib in using:
        free[name] = max(free.get(name, 0), mib)
    for name in list(dict.fromkeys(matched.ambiguous)):
        if name in free:
            _narrow(matched, name, free[name])
    return matched


def _name(description: str) -> str:
    """The device's name as rig.py's llama.cpp readers give it: without parentheses ("(RADV NAVI31)")."""
    return rig.PARENTHESES.sub("", description).strip()


def _narrow(matched: rig.Matched, name: str, free_mib: int) -> None:
    """The one candidate of `name` with room for `free_mib` MiB free, counted as found; else as it was."""
    fits = [gpu for gpu in matched.choices[name] if gpu.memory_bytes >= free_mib * rig.MIB]
    if len(fits) != 1:
        return
    count = matched.ambiguous.count(name)
    matched.ambiguous = [n for n in matched.ambiguous if n != name]
    del matched.choices[name]
    for i, (gpu, n) in enumerate(matched.rows):
        if gpu.pk == fits[0].pk:
            matched.rows[i] = (gpu, n + count)
            return
    matched.rows.append((fits[0], count))


def which(name: str, choices: list) -> str:
    """The question an ambiguous name asks: "GeForce RTX 3080: the 10 GB or the 12 GB?" where the rows
    differ in memory, else by their names."""
    short = " ".join(w for w in name.split() if w.lower() not in rig.VENDOR_WORDS) or name
    choices = by_memory(choices)
    sizes = [f"{gpu.memory_gib:g} GB" for gpu in choices]
    named = sizes if len(set(sizes)) == len(sizes) else [gpu.name for gpu in choices]
    return f"{short}: {or_listed([f'the {n}' for n in named])}?"


def by_memory(choices: list) -> list:
    """Candidates smallest memory first, then by name: "the 8 GB or the 12 GB"."""
    return sorted(choices, key=lambda gpu: (gpu.memory_bytes, gpu.name))
