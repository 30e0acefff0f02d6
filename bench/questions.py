"""The questions of bench/load.py's mix and of bench/fuzz_requests.py: calculator pages, HTMX partials,
API estimates and reverse pages built from the catalog fixtures, each one a visitor could ask (as the
form checks it), and malformed requests that must be refused (unknown slugs, absurd numbers, broken
config JSON, wrong methods)."""

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "catalog"


@dataclass(frozen=True)
class Request:
    """One request of the mix (or of bench/fuzz_requests.py), and the statuses it may get."""

    kind: str
    path: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    expected: frozenset[int] = frozenset({200})


@dataclass(frozen=True)
class Catalog:
    """What the fixtures offer to ask about (the database the benchmark serves is loaded from them)."""

    models: list[tuple[str, int | None]]  # slug, longest context it reads
    quants: list[str]
    listed_quants: list[str]
    family: dict[str, str]  # format slug -> its family (gguf, awq, fp8...)
    gpus: list[tuple[str, bool]]  # slug, unified memory
    apple: set[str]  # the Apple silicon Macs: a whole computer each, that takes no other GPU
    backend: dict[str, str]  # GPU slug -> the backend it runs on (the first of its `backends`)
    runtimes: dict[str, dict]  # the calculator's runtimes: slug -> the fixture row
    links: list[tuple[str, str]]  # slug, kind (pcie, nvlink, ethernet...)
    nvlink: set[str] = field(default_factory=set)  # the GPUs with an NVLink connector
    terms: list[str] = field(default_factory=list)

    @classmethod
    def from_fixtures(cls) -> "Catalog":
        def rows(name: str) -> list[dict]:
            return json.loads((FIXTURES / name).read_text())

        quants, gpus = rows("quantizations.json"), rows("gpus.json")
        return cls(
            models=[(m["slug"], m["max_position_embeddings"]) for m in rows("llms.json")],
            quants=[q["slug"] for q in quants],
            listed_quants=[q["slug"] for q in quants if q["listed"]],
            family={q["slug"]: q["family"] for q in quants},
            gpus=[(g["slug"], g["unified_memory"]) for g in gpus],
            apple={g["slug"] for g in gpus if g["vendor"] == "apple"},
            backend={g["slug"]: (g.get("backends") or ["vulkan"])[0] for g in gpus},
            runtimes={r["slug"]: r for r in rows("runtimes.json") if r["slug"] in CALCULATOR_RUNTIMES},
            links=[(i["slug"], i["kind"]) for i in rows("interconnects.json")],
            nvlink={g["slug"] for g in gpus if g.get("nvlink")},
            terms=sorted(p.stem for p in (ROOT / "content" / "glossary").glob("*.md")),
        )

    def runs(self, runtime: str, backends: set[str], quant: str | None = None) -> bool:
        """Whether the runtime runs on every backend (and the format there), as the calculator's form
        checks it against the catalog's runtime table (calculator/forms.py, Combination.runs)."""
        row = self.runtimes[runtime]
        formats = row.get("formats") or {}
        return all(
            b in row.get("backends", [b])
            and (quant is None or not formats or self.family[quant] in formats.get(b, ()))
            for b in backends
        )


CONTEXTS = [2048, 4096, 8192, 16384, 32768, 65536, 131072]
DEFAULT_CONTEXT = 4096  # the form's ctx when none is given (DEFAULTS, calculator/forms.py)
CALCULATOR_RUNTIMES = ["llama-cpp", "ollama", "vllm", "sglang", "mlx", "lm-studio"]  # the form's runtimes
USERS = [1, 1, 1, 1, 2, 4, 8, 16, 32]
RAM_GB = [16, 32, 64, 128, 256]
# kind -> share of the distinct questions (a repeated question is more often a page than an API call)
QUESTION_KINDS = {"page": 0.30, "partial": 0.22, "api": 0.30, "what-runs": 0.10, "what-hardware": 0.08}


def _context(rng: random.Random, longest: int | None) -> int | None:
    """A preset context the model reads, or None (the page's default) a fifth of the time when the
    model reads the default."""
    default = rng.random() < 0.2 and (not longest or longest >= DEFAULT_CONTEXT)
    fitting = [c for c in CONTEXTS if not longest or c <= longest]
    return None if default else rng.choice(fitting)


def _devices(rng: random.Random, catalog: Catalog, *, most: int) -> list[tuple[str, str]]:
    """gpu/count pairs: one kind of GPU (85%) or two, up to `most` devices; one of a unified-memory chip;
    a Mac alone (the form refuses a Mac with another device: calculator/forms.py `one_machine`)."""
    pairs, total = [], 0
    chosen = rng.sample(catalog.gpus, 1 if rng.random() < 0.85 else 2)
    if any(slug in catalog.apple for slug, _ in chosen):
        chosen = [next(g for g in chosen if g[0] in catalog.apple)]
    for slug, unified in chosen:
        n = 1 if unified else min(rng.choice([1, 1, 1, 2, 2, 3, 4, 8]), most - total)
        if n < 1:
            break
        pairs += [("gpu", slug), ("count", str(n))]
        total += n
    return pairs


def _unified_only(catalog: Catalog, pairs: list[tuple[str, str]]) -> bool:
    """Only unified-memory devices: no System RAM beside them (the form refuses one, `no_ram_beside`)."""
    unified = dict(catalog.gpus)
    return all(unified[slug] for key, slug in pairs if key == "gpu")


def calculator_query(rng: random.Random, catalog: Catalog) -> str:
    """A question the calculator answers (200): the context is one the model reads, the prompt fits it,
    the runtime runs on the devices and runs the format there, the KV cache type is one it keeps."""
    model, longest = rng.choice(catalog.models)
    devices = _devices(rng, catalog, most=16)
    backends = {catalog.backend[slug] for key, slug in devices if key == "gpu"}
    runtimes = [r for r in catalog.runtimes if catalog.runs(r, backends)]
    runtime = rng.choice(runtimes) if rng.random() < 0.5 else None  # else the form picks one
    quants = catalog.listed_quants if rng.random() < 0.8 else catalog.quants
    quants = [
        q for q in quants if any(catalog.runs(r, backends, q) for r in ([runtime] if runtime else runtimes))
    ]
    pairs = [("model", model), ("quant", rng.choice(quants)), *devices]
    ctx = _context(rng, longest)
    if ctx:
        pairs.append(("ctx", str(ctx)))
    if runtime:
        pairs.append(("runtime", runtime))
        if rng.random() < 0.4:
            pairs.append(("kv", rng.choice(catalog.runtimes[runtime].get("kv_cache_types") or ["f16"])))
    if rng.random() < 0.3:
        pairs.append(("batch", str(rng.choice(USERS))))
    if rng.random() < 0.2:
        pairs.append(("prompt", str(rng.choice([128, 512, 1024, 2048]))))
    if rng.random() < 0.3 and not _unified_only(catalog, devices):
        pairs.append(("ram_gb", str(rng.choice(RAM_GB))))
    link = rng.random() < 0.1
    hosts = rng.choice([2, 3, 4]) if rng.random() < 0.03 else 1
    if link and (links := _links(catalog, devices, hosts)):
        pairs.append(("link", rng.choice(links)))
    if hosts > 1:
        pairs.append(("hosts", str(hosts)))
    return urlencode(pairs)


NETWORK_KINDS = {"ethernet", "thunderbolt", "infiniband"}  # catalog.models.Interconnect.NETWORK_KINDS


def _links(catalog: Catalog, devices: list[tuple[str, str]], hosts: int) -> list[str]:
    """The links that join what the question has (the form refuses the others: `QuestionForm.link_fits`):
    a network with several machines, a GPU link with several GPUs in one, an NVLink where every card has
    the connector."""
    gpus = [slug for key, slug in devices if key == "gpu"]
    per_host = sum(int(n) for key, n in devices if key == "count")
    fitting = []
    for slug, kind in catalog.links:
        if kind in NETWORK_KINDS:
            fitting += [slug] if hosts > 1 else []
        elif per_host > 1 and (kind != "nvlink" or all(g in catalog.nvlink for g in gpus)):
            fitting.append(slug)
    return fitting


def what_runs_query(rng: random.Random, catalog: Catalog) -> str:
    pairs = _devices(rng, catalog, most=8)
    if ctx := _context(rng, None):
        pairs.append(("ctx", str(ctx)))
    if rng.random() < 0.3:
        pairs.append(("ram_gb", str(rng.choice(RAM_GB))))
    if rng.random() < 0.3:
        pairs.append(("sort", rng.choice(["size", "name", "speed"])))
    return urlencode(pairs)


def what_hardware_query(rng: random.Random, catalog: Catalog) -> str:
    model, longest = rng.choice(catalog.models)
    pairs = [("model", model)]
    if rng.random() < 0.6:
        pairs.append(("quant", rng.choice(catalog.listed_quants)))
    if ctx := _context(rng, longest):
        pairs.append(("ctx", str(ctx)))
    if rng.random() < 0.4:
        pairs.append(("tok_s", str(rng.choice([1, 5, 20, 30, 50, 100]))))
    return urlencode(pairs)


def question(rng: random.Random, catalog: Catalog, kind: str) -> Request:
    if kind == "what-runs":
        return Request(kind, f"/what-runs/?{what_runs_query(rng, catalog)}")
    if kind == "what-hardware":
        return Request(kind, f"/what-hardware/?{what_hardware_query(rng, catalog)}")
    query = calculator_query(rng, catalog)
    if kind == "api":
        return Request(kind, f"/api/v1/estimate?{query}")
    return Request(kind, f"/?{query}", headers=(("HX-Request", "true"),) if kind == "partial" else ())


def distinct_questions(rng: random.Random, catalog: Catalog, count: int) -> list[Request]:
    kinds, weights = list(QUESTION_KINDS), list(QUESTION_KINDS.values())
    found: dict[Request, None] = {}
    while len(found) < count:
        found.setdefault(question(rng, catalog, rng.choices(kinds, weights)[0]))
    return list(found)


def _junk_slug(rng: random.Random) -> str:
    return "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789-", k=rng.randint(3, 24)))


def _junk_number(rng: random.Random) -> str:
    return rng.choice(
        [
            str(rng.choice([0, -1, -(10 ** rng.randint(1, 30))])),
            str(10 ** rng.randint(8, 40)),
            "9" * rng.randint(100, 4400),  # past Python's 4,300-digit int() limit
            rng.choice(["1e309", "nan", "inf", "-0", "1.5", "0x10", "ten", "%00"]),
        ]
    )


def _broken_config(rng: random.Random) -> str:
    good = {"num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32, "vocab_size": 32000}
    text = json.dumps(good)
    return rng.choice(
        [
            text[: rng.randint(1, len(text) - 1)],  # cut short
            "[" * (depth := rng.randint(50, 1200)) + "]" * rng.randint(0, depth),  # nested deep (URL < 8 KB)
            json.dumps({**good, rng.choice(list(good)): rng.choice([10**20, -5, 0, "x"])}),
            json.dumps({**good, "num_hidden_layers": rng.choice([10**6, 10**7, 4096])}),
            json.dumps({**good, "hidden_size": int("7" * rng.randint(200, 400))}),
            "{" + "".join(rng.choices('{}[]:,"ab01 ', k=rng.randint(5, 200))),
            "not json at all",
        ]
    )


def malformed(rng: random.Random, catalog: Catalog) -> Request:
    """A request that must be refused (4xx) or answered with the form's message (a page's 200)."""
    model, _ = rng.choice(catalog.models)
    gpu, _ = rng.choice(catalog.gpus)
    good = {"model": model, "quant": rng.choice(catalog.listed_quants), "gpu": gpu}
    case = rng.choice(["slug", "number", "config", "method", "missing"])
    if case == "slug":
        good[rng.choice(["model", "quant", "gpu", "link"])] = _junk_slug(rng)
    elif case == "number":
        good[rng.choice(["ctx", "count", "batch", "prompt", "ram_gb", "hosts"])] = _junk_number(rng)
    elif case == "config":
        good["config"] = _broken_config(rng)
    elif case == "missing":  # a required input left out (the format is not: the form picks one)
        good.pop(rng.choice(["model", "gpu"]))
    else:
        method = rng.choice(["POST", "PUT", "DELETE", "PATCH"])
        path = rng.choice(["/api/v1/estimate", "/api/v1/gpus", "/api/v1/models", "/api/v1/quantizations"])
        return Request("bad-method", f"{path}?{urlencode(good)}", method=method, expected=frozenset({405}))
    query = urlencode(good)
    where = rng.random()
    if where < 0.5:
        return Request(f"bad-{case}", f"/api/v1/estimate?{query}", expected=frozenset({400}))
    if where < 0.7:
        return Request(f"bad-{case}", f"/og.png?{query}", expected=frozenset({400}))
    if where < 0.85:  # a page shows the message next to the field: 200, or 400 for a whole bad question
        return Request(f"bad-{case}", f"/?{query}", expected=frozenset({200, 400}))
    kind = rng.choice(["/gpus/", "/models/", "/glossary/"])
    return Request("bad-page", f"{kind}{_junk_slug(rng)}/", expected=frozenset({404}))
