"""'Use my own model' with a Hugging Face id: its config.json and file list fetched within one deadline,
cached, kept in the permalink; the format the repo holds is the one sized (an AWQ checkpoint as AWQ, a
GGUF repo as one of its quants), and its files are listed; gated, missing and slow repositories get a
clear message. The Hub is a local fake serving answers shaped as the Hub's (tests/catalog/fake_hub.py):
the real Hub cannot be reached from the test machines."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string

from calculator import hub_config
from calculator.forms import QuestionForm
from calculator.question import Question
from tests.catalog.fake_hub import (  # noqa: F401
    fake_hub_fixture,
    model_info,
    ok,
    ranged,
    silent,
    status,
    trickle,
)
from tests.catalog.test_byo import LLAMA_31_8B, write_tiny_gguf

# a fine-tune the catalog does not know: a catalog model's id answers without the Hub
REPO = "acme/Llama-3.1-8B-Instruct-tuned"
HARDWARE = {"quant": "q4_k_m", "gpu": "geforce-rtx-3090", "ctx": "8192"}

# An AWQ checkpoint: AutoAWQ's quantization_config (bits, group_size, quant_method, version, zero_point)
AWQ_REPO = "acme/Llama-3.1-8B-Instruct-AWQ"
AWQ_CONFIG = LLAMA_31_8B | {
    "torch_dtype": "float16",
    "quantization_config": {
        "bits": 4,
        "group_size": 128,
        "quant_method": "awq",
        "version": "gemm",
        "zero_point": True,
    },
}
AWQ_FILES = {
    ".gitattributes": 1519,
    "README.md": 5210,
    "config.json": 1022,
    "generation_config.json": 184,
    "model-00001-of-00002.safetensors": 4_682_270_360,
    "model-00002-of-00002.safetensors": 1_050_673_280,
    "model.safetensors.index.json": 62_681,
    "tokenizer.json": 9_085_657,
    "tokenizer_config.json": 55_351,
}
# A GGUF-only repo (no config.json), as bartowski's and unsloth's are laid out: one file per quant, the
# larger quants split in shards, a vision projector beside them.
GGUF_REPO = "acme/Tiny-Llama-GGUF"
GGUF_FILES = {
    ".gitattributes": 2291,
    "README.md": 4120,
    "Tiny-Llama-IQ4_XS.gguf": 4_447_672_672,
    "Tiny-Llama-Q4_K_M.gguf": 4_920_733_984,
    "Tiny-Llama-Q8_0.gguf": 8_540_770_592,
    "Tiny-Llama-Q6_K-00001-of-00002.gguf": 4_000_000_000,
    "Tiny-Llama-Q6_K-00002-of-00002.gguf": 2_596_007_200,
    "mmproj-Tiny-Llama-f16.gguf": 851_251_104,
}


@pytest.fixture
def tiny_gguf(tmp_path) -> bytes:
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    return path.read_bytes()


def serve(fake_hub, repo_id, *, config=None, files=None, **more):
    """The fake Hub answers for one repo: its config.json (404 EntryNotFound without), its file list."""
    fake_hub.routes[fake_hub.config_path(repo_id)] = (
        ok(json.dumps(config).encode()) if config else status(404, "EntryNotFound")
    )
    if files is not None:
        fake_hub.routes[fake_hub.info_path(repo_id)] = ok(model_info(repo_id, files, **more))


def test_a_hugging_face_id_answers_as_for_a_catalog_model(client, catalog, fake_hub):
    serve(fake_hub, REPO, config=LLAMA_31_8B, files={"config.json": 855, "model.safetensors": 16_060_522_496})
    response = client.post("/own-model/", {**HARDWARE, "ctx": "16384", "hf_id": f" {REPO} "})
    assert response.status_code == 303
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["ctx"] == ["16384"] and "model" not in query
    config = json.loads(query["config"][0])
    assert config["_name_or_path"] == REPO and config["num_hidden_layers"] == 32
    page = client.get(response["Location"])
    listed = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=16384")
    assert page.context["result"].memory.kv_cache_bytes == listed.context["result"].memory.kv_cache_bytes
    assert REPO in page.content.decode()
    assert fake_hub.asked() == [fake_hub.config_path(REPO), fake_hub.info_path(REPO)]
    # asked again: the answer comes from the cache, the Hub is not asked twice
    client.post("/own-model/", {**HARDWARE, "hf_id": REPO})
    assert len(fake_hub.requests) == 2


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (status(403), "gated or private"),
        (
            status(401, "RepoNotFound"),
            "The Hub has no repo acme/Llama-3.1-8B-Instruct-tuned, or it is private",
        ),
        (status(404), "has no config.json"),
        (ok(b"[1, 2]"), "not a JSON object"),
    ],
)
def test_gated_missing_or_unusable_repos_get_a_400_with_the_reason(client, catalog, fake_hub, answer, says):
    fake_hub.routes[fake_hub.config_path(REPO)] = answer
    response = client.post("/own-model/", {**HARDWARE, "model": "llama-3-1-8b-instruct", "hf_id": REPO})
    assert response.status_code == 400
    assert says in " ".join(response.context["form"].errors["config"])
    assert response.context["form"].data["gpu"] == "geforce-rtx-3090"  # nothing typed is lost
    # the refusal is remembered for a few minutes: a retry does not ask the Hub again
    asked = len(fake_hub.requests)
    client.post("/own-model/", {**HARDWARE, "hf_id": REPO})
    assert len(fake_hub.requests) == asked


def test_a_gated_repo_says_so_and_what_to_do(client, catalog, fake_hub):
    """The Hub lists a gated repo's files to anyone (`gated`: "manual") but gives them only to accounts
    that accepted its terms: config.json answers 401 with X-Error-Code GatedRepo."""
    gated = "acme/Gated-70B"
    fake_hub.routes[fake_hub.config_path(gated)] = status(401, "GatedRepo")
    fake_hub.routes[fake_hub.info_path(gated)] = ok(model_info(gated, AWQ_FILES, gated="manual"))
    response = client.post("/own-model/", {**HARDWARE, "hf_id": gated})
    assert response.status_code == 400
    assert response.context["form"].errors["config"] == [
        "acme/Gated-70B is gated (HTTP 401): the Hub gives its files only to accounts that accepted its "
        "terms. Paste its config.json instead."
    ]
    assert fake_hub.asked() == [fake_hub.config_path(gated)]  # its file list would not help


@pytest.mark.parametrize(
    ("filename", "label"),
    [
        ("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
        ("qwen2.5-7b-instruct-q8_0.gguf", "Q8_0"),
        ("Qwen3-30B-A3B-UD-Q4_K_XL.gguf", "UD-Q4_K_XL"),
        ("gpt-oss-120b-MXFP4-00001-of-00002.gguf", "MXFP4"),
        ("Q4_K_M/Kimi-K2-Instruct-Q4_K_M-00001-of-00013.gguf", "Q4_K_M"),
        ("Llama-3.3-70B-Instruct-IQ2_XXS.gguf", "IQ2_XXS"),
        ("gemma-3-27b-it-BF16.gguf", "BF16"),
        ("ggml-model-f16.gguf", "F16"),
        ("tinyllama.gguf", ""),
    ],
)
def test_a_gguf_file_name_gives_its_quant(filename, label):
    assert hub_config.gguf_label(filename) == label


def test_an_mlx_repo_is_sized_in_its_own_bits(catalog, fake_hub):
    mlx = "acme/Llama-3.1-8B-Instruct-4bit"
    files = {"config.json": 1200, "model.safetensors": 4_517_134_336, "model.safetensors.index.json": 70_000}
    mlx_config = LLAMA_31_8B | {"quantization": {"group_size": 64, "bits": 4}}
    serve(fake_hub, mlx, config=mlx_config, files=files, library_name="mlx", tags=["mlx", "text-generation"])
    found = hub_config.model_from_hub(mlx)
    assert hub_config.byo.checkpoint_format(json.loads(found.config)) == "mlx-4bit"  # kept in its permalink
    assert [(v.label, v.quant, v.files) for v in found.variants] == [
        ("safetensors", "mlx-4bit", ("model.safetensors",))
    ]


def test_not_an_id_is_refused_without_asking_the_hub(client, catalog, fake_hub):
    response = client.post("/own-model/", {**HARDWARE, "hf_id": "https://example.com/../etc/passwd"})
    assert response.status_code == 400
    assert "is not a Hugging Face repo id" in response.content.decode()
    assert fake_hub.requests == []


def test_a_silent_hub_gives_up_at_the_deadline(client, catalog, fake_hub, monkeypatch):
    monkeypatch.setattr(hub_config, "TIMEOUT_S", 0.5)
    fake_hub.routes[fake_hub.config_path(REPO)] = silent()
    started = time.monotonic()
    response = client.post("/own-model/", {**HARDWARE, "hf_id": REPO})
    assert time.monotonic() - started < 2
    assert response.status_code == 400
    assert "did not answer within" in response.content.decode()


def test_an_awq_checkpoint_is_sized_as_awq_whatever_format_was_chosen(catalog, fake_hub):
    serve(fake_hub, AWQ_REPO, config=AWQ_CONFIG, files=AWQ_FILES)
    found = hub_config.model_from_hub(AWQ_REPO)
    assert hub_config.byo.checkpoint_format(json.loads(found.config)) == "awq-4bit"
    [checkpoint] = found.variants
    assert checkpoint.files == ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
    assert checkpoint.size_bytes == 4_682_270_360 + 1_050_673_280
    query = QueryDict("quant=q4_k_m&runtime=llama.cpp&gpu=geforce-rtx-3090", mutable=True)
    found.fill(query)
    # the format chosen before gives way, and llama.cpp with it (it does not run AWQ): the form fills in the one
    # its config.json declares
    assert query["quant"] == "" and "runtime" not in query
    form = QuestionForm(query)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["quant"].slug == "awq-4bit" and form.cleaned_data["runtime"] == "vllm"


def test_a_gguf_repo_is_read_from_one_header_and_offers_its_own_quants(catalog, fake_hub, tiny_gguf):
    serve(fake_hub, GGUF_REPO, files=GGUF_FILES, library_name="gguf", tags=["gguf", "text-generation"])
    fake_hub.routes[fake_hub.file_path(GGUF_REPO, "Tiny-Llama-IQ4_XS.gguf")] = ranged(tiny_gguf)
    found = hub_config.model_from_hub(GGUF_REPO)
    config = json.loads(found.config)
    assert config["_name_or_path"] == GGUF_REPO and config["num_hidden_layers"] == 2
    # the smallest file's first megabytes, asked as an HTTP Range: never the whole file
    path, headers = fake_hub.requests[-1]
    assert path == fake_hub.file_path(GGUF_REPO, "Tiny-Llama-IQ4_XS.gguf")
    assert headers["Range"] == f"bytes=0-{hub_config.GGUF_HEADER_BYTES - 1}"
    # smallest first; the shards of Q6_K are one variant; the vision projector is not the model
    assert [(v.label, v.quant, len(v.files)) for v in found.variants] == [
        ("IQ4_XS", "iq4_xs", 1),
        ("Q4_K_M", "q4_k_m", 1),
        ("Q6_K", "q6_k", 2),
        ("Q8_0", "q8_0", 1),
    ]
    assert found.variants[2].size_bytes == 6_596_007_200
    assert found.quant_for("q8_0") == "q8_0"  # the visitor's choice, when the repo has it
    assert found.quant_for("awq-4bit") == "q4_k_m"  # else Q4_K_M


def test_a_gguf_header_too_long_or_too_slow_is_a_clear_message(catalog, fake_hub, tiny_gguf, monkeypatch):
    serve(fake_hub, GGUF_REPO, files=GGUF_FILES)
    smallest = fake_hub.file_path(GGUF_REPO, "Tiny-Llama-IQ4_XS.gguf")
    fake_hub.routes[smallest] = ranged(tiny_gguf)
    monkeypatch.setattr(hub_config, "GGUF_HEADER_BYTES", 100)  # the metadata goes on past it
    with pytest.raises(hub_config.byo.ModelFileError, match="the first 100 bytes of Tiny-Llama-IQ4_XS.gguf"):
        hub_config.model_from_hub(GGUF_REPO)
    hub_config.cache.clear()
    monkeypatch.setattr(hub_config, "TIMEOUT_S", 0.5)
    fake_hub.routes[smallest] = trickle(tiny_gguf, delay_s=0.05)
    started = time.monotonic()
    with pytest.raises(hub_config.byo.HubTooSlow, match="did not answer within 0.5 s"):
        hub_config.model_from_hub(GGUF_REPO)
    assert time.monotonic() - started < 1.0


def test_a_gguf_repo_without_any_gguf_is_a_clear_message(catalog, fake_hub):
    serve(fake_hub, "acme/empty", files={"README.md": 120})
    with pytest.raises(hub_config.byo.ModelFileError, match="neither a config.json nor a GGUF file"):
        hub_config.model_from_hub("acme/empty")


def test_a_huge_file_list_is_refused_and_the_config_still_answers(catalog, fake_hub):
    files = {f"checkpoints/step-{i:05d}/model.safetensors": 4_000_000_000 for i in range(8000)}
    serve(fake_hub, REPO, config=LLAMA_31_8B, files=files)
    found = hub_config.model_from_hub(REPO)
    assert json.loads(found.config)["num_hidden_layers"] == 32 and found.variants == ()
    assert "lists too many files to read here" in found.note
    assert found.note.endswith("The answer uses its config.json alone.")


def test_a_slow_file_list_ends_at_the_same_deadline(catalog, fake_hub, monkeypatch):
    monkeypatch.setattr(hub_config, "TIMEOUT_S", 0.5)
    fake_hub.routes[fake_hub.config_path(REPO)] = ok(json.dumps(LLAMA_31_8B).encode())
    fake_hub.routes[fake_hub.info_path(REPO)] = silent()
    started = time.monotonic()
    found = hub_config.model_from_hub(REPO)
    assert time.monotonic() - started < 1.0  # one deadline for the config and the list together
    assert f"The Hub did not list {REPO}'s files within 0.5 s" in found.note
    # an answer without its file list is kept for a minute only, then the Hub is asked again
    assert hub_config.cached(REPO) == found


def test_the_variants_partial_lists_the_files_and_links_each_format(catalog, fake_hub, tiny_gguf):
    serve(fake_hub, GGUF_REPO, files=GGUF_FILES)
    fake_hub.routes[fake_hub.file_path(GGUF_REPO, "Tiny-Llama-IQ4_XS.gguf")] = ranged(tiny_gguf)
    query = QueryDict("gpu=geforce-rtx-3090&quant=awq-4bit&ctx=2048", mutable=True)
    hub_config.model_from_hub(GGUF_REPO).fill(query)
    form = QuestionForm(query)
    assert form.is_valid(), form.errors
    question = Question.from_form(form)
    html = render_to_string("calculator/_hub_variants.html", {"hub_files": hub_config.for_page(question)})
    assert f'href="https://huggingface.co/{GGUF_REPO}"' in html
    assert (
        "<code>Tiny-Llama-Q6_K-00001-of-00002.gguf</code>, <code>Tiny-Llama-Q6_K-00002-of-00002.gguf</code>"
        in html
    )
    assert '<li data-testid="hub-variant" aria-current="true"><strong>Q4_K_M</strong>' in html
    assert f'href="{question.permalink(quant="q8_0")}"' in html.replace("&amp;", "&")
    assert "mmproj" not in html


def test_the_variants_partial_is_empty_for_a_model_not_read_from_the_hub(catalog):
    form = QuestionForm(QueryDict("gpu=geforce-rtx-3090&model=llama-3-1-8b-instruct&quant=q4_k_m"))
    assert form.is_valid()
    assert hub_config.for_page(Question.from_form(form)) is None
    assert render_to_string("calculator/_hub_variants.html", {"hub_files": None}).strip() == ""


def test_the_page_sizes_the_repo_format_and_lists_its_files(client, catalog, fake_hub):
    serve(fake_hub, AWQ_REPO, config=AWQ_CONFIG, files=AWQ_FILES)
    response = client.post("/own-model/", {**HARDWARE, "hf_id": AWQ_REPO})
    assert response.status_code == 303
    assert parse_qs(urlsplit(response["Location"]).query)["quant"] == ["awq-4bit"]
    page = client.get(response["Location"]).content.decode()
    said = "Its config.json says the weights are AWQ 4-bit, groups of 128: the answer is sized in that format"
    assert 'data-testid="own-format"' in page and f"{said}, AWQ 4-bit g128." in page
    assert "<code>model-00001-of-00002.safetensors</code>" in page


def test_a_catalog_models_id_answers_with_the_catalog_model_without_the_hub(client, catalog, fake_hub):
    """A visitor review: Qwen/Qwen3-32B typed into "Use my own model" asked the Hub (and, unreachable,
    showed its errno) though the catalog has that model; now it is the catalog's, files and all."""
    response = client.post("/own-model/", {**HARDWARE, "hf_id": " qwen/qwen3-32b "})
    assert response.status_code == 303
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["model"] == ["qwen3-32b"] and "config" not in query and query["ctx"] == ["8192"]
    assert fake_hub.requests == []


def test_an_unreachable_hub_is_said_in_words_not_an_errno(client, catalog, fake_hub, monkeypatch):
    monkeypatch.setattr("catalog.hub.HUB_URL", "http://127.0.0.1:9")  # nothing listens: refused at once
    response = client.post("/own-model/", {**HARDWARE, "hf_id": REPO})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Could not reach the Hugging Face Hub just now" in text and "Errno" not in text


@pytest.mark.parametrize(
    "typed",
    [
        "https://huggingface.co/Qwen/Qwen3-32B",
        "huggingface.co/Qwen/Qwen3-32B/tree/main",
        "https://hf.co/Qwen/Qwen3-32B?library=transformers",
    ],
)
def test_a_model_pages_address_reads_as_its_id(client, catalog, fake_hub, typed):
    """A visitor review: pasting the model page's address, the commonest thing to do, was refused."""
    response = client.post("/own-model/", {**HARDWARE, "hf_id": typed})
    assert response.status_code == 303
    assert parse_qs(urlsplit(response["Location"]).query)["model"] == ["qwen3-32b"]
    assert fake_hub.requests == []
