"""The question a visitor asks, bound from the query string: the same for the page and the API. A valid
form becomes a `Question` (calculator/question.py), which every page reads from there on."""

import json
from collections import Counter

from django import forms
from django.http import QueryDict

from catalog import byo, slugs
from catalog import workload as tables
from catalog.fitting import DEFAULTS
from catalog.form_fields import GivenOnce, bounded, tokens
from catalog.models import DiffusionModel, Gpu, LlmModel, Quantization, valid_specs
from catalog.pages import meant, unknown_words
from catalog.runtimes import BY_SLUG, FLASH_ATTENTION_OFF, RUNTIME_CHOICES, RUNTIMES
from catalog.search import search_key
from estimator import limits
from estimator.commands import UNQUANTIZED_KV
from estimator.units import or_listed

from .combination import BACKEND_CHOICES, Combination, shared_backends

MAX_CONTEXT = limits.MAX_CONTEXT_TOKENS
MAX_BATCH = 1024
MAX_DEVICES = limits.MAX_DEVICES
CONTEXT_PRESETS = [4096, 8192, 16384, 32768, 65536, 131072]
MAX_RAM_GB = 4096
MAX_HOSTS = limits.MAX_HOSTS
MAX_DEVICES_IN_ALL = limits.MAX_DEVICES_IN_ALL
# The question the page answers on a first visit, before anyone has typed anything.
FIRST_VISIT = {  # no format: the model's own is picked, and follows the model when the visitor changes it
    "model": "llama-3-1-70b-instruct",
    "gpu": ["geforce-rtx-3090"],
    "count": ["2"],
    "ctx": "8192",
}


class DeviceRowsForm(GivenOnce, forms.Form):
    """A form whose devices come as `gpu` rows, each with an optional `count`: the calculator's question
    and "what runs on my hardware?". The rows are read once, and counted by the one `clean_count`."""

    REPEATABLE = frozenset({"gpu", "count"})  # one per kind of GPU
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


def name_field(label: str, what: str, help_text: str = "", *, required: bool = False) -> forms.SlugField:
    """A catalog name (a slug), optional unless `required`; a name that cannot be one is said as an unknown
    `what` like any other unknown name (Django's own message read "Enter a valid “slug” consisting of …")."""
    return forms.SlugField(
        label=label,
        required=required,
        help_text=help_text,
        error_messages={
            "invalid": f"Unknown {what} “%(value)s”.",
            # beside "Unknown format “q4\x00”.", where Django's said "Null characters are not allowed."
            "null_characters_not_allowed": f"No {what}'s name holds a NUL character.",
        },
    )


def speed_floor() -> forms.FloatField:
    """The reverse questions' "at least N tok/s", its limits in the calculator's words."""
    return bounded(forms.FloatField, 0, 100_000, label="At least (tok/s)")


def whole_number(label: str, most: int, least: int = 1, help_text: str = "") -> forms.IntegerField:
    """An optional whole number from `least` (1) to `most`, its limits said with thousands separators
    (`bounded`)."""
    return bounded(forms.IntegerField, least, most, label=label, help_text=help_text)


# Django's read "Select a valid choice. exllamav2 is not one of the available choices."
UNKNOWN_RUNTIME = (
    "This calculator does not model “%(value)s”: pick "
    + or_listed([label for _, label in RUNTIME_CHOICES]).replace("%", "%%")
    + "."
)
UNKNOWN_BACKEND = (
    "Unknown backend “%(value)s”: pick "
    + or_listed([label for _, label in BACKEND_CHOICES])
    + ", or leave it empty."
)


class SharedFields(dict):
    """A form class's field definitions, which its forms read but never change: each form gets a copy of
    the dict, not of every field, widget and choice list (Django deep-copies them for each form: ~0.1 ms,
    as long as validating the rest of the question's form)."""

    def __deepcopy__(self, memo) -> dict:
        return dict(self)


class SharedFieldsMetaclass(forms.forms.DeclarativeFieldsMetaclass):
    """A form class whose forms share its fields (`SharedFields`): none of them alters a field."""

    def __new__(mcs, name, bases, attrs):
        new_class = super().__new__(mcs, name, bases, attrs)
        new_class.base_fields = SharedFields(new_class.base_fields)
        return new_class


def reads_at_most(model: LlmModel, limit: int) -> str:
    """The refusal of a context past `limit`, the calculator's, what-hardware's and choose's one sentence:
    "Qwen3 8B reads at most 131,072 tokens of context with YaRN." (where `limit` is past the released one)."""
    yarn = " with YaRN" if limit != model.max_position_embeddings else ""
    return f"{model.name} reads at most {limit:,} tokens of context{yarn}."


def ram_preset_field() -> forms.SlugField:
    """The system RAM's type, a catalog RAM preset: the calculator's and what-runs' one field."""
    return name_field(
        "System RAM type",
        "RAM preset",
        help_text="A catalog RAM preset (DDR generation and channels): its bandwidth for offload plans.",
    )


def ram_preset_of(slug: str) -> str | None:
    """A RAM preset's slug, checked against the catalog's; None where none is given."""
    return catalog_slug(slug, tables.ram_presets(), "RAM preset") if slug else None


class QuestionForm(DeviceRowsForm, metaclass=SharedFieldsMetaclass):
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
        "backend",
        "fa",
        "ram_gb",
        "ram_preset",
        "link",
        "hosts",
    ]
    # a slug, or how else a visitor or an API client names a model: its Hugging Face id, an Ollama tag
    model = forms.CharField(
        label="Model",
        required=False,
        max_length=200,
        error_messages={
            "null_characters_not_allowed": "Unknown model: no model's name holds a NUL character.",
            "max_length": "Unknown model: no model's name is that long.",
        },
    )
    config = forms.CharField(
        label="Or paste a config.json",
        required=False,
        strip=True,
        help_text="A Hugging Face config.json: your own model, sized without saving it.",
    )
    quant = name_field("Format", "format", help_text="Empty: the format the model is usually run at.")
    gpu = forms.CharField(label="GPU", required=False)  # read as a list in __init__
    count = whole_number("How many", MAX_DEVICES)
    ctx = tokens("Context (tokens)", MAX_CONTEXT)
    batch = whole_number("Concurrent users", MAX_BATCH)
    prompt = tokens("Prompt length (tokens)", MAX_CONTEXT)
    kv = name_field("KV cache type", "KV cache type")
    runtime = forms.ChoiceField(
        label="Runtime",
        choices=RUNTIME_CHOICES,
        required=False,
        error_messages={"invalid_choice": UNKNOWN_RUNTIME},
    )
    backend = forms.ChoiceField(
        label="GPU backend",
        choices=BACKEND_CHOICES,
        required=False,
        help_text="The build the runtime runs the GPUs on: ROCm or Vulkan on AMD, CUDA or Vulkan on NVIDIA. "
        "Empty: the usual one for the runtime.",
        error_messages={"invalid_choice": UNKNOWN_BACKEND},
    )
    fa = forms.ChoiceField(
        label="Flash attention",
        choices=[("on", "On"), ("off", "Off")],
        required=False,
        error_messages={"invalid_choice": "Flash attention is on or off."},
    )
    ram_gb = whole_number("System RAM (GB)", MAX_RAM_GB)
    ram_preset = ram_preset_field()
    link = name_field("Link between GPUs", "link")
    hosts = whole_number("Machines", MAX_HOSTS)

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
        found = slugs.with_renamed(Gpu, slugs.current(Gpu, queryable), queryable, respell=True)
        unknown = [s for s in self.gpu_slugs if s not in found]
        if unknown:
            raise forms.ValidationError(unknown_words(Gpu, sorted(set(unknown))))
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
            pass
        # its Hugging Face id, as the model's page shows it and as API clients name models: that model
        if (by_id := LlmModel.objects.filter(hf_id__iexact=slug).first()) is not None:
            return engine_accepts(by_id)
        # an image or video model spelled as people write it ("FLUX.1-dev"): noted as seen, so that a page
        # answers with a 301 to its slug (slugs.FormerSlugRedirectMiddleware), which the image form answers
        slugs.with_renamed(DiffusionModel, {}, [slug], respell=True, versioned=True)
        if (guess := meant(LlmModel, slug)) is not None:
            self.fixes.append(("model", {"model": guess.slug}))
        raise forms.ValidationError(unknown_words(LlmModel, [slug], {slug: guess}))

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

    def clean_fa(self):
        return self.cleaned_data["fa"] or "on"

    def clean_kv(self):
        """A KV cache type of the catalog (`catalog/workload.py`), by slug; empty: the default, which
        answers even before the KV table is loaded (at the engine's own size)."""
        slug = self.cleaned_data["kv"] or DEFAULTS["kv"]
        return (
            slug if slug == DEFAULTS["kv"] else catalog_slug(slug, tables.kv_cache_types(), "KV cache type")
        )

    def clean_ram_preset(self):
        return ram_preset_of(self.cleaned_data["ram_preset"])

    def clean_link(self):
        slug = self.cleaned_data["link"]
        if not slug:
            return None
        from catalog.models import Interconnect

        found = slugs.current(Interconnect, [slug]).get(slug)  # no query once warm, as the other lookups
        if found is None:
            raise forms.ValidationError(f"Unknown link “{slug}”.")
        return found

    def clean(self):
        data = super().clean()
        self.given_once()
        if data.get("config"):
            data["config"], data["model"] = data["config"]  # your own model wins over the picker
            self.errors.pop("model", None)
        elif not data.get("model") and "model" not in self.errors and "config" not in self.errors:
            self.add_error("model", "Choose a model, or paste your model's config.json.")
        for name, default in DEFAULTS.items():
            if data.get(name) in (None, "") and name not in self.errors:
                data[name] = default
        self.name_for_label("runtime", RUNTIME_CHOICES)
        self.name_for_label("backend", BACKEND_CHOICES)
        if "runtime" in self.errors and self.data.get("runtime") not in dict(RUNTIME_CHOICES):
            self.fixes.append(("runtime", {"runtime": ""}))  # the usual runtime for the devices
        if not self.errors.keys() & {"gpu", "count", "hosts"}:
            self.one_machine(data["hosts"])
            self.devices_in_all(data["hosts"])
        self.no_ram_beside(data)
        self.link_fits(data)
        if not self.errors.keys() & {"gpu", "count", "backend"}:
            self.backend_fits(data)
            self.one_build_runs(data)
        if not self.errors.keys() & {"model", "config", "quant", "gpu", "count", "runtime", "kv", "backend"}:
            combination = Combination(self.devices, data.get("backend") or None)
            if data.get("config") and data.get("quant") is None:
                data["quant"] = own_format(data["config"], combination, self.data.get("runtime"))
            combination.check(self, data)
        self.flash_attention_off(data)
        model, ctx = data.get("model"), data.get("ctx")
        if model and ctx:
            self.context_fits(data, model, ctx)
        if ctx and "prompt" not in self.errors:
            if self.data.get("prompt") in (None, ""):
                data["prompt"] = min(data["prompt"], ctx)  # the default prompt never exceeds the context
            elif data["prompt"] > ctx:
                self.add_error("prompt", f"A prompt cannot be longer than the context ({ctx:,} tokens).")
                self.fixes.append(("prompt", {"prompt": str(ctx)}))
        return data

    def given_once(self) -> list[tuple[str, list[str]]]:
        """A field given twice (`model=a&model=b`) is an error (`GivenOnce`), each value its fix."""
        twice = super().given_once()
        self.fixes += [(name, {name: value}) for name, values in twice for value in values]
        return twice

    def context_fits(self, data: dict, model: LlmModel, ctx: int) -> None:
        """The context asked for is one the model reads: with YaRN on (where its card gives it) only
        under a runtime whose command turns it on (`RuntimeInfo.yarn`) and that runs on these devices,
        with the fixes that answer (another runtime, with its usual format where it cannot run this one)."""
        native, longest, runtime = model.max_position_embeddings, model.longest_context, data.get("runtime")
        if longest and ctx > longest:
            # the most this runtime reads: without YaRN where its command cannot turn it on
            most = (model.context_limit(runtime) if runtime in BY_SLUG else longest) or longest
            if most != longest:
                able = ", ".join(r.label for r in RUNTIMES if r.yarn)
                said = f"{most:,} tokens of context under {BY_SLUG[runtime].label} ({longest:,} with YaRN: {able})"
                self.add_error("ctx", f"{model.name} reads at most {said}.")
            else:
                self.add_error("ctx", reads_at_most(model, longest))
            self.fixes.append(("ctx", {"ctx": str(most)}))
            return
        if not (native and ctx > native and runtime in BY_SLUG and not BY_SLUG[runtime].yarn):
            return
        if self.errors.keys() & {"gpu", "count", "backend"}:
            return  # no devices to pick a runtime for
        combination = Combination(self.devices, data.get("backend") or None)
        able = [r for r in RUNTIMES if r.yarn and combination.runs(r.slug)]
        instead = f"pick {combination.names([r.slug for r in able])}, or " if able else "pick "
        self.add_error(
            "ctx",
            f"Past {native:,} tokens {model.name} reads its context with YaRN, which "
            f"{BY_SLUG[runtime].label}'s command cannot turn on: {instead}{native:,} tokens.",
        )
        # the runtimes that run this format as they are; where none does, each with its usual format
        quant = data.get("quant")
        keep = [r for r in able if quant is not None and combination.runs(r.slug, quant.family)]
        changes = [{"runtime": r.slug} for r in keep] or [{"runtime": r.slug, "quant": ""} for r in able]
        self.fixes += [("ctx", c) for c in changes] + [("ctx", {"ctx": str(native)})]

    def flash_attention_off(self, data: dict) -> None:
        """`fa=off` is llama.cpp's `-fa off` (Ollama: OLLAMA_FLASH_ATTENTION=0): vLLM, SGLang and MLX
        always run fused attention kernels, and LM Studio's command has no such switch. llama.cpp keeps a
        quantized V cache only with flash attention ("quantized V cache requires flash_attn to be
        enabled", src/llama-context.cpp), and the KV cache types here quantize K and V alike."""
        if data.get("fa") != "off" or self.errors.keys() & {"fa", "runtime", "kv"}:
            return
        runtime = data["runtime"]
        if runtime not in FLASH_ATTENTION_OFF:
            switches = " and ".join(BY_SLUG[slug].label for slug in FLASH_ATTENTION_OFF)
            self.add_error(
                "fa", f"{BY_SLUG[runtime].label} always runs flash attention: only {switches} turn it off."
            )
            self.fixes.append(("fa", {"fa": ""}))
        elif data["kv"] not in UNQUANTIZED_KV:
            self.add_error(
                "fa",
                f"llama.cpp keeps a {data['kv']} KV cache only with flash attention on: it stops at load.",
            )
            self.fixes += [("fa", {"fa": ""}), ("fa", {"kv": ""})]

    def name_for_label(self, field: str, choices: list[tuple[str, str]]) -> None:
        """A choice written as its label (`runtime=llama.cpp`, `backend=Vulkan`, as the page shows them)
        is refused with the value the URL takes, and that value is a fix."""
        written = self.data.get(field) or ""
        if field not in self.errors or written in dict(choices):
            return
        value, label = next(
            ((v, n) for v, n in choices if search_key(n) == search_key(written) != ""), (None, "")
        )
        if value is not None:
            self.errors[field] = self.error_class(
                [f"Write {field}={value} for {label}: “{written}” is its name."]
            )
            self.fixes.append((field, {field: value}))

    def backend_fits(self, data: dict) -> None:
        """A backend asked for is one every device has a build of (Gpu.backend_choices): ROCm on an RTX 4090,
        or CUDA on a Radeon, is refused with the ones they share."""
        backend = data.get("backend")
        if not backend:
            return
        lacking = [g for g in dict.fromkeys(self.devices) if backend not in g.backend_choices]
        if not lacking:
            return
        names = dict(BACKEND_CHOICES)
        shared = shared_backends(self.devices)
        pick = f": pick {or_listed([names[b] for b in shared])}, or leave it empty" if shared else ""
        self.add_error(
            "backend",
            f"{or_listed([g.name for g in lacking])} {'has' if len(lacking) == 1 else 'have'} no "
            f"{names[backend]} build{pick}.",
        )
        self.fixes += [("backend", {"backend": ""})] + [("backend", {"backend": b}) for b in shared]

    def one_build_runs(self, data: dict) -> None:
        """Devices of several vendors run in one server only on a build every one has (combination.one_build:
        Vulkan); where they share none (a B200, CUDA alone, beside a Radeon) no runtime here runs them
        together: refused, each kind alone its fix."""
        kinds = list(dict.fromkeys(self.devices))
        if data.get("backend") or len({g.backend for g in kinds}) < 2 or shared_backends(kinds):
            return
        names = dict(BACKEND_CHOICES)
        builds = " and ".join(names[b] for b in dict.fromkeys(g.backend for g in kinds) if b in names)
        lacking = [g.name for g in kinds if "vulkan" not in g.backend_choices]
        each = [g.name for g in kinds]
        rows = Counter(g.slug for g in self.devices)  # read before add_error drops the field's data
        self.add_error(
            "gpu",
            f"{', '.join(each[:-1])} and {each[-1]} share no build: {builds} each "
            f"drive their own vendor's cards, never together in one server, and {or_listed(lacking)} "
            f"{'has' if len(lacking) == 1 else 'have'} no Vulkan build. Ask about each alone.",
        )
        self.fixes += [("gpu", {"gpu": slug, "count": "" if n == 1 else str(n)}) for slug, n in rows.items()]

    def link_fits(self, data: dict) -> None:
        """The link joins what the question has: a network (Ethernet, InfiniBand, Thunderbolt) joins
        machines, so it needs Machines above 1; a GPU link (PCIe, NVLink) joins GPUs in one machine, so
        it needs two there; an NVLink needs the connector on every card (the catalog's `nvlink`: the RTX
        3090 has it, the RTX 4090 has none). Otherwise the engine would quietly ignore the link, or time
        a bridge that cannot be fitted."""
        link = data.get("link")
        if not link or self.errors.keys() & {"gpu", "count", "hosts", "link"}:
            return
        hosts, devices = data["hosts"], self.devices
        if link.between_machines:
            if hosts == 1:
                self.add_error(
                    "link",
                    f"{link.name} joins machines: set Machines to 2 or more, or pick how the GPUs in this "
                    "machine are joined (PCIe, NVLink).",
                )
                self.fixes += [("link", {"hosts": "2"}), ("link", {"link": ""})]
            return
        if len(devices) == 1:
            networks = ", ".join(k.label for k in link.Kind if k in link.NETWORK_KINDS)
            then = (
                f"; the {hosts} machines are joined by a network: pick one ({networks})" if hosts > 1 else ""
            )
            self.add_error("link", f"{link.name} joins GPUs in one machine, which has one GPU here{then}.")
            self.fixes.append(("link", {"link": ""}))
            return
        if link.kind != link.Kind.NVLINK:
            return
        modules = {d.form_factor == Gpu.FormFactor.DATACENTER for d in devices}
        if without := sorted({d.name for d in devices if not d.nvlink}):
            problem = (
                f"The {' and the '.join(without)} {'has' if len(without) == 1 else 'have'} no NVLink "
                "connector: pick the PCIe slots they sit in."
            )
        elif link.bridge and True in modules:  # SXM modules: their own fabric, which Auto takes
            problem = (
                f"{link.name} joins two cards: SXM modules are joined by their own NVLink, as Auto takes it."
            )
        elif link.bridge and len(devices) > 2:
            problem = (
                f"{link.name} joins two cards, not {len(devices)}: between the pairs the GPUs talk over PCIe. "
                "Ask about two cards, or pick PCIe."
            )
        elif not link.bridge and False in modules:
            problem = f"{link.name} joins SXM modules: these cards take an NVLink bridge, two at a time."
        else:
            return
        self.add_error("link", problem)
        self.fixes.append(("link", {"link": ""}))

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

    def devices_in_all(self, hosts: int) -> None:
        """At most MAX_DEVICES_IN_ALL GPUs over every machine (each machine holds the devices asked for)."""
        if "gpu" in self.errors:  # one_machine refused the devices
            return
        per_machine = len(self.devices)
        if hosts * per_machine > MAX_DEVICES_IN_ALL:
            self.add_error(
                "hosts",
                f"At most {MAX_DEVICES_IN_ALL} GPUs in all: {hosts} machines of {per_machine} GPUs are "
                f"{hosts * per_machine:,}.",
            )
            if fewer := MAX_DEVICES_IN_ALL // per_machine:
                self.fixes.append(("hosts", {"hosts": str(fewer)}))

    @property
    def devices(self) -> list[Gpu]:
        """One Gpu per physical device, in the order given."""
        found, counts = self.cleaned_data["gpu"], self.cleaned_data["count"]
        return [found[slug] for slug, n in zip(self.gpu_slugs, counts, strict=True) for _ in range(n)]


def own_format(config: str, combination: Combination, runtime: str | None) -> Quantization | None:
    """The format your own model's config.json declares its checkpoint is in (`byo.checkpoint_format`), as
    the format asked about when the visitor chose none, as a catalog model's own is: where the catalog has it
    and a runtime runs it on these devices (the one chosen, if any). None otherwise: the usual format."""
    slug = byo.checkpoint_format(json.loads(config))
    if not slug:
        return None
    try:
        quant = slugs.get(Quantization, slug)
    except Quantization.DoesNotExist:
        return None
    runs = combination.runs(runtime, quant.family) if runtime else combination.format_runtime(quant.family)
    return quant if runs and valid_specs([quant]) else None


def put_own_model(query: QueryDict, config: str, quant: str = "") -> None:
    """Put your own model into the question (a mutable QueryDict): its canonical config.json, and the format
    to size it at. `quant` where its files say which (a GGUF repo's own quant); else, where its config.json
    declares its checkpoint's format, none: the form fills that in (`own_format`). A format and a runtime
    chosen before give way to either; the form picks a runtime that runs the format."""
    chosen = query.get("quant", "")
    query["config"] = config
    declared = not quant and byo.checkpoint_format(json.loads(config))
    if declared or (quant and quant != chosen):
        query["quant"] = quant
        query.pop("runtime", None)


def image_model(slug: str) -> DiffusionModel | None:
    """The image or video model a slug no LLM has names, if any: pages that answer only for LLMs say what it
    is rather than "Unknown model". A query; none for a slug with NUL, which PostgreSQL refuses and no row has."""
    return (
        DiffusionModel.objects.filter(slug=slug).only("name").first() if slug and "\x00" not in slug else None
    )


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
