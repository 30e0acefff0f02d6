"""What runs where on one question's devices (`Combination`, over catalog/runtime_support.py's table):
`QuestionForm.clean()` (calculator/forms.py) asks it to fill in and check the runtime and the format;
the pickers, the question and the page's fixes read it too."""

from collections.abc import Callable
from functools import cached_property
from itertools import islice

from django import forms
from django.db.models import Q

from catalog.fitting import DEFAULT_FORMAT, DEFAULTS, NATIVE_FORMATS, PUBLISHED_ONLY
from catalog.models import Gpu, LlmModel, Measurement, Quantization
from catalog.published import formats_of, listed_formats, model_spec
from catalog.runtime_support import backend_runtimes, device_backend, runs_there, runtime_table
from catalog.runtimes import BY_SLUG, COMMAND_FOR_RUNTIME, RUNTIME_CHOICES
from estimator import ModelSpec, QuantSpec, commands
from estimator.limits import bounded_cache, length_of_result
from estimator.ranking import interned
from estimator.reasons import Reason

BACKEND_NAMES = {
    "cuda": "NVIDIA GPUs (CUDA)",
    "rocm": "AMD GPUs (ROCm)",
    "metal": "Apple silicon (Metal)",
    "sycl": "Intel GPUs (SYCL)",
    "vulkan": "other GPUs (Vulkan)",
    "cpu": "the CPU",
}
# The same, short, for the form's pickers ("vLLM: NVIDIA or AMD only"). An Intel device is named by its
# usual backend, SYCL (Gpu.BACKEND_BY_VENDOR; it runs Vulkan runtimes too), other vendors' by Vulkan.
BACKEND_SHORT = {
    "cuda": "NVIDIA",
    "rocm": "AMD",
    "metal": "Apple silicon",
    "sycl": "Intel (SYCL)",
    "vulkan": "other GPUs (Vulkan)",
    "cpu": "CPU",
}
# The GPU backends a question may ask for, in the catalog's words for the builds (`Measurement.Backend`, all
# but the CPU): llama.cpp and the runtimes on it run an AMD card on ROCm or Vulkan, an NVIDIA card on CUDA or
# Vulkan, an Intel one on SYCL or Vulkan (Gpu.backend_choices); empty, the usual one for the runtime
# (Combination.backend).
BACKEND_CHOICES = [(b, label) for b, label in Measurement.Backend.choices if b != Measurement.Backend.CPU]
# A backend as a build of a runtime, where the question asks for one ("vLLM has no Vulkan build").
BUILD_NAMES = dict(BACKEND_CHOICES) | {"cpu": "the CPU"}


def shared_backends(gpus) -> list[str]:
    """The backends a question may ask for that every one of `gpus` has a build of, the first's order:
    ROCm and Vulkan for a Radeon, Vulkan alone for a GeForce beside it."""
    kinds = list(gpus)
    if not kinds:
        return []
    names = dict(BACKEND_CHOICES)
    return [b for b in kinds[0].backend_choices if b in names and all(b in g.backend_choices for g in kinds)]


def one_build(gpus) -> str | None:
    """The backend devices of several vendors run on together where the question asks for none: the first
    build every one has (`shared_backends`: Vulkan for a GeForce beside a Radeon or an Arc). No one build of
    llama.cpp drives CUDA and ROCm devices: the HIP backend is compiled from the CUDA sources and their symbols
    collide, so a build with both lists one vendor's cards alone, while CUDA beside Vulkan works
    (ggml-org/llama.cpp issues 11506 and 29048); vLLM and SGLang are a CUDA or a ROCm build too. None where
    the devices share their usual backend (each runs on it), or share no build at all (`QuestionForm`
    refuses them: `apart`)."""
    kinds = list(dict.fromkeys(gpus))
    if len({g.backend for g in kinds}) < 2:
        return None
    return next(iter(shared_backends(kinds)), None)


def vendors(gpus) -> str:
    """'NVIDIA and AMD': the vendors of `gpus`, in the catalog's order of vendors (a picker's and the
    answer's words agree whatever the order the GPUs were given in)."""
    order = list(Gpu.Vendor.values)
    found = sorted({g.vendor for g in gpus}, key=lambda v: order.index(v) if v in order else len(order))
    return " and ".join(Gpu.Vendor(v).label if v in order else v for v in found)


# The format a model was released in, by its native dtype, for runtimes that load Hugging Face
# checkpoints (vLLM, SGLang, MLX); 16-bit otherwise. GGUF runtimes start from fitting.NATIVE_FORMATS.
RELEASE_FORMATS = {"float8_e4m3": "fp8", "mxfp4+bfloat16": "mxfp4", "float16": "f16"}
# Backends a runtime runs on where the calculator does not time it, and the page of its makers that says it
# runs there: vLLM's Intel GPU build (XPU; its installation page, "Supported Hardware: Intel Data Center GPU,
# Intel ARC GPU") has too few published single-stream measurements to set its kernels' shares (bench/data holds
# none: the engine's vLLM shares are fitted on NVIDIA and AMD rows), so a question there is refused with that
# reason, not with "does not run".
NOT_TIMED = {
    ("vllm", "sycl"): (
        "Intel GPUs through its XPU build",
        "Intel (XPU)",
        "docs.vllm.ai/en/latest/getting_started/installation/gpu/",
    )
}
# How a refusal names a format's family ("Q4_K_M (a GGUF format)").
FAMILY_WORDS = {
    "gguf": "a GGUF format",
    "float": "unquantized weights",
    "awq": "an AWQ checkpoint",
    "gptq": "a GPTQ checkpoint",
    "fp8": "an FP8 checkpoint",
    "mxfp4": "MXFP4 weights",
    "bnb": "bitsandbytes",
    "exl2": "an EXL2 checkpoint",
    "mlx": "an MLX conversion",
}
# A published GGUF this many bits per weight from the usual format's width stands in for it (a download
# instead of converting the checkpoint); one further is another size class (1-bit, 8-bit): not a default.
NEAR_BITS = 1.0
MLX_DEFAULT = "mlx-4bit"  # mlx-community's usual conversion, where the catalog has the format


class Combination:
    """Only combinations that exist: the runtime runs on every device's backend, runs the format there
    and takes the KV cache type (the catalog's Runtime table). Fills in what the visitor left out: the
    runtime (the first that runs the chosen format here) and the format (the model's own, for this
    runtime); says why a combination cannot run and what to pick instead, next to the field."""

    def __init__(self, devices, backend: str | None = None):
        """`backend`: the one the question asks every device to run on (QuestionForm.backend_fits checked
        each has it); None, each device's usual one for the runtime, or where devices of several vendors have
        no usual one in common, the one build they share (`one_build`)."""
        self.table = runtime_table()
        self.devices = devices
        self.asked = backend
        # the one build every device runs on: the one asked for, or one several vendors' devices share
        self.together = None if backend else one_build(devices)
        self.build = backend or self.together
        # each kind's backends, usual first; the one build alone
        self.own = sorted({gpu.backend_choices for gpu in devices})
        self.choices = [(self.build,)] if self.build else self.own
        self.backends = sorted({choices[0] for choices in (self.choices if backend else self.own)})
        self.specs: dict[int, ModelSpec] = {}
        self._runs: dict[tuple[str, str | None], bool] = {}

    @cached_property
    def unasked(self) -> "Combination":
        """These devices each on its usual backends: what leaving the backend asked for empty would run."""
        return Combination(self.devices) if self.asked else self

    def runs(self, runtime: str, family: str | None = None) -> bool:
        """Whether the runtime runs (the format `family`) on each device, on one of its backends. Kept per
        runtime and family: the format picker asks it of every runtime for each of ~20 formats, which
        share a handful of families."""
        key = (runtime, family)
        if key not in self._runs:
            row = self.table.get(runtime)
            self._runs[key] = all(device_backend(row, choices, family) for choices in self.choices)
        return self._runs[key]

    def backend(self, gpu: Gpu, runtime: str, family: str | None = None) -> str:
        """The backend the engine times the device on under this runtime: LM Studio on an Intel Arc runs
        llama.cpp's Vulkan, llama.cpp there SYCL (device_backend); its usual one if none."""
        if self.build:
            return self.build
        return device_backend(self.table.get(runtime), gpu.backend_choices, family) or gpu.backend

    def names(self, runtimes) -> str:
        labels = [dict(RUNTIME_CHOICES)[r] for r in runtimes]
        return " or ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 2 else labels)

    def hardware(self, short: bool = False) -> str:
        if self.asked:  # "Vulkan": the build asked for, whatever the vendor
            return BUILD_NAMES.get(self.asked, self.asked)
        if self.together and not short:  # "NVIDIA and AMD GPUs together (Vulkan)"
            return f"{vendors(self.devices)} GPUs together ({BUILD_NAMES[self.together]})"
        return " and ".join((BACKEND_SHORT if short else BACKEND_NAMES).get(b, b) for b in self.backends)

    def check(self, form: forms.Form, data: dict) -> None:
        """Fill in the runtime and the format the visitor left out (in `data`, the form's cleaned data),
        as a combination this model has weights for here where there is one; add an error to `form`
        where the combination cannot run."""
        runtime_given = form.data.get("runtime") not in (None, "")
        model, quant = data["model"], data.get("quant")
        if not runtime_given and quant is not None and self.format_runtime(quant.family) is None:
            self.no_runtime_runs(form, model, quant)  # no runtime to blame: the format runs elsewhere
            return
        if not runtime_given and quant is not None:
            data["runtime"] = (
                self.runtime_with_weights(model, quant)
                or self.format_runtime(quant.family)
                or DEFAULTS["runtime"]
            )
        if not runtime_given and quant is None:
            data["runtime"], quant = self.usual(model)
        runtime = data["runtime"]
        if not self.runs(runtime):
            where = [r for r, _ in RUNTIME_CHOICES if self.runs(r)]
            instead = f": pick {self.names(where)}" if where else ""
            row = self.table[runtime]
            backends = self.missing_backends(runtime)
            if builds := self.not_timed(runtime, backends):
                where_runs = " and ".join(f"{words} ({page})" for words, _, page in builds)
                form.add_error(
                    "runtime",
                    f"{row['name']} runs on {where_runs} too, but this calculator cannot time it there yet: "
                    f"no published measurement to calibrate on{instead}.",
                )
            elif self.together and not backends:  # runs on each vendor's build, none of them together
                form.add_error(
                    "runtime",
                    f"{row['name']} has no build that runs {vendors(self.devices)} GPUs together{instead}, "
                    f"which run them on {BUILD_NAMES[self.together]}.",
                )
            elif self.asked:
                # leaving the backend empty helps only where the runtime runs on the devices' usual ones
                usual = self.unasked.runs(runtime)
                leave = (
                    (", or leave the backend empty" if instead else ": leave the backend empty")
                    if usual
                    else ""
                )
                form.add_error("runtime", f"{row['name']} has no {self.hardware()} build{instead}{leave}.")
                if usual:
                    form.fixes.append(("runtime", {"backend": ""}))
            else:
                missing = " and ".join(BACKEND_NAMES.get(b, b) for b in backends)
                runs_on = only_on(row["backends"]).removesuffix(" only")
                form.add_error(
                    "runtime", f"{row['name']} does not run on {missing}, only on {runs_on}{instead}."
                )
            given = quant if form.data.get("quant") not in (None, "") else None
            form.fixes += [  # a format the other runtime cannot run gives way to its usual one
                (
                    "runtime",
                    {"runtime": r} | ({"quant": ""} if given and not self.runs(r, given.family) else {}),
                )
                for r in where
            ]
            return
        if quant is None:  # one with weights for the model; else the usual one, and the command says why
            quant = self.default_format(model, runtime) or self.default_format(
                model, runtime, any_weights=True
            )
            if quant is None:
                form.add_error("quant", "Choose a format.")
                return
        data["quant"] = quant
        if not self.runs(runtime, quant.family):
            form.add_error("quant", self.format_refusal(runtime, quant, model))
            form.fixes += [("quant", {"quant": ""})] + [
                ("quant", {"runtime": r}) for r, _ in RUNTIME_CHOICES if self.runs(r, quant.family)
            ]
            return
        kv_types = self.table.get(runtime, {}).get("kv")
        if kv_types and data["kv"] not in kv_types:
            form.add_error(
                "kv",
                f"{self.table[runtime]['name']} keeps its KV cache in {', '.join(kv_types)}, not "
                f"{data['kv']}: pick one of those.",
            )
            form.fixes += [("kv", {"kv": kv}) for kv in kv_types]

    # ---- What the form's pickers offer on this hardware ------------------------------------------

    def not_here(self, runtime: str) -> str | None:
        """Why a runtime of the form cannot run on these devices, in a few words ("NVIDIA or AMD
        only", "not timed on Intel (SYCL)"); None where it runs."""
        if self.runs(runtime):
            return None
        if builds := self.not_timed(runtime, self.missing_backends(runtime)):
            return f"not timed on {' or '.join(short for _, short, _ in builds)}"
        if self.together and not self.missing_backends(runtime):  # a CUDA and a ROCm build, not one
            return f"not {vendors(self.devices)} together"
        if self.asked:  # a build asked for: the runtime's builds, not its vendors ("CUDA or ROCm only")
            builds = [
                BUILD_NAMES[b] for b in self.table[runtime]["backends"] if b in BUILD_NAMES and b != "cpu"
            ]
            return f"{' or '.join(builds)} only"
        return only_on(self.table[runtime]["backends"])

    def missing_backends(self, runtime: str) -> list[str]:
        """The usual backends of the devices the runtime does not run on (each on its own ones: where
        several vendors' share one build, the runtime may run on each apart but not on that build)."""
        row = self.table[runtime]
        return sorted(
            {c[0] for c in (self.own if self.together else self.choices) if not device_backend(row, c)}
        )

    @staticmethod
    def not_timed(runtime: str, backends: list[str]) -> list[tuple[str, str, str]]:
        """How the runtime runs on each of `backends` where the calculator does not time it (`NOT_TIMED`:
        in words, in short, its makers' page); empty unless every one of them is such a backend."""
        builds = [NOT_TIMED.get((runtime, b)) for b in backends]
        return builds if builds and all(builds) else []

    def format_runtime(self, family: str) -> str | None:
        """The runtime the calculator runs this format family with here: the first of RUNTIME_CHOICES
        that runs it on every device (runtime_for, on each device's backends)."""
        return next((r for r, _ in RUNTIME_CHOICES if self.runs(r, family)), None)

    def format_not_here(self, family: str) -> str | None:
        """Why no runtime of the form runs this format family on these devices ("Apple silicon only");
        None where one does."""
        if self.format_runtime(family):
            return None
        everywhere = {b for r, _ in RUNTIME_CHOICES for b in (self.table.get(r) or {}).get("backends", [])}
        return only_on(backend_runtimes(family, everywhere)) or "no runtime here runs it"

    def usual(self, model: LlmModel) -> tuple[str, Quantization | None]:
        """The runtime and format a visitor who named neither gets: the first runtime of RUNTIME_CHOICES
        that runs here and has weights of its usual format for the model (llama.cpp at Q4_K_M for most;
        vLLM at BF16 for a model llama.cpp cannot convert). If none has, the default runtime at its usual
        format: the question is still sized, and the command section says why there is no command."""
        for runtime, _ in RUNTIME_CHOICES:
            if self.runs(runtime) and (quant := self.default_format(model, runtime)):
                return runtime, quant
        return DEFAULTS["runtime"], self.default_format(model, DEFAULTS["runtime"], any_weights=True)

    def runtime_with_weights(self, model: LlmModel, quant: Quantization) -> str | None:
        """The first runtime of RUNTIME_CHOICES that runs the format here and can have its weights."""
        return next(
            (
                r
                for r, _ in RUNTIME_CHOICES
                if self.runs(r, quant.family) and self.missing(model, quant, r) is None
            ),
            None,
        )

    def spec(self, model: LlmModel) -> ModelSpec:
        """The model as the engine sees it, with its published artifacts (read once per model)."""
        key = id(model)
        if key not in self.specs:
            self.specs[key] = model_spec(model)
        return self.specs[key]

    def missing(self, model: LlmModel, quant: Quantization, runtime: str) -> Reason | None:
        """Why this runtime can have no weights of the format for the model (estimator.commands.unavailable:
        none published, none it can make; calculator/present.py words it); None when it can."""
        return unavailable(self.spec(model), quant.as_spec(), COMMAND_FOR_RUNTIME[runtime])

    def runs_instead(
        self,
        model: LlmModel,
        runtime: str,
        quant: Quantization | None = None,
        most: int = 3,
        fits: Callable[[QuantSpec], bool] | None = None,
    ) -> list[str]:
        """Comment lines for a runtime with no weights of `quant` for the model: up to `most` other listed
        formats this runtime has a command for here (the model's own first, then those of `quant`'s family,
        then Q4_K_M, then the nearest in size below it) and, given `fits` (the question asked at a format), that fit
        the question's hardware; and the other runtimes that run `quant` itself here; where neither is, up
        to `most` formats with the runtimes that run each here. A format is named only with a runtime that
        has its weights; none where there is none."""
        names = dict(RUNTIME_CHOICES)
        published = formats_of(model)
        bits = quant.bits_per_weight if quant is not None else 0.0
        rows = sorted(
            (row for row in listed_formats() if quant is None or row[3] != quant.slug),
            key=lambda row: (
                row[3] not in published,
                quant is not None and row[2] != quant.family,
                row[3] != DEFAULT_FORMAT,  # the format people run models at (Q4_K_M), where it fits
                row[1] > bits,
                abs(row[1] - bits),
            ),
        )
        found: dict[str, list[str]] = {}  # format -> the runtimes that have a command for it here
        specs: dict[str, QuantSpec] = {}  # format -> its spec, to ask whether it fits
        # With one row per format name, a format's runtimes are complete once its row is read, so the
        # formats this runtime has (`here`, runtime first in each row) are final at the `most`-th: the
        # rest of the table, every format with every runtime, is read only where it may be needed.
        unique = len({row[0].name for row in rows}) == len(rows)
        in_this = 0
        fitting: set[str] = set()  # the formats of `found` this runtime has and the hardware holds
        for spec, _, family, _ in rows:
            for other in sorted(COMMAND_FOR_RUNTIME, key=lambda r: r != runtime):
                tool = COMMAND_FOR_RUNTIME[other]
                if (
                    spec.format in commands.TOOLS[tool][2]
                    and self.runs(other, family)
                    and unavailable(self.spec(model), spec, tool) is None
                ):
                    found.setdefault(spec.name, []).append(names[other])
                    specs[spec.name] = spec
                    if other == runtime and (fits is None or fits(spec)):
                        fitting.add(spec.name)
                        in_this += 1
            if unique and in_this >= most:
                break
        lines = []
        here = [fmt for fmt in found if fmt in fitting][:most]
        if here:
            listed = ", ".join(here[:-1]) + f" or {here[-1]}" if len(here) > 1 else here[0]
            lines.append(f"# Here it runs as {listed} in {names[runtime]}: choose one in the form.")
        others = [
            r
            for r, _ in RUNTIME_CHOICES
            if quant is not None
            and r != runtime
            and self.runs(r, quant.family)
            and self.missing(model, quant, r) is None
        ]
        if others:
            pick = f"pick {names[others[0]]}" if len(others) == 1 else "pick one of them"
            lines.append(f"# Here it runs as {quant.name} in {self.names(others)}: {pick}.")
        if not lines and found:
            # the formats of other runtimes that fit the hardware too (asked as the question's fit at that
            # format: the runtime moves its overhead, not its weights), the first `most` of them
            fitting_elsewhere = (fmt for fmt in found if fits is None or fits(specs[fmt]))
            shown = [f"{fmt} ({', '.join(found[fmt])})" for fmt in islice(fitting_elsewhere, most)]
            if shown:
                listed = ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]
                lines.append(f"# Here it runs as {listed}: choose one in the form.")
            else:  # said, not left out: the visitor learns that no other runtime is the way either
                held = [f"{fmt} ({', '.join(runtimes)})" for fmt, runtimes in list(found.items())[:most]]
                lines.append(f"# Other runtimes have it as {', '.join(held)}: none fits this hardware.")
        return lines

    def format_refusal(self, runtime: str, quant: Quantization, model: LlmModel) -> str:
        name = self.table[runtime]["name"]
        others = [r for r, _ in RUNTIME_CHOICES if self.runs(r, quant.family)]
        instead = self.default_format(model, runtime)
        what = FAMILY_WORDS.get(quant.family, quant.get_family_display())
        named = f"{quant.name}, {what}," if "(" in quant.name else f"{quant.name} ({what})"  # FP8 (E4M3)
        text = f"{name} does not run {named} on {self.hardware()}."
        if instead and others:
            return f"{text} Pick a format it runs, such as {instead.name}, or switch to {self.names(others)}."
        if instead:
            return f"{text} Pick a format it runs, such as {instead.name}."
        if others:
            return f"{text} Switch to {self.names(others)}."
        return f"{text} No runtime this calculator models runs it there."

    def no_runtime_runs(self, form: forms.Form, model: LlmModel, quant: Quantization) -> None:
        """A format no runtime runs on these devices, asked for without a runtime: where it runs and
        with what, and the formats that run here (the model's usual one, and the nearest in width)."""
        table, family = self.table, quant.family
        everywhere = {b for r, _ in RUNTIME_CHOICES for b in (table.get(r) or {}).get("backends", [])}
        where = sorted(backend_runtimes(family, everywhere))
        runtimes = [
            r for r, _ in RUNTIME_CHOICES if any(runs_there(table.get(r), [b], family) for b in where)
        ]
        _, usual = self.usual(model)
        text = f"{quant.name} is {FAMILY_WORDS.get(family, quant.get_family_display())}"
        if where:
            places = " or ".join(BACKEND_NAMES.get(b, b) for b in where)
            text += f": it runs only on {places}, with {self.names(runtimes)}"
        text += f". On {self.hardware()}, pick a format that runs there"
        form.add_error("quant", f"{text}, such as {usual.name}." if usual else f"{text}.")
        if self.asked and self.unasked.format_runtime(family):
            # FP8 asked on Vulkan of a 4090, which runs it on CUDA: leaving the backend empty answers
            form.fixes.append(("quant", {"backend": ""}))
        form.fixes.append(("quant", {"quant": ""}))
        if nearest := self.nearest_runnable(model, quant.bits_per_weight, exclude=usual):
            form.fixes.append(("quant", {"quant": nearest}))

    def nearest_runnable(self, model: LlmModel, bits: float, exclude: Quantization | None) -> str | None:
        """The listed format nearest `bits` wide (ties: the narrower) that a runtime runs here and has
        weights of for the model, by slug; not `exclude`."""
        spec = self.spec(model)
        found = [
            (abs(width - bits), width, slug)
            for quant, width, family, slug in listed_formats()
            if (exclude is None or slug != exclude.slug)
            and (r := self.format_runtime(family))
            and (family not in PUBLISHED_ONLY or slug in formats_of(model))
            and unavailable(spec, quant, COMMAND_FOR_RUNTIME[r]) is None
        ]
        return min(found, default=(0, 0, None))[2]

    def default_format(self, model: LlmModel, runtime: str, any_weights: bool = False) -> Quantization | None:
        """The format the model is usually run at under this runtime: its own where a GGUF runtime can
        run it as released (gpt-oss in MXFP4), Q4_K_M otherwise, or, where that is not published but
        GGUF files near its width are, the nearest of those (listed formats first: a download, not a
        conversion of the whole checkpoint); its release format (FP8 for DeepSeek, MXFP4 for gpt-oss,
        BF16) for runtimes that load checkpoints; MLX's 4-bit where the catalog has it. Only one the
        runtime can have weights of for the model (`missing`), unless `any_weights`."""
        native = model.native_dtype or ""
        gguf = BY_SLUG[runtime].gguf
        published = formats_of(model) if gguf else frozenset()
        if gguf:
            wanted = [NATIVE_FORMATS.get(native, DEFAULT_FORMAT)]
        else:
            wanted = [RELEASE_FORMATS.get(native, "bf16"), "bf16"]
            if runtime == "mlx":
                wanted.insert(0, MLX_DEFAULT)
        rows = Quantization.objects.filter(Q(slug__in=wanted) | Q(slug__in=published, family="gguf"))
        found = {q.slug: q for q in rows}
        if gguf and wanted[0] in found and wanted[0] not in published:
            width = found[wanted[0]].bits_per_weight
            near = [
                q
                for q in found.values()
                if q.slug in published and abs(q.bits_per_weight - width) <= NEAR_BITS
            ]
            near.sort(key=lambda q: (not q.listed, abs(q.bits_per_weight - width), q.bits_per_weight))
            wanted = [q.slug for q in near] + wanted
        return next(
            (
                found[s]
                for s in wanted
                if s in found
                and self.runs(runtime, found[s].family)
                and (any_weights or self.missing(model, found[s], runtime) is None)
            ),
            None,
        )


def only_on(backends) -> str:
    """'NVIDIA or AMD only', in BACKEND_SHORT's order; empty for no backend."""
    words = [word for backend, word in BACKEND_SHORT.items() if backend in backends]
    if not words:
        return ""
    return (", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]) + " only"


def unavailable(model: ModelSpec, quant: QuantSpec, tool: str) -> Reason | None:
    """`commands.unavailable`, computed once per model, format and tool: a page asks it of every listed format
    (its suggestions' candidates, the launch box's other formats, the fixes), and each new page asked it again
    (~0.8 ms of a page's CPU over bench/cpu.py's 60 pages, a fifth of the calls repeating one of the same page).
    The specs are told apart by value (`ranking.interned`: one object per value, which the cache keys by)."""
    return _unavailable(interned(model), interned(quant), tool)


@bounded_cache(entries=4096, size=4096, size_of=length_of_result)
def _unavailable(model: ModelSpec, quant: QuantSpec, tool: str) -> Reason | None:
    return commands.unavailable(model, quant, tool)
