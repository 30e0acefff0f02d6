"""llama-bench's test names, read one way for the catalog, a visitor's pasted table and the bench. Pure Python.

`pp512` is a 512-token prompt, `tg128` 128 tokens generated, `tg32@d16384` 32 tokens after 16384 of context;
older builds print `pp 512`. Some published tables write `tg` alone: a decode of unstated length.
"""

import re
from typing import NamedTuple

TEST = re.compile(r"(pp|tg)(\d*)(?:@d(\d+))?")
# What llama-bench generates when `-n` is not given (`cmd_params_defaults.n_gen` in tools/llama-bench/llama-bench.cpp)
DEFAULT_DECODE_TOKENS = 128


class BenchTest(NamedTuple):
    op: str  # "pp" (a prompt) or "tg" (generation)
    tokens: int | None  # None: a `tg` of unstated length
    depth: int  # tokens of context before the test (`@dN`)


def parse_test(test: str) -> BenchTest | None:
    """The test a name states, or None for anything else (a `pp` needs its length)."""
    found = TEST.fullmatch(test.replace(" ", ""))
    if not found or (found.group(1) == "pp" and not found.group(2)):
        return None
    op, tokens, depth = found.groups()
    return BenchTest(op, int(tokens) if tokens else None, int(depth or 0))
