"""The oldest release a launch command needs, read from its flags (estimator/commands_releases.py)."""

import pytest

from estimator.commands_releases import FORMS, RELEASE_PAGES, command_releases, releases_needed

OLLAMA = "https://github.com/ollama/ollama/releases/tag/"
HUB = "https://github.com/huggingface/huggingface_hub/releases/tag/"


def needs(command: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(n.program, n.release, n.flags) for n in releases_needed(command)]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        # the newest of its variables: OLLAMA_CONTEXT_LENGTH (v0.5.13) over OLLAMA_FLASH_ATTENTION (v0.1.39)
        (
            "OLLAMA_CONTEXT_LENGTH=8192 OLLAMA_FLASH_ATTENTION=1 ollama serve &\nollama run llama3.1:8b",
            [("Ollama", "v0.5.13", ("OLLAMA_CONTEXT_LENGTH",))],
        ),
        # a GGUF's parts downloaded by hf, merged by ollama create from their folder: two programs, in the
        # order the command uses them
        (
            "# the parts: Ollama 0.30 or later merges them\n"
            "OLLAMA_CONTEXT_LENGTH=4096 OLLAMA_FLASH_ATTENTION=1 ollama serve &\n"
            'hf download org/M-GGUF --include "Q4_K_M/*" --local-dir models/M-GGUF\n'
            "echo 'FROM ./models/M-GGUF/Q4_K_M' > Modelfile\nollama create m-q4_k_m -f Modelfile\nollama run m-q4_k_m",
            [
                ("Ollama", "v0.30.0", ("a Modelfile FROM a folder of GGUF parts",)),
                ("huggingface_hub", "v0.34.0", ("hf download",)),
            ],
        ),
        # a GGUF file made here is no folder
        (
            "OLLAMA_CONTEXT_LENGTH=4096 ollama serve &\necho 'FROM ./models/M-Q4_K_M.gguf' > Modelfile",
            [("Ollama", "v0.5.13", ("OLLAMA_CONTEXT_LENGTH",))],
        ),
        # two --exclude: each one kept only since huggingface_hub 1.0 (before it the second replaced the first)
        (
            "hf download meta/L --exclude 'original/*' --exclude 'metal/*' --local-dir models/L\n"
            "python convert_hf_to_gguf.py models/L --outtype bf16 --outfile models/L-BF16.gguf",
            [("huggingface_hub", "v1.0.0", ("a second --exclude",))],
        ),
        (
            'vllm serve Qwen/Qwen3-8B --max-model-len 131072 --hf-overrides \'{"rope_parameters": {"rope_type": '
            '"yarn", "factor": 4.0}}\'',
            [("vLLM", "v0.12.0", ("--hf-overrides with rope_parameters",))],
        ),
        (
            "vllm serve m --pipeline-parallel-size 2 --nnodes 2 --node-rank 0 --master-addr HOST1\n"
            "vllm serve m --pipeline-parallel-size 2 --nnodes 2 --node-rank 1 --master-addr HOST1 --headless",
            [("vLLM", "v0.11.1", ("--nnodes, --node-rank, --master-addr",))],
        ),
        # SGLang's --nnodes is not vLLM's
        ("python -m sglang.launch_server --model-path m --pp-size 2 --nnodes 2 --node-rank 0", []),
        (
            "mlx_lm.server --model mlx-community/M-4bit --decode-concurrency 64",
            [("mlx-lm", "v0.30.6", ("--decode-concurrency",))],
        ),
        ("mlx_lm.server --model mlx-community/M-4bit", []),
        # a flag named in a comment is not run
        ("# set OLLAMA_KV_CACHE_TYPE=q8_0 to halve it\nollama run m", []),
        # llama.cpp's forms are not in the table (no release of theirs could be established)
        ("llama-server -hf org/M-GGUF:Q4_K_M --no-mmproj -c 4096 -ngl 999 -sm none -fa on", []),
    ],
)
def test_a_command_needs_the_newest_release_of_its_flags(command, expected):
    assert needs(command) == expected


def test_each_need_links_to_its_release_page():
    (ollama,) = releases_needed("OLLAMA_KV_CACHE_TYPE=q8_0 OLLAMA_NUM_PARALLEL=4 ollama serve &")
    assert ollama.url == OLLAMA + "v0.5.0"
    assert ollama.flags == ("OLLAMA_KV_CACHE_TYPE",)
    (hub,) = releases_needed("hf download a/b --local-dir c")
    assert hub.url == HUB + "v0.34.0"


def test_commands_that_need_no_named_release_are_left_out():
    found = command_releases(
        {"ollama": "OLLAMA_SCHED_SPREAD=1 ollama serve &", "llama-server": "llama-server -m x"}
    )
    assert list(found) == ["ollama"]
    assert found["ollama"][0].release == "v0.1.45"


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f.program} {f.flag}")
def test_every_form_names_a_tagged_release_and_a_public_source(form):
    assert form.program in RELEASE_PAGES
    assert form.release.startswith("v") and form.order
    assert form.source.startswith("https://github.com/")
