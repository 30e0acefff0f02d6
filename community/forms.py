"""The form a visitor pastes a benchmark into: what it ran (model, format, GPUs) and the output itself.

The model is always chosen; the format and the GPUs may come from the paste (llama-bench's model column,
llama.cpp's device lines) and are checked against it when both are given. `save()` stores one
VisitorMeasurement per speed read, all waiting for review, with only the lines that were read.
"""

import re
import uuid

from django import forms
from django.db import connection, transaction
from simple_history.utils import bulk_create_with_history

from catalog.models import Gpu, LlmModel, Measurement, Quantization
from catalog.pages import PICK_LIMIT, pick_gpus
from catalog.search import search_key
from estimator.units import GB, format_rate

from . import devices, parse, plausible
from .models import MAX_PASTE_CHARS, VisitorMeasurement

MAX_ROWS = 50
MAX_GPUS = 64
PARAMS_TOLERANCE = 0.1  # llama-bench prints the file's count (8.03 B); the catalog's can round differently
# llama-bench's backend column ("MTL,BLAS", "CUDA") → the catalog's backend; BLAS alone is the CPU.
BACKENDS = {
    "cuda": "cuda",
    "rocm": "rocm",
    "hip": "rocm",
    "vulkan": "vulkan",
    "metal": "metal",
    "mtl": "metal",
}
BACKENDS |= {"sycl": "sycl", "cpu": "cpu", "blas": "cpu"}
# Which backend runs each source of device lines (calculator/rig.py names them).
DEVICE_LINE_BACKENDS = {"llama.cpp (Vulkan)": "vulkan"}
MARKUP = re.compile(r"[<>]|://")
# pg_advisory_xact_lock's key for storing submissions: two sends of one paste at once store it once
STORE_LOCK = 0x5642_5355  # "VBSU"


class SubmitForm(forms.Form):
    paste = forms.CharField(
        label="llama-bench table, or llama-server / ollama run --verbose timings",
        max_length=MAX_PASTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )
    model = forms.ModelChoiceField(
        LlmModel.objects.all(), to_field_name="slug", label="Model you ran", empty_label="— choose —"
    )
    quant = forms.ModelChoiceField(
        Quantization.objects.all(), to_field_name="slug", required=False, label="Format",
        empty_label="from the paste",
    )  # fmt: skip
    gpu = forms.ModelChoiceField(
        Gpu.objects.all(), to_field_name="slug", required=False, label="GPU",
        empty_label="from the paste",
    )  # fmt: skip
    # The GPU picker's finder (catalog:gpu-pick reads it as `q`): with JavaScript, typing swaps its matches into
    # the GPU list; without, it is a plain text field, the name read here (`_named_gpu`)
    q = forms.CharField(label="GPU name", required=False)  # its first 100 characters read, as the picker's
    count = forms.IntegerField(label="How many", min_value=1, max_value=MAX_GPUS, required=False)
    runtime = forms.ChoiceField(choices=VisitorMeasurement.Runtime.choices, required=False, label="Runtime")

    def clean_paste(self):
        text = self.cleaned_data["paste"].replace("\x00", "")
        parsed = parse.parse(text)
        if not parsed.rows:
            reasons = "; ".join(dict.fromkeys(parsed.skipped))
            raise forms.ValidationError(
                "No llama-bench table, llama-server timings or ollama run --verbose timings found."
                + (f" Left out: {reasons}." if reasons else "")
            )
        if any(MARKUP.search(line) for line in parsed.lines):
            raise forms.ValidationError("Paste the tool's plain output: no links or markup.")
        if len({row.model for row in parsed.rows}) > 1:
            raise forms.ValidationError("The table has runs of several models: paste one model at a time.")
        if len(parsed.rows) > MAX_ROWS:
            raise forms.ValidationError(f"At most {MAX_ROWS} results at a time.")
        self.parsed, self.devices = parsed, devices.read(text)
        return text

    def clean(self):
        data = super().clean()
        self._named_gpu(data)
        if not hasattr(self, "parsed") or not data.get("model"):
            return data
        first = self.parsed.rows[0]
        model = data["model"]
        if (
            first.params_b
            and model.total_params_b
            and abs(first.params_b / model.total_params_b - 1) > PARAMS_TOLERANCE
        ):
            self.add_error(
                "model",
                f"The table's model has {first.params_b:g} B parameters; {model.name} has {model.total_params_b:g} B.",
            )
        self._clean_format(data, first)
        self._clean_gpus(data)
        if not data.get("runtime"):
            data["runtime"] = "ollama" if self.parsed.tool == "ollama" else "llama.cpp"
        if not self.errors:
            self.rows = self._measurements()
            if not self.rows:
                self.add_error(
                    "paste", "Every result ran on the CPU alone: the calculator compares GPU runs."
                )
            self._check_against_the_engine()
        return data

    def save(self) -> list[VisitorMeasurement]:
        """Store the rows not received before (`already` counts the others), all waiting for review, with
        their history. Two queries and the inserts, under a lock: the same paste sent twice at once is
        stored once."""
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STORE_LOCK])
            new = self._not_received()
            self.already = len(self.rows) - len(new)
            return bulk_create_with_history(new, VisitorMeasurement) if new else []

    def _not_received(self) -> list[VisitorMeasurement]:
        """The rows no earlier submission holds: the same model, format and GPUs, test, speed and line read
        (any status: a rejected run sent again is not new either); a line repeated in the paste once.
        `earlier` keeps the ids of the rows received before, to show them with the new ones."""
        first = self.rows[0]
        seen: dict[tuple, int | None] = {
            (test, tok_s, line): pk
            for pk, test, tok_s, line in VisitorMeasurement.objects.filter(
                llm=first.llm,
                quantization=first.quantization,
                gpu=first.gpu,
                gpu_count=first.gpu_count,
                test__in={row.test for row in self.rows},
            ).values_list("pk", "test", "tok_s", "line")
        }
        new, self.earlier = [], []
        for row in self.rows:
            key = (row.test, row.tok_s, row.line)
            if key not in seen:
                seen[key] = None
                new.append(row)
            elif seen[key] is not None and seen[key] not in self.earlier:
                self.earlier.append(seen[key])
        return new

    def _check_against_the_engine(self) -> None:
        """Refuse a speed the hardware cannot reach (`plausible.ceiling`); note on each row the engine's
        estimate and whether it is far from it. One error per impossible test, next to the paste."""
        for row in self.rows:
            ceiling = plausible.ceiling(row)
            if ceiling and row.tok_s > ceiling.tok_s:
                self.add_error("paste", _impossible(row, ceiling))
                continue
            row.estimate_tok_s = plausible.estimate(row)
            row.far_from_estimate = plausible.far_from(row.estimate_tok_s, row.tok_s)

    def _clean_format(self, data, first: parse.Row) -> None:
        printed = first.ftype
        slugs = parse.quant_slugs(printed) if printed else []
        chosen = data.get("quant")
        if chosen and slugs and chosen.slug not in slugs:
            self.add_error("quant", f"The table says {printed}; you chose {chosen.name}.")
        elif not chosen:
            found = {q.slug: q for q in Quantization.objects.filter(slug__in=slugs)}
            quant = next((found[s] for s in slugs if s in found), None)
            if quant is None:
                why = f"{printed} is not a catalog format" if printed else "the paste does not say it"
                self.add_error("quant", f"Choose the format: {why}.")
            data["quant"] = quant

    def _clean_gpus(self, data) -> None:
        """The GPU and count from the device lines, checked against those chosen. A name several catalog
        rows share (the RTX 3080 of 10 and of 12 GB) asks which, and takes only one of them."""
        found, chosen = self.devices, data.get("gpu")
        ambiguous = list(dict.fromkeys(found.ambiguous))
        if len(found.rows) + len(ambiguous) > 1:
            self.add_error("gpu", "The device lines list different GPUs: one kind of GPU per submission.")
        elif found.rows:
            gpu, count = found.rows[0]
            if chosen and gpu.pk != chosen.pk:
                self.add_error("gpu", f"The device lines say {gpu.name}; you chose {chosen.name}.")
            data["gpu"], data["count"] = gpu, data.get("count") or count
        elif ambiguous:
            name = ambiguous[0]
            question = devices.which(name, found.choices[name])
            if not chosen:
                self.add_error(
                    "gpu",
                    f"{question} Its device line does not say: choose it on top of the GPU list, or paste "
                    "nvidia-smi's table with the run.",
                )
            elif chosen.pk not in {gpu.pk for gpu in found.choices[name]}:
                self.add_error("gpu", f"The device lines say {question[:-1]}, not {chosen.name}.")
            data["count"] = data.get("count") or found.ambiguous.count(name)
        elif not chosen:
            names = ", ".join(found.unmatched)
            self.add_error(
                "gpu",
                f"Choose the GPU: {'no catalog GPU matches ' + names if names else 'the paste does not name it'}.",
            )
        data["count"] = data.get("count") or 1

    def _named_gpu(self, data) -> None:
        """The GPU typed by name in the picker's finder, where none is chosen in the list (`gpu_named`): without
        JavaScript the finder swaps nothing into the list, which holds the most asked about GPUs alone, so a GPU
        it does not list could not be chosen. Several matches are offered at the top of the list (`matches`).
        With JavaScript the list holds the finder's matches, one chosen: one the name does not match asks which
        was meant."""
        self.matches: list[Gpu] = []
        name = (data.get("q") or "")[:100].replace("\x00", "").strip()
        if not name or "gpu" in self.errors:
            return
        chosen = data.get("gpu")
        if chosen is not None:
            if chosen.pk not in {gpu.pk for gpu in pick_gpus(name)}:
                self.add_error(
                    "gpu", f"You chose {chosen.name} and typed “{name}”: clear the one you did not mean."
                )
            return
        gpu, self.matches, why = gpu_named(name)
        if gpu is None:
            self.add_error("gpu", why)
        data["gpu"] = gpu

    def candidates(self) -> list[Gpu]:
        """The catalog rows the paste's GPU may be, for the top of the GPU list: none when it names one."""
        found = getattr(self, "devices", None)
        if found is None or found.rows:
            return []
        return [
            gpu for name in dict.fromkeys(found.ambiguous) for gpu in devices.by_memory(found.choices[name])
        ]

    def _measurements(self) -> list[VisitorMeasurement]:
        """The rows to store (unsaved), one per speed read; rows on the CPU alone are left out."""
        data, parsed = self.cleaned_data, self.parsed
        submission = uuid.uuid4()
        source = self.devices.rig.sources[0] if self.devices.rig.sources else ""
        default_backend = DEVICE_LINE_BACKENDS.get(source, data["gpu"].backend)
        out = []
        for row in parsed.rows:
            printed = row.backend.split(",")[0].strip().lower()
            backend = BACKENDS.get(printed, "") if printed else default_backend
            if backend not in Measurement.Backend.values or backend == "cpu":
                continue
            out.append(
                VisitorMeasurement(
                    submission=submission,
                    gpu=data["gpu"],
                    gpu_count=data["count"],
                    device_name=next((d.name for d in self.devices.rig.devices), "")[:200],
                    llm=data["model"],
                    quantization=data["quant"],
                    model_printed=row.model[:200],
                    params_b=row.params_b,
                    size_gib=row.size_gib,
                    runtime=data["runtime"],
                    tool=parsed.tool,
                    backend=backend,
                    backend_printed=row.backend[:40],
                    runtime_build=parsed.build[:60],
                    metric=Measurement.Metric.DECODE
                    if row.metric == parse.DECODE
                    else Measurement.Metric.PREFILL,
                    test=row.test[:40],
                    tokens=row.tokens,
                    depth=row.depth,
                    tok_s=row.tok_s,
                    flags=row.flags[:300],
                    line=row.line[:500],
                    pasted="\n".join(parsed.lines)[:MAX_PASTE_CHARS],
                )
            )
        return out


def gpu_named(name: str) -> tuple[Gpu | None, list[Gpu], str]:
    """The GPU a name typed in the finder names, as the finder matches names (catalog.pages `pick_gpus`): (it,
    [], "") where one matches, or one is named exactly so (its name or slug); else (None, the matches, why):
    several, to choose from, or none."""
    found = pick_gpus(name)
    exact = [gpu for gpu in found if gpu.slug == name or search_key(gpu.name) == search_key(name)]
    if len(found) == 1 or len(exact) == 1:
        return Gpu.objects.get(pk=(exact or found)[0].pk), [], ""
    if not found:
        return None, [], f"No catalog GPU is named “{name}”: try its model number alone (3080 Ti, A2000)."
    some = f"{len(found)} GPUs or more" if len(found) >= PICK_LIMIT else f"{len(found)} GPUs"
    return None, found, f"“{name}” names {some}: choose yours at the top of the list."


def _impossible(row: VisitorMeasurement, ceiling: plausible.Ceiling) -> str:
    """Why `row`'s speed cannot be: what one token needs, what the GPUs give, and so the most they could run."""
    cards = f"{row.gpu_count}× {row.gpu.name}" if row.gpu_count > 1 else f"one {row.gpu.name}"
    measured = f"{row.test} at {format_rate(row.tok_s)} tok/s is not possible on {cards}"
    if row.metric == Measurement.Metric.DECODE:
        why = (
            f"each token reads at least {ceiling.per_token / GB:,.1f} GB of {row.llm.name}'s weights at "
            f"{row.quantization.name}, and {ceiling.rate / GB:,.0f} GB/s of memory bandwidth reads that "
            f"{ceiling.rate / ceiling.per_token:,.0f} times a second"
        )
    else:
        why = (
            f"each prompt token takes {ceiling.per_token / 1e9:,.1f} GFLOP of {row.llm.name}, and the GPU's "
            f"{ceiling.rate / 1e12:,.0f} TOPS at most do that {ceiling.rate / ceiling.per_token:,.0f} times a second"
        )
    return (
        f"{measured}: {why} (we allow up to {format_rate(ceiling.tok_s)}). "
        "Check the model, format and GPU chosen match the run."
    )
