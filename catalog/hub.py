"""One file from the Hugging Face Hub (a repo's config.json) within a deadline, in the caller's thread.

Every network step (connect, TLS, the request, each read, each redirect) gets what is left of one
deadline as its socket timeout, and the deadline is checked between steps: `get_file()` returns or
raises about `timeout_s` after it was called, and nothing it started runs on afterwards: no thread,
no retry, no background download. (Name resolution is the system resolver's: it answers or fails at
once here, as on any host with a DNS server; the socket timeouts cannot bound it.)

huggingface_hub's `hf_hub_download` retries an unreachable Hub for about 25 s, which is why the admin
used to give up on it from another thread and leave it running there.
"""

import http.client
import os
import time
from urllib.parse import quote, urljoin, urlsplit

HUB_URL = "https://huggingface.co"  # tests point it at a local server
MAX_REDIRECTS = 3  # the Hub redirects a renamed repo once, and a large file to its CDN once
CHUNK_BYTES = 64 * 1024
REDIRECTS = {301, 302, 303, 307, 308}


class HubError(Exception):
    """The Hub did not give the file; the message says why, for an editor to read."""


class HubTimeout(HubError):
    """The deadline passed before the file arrived."""


def file_url(repo_id: str, filename: str, revision: str = "main") -> str:
    return f"{HUB_URL}/{repo_id}/resolve/{quote(revision, safe='')}/{filename}"


def get_file(
    repo_id: str, filename: str, *, timeout_s: float, max_bytes: int, revision: str = "main"
) -> bytes:
    """The file's bytes. HubTimeout once `timeout_s` has passed; HubError for any other failure (no
    such repo or file, gated, too large, unreachable). HF_TOKEN, if set, is sent to the Hub only."""
    deadline = time.monotonic() + timeout_s
    url = file_url(repo_id, filename, revision)
    hub = urlsplit(HUB_URL).netloc
    token = os.environ.get("HF_TOKEN", "")
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        headers = {"User-Agent": "will-it-run (catalog import)", "Accept-Encoding": "identity"}
        if token and parts.netloc == hub:
            headers["Authorization"] = f"Bearer {token}"
        status, location, body = _get_once(url, headers, deadline=deadline, max_bytes=max_bytes)
        if status in REDIRECTS and location:
            url = urljoin(url, location)
            if urlsplit(url).scheme not in ("https", urlsplit(HUB_URL).scheme):
                raise HubError(f"The Hub redirected to {url}, which is not https.")
            continue
        if status == 200:
            return body
        raise HubError(_status_message(status, repo_id, filename))
    raise HubError(f"The Hub redirected more than {MAX_REDIRECTS} times for {repo_id}/{filename}.")


def _status_message(status: int, repo_id: str, filename: str) -> str:
    if status in (401, 403):
        return f"{repo_id} is gated or private (HTTP {status}): paste its {filename} instead."
    if status == 404:
        return f"The Hub has no {filename} in {repo_id} (HTTP 404): check the repo id."
    if status == 429:
        return "The Hub is rate-limiting this server (HTTP 429): try again in a minute."
    return f"The Hub answered HTTP {status} for {repo_id}/{filename}."


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise HubTimeout("out of time")
    return left


def _get_once(url: str, headers: dict, *, deadline: float, max_bytes: int) -> tuple[int, str, bytes]:
    """(status, Location, body) of one GET; the body only for a 200 (at most `max_bytes`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise HubError(f"Not a Hub address: {url}")
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=_left(deadline))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("GET", path or "/", headers=headers)
        sock = connection.sock  # the response reads from it, even once the connection lets it go
        sock.settimeout(_left(deadline))
        response = connection.getresponse()
        if response.status != 200:
            return response.status, response.getheader("Location", ""), b""
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise HubError(f"The file is {int(length):,} bytes; the limit is {max_bytes:,}.")
        body = bytearray()
        while True:
            sock.settimeout(_left(deadline))
            chunk = response.read1(CHUNK_BYTES)
            if not chunk:
                return 200, "", bytes(body)
            body += chunk
            if len(body) > max_bytes:
                raise HubError(f"The file is over {max_bytes:,} bytes, the limit.")
    except TimeoutError:  # socket.timeout is TimeoutError
        raise HubTimeout("out of time") from None
    except (OSError, http.client.HTTPException) as e:  # refused, reset, DNS, TLS, a malformed answer
        raise HubError(f"Could not reach the Hugging Face Hub: {e or type(e).__name__}") from None
    finally:
        connection.close()
