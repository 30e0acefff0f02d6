"""Units, and the one place numbers are formatted for people.

GPU makers sell a "24 GB" card with 24 GiB (2^30 bytes); bandwidth is quoted in GB/s (10^9 bytes/s).
The engine keeps bytes as integers and only this module turns them into text.
"""

KIB = 1 << 10
GIB = 1 << 30
MIB = 1 << 20
GB = 10**9


def format_bytes(n: float) -> str:
    """Bytes as GiB (MiB, KiB, B below that), the unit a GPU's memory is sold in: never four digits of a smaller
    unit ("1000 MiB" is "1.0 GiB"), nor a few bytes as "0 KiB"."""
    if abs(n) < KIB:
        return f"{n:.0f} B"
    if round(abs(n) / KIB) < 1000:
        return f"{n / KIB:.0f} KiB"
    if round(abs(n) / MIB) < 1000:
        return f"{n / MIB:.0f} MiB"
    return f"{n / GIB:.1f} GiB"


def format_rate(tok_s: float | None) -> str:
    if tok_s is None:
        return "–"
    if tok_s >= 100:  # grouped as the page's token counts are: '413,202', '2,102', '334'
        return f"{tok_s:,.0f}"
    return f"{tok_s:.1f}" if tok_s >= 10 else f"{tok_s:.2f}"


def format_params(billions: float) -> str:
    """A parameter count in billions, one way on every page: '671', '37.6', '8', '1,024' (Django's
    floatformat:"-1" wrote 671.026 as '671.0' beside another model's '671')."""
    return f"{billions:,.1f}".removesuffix(".0")


def format_ms(seconds: float) -> str:
    """A decode step's share of time in milliseconds: '0.24 ms', '3.3 ms', '399 ms', '1,205 ms'."""
    ms = seconds * 1000
    if ms < 1:
        return f"{ms:.2f} ms"
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:,.0f} ms"


def format_seconds(seconds: float | None) -> str:
    """A duration as people read it, the one formatter of the LLM and image pages' times: '350 ms',
    '6.3 s', '42 s', '4.2 min', '1.7 h'."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def plural(n: int, word: str) -> str:
    """A count in words: '1 device', '3 devices'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def or_listed(names: list[str]) -> str:
    """ "a, b or c": the names or values a message offers."""
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
