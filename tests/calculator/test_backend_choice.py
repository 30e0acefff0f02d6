"""The GPU backend a question asks for: ROCm or Vulkan on a Radeon, CUDA or Vulkan on a GeForce. The engine
times the devices on it, the runtimes that have no build of it are refused with what to pick, and a
backend a device has no build of is refused with the ones it has."""

import html as markup
import re
from urllib.parse import quote

import pytest

from estimator.units import GIB
from tests.conftest import make_gpu

pytestmark = pytest.mark.django_db

XTX = "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=radeon-rx-7900-xtx"


def api(client, query: str):
    return client.get(f"/api/v1/estimate?{query}")


def text(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:p|span|ul|dd|div)>', html, re.S)
    assert found, testid
    return markup.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_a_radeon_runs_on_rocm_unless_vulkan_is_asked_for(client, catalog):
    usual, vulkan = api(client, XTX).json(), api(client, XTX + "&backend=vulkan").json()
    assert usual["permalink"] == f"/?{XTX}"
    assert vulkan["permalink"] == f"/?{XTX}&backend=vulkan"
    # the same plan timed on another build: RDNA 3's Vulkan kernels decode at their own share of the bandwidth
    one, other = usual["plans"][0], vulkan["plans"][0]
    assert one["strategy"] == other["strategy"] == "single"
    assert one["decode_tok_s"] != pytest.approx(other["decode_tok_s"], rel=0.02)
    assert one["prefill_tok_s"] != pytest.approx(other["prefill_tok_s"], rel=0.02)
    # the page's select: the usual one named, then the builds the card has
    page = client.get(f"/?{XTX}").content.decode()
    select = re.search(r'<select name="backend" id="id_backend">(.*?)</select>', page, re.S).group(1)
    assert re.findall(r">([^<]+)</option>", select) == ["Usual for the runtime: ROCm", "ROCm", "Vulkan"]
    chosen = client.get(f"/?{XTX}&backend=vulkan").content.decode()
    assert '<option value="vulkan" selected>Vulkan</option>' in chosen


def test_a_backend_a_device_has_no_build_of_is_refused_with_the_ones_it_has(client, catalog):
    response = api(client, "model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&backend=rocm")
    assert response.status_code == 400
    assert response.json()["errors"]["backend"] == [
        "GeForce RTX 4090 has no ROCm build: pick CUDA or Vulkan, or leave it empty."
    ]
    page = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&backend=rocm").content.decode()
    fixes = re.search(r'data-testid="fixes">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r'class="fix" href="([^"]+)"[^>]*>([^<]+)<', fixes) == [
        ("/?model=llama-3-1-8b-instruct&amp;quant=q4_k_m&amp;gpu=geforce-rtx-4090", "Use the usual backend"),
        (
            "/?model=llama-3-1-8b-instruct&amp;quant=q4_k_m&amp;gpu=geforce-rtx-4090&amp;backend=cuda",
            "Use CUDA",
        ),
        (
            "/?model=llama-3-1-8b-instruct&amp;quant=q4_k_m&amp;gpu=geforce-rtx-4090&amp;backend=vulkan",
            "Use Vulkan",
        ),
    ]
    # a GeForce and a Radeon together share one build: Vulkan
    mixed = "model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&gpu=radeon-rx-7900-xtx"
    assert api(client, mixed + "&backend=cuda").json()["errors"]["backend"] == [
        "Radeon RX 7900 XTX has no CUDA build: pick Vulkan, or leave it empty."
    ]
    assert api(client, mixed + "&backend=vulkan").status_code == 200
    bogus = api(client, "model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&backend=opencl")
    assert bogus.status_code == 400 and "Unknown backend “opencl”" in bogus.json()["errors"]["backend"][0]


def test_a_runtime_without_a_build_of_the_backend_is_refused(client, catalog):
    response = api(client, "model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&backend=vulkan&runtime=vllm")
    assert response.status_code == 400
    assert response.json()["errors"]["runtime"] == [
        "vLLM has no Vulkan build: pick llama.cpp, Ollama or LM Studio, or leave the backend empty."
    ]
    # no runtime named: the first that has the build answers (llama.cpp), and the picker says vLLM has none
    page = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&backend=vulkan").content.decode()
    runtimes = re.search(r'<select name="runtime" id="id_runtime">(.*?)</select>', page, re.S).group(1)
    assert re.search(r'<option value="vllm" disabled>vLLM: [^<]+</option>', runtimes), runtimes
    assert text(page, "verdict").startswith("Yes")


def test_measurements_shown_are_those_of_the_backend_asked_for(client, catalog):
    """A Vulkan estimate beside 'measured: 105.8 tok/s (ROCm, ...)' compared two builds as one."""
    usual = client.get(f"/?{XTX}").content.decode()
    assert "(ROCm, llama-bench" in text(usual, "measured-decode")
    vulkan = client.get(f"/?{XTX}&backend=vulkan").content.decode()
    shown = re.search(r'data-testid="measured-decode">(.*?)</span>', vulkan, re.S)
    assert shown is None or "ROCm" not in shown.group(1)


def test_a_refusal_offers_leaving_the_backend_empty_only_where_that_helps(client, catalog):
    """The second review: vLLM with backend=metal on a Mac said "or leave the backend empty", and leaving it
    empty was refused too (vLLM runs on no Mac)."""
    mac = api(client, "model=llama-3-1-8b-instruct&gpu=apple-m4-max-128gb&runtime=vllm&backend=metal").json()
    assert mac["errors"]["runtime"] == ["vLLM has no Metal build: pick llama.cpp, Ollama, MLX or LM Studio."]
    page = client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&backend=rocm").content.decode()
    usual = re.search(r'<a class="fix" href="([^"]+)" hx-get="([^"]+)"[^>]*>Use the usual backend<', page)
    assert usual and usual.group(1) == usual.group(2)  # applied in place, as the runtime's fixes are


def test_answers_that_differ_by_backend_read_apart(client, catalog):
    """The second review: compare and snapshots showed two answers labelled alike, 137 and 101 tok/s."""
    vulkan = client.get(f"/?{XTX}&backend=vulkan").content.decode()
    assert text(vulkan, "verdict").startswith("Yes: fits on 1× Radeon RX 7900 XTX on Vulkan, about ")
    usual = client.get(f"/?{XTX}").content.decode()
    assert text(usual, "verdict").startswith("Yes: fits on 1× Radeon RX 7900 XTX, about ")
    both = client.get(f"/compare/?q={quote(XTX + '&backend=vulkan')}&q={quote(XTX)}").content.decode()
    labels = [
        label for label in re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a> <small>', both) if " · " in label
    ]
    assert labels == [
        "Llama 3.1 8B (Instruct) · Q4_K_M · 1× Radeon RX 7900 XTX on Vulkan · 4,096 tokens · 1 user · llama.cpp",
        "Llama 3.1 8B (Instruct) · Q4_K_M · 1× Radeon RX 7900 XTX · 4,096 tokens · 1 user · llama.cpp",
    ]


def test_llama_cpp_s_command_names_the_build_of_the_backend_asked_for(client, catalog):
    """The second review: llama-server's command was the same for ROCm and Vulkan, and a ROCm build does
    not run on Vulkan: the CMake option of the build (docs/build.md of llama.cpp) is said above it."""
    vulkan = client.get(f"/?{XTX}&backend=vulkan").content.decode()
    code = re.search(r'data-testid="launch-command"><code>(.*?)</code>', vulkan, re.S).group(1)
    lines = markup.unescape(re.sub(r"</?span[^>]*>", "", code)).splitlines()
    assert lines[0] == "# a llama.cpp built for Vulkan: cmake -B build -DGGML_VULKAN=ON"
    assert lines[1].startswith("llama-server ")
    usual = client.get(f"/?{XTX}").content.decode()
    assert "cmake -B build" not in usual  # the usual build is not spelled out


def test_a_geforce_beside_a_radeon_runs_both_on_vulkan_and_says_so(client, catalog):
    """Review 11 (F5): "CUDA and ROCm" was no build llama.cpp has (tests/calculator/test_mixed_vendors.py)."""
    page = client.get(
        "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&gpu=radeon-rx-7900-xtx"
    ).content.decode()
    select = re.search(r'<select name="backend" id="id_backend">(.*?)</select>', page, re.S).group(1)
    assert re.findall(r">([^<]+)</option>", select) == ["Usual for the runtime: Vulkan", "Vulkan"]


def test_the_charts_and_the_nearest_row_follow_the_backend_asked_for(client, catalog):
    """The third review: the context chart timed its points on ROCm around the Vulkan answer (98.7, 125.9,
    89.1 tok/s at 2K, 4K, 8K), and the nearest measured row was the same question's ROCm row."""
    from django.http import QueryDict

    from calculator import charts
    from calculator.forms import QuestionForm
    from calculator.question import Question

    form = QuestionForm(QueryDict(XTX + "&backend=vulkan"))
    assert form.is_valid(), form.errors
    question = Question.from_form(form)
    values = [p.value for p in charts.speed_vs_context(question, question.estimate()).points if p.value]
    assert values == sorted(values, reverse=True)  # slower as the context grows, on one build throughout
    nearest = question.nearest_measured(question.measured())
    assert nearest is None or nearest.row.backend == "vulkan"


def test_a_backend_asked_for_does_not_leak_into_another_rig_s_runtime_picker(client, catalog):
    """The third review: a cached runtime select of a Vulkan-only Radeon ("Not on other GPUs (Vulkan)") was
    served to an RTX 4090 asked on Vulkan, whose backends reduce to the same one."""
    make_gpu(
        slug="radeon-rx-480", name="Radeon RX 480", vendor="amd", memory_bytes=8 * GIB, backends=["vulkan"]
    )
    first = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=radeon-rx-480").content.decode()
    assert 'label="Not on other GPUs (Vulkan)"' in first
    page = client.get(
        "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&backend=vulkan"
    ).content.decode()
    runtimes = re.search(r'<select name="runtime" id="id_runtime">(.*?)</select>', page, re.S).group(1)
    assert 'label="Not on Vulkan"' in runtimes and "vLLM: CUDA or ROCm only" in runtimes, runtimes


def test_a_format_refused_on_the_backend_asked_for_offers_the_usual_backend(client, catalog):
    """The third review: FP8 on a 4090 asked on Vulkan offered only other formats, yet the 4090 runs FP8 on
    CUDA: leaving the backend empty is offered first, and answers."""
    page = client.get(
        "/?model=llama-3-1-8b-instruct&quant=fp8&gpu=geforce-rtx-4090&backend=vulkan"
    ).content.decode()
    fixes = re.findall(r'class="fix" href="([^"]+)"[^>]*>([^<]+)<', page)
    assert fixes and fixes[0][1] == "Use the usual backend", fixes
    assert text(client.get(markup.unescape(fixes[0][0])).content.decode(), "verdict").startswith("Yes")
