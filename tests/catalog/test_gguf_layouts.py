"""The catalog's GGUFs as the launch commands name them, at the review's own questions (review of the
launch commands, A2, A5, C1, C2): a format in parts is never pulled by Ollama from the Hub nor loaded by
LM Studio as one file; a single file is preferred where the catalog has one; the parts are downloaded and
merged by ollama create where the catalog knows where they are; the file names are the repositories' own."""

import pytest


def commands(client, query: str) -> dict[str, str]:
    """Each tool's command in the answer's plans (the first plan that has one)."""
    found: dict[str, str] = {}
    for plan in client.get(f"/api/v1/estimate?{query}").json()["plans"]:
        for tool, text in plan["commands"].items():
            found.setdefault(tool, text)
    return found


def test_qwen2_5_7b_q4_k_m_is_pulled_from_bartowskis_single_file(client, catalog):
    # Qwen's own Q4_K_M is qwen2.5-7b-instruct-q4_k_m-0000{1,2}-of-00002.gguf: the Hub's Ollama registry
    # refuses it, and lms load --exact finds no qwen2.5-7b-instruct-q4_k_m.gguf
    found = commands(client, "model=qwen2-5-7b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090")
    assert found["llama-server"].startswith("llama-server -hf Qwen/Qwen2.5-7B-Instruct-GGUF:Q4_K_M ")
    assert found["ollama"].splitlines()[-1] == "ollama run hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M"
    assert (
        "lms load bartowski/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf --exact " in found["lms"]
    )


@pytest.mark.parametrize(
    ("query", "download", "source"),
    [
        (  # Qwen's own 7B Q8_0, in 3 parts of at most 4 GB
            "model=qwen2-5-7b-instruct&quant=q8_0&gpu=geforce-rtx-4090",
            'hf download Qwen/Qwen2.5-7B-Instruct-GGUF --include "qwen2.5-7b-instruct-q8_0-*-of-*.gguf" '
            "--local-dir models/Qwen2.5-7B-Instruct-GGUF-Q8_0",
            "./models/Qwen2.5-7B-Instruct-GGUF-Q8_0",
        ),
        (  # the 32B's real file names (its tag was qwen2_5-32b-instruct-{quant}.gguf, which names no file)
            "model=qwen2-5-32b-instruct&quant=q5_k_m&gpu=geforce-rtx-4090&count=2",
            'hf download Qwen/Qwen2.5-32B-Instruct-GGUF --include "qwen2.5-32b-instruct-q5_k_m-*-of-*.gguf" '
            "--local-dir models/Qwen2.5-32B-Instruct-GGUF-Q5_K_M",
            "./models/Qwen2.5-32B-Instruct-GGUF-Q5_K_M",
        ),
        (  # bartowski's 70B Q8_0, over 50 GB: two parts in a folder of their own
            "model=llama-3-1-70b-instruct&quant=q8_0&gpu=h100-sxm5-80-gb",
            "hf download bartowski/Meta-Llama-3.1-70B-Instruct-GGUF --include "
            '"Meta-Llama-3.1-70B-Instruct-Q8_0/Meta-Llama-3.1-70B-Instruct-Q8_0-*.gguf" '
            "--local-dir models/Meta-Llama-3.1-70B-Instruct-GGUF",
            "./models/Meta-Llama-3.1-70B-Instruct-GGUF/Meta-Llama-3.1-70B-Instruct-Q8_0",
        ),
        (  # MaziyarPanahi's Mixtral 8x22B Instruct, at the repository's root (review A5's file names)
            "model=mixtral-8x22b-instruct-v0-1&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=2",
            'hf download MaziyarPanahi/Mixtral-8x22B-Instruct-v0.1-GGUF --include "Mixtral-8x22B-Instruct-v0.1.Q4_K_M-*-of-*.gguf" '
            "--local-dir models/Mixtral-8x22B-Instruct-v0.1-GGUF-Q4_K_M",
            "./models/Mixtral-8x22B-Instruct-v0.1-GGUF-Q4_K_M",
        ),
        (  # review C2: published Q4_K_M GGUFs, in folders of parts
            "model=qwen3-235b-a22b&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=2&ram_gb=512",
            'hf download Qwen/Qwen3-235B-A22B-GGUF --include "Q4_K_M/Qwen3-235B-A22B-Q4_K_M-*.gguf" '
            "--local-dir models/Qwen3-235B-A22B-GGUF",
            "./models/Qwen3-235B-A22B-GGUF/Q4_K_M",
        ),
        (
            "model=kimi-k2-instruct&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=8&ram_gb=1024",
            'hf download unsloth/Kimi-K2-Instruct-GGUF --include "Q4_K_M/Kimi-K2-Instruct-Q4_K_M-*.gguf" '
            "--local-dir models/Kimi-K2-Instruct-GGUF",
            "./models/Kimi-K2-Instruct-GGUF/Q4_K_M",
        ),
        (
            "model=qwen3-coder-480b-a35b-instruct&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=4&ram_gb=512",
            "hf download unsloth/Qwen3-Coder-480B-A35B-Instruct-GGUF --include "
            '"Q4_K_M/Qwen3-Coder-480B-A35B-Instruct-Q4_K_M-*.gguf" --local-dir models/Qwen3-Coder-480B-A35B-Instruct-GGUF',
            "./models/Qwen3-Coder-480B-A35B-Instruct-GGUF/Q4_K_M",
        ),
    ],
)
def test_a_format_in_parts_is_downloaded_and_merged_by_ollama_create(
    client, catalog, query, download, source
):
    found = commands(client, query)
    lines = found["ollama"].splitlines()
    assert download in lines and f"echo 'FROM {source}' > Modelfile" in lines
    assert "convert_hf_to_gguf.py" not in found["ollama"] and "ollama run hf.co/" not in found["ollama"]
    assert "--exact" not in found["lms"] or "lms import " in found["lms"]  # a made file, never a part's name


def test_c2s_models_get_their_published_gguf_not_a_conversion(client, catalog):
    for query, repo in [
        (
            "model=qwen3-235b-a22b&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=2&ram_gb=512",
            "Qwen/Qwen3-235B-A22B-GGUF",
        ),
        (
            "model=kimi-k2-instruct&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=8&ram_gb=1024",
            "unsloth/Kimi-K2-Instruct-GGUF",
        ),
        (
            "model=qwen3-coder-480b-a35b-instruct&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=4&ram_gb=512",
            "unsloth/Qwen3-Coder-480B-A35B-Instruct-GGUF",
        ),
    ]:
        server = commands(client, query)["llama-server"]
        assert server.startswith(f'hf download {repo} --include "Q4_K_M/*" '), query
        assert "convert_hf_to_gguf.py" not in server, query


def test_the_mixtral_8x22b_base_lm_studio_path_names_no_file_that_does_not_exist(client, catalog):
    # review A5: lms load MaziyarPanahi/Mixtral-8x22B-Instruct-v0.1-GGUF/Mixtral-8x22B-Instruct-Q4_K_M.gguf
    query = "model=mixtral-8x22b-v0-1&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=2&runtime=lm-studio"
    lms = commands(client, query)["lms"]
    assert "Mixtral-8x22B-Instruct-Q4_K_M.gguf" not in lms and "MaziyarPanahi" not in lms
    assert "lms load mistralai/Mixtral-8x22B-v0.1/Mixtral-8x22B-v0.1-Q4_K_M.gguf --exact " in lms


def test_no_command_names_a_qwen2_5_f16_file_qwen_names_fp16(client, catalog):
    # Qwen/Qwen2.5-7B-Instruct-GGUF's 16-bit GGUF is qwen2.5-7b-instruct-fp16-0000{1..4}-of-00004.gguf, which
    # a {quant} pattern writes as ...-f16-...: the download would match nothing
    found = commands(
        client, "model=qwen2-5-7b-instruct&quant=f16&gpu=geforce-rtx-4090&count=2&runtime=ollama"
    )
    text = "\n".join(found.values())
    assert text and "qwen2.5-7b-instruct-f16" not in text and "Qwen2.5-7B-Instruct-GGUF:F16" not in text
