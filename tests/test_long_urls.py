"""An address too long to read gets the site's own 414 and how to shorten the question: from Django below
gunicorn's request line (config/middleware.py LongUrlMiddleware), from gunicorn's worker past it
(config/gunicorn_workers.py). Gunicorn itself answering is in tests/test_container.py."""

import runpy
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.http.errors import LimitRequestLine

from calculator.models import MAX_QUERY_CHARS
from config.gunicorn_workers import SitePages, too_long_bytes
from config.middleware import MAX_URL_CHARS

ROOT = Path(__file__).resolve().parent.parent
PAGE = "/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&config="  # a config.json pasted, sent whole


def too_long(path: str, over: int = 1) -> str:
    """`path` padded to MAX_URL_CHARS + `over` characters (path and query string together)."""
    return path + "x" * (MAX_URL_CHARS + over - len(path))


def test_an_address_over_the_bound_gets_the_sites_page_saying_how_to_shorten_it(client):
    response = client.get(too_long(PAGE))
    assert response.status_code == 414 and response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert 'class="site-header"' in html  # the site's page, not a bare one
    assert (
        f"This address is {MAX_URL_CHARS + 1:,} characters long; the site reads addresses of at most 8,100."
        in html
    )
    assert "choose the file (or type its Hugging Face id) and press “Read it”" in html
    assert "Content-Security-Policy" in response  # answered above the CSP middleware


def test_the_api_answers_json_and_an_image_a_line_of_text(client):
    api = client.get(too_long("/api/v1/estimate?model="))
    assert api.status_code == 414 and api["Content-Type"] == "application/json"
    [message] = api.json()["errors"]["__all__"]
    assert message.startswith(f"This address is {MAX_URL_CHARS + 1:,} characters long")
    assert "minified" in message and "model=Qwen/Qwen3-8B" in message
    image = client.get(too_long("/og.png?config="))
    assert image.status_code == 414 and image["Content-Type"] == "text/plain; charset=utf-8"


def test_the_live_answer_says_it_in_its_place(client):
    """HTMX swaps a 400 (base.html's htmx-config), not a 414: the answer would have stayed as it was."""
    response = client.get(too_long(PAGE), headers={"HX-Request": "true", "HX-Target": "result"})
    html = response.content.decode()
    assert response.status_code == 400 and html.startswith('<section id="result"')
    assert 'data-testid="too-long"' in html and "Read it" in html


@pytest.mark.django_db
def test_an_address_at_the_bound_is_read(client):
    response = client.get(too_long("/glossary/?q=", over=0))
    assert response.status_code != 414


def test_the_bound_opens_every_shared_question_and_is_under_gunicorns_request_line(monkeypatch):
    """A share keeps a query string of up to MAX_QUERY_CHARS: its permalink opens. Gunicorn reads a request
    line of "POST ", the address and " HTTP/1.1": every address up to the bound reaches Django."""
    assert len("/?") + MAX_QUERY_CHARS <= MAX_URL_CHARS
    monkeypatch.delenv("GUNICORN_LIMIT_REQUEST_LINE", raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert len("POST ") + MAX_URL_CHARS + len(" HTTP/1.1") < conf["limit_request_line"] <= 8190


def test_gunicorns_worker_answers_a_line_over_its_limit_with_the_sites_page():
    """What the worker writes where gunicorn wrote its bare "URI Too Long" and the line's length."""
    warned = []
    worker = SitePages()
    worker.log = SimpleNamespace(warning=lambda *a: warned.append(a), exception=None, debug=None)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        worker.handle_error(None, ours, ("127.0.0.1", 1), LimitRequestLine(9000, 8190))
        ours.shutdown(socket.SHUT_WR)
        answer = b"".join(iter(lambda: theirs.recv(65536), b""))
    assert answer == too_long_bytes()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    assert b"Content-Type: text/html; charset=utf-8" in head and b"Content-Security-Policy: " in head
    assert f"Content-Length: {len(body)}".encode() in head
    page = body.decode()
    assert 'class="site-header"' in page and "longer than the 8,100 characters the site reads" in page
    assert warned
