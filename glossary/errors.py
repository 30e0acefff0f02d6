"""The errors knowledge base: one page per error message people paste (content/errors/*.md).

`match_rank()` finds a page from a pasted error (numbers, sizes, paths and log prefixes differ from
one paste to the next, so it compares the words, not the text); `pages_for()` picks the pages a
calculator result should link: the out-of-memory page of its runtime when the answer is tight or
no, the slow-offload page when the plan puts layers on the CPU.
"""

import re

from estimator import DiffusionEstimate, Estimate, Plan

from .content import Page, library

# Runtimes in the order the index shows them; a page's `runtime:` is one of these.
RUNTIMES = (
    "llama.cpp",
    "Ollama",
    "vLLM",
    "Metal",
    "ROCm",
    "CUDA",
    "NCCL",
    "ComfyUI",
    "diffusers",
)

# The calculator's runtime slug → the page for "it ran out of memory" in that runtime.
OOM_PAGES = {
    "llama-cpp": "llama-cpp-cudamalloc-failed-out-of-memory",
    "ollama": "ollama-model-requires-more-system-memory",
    "vllm": "vllm-no-available-memory-for-the-cache-blocks",
}  # none for SGLang: it prints its own messages, and the engine's modelling it as vLLM does not make them vLLM's
# llama.cpp's out-of-memory by the backend it runs on (the ROCm build prints CUDA's names and ROCm's buffers, a Mac
# Metal's); no page for Vulkan's or SYCL's messages yet, so none is linked there rather than CUDA's.
LLAMA_CPP_OOM_PAGES = {
    "cuda": OOM_PAGES["llama-cpp"],
    "rocm": "llama-cpp-rocm-out-of-memory",
    "metal": "metal-insufficient-memory",
}
SLOW_OFFLOAD_PAGE = "slow-cpu-offload"
# vLLM refuses to start when the weights load but one request of --max-model-len does not fit the cache
# (content/errors/vllm-max-seq-len-larger-than-kv-cache.md): the failure when a shorter context fits.
CONTEXT_PAGES = {"vllm": "vllm-max-seq-len-larger-than-kv-cache"}
# An image or video model's answer shows a ComfyUI and a diffusers command: each one's out-of-memory page, by the
# backend that prints its message (both pages quote CUDA's; none is linked elsewhere rather than CUDA's).
IMAGE_OOM_PAGES = {"cuda": ("comfyui-allocation-on-device", "diffusers-cuda-out-of-memory")}

MIN_WORDS = 3  # a paste shorter than this is a word search, not an error text
PART = 0.8  # the share of words that must match for a paste to "contain" a message or a part of one

_NUMBERISH = re.compile(r"^(?:0x)?[0-9a-f]*[0-9][0-9a-f]*$")  # 144817, 04, 0x7f, 00000008
_NOT_WORD = re.compile(r"[\W_]+")


def words(text: str) -> list[str]:
    """Lower-cased words, any alphabet; punctuation and spaces only separate them (site search's too)."""
    return _NOT_WORD.sub(" ", text.casefold()).split()


def significant_words(text: str) -> list[str]:
    """Lower-cased words without the numbers and hex codes that change from one run to the next."""
    return [w for w in words(text) if not _NUMBERISH.match(w)]


def match_rank(query: str, page: Page) -> int | None:
    """0 when the query holds one of the page's messages, or is a large part of one; else None."""
    asked = significant_words(query)
    if len(asked) < MIN_WORDS:
        return None
    asked_set = set(asked)
    for message in page.messages:
        wanted = significant_words(message)
        if not wanted:
            continue
        wanted_set = set(wanted)
        contains = len(wanted_set & asked_set) >= PART * len(wanted_set)
        part_of = len(asked_set & wanted_set) >= PART * len(asked_set)
        if contains or part_of:
            return 0
    return None


def closeness(query: str, page: Page) -> float:
    """How well the query and the page's messages agree, from 0 to 2: the share of the query's words in
    the messages plus the share of the messages' words in the query. Orders pages that both match."""
    asked = set(significant_words(query))
    wanted = {w for message in page.messages for w in significant_words(message)}
    if not asked or not wanted:
        return 0.0
    common = len(asked & wanted)
    return common / len(asked) + common / len(wanted)


def by_runtime(pages) -> list[tuple[str, list[Page]]]:
    """(runtime, its pages by title) in RUNTIMES order; a runtime not listed there comes last."""
    order = {name: i for i, name in enumerate(RUNTIMES)}
    groups: dict[str, list[Page]] = {}
    for page in sorted(pages, key=lambda p: p.title.casefold()):
        groups.setdefault(page.runtime, []).append(page)
    return sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def pages_for(result: Estimate, runtime: str, backend: str, shown: Plan) -> list[Page]:
    """The error pages a result links: its runtime's out-of-memory page (llama.cpp's of the `backend` it runs
    on) when the verdict is no or a device is under 10% free (nothing fits, or the recommended plan is
    tight or an offload plan packed to llama.cpp's margin, which a desktop's own use can tip), or, where nothing
    fits only because of the context (a shorter one does), the runtime's page for that; and the
    slow-offload page when the plan shown offloads layers to the CPU."""
    errors = library().errors
    plan = result.recommended_plan
    slugs = []
    shorter_fits = any(s.kind == "context" for s in result.suggestions)
    if plan is None and shorter_fits and runtime in CONTEXT_PAGES:
        slugs.append(CONTEXT_PAGES[runtime])
    elif plan is None or any(d.tight for d in plan.devices):
        llama_cpp = runtime == "llama-cpp"
        slugs.append(LLAMA_CPP_OOM_PAGES.get(backend, "") if llama_cpp else OOM_PAGES.get(runtime, ""))
    if shown.strategy == "cpu_offload":
        slugs.append(SLOW_OFFLOAD_PAGE)
    return [errors[s] for s in slugs if s in errors]


def image_pages_for(result: DiffusionEstimate, backend: str) -> list[Page]:
    """The error pages an image or video model's answer links when its verdict is no or tight (as `pages_for`
    decides for an LLM): the out-of-memory pages of its commands on the `backend` it runs on."""
    plan = result.recommended_plan
    slugs = IMAGE_OOM_PAGES.get(backend, ()) if plan is None or plan.tight else ()
    return [library().errors[s] for s in slugs if s in library().errors]
