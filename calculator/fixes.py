"""What is wrong with an invalid question, in words, and its one-click fixes: each field's errors under
its label, with the changes that would answer it (`QuestionForm.fixes`, from the form and
calculator/combination.py), each as a link to the question it leads to, said to fit or not; for a question
naming no GPU, the fewest devices that would hold its model. The calculator page and the image-model page
show them."""

from django.http import QueryDict
from django.urls import reverse

from catalog import fitting
from catalog.models import DiffusionModel, Gpu
from catalog.pages import POPULAR_GPUS
from catalog.runtimes import RUNTIME_CHOICES

from .combination import BUILD_NAMES, Combination
from .diffusion_answer import DiffusionForm, devices_that_fit, is_diffusion
from .forms import DEFAULTS, QuestionForm
from .page import cached_result, page_url, permalink_or_page
from .question import EngineRefused, Question

# How the answer panel names a field whose label reads oddly alone; the others by their label.
FIELD_WORDS = {"config": "Your config.json", "count": "How many GPUs"}
# The fields whose select the HTMX answer swaps (page.combination_pickers): a fix of these alone can be
# applied in place; another one loads the page.
IN_PLACE = {"runtime", "backend", "quant", "kv"}


def problems(form: QuestionForm) -> list[dict]:
    """What is wrong with an invalid question, in words: each field's errors under its label (linked to
    the field), with its one-click fixes (`fix_links`; for no GPU at all, `devices_that_hold`)."""
    if not form.gpu_slugs and "gpu" in form.errors:
        held = devices_that_fit(form.data) if isinstance(form, DiffusionForm) else devices_that_hold(form)
        form.fixes += [("gpu", {"gpu": gpu.slug, "count": str(n)}) for gpu, n in held]
    links = fix_links(form)
    found = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        found.append(
            {
                "label": field_label(form, name),
                "anchor": {"gpu": "id_gpu_1", "count": "id_count_1"}.get(name, f"id_{name}") if field else "",
                "errors": errors,
                "fixes": links.get(name, []),
            }
        )
    return found


def field_label(form: QuestionForm, name: str) -> str:
    """How the answer panel and compare name a field: its words here, else its label; "" for an error
    of the whole form."""
    field = form.fields.get(name)
    return FIELD_WORDS.get(name) or (field.label if field else "")


def labelled_errors(form: QuestionForm) -> list[tuple[str, list[str]]]:
    """(the field's label, its errors) of an invalid question, for compare's column of it."""
    return [(field_label(form, name), list(errors)) for name, errors in form.errors.items()]


def devices_that_hold(form: QuestionForm, most: int = 3) -> list[tuple[Gpu, int]]:
    """For a question that names no GPU: the fewest of each popular kind (catalog.pages.POPULAR_GPUS, up
    to fitting.MAX_SAME_GPUS) and the smallest listed device alone that hold its model at the format it
    would run at there, at the context asked (the engine's recommended plan fits); at most `most`."""
    model, ctx = form.cleaned_data.get("model"), form.cleaned_data.get("ctx") or DEFAULTS["ctx"]
    if model is None:
        return []
    listed = sorted(Gpu.objects.listed(), key=lambda g: (g.as_spec().usable_bytes, g.name))
    popular = [g for slug in POPULAR_GPUS for g in listed if g.slug == slug]
    found: list[tuple[Gpu, int]] = []
    least = 0

    def fewest(gpu: Gpu, up_to: int) -> int | None:
        nonlocal least
        combination = Combination([gpu])
        runtime, quant = combination.usual(model)
        if quant is None:
            return None
        spec, device = combination.spec(model), gpu.as_spec()
        held = quant.as_spec(runtime, moe=model.is_moe)
        workload = fitting.question_workload(ctx=ctx, runtime=runtime)
        need = fitting.least_bytes_needed(spec, held, workload)
        least = least or need
        for n in range(max(1, -(-need // device.usable_bytes)), up_to + 1):
            plan = fitting.recommended(model=spec, quant=held, devices=[device] * n, workload=workload)
            if plan is not None:
                return n
        return None

    for gpu in popular:
        if n := fewest(gpu, fitting.MAX_SAME_GPUS):
            found.append((gpu, n))
    for gpu in listed:
        if gpu not in popular and gpu.as_spec().usable_bytes >= least and fewest(gpu, 1):
            found.append((gpu, 1))
            break
    return found[:most]


STILL_NO = " — still does not fit here"  # a fix that makes the question valid, not the answer "yes"


def fix_links(form: QuestionForm) -> dict[str, list[dict]]:
    """Field name -> the fixes the form proposes for it (`form.fixes`) that answer the question there,
    each as {"text", "url", "in_place"}: "Use llama.cpp with Q4_K_M", and the same question with that
    choice (its permalink when it is valid; a choice that leaves another field wrong keeps the query)."""
    found: dict[str, list[dict]] = {}
    seen = set()
    for name, changes in form.fixes:
        if changes.get("model") and is_diffusion(changes["model"]) and not isinstance(form, DiffusionForm):
            link = image_model_fix(form, changes["model"])  # a guess of "sdxl": the image page for it
            if link is not None and link["url"] not in seen:
                seen.add(link["url"])
                found.setdefault(name, []).append(link)
            continue
        query = form.data.copy()
        for key, value in changes.items():
            query.setlist(key, [value] if value else [])
        fixed = type(form)(query)
        wrong = changes.keys() | {name} | (IN_PLACE if name in IN_PLACE else set())
        if not fixed.is_valid() and fixed.errors.keys() & wrong:
            continue  # it would not run either (another field's error may stay: it has its own fixes)
        if fixed.is_valid():
            url = (
                f"{page_url()}?{fixed.canonical_query()}"
                if isinstance(fixed, DiffusionForm)
                else permalink_or_page(fixed)
            )
        else:
            url = f"{page_url()}?{query.urlencode()}"
        text = fix_text(changes, fixed.cleaned_data, alone=bool(form.gpu_slugs))
        if url in seen or text is None:
            continue
        seen.add(url)
        in_place = changes.keys() <= IN_PLACE and not isinstance(form, DiffusionForm)  # its own partial
        fits = (
            not fixed.is_valid()
            or isinstance(form, DiffusionForm)
            or name == "gpu"
            or Question.from_form(fixed).fits()
        )
        link = {"text": text, "url": url, "in_place": in_place, "fits": fits}
        if not fits:
            link |= {"text": text + STILL_NO, "question": Question.from_form(fixed), "changes": changes}
        found.setdefault(name, []).append(link)
    for links in found.values():
        links.sort(key=lambda link: not link["fits"])  # stable: those that answer "yes" first
        paired = _paired(links[0])
        if paired is not None and all(paired["url"] != link["url"] for link in links):
            links.insert(0, paired)
    return found


# What of a language model's question the image form asks too: the devices and the system RAM
IMAGE_CARRIED = ("gpu", "count", "ram_gb")


def image_model_fix(form: QuestionForm, slug: str) -> dict | None:
    """The fix "Use Stable Diffusion XL 1.0 (SDXL)" for a question whose unknown model most likely meant an
    image or video model (`catalog.pages.meant`): a link to the image page's question about it, on the
    visitor's GPUs (and system RAM) where the image form takes them, else to the model's own address, which
    asks on a card that runs it (`diffusion_views.detail`). The language model's form would refuse the image
    model (a visitor review: "did you mean Stable Diffusion XL 1.0 (SDXL), stable-diffusion-xl?" and no link)."""
    asked = [IMAGE_CARRIED, IMAGE_CARRIED[:2]] if form.gpu_slugs else []
    for carried in asked:
        query = QueryDict(mutable=True)
        query["model"] = slug
        for key in carried:
            query.setlist(key, form.data.getlist(key))
        fixed = DiffusionForm(query)
        if fixed.is_valid():
            url = f"{page_url()}?{fixed.canonical_query()}"
            return {
                "text": fix_text({"model": slug}, fixed.cleaned_data),
                "url": url,
                "in_place": False,
                "fits": True,
            }
    model = DiffusionModel.objects.filter(slug=slug).only("name").first()
    if model is None:
        return None
    url = reverse("calculator:diffusion-detail", args=[slug])
    return {"text": f"Use {model.name}", "url": url, "in_place": False, "fits": True}


def _paired(fix: dict) -> dict | None:
    """Where no fix of a field fits (its first, `fix`, a valid question that does not), that fix with the
    engine's first suggestion that fits there, said as what the link does ("Use vLLM with AWQ 4-bit
    g128: the largest format that fits", "Use llama.cpp with Q4_K_M on 2× GeForce RTX 4090: it fits"),
    from the answer the page at the fix's address computes (cached: following either link costs nothing
    more). Applied in place, as the fix is, when it changes only what the HTMX answer swaps."""
    if fix["fits"] or "question" not in fix:
        return None
    question = fix["question"]
    try:
        result, _ = cached_result(question)
    except EngineRefused:
        return None
    suggestion = next((s for s in result.suggestions if s.fits and s.changes), None)
    if suggestion is None:
        return None
    url = question.permalink(**suggestion.changes)
    paired = QuestionForm(QueryDict(url.partition("?")[2]))
    if not paired.is_valid():
        return None
    changes = fix["changes"].keys() | {PAIRED_FIELDS.get(key, key) for key in suggestion.changes}
    why = "the largest format that fits" if suggestion.reason.code == "largest_format" else "it fits"
    return {
        "text": f"{_pair_text(changes, paired.cleaned_data)}: {why}",
        "url": url,
        "in_place": changes <= IN_PLACE,
        "fits": True,
    }


# A suggestion's changes (the API's names) by the form field each sets
PAIRED_FIELDS = {"gpu_count": "count"}


def _pair_text(changes: set[str], data: dict) -> str:
    """ "Use vLLM with AWQ 4-bit g128", then what else the pair changes: " on 2× GeForce RTX 4090",
    " at 8,192 tokens of context", " and the KV cache in q8_0"."""
    runtime = dict(RUNTIME_CHOICES).get(data.get("runtime"))
    text = f"Use {runtime} with {data['quant'].name}" if runtime else f"Use {data['quant'].name}"
    if changes & {"gpu", "count"}:
        gpu, n = next(iter(data["gpu"].values())), data["count"][0]
        text += f" on {n}× {gpu.name}" if n > 1 else f" on one {gpu.name}"
    if "hosts" in changes:
        text += f" on {data['hosts']} machines"
    if "ctx" in changes:
        text += f" at {data['ctx']:,} tokens of context"
    if "prompt" in changes:
        text += f" and a prompt of {data['prompt']:,} tokens"
    if "kv" in changes and data.get("kv"):
        text += f" and the KV cache in {data['kv']}"
    return text


def fix_text(changes: dict[str, str], data: dict, *, alone: bool = False) -> str | None:
    """A fix in words, from the question it leads to: "Use vLLM with BF16", "Keep the KV cache in fp8",
    "Use 2× GeForce RTX 3090" (`alone`: of the devices asked about, "Ask about the … alone"), "Use 2
    machines, one Apple M4 Max each"; None for one that cannot be said in words."""
    if "model" in changes and data.get("model"):
        return f"Use {data['model'].name}"
    if "gpu" in changes and data.get("gpu"):
        gpu, n = next(iter(data["gpu"].values())), data["count"][0]
        if "hosts" in changes:
            return f"Use {changes['hosts']} machines, one {gpu.name} each"
        named = f"{n}× {gpu.name}" if n > 1 else f"{'the' if alone else 'one'} {gpu.name}"
        return f"Ask about {named} alone" if alone else f"Use {named}"
    if "backend" in changes:
        return f"Use {BUILD_NAMES[changes['backend']]}" if changes["backend"] else "Use the usual backend"
    if ("runtime" in changes or "quant" in changes) and data.get("quant"):
        runtime = dict(RUNTIME_CHOICES).get(data.get("runtime"))
        return f"Use {runtime} with {data['quant'].name}" if runtime else f"Use {data['quant'].name}"
    if "fa" in changes:
        return "Turn flash attention on"
    if "kv" in changes:
        return f"Keep the KV cache in {changes['kv'] or data.get('kv')}"  # "": the default, f16
    if "ctx" in changes:
        return f"Use {int(changes['ctx']):,} tokens of context"
    if "prompt" in changes:
        return f"Use a prompt of {int(changes['prompt']):,} tokens"
    if "steps" in changes:  # an image question's picture (one given twice: each value its fix)
        return f"Use {int(changes['steps'])} steps"
    if "frames" in changes:
        return f"Use {int(changes['frames'])} frames"
    if side := next((s for s in ("width", "height") if s in changes), None):
        return f"Use a {side} of {int(changes[side]):,} px"
    if changes.get("ram_gb") == "":
        return "Leave System RAM empty"
    if "hosts" in changes:
        return f"Use {int(changes['hosts'])} machines"
    if changes.get("link") == "":
        return "Leave the link on Auto"
    return None
