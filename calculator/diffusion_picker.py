"""An image or video model's format select, swapped with every HTMX answer (page.combination_pickers).

Its first option leaves the format to the answer: it names the usual one for the question's GPUs
(`diffusion_estimate.usual_format`: BF16 as released, or a smaller one where BF16 runs only by sequential
offload), which depends on what they hold (Q6_K on a 12 GB card, BF16 on a 24 GB one). Before a GPU is chosen
there is none to name: it says so, and names the format the model is released in as that. Then BF16 itself
where it is not the usual one, the denoiser's formats that load on the question's devices, and under "Not on
<hardware>" those that do not, disabled with why; the one asked for stays selectable and selected.

The select it replaces read "Usual for the model: BF16" before any GPU was chosen, a recommendation nothing had
computed.
"""

from django.utils.safestring import SafeString, mark_safe

from .diffusion_estimate import usual_format
from .diffusion_formats import FORMATS, RELEASED, no_file, not_on
from .pickers import _combination, _group, _noted, _option, format_rows, options

# The catalog's component dtypes (catalog.models.diffusion.ComponentRow) as a format's name.
DTYPE_NAMES = {"bfloat16": "BF16", "float16": "FP16", "float32": "FP32", "float8": "FP8"}


def released_in(form) -> str | None:
    """The name of the format the model's denoiser is released in ("BF16" for FLUX.1, "FP16" for SDXL), from
    the catalog's components; None where the model is not known."""
    form.is_valid()
    model = form.cleaned_data.get("model")
    if model is None:
        return None
    dtype = next((c["dtype"] for c in model.components if c["role"] == "denoiser"), None)
    return DTYPE_NAMES.get(dtype)


def usual_label(form, usual) -> str:
    """The first option's words: the usual format on the question's GPUs, or, with none known yet, that it
    waits for the GPU, and the format the model is released in."""
    if usual is not None:
        where = "this GPU" if len(form.devices) == 1 else "these GPUs"
        return f"Usual on {where}: {usual.name}"
    released = released_in(form)
    return "Usual per GPU" + (f"; released: {released}" if released else "")  # fits a 360-pixel phone


def quant_options(form) -> SafeString:
    rows = {row[0]: row for row in format_rows()["rows"]}
    combination = _combination(form)
    backends = combination.backends if combination else ()
    chosen = form.data.get("quant") or ""
    model = form.data.get("model")
    usual = usual_format(form)  # None: no GPU yet, or an invalid question
    runs, elsewhere, unnamed = [], [], []
    if chosen == RELEASED or usual is None or usual.slug != RELEASED:
        runs.append(rows[RELEASED])
    for slug in FORMATS[1:]:
        if (why := not_on(slug, backends)) is not None:
            elsewhere.append(_noted(rows[slug], why, disabled=slug != chosen))
        elif (why := no_file(slug, model)) is not None:
            unnamed.append(_noted(rows[slug], why, disabled=slug != chosen))
        else:
            runs.append(rows[slug])
    groups = [(f"Not on {combination.hardware(short=True)}" if combination else "", elsewhere)]
    groups.append(("No file of this model", unnamed))
    return mark_safe(
        options([_option("", usual_label(form, usual)), *runs], chosen, chosen=FORMATS)
        + "".join(
            _group(label, options(members, chosen, chosen=FORMATS)) for label, members in groups if members
        )
    )
