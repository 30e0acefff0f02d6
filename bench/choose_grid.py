"""Choose my GPU's answers over a grid of questions, recorded to compare two versions of the code.

    DATABASE_URL=postgres://... SECRET_KEY=x .venv/bin/python bench/choose_grid.py --out after.json
    ... bench/choose_grid.py --out after.json --compare before.json

Asks /choose/'s answer (costs.choose.choose_answer, the page's context) for every model (or pair), format,
context, speed floor and number of users of the grid below, at three budgets, and records per question
every qualifying set (device, count, the KV cache it takes, its two speeds, headroom, links), the sets
within, over and without a budget, and the engine calls it took (`fitting.recommended`, counted). With
`--compare`, prints each question whose sets differ and the engine calls of both. Written to check that
Choose my GPU answers the same once it asks what-hardware's own KV-cache rule (`fitting.what_hardware`).
"""

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.http import QueryDict  # noqa: E402

from catalog import fitting  # noqa: E402
from costs import choose  # noqa: E402

MODELS = [
    ("llama-3-1-8b-instruct",),
    ("qwen3-32b",),
    ("gemma-3-27b-it",),  # sliding-window layers
    ("llama-3-3-70b-instruct",),
    ("gpt-oss-120b",),
    ("qwen3-30b-a3b",),
    ("llama-3-1-8b-instruct", "qwen3-32b"),
    ("qwen3-30b-a3b", "llama-3-3-70b-instruct"),
]
QUANTS = ["", "fp8", "awq-4bit"]  # usual (GGUF: llama.cpp's q8_0), and two that vLLM runs (its fp8 cache)
CONTEXTS = [4096, 32768, 131072]
SPEEDS = [5, 10, 20, 40]
USERS = [1, 4]
BUDGETS = [1000, 2500, None]


def questions():
    for models, quant, ctx, tok_s, batch in itertools.product(MODELS, QUANTS, CONTEXTS, SPEEDS, USERS):
        if quant == "awq-4bit" and models != ("qwen3-32b",):
            continue  # published for few models: one
        pairs = [("model", m) for m in models] + [("ctx", str(ctx)), ("tok_s", str(tok_s))]
        pairs += [("batch", str(batch))] if batch > 1 else []
        pairs += [("quant", quant)] if quant else []
        yield "&".join(f"{k}={v}" for k, v in pairs)


def record(query: str, calls: list[int]) -> dict:
    out: dict = {}
    for budget in BUDGETS:
        q = QueryDict(query + (f"&budget={budget}" if budget else ""))
        before = calls[0]
        context = choose.choose_answer(q)
        answer = context.get("answer")
        if answer is None:
            return {"error": {k: list(v) for k, v in context["form"].errors.items()}}
        if budget == BUDGETS[0]:
            out["calls"] = calls[0] - before
        key = f"budget={budget}"
        out[key] = {
            "choices": [_choice(c) for c in answer["choices"]],
            "nearest_over": [[_choice(c), str(more)] for c, more in answer["nearest_over"]],
            "unpriced": [_choice(c) for c in answer["unpriced"]],
            "over_budget": answer["over_budget"],
            "found": answer["found"],
        }
    return out


def _choice(c) -> list:
    return [
        c.device.slug,
        c.count,
        c.kv,
        c.condition,
        str(c.price_usd),
        round(c.tok_s, 3),
        round(c.tok_s_at_context or 0, 3),
        c.headroom_bytes,
        list(map(list, c.links)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", required=True)
    parser.add_argument("--compare")
    args = parser.parse_args()
    calls = [0]
    asked = fitting.recommended

    def counted(**kwargs):
        calls[0] += 1
        return asked(**kwargs)

    fitting.recommended = counted  # what_hardware and choose's _deep_enough both call it by this name
    results, start = {}, time.perf_counter()
    for query in questions():
        results[query] = record(query, calls)
    print(f"{len(results)} questions, {calls[0]} engine calls, {time.perf_counter() - start:.0f} s")
    Path(args.out).write_text(json.dumps(results, indent=1))
    if args.compare:
        compare(json.loads(Path(args.compare).read_text()), results)


def compare(before: dict, after: dict) -> None:
    differ = 0
    for query, old in before.items():
        new = after.get(query)
        strip = lambda r: {k: v for k, v in r.items() if k != "calls"}  # noqa: E731
        if new is None or strip(old) != strip(new):
            differ += 1
            print("DIFFERS", query)
            for key in old:
                if key != "calls" and old[key] != (new or {}).get(key):
                    print("  ", key, "\n    before:", old[key], "\n    after: ", (new or {}).get(key))
    calls = [(before[q].get("calls", 0), after[q].get("calls", 0)) for q in before if q in after]
    print(
        f"{differ} of {len(before)} questions differ; engine calls {sum(b for b, _ in calls)} before, "
        f"{sum(a for _, a in calls)} after"
    )


if __name__ == "__main__":
    main()
