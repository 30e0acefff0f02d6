"""The page gives decode speed at the start of a chat and with the whole chosen context cached (issue 14:
128K of context on a 4090 must not show only the start-of-chat figure)."""

import re

from estimator.units import format_rate

NUMBER = r"([\d.]+) tok/s \(([\d.]+)–([\d.]+)\)"


def speed(html: str, testid: str) -> tuple[float, float, float]:
    text = re.search(rf'data-testid="{testid}">([^<]+)<', html).group(1)
    return tuple(float(x) for x in re.fullmatch(NUMBER, text).groups())


def test_start_of_chat_and_full_context_speed_with_their_ranges(client, catalog):
    html = client.get(
        "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=131072"
    ).content.decode()
    start, start_low, start_high = speed(html, "decode")
    full, low, high = speed(html, "decode-at-context")
    assert start_low < start < start_high and low < full < high
    # 128K tokens of KV cache (16 GiB) read on every step: far slower than the 4.6 GiB of weights alone
    assert full < start / 2
    assert "tokens cached" in html  # the formula with the visitor's values, one click away


def test_several_users_at_full_context_each_get_their_share_of_the_step_that_reads_every_cache(
    client, catalog
):
    """For 4 users at 32K the row gave one user's speed at the full context (83.2) beside their share at the
    start (146 each): each user's own share there, with every user's cache read in each step, is 35.1."""
    response = client.get("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=32768&batch=4")
    html, plan = response.content.decode(), response.context["shown_plan"]
    full, low, high = speed(html, "decode-at-context")
    assert low < full < high
    assert full == float(format_rate(plan.decode_tok_s_aggregate_at_context / 4))
    # the single stream's range at the full context, scaled as the start's per-user range is
    scale = plan.decode_tok_s_aggregate_at_context / 4 / plan.decode_tok_s_at_context
    assert (low, high) == (
        float(format_rate(plan.decode_tok_s_at_context_low * scale)),
        float(format_rate(plan.decode_tok_s_at_context_high * scale)),
    )
    assert "At full context</a>, each of 4 users</dt>" in html
    assert f"one user alone: {format_rate(plan.decode_tok_s_at_context)} tok/s" in html
    assert full < speed(html, "decode")[0] / 4  # well under a quarter of each one's share at the start
