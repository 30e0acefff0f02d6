"""community/parse.py on published llama-bench tables and llama-server / Ollama timings (the URL above each
sample). No database."""

import pytest

from community import parse

# https://github.com/ggml-org/llama.cpp/pull/4812 (an older build: "pp 512"; nkvo 1 keeps the KV cache in RAM)
BENCH_NKVO = """\
Current results:
  Device 0: NVIDIA GeForce RTX 3090 Ti, compute capability 8.6, VMM: yes
| model                          |       size |     params | backend    | ngl |          nkvo | test       |              t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | ------------: | ---------- | ---------------: |
| llama 7B Q4_0                  |   3.56 GiB |     6.74 B | CUDA       |  99 |             0 | pp 512     | 4035.47 ± 157.68 |
| llama 7B Q4_0                  |   3.56 GiB |     6.74 B | CUDA       |  99 |             0 | tg 128     |    127.43 ± 0.18 |
| llama 7B Q4_0                  |   3.56 GiB |     6.74 B | CUDA       |  99 |             1 | pp 512     |   237.84 ± 10.28 |
| llama 7B Q4_0                  |   3.56 GiB |     6.74 B | CUDA       |  99 |             1 | tg 128     |     59.99 ± 2.35 |

build: 32d9f7d9 (1786)
"""

# https://github.com/kyuz0/amd-strix-halo-toolboxes/blob/08aa7bc026cb730fbf70a414b0fa5ca802fb72f5/benchmark/results/gpt-oss-20b-mxfp4__vulkan_radv__fa1__longctx32768.log
BENCH_DEPTH = """\
ggml_vulkan: Found 1 Vulkan devices:
ggml_vulkan: 0 = AMD Radeon 8060S Graphics (RADV GFX1151) (radv) | uma: 1 | fp16: 1 | bf16: 0 | warp size: 64 | shared memory: 65536 | int dot: 1 | matrix cores: KHR_coopmat
| model                          |       size |     params | backend    | ngl | fa | mmap |            test |                  t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | -: | ---: | --------------: | -------------------: |
| gpt-oss 20B MXFP4 MoE          |  11.27 GiB |    20.91 B | Vulkan     |  99 |  1 |    0 | pp2048 @ d32768 |        555.73 ± 1.50 |
| gpt-oss 20B MXFP4 MoE          |  11.27 GiB |    20.91 B | Vulkan     |  99 |  1 |    0 |   tg32 @ d32768 |         61.12 ± 0.08 |

build: 0253fb21f (9187)
"""

# https://github.com/kyuz0/amd-strix-halo-toolboxes/blob/08aa7bc026cb730fbf70a414b0fa5ca802fb72f5/benchmark/results/gpt-oss-20b-mxfp4__rocm-7_2_3__fa1.log
BENCH_ROCM = """\
ggml_cuda_init: found 1 ROCm devices (Total VRAM: 126976 MiB):
  Device 0: AMD Radeon 8060S Graphics, gfx1151 (0x1151), VMM: no, Wave Size: 32, VRAM: 126976 MiB
| model                          |       size |     params | backend    | ngl | fa | mmap |            test |                  t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | -: | ---: | --------------: | -------------------: |
| gpt-oss 20B MXFP4 MoE          |  11.27 GiB |    20.91 B | ROCm       |  99 |  1 |    0 |           pp512 |      1786.17 ± 19.42 |
| gpt-oss 20B MXFP4 MoE          |  11.27 GiB |    20.91 B | ROCm       |  99 |  1 |    0 |           tg128 |         73.05 ± 0.06 |

build: 0253fb21f (9187)
"""

# https://github.com/ollama/ollama/issues/2453 (sizes in MiB and millions; "±" arrived as "_")
BENCH_MIB = """\
llama.cpp# /llama.cpp/build/bin/llama-bench -m  gemma-3-1b-it-UD-IQ1_S.gguf
ggml_cuda_init: GGML_CUDA_FORCE_MMQ:    no
ggml_cuda_init: GGML_CUDA_FORCE_CUBLAS: no
ggml_cuda_init: found 1 ROCm devices:
  Device 0: Radeon RX 570 Series, gfx803 (0x803), VMM: no, Wave Size: 64
| model                          |       size |     params | backend    | ngl |            test |                  t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | --------------: | -------------------: |
| gemma3 1B IQ1_S - 1.5625 bpw   | 524.98 MiB |   999.89 M | ROCm       |  99 |           pp512 |        669.73 _ 1.60 |
| gemma3 1B IQ1_S - 1.5625 bpw   | 524.98 MiB |   999.89 M | ROCm       |  99 |           tg128 |         53.55 _ 0.09 |
"""

# https://github.com/ggml-org/llama.cpp/pull/2917 (2023: "LLaMA 7B mostly Q4_0"; on Metal, ngl 1 offloaded it all)
BENCH_OLD = """\
| model                          |       size |     params | backend    | ngl |    threads | test       |              t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | ---------: | ---------- | ---------------: |
| LLaMA 7B mostly Q4_0           |   3.56 GiB |     6.74 B | Metal      |   1 |          4 | pp 512     |    629.60 ± 0.34 |
| LLaMA 7B mostly Q4_0           |   3.56 GiB |     6.74 B | Metal      |   1 |          4 | tg 128     |     88.54 ± 0.04 |
"""

# https://github.com/engeldlgado/toshllm/issues/11 (a 2026 build on a Mac: the backend column says "MTL,BLAS")
BENCH_MTL = """\
| model                          |       size |     params | backend    | threads | mmap |            test |                  t/s |
| ------------------------------ | ---------: | ---------: | ---------- | ------: | ---: | --------------: | -------------------: |
| qwen3 0.6B F16                 |   1.40 GiB |   751.63 M | MTL,BLAS   |       4 |    0 |           pp512 |       1876.57 ± 2.48 |
| qwen3 0.6B F16                 |   1.40 GiB |   751.63 M | MTL,BLAS   |       4 |    0 |           tg128 |         46.83 ± 2.28 |
"""

# https://github.com/ggml-org/llama.cpp/pull/4766 (three files of one model: three formats)
BENCH_THREE_FORMATS = """\
| model                          |       size |     params | backend    | ngl | test       |              t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | ---------- | ---------------: |
| llama 7B F16                   |  12.55 GiB |     6.74 B | CUDA       |  99 | pp 512     | 11048.22 ± 269.74 |
| llama 7B F16                   |  12.55 GiB |     6.74 B | CUDA       |  99 | tg 128     |     61.03 ± 0.07 |
| llama 7B Q8_0                  |   6.67 GiB |     6.74 B | CUDA       |  99 | pp 512     | 7664.00 ± 108.83 |
| llama 7B Q8_0                  |   6.67 GiB |     6.74 B | CUDA       |  99 | tg 128     |     98.13 ± 0.07 |
"""

# https://github.com/ggml-org/llama.cpp/pull/2059 (ngl 0: the CPU does the work)
BENCH_NGL0 = """\
| model          |       size |     params | backend    | ngl | test       |              t/s |
| -------------- | ---------: | ---------: | ---------- | --: | ---------- | ---------------: |
| llama 13B Q6_K |   9.95 GiB |    13.02 B | Vulkan     |   0 | pp 512     |     71.12 ± 4.05 |
| llama 13B Q6_K |   9.95 GiB |    13.02 B | Vulkan     |   0 | tg 128     |      4.46 ± 0.05 |
| llama 13B Q6_K |   9.95 GiB |    13.02 B | Vulkan     |  99 | pp 512     |    374.44 ± 4.66 |
| llama 13B Q6_K |   9.95 GiB |    13.02 B | Vulkan     |  99 | tg 128     |     34.13 ± 0.45 |
"""

# https://github.com/ollama/ollama/issues/1806
OLLAMA_VERBOSE = """\
total duration:       5.088275983s
load duration:        1.365523ms
prompt eval count:    11 token(s)
prompt eval duration: 204.563ms
prompt eval rate:     53.77 tokens/s
eval count:           120 token(s)
eval duration:        4.876787s
eval rate:            24.61 tokens/s
"""

# https://github.com/ggml-org/llama.cpp/pull/23269 (llama-server, 2026: each line behind its process id)
SERVER_TIMINGS = """\
[42027] 1.37.495.377 I slot print_timing: id  0 | task 388 |
[42027] prompt eval time =     789.03 ms /    27 tokens (   29.22 ms per token,    34.22 tokens per second)
[42027]        eval time =   16112.50 ms /   192 tokens (   83.92 ms per token,    11.92 tokens per second)
[42027]       total time =   16901.53 ms /   219 tokens
"""

# https://github.com/ggml-org/llama.cpp/issues/2237 (2023: llama_print_timings, "runs")
OLD_TIMINGS = """\
llama_print_timings:        load time =   907.71 ms
llama_print_timings:      sample time =   301.80 ms /   512 runs   (    0.59 ms per token,  1696.48 tokens per second)
llama_print_timings: prompt eval time =  6294.68 ms /   271 tokens (   23.23 ms per token,    43.05 tokens per second)
llama_print_timings:        eval time = 115222.19 ms /   510 runs   (  225.93 ms per token,     4.43 tokens per second)
"""

# https://github.com/ggml-org/llama.cpp/issues/9013 (2024 server: "generation eval time")
SERVER_2024 = """\
INFO [           print_timings] prompt eval time     =      15.62 ms /    12 tokens (    1.30 ms per token,   768.49 tokens per second) | tid="139964472983552" timestamp=1723569622 id_slot=0 id_task=0 t_prompt_processing=15.615 n_prompt_tokens_processed=12 t_token=1.30125 n_tokens_second=768.4918347742555
INFO [           print_timings] generation eval time =    3194.22 ms /   783 runs   (    4.08 ms per token,   245.13 tokens per second) | tid="139964472983552" timestamp=1723569622 id_slot=0 id_task=0 t_token_generation=3194.224 n_decoded=783 t_token=4.0794687100894 n_tokens_second=245.12995957703654
"""


def speeds(text: str) -> list[tuple[str, str, float]]:
    return [(row.metric, row.test, row.tok_s) for row in parse.parse(text).rows]


@pytest.mark.parametrize(
    ("text", "tool", "expected"),
    [
        (BENCH_NKVO, "llama-bench", [("prefill", "pp512", 4035.47), ("decode", "tg128", 127.43)]),
        (
            BENCH_DEPTH,
            "llama-bench",
            [("prefill", "pp2048@d32768", 555.73), ("decode", "tg32@d32768", 61.12)],
        ),
        (BENCH_ROCM, "llama-bench", [("prefill", "pp512", 1786.17), ("decode", "tg128", 73.05)]),
        (BENCH_MIB, "llama-bench", [("prefill", "pp512", 669.73), ("decode", "tg128", 53.55)]),
        (BENCH_OLD, "llama-bench", [("prefill", "pp512", 629.60), ("decode", "tg128", 88.54)]),
        (BENCH_MTL, "llama-bench", [("prefill", "pp512", 1876.57), ("decode", "tg128", 46.83)]),
        (BENCH_NGL0, "llama-bench", [("prefill", "pp512", 374.44), ("decode", "tg128", 34.13)]),
        (OLLAMA_VERBOSE, "ollama", [("prefill", "pp11", 53.77), ("decode", "tg120@d11", 24.61)]),
        (SERVER_TIMINGS, "llama-server", [("prefill", "pp27", 34.22), ("decode", "tg192@d27", 11.92)]),
        (OLD_TIMINGS, "llama-server", [("prefill", "pp271", 43.05), ("decode", "tg510@d271", 4.43)]),
        (SERVER_2024, "llama-server", [("prefill", "pp12", 768.49), ("decode", "tg783@d12", 245.13)]),
        ("hello", "", []),
    ],
)
def test_each_output_gives_its_speeds(text, tool, expected):
    assert parse.parse(text).tool == tool
    assert speeds(text) == expected


def test_a_table_row_keeps_model_size_params_backend_and_the_other_columns():
    pp, tg = parse.parse(BENCH_DEPTH).rows
    assert (tg.model, tg.params_b, tg.size_gib, tg.backend) == (
        "gpt-oss 20B MXFP4 MoE",
        20.91,
        11.27,
        "Vulkan",
    )
    assert (tg.tokens, tg.depth, tg.flags) == (32, 32768, "ngl=99 fa=1 mmap=0")
    assert tg.line.endswith("tg32 @ d32768 |         61.12 ± 0.08 |")


def test_sizes_in_mib_and_params_in_millions_are_converted():
    row = parse.parse(BENCH_MIB).rows[0]
    assert row.size_gib == pytest.approx(524.98 / 1024)
    assert row.params_b == pytest.approx(0.99989)


def test_the_build_line_is_read_and_kept_with_the_rows():
    parsed = parse.parse(BENCH_NKVO)
    assert parsed.build == "32d9f7d9 (1786)"
    assert parsed.lines[-1] == "build: 32d9f7d9 (1786)"
    assert all(line.startswith("| llama 7B Q4_0") for line in parsed.lines[:-1])
    assert "Device 0" not in "\n".join(parsed.lines)  # only the lines read are kept


def test_runs_on_the_cpu_or_with_the_kv_cache_in_ram_are_left_out_with_the_reason():
    assert parse.parse(BENCH_NKVO).skipped == (
        "pp 512 with nkvo 1 (the KV cache in system RAM)",
        "tg 128 with nkvo 1 (the KV cache in system RAM)",
    )
    assert parse.parse(BENCH_NGL0).skipped[0] == "pp 512 with ngl 0 (every layer on the CPU)"


def test_a_table_of_several_files_gives_each_its_model_column():
    assert {row.model for row in parse.parse(BENCH_THREE_FORMATS).rows} == {"llama 7B F16", "llama 7B Q8_0"}


@pytest.mark.parametrize(
    ("text", "ftype", "slugs"),
    [
        (BENCH_NKVO, "Q4_0", ["q4_0"]),
        (BENCH_DEPTH, "MXFP4 MoE", ["mxfp4"]),
        (BENCH_MIB, "IQ1_S - 1.5625 bpw", ["iq1_s"]),
        (BENCH_OLD, "Q4_0", ["q4_0"]),
        (BENCH_MTL, "F16", ["f16"]),
        (BENCH_NGL0, "Q6_K", ["q6_k"]),
    ],
)
def test_the_file_type_in_the_model_column_gives_the_catalog_format(text, ftype, slugs):
    row = parse.parse(text).rows[0]
    assert row.ftype == ftype
    assert parse.quant_slugs(row.ftype) == slugs


@pytest.mark.parametrize(
    ("ftype", "slugs"),
    # llama.cpp's own names (src/llama-model-loader.cpp, llama_model_ftype_name)
    [
        ("Q4_K - Medium", ["q4_k_m", "q4_k"]),
        ("Q2_K - Medium", ["q2_k_m", "q2_k"]),
        ("Q3_K - Small", ["q3_k_s", "q3_k"]),
        ("IQ2_XXS - 2.0625 bpw", ["iq2_xxs"]),
        ("IQ3_S mix - 3.66 bpw", ["iq3_m"]),
        ("all F32", ["f32"]),
        ("BF16", ["bf16"]),
    ],
)
def test_quant_slugs_follow_llama_cpps_file_type_names(ftype, slugs):
    assert parse.quant_slugs(ftype) == slugs
