"""The page gives decode speed at the start of a chat and with the whole chosen context cached (issue 14:
128K of context on a 4090 must not show only the start-of-chat figure)."""

import re

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
