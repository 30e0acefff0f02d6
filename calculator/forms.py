"""The question a visitor asks, bound from the query string: the same for the page and the API. A valid
form becomes a `Question` (calculator/question.py), which every page reads from there on."""

from collections import Counter

from django import forms
from django.db.models import Q
from django.http import QueryDict

from catalog import byo, slugs
from catalog import workload as tables
from catalog.fitting import DEFAULT_FORMAT, DEFAULTS, NATIVE_FORMATS, PUBLISHED_ONLY
from catalog.models import Gpu, LlmModel, Quantization, valid_specs
from catalog.published import formats_of, listed_formats, model_spec
from catalog.runtime_support import backend_runtimes, device_backend, runs_there, runtime_table
from catalog.runtimes import BY_SLUG, COMMAND_FOR_RUNTIME, RUNTIME_CHOICES
from estimator import ModelSpec, commands, limits

MAX_CONTEXT = limits.MAX_CONTEXT_TOKENS
MAX_BATCH = 1024
MAX_DEVICES = limits.MAX_DEVICES
CONTEXT_PRESETS = [4096, 8192, 16384, 32768, 65536, 131072]

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
# The format a model was released in, by its native dtype, for runtimes that load Hugging Face
# checkpoints (vLLM, SGLang, MLX); 16-bit otherwise. GGUF runtimes start from fitting.NATIVE_FORMATS.
RELEASE_FORMATS = {"float8_e4m3": "fp8", "mxfp4+bfloat16": "mxfp4", "float16": "f16"}
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
MAX_RAM_GB = 4096
MAX_HOSTS = limits.MAX_HOSTS
# The question the page answers on a first visit, before anyone has typed anything.
FIRST_VISIT = {  # no format: the model's own is picked, and follows the model when the visitor changes it
    "model": "llama-3-1-70b-instruct",
    "gpu": ["geforce-rtx-3090"],
    "count": ["2"],
    "ctx": "8192",
}


class DeviceRowsForm(forms.Form):
    """A form whose devices come as `gpu` rows, each with an optional `count`: the calculator's question
    and "what runs on my hardware?". The rows are read once, and counted by the one `clean_count`."""

    max_devices = MAX_DEVICES
    too_many = "At most {n} devices."

    def __init__(self, data: QueryDict, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.gpu_slugs, self.counts_raw = hardware_rows(data)

    def count_of(self, slug: str, n: int) -> int:
        """The count kept for the row of this GPU (a subclass may count a whole computer once)."""
        return n

    def clean_count(self):
        """One whole number per `gpu` row (none: one of each; one for several rows: that many of each)."""
        values = []
        for raw in self.counts_raw or ["1"] * len(self.gpu_slugs):
            try:
                values.append(int(raw))
            except (TypeError, ValueError):
                raise forms.ValidationError("Enter a whole number.") from None
            if not 1 <= values[-1] <= self.max_devices:
                raise forms.ValidationError(f"Between 1 and {self.max_devices}.")
        if len(values) == 1 and len(self.gpu_slugs) > 1:
            values = values * len(self.gpu_slugs)
        if len(values) != len(self.gpu_slugs):
            raise forms.ValidationError("Give one count per GPU.")
        counts = [self.count_of(slug, n) for slug, n in zip(self.gpu_slugs, values, strict=True)]
        if sum(counts) > self.max_devices:
            raise forms.ValidationError(self.too_many.format(n=self.max_devices))
        return counts


class QuestionForm(DeviceRowsForm):
    """model + quant + devices + context + concurrent sequences.

    Devices come as one `gpu` per device (`gpu=a&gpu=a`), or as `gpu` with a matching `count`
    (`gpu=a&count=2`); both mean the same list of devices.
    """

    FIELDS = [
        "model",
        "config",
        "quant",
        "gpu",
        "count",
        "ctx",
        "batch",
        "prompt",
        "kv",
        "runtime",
        "ram_gb",
        "ram_preset",
        "link",
        "hosts",
    ]

    model = forms.SlugField(label="Model", required=False)
    config = forms.CharField(
        label="Or paste a config.json",
        required=False,
        strip=True,
        help_text="A Hugging Face config.json: your own model, sized without saving it.",
    )
    quant = forms.SlugField(
        label="Format", required=False, help_text="Empty: the format the model is usually run at."
    )
    gpu = forms.CharField(label="GPU", required=False)  # read as a list in __init__
    count = forms.IntegerField(label="How many", min_value=1, max_value=MAX_DEVICES, required=False)
    ctx = forms.IntegerField(label="Context (tokens)", min_value=1, max_value=MAX_CONTEXT, required=False)
    batch = forms.IntegerField(label="Concurrent users", min_value=1, max_value=MAX_BATCH, required=False)
    prompt = forms.IntegerField(
        label="Prompt length (tokens)", min_value=1, max_value=MAX_CONTEXT, required=False
    )
    kv = forms.SlugField(label="KV cache type", required=False)
    runtime = forms.ChoiceField(label="Runtime", choices=RUNTIME_CHOICES, required=False)
    ram_gb = forms.IntegerField(label="System RAM (GB)", min_value=1, max_value=MAX_RAM_GB, required=False)
    ram_preset = forms.SlugField(
        label="System RAM type",
        required=False,
        help_text="A catalog RAM preset (DDR generation and channels): its bandwidth for offload plans.",
    )
    link = forms.SlugField(label="Link between GPUs", required=False)
    hosts = forms.IntegerField(label="Machines", min_value=1, max_value=MAX_HOSTS, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What the page offers as one-click fixes of an invalid question: the field each fixes, and the
        # query's changes that would answer it ("" drops the input); from Combination.check and clean().
        self.fixes: list[tuple[str, dict[str, str]]] = []

    def clean_gpu(self):
        if not self.gpu_slugs:
            raise forms.ValidationError("Choose at least one GPU.")
        if len(self.gpu_slugs) > MAX_DEVICES:
            raise forms.ValidationError(f"At most {MAX_DEVICES} devices.")
        # PostgreSQL refuses NUL in text: such a slug is unknown without asking it (a 500 otherwise).
        queryable = {s for s in self.gpu_slugs if "\x00" not in s}
        found = slugs.with_renamed(Gpu, slugs.current(Gpu, queryable), queryable)
        unknown = [s for s in self.gpu_slugs if s not in found]
        if unknown:
            raise forms.ValidationError(f"Unknown GPU: {', '.join(sorted(set(unknown)))}.")
        for gpu in found.values():
            engine_accepts(gpu)
        return found

    def clean_model(self):
        slug = self.cleaned_data["model"]
        if not slug:
            return None
        try:
            return engine_accepts(slugs.get(LlmModel, slug))  # or the model that had it before a rename
        except LlmModel.DoesNotExist:
            raise forms.ValidationError(f"Unknown model “{slug}”.") from None

    def clean_config(self):
        """A pasted config.json → (its canonical text, an unsaved LlmModel); nothing is stored."""
        text = self.cleaned_data["config"]
        if not text:
            return None
        try:
            canonical = byo.canonical_config(text)
            return canonical, byo.to_llm(byo.parse_config(canonical))
        except byo.ModelFileError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_quant(self):
        slug = self.cleaned_data["quant"]
        if not slug:
            return None  # clean() picks the model's own format
        try:
            return engine_accepts(slugs.get(Quantization, slug))
        except Quantization.DoesNotExist:
            raise forms.ValidationError(f"Unknown format “{slug}”.") from None

    def clean_kv(self):
        """A KV cache type of the catalog (`catalog/workload.py`), by slug; empty: the default, which
        answers even before the KV table is loaded (at the engine's own size)."""
        slug = self.cleaned_data["kv"] or DEFAULTS["kv"]
        return (
            slug if slug == DEFAULTS["kv"] else catalog_slug(slug, tables.kv_cache_types(), "KV cache type")
        )

    def clean_ram_preset(self):
        """A system memory preset of the catalog, by slug; it sets the RAM bandwidth, not its size."""
        slug = self.cleaned_data["ram_preset"]
        return catalog_slug(slug, tables.ram_presets(), "RAM preset") if slug else None

    def clean_link(self):
        slug = self.cleaned_data["link"]
        if not slug:
            return None
        from catalog.models import Interconnect

        try:
            return Interconnect.objects.get(slug=slug)
        except Interconnect.DoesNotExist:
            raise forms.ValidationError(f"Unknown link “{slug}”.") from None

    def clean(self):
        data = super().clean()
        if data.get("config"):
            data["config"], data["model"] = data["config"]  # your own model wins over the picker
            self.errors.pop("model", None)
        elif not data.get("model") and "model" not in self.errors and "config" not in self.errors:
            self.add_error("model", "Choose a model, or paste your model's config.json.")
        for name, default in DEFAULTS.items():
            if data.get(name) in (None, "") and name not in self.errors:
                data[name] = default
        if not self.errors.keys() & {"gpu", "count", "hosts"}:
            self.one_machine(data["hosts"])
        self.no_ram_beside(data)
        if not self.errors.keys() & {"model", "config", "quant", "gpu", "count", "runtime", "kv"}:
            Combination(self.devices).check(self, data)
        model, ctx = data.get("model"), data.get("ctx")
        if model and ctx and model.max_position_embeddings and ctx > model.max_position_embeddings:
            self.add_error(
                "ctx", f"{model.name} reads at most {model.max_position_embeddings:,} tokens of context."
            )
            self.fixes.append(("ctx", {"ctx": str(model.max_position_embeddings)}))
        if ctx and "prompt" not in self.errors:
            if self.data.get("prompt") in (None, ""):
                data["prompt"] = min(data["prompt"], ctx)  # the default prompt never exceeds the context
            elif data["prompt"] > ctx:
                self.add_error("prompt", f"A prompt cannot be longer than the context ({ctx:,} tokens).")
                self.fixes.append(("prompt", {"prompt": str(ctx)}))
        return data

    def no_ram_beside(self, data: dict) -> None:
        """A System RAM given with only unified-memory devices is refused: the GPU's memory is the
        system memory there, no second pool to offload to (the engine offers no offload plan)."""
        if not data.get("ram_gb") or self.errors.keys() & {"gpu", "count", "ram_gb"}:
            return
        if all(d.unified_memory for d in self.devices):
            where = (
                "Apple silicon" if all(d.vendor == Gpu.Vendor.APPLE for d in self.devices) else "this machine"
            )
            self.add_error(
                "ram_gb", f"On {where} the GPU's memory is the system memory: leave System RAM empty."
            )
            self.fixes.append(("ram_gb", {"ram_gb": ""}))

    def one_machine(self, hosts: int | None) -> None:
        """A Mac with Apple silicon is a whole computer that takes no other GPU: a Mac with another device
        (another Mac too) is several machines, refused next to the GPUs. The engine joins only machines
        that are alike (`hosts`, each with the same devices): Macs of one kind are offered as that many
        machines, a mix as each kind of device alone; without `hosts` (an image model's question), the
        Mac alone."""
        devices = self.devices
        macs = [d for d in devices if d.vendor == Gpu.Vendor.APPLE]
        if not macs or len(devices) < 2:
            return
        rows = Counter(d.slug for d in devices)
        if len(rows) == 1:
            n = len(devices)
            then = ", joined over the network." if hosts else ": ask about one."
            self.add_error("gpu", f"An Apple silicon Mac takes no other GPU: {n} Macs are {n} machines{then}")
            machines = {"hosts": str(n * hosts)} if hosts else {}
            self.fixes.append(("gpu", {"gpu": macs[0].slug, "count": ""} | machines))
            return
        self.add_error(
            "gpu",
            "An Apple silicon Mac takes no other GPU, and this calculator sizes only machines that are alike: "
            "ask about each alone.",
        )
        apple = {d.slug for d in macs}
        for slug, n in rows.items():
            self.fixes.append(("gpu", {"gpu": slug, "count": "" if n == 1 or slug in apple else str(n)}))

    @property
    def devices(self) -> list[Gpu]:
        """One Gpu per physical device, in the order given."""
        found, counts = self.cleaned_data["gpu"], self.cleaned_data["count"]
        return [found[slug] for slug, n in zip(self.gpu_slugs, counts, strict=True) for _ in range(n)]


class Combination:
    """Only combinations that exist: the runtime runs on every device's backend, runs the format there
    and takes the KV cache type (the catalog's Runtime table). Fills in what the visitor left out: the
    runtime (the first that runs the chosen format here) and the format (the model's own, for this
    runtime); says why a combination cannot run and what to pick instead, next to the field."""

    def __init__(self, devices):
        self.table = runtime_table()
        self.choices = sorted({gpu.backend_choices for gpu in devices})  # each kind's backends, usual first
        self.backends = sorted({choices[0] for choices in self.choices})
        self.specs: dict[int, ModelSpec] = {}

    def runs(self, runtime: str, family: str | None = None) -> bool:
        """Whether the runtime runs (the format `family`) on each device, on one of its backends."""
        row = self.table.get(runtime)
        return all(device_backend(row, choices, family) for choices in self.choices)

    def backend(self, gpu: Gpu, runtime: str, family: str | None = None) -> str:
        """The backend the engine times the device on under this runtime: LM Studio on an Intel Arc runs
        llama.cpp's Vulkan, llama.cpp there SYCL (device_backend); its usual one if none."""
        return device_backend(self.table.get(runtime), gpu.backend_choices, family) or gpu.backend

    def names(self, runtimes) -> str:
        labels = [dict(RUNTIME_CHOICES)[r] for r in runtimes]
        return " or ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 2 else labels)

    def hardware(self, short: bool = False) -> str:
        return " and ".join((BACKEND_SHORT if short else BACKEND_NAMES).get(b, b) for b in self.backends)

    def check(self, form: QuestionForm, data: dict) -> None:
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
            missing = " and ".join(
                BACKEND_NAMES.get(b, b)
                for b in sorted({c[0] for c in self.choices if not device_backend(row, c)})
            )
            runs_on = only_on(row["backends"]).removesuffix(" only")
            form.add_error("runtime", f"{row['name']} does not run on {missing}, only on {runs_on}{instead}.")
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
        only"); None where it runs."""
        return None if self.runs(runtime) else only_on(self.table[runtime]["backends"])

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

    def missing(self, model: LlmModel, quant: Quantization, runtime: str) -> str | None:
        """Why this runtime can have no weights of the format for the model, in one sentence
        (estimator.commands.unavailable: none published, none it can make); None when it can."""
        return commands.unavailable(self.spec(model), quant.as_spec(), COMMAND_FOR_RUNTIME[runtime])

    def runs_instead(
        self, model: LlmModel, runtime: str, quant: Quantization | None = None, most: int = 3
    ) -> list[str]:
        """Comment lines for a runtime with no weights of `quant` for the model: up to `most` other listed
        formats this runtime has a command for here (the model's own first, then those of `quant`'s family,
        then the nearest in size below it), and the other runtimes that run `quant` itself here; where
        neither is, up to `most` formats with the runtimes that run each here. A format is named only with
        a runtime that has its weights; none where there is none."""
        names = dict(RUNTIME_CHOICES)
        published = formats_of(model)
        bits = quant.bits_per_weight if quant is not None else 0.0
        rows = sorted(
            (row for row in listed_formats() if quant is None or row[3] != quant.slug),
            key=lambda row: (
                row[3] not in published,
                quant is not None and row[2] != quant.family,
                row[1] > bits,
                abs(row[1] - bits),
            ),
        )
        found: dict[str, list[str]] = {}  # format -> the runtimes that have a command for it here
        for spec, _, family, _ in rows:
            for other in sorted(COMMAND_FOR_RUNTIME, key=lambda r: r != runtime):
                tool = COMMAND_FOR_RUNTIME[other]
                if (
                    spec.format in commands.TOOLS[tool][2]
                    and self.runs(other, family)
                    and commands.unavailable(self.spec(model), spec, tool) is None
                ):
                    found.setdefault(spec.name, []).append(names[other])
        lines = []
        here = [fmt for fmt, runtimes in found.items() if names[runtime] in runtimes][:most]
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
            shown = [f"{fmt} ({', '.join(runtimes)})" for fmt, runtimes in list(found.items())[:most]]
            listed = ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]
            lines.append(f"# Here it runs as {listed}: choose one in the form.")
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

    def no_runtime_runs(self, form: QuestionForm, model: LlmModel, quant: Quantization) -> None:
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
            and commands.unavailable(spec, quant, COMMAND_FOR_RUNTIME[r]) is None
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


def engine_accepts(row):
    """The catalog row, if the engine accepts it; a row saved around the admin's checks is a message."""
    if not valid_specs([row]):
        raise forms.ValidationError(f"{row.name} cannot be sized until its catalog entry is corrected.")
    return row


def catalog_slug(slug: str, rows: dict[str, dict], what: str) -> str:
    """`slug`, if it names one of a cached catalog table's `rows`; else an error naming the listed ones."""
    if slug not in rows:
        listed = ", ".join(s for s, row in rows.items() if row["listed"])
        raise forms.ValidationError(f"Unknown {what} “{slug}”: pick {listed}.")
    return slug


def hardware_rows(data: QueryDict) -> tuple[list[str], list[str]]:
    """The `gpu` slugs and raw `count`s of a query; rows of the form left empty are dropped."""
    gpus, counts = [s.strip() for s in data.getlist("gpu")], data.getlist("count")
    if len(counts) == len(gpus):
        rows = [(g, c) for g, c in zip(gpus, counts, strict=True) if g]
        return [g for g, _ in rows], [c for _, c in rows]
    return [g for g in gpus if g], counts


def _group(slugs) -> list[tuple[str, int]]:
    """Runs of the same slug: a, a, b -> (a, 2), (b, 1). Order is kept (it is the split order)."""
    runs: list[tuple[str, int]] = []
    for slug in slugs:
        if runs and runs[-1][0] == slug:
            runs[-1] = (slug, runs[-1][1] + 1)
        else:
            runs.append((slug, 1))
    return runs


def unknown_parameters(query: QueryDict, allowed: set[str]) -> list[str]:
    return sorted(set(query) - allowed)


def device_summary(devices: list[Gpu]) -> str:
    """'2× GeForce RTX 3090 + 1× GeForce RTX 4090'"""
    counts = Counter(d.name for d in devices)
    return " + ".join(f"{n}× {name}" for name, n in counts.items())
