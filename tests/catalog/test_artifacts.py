"""Published artifacts: loaded from fixtures/catalog/artifacts.json with their sources, checked for shape
(`manage.py check_artifacts`), edited in the admin with history, never undone by a load, linked from
each model's page."""

import io
import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from catalog.models import Artifact, LlmModel, Runtime
from tests.conftest import make_llm

pytestmark = pytest.mark.django_db

FIXTURE = settings.BASE_DIR / "fixtures" / "catalog" / "artifacts.json"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-for-tests")
    client.force_login(user)
    return user


def test_every_llm_the_sources_cover_has_its_sourced_artifacts(catalog):
    rows = json.loads(FIXTURE.read_text())
    assert Artifact.objects.count() == len(rows) == 596
    covered = {row["llm"] for row in rows}
    assert len(covered) == 162 and not LlmModel.objects.filter(slug__in=covered, artifacts=None).exists()
    assert not Artifact.objects.exclude(source_url__startswith="https://").exists()
    # the gaps the sources record stay gaps: no Q4_K_M GGUF of Llama 3.1 405B, gpt-oss only in MXFP4
    assert not Artifact.objects.filter(
        llm__slug="llama-3-1-405b-instruct", formats__contains="q4_k_m"
    ).exists()
    gpt_oss = Artifact.objects.filter(llm__slug__startswith="gpt-oss")
    assert {f for a in gpt_oss for f in a.formats} == {"mxfp4"}


def test_check_artifacts_passes_on_the_catalog_and_its_fixture(catalog):
    out = io.StringIO()
    call_command("check_artifacts", stdout=out)
    assert "596 artifacts of 162 models" in out.getvalue()
    assert "Every artifact has the shape its kind needs." in out.getvalue()
    call_command("check_artifacts", "--fixture", stdout=io.StringIO())


def test_check_artifacts_names_each_problem(db):
    llm = make_llm()
    Artifact.objects.create(  # written around the admin's checks
        slug="bad",
        llm=llm,
        kind="gguf",
        repo="not a repo",
        tag="model.bin",
        formats=["q9_z"],
        source_url="http://example.com/",
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="4 problems"):
        call_command("check_artifacts", stdout=out)
    report = out.getvalue()
    assert "bad: repo: “not a repo” is not a Hugging Face repo id (owner/name)." in report
    assert "bad: tag: “model.bin” is not a GGUF file pattern" in report
    assert "bad: formats: Not catalog formats: q9_z." in report
    assert "bad: source_url: “http://example.com/” is not an https:// page." in report


@pytest.mark.parametrize(
    ("kind", "repo", "tag", "field"),
    [
        ("gguf", "bartowski/Qwen3-8B", "*-{QUANT}*.gguf", "repo"),  # a GGUF repo says GGUF
        ("gguf", "bartowski/Qwen3-8B-GGUF", "Qwen3-8B-{BITS}.gguf", "tag"),  # only {QUANT} / {quant}
        ("gguf", "bartowski/Qwen3-8B-GGUF", "Qwen3-8B.safetensors", "tag"),
        ("ollama", "Llama3.3", "70b", "repo"),  # library names are lower case
        ("ollama", "llama3.3", "", "tag"),
        ("mlx", "mlx-community/Qwen3-8B-4bit", "4-bit", "tag"),
        ("awq", "Qwen/Qwen3-8B-AWQ", "main", "tag"),  # a checkpoint is the whole repo
        ("fp8", "Qwen/Qwen3--8B-FP8", "", "repo"),
    ],
)
def test_an_artifact_of_the_wrong_shape_is_refused_next_to_the_field(db, kind, repo, tag, field):
    artifact = Artifact(
        llm=make_llm(), kind=kind, repo=repo, tag=tag, source_url="https://huggingface.co/x/y"
    )
    with pytest.raises(ValidationError) as error:
        artifact.full_clean()
    assert field in error.value.message_dict


@pytest.mark.parametrize(
    ("tag", "formats", "message"),
    [
        ("4bit", ["mlx-8bit"], "An MLX repository tagged “4bit” provides mlx-4bit, not mlx-8bit."),
        ("4bit", ["mlx-4bit", "bf16"], "An MLX repository tagged “4bit” provides mlx-4bit, not bf16."),
        ("bf16", ["mlx-4bit"], "An MLX repository tagged “bf16” provides bf16, not mlx-4bit."),
        (
            "",
            ["bf16"],
            "Give the MLX repository's width in its tag (4bit, bf16...) before listing its format.",
        ),
    ],
)
def test_an_mlx_repository_provides_only_the_width_its_tag_names(db, tag, formats, message):
    artifact = Artifact(
        llm=make_llm(),
        kind="mlx",
        repo="mlx-community/Meta-Llama-3.1-8B-Instruct-4bit",
        tag=tag,
        formats=formats,
        source_url="https://huggingface.co/mlx-community/Meta-Llama-3.1-8B-Instruct-4bit",
    )
    with pytest.raises(ValidationError) as error:
        artifact.full_clean(exclude=["slug"])
    assert error.value.message_dict["formats"] == [message]


def test_the_admin_refuses_an_mlx_width_the_tag_does_not_name(client, staff, catalog):
    data = {
        "llm": LlmModel.objects.get(slug="qwen3-8b").pk,
        "kind": "mlx",
        "repo": "mlx-community/Qwen3-8B-6bit",
        "tag": "6bit",
        "formats": '["mlx-4bit"]',
        "source_url": "https://huggingface.co/mlx-community/Qwen3-8B-6bit",
        "change_reason": "new upload",
    }
    response = client.post("/admin/catalog/artifact/add/", data)
    errors = response.context["adminform"].form.errors["formats"]
    assert errors == ["An MLX repository tagged “6bit” provides mlx-6bit, not mlx-4bit."]
    data["formats"] = '["mlx-6bit"]'
    assert client.post("/admin/catalog/artifact/add/", data).status_code == 302


@pytest.mark.parametrize(
    ("kind", "repo", "tag"),
    [
        ("gguf", "unsloth/DeepSeek-R1-GGUF", "DeepSeek-R1-{QUANT}/DeepSeek-R1-{QUANT}-*.gguf"),
        ("gguf", "Qwen/Qwen3-8B-GGUF", ""),
        ("ollama", "gpt-oss", "120b"),
        ("mlx", "mlx-community/Qwen3-8B-4bit", "4bit"),
        ("safetensors", "meta-llama/Llama-3.1-8B-Instruct", ""),
    ],
)
def test_well_formed_artifacts_are_accepted_and_get_a_slug(db, kind, repo, tag):
    artifact = Artifact(
        llm=make_llm(), kind=kind, repo=repo, tag=tag, source_url="https://huggingface.co/x/y"
    )
    artifact.full_clean(exclude=["slug"])
    artifact.save()
    assert artifact.slug.startswith(f"llama-3-1-8b-instruct-{kind}-")


def test_the_admin_lists_filters_and_searches_artifacts(client, staff, catalog):
    response = client.get("/admin/catalog/artifact/?kind__exact=gguf&q=bartowski")
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert rows and all(a.kind == "gguf" and "bartowski" in a.repo for a in rows)


def test_an_admin_edit_is_recorded_and_survives_a_load(client, staff, catalog):
    artifact = Artifact.objects.get(llm__slug="qwen3-8b", kind="ollama")
    url = f"/admin/catalog/artifact/{artifact.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {b.name: ("" if b.value() is None else b.value()) for b in form}
    data |= {"note": "Checked by hand on ollama.com.", "change_reason": "verified the tag"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    artifact.refresh_from_db()
    assert artifact.admin_edited_fields == ["note"]
    assert artifact.history.first().history_change_reason == "verified the tag"
    call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())
    artifact.refresh_from_db()
    assert artifact.note == "Checked by hand on ollama.com."


def test_the_admin_refuses_formats_the_catalog_lacks_or_the_kind_cannot_hold(client, staff, catalog):
    llm = LlmModel.objects.get(slug="qwen3-8b")
    data = {
        "llm": llm.pk,
        "kind": "gguf",
        "repo": "someone/Qwen3-8B-GGUF",
        "tag": "Qwen3-8B-{QUANT}.gguf",
        "formats": '["q4_k_m", "awq-4bit", "q9_z"]',
        "source_url": "https://huggingface.co/someone/Qwen3-8B-GGUF",
        "change_reason": "new upload",
    }
    response = client.post("/admin/catalog/artifact/add/", data)
    errors = response.context["adminform"].form.errors["formats"]
    assert "Not catalog formats: q9_z." in errors and "A gguf artifact cannot hold awq-4bit." in errors
    data["formats"] = '["q4_k_m"]'
    assert client.post("/admin/catalog/artifact/add/", data).status_code == 302
    assert Artifact.objects.get(repo="someone/Qwen3-8B-GGUF").admin_edited_fields  # an editor's row


def test_a_runtime_names_only_known_backends_and_format_families(catalog):
    vllm = Runtime.objects.get(slug="vllm")
    assert vllm.families_on("cuda") >= {"awq", "gptq", "fp8", "float"} and vllm.families_on("metal") == set()
    vllm.formats = {"metal": ["float"], "cuda": ["safetensors"]}
    with pytest.raises(ValidationError) as error:
        vllm.full_clean()
    message = error.value.message_dict["formats"][0]
    assert (
        "Metal is not among this runtime's backends" in message
        and "unknown format family “safetensors”" in message
    )


def test_the_model_page_links_its_artifacts_and_their_sources(client, catalog):
    html = client.get("/models/gpt-oss-120b/").content.decode()
    assert 'href="https://huggingface.co/ggml-org/gpt-oss-120b-GGUF"' in html
    assert 'href="https://ollama.com/library/gpt-oss:120b"' in html
    assert "MXFP4" in html and 'data-testid="artifacts"' in html


def test_a_model_without_artifacts_says_where_the_path_goes(client, db):
    make_llm(slug="own-model", name="Own model")
    html = client.get("/models/own-model/").content.decode()
    assert "No published weights of Own model are known to this site" in html


def test_a_gguf_repositorys_layout_reaches_the_engine_and_only_a_gguf_has_one(db):
    llm = make_llm()
    artifact = Artifact(
        llm=llm,
        kind="gguf",
        repo="Qwen/Qwen2.5-7B-Instruct-GGUF",
        tag="qwen2.5-7b-instruct-{quant}.gguf",
        formats=["q3_k_m", "q4_k_m"],
        files={"q4_k_m": 2, "q3_k_m": 1},
        part_gb=4,
        source_url="https://huggingface.co/Qwen/Qwen2.5-7B-Instruct-GGUF",
    )
    artifact.full_clean(exclude=["slug"])
    spec = artifact.as_spec()
    assert spec.files == (("q3_k_m", 1), ("q4_k_m", 2)) and spec.part_gb == 4 and spec.parts_tag is None
    awq = Artifact(
        llm=llm,
        kind="awq",
        repo="Qwen/Qwen2.5-7B-Instruct-AWQ",
        formats=["awq-4bit"],
        part_gb=4,
        source_url="https://huggingface.co/Qwen/Qwen2.5-7B-Instruct-AWQ",
    )
    with pytest.raises(ValidationError) as error:
        awq.full_clean(exclude=["slug"])
    assert "part_gb" in error.value.message_dict
