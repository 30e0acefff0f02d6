"""Bad input never hurts anyone: every finding of issue 12 about configs, the engine's caches and admin
edits, each answered with a message (page) or a 400 (API), never a 500 nor unbounded work."""

import json
import logging
import re
from urllib.parse import urlencode

import pytest

from catalog import byo
from catalog.models import Gpu, LlmModel
from estimator import DeviceSpec, ModelSpec, QuantSpec, Workload, estimate, limits, memory
from tests.catalog.test_byo import LLAMA_31_8B
from tests.conftest import GIB, make_gpu, make_llm, make_quant

pytestmark = pytest.mark.django_db

HARDWARE = {"quant": "q4_k_m", "gpu": "geforce-rtx-3090", "ctx": "4096"}


@pytest.fixture
def small_catalog(db):
    return make_llm(), make_quant(), make_gpu()


def nested(depth: int) -> str:
    return (
        json.dumps({**LLAMA_31_8B, "rope_scaling": None})[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"
    )


# What each config carries, and the words of the message that refuses it.
BAD_CONFIGS = [
    pytest.param(json.dumps({**LLAMA_31_8B, "num_hidden_layers": 1_000_000}), "1024", id="a million layers"),
    pytest.param(
        json.dumps({**LLAMA_31_8B, "num_local_experts": 1_000_000, "num_experts_per_tok": 2}),
        "4096",
        id="a million experts",
    ),
    pytest.param(nested(931), "nests deeper than 20", id="nested 931 deep"),
    pytest.param('{"hidden_size": ' + "9" * 4301 + "}", "not valid JSON", id="a 4,301-digit integer"),
    pytest.param(json.dumps({**LLAMA_31_8B, "hidden_size": 10**154}), "131072", id="hidden_size 1e154"),
    pytest.param(json.dumps({**LLAMA_31_8B, "vocab_size": 10**12}), "4194304", id="a huge vocabulary"),
]


@pytest.mark.parametrize(("config", "message"), BAD_CONFIGS)
def test_a_config_beyond_physical_ranges_is_a_message_on_the_page(client, small_catalog, config, message):
    response = client.get("/?" + urlencode({**HARDWARE, "config": config}))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["config"])
    assert message in errors


@pytest.mark.parametrize(("config", "message"), BAD_CONFIGS)
def test_a_config_beyond_physical_ranges_is_a_400_in_the_api(client, small_catalog, config, message):
    response = client.get("/api/v1/estimate?" + urlencode({**HARDWARE, "config": config}))
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["config"])


@pytest.mark.parametrize(("config", "message"), BAD_CONFIGS[:4])
def test_the_preview_image_and_compare_refuse_it_without_a_500(client, small_catalog, config, message):
    query = urlencode({**HARDWARE, "config": config})
    assert client.get(f"/og.png?{query}").status_code in (200, 400, 414)
    compare = client.get("/compare/?" + urlencode({"q": query}))  # 414: longer than an address may be
    assert compare.status_code in (200, 400, 414)


@pytest.mark.parametrize(("config", "message"), BAD_CONFIGS)
def test_uploading_it_as_a_file_is_a_400_with_the_reason(client, small_catalog, config, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("config.json", config.encode())
    response = client.post("/own-model/", {**HARDWARE, "model": "llama-3-1-8b-instruct", "file": upload})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_real_config_still_fits_every_limit():
    assert byo.to_spec(byo.parse_config(json.dumps(LLAMA_31_8B))).num_hidden_layers == 32


def test_json_nesting_is_measured_outside_strings():
    assert not byo.json_too_deep(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[[["}', 20)
    assert byo.json_too_deep(b"[" * 21 + b"]" * 21, 20)
    assert not byo.json_too_deep(b"[" * 20 + b"]" * 20, 20)


def test_engine_specs_name_the_limit():
    with pytest.raises(ValueError, match="less than or equal to 1024"):
        ModelSpec(**{**_spec_fields(), "num_hidden_layers": 1025})
    with pytest.raises(ValueError, match="multiple of num_key_value_heads"):
        ModelSpec(**{**_spec_fields(), "num_key_value_heads": 12})
    with pytest.raises(ValueError, match="less than or equal to 16"):
        Workload(hosts=17)


def _spec_fields() -> dict:
    return {
        "slug": "m",
        "name": "M",
        "num_hidden_layers": 32,
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "vocab_size": 128256,
        "total_params_b": 8.03,
    }


def test_the_engine_caches_stay_bounded_in_size_whatever_the_models():
    """A table per (model, format) is kept only while the tables together stay under the cache's size."""
    table = memory.layer_bytes_table
    table.cache_clear()
    quant = QuantSpec(slug="q", name="Q", bits_per_weight=4.5)
    for i in range(400):  # 400 distinct deepest models: 409,600 layers, more than the cache keeps
        model = ModelSpec(**{**_spec_fields(), "slug": f"m{i}", "num_hidden_layers": limits.MAX_LAYERS})
        assert len(table(model, quant)) == limits.MAX_LAYERS
    info = table.cache_info()
    assert info["size"] <= info["max_size"] and info["entries"] < 400
    table.cache_clear()


def test_the_deepest_model_on_the_most_devices_is_answered():
    """The largest question the limits allow is answered (bench/README.md has how long it takes)."""
    model = ModelSpec(**{**_spec_fields(), "num_hidden_layers": limits.MAX_LAYERS})
    device = DeviceSpec(slug="g", name="G", memory_bytes=24 * GIB, bandwidth_gb_s=936.0)
    result = estimate(
        model=model,
        quant=QuantSpec(slug="q", name="Q", bits_per_weight=4.5),
        devices=[device] * limits.MAX_DEVICES,
        workload=Workload(),
        with_suggestions=False,
    )
    assert result.plans


# ---- Admin edits the engine would refuse -----------------------------------------------------------


@pytest.fixture
def editor(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("ed", "ed@example.com", "pw-for-tests"))


def _change_form(client, url) -> dict:
    from tests.catalog.test_admin import change_form_data

    return change_form_data(client, url)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"num_key_value_heads": "64"},
            "num_key_value_heads",
            "KV heads cannot outnumber the attention heads",
        ),
        ({"hidden_size": "0"}, "hidden_size", "greater than 0"),
        ({"active_params_b": "9999"}, "active_params_b", "active_params_b 9999 > total_params_b"),
        ({"num_hidden_layers": "100000"}, "num_hidden_layers", "less than or equal to 1024"),
    ],
)
def test_the_admin_refuses_a_model_the_engine_refuses_next_to_the_field(
    client, editor, small_catalog, change, field, message
):
    model = LlmModel.objects.get()
    url = f"/admin/catalog/llmmodel/{model.pk}/change/"
    response = client.post(url, _change_form(client, url) | change)
    assert response.status_code == 200  # the form again, not a redirect
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    model.refresh_from_db()
    assert model.num_key_value_heads == 8 and model.hidden_size == 4096


def test_the_admin_refuses_an_absurd_bandwidth_next_to_the_field(client, editor, small_catalog):
    gpu = Gpu.objects.get()
    url = f"/admin/catalog/gpu/{gpu.pk}/change/"
    response = client.post(url, _change_form(client, url) | {"bandwidth_gb_s": "1e30"})
    assert response.status_code == 200
    assert "less than or equal to" in " ".join(response.context["adminform"].form.errors["bandwidth_gb_s"])


def test_a_row_saved_around_the_admin_is_left_out_of_lists_and_explained_alone(client, small_catalog, caplog):
    make_llm(slug="broken", name="Broken model")
    LlmModel.objects.filter(slug="broken").update(num_key_value_heads=64)  # what the admin used to allow
    with caplog.at_level(logging.ERROR, logger="catalog.models"):
        what_runs = client.get("/what-runs/?" + urlencode({"gpu": "geforce-rtx-3090"}))
        gpu_page = client.get("/gpus/geforce-rtx-3090/")
        search = client.get("/search/?q=model")
        asked = client.get("/?" + urlencode({**HARDWARE, "model": "broken"}))
        api = client.get("/api/v1/estimate?" + urlencode({**HARDWARE, "model": "broken"}))
    assert what_runs.status_code == gpu_page.status_code == search.status_code == 200
    assert "Llama 3.1 8B Instruct" in what_runs.content.decode()
    assert "Llama 3.1 8B Instruct" in gpu_page.content.decode()
    assert "left out" in caplog.text and "broken" in caplog.text
    assert "cannot be sized until its catalog entry is corrected" in asked.content.decode()
    assert api.status_code == 400


def test_the_reverse_questions_explain_a_refused_row_alone(client, small_catalog):
    LlmModel.objects.update(hidden_size=0)  # what the admin used to allow
    Gpu.objects.update(bandwidth_gb_s=1e30)
    hardware = client.get("/what-hardware/?" + urlencode({"model": "llama-3-1-8b-instruct"}))
    runs = client.get("/what-runs/?" + urlencode({"gpu": "geforce-rtx-3090"}))
    for response in (hardware, runs):
        assert response.status_code == 200
        assert "cannot be sized until its catalog entry is corrected" in response.content.decode()


def test_a_per_layer_list_shrinks_to_a_count_in_the_permalink():
    """1,024 layer types made a 26 KB permalink, over gunicorn's request line and the share limit."""
    config = {**LLAMA_31_8B, "num_hidden_layers": 1024, "sliding_window": 4096}
    config["layer_types"] = ["sliding_attention", "full_attention"] * 512
    canonical = byo.canonical_config(json.dumps(config))
    assert len(canonical) < 1000 and '"sliding_window_layers":512' in canonical
    assert byo.parse_config(canonical) == byo.parse_config(json.dumps(config))
    with pytest.raises(byo.ModelFileError, match="layer_types"):
        byo.canonical_config(json.dumps({**config, "layer_types": ["x" * 65] * 1024}))


# ---- The visitor review of 6 December 2026 --------------------------------------------------------


def test_more_gpus_in_all_than_the_limit_is_a_message_and_a_400(client, small_catalog):
    """64 GPUs a machine on 16 machines (1,024) took 1.7 s; the API said "at most 64 devices in all" and
    answered it. Now at most limits.MAX_DEVICES_IN_ALL over every machine, with the count that fits."""
    gpu = small_catalog[2].slug
    asked = {"model": small_catalog[0].slug, "quant": small_catalog[1].slug, "gpu": gpu, "count": "64"}
    refused = client.get("/api/v1/estimate?" + urlencode(asked | {"hosts": "16"}))
    assert refused.status_code == 400
    assert refused.json()["errors"]["hosts"] == ["At most 128 GPUs in all: 16 machines of 64 GPUs are 1,024."]
    page = client.get("/?" + urlencode(asked | {"hosts": "16"})).content.decode()
    assert "At most 128 GPUs in all" in page and "hosts=2" in page  # the fix: two machines of 64
    assert client.get("/api/v1/estimate?" + urlencode(asked | {"hosts": "2"})).status_code == 200


def test_an_api_path_naming_no_endpoint_is_a_json_404(client):
    missing = client.get("/api/v1/nonexistent")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert "listed at /api/" in missing.json()["errors"]["__all__"][0]
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_two_macs_on_many_machines_are_refused_as_macs_not_a_500(client, catalog):
    """The devices' count over all machines is checked after the Mac rule, which may have refused them."""
    response = client.get("/?model=llama-3-1-70b-instruct&gpu=apple-m4-max-128gb&count=2&hosts=16")
    assert (
        response.status_code == 200 and "An Apple silicon Mac takes no other GPU" in response.content.decode()
    )
    api = client.get("/api/v1/estimate?model=llama-3-1-70b-instruct&gpu=apple-m4-max-128gb&count=2&hosts=16")
    assert api.status_code == 400


def test_a_nul_in_a_compared_model_is_unknown_not_a_500(client, small_catalog):
    """Found by bench/fuzz_requests.py: compare looked the unknown model up among the image models with its NUL."""
    response = client.get("/compare/", {"q": "model=x%00y&gpu=geforce-rtx-3090"})
    assert response.status_code == 200 and "Unknown model" in response.content.decode()


@pytest.mark.django_db
def test_a_field_given_twice_is_a_message_on_the_page_with_each_value_as_a_fix(client, catalog):
    """A visitor review: `model=a&model=b` answered silently for b on the page, where the API said 400
    "Given 2 times". Now the page says it next to the field, and offers each model as a one-click fix."""
    page = client.get("/?model=llama-3-3-70b-instruct&model=gpt-oss-20b&gpu=geforce-rtx-4090")
    text = page.content.decode()
    assert "Given 2 times: give it once." in text
    assert "Yes: fits" not in text  # no answer for either, silently
    assert ">Use gpt-oss-20b</a>" in text and ">Use Llama 3.3 70B Instruct" in text
    api = client.get("/api/v1/estimate?model=llama-3-3-70b-instruct&model=gpt-oss-20b&gpu=geforce-rtx-4090")
    kept = "Given 2 times: give it once. The first, “llama-3-3-70b-instruct”, is kept."
    assert api.status_code == 400 and api.json()["errors"] == {"model": [kept]}


def selected(html: str, name: str) -> list[str]:
    """The values of the options selected in the page's select `name`."""
    select = html.split(f'<select name="{name}"')[1].split("</select>")[0]
    return re.findall(r'<option value="([^"]*)" selected', select)


@pytest.mark.parametrize(
    ("url", "name", "first"),
    [
        (
            "/?model=llama-3-1-8b-instruct&model=qwen3-8b&gpu=geforce-rtx-4090",
            "model",
            "llama-3-1-8b-instruct",
        ),
        ("/?model=qwen3-8b&quant=q8_0&quant=q4_k_m&gpu=geforce-rtx-4090", "quant", "q8_0"),
        ("/what-hardware/?model=llama-3-1-8b-instruct&model=qwen3-8b", "model", "llama-3-1-8b-instruct"),
    ],
)
def test_a_field_given_twice_shows_its_first_value_as_its_message_says(client, catalog, url, name, first):
    """A review: the message said "given twice" while the picker showed the second value (Django reads a
    query's last), as if it had been chosen. The picker shows the first, and the message says so."""
    page = client.get(url)
    html = page.content.decode()
    assert selected(html, name) == [first]
    assert (
        f"Given 2 times: give it once. The first, “{first}”, is kept." in html.split(f'id="error-{name}">')[1]
    )


def test_a_number_given_twice_fills_in_its_first_value(client, catalog):
    asked = "/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&ctx=16384&ctx=8192"
    html = client.get(asked).content.decode()
    assert 'name="ctx" id="id_ctx" list="ctx-presets" value="16384"' in html
    assert "The first, “16384”, is kept." in html
    # the address bar still shows the question as given, both values, until one is dropped
    assert client.get(asked, headers={"HX-Request": "true"})["HX-Push-Url"] == asked


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["llama-3-3-70b-instruct", "flux-1-dev"])
def test_a_mixed_rig_reopens_as_the_same_rig(client, catalog, model):
    """A visitor review: 2× RTX 3090 + 1× RTX 4060 Ti was written `gpu=…3090&gpu=…4060-ti&count=2`, which a
    form reads as two of each: its permalink, snapshot and "Paste my rig" landed on four GPUs."""
    asked = f"/?model={model}&ctx=8192&gpu=geforce-rtx-3090&count=2&gpu=geforce-rtx-4060-ti-16-gb&count=1"
    page = client.get(asked)
    permalink = page.context["permalink"]
    assert "count=2&count=1" in permalink
    reopened = client.get(permalink)
    devices = [g.slug for g in reopened.context["form"].devices]
    assert devices == ["geforce-rtx-3090", "geforce-rtx-3090", "geforce-rtx-4060-ti-16-gb"]
