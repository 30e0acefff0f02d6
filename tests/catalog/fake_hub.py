"""A stand-in for the Hugging Face Hub, served from this process (the real Hub is unreachable here).

`fake_hub` (import `fake_hub_fixture`) points catalog.hub.HUB_URL at a local HTTP server whose answers a test chooses per path:
`hub.routes["/org/model/resolve/main/config.json"] = ok(b"{...}")`. Answers: `ok(body)`,
`status(404)`, `redirect("/elsewhere")`, `silent()` (accepts, never answers), `trickle(body, delay_s)`
(the headers at once, then one byte per delay).
"""

import contextlib
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from catalog import hub

Answer = Callable[[BaseHTTPRequestHandler, threading.Event], None]


def ok(body: bytes) -> Answer:
    def answer(handler, _released):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def status(code: int) -> Answer:
    def answer(handler, _released):
        handler.send_response(code)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def redirect(location: str) -> Answer:
    def answer(handler, _released):
        handler.send_response(307)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def silent() -> Answer:
    def answer(_handler, released):
        released.wait(30)  # a Hub that takes the connection and never answers

    return answer


def trickle(body: bytes, delay_s: float) -> Answer:
    def answer(handler, released):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            if released.wait(delay_s):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return answer


class FakeHub:
    def __init__(self):
        self.routes: dict[str, Answer] = {}
        self.requests: list[tuple[str, dict]] = []
        self.released = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests.append((self.path, dict(self.headers)))
                answer = fake.routes.get(self.path, status(404))
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    answer(self, fake.released)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-hub", daemon=True)

    def config_path(self, repo_id: str, revision: str = "main") -> str:
        return f"/{repo_id}/resolve/{revision}/config.json"


def server_thread(thread: threading.Thread) -> bool:
    """The fake Hub's own threads: the server loop and one per request."""
    return thread.name == "fake-hub" or "process_request_thread" in thread.name


@pytest.fixture(name="fake_hub")
def fake_hub_fixture(monkeypatch):
    """Import `fake_hub_fixture` into a test module to use `fake_hub`."""
    fake = FakeHub()
    fake.thread.start()
    monkeypatch.setattr(hub, "HUB_URL", fake.url)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield fake
    fake.released.set()
    fake.server.shutdown()
    fake.server.server_close()
