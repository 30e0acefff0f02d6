"""The image and video model question: bound from the same query string as the LLM one (`model`, `quant`,
`gpu`, `count`, `ram_gb`), plus the picture's size, the steps and, for a video, the frames; and its query, as
its permalink writes it."""

from urllib.parse import urlencode

from django import forms

from catalog.fitting import device_pairs
from catalog.models import DiffusionModel, Quantization
from estimator.diffusion_files import gguf_formats
from estimator.diffusion_speed import DenoiserShape

from .diffusion_formats import FORMATS, RELEASED, no_file, not_on
from .diffusion_shapes import shapes
from .forms import QuestionForm, _group, name_field, whole_number

MAX_SIDE = 4096
MAX_STEPS = 200
MAX_FRAMES = 481


class DiffusionForm(QuestionForm):
    """model (an image or video model) + format of its denoiser + devices + picture size, steps, frames.
    The GPUs and their counts are read and checked as for an LLM (QuestionForm)."""

    FIELDS = ["model", "quant", "gpu", "count", "ram_gb", "width", "height", "steps", "frames"]

    config = ctx = batch = prompt = kv = fa = runtime = backend = link = hosts = (
        None  # not questions about images
    )
    quant = name_field(
        "Format",
        "format",
        help_text="Of the denoiser; empty: the usual one, as released (BF16) unless BF16 runs only by "
        "sequential offload and a smaller format runs faster in less system RAM.",
    )
    width = whole_number("Width (px)", MAX_SIDE, least=64)
    height = whole_number("Height (px)", MAX_SIDE, least=64)
    steps = whole_number("Steps", MAX_STEPS)
    frames = whole_number("Frames", MAX_FRAMES, help_text="Video models only.")

    def clean_model(self):
        slug = self.cleaned_data["model"]
        try:
            return DiffusionModel.objects.get(slug=slug)
        except DiffusionModel.DoesNotExist:
            raise forms.ValidationError(f"Unknown image or video model “{slug}”.") from None

    def clean_quant(self):
        slug = self.cleaned_data["quant"] or RELEASED  # none asked: BF16 until `answered` names the usual one
        if slug not in FORMATS:  # in the formats' names, as the select shows them
            names = dict(Quantization.objects.filter(slug__in=[*FORMATS, slug]).values_list("slug", "name"))
            self.fixes.append(("quant", {"quant": RELEASED}))  # "Use BF16": itself, not the usual one
            raise forms.ValidationError(
                f"Image and video models run their denoiser as {', '.join(names.get(f, f) for f in FORMATS)}, "
                f"not {names.get(slug, f'“{slug}”')}."
            )
        return Quantization.objects.get(slug=slug)

    def clean(self):
        data = forms.Form.clean(self)
        self.given_once()  # `steps=20&steps=30` is an error, as for an LLM, not an answer for 30
        model = data.get("model")
        shape = shapes().get(model.slug, {}).get("shape") if model else None
        for name in ("width", "height", "steps", "frames"):
            if data.get(name) is None and name not in self.errors:
                default = getattr(shape, f"default_{name}", None) if shape else None
                data[name] = default or {"width": 1024, "height": 1024, "steps": 28, "frames": 1}[name]
        if shape is not None and not shape.video and self.data.get("frames") not in (None, "", "1"):
            self.add_error("frames", f"{model.name} makes images: frames are for video models.")
        quant, gpus = data.get("quant"), data.get("gpu")
        if gpus and "count" not in self.errors:
            self.one_machine(None)  # a Mac with another GPU: separate machines, and images are not split
            self.no_ram_beside(data)
        if quant and model and gpus:
            self.check_format(quant, model, {g.backend for g in gpus.values()})
        return data

    def check_format(self, quant: Quantization, model: DiffusionModel, backends: set[str]) -> None:
        """The denoiser's format loads on these backends and has a file for the commands to load (a GGUF of
        this model that `estimator.diffusion_files` names); else the error next to the format, with fixes."""
        held = [f for f in FORMATS if f in gguf_formats(model.slug)]  # its GGUF files, widest first
        if why := not_on(quant.slug, backends):
            pick = "BF16 or a GGUF format" if held else "BF16"
            self.add_error("quant", f"{quant.name} does not load here: {why}. Pick {pick}.")
            self.fixes += [("quant", {"quant": RELEASED}), *[("quant", {"quant": f}) for f in held[:1]]]
        elif why := no_file(quant.slug, model.slug):
            offered = [RELEASED, *(["fp8"] if not not_on("fp8", backends) else []), *held]
            names = [f.upper() for f in offered]
            pick = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]
            self.add_error("quant", f"{quant.name} of {model.name} is not offered: {why}. Pick {pick}.")
            self.fixes += [("quant", {"quant": RELEASED}), *[("quant", {"quant": f}) for f in offered[1:2]]]

    @property
    def format_asked(self) -> bool:
        """Whether the visitor chose the denoiser's format; else the question's is the usual one (`usual_of`),
        which `answered` names."""
        return bool(self.data.get("quant"))

    @property
    def usual_not_released(self) -> bool:
        """No format asked for, and the usual one found narrower than BF16 (`usual`): the page says so."""
        return not self.format_asked and self.cleaned_data["quant"].slug != RELEASED

    @property
    def shape(self) -> DenoiserShape | None:
        return shapes().get(self.cleaned_data["model"].slug, {}).get("shape")

    def canonical_query(self, *, format_named: bool = False) -> str:
        """The question's query, as its permalink writes it (`image_query`); `format_named`: with the format it
        is answered in even where none was asked (a snapshot's, whose numbers the usual one may not keep)."""
        data = self.cleaned_data
        shape = self.shape
        picture = []
        for name in ("width", "height", "steps", "frames"):
            default = getattr(shape, f"default_{name}", None) if shape else None
            if data[name] != default and not (name == "frames" and data[name] == 1):
                picture.append((name, data[name]))
        runs = _group(d.slug for d in self.devices)
        # the format where the visitor chose one, BF16 too: without it the link asks for the usual one
        quant = data["quant"].slug if self.format_asked or format_named else None
        return image_query(data["model"].slug, runs, quant=quant, ram_gb=data.get("ram_gb"), picture=picture)


def image_query(
    model: str,
    runs,
    *,
    quant: str | None = None,
    ram_gb: int | None = None,
    picture: list[tuple[str, int]] = (),
) -> str:
    """An image or video question's query, as its permalink writes it: the format where one was asked for
    (None: the usual one, `usual`), its GPUs (`fitting.device_pairs`), the system RAM where given, the picture
    where not the model's default."""
    pairs = [("model", model)] + ([("quant", quant)] if quant else [])
    pairs += device_pairs(list(runs))
    if ram_gb:
        pairs.append(("ram_gb", str(ram_gb)))
    return urlencode([*pairs, *((name, str(value)) for name, value in picture)])
