"""The cost page's answer: a calculator question, priced three ways (bought, rented, hosted API).

The catalog rows are read in a fixed number of queries (the question's GPUs, model and format; every
cloud offer with its GPU; the question's hardware prices; the model's API prices); the engine runs once
for the question and once per cloud instance shape, each cached on the catalog and engine versions.
"""

import datetime
import math
import re
from dataclasses import dataclass, replace
from decimal import Decimal

from django import forms
from django.http import QueryDict
from django.urls import reverse
from pydantic import ValidationError

from calculator.forms import QuestionForm
from calculator.question import EngineRefused, Question
from catalog import cache
from catalog.fitting import context_tok_s
from catalog.form_fields import GivenOnce, bounded, choice, name_choices
from catalog.models import Gpu, Price
from estimator import Plan
from estimator.estimate import fits
from estimator.units import format_rate

from .chart import cost_chart, drawn_to
from .economics import (
    MILLION,
    SECONDS_PER_DAY,
    KeptUp,
    Linear,
    SelfHosted,
    break_even_hours,
    break_even_tokens_per_day,
    rented_usd_per_million,
    tokens_text,
    usd_text,
)
from .models import ApiPrice, CloudPrice, max_age_days

# utilisation: a share of the day (0.5), shown and typed as a percentage (50); tokens_per_day, what the
# question's users generate in that share of the day (`default_tokens`), 2 M only where there is no speed
DEFAULTS = {"lifetime": 3.0, "utilisation": 0.5, "kwh": 0.15, "tokens_per_day": 2_000_000}
COST_FIELDS = ["lifetime", "utilisation", "kwh", "tokens_per_day", "condition", "rent", "billed"]
ON_DEMAND = "generating"
BILLED = [
    ("", "For the hours it is kept up"),
    (ON_DEMAND, "Only while it generates (on demand)"),
]
LEAST_PERCENT = 1


# "2000000", "2,000,000" (or "2 000 000", "2_000_000"), "2M", "750k", "1.5 M": tokens a day as the page writes them
TOKENS_A_DAY = re.compile(r"(?P<number>\d{1,3}(?:[,_ ]\d{3})+|\d+(?:\.\d+)?)\s*(?P<unit>[kKmM])?")
# k is 1,000 here, not the context's 1,024 (catalog.form_fields.KIBI): a day's tokens are a count, "2 M" on
# this page is 2,000,000 (`tokens_text`), and nothing about them comes in powers of two
UNITS = {"k": 1_000, "m": MILLION}


class TokensADay(forms.IntegerField):
    """Tokens a day as people write them and the page says them: a whole number, with or without thousands
    separators, or thousands (k) and millions (M) of 1,000 ("2M" is 2,000,000; "750k" 750,000). A visitor
    review: the page said "2 M tokens a day" and the field answered "2M" with "Enter a whole number."."""

    default_error_messages = {"invalid": "Enter a number of tokens: 2000000, 2,000,000 or 2M."}

    def to_python(self, value):
        if isinstance(value, str) and (written := TOKENS_A_DAY.fullmatch(value.strip())):
            value = re.sub("[,_ ]", "", written["number"])
            if written["unit"]:
                number = Decimal(value) * UNITS[written["unit"].lower()]
                if number != number.to_integral_value():  # "1.2345k": a fraction of a token
                    raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
                value = str(int(number))
        return super().to_python(value)


class CostForm(GivenOnce, forms.Form):
    """The cost's own inputs, beside the calculator's question; a bad one is said in the site's words, naming
    what it takes (catalog/form_fields.py), and one given twice is an error as on the calculator."""

    lifetime = bounded(forms.FloatField, 0.25, 15, label="Hardware lifetime (years)")
    # a percentage; 1 or less is a share of the day, as links before read it (utilisation=0.5: half the day)
    utilisation = bounded(forms.FloatField, 0, 100, label="Kept up and generating (% of the day)")
    kwh = bounded(forms.FloatField, 0, 5, label="Electricity ($ per kWh)")
    tokens_per_day = bounded(
        TokensADay,
        1000,
        10**12,
        label="Tokens a day (generated)",
        help_text="2000000, 2,000,000 or 2M (k and M are 1,000 and 1,000,000 here, not a context's 1,024)",
    )
    condition = choice(
        "hardware price",
        [("", "Newest, new or used"), ("new", "New"), ("used", "Used")],
        label="Hardware price",
    )
    rent = forms.ChoiceField(label="Compare with renting", required=False)
    billed = choice("billing", BILLED, label="Renting billed")

    def __init__(self, data: QueryDict, *, rentals: list[CloudPrice]):
        super().__init__(data)
        for name, default in DEFAULTS.items():
            self.fields[name].initial = default  # shown in the empty field
        self.fields["rent"].choices = [("", "The cheapest that runs it")] + [
            (r.slug, label(r)) for r in rentals
        ]
        name_choices(self.fields["rent"], "rental", listed=False)  # 20 offers: the select lists them

    def clean_utilisation(self) -> float | None:
        """The share of the day, from a percentage (50) or, 1 or less, a share as older links give it (0.5)."""
        value = self.cleaned_data["utilisation"]
        if value is None:
            return None
        share = value if value <= 1 else value / 100
        if share < LEAST_PERCENT / 100:
            raise forms.ValidationError(f"Enter {LEAST_PERCENT} or more (a percentage of the day).")
        return share

    def clean(self):
        self.given_once()
        data = super().clean()
        for name, default in DEFAULTS.items():
            if data.get(name) is None and name not in self.errors:
                data[name] = default
        return data


def percent_text(share: float) -> str:
    """0.5 -> '50', 0.125 -> '12.5': the utilisation as the field takes it."""
    return f"{share * 100:.4g}"


def dollars(amount) -> str:
    """Decimal('2.69000') -> '$2.69', Decimal('0.70') -> '$0.70', Decimal('0.075') -> '$0.075': a price as
    published, to the cent at least (a visitor review read "$0.7 in, $2.8 out per M" beside "$0.59 in"), without
    the column's trailing zeros past it."""
    digits = max(2, -amount.normalize().as_tuple().exponent)
    return f"${amount:,.{digits}f}"


def label(rental: CloudPrice) -> str:
    """'1× H100 SXM5 80 GB on RunPod (Community Cloud)': the offer, and what the provider's name says in
    brackets, in one pair of them (the last helper read "Verda (formerly DataCrunch) (On-demand instance (1x
    GPU))"): "on Verda (formerly DataCrunch; on-demand instance, 1x GPU)"."""
    provider, notes = _bracketed(rental.provider)
    offer, more = _bracketed(rental.offer)
    notes += [", ".join([offer, *more])] if offer else []
    if (
        len(notes) > 1
    ):  # a note after another reads on: "on-demand", not "On-demand" (a name keeps its capital)
        notes[1:] = [re.sub(r"^([A-Z])(?=[a-z-]+\b)", lambda m: m[1].lower(), n) for n in notes[1:]]
    said = f" ({'; '.join(notes)})" if notes else ""
    return f"{rental.gpu_count}× {rental.gpu.name} on {provider}{said}"


def _bracketed(text: str) -> tuple[str, list[str]]:
    """'Verda (formerly DataCrunch)' -> ('Verda', ['formerly DataCrunch']): a name and what its brackets say."""
    notes = re.findall(r"\(([^()]*)\)", text)
    return re.sub(r"\s*\([^()]*\)", "", text).strip(), [n.strip() for n in notes if n.strip()]


def rig(question: Question) -> str:
    """What the visitor would buy, in words: one machine's devices ('2× GeForce RTX 3090'), or the question's
    machines of them ('2 machines × 1× GeForce RTX 3090')."""
    return f"{question.hosts} machines × {question.hardware}" if question.hosts > 1 else question.hardware


# The most instances of one offer the page prices for the tokens a day asked; past it, the offer is "too slow
# for" that volume. Eight is a handful a person still rents by hand: beyond it, a fleet wants a load balancer
# and scheduling nothing here prices, and review 10 found 20 users' 72 M tokens a day billed silently to about
# 88 A100s (“Rent 1× A100 PCIe 80 GB … $1,257” a day).
MOST_INSTANCES = 8


@dataclass(frozen=True)
class Rental:
    price: CloudPrice
    plan: Plan | None
    tok_s: float | None
    cost: Linear | KeptUp | None
    instances: int = 1  # of the offer, rented together: one, or the question's machines (`_rental`)
    sets: int = 1  # of those, to generate the tokens a day asked (`at`)

    def at(self, tokens: float) -> "Rental":
        """The same offer rented as many times as `tokens` a day take: kept up its hours, as many sets as
        `KeptUp.sets_needed`; billed while it generates, as many as run all day (its price per token is the
        same however many run). A visitor review: "renting 1× RTX A6000 … costs $39.36 a day" at $0.82/h, four
        instances billed without a word, beside "renting costs $9.84 a day", one."""
        if isinstance(self.cost, KeptUp):
            return replace(self, sets=self.cost.sets_needed(tokens))
        if self.cost is not None and self.tok_s:
            return replace(self, sets=max(1, math.ceil(tokens / (self.tok_s * SECONDS_PER_DAY) - 1e-9)))
        return self

    @property
    def count(self) -> int:
        """Instances of the offer billed: the question's machines' (`instances`) times the sets."""
        return self.instances * self.sets

    @property
    def priced(self) -> bool:
        """It runs the question, on no more than `MOST_INSTANCES` for the tokens a day asked."""
        return self.cost is not None and not self.too_slow

    @property
    def too_slow(self) -> bool:
        return self.cost is not None and self.count > MOST_INSTANCES

    def refusal(self, tokens: float, machines: int) -> str:
        """Why the offer is not priced: too slow for the `tokens` a day asked, or it does not hold the question
        on one instance or the question's `machines`."""
        if self.too_slow:
            return (
                f"too slow for {tokens_text(tokens)} tokens a day ({format_rate(self.tok_s)} tok/s; it would take "
                f"{self.count} instances, and this page prices at most {MOST_INSTANCES})"
            )
        return "does not hold this question" + (f", alone or {machines} together" if machines > 1 else "")

    @property
    def one(self) -> "Rental":
        """One set: what the break-even weighs against one set bought."""
        return replace(self, sets=1)

    @property
    def name(self) -> str:
        return label(self.price) if self.count == 1 else f"{self.count} instances of {label(self.price)}"

    @property
    def per_million_text(self) -> str:
        """Its lowest price per million tokens, generating every hour it is billed."""
        return usd_text(self.cost.usd_per_million) if self.cost else "–"

    @property
    def hourly(self) -> str:
        """'$2.40/h', '2 × $31.92/h': the price an hour in cents (`usd_text`), one way on every row; a visitor
        review read "$27.44705/h" and "$2.4024/h", the catalog's digits."""
        each = f"{usd_text(float(self.price.usd_per_hour))}/h"
        return each if self.count == 1 else f"{self.count} × {each}"


@dataclass(frozen=True)
class Owned:
    hardware: str  # `rig`: the machines too
    machines: int  # the question's hosts, each with the question's devices
    prices: list[Price]  # the newest price of each kind of device, in question order
    unpriced: list[str]  # device names without a published price
    unpowered: list[str]  # device names without a board power in the catalog
    power_w: float  # of every machine's devices
    plan: Plan
    tok_s: float
    cost: SelfHosted | None


def cost_answer(query: QueryDict) -> dict:
    question = QuestionForm(query)
    rentals = list(CloudPrice.objects.select_related("gpu").order_by("gpu__name", "usd_per_hour", "slug"))
    form = CostForm(query, rentals=rentals)
    pairs = [(k, v) for k in QuestionForm.FIELDS for v in query.getlist(k)]
    context = {"question": question, "form": form, "max_age_days": max_age_days(), "question_pairs": pairs}
    if not (question.is_valid() & form.is_valid()):
        return context
    asked = Question.from_form(question)
    try:
        plan = _plan(asked, asked.devices, None)
    except EngineRefused as refusal:
        form.add_error(None, str(refusal))
        return context
    context |= {"hardware": rig(asked), "calculator": asked.permalink()}
    context["question_pairs"] = [(k, v) for k, vs in QueryDict(asked.query()).lists() for v in vs]
    data = form.cleaned_data
    context["utilisation_percent"] = percent_text(data["utilisation"])
    context["hours"] = data["utilisation"] * 24
    if plan is None:
        context["permalink"] = permalink(asked, form)
        context["no_plan"] = True
        return context
    owned = _owned(asked, plan, data)
    # renting kept up the hours the bought machine is (its share of the day), or billed only while it generates
    hours = None if data["billed"] == ON_DEMAND else data["utilisation"] * 24
    derived, per_user = default_tokens(asked, owned, data["utilisation"]) or (None, None)
    typed = bool(form.data.get("tokens_per_day"))
    tokens = data["tokens_per_day"] if typed else derived or DEFAULTS["tokens_per_day"]
    priced = sorted(
        (
            _rental(asked, r, hours).at(tokens) for r in rentals
        ),  # the cheapest a day at the tokens asked first
        key=lambda r: (r.cost is None, r.cost.usd_per_day(tokens) if r.cost else 0, r.name),
    )
    fitting = [r for r in priced if r.priced]
    picked = next((r for r in priced if r.price.slug == data["rent"]), None)
    compare = picked if picked is not None and picked.priced else (fitting[0] if fitting else None)
    model = asked.model  # a pasted config.json is no catalog row: no API price
    apis = sorted(ApiPrice.objects.filter(llm=model), key=lambda a: a.usd_per_m_output) if model.pk else []
    api = apis[0] if apis else None
    context["permalink"] = permalink(asked, form)
    context["tokens_from_users"] = bool(derived) and not typed
    context["user_tok_s"] = per_user
    context["tokens_shown"] = tokens
    break_even = (
        break_even_tokens_per_day(owned.cost, compare.cost)
        if owned.cost and compare and isinstance(compare.cost, Linear)
        else None
    )
    reach = drawn_to(tokens, break_even)
    others = [(rental_line(compare, tokens, reach), compare.cost)] if compare else []
    if api is not None:
        others.append((f"API: {api.provider}", Linear(float(api.usd_per_m_output))))
    context |= {
        "owned": owned,
        "rentals": priced,
        "compare": compare,
        "apis": apis,
        "tokens": tokens,
        "tokens_text": tokens_text(tokens),
        "rows": table_rows(owned, priced, apis, tokens, compare),
        "more_rentals": [r for r in fitting if r not in shown_rentals(priced, compare)],
        "unpriced": [(r.one.name, r.refusal(tokens, owned.machines)) for r in priced if not r.priced],
        "rent_swapped": swapped(picked, compare, tokens, owned.machines),
        "verdict": verdict(owned, compare, api, tokens),
        "break_even": break_even_sentence(
            owned, compare, break_even, data["utilisation"], tokens, sum(r.too_slow for r in priced)
        ),
        "kept_up": hours is not None,
        "chart": cost_chart(
            own=owned.cost,
            own_label=owned_line(owned, tokens, reach),
            others=others,
            tokens_per_day=tokens,
            break_even=break_even,
        ),
        "stale": [
            (stale_text(p), p.date)
            for p in [*owned.prices, *(r.price for r in priced), *apis]
            if p.date and _stale(p.date)
        ],
    }
    return context


def stepped(name: str, unit: str, count: int, more: int, each: float, tokens: float) -> str:
    """A stepped line's legend: how many `unit`s it bills at the visitor's `tokens` a day, and the `more` each
    step adds every `each` tokens a day."""
    step = "one" if more == 1 else str(more)
    return f"{name}: {count} {unit}{'s' if count > 1 else ''} at your {tokens_text(tokens)} tokens a day, {step} more every {tokens_text(each)}"


def owned_line(owned: Owned, tokens: float, reach: float) -> str:
    """The bought line's legend: the hardware, and its sets where the chart, drawn to `reach` tokens a day,
    steps up to another (review 10: "Buy 2× GeForce RTX 3090" beside a line of three sets)."""
    name = f"Buy {owned.hardware}"
    if owned.cost is None or owned.cost.capacity_tokens_per_day >= reach:
        return name
    return stepped(name, "set", owned.cost.sets_needed(tokens), 1, owned.cost.capacity_tokens_per_day, tokens)


def rental_line(rental: Rental, tokens: float, reach: float) -> str:
    """The rented line's legend: the offer, and the instances it bills at the visitor's tokens a day where they
    are several, or where the chart, drawn to `reach`, steps up to more (review 10: "Rent 1× RTX A6000" beside
    a line of four). Billed only while they generate, the line is straight: more instances, the same price a
    token."""
    name = f"Rent {label(rental.price)}"
    if isinstance(rental.cost, KeptUp) and rental.cost.capacity_tokens_per_day < reach:
        each = rental.cost.capacity_tokens_per_day
        return stepped(name, "instance", rental.count, rental.instances, each, tokens)
    if isinstance(rental.cost, Linear) and rental.count > 1:
        return f"{name}: {rental.count} instances at your {tokens_text(tokens)} tokens a day, billed only while they generate"
    return f"Rent {rental.name}"


def permalink(question: Question, form: CostForm) -> str:
    """This page's URL: the calculator's canonical question, then the cost inputs that differ from defaults,
    and the tokens a day if typed."""
    query = QueryDict(question.query(), mutable=True)
    for name in COST_FIELDS:
        value = form.cleaned_data.get(name)
        if name == "tokens_per_day":  # typed, kept (the default follows the question: `default_tokens`)
            if form.data.get(name) and value is not None:
                query[name] = str(value)  # "2M" as 2000000
            continue
        if value not in (None, "") and value != DEFAULTS.get(name):
            if name == "utilisation" and value > LEAST_PERCENT / 100:  # 1% and less stay a share: 0.01
                query[name] = percent_text(value)
            else:
                query[name] = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{reverse('costs:cost')}?{query.urlencode(safe='')}"


def stale_text(price: Price | CloudPrice | ApiPrice) -> str:
    """A price the page flags as old, in the page's money words ("$30,000 (new, US)", "$2.69/h"): a
    visitor review read "30,000.00 USD (new, US)" beside "$30,000" in the table."""
    if isinstance(price, CloudPrice):
        return f"{label(price)}, {usd_text(float(price.usd_per_hour))}/h"
    if isinstance(price, ApiPrice):
        return f"{price.provider} API, {dollars(price.usd_per_m_output)} out per M"
    if price.currency != "USD":
        return price.label
    return f"{usd_text(float(price.amount))} ({price.get_condition_display().lower()}, {price.region})"


def _stale(date: datetime.date) -> bool:
    return (datetime.date.today() - date).days > max_age_days()


def _plan(question: Question, devices: list[Gpu], shape: tuple[str, int, int] | None) -> Plan | None:
    """The calculator's recommended plan for the question (`shape` None), or for the same model, format
    and workload on cloud instances of `shape` = (GPU slug, GPUs each, instances), without the visitor's
    RAM: several instances are joined as the question's machines are (its network, or the engine's
    10 GbE), the catalog knowing nothing of a provider's network."""
    key = question.query() + (f"|{shape[0]}x{shape[1]}x{shape[2]}" if shape else "")

    def compute():
        if shape is None:
            return question.estimate(with_suggestions=False).recommended_plan
        try:
            return fits(
                model=question.model.as_spec(),
                quant=question.quant.as_spec(),
                devices=[d.as_spec() for d in devices],
                workload=question.workload(ram_bytes=None, hosts=shape[2]),
            )
        except (ValidationError, ValueError):
            return None

    return cache.get_or_compute("cost-plan", key, compute)


def _speed(plan: Plan | None, users: int) -> float | None:
    """Decode of all `users` together with every one's whole context cached (`fitting.context_tok_s`, as every
    page's tiers): the one speed the page prices with, bought or rented, for the tokens a day, one set's or
    instance's day, its electricity and its price a million. A visitor review: 712 k tokens a day made at the
    full context's 16.5 tok/s in 12 hours were billed 11.3 hours of electricity at the start's 17.5."""
    if plan is None:
        return None
    return users * context_tok_s(plan, users) or None


def _owned(question: Question, plan: Plan, data: dict) -> Owned:
    """The question's hardware bought: every machine's devices (`hosts` alike machines), priced and
    powered."""
    devices, machines = question.devices, question.hosts
    kinds = {g.pk: g for g in devices}
    prices = Price.objects.filter(gpu_id__in=kinds, currency="USD")
    if data["condition"]:
        prices = prices.filter(condition=data["condition"])
    newest: dict[int, Price] = {}
    for price in sorted(prices, key=Price.newest_key):
        newest.setdefault(price.gpu_id, price)
    for price in newest.values():
        price.gpu = kinds[price.gpu_id]  # no query per price for its GPU's name
    unpriced = sorted({g.name for g in devices if g.pk not in newest})
    unpowered = sorted({g.name for g in devices if not g.tdp_w})
    power = sum(g.tdp_w or 0 for g in devices) * machines
    tok_s = _speed(plan, question.batch)
    cost = None
    if not unpriced and tok_s:
        cost = SelfHosted(
            hardware_usd=float(sum(newest[g.pk].amount for g in devices)) * machines,
            lifetime_years=data["lifetime"],
            utilisation=data["utilisation"],
            tok_s=tok_s,
            power_w=power or None,
            usd_per_kwh=data["kwh"],
        )
    return Owned(
        rig(question),
        machines,
        [newest[k] for k in kinds if k in newest],
        unpriced,
        unpowered,
        power,
        plan,
        tok_s,
        cost,
    )


def default_tokens(question: Question, owned: Owned, utilisation: float) -> tuple[int, float] | None:
    """The tokens a day the question's users generate in the share of the day the machine is kept up, at the
    speed the page prices with (`_speed`: what one set makes), and each user's share of it; None without a
    speed (the page's 2 M then). One user included: review 10 found one user on 2× RTX 3090 priced at the
    page's 2 M a day, more than they generate (756 k), so "buy 3 sets"."""
    if not owned.tok_s:
        return None
    return math.floor(owned.tok_s * SECONDS_PER_DAY * utilisation), owned.tok_s / question.batch


def _rental(question: Question, price: CloudPrice, hours: float | None) -> Rental:
    """The offer rented as few times as runs the question: one instance, or where one does not hold it
    and the question has several machines, as many instances as machines (a visitor review: two machines
    of 8× H100 were "no cloud offer" beside two 8× H100 instances), billed together. Each instance's
    price is the catalog's row; nothing else is priced."""
    devices = [price.gpu] * price.gpu_count
    for instances in dict.fromkeys((1, question.hosts)):
        plan = _plan(question, devices, (price.gpu.slug, price.gpu_count, instances))
        if plan is not None:
            break
    else:
        instances = 1  # none holds it: the offer is named as published
    tok_s = _speed(plan, question.batch)
    hourly = float(price.usd_per_hour) * instances
    cost = None
    if tok_s and hours is None:  # billed only while it generates
        cost = Linear(rented_usd_per_million(usd_per_hour=hourly, tok_s=tok_s))
    elif tok_s:
        cost = KeptUp(usd_per_hour=hourly, tok_s=tok_s, hours_per_day=hours)
    return Rental(price, plan, tok_s, cost, instances)


@dataclass(frozen=True)
class Row:
    """One line of the cost table, computed for the visitor's tokens a day."""

    kind: str  # "own", "rent" or "api"
    name: str
    price: str  # what is paid: "$1,400", "$2.69/h", "$0.59 in, $0.79 out per M"
    tok_s: float | None
    usd_per_million: float | None
    usd_per_day: float | None
    dates: list  # the price rows behind it (date, source_url, stale)
    chosen: bool = False  # the rental the break-even sentence compares with
    speed_of: str = ""  # " each", " a set": whose speed `tok_s` is when the row bills several
    cheapest: bool = False  # the lowest cost a day at the visitor's tokens

    @property
    def per_million_text(self) -> str:
        return usd_text(self.usd_per_million) if self.usd_per_million is not None else "–"

    @property
    def per_day_text(self) -> str:
        return usd_text(self.usd_per_day) if self.usd_per_day is not None else "–"


SHOWN_RENTALS = 5  # the cheapest cloud offers in the table; the rest in a list below it


def shown_rentals(rentals: list[Rental], compare: Rental | None) -> list[Rental]:
    fitting = [r for r in rentals if r.priced]
    shown = fitting[:SHOWN_RENTALS]
    return shown + [compare] if compare is not None and compare not in shown else shown


def table_rows(
    owned: Owned, rentals: list[Rental], apis: list[ApiPrice], tokens: int, compare: Rental | None
) -> list[Row]:
    rows = []
    if owned.cost is not None:
        sets = owned.cost.sets_needed(tokens)  # past one set's day, another: the a-day cost is theirs
        rows.append(
            Row(
                "own",
                f"Buy {owned.hardware}" + (f", {sets} sets" if sets > 1 else ""),
                usd_text(owned.cost.hardware_usd) + (" a set" if sets > 1 else ""),
                owned.tok_s,
                owned.cost.usd_per_million(tokens),
                owned.cost.usd_per_day(tokens),
                owned.prices,
                speed_of=" a set" if sets > 1 else "",
            )
        )
    for r in shown_rentals(rentals, compare):
        rows.append(
            Row(
                "rent",
                f"Rent {r.name}",
                r.hourly,
                r.tok_s,
                r.cost.usd_per_day(tokens) / tokens * MILLION,
                r.cost.usd_per_day(tokens),
                [r.price],
                r is compare and owned.cost is not None,  # the break-even sentence compares with it
                speed_of=" each" if r.count > 1 else "",
            )
        )
    for a in apis:
        per_m = float(a.usd_per_m_output)
        price = f"{dollars(a.usd_per_m_input)} in, {dollars(a.usd_per_m_output)} out per M"
        rows.append(
            Row(
                "api",
                f"{a.provider} API ({a.model_id or a.llm.name})",
                price,
                None,
                per_m,
                Linear(per_m).usd_per_day(tokens),
                [a],
            )
        )
    if rows:
        cheapest = min(rows, key=lambda r: r.usd_per_day)
        rows = [replace(r, cheapest=r is cheapest) for r in rows]
    return rows


def swapped(picked: Rental | None, compare: Rental | None, tokens: float, machines: int) -> str:
    """Where the rental the visitor picked is not priced (`Rental.refusal`), which it was, why, and what the page
    compares with instead: the cheapest offer that is (review 10: a pick too slow for the tokens a day was
    swapped without a word). Kept and left unpriced, it would leave the verdict and the break-even with no
    rental at all; priced past `MOST_INSTANCES`, a fleet the page does not price."""
    if picked is None or picked.priced:
        return ""
    why = f"You asked to compare with renting {picked.one.name}: {picked.refusal(tokens, machines)}."
    if compare is None:
        return why
    makes = "makes them" if picked.too_slow else "runs it"
    return f"{why} Compared with renting {compare.name} instead, the cheapest offer that {makes}."


def verdict(owned: Owned, compare: Rental | None, api: ApiPrice | None, tokens: int) -> str:
    """At the visitor's tokens a day: what buying, renting and the API cost a day, and which is cheapest."""
    at = f"At {tokens_text(tokens)} tokens a day"
    options = []
    if owned.cost is not None:
        sets = owned.cost.sets_needed(tokens)
        what = f"buying {owned.hardware}" + (
            f" ({sets} sets: one makes {tokens_text(owned.cost.capacity_tokens_per_day)} a day)"
            if sets > 1
            else ""
        )
        options.append((owned.cost.usd_per_day(tokens), what))
    if compare is not None:
        options.append((compare.cost.usd_per_day(tokens), f"renting {compare.name}"))
    if api is not None:
        options.append((Linear(float(api.usd_per_m_output)).usd_per_day(tokens), f"the {api.provider} API"))
    if not options:
        return ""
    parts = [f"{what} costs {usd_text(usd)} a day" for usd, what in options]
    if len(options) == 1:  # nothing to be cheaper than
        return f"{at}, {parts[0]}."
    cheapest = min(options)[1]
    # "of these": a rental the visitor picked may not be the cheapest offer, which the table marks
    return f"{at}, {', '.join(parts)}: {cheapest} is the cheapest of these."


@dataclass(frozen=True)
class Sentence:
    """Plain words with the price they rest on: `lead` (price of `date`, source) `tail`."""

    lead: str
    date: datetime.date | None = None
    source_url: str = ""
    tail: str = "."

    def __str__(self) -> str:
        if not self.source_url:
            return self.lead + self.tail
        return f"{self.lead} (price of {self.date:%-d %b %Y}, {self.source_url}){self.tail}"


def break_even_sentence(
    owned: Owned,
    compare: Rental | None,
    tokens: float | None,
    utilisation: float,
    asked: float,
    slow: int = 0,
) -> Sentence:
    """Buying one set against renting one set of the offer (the question's machines' instances), and, where
    the tokens a day `asked` take more, what they cost, the figure the verdict gives; `slow`: the offers that
    run it too slowly for `asked` (`Rental.too_slow`)."""
    if owned.cost is None:
        missing = ", ".join(owned.unpriced) or "this hardware"
        return Sentence(f"No published price for {missing}: no break-even to compute")
    if compare is None and slow:
        return Sentence(
            f"No cloud offer in the catalog makes {tokens_text(asked)} tokens a day on {MOST_INSTANCES} "
            f"instances or fewer ({slow} run it, too slowly): no break-even to compute"
        )
    if compare is None:
        several = f", on one instance or {owned.machines} together" if owned.machines > 1 else ""
        return Sentence(
            f"No cloud offer in the catalog runs this question{several}: no break-even to compute"
        )
    rent = compare.price
    against = f"against renting {compare.one.name} at {compare.one.hourly}"
    capacity = owned.cost.capacity_tokens_per_day
    if isinstance(compare.cost, KeptUp):
        return _kept_up_sentence(owned, compare, against, asked)
    if tokens is None:
        own, rented = owned.cost.usd_per_million_busy, compare.cost.usd_per_million
        why = (
            f": working {utilisation:.0%} of each day, one set makes at most {tokens_text(capacity)} tokens "
            f"at {usd_text(own)} per million, more than renting's {usd_text(rented)}, and more tokens take "
            "another set."
            if rented > owned.cost.electricity_usd_per_token * MILLION
            else ": renting costs less per token than the electricity."
        )
        return Sentence(f"Buying {owned.hardware} never pays off {against}", rent.date, rent.source_url, why)
    low, high = tokens_text(tokens), tokens_text(capacity)
    for digits in (2, 3, 4):  # a narrow window: as many digits as tell its ends apart
        if low != high:
            break
        low, high = f"{tokens / 1e6:.{digits}f} M", f"{capacity / 1e6:.{digits}f} M"
    lead = f"Buying {owned.hardware} pays off from {low} to {high} tokens a day {against}"
    tail = f": one set makes at most {high} in a day at {utilisation:.0%} utilisation; " + (
        f"past that, buying pays off again only above {tokens_text(tokens)} a set "
        f"({tokens_text(2 * tokens)} for two)."
        if 2 * tokens > capacity
        else "more sets, bought past that, pay off too."
    )
    return Sentence(lead, rent.date, rent.source_url, tail)


def _kept_up_sentence(owned: Owned, compare: Rental, against: str, asked: float) -> Sentence:
    """Buying against renting kept up as many hours a day: from how many hours buying pays off
    (`break_even_hours`), one set against one instance (or the question's machines' instances)."""
    rent, hours = compare.price, break_even_hours(owned.cost, compare.cost)
    kept = compare.cost.hours_per_day
    lead = (
        f"Buying {owned.hardware} pays off when it is kept up more than {hours:.1f} hours a day {against}"
        if hours is not None
        else f"Buying {owned.hardware} never pays off {against}, even kept up all day"
    )
    instances = "an instance" if compare.instances == 1 else f"for {compare.instances} instances"
    more = (
        f"; {tokens_text(asked)} tokens a day take {compare.name}, {usd_text(compare.cost.usd_per_day(asked))} "
        "a day, as above"
        if compare.sets > 1
        else ""
    )
    tail = (
        f": both kept up {kept:.1f} hours a day here (the utilisation above), renting costs "
        f"{usd_text(compare.cost.usd_per_day(0))} a day {instances} and buying "
        f"{usd_text(owned.cost.hardware_usd_per_day)} a day a set plus its electricity{more}."
    )
    return Sentence(lead, rent.date, rent.source_url, tail)
