"""The reverse questions, bound from the query string: "What runs on my hardware?" (devices as `gpu` +
`count` rows, counted by the calculator's own `DeviceRowsForm`) and "What hardware runs this model?"."""

from django import forms
from django.http import QueryDict
from django.urls import reverse

from calculator.combination import BACKEND_NAMES
from calculator.diffusion_answer import FORMATS
from calculator.forms import (
    MAX_BATCH,
    MAX_CONTEXT,
    MAX_RAM_GB,
    DeviceRowsForm,
    engine_accepts,
    name_field,
    ram_preset_field,
    ram_preset_of,
    reads_at_most,
    speed_floor,
    whole_number,
)
from catalog import fitting, runtime_support, slugs
from catalog.fitting import urlencoded
from catalog.form_fields import GivenOnce, choice, name_choices, search_text, tokens
from catalog.models import DiffusionModel, Gpu, LlmModel, Quantization
from catalog.pages import CTX, unknown_words
from catalog.tiers import SORTS, TIERS

from .images import RELEASED

DEFAULT_CTX = CTX  # the catalog pages' context: a GPU page's row opens the same question here
DEFAULT_QUANT = fitting.DEFAULT_FORMAT
DEFAULT_TOK_S = 10.0
# What-runs' "Show" for its image and video models alone, beside the language models' speed tiers
IMAGES_TIER = "images"
# Every device is one more engine call per model: this page stops at one machine's worth.
MAX_DEVICES = fitting.MAX_SAME_GPUS


class WhatRunsForm(DeviceRowsForm):
    """Devices as `gpu` (+ `count`) pairs, like the calculator's; context; system RAM; sort order; the
    format, among those some runtime runs on the chosen devices (`runtimes`: format slug -> runtime)."""

    max_devices = MAX_DEVICES
    too_many = "At most {n} devices here; the calculator takes more."

    gpu = forms.CharField(label="GPU", required=False)
    count = forms.CharField(label="How many", required=False)
    ctx = tokens("Context (tokens)", MAX_CONTEXT)
    ram_gb = whole_number("System RAM (GB)", MAX_RAM_GB)
    ram_preset = ram_preset_field()  # its bandwidth, for the offload plans (DDR4 or DDR5, channels)
    quant = forms.ChoiceField(label="Format", required=False)  # its choices and their error: __init__
    sort = choice("sort order", list(SORTS.items()), label="Sort by")
    q = search_text("Models named", 80)
    tier = choice(
        "tier",
        [("", "Every tier")]
        + [(key, title) for key, title, _, _ in TIERS]
        + [(IMAGES_TIER, "Image and video models")],
        label="Show",
    )

    FORMAT_POLICIES = [("", "Q4_K_M or smaller, or the model's own"), ("largest", "The largest that fits")]

    def __init__(self, data: QueryDict, *, known: dict[str, Gpu], quants=()):
        super().__init__(data)
        self.known = slugs.with_renamed(Gpu, known, data.getlist("gpu"), respell=True)  # a GPU renamed since
        self.backends = sorted({self.known[s].backend for s in self.gpu_slugs if s in self.known})
        self.runtimes = runtime_support.format_runtimes(quants, self.backends)
        self.listed = {q.slug: q for q in quants}
        offered = [(q.slug, q.name) for q in quants if q.slug in self.runtimes]
        self.fields["quant"].choices = self.FORMAT_POLICIES + offered
        name_choices(self.fields["quant"], "format")
        self.notes: list[str] = []

    def clean_gpu(self):
        if not self.gpu_slugs:
            raise forms.ValidationError("Choose at least one GPU.")
        unknown = sorted({s for s in self.gpu_slugs if s not in self.known})
        if unknown:
            raise forms.ValidationError(unknown_words(Gpu, unknown))
        for slug in set(self.gpu_slugs):
            engine_accepts(self.known[slug])
        return self.gpu_slugs

    def clean_ram_preset(self):
        return ram_preset_of(self.cleaned_data["ram_preset"])

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())  # CharField refuses NUL already

    def count_of(self, slug: str, n: int) -> int:
        device = self.known.get(slug)
        if device and device.unified_memory and n > 1:  # a count left from another device
            self.notes.append(f"{device.name} is a whole computer: counted once.")
            return 1
        return n

    def clean(self):
        data = super().clean()
        self.given_once()
        data["ctx"] = data.get("ctx") or DEFAULT_CTX
        data["sort"] = data.get("sort") or "size"  # in each tier, the largest model first
        # as the calculator's no_ram_beside, said here, not refused (a consistency review: every Details link
        # carried the RAM, which the calculator refuses on a unified-memory machine)
        if (
            data.get("ram_gb")
            and not self.errors.keys() & {"gpu", "count"}
            and all(d.unified_memory for d in self.devices)
        ):
            self.notes.append(
                "On a unified-memory machine the GPU's memory is the system memory: System RAM left out."
            )
            data["ram_gb"] = None
        asked = self.listed.get(self.data.get("quant", ""))
        if "quant" in self.errors and asked is not None:  # a catalog format these devices cannot run
            hardware = " and ".join(BACKEND_NAMES.get(b, b) for b in self.backends)
            self.errors["quant"] = self.error_class(
                [f"No runtime the calculator knows runs {asked.name} on {hardware}: pick a format offered."]
            )
        return data

    @property
    def devices(self) -> list[Gpu]:
        counts = self.cleaned_data["count"]
        return [self.known[s] for s, n in zip(self.gpu_slugs, counts, strict=True) for _ in range(n)]

    def page_url(self, **changes) -> str:
        """This page's URL with defaults left out; `changes` rewrite ctx, ram_gb, ram_preset, sort, q or
        tier."""
        data = {**self.cleaned_data, **changes}
        pairs = []
        for slug, n in zip(self.gpu_slugs, data["count"], strict=True):
            pairs += [("gpu", slug), ("count", str(n))]
        if data["ctx"] != DEFAULT_CTX:
            pairs.append(("ctx", str(data["ctx"])))
        if data.get("quant"):
            pairs.append(("quant", data["quant"]))
        if data.get("ram_gb"):
            pairs.append(("ram_gb", str(data["ram_gb"])))
        if data.get("ram_preset"):
            pairs.append(("ram_preset", data["ram_preset"]))
        if data["sort"] != "size":
            pairs.append(("sort", data["sort"]))
        if data.get("q"):
            pairs.append(("q", data["q"]))
        if data.get("tier"):
            pairs.append(("tier", data["tier"]))
        return f"{reverse('reverse_questions:what-runs')}?{urlencoded(pairs)}"  # as a QueryDict wrote it


class WhatHardwareForm(GivenOnce, forms.Form):
    """A language model, its format, context, users at once and the least decode speed; or an image or video
    model (`image`: the calculator answers for it, and the view ranks it) and its denoiser's format alone."""

    model = name_field("Model", "model", required=True)
    quant = name_field("Format", "format")
    ctx = tokens("Context (tokens)", MAX_CONTEXT)
    batch = whole_number(
        "Users at once", MAX_BATCH
    )  # the calculator's `batch`: each user's context and speed
    tok_s = speed_floor()
    ram_preset = ram_preset_field()  # the RAM the sets with system RAM read (reverse_questions/offload.py)
    LLM_ONLY = (
        "ctx",
        "batch",
        "tok_s",
        "ram_preset",
    )  # not questions about an image: its default picture is asked

    def __init__(
        self,
        data: QueryDict,
        *,
        models: dict[str, LlmModel],
        quants: dict[str, Quantization],
        images: dict[str, DiffusionModel],
    ):
        super().__init__(data)
        # an image or video model the calculator answers for, by its slug (a former one: redirected by
        # FormerSlugRedirectMiddleware): the form asks it nothing an LLM is asked
        self.image = images.get((self.data.get("model") or "").strip())
        if self.image is not None:
            for name in self.LLM_ONLY:
                del self.fields[name]
        else:  # an LLM renamed since, or spelled as people write its name
            models = slugs.with_renamed(LlmModel, models, data.getlist("model"), respell=True)
        self.models = models
        self.quants = slugs.with_renamed(Quantization, quants, data.getlist("quant"), respell=True)

    def clean_model(self):
        if self.image is not None:
            return engine_accepts(self.image)
        slug = self.cleaned_data["model"]
        if slug not in self.models:
            raise forms.ValidationError(unknown_words(LlmModel, [slug]))
        return engine_accepts(self.models[slug])

    def clean_quant(self):
        """The format asked for; none: the one people run the model at (gpt-oss: its own MXFP4, not
        the Q4_K_M no one publishes for it, which asked for one GPU more); an image model's denoiser
        as released. An image model's denoiser runs in the calculator's FORMATS alone."""
        model = self.cleaned_data.get("model")
        if self.image is not None:
            slug = self.cleaned_data["quant"] or RELEASED
            if slug not in FORMATS:
                names = ", ".join(self.quants[f].name for f in FORMATS if f in self.quants)
                asked = self.quants[slug].name if slug in self.quants else f"“{slug}”"
                raise forms.ValidationError(
                    f"Image and video models run their denoiser as {names}, not {asked}."
                )
        else:
            slug = self.cleaned_data["quant"] or fitting.default_format_slug(
                getattr(model, "native_dtype", None)
            )
        if slug not in self.quants:
            raise forms.ValidationError(f"Unknown format “{slug}”.")
        return engine_accepts(self.quants[slug])

    def clean_ram_preset(self):
        return ram_preset_of(self.cleaned_data["ram_preset"])

    def clean(self):
        data = super().clean()
        self.given_once()
        if self.image is not None:
            return data
        data["ctx"] = data.get("ctx") or DEFAULT_CTX
        data["batch"] = data.get("batch") or 1
        data["tok_s"] = DEFAULT_TOK_S if data.get("tok_s") is None else data["tok_s"]
        model, quant = data.get("model"), data.get("quant")
        # with YaRN where the runtime of the format turns it on (llama.cpp, vLLM); MLX's conversions: as released
        mlx = quant is not None and quant.family == Quantization.Family.MLX
        limit = (
            (model.max_position_embeddings if mlx else model.longest_context) if model is not None else None
        )
        if limit and data["ctx"] > limit and "ctx" not in self.errors:
            self.add_error("ctx", reads_at_most(model, limit))
        return data

    def page_url(self) -> str:
        data = self.cleaned_data
        pairs = [("model", data["model"].slug)]
        if self.image is not None:
            return self._url(
                pairs + ([("quant", data["quant"].slug)] if data["quant"].slug != RELEASED else [])
            )
        if data["quant"].slug != fitting.default_format_slug(data["model"].native_dtype):
            pairs.append(("quant", data["quant"].slug))
        if data["ctx"] != DEFAULT_CTX:
            pairs.append(("ctx", str(data["ctx"])))
        if data["batch"] != 1:
            pairs.append(("batch", str(data["batch"])))
        if data["tok_s"] != DEFAULT_TOK_S:
            pairs.append(("tok_s", f"{data['tok_s']:g}"))
        if data.get("ram_preset"):
            pairs.append(("ram_preset", data["ram_preset"]))
        return self._url(pairs)

    @staticmethod
    def _url(pairs: list[tuple[str, str]]) -> str:
        return f"{reverse('reverse_questions:what-hardware')}?{urlencoded(pairs)}"
