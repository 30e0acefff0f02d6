import re
from urllib.parse import urlsplit

from django import template
from django.template.defaultfilters import join
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from calculator import charts as chart_lines
from calculator import present
from calculator.answer import STRATEGY_TERMS, STRATEGY_TITLES
from calculator.memory import device_runs, group_name
from calculator.term_links import linked
from estimator.units import format_bytes, format_params, format_rate, format_seconds

register = template.Library()


@register.filter(name="bytes")
def bytes_filter(value):
    return "–" if value is None else format_bytes(value)


@register.filter
def tok_s(value):
    return format_rate(value)


@register.filter
def a_or_an(name: str) -> str:
    """'a GeForce RTX 3090', 'an RTX 2000 Ada', 'an H100 SXM5', 'an Apple M4 Max': by the sound of the first
    word, a vowel, or an initialism or model number read letter by letter from one that sounds like one
    (F, H, L, M, N, R, S, X: "ef", "aitch"...)."""
    first = str(name).split(" ", 1)[0]
    spelled = first.isupper() or any(c.isdigit() for c in first)
    vowel = first[:1].upper() in "AEIOU" or (spelled and first[:1].upper() in "FHLMNRSX")
    return f"{'an' if vowel else 'a'} {name}"


@register.filter
def params(value):
    """Billions of parameters: '671', '37.6' (estimator.units.format_params); '–' for none."""
    return "–" if value is None else format_params(value)


@register.filter
def tflops(value):
    """A matrix rate, one way on every page: '183.5', '71', '0.18' (it read '183.50' in the specs table,
    '183.5' in the header, and a P40's 0.18 as '0.2' there)."""
    if not value:
        return "–"
    return (f"{value:,.1f}" if value >= 1 else f"{value:.2f}").removesuffix(".0")


@register.filter
def signed_percent(value):
    """0.042 -> '+4%', -0.11 -> '−11%', -0.003 -> '0%' (an estimate against a measurement: no sign on nothing)."""
    if value is None:
        return "–"
    if round(value * 100) == 0:
        return "0%"
    return f"{value:+.0%}".replace("-", "−")


register.filter("seconds", format_seconds)  # TTFT, queue times: ms, s, min, h


@register.filter
def words(reason):
    """The engine's `Reason` in one sentence (calculator/present.py)."""
    return present.reason(reason)


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def query_string(url):
    """A permalink's query string (what a share form posts as `q`)."""
    return urlsplit(str(url)).query


_PRE = re.compile(r"(<pre[ >].*?</pre>)", re.DOTALL)
_INDENT = re.compile(r"\n\s+")


class StripNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        parts = _PRE.split(self.nodelist.render(context))
        return "".join(part if i % 2 else _INDENT.sub("\n", part) for i, part in enumerate(parts))


@register.tag
def strip(parser, token):
    """{% strip %}…{% endstrip %}: blank lines and indentation out (never inside <pre>), one newline kept
    where there was whitespace, so the page reads the same and weighs less."""
    nodelist = parser.parse(("endstrip",))
    parser.delete_first_token()
    return StripNode(nodelist)


# The engine's field names in words, where spaces for underscores do not do it
FIELD_WORDS = {"ttft_s": "time to first token", "tok_s": "tok/s"}


@register.filter
def field_words(name: str) -> str:
    """An engine field's name as the page writes it: 'decode_tok_s_at_context' -> 'decode tok/s at
    context', 'headroom_bytes' -> 'headroom'."""
    if name in FIELD_WORDS:
        return FIELD_WORDS[name]
    name = name.removesuffix("_bytes").replace("tok_s", FIELD_WORDS["tok_s"])
    return name.replace("_", " ")


@register.filter
def without(explanations: dict, keys: str) -> list:
    """The (key, explanation) pairs not already shown beside their number (space-separated `keys`)."""
    shown = set(keys.split())
    return [(key, e) for key, e in explanations.items() if key not in shown]


# An argument longer than this (a repository and file, a path) may break inside at a phone's width: site.css `.l`
LONG_ARG = 24


@register.filter
def command_lines(text: str) -> str:
    """A launch command that shows whole at any width: its lines wrap (site.css) at spaces only where an
    argument ends, a flag kept with its value and a hyphenated word whole in a <span class=a> (`-c 32768` never
    breaks), an argument longer than `LONG_ARG` (a repository's name) free to break anywhere in a <span class=l>,
    its flag whole; each `# ...` comment line in a <span> that wraps like prose. So a phone shows the whole
    command without scrolling sideways. The text, and what Copy copies, are unchanged."""

    def arg(group: str) -> str:
        flag, space, value = group.partition(" ")
        if len(group) > LONG_ARG:
            if not space:
                return format_html("<span class=l>{}</span>", group)
            return format_html("<span class=l><span class=a>{}</span> {}</span>", flag, value)
        return (
            format_html("<span class=a>{}</span>", group)
            if space or "-" in group[1:]
            else conditional_escape(group)
        )

    def args(line: str) -> str:
        words, groups, i = line.split(" "), [], 0
        while i < len(words):
            takes_value = words[i].startswith("-") and i + 1 < len(words) and not words[i + 1].startswith("-")
            groups.append(" ".join(words[i : i + 2] if takes_value else words[i : i + 1]))
            i += 2 if takes_value else 1
        return mark_safe(" ".join(arg(g) for g in groups))

    lines = (
        format_html("<span>{}</span>", line) if line.startswith("#") else args(line)
        for line in text.split("\n")
    )
    return mark_safe("\n".join(lines))


@register.filter
def error_spans(form) -> str:
    """Each field's error span, swapped out of band with an HTMX answer: what
    `{% for field in form %}<span class="error" id="error-{{ field.name }}" hx-swap-oob="true">{{ field.errors|join:" " }}</span>{% endfor %}`
    wrote, byte for byte, without a BoundField per field (~0.6 ms a partial)."""
    errors = form.errors
    return mark_safe(
        "".join(
            f'<span class="error" id="error-{conditional_escape(name)}" hx-swap-oob="true">'
            f"{' '.join(conditional_escape(e) for e in errors.get(name, ()))}</span>"
            for name in form.fields
        )
    )


@register.filter
def field_errors(form, name: str) -> str:
    """`{{ form.errors.<name>|join:" " }}`, byte for byte, through Django's own `join`: the template's
    lookup tried `form["errors"]` first (a KeyError whose message lists every field), then the missing
    field in the errors and on the list, ~20 us a field on every page; this is one dict lookup."""
    found = form.errors.get(name)
    return join(found, " ") if found else ""


@register.filter
def asked(form, name: str):
    """`form.data.<name>`: the input as given (a query's last value), "" when not given, without the
    failed `form["data"]` lookup the template tried first."""
    try:
        return form.data[name]
    except KeyError:
        return ""


@register.filter
def nothing_fits(charts) -> str:
    """What the charts not drawn would have shown, in a line: nothing fits there (calculator/charts.py)."""
    return chart_lines.nothing_fits(charts)


@register.filter
def drawn_charts(charts) -> list:
    """The charts with a point that fits: the others are not drawn."""
    return [c for c in charts if not c.empty]


@register.simple_tag
def plan_rows_html(rows, recommended) -> str:
    """The plans table's rows (answer.PlanRow), as the template's loop over them wrote them, byte for
    byte: the same filters on the same values, each escaped as the template escapes it; a plan that does
    not fit has no speeds ("–": one there read as a choice, sometimes faster than the recommended one). Through the
    template engine they were ~0.4 ms of a result. A tag, not a filter: compare has no `recommended`,
    which a filter's argument cannot miss."""
    e = conditional_escape
    glossary = e(reverse("glossary:glossary"))
    out = []
    for row in rows:
        plan = row.plan
        mark = plan.strategy == recommended
        # consecutive devices that use the same (a tensor-parallel group, one host's layers): one line, as
        # the memory bars group them; sixteen H100s over two machines were a cell forty lines tall
        devices = "".join(
            f"<li>{e(group_name([d.name for d in same]))}: "
            f'<span class="used">{e(used_of(same[0].used_bytes, same[0].capacity_bytes))}</span></li>'
            for same in (
                [plan.devices[i] for i in run]
                for run in device_runs(
                    list(plan.devices), key=lambda d: (d.gpu, d.kind, d.used_bytes, d.capacity_bytes)
                )
            )
        )
        link = plan.interconnect_bytes_per_token
        empty = "" if row.reason or plan.warnings or plan.notes else ' class="empty"'
        notes = "".join(f'<li class="warning">{linked(words(w))}</li>' for w in plan.warnings)
        notes += "".join(f"<li>{linked(words(n))}</li>" for n in plan.notes)
        runs = row.status != "no"  # inside the safety margin it will likely load: its speeds stay
        out.append(
            f'\n    <tr class="{"" if plan.fits else "nofit"}{" recommended" if mark else ""}"'
            f' data-strategy="{e(plan.strategy)}">'
            f'\n      <th scope="row">{_strategy_link(plan.strategy, glossary)}'
            f"{' <strong>recommended</strong>' if mark else ''}</th>"
            f'\n      <td data-label="Fits"><span class="{e(row.css)}">{e(row.words)}</span></td>'
            f'\n      <td data-label="Memory per device"><ul class="plain">{devices}</ul></td>'
            f'\n      <td data-label="Decode per user">{_ranged(row.per_user) if runs else "–"}</td>'
            f'\n      <td data-label="All users">{f"{e(tok_s(plan.decode_tok_s_aggregate))} tok/s" if runs else "–"}</td>'
            f'\n      <td data-label="TTFT">{e(format_seconds(plan.ttft_s)) if runs else "–"}</td>'
            f'\n      <td data-label="Over the link">{f"{e(bytes_filter(link))}/<wbr>token" if link else "–"}</td>'
            f"\n      <td{empty}>{f'<p>{e(row.reason)}</p>' if row.reason else ''}"
            f'<ul class="plain">{notes}</ul></td>'
            "\n    </tr>\n  "
        )
    return mark_safe("".join(out))


def used_of(used: int, capacity: int) -> str:
    """'10.9 / 12.0 GiB': the unit said once where both share it (the plans table's memory column, a review:
    110 px wide and 8–10 lines tall), else '384 MiB / 12.0 GiB'."""
    used_text, capacity_text = bytes_filter(used), bytes_filter(capacity)
    number, _, unit = used_text.rpartition(" ")
    if number and capacity_text.endswith(f" {unit}"):
        return f"{number} / {capacity_text}"
    return f"{used_text} / {capacity_text}"


_RANGE = re.compile(r"\([^()]*–[^()]*\)")


def _ranged(text) -> str:
    """`text` escaped, its likely range kept on one line: '19.2 tok/s <span class="range">(15.2–23.1)</span>'
    (site.css `.range`: a phone's plan card broke it after the en dash, "(15.2–" over "23.1)")."""
    return _RANGE.sub(r'<span class="range">\g<0></span>', conditional_escape(text))


def _strategy_link(strategy: str, glossary: str) -> str:
    """A strategy's title linked to its glossary term (`glossary`: the glossary's address, escaped)."""
    e = conditional_escape
    return f'<a href="{glossary}{e(STRATEGY_TERMS.get(strategy))}/">{e(STRATEGY_TITLES.get(strategy))}</a>'


@register.filter
def explanations_html(pairs) -> str:
    """The (key, Explanation) pairs of `without` as list items: what the template's loop over them wrote,
    byte for byte."""
    e = conditional_escape
    glossary = e(reverse("glossary:glossary"))
    return mark_safe(
        "".join(
            f'<li><a href="{glossary}{e(x.term)}/">{e(field_words(key))}</a>: {e(x.formula)} → '
            f"<code>{e(x.substituted)}</code></li>"
            for key, x in pairs
        )
    )


@register.filter
def unavailable_html(unavailable: dict) -> str:
    """The plans not computed for the hardware (strategy → Reason) as list items: what the template's loop
    over them wrote, byte for byte."""
    e = conditional_escape
    glossary = e(reverse("glossary:glossary"))
    return mark_safe(
        "".join(
            f"<li>{_strategy_link(strategy, glossary)}: {e(words(why))}</li>"
            for strategy, why in unavailable.items()
        )
    )


@register.filter
def bars_html(bars) -> str:
    """The memory bars (memory.memory_bars), as the template's loop over them wrote them, byte for byte
    (~0.5 ms of a result through the template engine)."""
    e = conditional_escape
    headroom_link = f'<a href="{e(reverse("glossary:term", args=["headroom"]))}">headroom</a>'
    out = []
    for bar in bars:
        device, state, segments = bar["device"], bar["status"], bar["segments"]
        caption = f"<strong>{e(bar.get('name', device.name))}</strong>"
        if device.layers:
            caption += f" · {e(device.layers)} layers"
        if bar["wired"] or bar.get("shared"):
            unified = e(reverse("glossary:term", args=["unified-memory"]))
            who = "macOS lets the GPU use" if bar["wired"] else "the GPU may map of the shared memory"
            of = f'the {e(bar["capacity"])} <a href="{unified}">{who}</a>'
        else:
            of = f"{e(bar['capacity'])} used"
        caption += f" · {e(bar['used'])} of {of}"
        if state == "margin":
            caption += ' · <span class="warning">fits only inside the safety margin</span>'
        elif state == "no":
            caption += ' · <span class="error">does not fit</span>'
        rects = "".join(
            f'<rect x="{s.x:.1f}" width="{s.width:.1f}" height="10" class="seg {e(s.css)}"/>'
            for s in segments
        )
        legend = "".join(
            f'<li><span class="swatch {e(s.css)}"></span>{e(s.label)} {e(s.size)}</li>' for s in segments
        )
        if device.fits:
            legend += (
                f'<li><span class="swatch free"></span>free {e(bar["free"])}, {e(bar["headroom"])} of it '
                f"{headroom_link}</li>"
            )
        else:
            css = "warning" if state == "margin" else "error"
            legend += (
                f'<li class="{css}" data-testid="device-short">{e(bar["short"])} short with the '
                f"{e(bar['headroom'])} {headroom_link}</li>"
            )
        capacity_x, headroom_x = f"{bar['capacity_x']:.1f}", f"{bar['headroom_x']:.1f}"
        out.append(
            '\n  <figure class="bar" data-testid="device-bar">'
            f"\n    <figcaption>{caption}</figcaption>"
            '\n    <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'\n      <rect width="{capacity_x}" height="10" class="capacity"/>'
            f"\n      {rects}"
            f'\n      <line x1="{headroom_x}" x2="{headroom_x}" y1="0" y2="10" class="headroom-line"/>'
            f'\n      <line x1="{capacity_x}" x2="{capacity_x}" y1="0" y2="10" class="capacity-line"/>'
            "\n    </svg>"
            f'\n    <ul class="legend">{legend}</ul>'
            "\n  </figure>\n"
        )
    return mark_safe("".join(out))
