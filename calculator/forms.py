"""The question a visitor asks, bound from the query string: the same for the page and the API."""

from collections import Counter

from django import forms
from django.http import QueryDict

from catalog.models import Gpu, LlmModel, Quantization

MAX_CONTEXT = 10_485_760  # the longest context any catalog model advertises (Llama 4 Scout)
MAX_BATCH = 1024
MAX_DEVICES = 64
CONTEXT_PRESETS = [4096, 8192, 16384, 32768, 65536, 131072]

DEFAULTS = {"ctx": 4096, "batch": 1}
# The question the page answers on a first visit, before anyone has typed anything.
FIRST_VISIT = {
    "model": "llama-3-1-70b-instruct",
    "quant": "q4_k_m",
    "gpu": ["geforce-rtx-3090"],
    "count": ["2"],
    "ctx": "8192",
}


class QuestionForm(forms.Form):
    """model + quant + devices + context + concurrent sequences.

    Devices come as one `gpu` per device (`gpu=a&gpu=a`), or as `gpu` with a matching `count`
    (`gpu=a&count=2`); both mean the same list of devices.
    """

    FIELDS = ["model", "quant", "gpu", "count", "ctx", "batch"]

    model = forms.SlugField(label="Model")
    quant = forms.SlugField(label="Format")
    gpu = forms.CharField(label="GPU", required=True)
    count = forms.IntegerField(label="How many", min_value=1, max_value=MAX_DEVICES, required=False)
    ctx = forms.IntegerField(label="Context (tokens)", min_value=1, max_value=MAX_CONTEXT, required=False)
    batch = forms.IntegerField(label="Concurrent sequences", min_value=1, max_value=MAX_BATCH, required=False)

    def __init__(self, data: QueryDict, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.gpu_slugs = [s.strip() for s in data.getlist("gpu") if s.strip()]
        self.counts_raw = data.getlist("count")

    def clean_gpu(self):
        if not self.gpu_slugs:
            raise forms.ValidationError("Choose at least one GPU.")
        if len(self.gpu_slugs) > MAX_DEVICES:
            raise forms.ValidationError(f"At most {MAX_DEVICES} devices.")
        found = {g.slug: g for g in Gpu.objects.filter(slug__in=set(self.gpu_slugs))}
        unknown = [s for s in self.gpu_slugs if s not in found]
        if unknown:
            raise forms.ValidationError(f"Unknown GPU: {', '.join(sorted(set(unknown)))}.")
        return found

    def clean_model(self):
        slug = self.cleaned_data["model"]
        try:
            return LlmModel.objects.get(slug=slug)
        except LlmModel.DoesNotExist:
            raise forms.ValidationError(f"Unknown model “{slug}”.") from None

    def clean_quant(self):
        slug = self.cleaned_data["quant"]
        try:
            return Quantization.objects.get(slug=slug)
        except Quantization.DoesNotExist:
            raise forms.ValidationError(f"Unknown format “{slug}”.") from None

    def clean_count(self):
        counts = []
        for raw in self.counts_raw or ["1"] * len(self.gpu_slugs):
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise forms.ValidationError("Enter a whole number.") from None
            if not 1 <= value <= MAX_DEVICES:
                raise forms.ValidationError(f"Between 1 and {MAX_DEVICES}.")
            counts.append(value)
        if len(counts) == 1 and len(self.gpu_slugs) > 1:
            counts = counts * len(self.gpu_slugs)
        if len(counts) != len(self.gpu_slugs):
            raise forms.ValidationError("Give one count per GPU.")
        if sum(counts) > MAX_DEVICES:
            raise forms.ValidationError(f"At most {MAX_DEVICES} devices.")
        return counts

    def clean(self):
        data = super().clean()
        for name, default in DEFAULTS.items():
            if data.get(name) is None and name not in self.errors:
                data[name] = default
        model, ctx = data.get("model"), data.get("ctx")
        if model and ctx and model.max_position_embeddings and ctx > model.max_position_embeddings:
            self.add_error(
                "ctx", f"{model.name} reads at most {model.max_position_embeddings:,} tokens of context."
            )
        return data

    @property
    def devices(self) -> list[Gpu]:
        """One Gpu per physical device, in the order given."""
        found, counts = self.cleaned_data["gpu"], self.cleaned_data["count"]
        return [found[slug] for slug, n in zip(self.gpu_slugs, counts, strict=True) for _ in range(n)]

    def canonical_query(self) -> str:
        """Every input in a fixed order, defaults left out, devices grouped as gpu + count."""
        data = self.cleaned_data
        pairs = [("model", data["model"].slug), ("quant", data["quant"].slug)]
        for slug, n in _group(d.slug for d in self.devices):
            pairs.append(("gpu", slug))
            if n != 1:
                pairs.append(("count", str(n)))
        for name, default in DEFAULTS.items():
            if data[name] != default:
                pairs.append((name, str(data[name])))
        query = QueryDict(mutable=True)
        for key, value in pairs:
            query.appendlist(key, value)
        return query.urlencode(safe="")


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
