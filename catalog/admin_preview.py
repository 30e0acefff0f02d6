"""What a GPU's or a model's values mean on the site: a few of the calculator's answers, on its admin
change page ("Llama 3.1 8B Instruct Q4_K_M: fits, ~138 tok/s"), and, before saving, with the values an
editor typed ("Preview": the saved row's answer → the posted values', "fits, ~152 → fits, ~1,500 tok/s").

Each answer is the calculator's own for that question at its default inputs (catalog/fitting.py, as on
the catalog pages), with a link to it, so the editor sees what a visitor will see.
"""

from dataclasses import dataclass

import pydantic
from django.utils.html import format_html, format_html_join

from estimator.units import format_rate

from . import fitting, slugs
from .fitting import DEFAULTS
from .models import Gpu, LlmModel, Quantization

QUANT = "q4_k_m"
# Well-known models of three sizes, and GPUs of three sizes (12, 24 and 80 GiB).
MODELS = ["llama-3-1-8b-instruct", "qwen2-5-32b-instruct", "llama-3-1-70b-instruct"]
GPUS = ["geforce-rtx-3060-12-gb", "geforce-rtx-4090", "h100-sxm5-80-gb"]


@dataclass(frozen=True)
class Answer:
    label: str
    text: str
    permalink: str


def answer(model: LlmModel, gpu: Gpu, quant: Quantization, label: str) -> Answer:
    """The calculator's verdict for this model on one of this GPU, at its default inputs."""
    workload = fitting.question_workload(ctx=DEFAULTS["ctx"])
    plan = fitting.recommended(
        model=model.as_spec(), quant=quant.as_spec(), devices=[gpu.as_spec()], workload=workload
    )
    if plan is None:
        text = "does not fit"
    else:
        speed = f", ~{format_rate(plan.decode_tok_s)} tok/s" if plan.decode_tok_s else ""
        text = f"fits{' (tight)' if plan.tight else ''}{speed}"
    link = fitting.permalink(model=model.slug, quant=quant.slug, runs=[(gpu.slug, 1)], ctx=DEFAULTS["ctx"])
    return Answer(label, text, link)


def answers(row: Gpu | LlmModel) -> tuple[list[Answer], str]:
    """The answers for a GPU (three models on it) or a model (on three GPUs), and what kept any out."""
    quant = Quantization.objects.filter(slug=QUANT).first()
    if quant is None:
        return [], f"No {QUANT} format in the catalog."
    try:
        row.as_spec()
    except pydantic.ValidationError as e:
        return [], f"The engine refuses these values: {e.errors()[0]['msg']}."
    if isinstance(row, Gpu):
        models = [by_slug[s] for s in MODELS if s in (by_slug := current(LlmModel, MODELS))]
        found = [answer(m, row, quant, f"{m.name} {quant.name}") for m in models]
        wanted = MODELS
    else:
        gpus = [by_slug[s] for s in GPUS if s in (by_slug := current(Gpu, GPUS))]
        found = [answer(row, g, quant, f"One {g.name}, {quant.name}") for g in gpus]
        wanted = GPUS
    missing = "" if found else f"None of {', '.join(wanted)} is in the catalog."
    return found, missing


def current(model, wanted: list[str]) -> dict:
    """The rows these slugs name, following renames (a row an editor renamed is still previewed)."""
    return slugs.with_renamed(model, {r.slug: r for r in model.objects.filter(slug__in=wanted)}, wanted)


CONTEXT = f"{DEFAULTS['ctx']:,} tokens of context, f16 KV cache, llama.cpp: the calculator's defaults."


def as_html(row: Gpu | LlmModel | None) -> str:
    """The answers with the saved values; after "Preview" (the form sets `_previewed` on its unsaved
    instance), the saved row's answers → the posted values' answers."""
    if row is None:
        return ""
    previewed = getattr(row, "_previewed", None)
    if previewed is False:
        return "Correct the errors above, then press Preview again."
    if previewed:
        saved = type(row)._base_manager.filter(pk=row.pk).first() if row.pk is not None else None
        return preview_html(saved, row)
    if row.pk is None:
        return "Press Preview (beside Save) to see them with the values above, before saving."
    found, missing = answers(row)
    if not found:
        return missing
    items = format_html_join(
        "",
        '<li><a href="{}" target="_blank" rel="noopener">{}</a>: {}</li>',
        ((a.permalink, a.label, a.text) for a in found),
    )
    help_text = f"{CONTEXT} Press Preview (beside Save) to see them with the values above, before saving."
    return format_html(
        '<ul class="estimate-preview" id="estimates">{}</ul><div class="help">{}</div>', items, help_text
    )


def preview_html(saved: Gpu | LlmModel | None, posted: Gpu | LlmModel) -> str:
    """Each answer with the saved values → with the posted ones (a new row: the posted ones alone)."""
    after, missing = answers(posted)
    if not after:
        return format_html('<p id="estimates">{}</p>', missing)
    before = {a.label: a for a in answers(saved)[0]} if saved is not None else {}
    items = []
    for a in after:
        b = before.get(a.label)
        if b is None:
            items.append(format_html("<li>{}: <strong>{}</strong></li>", a.label, a.text))
        elif b.text == a.text:
            items.append(
                format_html(
                    '<li><a href="{}" target="_blank" rel="noopener">{}</a>: {} (unchanged)</li>',
                    b.permalink,
                    a.label,
                    a.text,
                )
            )
        else:
            items.append(
                format_html(
                    '<li><a href="{}" target="_blank" rel="noopener">{}</a>: {} → <strong>{}</strong></li>',
                    b.permalink,
                    a.label,
                    b.text,
                    a.text,
                )
            )
    note = "Not saved: with the values above" + (", against the saved ones." if saved is not None else ".")
    return format_html(
        '<ul class="estimate-preview" id="estimates">{}</ul><div class="help">{} {}</div>',
        format_html_join("", "{}", ((i,) for i in items)),
        note,
        CONTEXT,
    )
