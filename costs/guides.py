"""Buyer guides: questions asked of the catalog and the engine when the page is rendered, so each table
follows today's prices and estimates. A guide is "Choose my GPU" with its inputs set (`sets`), the
listed Macs against three model sizes (`macs`), or an image model on each listed device (`diffusion`).
"""

from dataclasses import dataclass, field

from django.http import QueryDict

from calculator.diffusion_answer import spec_of
from catalog import cache, fitting
from catalog.models import DiffusionModel, Gpu, LlmModel, Quantization, valid_specs
from catalog.pages import CTX
from catalog.price_tag import PriceTag, price_rank
from estimator import DiffusionWorkload, estimate_diffusion

from .choose import choose_answer, current_price, newest_prices, old_prices

MAC_MODELS = [
    ("8B", "llama-3-1-8b-instruct"),
    ("32B", "qwen2-5-32b-instruct"),
    ("70B", "llama-3-3-70b-instruct"),
]
MAC_CTX = CTX  # the catalog pages' context
USABLE_TOK_S = (
    10.0  # reading speed is 5-10 tok/s: 10 reads along comfortably (reverse_questions/answers.py TIERS)
)


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    summary: str
    kind: str  # "sets", "macs" or "diffusion"
    query: dict = field(default_factory=dict)  # the "Choose my GPU" question (sets) or the image model


GUIDES = {
    g.slug: g
    for g in [
        Guide(
            "best-gpu-for-70b-models-under-2500",
            "Best GPU for 70B models under $2,500",
            "Hardware that runs Llama 3.3 70B at Q4_K_M with 8k of context at 10 tok/s or more, for $2,500 or less.",
            "sets",
            {"model": ["llama-3-3-70b-instruct"], "budget": "2500", "tok_s": "10"},
        ),
        Guide(
            "best-mac-for-local-ai",
            "Best Mac for local AI",
            "Every listed Apple silicon Mac against an 8B, a 32B and a 70B model at Q4_K_M with 8k of context.",
            "macs",
        ),
        Guide(
            "best-gpu-for-image-generation",
            "Best GPU for image generation",
            "The cheapest devices that hold FLUX.1 [dev] in bf16 with all its components at 1024×1024, no offload.",
            "diffusion",
            {"model": "flux-1-dev"},
        ),
        Guide(
            "best-used-gpu",
            "Best used GPU for local AI",
            "Used hardware that runs a 32B model at Q4_K_M with 8k of context at 10 tok/s or more, by tok/s per dollar.",
            "sets",
            {"model": ["qwen2-5-32b-instruct"], "condition": "used", "sort": "value"},
        ),
        Guide(
            "best-gpu-for-coding-models",
            "Best GPU for coding models",
            "Hardware that runs Qwen2.5 Coder 32B at Q4_K_M with 32k of context (a repository's worth) at 15 tok/s.",
            "sets",
            {"model": ["qwen2-5-coder-32b-instruct"], "ctx": "32768", "tok_s": "15"},
        ),
        Guide(
            "best-budget-gpu-for-8b-models",
            "Best budget GPU for 8B models",
            "The cheapest hardware that runs an 8B model at Q4_K_M with 8k of context at 20 tok/s, up to $800.",
            "sets",
            {"size": "8b", "budget": "800", "tok_s": "20"},
        ),
    ]
}


def render(guide: Guide) -> dict:
    return {"sets": _sets, "macs": _macs, "diffusion": _diffusion}[guide.kind](guide)


def _sets(guide: Guide) -> dict:
    query = QueryDict(mutable=True)
    for key, value in guide.query.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return {"answer": choose_answer(query)}


@dataclass(frozen=True)
class MacRow:
    gpu: Gpu
    price: PriceTag | None
    speeds: list[float | None]  # decode tok/s per MAC_MODELS entry, None: does not fit
    links: list[str]

    @property
    def largest_usable(self) -> int:
        """How many of the model sizes, from the smallest, it runs at a usable speed."""
        return sum(1 for s in self.speeds if s is not None and s >= USABLE_TOK_S)


def _macs(guide: Guide) -> dict:
    macs = valid_specs(Gpu.objects.listed().filter(vendor=Gpu.Vendor.APPLE, unified_memory=True))
    models = {m.slug: m for m in LlmModel.objects.filter(slug__in=[s for _, s in MAC_MODELS])}
    wanted = [(title, models[slug]) for title, slug in MAC_MODELS if slug in models]
    prices = newest_prices([g for g, _ in macs])
    workload = fitting.question_workload(ctx=MAC_CTX)
    q4_row = Quantization.objects.filter(slug=fitting.DEFAULT_FORMAT).first()
    if q4_row is None or not wanted:
        return {"missing": "The models or the format of this guide are not in the catalog."}
    q4 = q4_row.as_spec()

    def speeds() -> dict[str, list[float | None]]:
        out = {}
        for gpu, spec in macs:
            plans = [
                fitting.recommended(model=m.as_spec(), quant=q4, devices=[spec], workload=workload)
                for _, m in wanted
            ]
            out[gpu.slug] = [p.decode_tok_s if p else None for p in plans]
        return out

    key = "|".join([*(g.slug for g, _ in macs), *(m.slug for _, m in wanted)])
    table = cache.get_or_compute("guide-macs", key, speeds)
    rows = []
    for gpu, _ in macs:
        price = current_price(prices.get(gpu.slug, {}))
        links = [
            fitting.permalink(model=m.slug, quant=q4.slug, runs=[(gpu.slug, 1)], ctx=MAC_CTX)
            for _, m in wanted
        ]
        rows.append(MacRow(gpu, price, table.get(gpu.slug, [None] * len(wanted)), links))
    rows.sort(
        key=lambda r: (
            -r.largest_usable,
            price_rank(r.price),
            r.price.amount_usd if r.price else 0,
            r.gpu.memory_bytes,
        )
    )
    return {"sizes": [title for title, _ in wanted], "rows": rows} | old_prices(r.price for r in rows)


@dataclass(frozen=True)
class ImageRow:
    gpu: Gpu
    price: PriceTag | None
    free_bytes: int
    used_bytes: int
    capacity_bytes: int  # what the GPU may use: a unified-memory machine's GPU share, not all its memory
    seconds: float | None = None  # one image, the calculator's estimate


def _diffusion(guide: Guide) -> dict:
    model = DiffusionModel.objects.filter(slug=guide.query["model"]).first()
    if model is None:
        return {"missing": "The image model of this guide is not in the catalog."}
    spec = spec_of(model)  # with its denoiser's shape, as the calculator asks it
    gpus = valid_specs(Gpu.objects.listed())
    prices = newest_prices([g for g, _ in gpus])
    rows = []
    for gpu, device in gpus:
        plan = next(
            (
                p
                for p in estimate_diffusion(model=spec, devices=[device], workload=DiffusionWorkload()).plans
                if p.strategy == "all_on_gpu"
            ),
            None,
        )
        if plan is not None and plan.fits:
            usage = plan.devices[0]
            seconds = plan.timing.total_s if plan.timing else None
            price = current_price(prices.get(gpu.slug, {}))
            rows.append(
                ImageRow(gpu, price, usage.free_bytes, usage.used_bytes, usage.capacity_bytes, seconds)
            )
    rows.sort(key=lambda r: (price_rank(r.price), r.price.amount_usd if r.price else 0, r.gpu.memory_bytes))
    return {"image_model": model, "rows": rows} | old_prices(r.price for r in rows)
