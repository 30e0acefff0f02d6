"""A GGUF published in parts (estimator/artifacts.py in_parts): known per artifact and format from what
its sources list, from the publisher's largest file, and from the Hub's 50 GB limit per file when the
catalog's repositories were uploaded. Ollama's hf.co/ pull and LM Studio's lms load take one file, so they
name a publisher's single file where the catalog has one (review of the launch commands, A2)."""

import pytest
from engine_specs import Q2_K, Q4_K_M, Q8_0, RTX_3090, llama_8b, llama_70b
from test_commands import ORIGINAL, commands_for

from estimator.artifacts import in_parts, parts_pattern, published
from estimator.schema import ArtifactSpec

# Qwen's own Qwen2.5 GGUF repositories split every file over 4 GB: Qwen/Qwen2.5-7B-Instruct-GGUF at
# bb5d59e0 lists qwen2.5-7b-instruct-q3_k_m.gguf (3.81 GB) whole and qwen2.5-7b-instruct-q4_k_m-0000{1,2}-
# of-00002.gguf (3.99 + 0.69 GB); here on an 8B model of the same sizes
MAKER = ArtifactSpec(
    kind="gguf",
    repo="meta-llama/Llama-3.1-8B-Instruct-GGUF",
    tag="llama-3.1-8b-instruct-{quant}.gguf",
    formats=("q2_k", "q4_k_m", "q8_0"),
    part_gb=4,
)
# bartowski's single Q4_K_M file (bartowski/Qwen2.5-7B-Instruct-GGUF at 8911e8a4: Qwen2.5-7B-Instruct-Q4_K_M.gguf)
SINGLE = ArtifactSpec(
    kind="gguf",
    repo="bartowski/Llama-3.1-8B-Instruct-GGUF",
    tag="Llama-3.1-8B-Instruct-{QUANT}.gguf",
    formats=("q4_k_m",),
    files=(("q4_k_m", 1),),
)
# bartowski keeps a format's parts in a folder of its own (Meta-Llama-3.1-70B-Instruct-Q8_0/
# Meta-Llama-3.1-70B-Instruct-Q8_0-0000{1,2}-of-00002.gguf)
BARTOWSKI_70B = ArtifactSpec(
    kind="gguf",
    repo="bartowski/Meta-Llama-3.1-70B-Instruct-GGUF",
    tag="*-{QUANT}*.gguf",
    formats=("q4_k_m", "q8_0"),
)


@pytest.mark.parametrize(
    ("artifact", "model", "quant", "parts"),
    [
        (MAKER, llama_8b(), Q2_K, False),  # 3.2 GB: under the publisher's 4 GB
        (MAKER, llama_8b(), Q4_K_M, True),  # 4.9 GB: over it
        (BARTOWSKI_70B, llama_70b(), Q4_K_M, False),  # 42.8 GB: under the Hub's 50 GB
        (BARTOWSKI_70B, llama_70b(), Q8_0, True),  # 74.4 GB: over it, though the tag does not say
        (SINGLE, llama_8b(), Q4_K_M, False),  # a source lists it as one file
        (
            ArtifactSpec(
                kind="gguf", repo="x/Llama-GGUF", tag="{QUANT}/Llama-{QUANT}-*.gguf", formats=("q2_k",)
            ),
            llama_8b(),
            Q2_K,
            True,  # a folder of parts, however small
        ),
    ],
)
def test_whether_a_format_is_in_parts_is_known_per_artifact_and_format(artifact, model, quant, parts):
    assert in_parts(artifact, model, quant) is parts


def test_a_file_listed_whole_is_whole_even_over_the_hubs_old_limit():
    # the Hub has taken files up to 500 GB since 2025-11-17: a source listing one such file is believed
    later = ArtifactSpec(kind="gguf", repo="x/Llama-70B-GGUF", formats=("q8_0",), files=(("q8_0", 1),))
    assert not in_parts(later, llama_70b(), Q8_0)


def test_ollama_and_lm_studio_name_a_single_file_where_the_catalog_has_one():
    model = llama_8b(artifacts=(MAKER, SINGLE, ORIGINAL))
    found = commands_for("single", model=model, devices=[RTX_3090])
    # llama-server -hf downloads every part: the maker's own repository stays first for it
    assert "llama-server -hf meta-llama/Llama-3.1-8B-Instruct-GGUF:Q4_K_M " in found["llama-server"]
    assert found["ollama"].splitlines()[-1] == "ollama run hf.co/bartowski/Llama-3.1-8B-Instruct-GGUF:Q4_K_M"
    assert (
        "lms load bartowski/Llama-3.1-8B-Instruct-GGUF/Llama-3.1-8B-Instruct-Q4_K_M.gguf --exact"
        in found["lms"]
    )
    assert published(model, Q4_K_M, ("gguf",)) == MAKER
    assert published(model, Q4_K_M, ("gguf",), one_file=True) == SINGLE


def test_a_format_published_only_in_parts_gets_no_single_file_command():
    # Qwen/Qwen2.5-7B-Instruct-GGUF's Q4_K_M: the Hub's Ollama registry refuses a sharded GGUF ("The
    # specified repository contains sharded GGUF"), and lms load --exact finds no such file
    model = llama_8b(artifacts=(MAKER, ORIGINAL))
    found = commands_for("single", model=model, devices=[RTX_3090])
    assert "ollama run hf.co/" not in found["ollama"]
    assert "llama-3.1-8b-instruct-q4_k_m.gguf" not in found["lms"]
    # a format under the publisher's largest file is one file, and named so
    found = commands_for("single", model=model, quant=Q2_K, devices=[RTX_3090])
    assert found["ollama"].splitlines()[-1] == "ollama run hf.co/meta-llama/Llama-3.1-8B-Instruct-GGUF:Q2_K"
    assert (
        "lms load meta-llama/Llama-3.1-8B-Instruct-GGUF/llama-3.1-8b-instruct-q2_k.gguf --exact"
        in found["lms"]
    )


def test_a_70b_q8_0_over_50_gb_gets_no_hf_co_pull():
    # review A2: ollama run hf.co/bartowski/Meta-Llama-3.1-70B-Instruct-GGUF:Q8_0 for a file in two parts
    model = llama_70b(artifacts=(BARTOWSKI_70B,))
    found = commands_for("layer_split", model=model, quant=Q8_0, devices=[RTX_3090] * 4)
    assert "ollama run hf.co/" not in found.get("ollama", "")


@pytest.mark.parametrize(
    ("artifact", "quant", "pattern"),
    [
        (MAKER, Q4_K_M, "llama-3.1-8b-instruct-q4_k_m-*-of-*.gguf"),  # parts beside the file's name
        (
            ArtifactSpec(
                kind="gguf", repo="u/R1-GGUF", tag="R1-{QUANT}/R1-{QUANT}-*.gguf", formats=("q4_k_m",)
            ),
            Q4_K_M,
            "R1-Q4_K_M/R1-Q4_K_M-*.gguf",
        ),
        (
            ArtifactSpec(
                kind="gguf", repo="l/C-GGUF", tag="C-{QUANT}-00001-of-00006.gguf", formats=("q4_k_m",)
            ),
            Q4_K_M,
            "C-Q4_K_M-*-of-00006.gguf",
        ),
        (BARTOWSKI_70B, Q8_0, None),  # *-{QUANT}*.gguf does not say whether the parts have a folder
        (
            BARTOWSKI_70B.model_copy(update={"parts_tag": "M-{QUANT}/M-{QUANT}-*.gguf"}),
            Q8_0,
            "M-Q8_0/M-Q8_0-*.gguf",
        ),
    ],
)
def test_where_a_formats_parts_are(artifact, quant, pattern):
    assert parts_pattern(artifact, quant) == pattern


def test_ollama_merges_a_formats_parts_as_it_creates_the_model():
    # review C1: Ollama 0.30.0 and later merges a GGUF's parts in ollama create (server/create.go
    # splitGGUFGroupKey, mergeSplitGGUFLayers) from a Modelfile's FROM <folder> (parser/parser.go
    # filesForModel globs its *.gguf): the parts are downloaded into a folder of their own and imported,
    # rather than the whole checkpoint downloaded and converted
    model = llama_8b(artifacts=(MAKER, ORIGINAL))
    lines = commands_for("single", model=model, devices=[RTX_3090])["ollama"].splitlines()
    start = lines.index(
        "# meta-llama/Llama-3.1-8B-Instruct-GGUF holds it in parts: Ollama 0.30 or later merges them as it "
        "creates the model (its hf.co/ pull refuses a GGUF in parts)"
    )
    assert lines[start + 1 :] == [
        'hf download meta-llama/Llama-3.1-8B-Instruct-GGUF --include "llama-3.1-8b-instruct-q4_k_m-*-of-*.gguf" '
        "--local-dir models/Llama-3.1-8B-Instruct-GGUF-Q4_K_M",
        "echo 'FROM ./models/Llama-3.1-8B-Instruct-GGUF-Q4_K_M' > Modelfile",
        "ollama create llama-3.1-8b-q4_k_m -f Modelfile",
        "ollama run llama-3.1-8b-q4_k_m",
    ]
    assert "convert_hf_to_gguf.py" not in "\n".join(lines)


def test_a_folder_of_parts_is_the_modelfiles_from():
    r1 = ArtifactSpec(
        kind="gguf", repo="u/Llama-70B-GGUF", tag="{QUANT}/Llama-70B-{QUANT}-*.gguf", formats=("q8_0",)
    )
    found = commands_for("layer_split", model=llama_70b(artifacts=(r1,)), quant=Q8_0, devices=[RTX_3090] * 4)
    lines = found["ollama"].splitlines()
    assert (
        'hf download u/Llama-70B-GGUF --include "Q8_0/Llama-70B-Q8_0-*.gguf" --local-dir models/Llama-70B-GGUF'
        in lines
    )
    assert "echo 'FROM ./models/Llama-70B-GGUF/Q8_0' > Modelfile" in lines


def test_parts_the_site_cannot_name_fall_back_to_the_converter():
    # bartowski's *-{QUANT}*.gguf does not say whether a format's parts have a folder of their own, which
    # FROM needs: the model's own checkpoint is converted, the last resort, and the comment says why
    model = llama_70b(
        artifacts=(BARTOWSKI_70B, ORIGINAL.model_copy(update={"repo": "meta-llama/Llama-3.1-70B-Instruct"}))
    )
    found = commands_for("layer_split", model=model, quant=Q8_0, devices=[RTX_3090] * 4)
    assert (
        "# bartowski/Meta-Llama-3.1-70B-Instruct-GGUF holds it in parts this site cannot name, and Ollama's "
        "hf.co/ pull refuses parts: make it from its own checkpoint"
    ) in found["ollama"]
