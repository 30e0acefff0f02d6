"""An invalid question's messages in the calculator's words, not Django's stock ones."""

import re
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.django_db

EIGHT_B = "/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-3090"
API = "/api/v1/estimate"


def test_limits_are_written_with_thousands_separators(client, catalog):
    """It read "Ensure this value is less than or equal to 10485760."."""
    errors = client.get(f"{EIGHT_B}&ctx=99999999&batch=0&ram_gb=99999").context["form"].errors
    assert errors["ctx"] == ["Enter at most 10,485,760."]
    assert errors["ram_gb"] == ["Enter at most 4,096."]
    assert errors["batch"] == ["Enter 1 or more."]


def test_a_name_no_row_could_have_is_an_unknown_name_like_any_other(client, catalog):
    """It read "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens." (the review of
    6 December): the page and the API say which name is unknown, escaped."""
    response = client.get("/?model=%3Cscript%3E&quant=zz%20z&kv=a.b&link=x/y&gpu=geforce-rtx-3090")
    errors = response.context["form"].errors
    assert errors["model"] == ["Unknown model “<script>”."] and errors["quant"] == ["Unknown format “zz z”."]
    assert errors["kv"] == ["Unknown KV cache type “a.b”."] and errors["link"] == ["Unknown link “x/y”."]
    html = response.content.decode()
    assert "Enter a valid" not in html and "<script>”" not in html and "&lt;script&gt;”" in html
    api = client.get("/api/v1/estimate", {"model": "<script>", "gpu": "geforce-rtx-3090"})
    assert api.status_code == 400 and api.json()["errors"]["model"] == ["Unknown model “<script>”."]


def test_an_unknown_runtime_names_the_ones_offered_with_a_fix(client, catalog):
    """It read "Select a valid choice. exllamav2 is not one of the available choices."."""
    html = client.get(f"{EIGHT_B}&runtime=exllamav2").content.decode()
    assert "This calculator does not model “exllamav2”: pick llama.cpp, Ollama, vLLM, SGLang" in html
    assert "Select a valid choice" not in html
    fix = re.search(r'<a class="fix" href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert fix.group(2) == "Use llama.cpp with Q4_K_M"
    assert "Yes" in client.get(fix.group(1).replace("&amp;", "&")).context["verdict"].text


@pytest.mark.parametrize(
    ("field", "written", "value"),
    [
        ("runtime", "llama.cpp", "llama-cpp"),
        ("runtime", "LM Studio", "lm-studio"),
        ("backend", "Vulkan", "vulkan"),
    ],
)
def test_a_choice_written_as_its_name_says_the_value_and_links_it(client, catalog, field, written, value):
    """`runtime=llama.cpp` read "This calculator does not model “llama.cpp”: pick llama.cpp, ...": the
    name the page shows is not the value a link takes."""
    api = client.get(
        "/api/v1/estimate", {"model": "llama-3-1-8b-instruct", "gpu": "geforce-rtx-3090", field: written}
    )
    assert api.status_code == 400
    assert api.json()["errors"][field] == [f"Write {field}={value} for {written}: “{written}” is its name."]
    page = client.get(f"{EIGHT_B}&{urlencode({field: written})}")
    (problem,) = page.context["problems"]
    fixed = client.get(problem["fixes"][0]["url"]).context["form"]
    assert fixed.is_valid() and fixed.cleaned_data[field] == value


def test_compare_names_an_invalid_columns_fields_by_their_labels(client, catalog):
    """It read "model: Unknown model “nope”. gpu: Unknown GPU: x."."""
    html = client.get("/compare/", {"q": ["model=nope&quant=q4_k_m&gpu=x"]}).content.decode()
    cell = re.search(r'<td colspan="\d+" class="error">(.*?)</td>', html, re.S).group(1)
    assert " ".join(cell.split()) == "Model: Unknown model “nope”. GPU: Unknown GPU “x”."


def test_a_model_named_another_way_is_taken_or_meant(client, catalog):
    """A visitor review: "Unknown model “meta-llama/Llama-3.1-70B-Instruct”", the id the model's own page prints;
    an Ollama tag, a GPU by its name: no way forward. A Hugging Face id is that model; other names get the
    model (or GPU) they most likely mean, and on the page a one-click fix."""
    by_id = client.get(
        "/api/v1/estimate?model=meta-llama/Llama-3.1-70B-Instruct&gpu=geforce-rtx-3090&count=2"
    )
    assert by_id.status_code == 200 and by_id.json()["model"] == "llama-3-1-70b-instruct"
    tag = client.get("/api/v1/estimate?model=llama3.1:70b&gpu=RTX%203090")
    assert tag.status_code == 400
    assert tag.json()["errors"] == {
        "model": [
            "Unknown model “llama3.1:70b”. Did you mean Llama 3.1 70B (Instruct), written llama-3-1-70b-instruct?"
        ],
        "gpu": ["Unknown GPU “RTX 3090”. Did you mean GeForce RTX 3090, written geforce-rtx-3090?"],
    }
    html = client.get("/?model=llama3.1:70b&gpu=geforce-rtx-3090&count=2").content.decode()
    fix = re.search(r'<a class="fix" href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert fix.group(2) == "Use Llama 3.1 70B (Instruct)"
    assert "Yes" in client.get(fix.group(1).replace("&amp;", "&")).context["verdict"].text
    assert client.get("/api/v1/estimate?model=no%00pe&gpu=geforce-rtx-3090").status_code == 400


def test_each_guess_says_what_it_is_for(client, catalog):
    """A visitor review read "did you mean X (Y), slug" inside a parenthesis: the guess is a question of its own,
    and where several names are unknown, each guess names the one it is for."""
    api = client.get(
        "/api/v1/estimate",
        {"model": "qwen3-8b", "gpu": ["RTX 3090", "RTX 4090", "nothing-like-it"], "count": [1, 1, 1]},
    )
    assert api.json()["errors"]["gpu"] == [
        "Unknown GPUs “RTX 3090”, “RTX 4090”, “nothing-like-it”. "
        "By “RTX 3090”, did you mean GeForce RTX 3090, written geforce-rtx-3090? "
        "By “RTX 4090”, did you mean GeForce RTX 4090, written geforce-rtx-4090?"
    ]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("gpt-oss-20", "gpt-oss-20b"), ("gpt oss 120", "gpt-oss-120b"), ("qwq 32", "QwQ-32B")],
)
def test_a_model_meant_whose_name_is_its_slug_is_named_once(client, catalog, typed, meant):
    """A visitor review read "did you mean gpt-oss-20b, gpt-oss-20b?": a name that is its slug says it once."""
    api = client.get("/api/v1/estimate", {"model": typed, "gpu": "geforce-rtx-4090"})
    assert api.status_code == 400
    assert api.json()["errors"]["model"] == [f"Unknown model “{typed}”. Did you mean {meant}?"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("sdxl", "Stable Diffusion XL 1.0 (SDXL), written stable-diffusion-xl"),
        ("flux", "FLUX.1 [dev], written flux-1-dev"),
    ],
)
def test_an_image_model_written_as_people_call_it_is_guessed(client, catalog, typed, meant):
    """A visitor review: "sdxl" got "Unknown model" and no guess, where no language model's words match it."""
    api = client.get("/api/v1/estimate", {"model": typed, "gpu": "geforce-rtx-4060"})
    assert api.status_code == 400
    assert api.json()["errors"]["model"] == [f"Unknown model “{typed}”. Did you mean {meant}?"]


@pytest.mark.parametrize(
    ("query", "fix"),
    [
        # the GPUs and the system RAM carried over; the LLM's format and context are no question about images
        (
            "model=sdxl&gpu=geforce-rtx-3090&count=2&quant=q4_k_m&ctx=8192&ram_gb=64",
            "/?model=stable-diffusion-xl&gpu=geforce-rtx-3090&count=2&ram_gb=64",
        ),
        # a Mac has no system RAM beside its GPU: the image form refuses ram_gb there, the GPU alone is kept
        ("model=flux&gpu=apple-m4-max-128gb&ram_gb=64", "/?model=flux-1-dev&gpu=apple-m4-max-128gb"),
        # no GPU asked: the model's own address, which asks on a card that runs it
        ("model=sdxl", "/image-models/stable-diffusion-xl/"),
    ],
)
def test_an_image_model_guessed_gets_a_fix_that_opens_its_page(client, catalog, query, fix):
    """A visitor review: "sdxl" got "did you mean Stable Diffusion XL 1.0 (SDXL), stable-diffusion-xl?" and no
    one-click fix, where a language model guessed has one: the fixes were checked with the LLM form."""
    html = client.get(f"/?{query}").content.decode()
    links = dict(re.findall(r'<a class="fix" href="([^"]+)"[^>]*>([^<]+)</a>', html))
    url = next(
        u.replace("&amp;", "&") for u, text in links.items() if text.startswith("Use ") and "RAM" not in text
    )
    assert url == fix
    answered = client.get(url, follow=True)
    assert answered.status_code == 200 and answered.context["form"].is_valid()
    assert answered.context["diffusion_verdict"].text.startswith(("Yes", "No"))


@pytest.mark.parametrize(
    ("url", "field", "said"),
    [
        (f"{EIGHT_B}&quant=q4%00", "quant", ["Unknown format “q4\x00”.", "No format's name holds a NUL character."]),
        ("/what-hardware/?model=qwen3-8b%00", "model", ["Unknown model “qwen3-8b\x00”.", "No model's name holds a NUL character."]),
    ],
)  # fmt: skip
def test_a_name_with_a_nul_is_said_in_the_sites_words(client, catalog, url, field, said):
    """It read "Null characters are not allowed." beside the unknown name."""
    response = client.get(url)
    assert response.status_code == 200 and response.context["form"].errors[field] == said


@pytest.mark.parametrize(
    ("written", "tokens"),
    [("8k", 8192), ("32K", 32768), ("32,768", 32768), ("32 768", 32768), ("1.5k", 1536), ("32768", 32768)],
)
def test_a_context_is_read_as_people_write_it(client, catalog, written, tokens):
    """Review 9: "8k", "32K" and "32,768" read "Enter a whole number." on the page and in the API. k is
    1,024, as the page's contexts are (its presets: 32768 is 32K; its charts' axes read "32k")."""
    page = client.get(f"{EIGHT_B}&{urlencode({'ctx': written, 'prompt': written})}")
    assert page.context["form"].errors == {}
    assert page.context["permalink"].endswith(f"&ctx={tokens}&prompt={tokens}")  # the canonical address
    api = client.get(API, {"model": "llama-3-1-8b-instruct", "gpu": "geforce-rtx-3090", "ctx": written})
    assert api.status_code == 200 and api.json()["permalink"].endswith(f"&ctx={tokens}")


@pytest.mark.parametrize("written", ["banana", "32kk", "0.3k", "32.768", "3,2768", "1e3", "32k tokens"])
def test_a_context_that_is_no_number_of_tokens_says_what_is(client, catalog, written):
    said = ["Enter a number of tokens: 32768, 32,768 or 32k."]
    assert client.get(f"{EIGHT_B}&{urlencode({'ctx': written})}").context["form"].errors["ctx"] == said
    api = client.get(API, {"model": "llama-3-1-8b-instruct", "gpu": "geforce-rtx-3090", "ctx": written})
    assert api.status_code == 400 and api.json()["errors"]["ctx"] == said


def test_a_context_in_k_over_the_limit_says_the_limit(client, catalog):
    assert client.get(f"{EIGHT_B}&ctx=20000k").context["form"].errors["ctx"] == ["Enter at most 10,485,760."]
