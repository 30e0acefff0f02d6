"""What /compare/ calls each answer: its question in one line, naming whatever sets it apart from the
others. Review 9: an MLX and a llama.cpp answer's "Full results" both read "Qwen3 30B-A3B · 1× Apple M4
Pro (20-core GPU) 48 GB", and a visitor could not tell which was MLX."""

from catalog import workload as tables
from catalog.runtimes import BY_SLUG

from .question import Question


def titles(columns: list[dict]) -> None:
    """Sets each answered column's `title`: model · format · hardware · context · users · runtime, as the
    table has always listed them, then each of the rest of the question (KV cache, flash attention,
    prompt, link, RAM type) where any two columns ask it differently; a backend asked for is in the
    hardware's words already ("1× Radeon RX 7900 XTX on Vulkan")."""
    answered = [c for c in columns if "verdict" in c]
    rests = [rest(c["question"]) for c in answered]
    differ = {key for key in rests[0] if len({r[key] for r in rests}) > 1} if rests else set()
    for column, said in zip(answered, rests, strict=True):
        column["title"] = " · ".join(
            [*asked(column["question"], column["rig"]), *(said[k] for k in said if k in differ)]
        )


def asked(q: Question, rig: str) -> list[str]:
    """The parts of a question every title names."""
    ram = f" + {q.ram_gb} GB RAM" if q.ram_gb else ""
    users = f"{q.batch} user{'s' if q.batch != 1 else ''}"
    return [q.model.name, q.quant.name, rig + ram, f"{q.ctx:,} tokens", users, BY_SLUG[q.runtime].label]


def rest(q: Question) -> dict[str, str]:
    """The rest of a question, each part in words, in the order the calculator's form asks them."""
    kv = tables.kv_cache_types().get(q.kv, {}).get("name", q.kv)
    ram = tables.ram_presets().get(q.ram_preset or "", {}).get("name", "")
    return {
        "prompt": f"{q.prompt:,}-token prompt",
        "kv": f"{kv} KV cache",
        "fa": f"flash attention {q.fa}",
        "link": q.link.name if q.link else "no link given",
        "ram": ram or "RAM type not given",
    }
