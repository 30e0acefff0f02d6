"""How the reverse pages present their answers: the side-by-side firsts of "what hardware runs this model?"
(the speed tiers and sort orders of "what runs on my hardware?" are catalog/tiers.py's, which a GPU page
shows too). The answers themselves come from catalog/fitting.py, shared with the catalog pages."""

from collections.abc import Sequence
from dataclasses import replace

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from calculator.answer import STRATEGY_TERMS, STRATEGY_TITLES
from catalog import fitting
from catalog.fitting import DEFAULTS, TOP, DeviceSet, HardwareAnswer
from catalog.runtimes import RUNTIME_CHOICES
from catalog.tiers import esc
from estimator.units import format_bytes, format_rate

from .images import ImageHardware, ImageSet
from .offload import RamSet


def shown(answer: HardwareAnswer | ImageHardware, ram_sets: Sequence[RamSet] = ()) -> dict:
    """What the what-hardware page shows of an answer, live or shared: the side-by-side firsts and the
    rankings' rows, and those of the sets with system RAM (reverse_questions/offload.py)."""
    return {"answer_firsts": firsts(answer, ram_sets), "set_rows": set_rows(answer, ram_sets)}


def speed_text(s: DeviceSet) -> str:
    """An LLM set's decode per user, at the start of the answer and, where it reads differently, with the whole
    context asked cached (`DeviceSet.tok_s_at_context`, what the target speed is held to): '46.0 → 21.3', the
    calculator's "falling to" as the table's column says it (a visitor review: "46.0 tok/s" answered "at
    least 40" at 131,072 tokens, where the calculator says 21.3 once the context fills). One formatter for
    every page (`fitting.speed_text`): what-runs' rows read the same."""
    return fitting.speed_text(s.tok_s, s.tok_s_at_context)


def firsts(
    answer: HardwareAnswer | ImageHardware, ram_sets: Sequence[RamSet] = ()
) -> list[tuple[str, DeviceSet | ImageSet, str, str]]:
    """The smallest, the cheapest (when priced) and the fastest set, for the side-by-side summary: (title, set,
    a note under it, an LLM's decode speed: `speed_text`). The cheapest ranking puts a launch price over two years old (`PriceTag.old`) after the
    prices of today (catalog/fitting.py `rankings`): where such a price is lower, the card says so and names
    it (a visitor review: "Cheapest 6× L40S … $45,000" above "6× Radeon PRO W7900 … $24,000"). Where a set
    with system RAM has GPUs priced lower, the card says such sets may cost less (`_ram_note`)."""
    cheapest, note = _cheapest_card(answer.cheapest) if answer.priced else ("", "")
    if answer.priced and (ram := _ram_note(answer.cheapest[0], ram_sets)):
        note = f"{note}; {ram}" if note else ram
    picks = [
        ("Smallest", answer.smallest, ""),
        (cheapest, answer.cheapest if answer.priced else [], note),
        ("Fastest", answer.fastest, ""),
    ]
    image = isinstance(answer, ImageHardware)
    return [
        (title, sets[0], note, "" if image else speed_text(sets[0])) for title, sets, note in picks if sets
    ]


def _cheapest_card(cheapest: list) -> tuple[str, str]:
    """The cheapest card's title and note: plainly "Cheapest" unless an old launch price comes into it."""
    first = cheapest[0]
    if first.unit_price is not None and first.unit_price.old:
        return "Cheapest, at a launch price over two years old", ""
    lower = [s for s in _old(cheapest) if s.price_usd < first.price_usd]
    if not lower:
        return "Cheapest", ""
    s = min(lower, key=lambda s: s.price_usd)
    seen = s.unit_price.date.strftime("%b %Y") if s.unit_price.date else "undated"
    return (
        "Cheapest, old launch prices aside",
        f"Lower at a launch price over two years old: {s.count}× {s.device.name}, "
        f"${floatformat(s.price_usd, '0g')} ({seen})",
    )


def _ram_note(first: DeviceSet, ram_sets: Sequence[RamSet]) -> str:
    """Under the cheapest card, the set with system RAM whose GPUs cost less than the card's set, if any: the
    RAM has no price on the site, so the two are not ranked together, but the card must not read as the least
    money can buy (a visitor review: gpt-oss-120b's card said "AMD Ryzen AI Max+ 395 … $1,999" above "1× GeForce
    RTX 3060 12 GB + 64 GB … $329 + the RAM"). Not a set read on a workstation's channels (`RamSet.ram_read_at`):
    its board is not priced either, and costs more than a desktop's (a visitor review: "1× GeForce RTX 3060 12 GB +
    384 GB of RAM, $329" under a $1,999 machine)."""
    lower = [
        s for s in ram_sets if s.price_usd is not None and s.price_usd < first.price_usd and not s.ram_read_at
    ]
    if not lower:
        return ""
    s = min(lower, key=lambda s: (s.price_usd, s.ram_gb))
    return (
        f"GPU + RAM sets below may cost less (their RAM not priced): {s.count}× {s.device.name} + "
        f"{s.ram_gb:,} GB of RAM, ${floatformat(s.price_usd, '0g')} for the GPUs only ({s.unit_price.when}) + the RAM"
    )


def _old(sets: list) -> list:
    """The sets priced at a launch price over two years old, none newer (`PriceTag.old`)."""
    return [s for s in sets if s.price_usd is not None and s.unit_price is not None and s.unit_price.old]


def price_groups(sets: Sequence) -> dict[str, list]:
    """A ranking by price in the groups the page shows under their own headings (catalog/fitting.py
    `rankings` orders them so): today's prices, old launch prices (`_old`), no price; one definition for the
    cheapest table and the sets with system RAM."""
    old = {id(s) for s in _old(list(sets))}
    return {
        "today": [s for s in sets if s.price_usd is not None and id(s) not in old],
        "old": [s for s in sets if id(s) in old],
        "unpriced": [s for s in sets if s.price_usd is None],
    }


def cut(answer: HardwareAnswer, top: int = TOP) -> HardwareAnswer:
    """The answer of every qualifying set (`what_hardware(top=None)`) as the page shows it: each ranking's first
    `top`. Where today's prices fill the cheapest ten, the sets at an old launch price that are lower than the
    dearest of those ten follow them, up to `top`: they rank after today's, and were left out unsaid (a visitor
    review: qwen3-8b's cheapest card said "1× GeForce RTX 3090 … $700" while the smallest beside it was a $329
    RTX 3060 at its 2021 launch price, and the table showed no old launch price)."""
    groups = price_groups(answer.cheapest)
    cheapest = answer.cheapest[:top]
    if len(groups["today"]) >= top:
        dearest = groups["today"][top - 1].price_usd
        cheapest += [s for s in groups["old"] if s.price_usd < dearest][:top]
    return replace(answer, smallest=answer.smallest[:top], cheapest=cheapest, fastest=answer.fastest[:top])


# macOS's default GPU share of a Mac's memory, as the engine assumes it (DeviceSpec.effective_memory_fraction)
SHARES = {2 / 3: "⅔", 0.75: "¾"}


def gpu_share(device) -> str:
    """After a unified-memory machine's memory, why it is less than the machine's. On a Mac, macOS lets the GPU
    wire only part of it by default (a visitor review: "1× Apple M3 Ultra … 512 GB · 384.0 GiB" said nothing),
    with the guide that says how to raise it (`iogpu.wired_limit_mb`); on another (a Strix Halo, a DGX Spark:
    no macOS, a visitor review), the share the catalog's row measured the GPU may use, no guide. Nothing for a
    device whose GPU may use it all."""
    fraction = device.effective_memory_fraction
    if fraction >= 1:
        return ""
    share = SHARES.get(fraction, f"{fraction:.0%}")
    of = esc(format_bytes(device.memory_bytes))
    if device.backend != "metal":
        return f" <small>(the GPU&#x27;s usable share of the machine&#x27;s memory, {share} of {of})</small>"
    guide = esc(reverse("glossary:guide", args=["apple-silicon-unified-memory"]))
    return (
        f" <small>(macOS&#x27;s default GPU share, {share} of {of}: "
        f'<a href="{guide}">it can be raised</a>)</small>'
    )


def kv_line(kv: str, glossary: str) -> str:
    """A set's KV cache other than the question's (`fitting.kv_words`, linked to the glossary) as a line of its own
    under the devices, muted and not bold (`.measured`): a setting the answer takes, not part of the hardware's
    name, which the row header sets in bold (inside it, "2× GeForce RTX 3090 with a q8_0 KV cache" read as one bold
    name)."""
    return (
        f' <small class="measured" data-testid="kv">with {fitting.kv_article(kv)} <a href="{glossary}kv-cache/">'
        f"{esc(kv)} KV cache</a></small>"
    )


def set_rows(
    answer: HardwareAnswer | ImageHardware, ram_sets: Sequence[RamSet] = ()
) -> dict[str, SafeString]:
    """The what-hardware tables' rows by ranking (smallest, cheapest, fastest), as the template's loop
    over them wrote them, byte for byte (as `runs_rows_html`): three tables of up to ten rows were a
    third of the page's CPU. A set in several rankings is written once. An image or video model's sets
    (reverse_questions/images.py) give their time per image or video and the calculator's plan; they have
    no cost page. The sets with system RAM (`with_ram`) add the RAM to their memory and leave it out of
    their price, which is the GPUs' alone: the catalog has no RAM price."""
    glossary, cost = esc(reverse("glossary:glossary")), esc(reverse("costs:cost"))
    runtimes = dict(RUNTIME_CHOICES)
    written: dict[int, str] = {}

    def llm_cells(s: DeviceSet) -> tuple[str, str, str]:
        plan = s.plan
        low, high = s.tok_s_range
        extra = " (tight)" if plan.tight else ""
        if s.runtime != DEFAULTS["runtime"]:
            extra += f", {esc(runtimes.get(s.runtime))}"
        start, full = fitting.speed_parts(s.tok_s, s.tok_s_at_context)
        full = f" → {esc(full)}" if full else ""
        return (
            f'<td data-label="Decode tok/s, start → full context">{esc(start)} '
            f"<small>({esc(format_rate(low))}–{esc(format_rate(high))})</small>{full}</td>",
            f'<a href="{glossary}{esc(STRATEGY_TERMS.get(plan.strategy))}/">'
            f"{esc(STRATEGY_TITLES.get(plan.strategy))}</a>{extra}",
            "" if isinstance(s, RamSet) else f' · <a href="{cost}{esc(s.permalink[1:])}">Cost</a>',
        )

    def image_cells(s: ImageSet) -> tuple[str, str, str]:
        shown, per = s.shown, answer.per
        time = f"{esc(shown['time'])} <small>({esc(shown['range'])})</small>" if s.seconds else "not timed"
        return (
            f'<td data-label="Time per {per}">{time}</td>',
            f'<a href="{glossary}{esc(shown["term"])}/">{esc(shown["title"])}</a>'
            + (" (tight)" if s.plan.tight else ""),
            "",
        )

    cells = image_cells if isinstance(answer, ImageHardware) else llm_cells

    def row(s) -> str:
        speed, plan, more = cells(s)
        if s.price_usd is not None:
            tag = s.unit_price
            price = (
                f"${floatformat(s.price_usd, '0g')} "
                f'<small>(<a href="{esc(tag.source_url)}" rel="nofollow noopener">{esc(tag.when)}</a>)</small>'
            )
        else:
            price = "no price published"
        kv = kv_line(s.kv, glossary) if getattr(s, "kv", "") else ""  # an image set has none
        memory = f"{esc(format_bytes(s.memory_bytes))}{gpu_share(s.device)}"
        if isinstance(s, RamSet):
            at = f" ({esc(s.ram_read_at)}: a workstation board)" if s.ram_read_at else ""
            memory += f" <small>+ {s.ram_gb:,} GB of system RAM{at}</small>"
            if s.price_usd is not None:
                board = " and the workstation board" if s.ram_read_at else ""
                price += f" <small>GPUs only: the RAM{board} not priced</small>"
        return (
            f'\n    <tr data-gpu="{esc(s.device.slug)}" data-count="{s.count}">'
            f'\n      <th scope="row">{s.count}× {esc(s.device.name)}{kv}</th>'
            f'\n      <td data-label="Memory">{memory}</td>'
            f"\n      {speed}"
            f'\n      <td data-label="Plan">{plan}</td>'
            f'\n      <td data-label="Price">{price}</td>'
            f'\n      <td class="row-links"><a href="{esc(s.permalink)}">Details</a>{more}</td>\n    </tr>\n  '
        )

    def rows(sets: list) -> SafeString:
        for s in sets:
            if id(s) not in written:
                written[id(s)] = row(s)
        return mark_safe("".join(written[id(s)] for s in sets))

    cheapest, with_ram = price_groups(answer.cheapest), price_groups(ram_sets)
    return {
        "smallest": rows(answer.smallest),
        # the cheapest ranking and the sets with system RAM in their three groups, each under its own heading:
        # today's prices, old launch prices, no price
        **{f"cheapest_{group}": rows(sets) for group, sets in cheapest.items()},
        "fastest": rows(answer.fastest),
        **{f"with_ram_{group}": rows(sets) for group, sets in with_ram.items()},
    }
