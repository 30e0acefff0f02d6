"""The same run sent again is received once: same model, format, GPUs, test, speed and line read."""

from community.models import VisitorMeasurement
from tests.community.test_parse import BENCH_NKVO
from tests.community.test_submit import SUBMIT, submit, thanks


def test_the_same_paste_sent_again_is_not_stored_twice(client, catalog):
    first = submit(client)
    again = submit(client)
    assert thanks(first) == SUBMIT + "?sent=2"
    assert again.status_code == 303 and thanks(again) == SUBMIT + "?sent=0&already=2"
    assert VisitorMeasurement.objects.count() == 2
    html = client.get(again["Location"]).content.decode()
    assert "Already received, waiting for review: 2 results you sent before, stored once." in html
    assert "Thank you" not in html


def test_a_paste_with_one_new_run_stores_only_that_one(client, catalog):
    submit(client)
    response = submit(client, paste=BENCH_NKVO.replace("127.43", "126.90"))
    assert thanks(response) == SUBMIT + "?sent=1&already=1"
    assert sorted(VisitorMeasurement.objects.values_list("tok_s", flat=True)) == [126.9, 127.43, 4035.47]
    html = client.get(response["Location"]).content.decode()
    assert "Thank you: 1 result waits for review. 1 more was already received." in html


def test_the_same_run_on_other_hardware_is_a_new_run(client, catalog):
    submit(client)
    assert thanks(submit(client, count="2")) == SUBMIT + "?sent=2"
    assert VisitorMeasurement.objects.count() == 4


def test_a_line_pasted_twice_in_one_paste_is_stored_once(client, catalog):
    table = BENCH_NKVO.split("\n")
    doubled = "\n".join([*table[:5], table[4], *table[5:]])
    assert thanks(submit(client, paste=doubled)) == SUBMIT + "?sent=2&already=1"
    assert VisitorMeasurement.objects.count() == 2


def test_a_count_in_the_address_that_is_not_a_few_digits_is_ignored(client, catalog):
    for query in ("?sent=0&already=" + "9" * 5000, "?sent=0&already=²", "?sent=x"):
        html = client.get(SUBMIT + query).content.decode()
        assert 'data-testid="sent"' not in html or "Thank you: 0 results wait for review.</p>" in html
