"""MLX end to end: the catalog's MLX formats (affine quantization, group 64: bits + 0.5 per weight), the
mlx-community conversions that provide them, MLX offered only on Apple silicon, the engine sizing them and
`mlx_lm.server` naming the conversion the catalog lists."""

import re

import pytest

from catalog.models import Artifact, LlmModel, Quantization, Runtime
from tests.engine.command_flags import parse

pytestmark = pytest.mark.django_db

M4_MAX = "apple-m4-max-128gb"
LLAMA_8B = "llama-3-1-8b-instruct"


def api(client, query: str):
    return client.get(f"/api/v1/estimate?{query}")


@pytest.mark.parametrize(("bits", "bpw"), [(3, 3.5), (4, 4.5), (5, 5.5), (6, 6.5), (8, 8.5)])
def test_an_mlx_format_stores_a_16_bit_scale_and_bias_per_group_of_64(catalog, bits, bpw):
    quant = Quantization.objects.get(slug=f"mlx-{bits}bit")
    assert quant.family == "mlx" and quant.listed == (bits in (4, 8))  # the picker offers the usual two
    assert quant.bits_per_weight == bpw  # bits + (16 + 16) / 64
    assert (
        "https://ml-explore.github.io/mlx/build/html/python/_autosummary/mlx.core.quantize.html"
        in quant.source
    )


def test_only_mlx_runs_mlx_formats_and_mlx_runs_only_on_apple_silicon(catalog):
    mlx = Runtime.objects.get(slug="mlx")
    assert mlx.backends == ["metal"] and set(mlx.formats["metal"]) == {"mlx", "float"}
    others = Runtime.objects.exclude(slug="mlx")
    assert [r.slug for r in others if any("mlx" in f for f in (r.formats or {}).values())] == ["lm-studio"]
    lm_studio = Runtime.objects.get(slug="lm-studio")  # its MLX engine, on Apple silicon only
    assert [b for b, families in lm_studio.formats.items() if "mlx" in families] == ["metal"]


def test_every_mlx_artifact_provides_the_width_its_name_says(catalog):
    mlx = list(Artifact.objects.filter(kind="mlx"))
    assert len(mlx) == 106
    for a in mlx:
        expected = {"": [], "bf16": ["bf16"]}.get(a.tag, [f"mlx-{a.tag}"])
        assert a.formats == expected, a.repo
        assert a.tag.lower().replace("bit", "") in a.repo.lower() or not a.tag, a.repo
    widths = {f for a in mlx for f in a.formats}
    assert widths == {"mlx-3bit", "mlx-4bit", "mlx-5bit", "mlx-6bit", "mlx-8bit", "bf16"}


def test_llama_8b_on_an_m4_max_with_mlx_4bit_names_the_mlx_community_conversion(client, catalog):
    response = api(client, f"model={LLAMA_8B}&gpu={M4_MAX}&runtime=mlx")
    assert response.status_code == 200
    body = response.json()
    assert body["quant"] == "mlx-4bit" and body["fits"]  # MLX picks its 4-bit without being asked
    # 8.03 B weights × 4.5 bits / 8 = 4.52 GB: the size of mlx-community's 4-bit repo
    assert body["memory"]["weights_bytes"] == pytest.approx(8.03e9 * 4.5 / 8, rel=0.005)
    assert body["memory"]["overhead_bytes"] == 0  # Metal: no CUDA context
    command = body["plans"][0]["commands"]["mlx_lm"]
    assert command == "mlx_lm.server --model mlx-community/Meta-Llama-3.1-8B-Instruct-4bit"
    parse(command)
    artifact = Artifact.objects.get(repo="mlx-community/Meta-Llama-3.1-8B-Instruct-4bit")
    assert artifact.llm.slug == LLAMA_8B and "mlx-4bit" in artifact.formats
    # mlx-lm and LM Studio's MLX engine load it; the GGUF-only runtimes do not
    assert set(body["plans"][0]["commands"]) == {"mlx_lm", "lms"}


def test_the_8_bit_conversion_is_twice_the_4_bit_less_the_scales(client, catalog):
    four = api(client, f"model={LLAMA_8B}&quant=mlx-4bit&gpu={M4_MAX}").json()
    eight = api(client, f"model={LLAMA_8B}&quant=mlx-8bit&gpu={M4_MAX}").json()
    ratio = eight["memory"]["weights_bytes"] / four["memory"]["weights_bytes"]
    assert ratio == pytest.approx(8.5 / 4.5, rel=1e-6)  # every tensor at the same width, scales included
    assert eight["plans"][0]["commands"]["mlx_lm"] == (
        "mlx_lm.server --model mlx-community/Meta-Llama-3.1-8B-Instruct-8bit"
    )


def test_the_page_answers_with_the_mlx_command(client, catalog):
    response = client.get(f"/?model={LLAMA_8B}&gpu={M4_MAX}&runtime=mlx")
    assert response.status_code == 200
    assert response.context["form"].cleaned_data["quant"].slug == "mlx-4bit"
    html = response.content.decode()
    assert "mlx_lm.server --model mlx-community/Meta-Llama-3.1-8B-Instruct-4bit" in re.sub(
        r"</?span[^>]*>", "", html
    )
    assert '<option value="mlx-4bit">MLX 4-bit (4.50 bits)</option>' in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            f"model={LLAMA_8B}&gpu=geforce-rtx-3090&runtime=mlx",
            "runtime",
            "MLX (mlx-lm) does not run on NVIDIA GPUs (CUDA), only on Apple silicon: pick llama.cpp, Ollama, "
            "vLLM, SGLang or LM Studio.",
        ),
        (
            f"model={LLAMA_8B}&quant=mlx-4bit&gpu=geforce-rtx-3090",
            "quant",
            "MLX 4-bit is an MLX conversion: it runs only on Apple silicon (Metal), with MLX or LM Studio. On "
            "NVIDIA GPUs (CUDA), pick a format that runs there, such as Q4_K_M.",
        ),
        (
            f"model={LLAMA_8B}&quant=mlx-4bit&gpu={M4_MAX}&runtime=ollama",
            "quant",
            "Ollama does not run MLX 4-bit (an MLX conversion) on Apple silicon (Metal). Pick a format it runs, "
            "such as Q4_K_M, or switch to MLX or LM Studio.",
        ),
        (  # a Mac with an RTX card is two machines: refused before any runtime or format
            f"model={LLAMA_8B}&quant=mlx-8bit&gpu={M4_MAX}&gpu=geforce-rtx-3090",
            "gpu",
            "An Apple silicon Mac takes no other GPU, and this calculator sizes only machines that are alike: "
            "ask about each alone.",
        ),
    ],
)
def test_mlx_off_apple_silicon_is_refused_saying_why(client, catalog, query, field, message):
    response = api(client, query)
    assert response.status_code == 400
    assert response.json()["errors"] == {field: [message]}
    page = client.get(f"/?{query}", headers={"HX-Request": "true"}).content.decode()
    assert f'<span class="error" id="error-{field}" hx-swap-oob="true">{message.split(" (")[0]}' in page


def test_an_mlx_format_alone_picks_mlx_on_a_mac(client, catalog):
    body = api(client, f"model=qwen3-8b&quant=mlx-8bit&gpu={M4_MAX}").json()
    assert "runtime=mlx" in body["permalink"]
    assert body["plans"][0]["commands"]["mlx_lm"] == "mlx_lm.server --model mlx-community/Qwen3-8B-8bit"


def test_mlx_suggests_only_what_it_loads_no_wider_than_the_release(client, catalog):
    llama = api(client, f"model={LLAMA_8B}&quant=mlx-4bit&gpu={M4_MAX}&runtime=mlx").json()
    formats = {s["changes"]["quant"] for s in llama["suggestions"] if s["kind"] == "quant"}
    assert formats <= {"mlx-5bit", "mlx-6bit", "mlx-8bit", "bf16", "f16"}  # what MLX loads, up to 16 bits
    # DeepSeek R1 was released in FP8: nothing wider, and only the 3- and 4-bit conversions exist
    deepseek = api(client, "model=deepseek-r1&quant=mlx-3bit&gpu=apple-m3-ultra-512gb&runtime=mlx").json()
    widths = {s["changes"]["quant"] for s in deepseek["suggestions"] if s["kind"] == "quant"}
    assert widths <= {"mlx-4bit"}
    sizes = {q.slug: q.bits_per_weight for q in Quantization.objects.filter(slug__in=widths)}
    assert all(bits <= 8.5008 for bits in sizes.values())


def test_a_model_without_a_published_conversion_gets_the_convert_line_then_the_server(client, catalog):
    assert not Artifact.objects.filter(llm__slug="gemma-2-9b-it", kind="mlx").exists()
    body = api(client, f"model=gemma-2-9b-it&gpu={M4_MAX}&runtime=mlx").json()
    command = body["plans"][0]["commands"]["mlx_lm"]
    (convert, serve), comments = parse(command)
    assert comments[0].startswith("# No published MLX 4-bit conversion of Gemma 2 9B")
    assert convert.program == ("mlx_lm.convert",) and convert.flags == {
        "--hf-path": "google/gemma-2-9b-it",
        "-q": None,
        "--q-bits": "4",
        "--q-group-size": "64",
        "--mlx-path": "models/gemma-2-9b-it-mlx-4bit",
    }
    assert serve.flags["--model"] == "models/gemma-2-9b-it-mlx-4bit" and "/path/to/" not in command
    assert LlmModel.objects.get(slug="gemma-2-9b-it").artifacts.filter(repo="google/gemma-2-9b-it").exists()


def test_gpt_oss_without_a_published_4_bit_conversion_is_converted_from_its_mxfp4_release(client, catalog):
    """The review: gpt-oss-120b on an M4 Max with MLX said yes, 91 tok/s, and gave no command. mlx-lm
    converts OpenAI's MXFP4 release as it does a 16-bit checkpoint (MLX_CONVERTS)."""
    body = api(client, f"model=gpt-oss-120b&gpu={M4_MAX}&runtime=mlx&ctx=32768").json()
    command = body["plans"][0]["commands"]["mlx_lm"]
    (convert, serve), _comments = parse(command)
    assert convert.flags["--hf-path"] == "openai/gpt-oss-120b" and convert.flags["--q-bits"] == "4"
    assert serve.flags["--model"] == convert.flags["--mlx-path"]


def test_a_70b_over_a_48_gb_macs_limit_is_offered_mlx_3_bit_before_another_runtimes_cluster(client, catalog):
    """A visitor review: Llama 3.3 70B under MLX at 8K on a 48 GB M4 Pro, 39.7 of 36.0 GiB, was offered only
    "2 machines … but only with another runtime", though MLX 3-bit fits (31.5 GiB, 7.6 tok/s): the picker
    lists MLX's 4 and 8 bits only, and no 3-bit conversion of it is published; mlx_lm.convert makes one."""
    query = "model=llama-3-3-70b-instruct&gpu=apple-m4-pro-48gb&ctx=8192&runtime=mlx"
    body = api(client, query).json()
    assert not body["fits"]
    first, *rest = body["suggestions"]
    assert first["kind"] == "quant" and first["changes"] == {"quant": "mlx-3bit"} and first["fits"]
    assert first["text"].startswith("MLX 3-bit fits")
    assert api(client, first["permalink"].removeprefix("/?")).json()["fits"]
    # the raised GPU limit, at the context it holds, before the cluster MLX cannot run
    kinds = [s["kind"] for s in rest]
    assert kinds.index("wired_limit") < kinds.index("hosts")
    raised = rest[kinds.index("wired_limit")]
    assert "sudo sysctl iogpu.wired_limit_mb=40960" in raised["text"]
    assert re.search(r"it fits with up to [\d,]+ tokens of context", raised["text"])
    page = client.get(f"/?{query}").content.decode()
    assert "MLX 3-bit fits" in page
