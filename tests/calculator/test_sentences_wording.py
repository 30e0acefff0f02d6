"""The review's wording of reasons: counts in the singular where there is one, equal speeds not worded
as a comparison, "Replicas are", and no hand-offs between GPUs where there is one device."""

import pytest

from calculator.present import reason
from calculator.sentences import SENTENCES
from estimator import Workload, estimate
from estimator.schema import Reason
from tests.engine.engine_specs import Q4_K_M, RTX_3090, llama_8b


@pytest.mark.parametrize(
    ("code", "values", "text"),
    [
        (
            "one_of_several",
            {"device": "RTX 3090", "others": 1},
            "Uses one RTX 3090; the other device stays free.",
        ),
        ("one_of_several", {"device": "RTX 3090", "others": 3}, "the other 3 devices stay free."),
        ("copies", {"copies": 2, "sequences": 1}, "2 independent copies, 1 sequence each: "),
        ("copies", {"copies": 4, "sequences": 2}, "4 independent copies, 2 sequences each: "),
        (
            "gpus_left_out",
            {"left": 1, "heads": 40, "gpus": 3},
            "1 GPU left out: 40 heads do not divide by 3.",
        ),
        (
            "also_fits",
            {"tok_s": 17.91, "best": "single", "best_tok_s": 17.94},
            "Fits, at the same 17.9 tok/s single stream as one GPU.",
        ),
        (
            "also_fits",
            {"tok_s": 12.0, "best": "single", "best_tok_s": 17.9},
            "Fits, at 12.0 tok/s single stream against 17.9 for one GPU.",
        ),
        (
            "recommended",
            {
                "strategy": "single",
                "tok_s": 10.0,
                "faster": "replicas",
                "faster_tok_s": 39.1,
                "why_not": "tight",
            },
            "One GPU is recommended: 10.0 tok/s single stream. Replicas are faster (39.1) but",
        ),
        (
            "recommended",
            {"strategy": "replicas", "tok_s": 39.1, "aggregate": 1},
            "Replicas are recommended: 39.1",
        ),
        (
            "recommended",
            {
                "strategy": "tensor_parallel",
                "tok_s": 2471.0,
                "per_user_tok_s": 123.55,
                "aggregate": 1,
                "next": "replicas",
                "next_tok_s": 640.2,
                "next_per_user_tok_s": 32.01,
            },
            "Tensor parallel is recommended: 2,471 aggregate tok/s, 124 per user, the fastest plan that fits "
            "(next: replicas, 640 aggregate, 32.0 per user).",
        ),
        (
            "recommended",
            {
                "strategy": "replicas",
                "tok_s": 640.2,
                "per_user_tok_s": 32.01,
                "aggregate": 1,
                "faster": "tensor_parallel",
                "faster_tok_s": 660.0,
                "faster_per_user_tok_s": 33.0,
                "why_not": "copies_serve_better",
            },
            "Replicas are recommended: 640 aggregate tok/s, 32.0 per user. Tensor parallel is faster (660 "
            "aggregate, 33.0 per user) but within 5%, and the model fits one GPU: copies serve",
        ),
        (
            "also_fits",
            {
                "tok_s": 131.0,
                "per_user_tok_s": 32.75,
                "seated": 4,
                "aggregate": 1,
                "best": "tensor_parallel",
                "best_tok_s": 1694.0,
                "best_per_user_tok_s": 84.7,
            },
            "Fits, at 131 aggregate tok/s (32.8 each while answering, 4 at once) against 1,694 (84.7 per user) for tensor "
            "parallel.",
        ),
        (
            "vllm_queue",
            {
                "sequences": 1.32,
                "context_tokens": 8192,
                "copies": 4,
                "running": 4,
                "waiting": 16,
                "queue_s": 120.0,
            },
            "Each copy's KV cache holds 1.3 sequences of 8,192 tokens: 4 run at once (1 on each of the 4 "
            "copies) and 16 wait",
        ),
    ],
)
def test_reasons_are_worded_in_good_english(code, values, text):
    said = SENTENCES[code](values)
    assert said.startswith(text) or said.endswith(text), said
    assert "(s)" not in said


def test_one_device_alone_is_not_told_about_hand_offs_between_gpus():
    """The review: "One GPU is recommended … one device needs no hand-offs between GPUs" on one Mac."""
    alone = {"strategy": "single", "tok_s": 72.5, "one_device": 1}
    assert (
        reason(Reason(code="recommended", values=alone))
        == "One GPU is recommended: 72.5 tok/s single stream."
    )
    beside = alone | {"next": "layer_split", "next_tok_s": 70.0}
    assert reason(Reason(code="recommended", values=beside)).endswith("needs no hand-offs between GPUs.")


def test_the_overhead_of_one_device_is_said_in_the_singular():
    e = estimate(model=llama_8b(), quant=Q4_K_M, devices=[RTX_3090], workload=Workload())
    assert e.explanations["overhead_bytes"].substituted.endswith(" over 1 device")


def test_tensor_shards_leave_the_kv_cache_out_where_mla_keeps_it_whole():
    """The review: an MLA model's tensor-parallel cell said each GPU holds 1/8 "of the KV cache" beside
    "MLA's latent KV cache cannot be split: every rank holds all of it"."""
    assert reason(Reason(code="tensor_shards", values={"tp": 8})) == (
        "8 GPUs each hold 1/8 of every matrix and of the KV cache, and read them in parallel."
    )
    assert reason(Reason(code="tensor_shards", values={"tp": 8, "mla": 1})) == (
        "8 GPUs each hold 1/8 of every matrix, and read them in parallel."
    )
    over_pcie = {"all_reduces": 160, "all_reduce_s": 0.006, "step_s": 0.03}
    assert reason(Reason(code="all_reduce_over_pcie", values=over_pcie)).endswith("of each 30.0 ms step.")
    assert reason(Reason(code="all_reduce_over_pcie", values=over_pcie | {"bridge": 1})).endswith(
        "step; an NVLink bridge cuts that."
    )


def test_a_split_says_where_the_output_head_is_as_its_tensor_split_counts_it():
    """A review: the note said "Layers 41 + 39" beside `-ts 41,40` and `-ngl 81`: the output head, with the
    last GPU's layers, is llama.cpp's 81st."""
    said = reason(Reason(code="layers_in_turn", values={"counts": (41, 39)}))
    assert said.startswith("41 + 39 layers (the output head beside the last 39) run one device after another")
