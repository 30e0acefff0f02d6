"""A visitor's speed against the hardware and the engine: impossible runs refused next to the paste,
possible ones far from the estimate stored but flagged for the reviewer."""

import pytest

from community import plausible
from community.models import VisitorMeasurement
from tests.community.test_parse import BENCH_NKVO
from tests.community.test_submit import CHANGELIST, SUBMIT, submit

# The paste a visitor review sent: llama-bench's layout with an invented decode speed, about 60× what one
# RTX 3090's 936 GB/s can read Qwen3 8B's 4.6 GB of Q4_K_M weights at (the prefill row is as invented).
QWEN3_IMPOSSIBLE = """\
ggml_cuda_init: found 1 CUDA devices:
  Device 0: NVIDIA GeForce RTX 3090, compute capability 8.6, VMM: yes
| model                          |       size |     params | backend    | ngl |            test |                  t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | --------------: | -------------------: |
| qwen3 8B Q4_K - Medium         |   4.68 GiB |     8.19 B | CUDA       |  99 |           pp512 |      4512.30 ± 10.10 |
| qwen3 8B Q4_K - Medium         |   4.68 GiB |     8.19 B | CUDA       |  99 |           tg128 |     11832.00 ± 12.00 |
"""


def test_a_decode_faster_than_the_memory_can_read_the_weights_is_refused_next_to_the_paste(client, catalog):
    response = submit(client, paste=QWEN3_IMPOSSIBLE, model="qwen3-8b")
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["paste"])
    assert "tg128 at 11,832 tok/s is not possible on one GeForce RTX 3090" in errors
    assert "each token reads at least 4.6 GB of Qwen3 8B's weights at Q4_K_M" in errors
    assert "936 GB/s of memory bandwidth reads that 202 times a second (we allow up to 303)" in errors
    assert "pp512" not in errors  # 4,512 tok/s of prefill is within the card's compute
    assert 'id="error-paste">tg128 at 11,832' in response.content.decode()
    assert not VisitorMeasurement.objects.exists()


def test_a_prefill_beyond_the_cards_compute_is_refused(client, catalog):
    paste = QWEN3_IMPOSSIBLE.replace("11832.00", "118.32").replace("4512.30", "451230.00")
    response = submit(client, paste=paste, model="qwen3-8b")
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["paste"])
    assert "pp512 at 451,230 tok/s is not possible on one GeForce RTX 3090" in errors
    assert "15.1 GFLOP of Qwen3 8B" in errors and "tg128" not in errors


@pytest.mark.parametrize(("tok_s", "flagged"), [(127.43, False), (60.0, False), (35.0, True)])
def test_a_possible_run_far_from_the_estimate_is_stored_but_flagged(client, catalog, tok_s, flagged):
    """The engine estimates 175 tok/s for this tg128 (3090 Ti, Llama 2 7B Q4_0): a third of it or less is
    flagged (3× faster would be past the card's bandwidth, refused by the test above)."""
    response = submit(client, paste=BENCH_NKVO.replace("127.43", f"{tok_s:.2f}"))
    assert response.status_code == 303
    tg = VisitorMeasurement.objects.get(test="tg128")
    assert tg.estimate_tok_s == pytest.approx(175, rel=0.02)
    assert tg.far_from_estimate is flagged
    assert not VisitorMeasurement.objects.get(test="pp512").far_from_estimate
    thanks = client.get(response["Location"]).content.decode()
    assert (
        "1 is far from the calculator's estimate: an editor will check it against the estimate" in thanks
    ) is (flagged)
    assert ("&flagged=1&" in response["Location"]) is flagged


def test_the_admin_filters_and_shows_the_flagged_runs(admin_client, client, catalog):
    submit(client, paste=BENCH_NKVO.replace("127.43", "35.00"))
    page = admin_client.get(CHANGELIST + "?far_from_estimate__exact=1").content.decode()
    assert "35.0" in page and "4035.47" not in page and "By far from estimate" in page
    row = VisitorMeasurement.objects.get(test="tg128")
    assert 150 < row.estimate_tok_s < 200  # the engine's tg128 for Llama 2 7B Q4_0 on a 3090, 35.0 measured
    assert str(row.estimate_tok_s)[:6] in admin_client.get(f"{CHANGELIST}{row.pk}/change/").content.decode()


def test_the_thank_you_ignores_a_flag_count_that_is_not_a_number(client, catalog):
    html = client.get(SUBMIT + "?sent=2&flagged=x<b>").content.decode()
    assert "Thank you: 2 results wait for review.</p>" in html


def test_a_short_prompt_or_a_row_split_is_not_compared_with_the_estimate():
    short = VisitorMeasurement(metric="prefill", tokens=20, depth=0, test="pp20", flags="")
    deep = VisitorMeasurement(metric="decode", tokens=32, depth=32768, test="tg32@d32768", flags="")
    row = VisitorMeasurement(metric="decode", tokens=128, depth=0, test="tg128", flags="ngl=99 sm=row")
    assert plausible.estimate(short) is None and plausible.estimate(deep) is None
    assert plausible.estimate(row) is None
    assert plausible.far_from(None, 1.0) is False
