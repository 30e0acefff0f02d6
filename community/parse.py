"""A visitor's benchmark, read from what they paste: llama-bench's markdown table, or the timings that
llama-server (llama.cpp) and `ollama run --verbose` print. Pure Python, no Django.

`parse(text) -> Parsed` gives one `Row` per speed (prefill or decode, its test, tok/s), the lines they
were read from (the only text that is kept), the llama.cpp build line, and what was left out and why.
tests/community/test_parse.py runs it on published outputs, the URL next to each.
"""

import re
from dataclasses import dataclass

from catalog.llama_bench import parse_test

PREFILL, DECODE = "prefill", "decode"

NUMBER = re.compile(r"\d+(?:\.\d+)?")
SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(GiB|MiB)$")
PARAMS = re.compile(r"^(\d+(?:\.\d+)?)\s*([BMK])$")
BUILD = re.compile(r"^\s*build:\s*([0-9a-f]{7,40}\s*\(\d+\))")
# The file type at the end of llama-bench's model column (llama.cpp's llama_model_ftype_name):
# "llama 8B Q4_K - Medium", "gpt-oss 20B MXFP4 MoE", "qwen3 0.6B F16", "LLaMA 7B mostly Q4_0" (older builds).
FTYPE = re.compile(
    r"(?:^|\s)(?:mostly )?(all F32|F32|F16|BF16|MXFP4 MoE|NVFP4|Q\d_\d|Q\d_K(?: - (?:Small|Medium|Large))?|"
    r"IQ\d_[A-Z]+(?: mix)?(?: - \d+(?:\.\d+)? bpw)?|TQ\d_0(?: - [\d.]+ bpw ternary)?)(?: \(guessed\))?$"
)
FTYPE_SLUGS = {"all F32": "f32", "MXFP4 MoE": "mxfp4", "IQ3_S mix": "iq3_m"}
SIZE_SUFFIX = {"Small": "s", "Medium": "m", "Large": "l"}

# ollama run --verbose
OLLAMA = {
    "prompt_count": re.compile(r"^\s*prompt eval count:\s*(\d+) token"),
    "prompt_rate": re.compile(r"^\s*prompt eval rate:\s*(\d+(?:\.\d+)?) tokens/s"),
    "count": re.compile(r"^\s*eval count:\s*(\d+) token"),
    "rate": re.compile(r"^\s*eval rate:\s*(\d+(?:\.\d+)?) tokens/s"),
}
# llama-server's print_timings and the older llama_print_timings:
# prompt eval time =     789.03 ms /    27 tokens (   29.22 ms per token,    34.22 tokens per second)
#        eval time =   16112.50 ms /   192 tokens (   83.92 ms per token,    11.92 tokens per second)
TIMING = re.compile(
    r"(?:^|[\s:\]|])(prompt eval|(?<!prompt )eval|generation eval) time\s*=\s*[\d.]+ ms /\s*(\d+) "
    r"(?:tokens|runs)\s*\(\s*[\d.]+ ms per token,\s*(\d+(?:\.\d+)?) tokens per second\)"
)


@dataclass(frozen=True)
class Row:
    metric: str  # PREFILL or DECODE
    test: str  # normalised: pp512, tg128, pp512@d4096; after a prompt (timings): tg192@d27
    tokens: int
    depth: int
    tok_s: float
    line: str  # the line it was read from
    model: str = ""  # llama-bench's model column: "llama 7B Q4_0"
    params_b: float | None = None
    size_gib: float | None = None
    backend: str = ""  # as printed: CUDA, ROCm, Vulkan, Metal, "MTL,BLAS"
    flags: str = ""  # the table's other columns: "ngl=99 fa=1"

    @property
    def ftype(self) -> str:
        """The file type llama-bench printed at the end of the model column ("Q4_K - Medium"), or ""."""
        m = FTYPE.search(self.model)
        return m.group(1) if m else ""


@dataclass(frozen=True)
class Parsed:
    tool: str  # "llama-bench", "llama-server", "ollama", or "" when nothing was read
    rows: tuple[Row, ...] = ()
    build: str = ""
    skipped: tuple[str, ...] = ()  # what was left out, in words

    @property
    def lines(self) -> list[str]:
        """The lines read, in order, without repeats: what is kept of a paste."""
        kept = [row.line for row in self.rows] + ([f"build: {self.build}"] if self.build else [])
        return list(dict.fromkeys(kept))


def parse(text: str) -> Parsed:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    build = next((m.group(1) for line in lines if (m := BUILD.match(line))), "")
    rows, skipped = _llama_bench(lines)
    if rows:
        return Parsed("llama-bench", tuple(rows), build, tuple(skipped))
    if rows := _ollama(lines):
        return Parsed("ollama", tuple(rows), build, tuple(skipped))
    if rows := _timings(lines):
        return Parsed("llama-server", tuple(rows), build, tuple(skipped))
    return Parsed("", (), build, tuple(skipped))


def quant_slugs(ftype: str) -> list[str]:
    """Catalog format slugs a llama.cpp file type may be, most specific first: "Q4_K - Medium" →
    ["q4_k_m", "q4_k"]; "IQ2_XXS - 2.0625 bpw" → ["iq2_xxs"]; "MXFP4 MoE" → ["mxfp4"]."""
    head, _, tail = ftype.partition(" - ")
    if head in FTYPE_SLUGS:
        return [FTYPE_SLUGS[head]]
    base = head.lower()
    return [f"{base}_{SIZE_SUFFIX[tail]}", base] if tail in SIZE_SUFFIX else [base]


# ---- llama-bench ---------------------------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _llama_bench(lines: list[str]) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    skipped: list[str] = []
    header: list[str] | None = None
    for line in lines:
        if not line.lstrip().startswith("|"):
            header = None
            continue
        cells = _cells(line)
        lowered = [c.lower() for c in cells]
        if "model" in lowered and "test" in lowered and "t/s" in lowered:
            header = lowered
            continue
        if header is None or set(line.strip()) <= set("|-: "):
            continue
        if len(cells) != len(header):
            skipped.append(f"a row with {len(cells)} cells under {len(header)} headings")
            continue
        row = dict(zip(header, cells, strict=True))
        parsed = _bench_row(row, line.strip())
        if isinstance(parsed, str):
            skipped.append(parsed)
        else:
            rows.append(parsed)
    return rows, skipped


def _bench_row(row: dict[str, str], line: str) -> Row | str:
    test = row["test"].replace(" ", "")
    parsed = parse_test(test)
    if not parsed or parsed.tokens is None:
        return f"test {row['test']} (only ppN and tgN, with or without @dN, are compared)"
    value = NUMBER.search(row["t/s"])
    if not value or float(value.group()) <= 0:
        return f"no speed in “{row['t/s']}”"
    if row.get("ngl") == "0":
        return f"{row['test']} with ngl 0 (every layer on the CPU)"
    if row.get("nkvo") == "1":
        return f"{row['test']} with nkvo 1 (the KV cache in system RAM)"
    size = SIZE.match(row.get("size", ""))
    params = PARAMS.match(row.get("params", ""))
    others = {k: v for k, v in row.items() if k not in {"model", "size", "params", "backend", "test", "t/s"}}
    return Row(
        metric=PREFILL if parsed.op == "pp" else DECODE,
        test=test,
        tokens=parsed.tokens,
        depth=parsed.depth,
        tok_s=float(value.group()),
        line=line,
        model=row["model"],
        params_b=_billions(params) if params else None,
        size_gib=float(size.group(1)) / (1024 if size.group(2) == "MiB" else 1) if size else None,
        backend=row.get("backend", ""),
        flags=" ".join(f"{k}={v}" for k, v in others.items()),
    )


def _billions(m: re.Match) -> float:
    return float(m.group(1)) / {"B": 1, "M": 1e3, "K": 1e6}[m.group(2)]


# ---- Timings -------------------------------------------------------------------------------------------


def _ollama(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    prompt_tokens = tokens = 0
    for line in lines:
        if m := OLLAMA["prompt_count"].match(line):
            prompt_tokens = int(m.group(1))
        elif m := OLLAMA["count"].match(line):
            tokens = int(m.group(1))
        elif (m := OLLAMA["prompt_rate"].match(line)) and prompt_tokens:
            rows.append(_timed(PREFILL, prompt_tokens, 0, m.group(1), line))
        elif (m := OLLAMA["rate"].match(line)) and tokens:
            rows.append(_timed(DECODE, tokens, prompt_tokens, m.group(1), line))
    return [row for row in rows if row.tok_s > 0]


def _timings(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    prompt_tokens = 0
    for line in lines:
        if not (m := TIMING.search(line)):
            continue
        kind, tokens = m.group(1), int(m.group(2))
        if kind == "prompt eval":
            prompt_tokens = tokens
            rows.append(_timed(PREFILL, tokens, 0, m.group(3), line))
        else:
            rows.append(_timed(DECODE, tokens, prompt_tokens, m.group(3), line))
    return [row for row in rows if row.tok_s > 0 and row.tokens > 0]


def _timed(metric: str, tokens: int, depth: int, rate: str, line: str) -> Row:
    """A speed from timings: a prompt of `tokens` read, or `tokens` generated after a `depth`-token prompt."""
    test = f"pp{tokens}" if metric == PREFILL else f"tg{tokens}" + (f"@d{depth}" if depth else "")
    return Row(metric=metric, test=test, tokens=tokens, depth=depth, tok_s=float(rate), line=line.strip())
