"""A pasted error lands on its own page first: the page whose messages the paste holds, and when pages
share a message (llama.cpp prints the same cudaMalloc line before several failures), the one whose
headline or other messages the paste also holds."""

from collections import Counter

import pytest

from glossary.content import library
from glossary.errors import significant_words
from site_index.search import error_hits, search

ERRORS = sorted(library().errors.values(), key=lambda p: p.slug)
SHARED = Counter(" ".join(significant_words(m)) for page in ERRORS for m in set(page.messages))


def first_page(paste: str) -> str:
    return error_hits(paste, ERRORS)[0].url.removeprefix("/errors/").removesuffix("/")


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        (page.slug, message)
        for page in ERRORS
        for message in page.messages
        if SHARED[" ".join(significant_words(message))] == 1
    ],
)
def test_each_message_only_one_page_prints_lands_on_that_page(slug, message):
    assert first_page(message) == slug


@pytest.mark.parametrize(
    ("paste", "slug"),
    [
        # the e2e test's paste (llama.cpp issue #20431's message with this visitor's sizes): the weights
        (
            "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 22816.52 MiB on device 1: "
            "cudaMalloc failed: out of memory",
            "llama-cpp-cudamalloc-failed-out-of-memory",
        ),
        # the same line followed by the KV cache's own lines: the KV cache
        (
            "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 6144.00 MiB on device 0: cudaMalloc failed: "
            "out of memory\nllama_kv_cache_init: failed to allocate buffer for kv cache\n"
            "llama_init_from_model: llama_kv_cache_init() failed for self-attention cache",
            "llama-cpp-failed-to-allocate-buffer-for-kv-cache",
        ),
        # a ROCm build prints the CUDA backend's names, then its own ROCm0 buffer
        (
            "ggml_gallocr_reserve_n: failed to allocate ROCm0 buffer of size 9876543210",
            "llama-cpp-rocm-out-of-memory",
        ),
        (
            "ggml_gallocr_reserve_n: failed to allocate CUDA0 buffer of size 9876543210\n"
            "graph_reserve: failed to allocate compute buffers",
            "llama-cpp-failed-to-allocate-compute-buffers",
        ),
        # the same architecture error from llama.cpp itself and through Ollama's server
        (
            "llama_model_load: error loading model: error loading model architecture: "
            "unknown model architecture: 'qwen3next'",
            "llama-cpp-unknown-model-architecture",
        ),
        (
            "Error: 500 Internal Server Error: llama-server process has terminated: exit status 1: "
            "error loading model: unknown model architecture: 'qwen3next'",
            "ollama-unknown-model-architecture",
        ),
        # a PyTorch OOM with vLLM's log prefix, and diffusers' with its own sizes
        (
            "(EngineCore_DP0 pid=4242) ERROR 11-02 09:15:01 [core.py:708] torch.OutOfMemoryError: CUDA out of "
            "memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.19 GiB of which 1.06 GiB is "
            "free. Process 998 has 78.12 GiB memory in use. Of the allocated memory 75.50 GiB is allocated by "
            "PyTorch, with 256.00 MiB allocated in private pools (e.g., CUDA Graphs), and 312.40 MiB is "
            "reserved by PyTorch but unallocated.",
            "vllm-cuda-out-of-memory",
        ),
        (
            "OutOfMemoryError: CUDA out of memory. Tried to allocate 50.00 MiB. GPU 0 has a total capacity of "
            "11.72 GiB of which 30.12 MiB is free. Process 777 has 11.68 GiB memory in use. Of the allocated "
            "memory 11.40 GiB is allocated by PyTorch, and 96.02 MiB is reserved by PyTorch but unallocated.",
            "diffusers-cuda-out-of-memory",
        ),
        (
            "Error: llama runner process has terminated: CUDA error: out of memory",
            "ollama-llama-runner-cuda-out-of-memory",
        ),
    ],
)
def test_a_pasted_log_lands_on_the_failure_it_shows(paste, slug):
    assert first_page(paste) == slug


@pytest.mark.django_db
def test_the_pasted_cudamalloc_line_puts_its_page_first_in_the_site_search():
    paste = (
        "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 22816.52 MiB on device 1: "
        "cudaMalloc failed: out of memory"
    )
    groups = search(paste)
    assert groups[0].kind == "error"
    assert groups[0].hits[0].url == "/errors/llama-cpp-cudamalloc-failed-out-of-memory/"
    assert "/errors/llama-cpp-failed-to-allocate-buffer-for-kv-cache/" in [h.url for h in groups[0].hits]
