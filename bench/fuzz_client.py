"""bench/fuzz_requests.py's HTTP client: a session with cookies and CSRF tokens, the answers it got,
and the forms and links read from a page."""

import html
import http.client
import http.cookies
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from fuzz_inputs import multipart


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage | None
    body: bytes
    seconds: float


@dataclass
class Sent:
    group: str
    method: str
    url: str
    status: int  # 0: no answer (the connection failed)
    seconds: float
    error: str = ""
    location: str = ""  # where a redirect points


@dataclass
class Session:
    """Cookies of one browser (the admin's), kept across requests."""

    cookies: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def header(self) -> str:
        with self.lock:
            return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def keep(self, headers: http.client.HTTPMessage | None) -> None:
        for line in (headers.get_all("Set-Cookie") or []) if headers else []:
            cookie = http.cookies.SimpleCookie(line)
            with self.lock:
                self.cookies |= {k: m.value for k, m in cookie.items()}


class Client:
    """Sends requests to the server, numbering each (X-Request-ID f<n>) and keeping what came back."""

    def __init__(self, base: str, total: int):
        parts = urlsplit(base)
        self.host, self.port, self.origin = parts.hostname, parts.port, base
        self.total, self.numbers, self.lock = total, itertools.count(1), threading.Lock()
        self.sent: dict[str, Sent] = {}
        self.admin = Session()
        self.snapshots: list[str] = []

    def send(self, group, method, path, *, headers=(), body=b"", content_type="", session=None) -> Reply:
        request_id = f"f{next(self.numbers)}"
        headers = {"X-Request-ID": request_id, **dict(headers)}
        if content_type:
            headers["Content-Type"] = content_type
        if session and (cookie := session.header()):
            headers["Cookie"] = cookie
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read(), 0.0)
        except (OSError, http.client.HTTPException) as error:
            reply = Reply(0, None, str(error).encode(), 0.0)
        finally:
            connection.close()
        reply.seconds = time.monotonic() - started
        if session:
            session.keep(reply.headers)
        error = reply.body[:200].decode(errors="replace") if reply.status == 0 else ""
        location = reply.headers.get("Location", "") if reply.headers else ""
        with self.lock:
            self.sent[request_id] = Sent(group, method, path, reply.status, reply.seconds, error, location)
        return reply

    @property
    def done(self) -> bool:
        return len(self.sent) >= self.total

    def post_form(self, group, path, fields, *, session=None, files=(), headers=()) -> Reply:
        if files:
            content_type, body = multipart(fields, list(files))
        else:
            content_type, body = "application/x-www-form-urlencoded", urlencode(fields).encode()
        referer = (("Referer", f"{self.origin}{path}"),) if session else ()
        return self.send(
            group,
            "POST",
            path,
            body=body,
            content_type=content_type,
            session=session,
            headers=referer + headers,
        )


# --- The admin: discovered from its own pages ----------------------------------------------------------


class FormFields(HTMLParser):
    """The fields of a page's forms (by form id): what a browser would submit, and each select's options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, list[list]] = {}
        self.options: dict[str, list[str]] = {}
        self._form, self._select, self._textarea = None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = self.forms.setdefault(a.get("id") or f"form{len(self.forms)}", [])
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind not in {"submit", "button", "image", "file", "reset"}:
                self._form.append([a["name"], a.get("value") or ""])
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self.options[self._select].append(a.get("value", ""))
            if "selected" in a:
                self._form.append([self._select, a.get("value", "")])
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
            self._form.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def links(body: bytes) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"#]*)"', body.decode(errors="replace"))]
