"""'Choose my GPU': the device sets that run every wanted model at a context and speed, within a budget.

The sets come from "What hardware runs this model?" (catalog/fitting.py `what_hardware`), once per
model; a kind of device qualifies when it runs them all, with as many devices as the most demanding
needs. Each is offered once per published price (new, used), ranked by price, by tok/s per dollar or by
headroom. Four queries, whatever the catalog's size: the models, the formats, the listed GPUs and their
USD prices; the engine's work is cached on the question and the catalog and engine versions.
"""

from dataclasses import dataclass, replace
from decimal import Decimal

from django import forms
from django.http import QueryDict
from django.urls import reverse

from calculator.forms import (
    CONTEXT_PRESETS,
    MAX_BATCH,
    MAX_CONTEXT,
    QuestionForm,
    engine_accepts,
    name_field,
    reads_at_most,
    speed_floor,
    whole_number,
)
from calculator.sentences import falling  # "falling to 29.3 with 32,768 tokens cached"
from catalog import cache, fitting, runtime_support, slugs
from catalog.form_fields import GivenOnce, choice, tokens
from catalog.models import Gpu, LlmModel, Price, Quantization, valid_specs
from catalog.pages import CTX, unknown_words
from catalog.price_tag import OLD_LAUNCH_DAYS, PriceTag, price_rank
from estimator import DeviceSpec, ModelSpec, Plan, QuantSpec, Workload
from estimator.units import format_rate
from glossary.content import library

# Size class -> (title, fewest and most parameters in billions): the class is sized for its largest
# listed model, so whatever the visitor runs of that class fits.
SIZE_CLASSES = {
    "8b": ("8B", 7.0, 9.5),
    "14b": ("14B", 12.0, 16.0),
    "32b": ("32B", 27.0, 36.0),
    "70b": ("70B", 65.0, 75.0),
}
SORTS = {"price": "Price", "value": "tok/s per dollar", "headroom": "Headroom"}
CONDITIONS = [("", "New or used"), ("new", "New"), ("used", "Used")]
MAX_MODELS = 4
DEFAULT_CTX, DEFAULT_TOK_S = CTX, 10.0  # CTX: the catalog pages' context
# No format asked: each model at the one people run it at, as "What hardware runs it?" answers
# (`fitting.default_format_slug`: gpt-oss in its own MXFP4, Q4_K_M otherwise). A visitor review: /choose/
# answered gpt-oss-120b at Q4_K_M (44.7 tok/s on Strix Halo) where what-hardware said MXFP4 (46.0).
USUAL = "Usual for each model"
# A first visit (the navigation's "Choose my GPU") answers the question people ask most, as the first
# buyer's guide does: a 70B-class model under $2,500
FIRST_VISIT = "size=70b&budget=2500"


class ChooseForm(GivenOnce, forms.Form):
    REPEATABLE = frozenset({"model"})  # one per model wanted

    budget = whole_number("Budget (USD)", 10_000_000)
    # one `model` per model, read in __init__; NUL said as the calculator's model field says it
    model = forms.CharField(
        label="Models", required=False, error_messages=QuestionForm.base_fields["model"].error_messages
    )
    size = choice(
        "size class", [("", "—")] + [(k, v[0]) for k, v in SIZE_CLASSES.items()], label="Or a size class"
    )
    quant = name_field("Format", "format")
    ctx = tokens("Context (tokens)", MAX_CONTEXT)
    # the calculator's `batch`: each user's context and speed
    batch = whole_number("Users at once", MAX_BATCH)
    tok_s = speed_floor()
    condition = choice("price", CONDITIONS, label="Bought")
    sort = choice("ranking", list(SORTS.items()), label="Rank by")

    def __init__(self, data: QueryDict, *, models: dict[str, LlmModel], quants: dict[str, Quantization]):
        super().__init__(data or None)  # an empty query is an unbound form: no errors to show yet
        self.model_slugs = [s.strip() for s in data.getlist("model") if s.strip()]
        self.models = slugs.with_renamed(LlmModel, models, self.model_slugs, respell=True)  # renamed since
        self.quants = slugs.with_renamed(Quantization, quants, data.getlist("quant"), respell=True)

    def clean_model(self) -> list[LlmModel]:
        unknown = sorted({s for s in self.model_slugs if s not in self.models})
        if unknown:
            raise forms.ValidationError(unknown_words(LlmModel, unknown))
        if len(set(self.model_slugs)) > MAX_MODELS:
            raise forms.ValidationError(f"At most {MAX_MODELS} models at once.")
        return [engine_accepts(self.models[s]) for s in dict.fromkeys(self.model_slugs)]

    def clean_quant(self) -> Quantization | None:
        """The format asked for; None: each model's usual one (`usual_format`)."""
        slug = self.cleaned_data["quant"]
        if not slug:
            return None
        if slug not in self.quants:
            raise forms.ValidationError(f"Unknown format “{slug}”.")
        return engine_accepts(self.quants[slug])

    def usual_format(self, model: LlmModel) -> Quantization:
        """The format a model is asked at with none asked for: the one people run it at."""
        slug = fitting.default_format_slug(model.native_dtype)
        return self.quants.get(slug) or self.quants[fitting.DEFAULT_FORMAT]

    def clean(self):
        self.given_once()
        data = super().clean()
        data["ctx"] = data.get("ctx") or DEFAULT_CTX
        data["batch"] = data.get("batch") or 1
        data["tok_s"] = DEFAULT_TOK_S if data.get("tok_s") is None else data["tok_s"]
        data["sort"] = data.get("sort") or "price"
        if "model" in self.errors:
            return data
        models = data.get("model") or []
        if not models and data.get("size"):
            _, low, high = SIZE_CLASSES[data["size"]]
            sized = [m for m in self.models.values() if m.listed and low <= m.total_params_b <= high]
            models = [min(sized, key=lambda m: (-m.total_params_b, m.slug))] if sized else []
        data["model"] = models
        if "quant" not in self.errors:  # each model with its format, in the order asked
            data["formats"] = [(m, data.get("quant") or self.usual_format(m)) for m in models]
        if not models and "size" not in self.errors:  # an unknown size class is said beside it
            self.add_error("model", "Choose a model or a size class.")
        ctx = data["ctx"]  # add_error takes it out of data: one message, for the first model it exceeds
        too_long = next((m for m in models if ctx > (m.longest_context or ctx)), None)
        if too_long and "ctx" not in self.errors:  # with YaRN where the model has it: llama.cpp turns it on
            self.add_error("ctx", reads_at_most(too_long, too_long.longest_context))
        return data

    def page_url(self) -> str:
        data = self.cleaned_data
        query = QueryDict(mutable=True)
        if data.get("size") and not self.model_slugs:
            query["size"] = data["size"]
        else:
            query.setlist("model", [m.slug for m in data["model"]])
        for name, default in (("budget", None), ("ctx", DEFAULT_CTX), ("batch", 1), ("tok_s", DEFAULT_TOK_S)):
            if data.get(name) is not None and data[name] != default:
                query[name] = f"{data[name]:g}"
        if data["quant"] is not None:
            query["quant"] = data["quant"].slug
        for name, default in (("condition", ""), ("sort", "price")):
            if data.get(name) and data[name] != default:
                query[name] = data[name]
        return f"{reverse('costs:choose')}?{query.urlencode(safe='')}"


@dataclass(frozen=True)
class Choice:
    """`count` × `device`, bought `condition` at its newest published price (None: no price published)."""

    device: DeviceSpec
    count: int
    plan: Plan  # of the most demanding model
    tok_s: float  # the slowest of the models, for each user, at the start of an answer
    headroom_bytes: int  # free memory left on the fullest device
    links: tuple[tuple[str, str], ...]  # (model name, calculator permalink)
    condition: str = ""
    unit_price: PriceTag | None = None
    tok_s_at_context: float | None = (
        None  # the same with the whole context asked cached (`fitting.context_tok_s`)
    )
    context_tokens: int = 0  # asked
    whose: str = ""  # the name of the model `tok_s` is of, the slowest, where more than one is asked
    kv: str = ""  # the KV cache type some model needs here, where not the question's f16 (`fitting.KEEPS_THE_MODEL`)

    @property
    def speed_of(self) -> str:
        """Whose speed `tok_s` is, where several models are asked: "Qwen3 32B, the slower of the two" (the cheapest
        sets over the budget named a speed, and the calculator link of the first model, not whose it was)."""
        if not self.whose or len(self.links) < 2:
            return ""
        of = "the slower of the two" if len(self.links) == 2 else f"the slowest of the {len(self.links)}"
        return f"{self.whose}, {of}"

    @property
    def speed_link(self) -> str:
        """The calculator's link for the model whose speed `tok_s` is (`whose`; the first model's for one)."""
        return next((url for name, url in self.links if name == self.whose), self.links[0][1])

    @property
    def price_usd(self) -> Decimal | None:
        return self.unit_price.amount_usd * self.count if self.unit_price else None

    @property
    def pace(self) -> float:
        """What the speed floor and the rankings compare: each user's decode at the full context asked."""
        return self.tok_s if self.tok_s_at_context is None else self.tok_s_at_context

    @property
    def tok_s_per_kusd(self) -> float | None:
        """Decode tok/s at the full context per $1,000 of hardware."""
        return self.pace / float(self.price_usd) * 1000 if self.price_usd else None

    @property
    def falling(self) -> str:
        """After the start's speed, where the full context's reads otherwise: the calculator's words,
        " falling to 29.3 with 32,768 tokens cached"."""
        if self.tok_s_at_context is None or format_rate(self.tok_s_at_context) == format_rate(self.tok_s):
            return ""
        return falling(
            {"tok_s_at_context": self.tok_s_at_context, "context": self.context_tokens}, cached=True
        )

    @property
    def memory_bytes(self) -> int:
        """What the GPUs may use, as DeviceSet.memory_bytes (a unified-memory machine's GPU share)."""
        return self.device.usable_bytes * self.count


def smallest_sets(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    runtimes: dict[str, str],
    gpus: list[DeviceSpec],
    workload: Workload,
    target_tok_s: float,
) -> dict[str, fitting.DeviceSet]:
    """Per kind of device, the fewest that hold the model and reach the target at the full context
    (`fitting.context_tok_s`): what-hardware's sets (`fitting.what_hardware`), each with the KV cache it
    takes (`DeviceSet.kv`: its runtime's 8-bit one where the question's does not do at that count, what-
    hardware's one rule, `fitting.KEEPS_THE_MODEL`)."""
    hardware = fitting.what_hardware(
        model=model,
        quant=quant,
        gpus=[(g, None) for g in gpus],
        workload=workload,
        target_tok_s=target_tok_s,
        top=None,
        runtimes=runtimes,
    )
    return {s.device.slug: s for s in hardware.smallest}


def calculator_link(
    *, model: ModelSpec, quant: QuantSpec, slug: str, count: int, workload: Workload, runtime: str, kv: str
) -> str:
    """The calculator's URL for one model on `count` × `slug`, with the KV cache type `kv` where one is
    needed ("": the question's)."""
    return fitting.permalink(
        model=model.slug,
        quant=quant.slug,
        runs=[(slug, count)],
        ctx=workload.context_tokens,
        batch=workload.batch,
        runtime=runtime,
        kv=kv,
    )


def qualifying_sets(
    *,
    models: list[tuple[ModelSpec, QuantSpec, dict[str, str]]],
    gpus: list[DeviceSpec],
    workload: Workload,
    target_tok_s: float,
) -> list[Choice]:
    """Every kind of device that runs all `models` (each with its format and the runtime per backend that
    runs it, `runtime_support.backend_runtimes`, as what-hardware asks it) at the target speed with the whole
    context cached, unpriced, largest count needed (`smallest_sets`)."""
    per_model = [
        smallest_sets(
            model=m, quant=quant, runtimes=runtimes, gpus=gpus, workload=workload, target_tok_s=target_tok_s
        )
        for m, quant, runtimes in models
    ]
    found = []
    for slug in sorted(set.intersection(*(set(sets) for sets in per_model))):
        sets = [by_slug[slug] for by_slug in per_model]
        kvs = [s.kv for s in sets]
        count = max(s.count for s in sets)
        slowest = min(range(len(sets)), key=lambda i: fitting.context_tok_s(sets[i].plan, sets[i].users))
        binding = sets[slowest]
        headroom = min(
            d.capacity_bytes - d.used_bytes - d.headroom_bytes
            for s in sets
            if s.count == count
            for d in s.plan.devices
            if d.kind == "gpu"
        )
        links = tuple(
            (
                m.name,
                calculator_link(
                    model=m, quant=quant, slug=slug, count=count, workload=workload, runtime=s.runtime, kv=kv
                ),
            )
            for (m, quant, _), s, kv in zip(models, sets, kvs, strict=True)
        )
        found.append(
            Choice(
                binding.device,
                count,
                binding.plan,
                binding.tok_s,
                headroom,
                links,
                tok_s_at_context=fitting.context_tok_s(binding.plan, binding.users),
                context_tokens=workload.context_tokens,
                kv=next((kv for kv in kvs if kv), ""),
                whose=models[slowest][0].name if len(models) > 1 else "",
            )
        )
    return found


def priced(sets: list[Choice], prices: dict[str, dict[str, PriceTag]]) -> list[Choice]:
    """Each set once per condition it has a price for; once without a price when it has none."""
    out = []
    for s in sets:
        tags = prices.get(s.device.slug, {})
        out += [replace(s, condition=c, unit_price=t) for c, t in sorted(tags.items())] or [s]
    return out


# ---- Which price competes on "cheapest": one rule for /choose/ and every buyer's guide --------------
# A launch price over two years old with none newer (PriceTag.old: OLD_LAUNCH_DAYS in catalog/price_tag.py)
# is what the card cost then, not what anyone pays now: a card two years on is often sold out or repriced.
# Such a price ranks after every price of today, as in catalog.fitting.what_hardware's cheapest ranking
# ("What hardware runs it?"), whose rule sits inside its sort key; a visitor review found 2× RTX 3060 at
# their $658 launch price of 2021 first here, and an RTX A6000's $4,700 of 2020 in the image guide.
OLD_PRICE_YEARS = OLD_LAUNCH_DAYS // 365  # said on the pages that rank by it


def current_price(tags: dict[str, PriceTag]) -> PriceTag | None:
    """A device's one price in a one-row-per-device table, from its newest tag per condition: the new one,
    unless that is an old launch price and a used price of today is published."""
    return min(tags.values(), key=lambda t: (price_rank(t), t.condition != "new"), default=None)


def ranked(
    choices: list[Choice], *, sort: str, budget: int | None
) -> tuple[list[Choice], list[Choice], list[Choice]]:
    """(priced sets within the budget, best first; sets without a price; the sets over budget, cheapest first).
    By price or by tok/s per dollar, old launch prices rank after today's (`price_rank`)."""
    with_price = [c for c in choices if c.price_usd is not None]
    within = [c for c in with_price if budget is None or c.price_usd <= budget]
    keys = {
        "price": lambda c: (price_rank(c.unit_price), c.price_usd, -c.pace),
        "value": lambda c: (price_rank(c.unit_price), -(c.tok_s_per_kusd or 0), c.price_usd),
        "headroom": lambda c: (-c.headroom_bytes, price_rank(c.unit_price), c.price_usd),
    }
    unpriced = sorted((c for c in choices if c.price_usd is None), key=lambda c: (c.count, c.memory_bytes))
    over = sorted((c for c in with_price if c not in within), key=keys["price"])
    return sorted(within, key=keys[sort]), unpriced, over


def newest_prices(gpus: list[Gpu], condition: str = "") -> dict[str, dict[str, PriceTag]]:
    """GPU slug -> condition -> its newest USD price, in one query."""
    rows = Price.objects.filter(gpu__in=gpus, currency="USD")
    if condition:
        rows = rows.filter(condition=condition)
    by_pk = {g.pk: g for g in gpus}
    out: dict[str, dict[str, PriceTag]] = {}
    for p in sorted(rows, key=Price.newest_key):
        p.gpu = by_pk[p.gpu_id]  # no query for the release date Price.tag reads
        out.setdefault(p.gpu.slug, {}).setdefault(p.condition, p.tag)
    return out


def choose_answer(query: QueryDict) -> dict:
    models = {m.slug: m for m in LlmModel.objects.all()}
    quants = {q.slug: q for q in Quantization.objects.all()}
    form = ChooseForm(query, models=models, quants=quants)
    context = {
        "form": form,
        "usual": USUAL,
        "models": [m for m in models.values() if m.listed or m.slug in form.model_slugs],
        "quants": [q for q in quants.values() if q.listed],
        "sizes": SIZE_CLASSES,
        "context_presets": CONTEXT_PRESETS,
    }
    if not query or not form.is_valid():
        return context
    data = form.cleaned_data
    gpus = [(g, spec) for g, spec in valid_specs(Gpu.objects.listed())]
    prices = newest_prices([g for g, _ in gpus], data["condition"])
    permalink = form.page_url()
    backends = {spec.backend for _, spec in gpus}

    def compute():
        return qualifying_sets(
            models=[
                (m.as_spec(), q.as_spec(), runtime_support.backend_runtimes(q.family, backends))
                for m, q in data["formats"]
            ],
            gpus=[spec for _, spec in gpus],
            workload=fitting.question_workload(ctx=data["ctx"], batch=data["batch"]),
            target_tok_s=data["tok_s"],
        )

    key = "|".join(
        [
            *(f"{m.slug}@{q.slug}" for m, q in data["formats"]),
            str(data["ctx"]),
            str(data["batch"]),
            f"{data['tok_s']:g}",
        ]
    )
    sets = cache.get_or_compute("choose-sets-2", key, compute)  # Choice gained fields: another key
    best, unpriced, over = ranked(priced(sets, prices), sort=data["sort"], budget=data.get("budget"))
    nearest = over[:NEAREST_OVER] if not best else []  # nothing within the budget: the cheapest few over it
    answer = {
        "choices": best,
        "unpriced": unpriced,
        # kinds of hardware, as `found` counts them: a card's new and used offers over budget are one kind
        # (a review read "19 kinds … run it", "18 cost more than the budget" and "no price published (3)")
        "over_budget": len({c.device.slug for c in over} - {c.device.slug for c in best}),
        "nearest_over": [(c, c.price_usd - data["budget"]) for c in nearest],
        "found": len(sets),
        "kv_kept": any(c.kv for c in best + nearest + unpriced),
        "guides": worked_guides(data["model"], data["ctx"]),
    } | caveats(best)
    answer["condition"] = data["condition"]  # "used": the unpriced have no used price, perhaps a new one
    return context | {"answer": answer, "permalink": permalink}


NEAREST_OVER = 3  # sets over the budget shown where none is within it


def worked_guides(models: list[LlmModel], ctx: int) -> list:
    """The site's guides (content/guides) that work one of these models at this context through: those whose
    front matter's `calculators:` questions ask it (the 70B at 32K on two 24 GB cards, for Llama 3.3 70B)."""
    wanted = {m.slug for m in models}
    return [
        page
        for page in library().guides.values()
        if any(
            q.get("model") in wanted and q.get("ctx") == str(ctx) for q in map(QueryDict, page.calculators)
        )
    ]


# A desktop board has two PCIe x16 slots (a third at x4, if any): three cards or more need a workstation or
# server board, risers and the power supply for them, which no price here includes.
MANY_CARDS = 3


def old_prices(tags) -> dict:
    """Whether any of these prices is an old launch price (`PriceTag.old`), and the age said on the page."""
    return {"old_prices": any(t is not None and t.old for t in tags), "old_years": OLD_PRICE_YEARS}


def caveats(choices) -> dict:
    """What the prices of the ranked sets leave out: launch prices over two years old with none newer
    (`PriceTag.old`), and the board and power supply that three or more cards need."""
    return old_prices(c.unit_price for c in choices) | {
        "many_cards": any(
            c.count >= MANY_CARDS and c.device.form_factor in ("desktop", "workstation") for c in choices
        ),
    }
