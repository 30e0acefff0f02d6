"""After a submission, the thank-you shows the rows as they were read and stored, and only those: their ids
travel signed in the redirect (`?rows=`)."""

import pytest

from tests.community.test_ambiguous_gpu import MODEL, ampere, on, send  # noqa: F401 (ampere: the fixture)
from tests.community.test_submit import SUBMIT


def test_the_thank_you_shows_the_rows_as_read(client, catalog):
    response = send(client, gpu="geforce-rtx-3080-12-gb")
    html = client.get(response["Location"]).content.decode()
    shown = html.split('data-testid="submitted"')[1].split("</section>")[0]
    assert "Llama 3.1 8B" in shown and "Q4_K_M" in shown
    assert "1× GeForce RTX 3080 12 GB, read from llama-bench (build 93bc3839 (3622))" in shown
    assert "<td>pp512</td><td>3806.89</td><td>CUDA</td><td>Waiting for review</td>" in shown
    assert "<td>tg128</td><td>111.95</td>" in shown


@pytest.mark.parametrize("rows", ["", "x", "eyJh:bad:sig", "W10:1t:abc", "\x00", "9" * 5000])
def test_a_rows_token_altered_or_odd_shows_no_rows_and_never_fails(client, catalog, rows):
    response = client.get(SUBMIT, {"sent": "2", "rows": rows})
    assert response.status_code == 200 and 'data-testid="submitted"' not in response.content.decode()


def test_the_rows_shown_are_only_those_of_the_token(client, catalog):
    first = send(client, gpu="geforce-rtx-3080-12-gb")
    other = client.post(SUBMIT, {"model": MODEL, "paste": on("3080 Ti"), "gpu": "geforce-rtx-3080-ti"})
    assert other.status_code == 303
    html = client.get(first["Location"]).content.decode()
    assert "3080 Ti" not in html.split('data-testid="submitted"')[1].split("</section>")[0]
    # the token names the rows; changing the count in the address does not widen it
    token = first["Location"].split("rows=")[1]
    tampered = client.get(SUBMIT, {"sent": "2", "rows": token[:-2] + "xx"}).content.decode()
    assert 'data-testid="submitted"' not in tampered


def test_a_paste_sent_again_shows_the_rows_received_before(client, catalog):
    send(client, gpu="geforce-rtx-3080-12-gb")
    again = send(client, gpu="geforce-rtx-3080-12-gb")
    assert "sent=0&already=2" in again["Location"]
    html = client.get(again["Location"]).content.decode()
    assert "<td>tg128</td><td>111.95</td>" in html and "Waiting for review" in html
