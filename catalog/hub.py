"""Files and file lists from the Hugging Face Hub within a deadline, in the caller's thread.

Every network step (connect, TLS, the request, each read, each redirect) gets what is left of one
deadline as its socket timeout, and the deadline is checked between steps: `get_file()` and
`model_info()` return or raise about `timeout_s` after they were called, and nothing they started runs
on afterwards: no thread, no retry, no background download. (Name resolution is the system resolver's:
it answers or fails at once here, as on any host with a DNS server; the socket timeouts cannot bound it.)

huggingface_hub's `hf_hub_download` retries an unreachable Hub for about 25 s, which is why the admin
used to give up on it from another thread and leave it running there. `model_info()` asks what
huggingface_hub's `HfApi.model_info(repo_id, files_metadata=True)` asks: `GET /api/models/{repo_id}`
with `blobs=True`, whose `siblings` list every file with its size (src/huggingface_hub/hf_api.py).
"""

import http.client
import logging
import os
import time
from urllib.parse import quote, urljoin, urlsplit

logger = logging.getLogger(__name__)

HUB_URL = "https://huggingface.co"  # tests point it at a local server
MAX_REDIRECTS = 3  # the Hub redirects a renamed repo once, and a large file to its CDN once
CHUNK_BYTES = 64 * 1024
REDIRECTS = {301, 302, 303, 307, 308}


class HubError(Exception):
    """The Hub did not give the file; the message says why, in words for an editor or a visitor."""


class HubTimeout(HubError):
    """The deadline passed before the file arrived."""


class HubTooLarge(HubError):
    """The answer is over the size limit given."""


class HubNotFound(HubError):
    """The repo exists but has no such file (HTTP 404): a GGUF-only repo has no config.json."""


def file_url(repo_id: str, filename: str, revision: str = "main") -> str:
    return f"{HUB_URL}/{repo_id}/resolve/{quote(revision, safe='')}/{filename}"


def get_file(
    repo_id: str,
    filename: str,
    *,
    timeout_s: float,
    max_bytes: int,
    revision: str = "main",
    first_bytes: bool = False,
) -> bytes:
    """The file's bytes. HubTimeout once `timeout_s` has passed; HubError for any other failure (no
    such repo or file, gated, too large, unreachable). HF_TOKEN, if set, is sent to the Hub only.
    With `first_bytes`, only the file's first `max_bytes` are asked for (an HTTP Range) and kept."""
    return _get(
        file_url(repo_id, filename, revision),
        what=filename,
        instead=filename,
        repo_id=repo_id,
        timeout_s=timeout_s,
        max_bytes=max_bytes,
        first_bytes=first_bytes,
    )


def model_info(repo_id: str, *, timeout_s: float, max_bytes: int) -> bytes:
    """The Hub's JSON description of a model repo (its `siblings`: every file, with its size), as text.
    The same deadline and errors as `get_file`; over `max_bytes` (a repo of thousands of files) is a
    HubError."""
    return _get(
        f"{HUB_URL}/api/models/{repo_id}?blobs=true",
        what="file list",
        instead="config.json",
        repo_id=repo_id,
        timeout_s=timeout_s,
        max_bytes=max_bytes,
    )


def _get(
    url: str, *, what: str, instead: str, repo_id: str, timeout_s: float, max_bytes: int, first_bytes=False
) -> bytes:
    deadline = time.monotonic() + timeout_s
    hub = urlsplit(HUB_URL).netloc
    token = os.environ.get("HF_TOKEN", "")
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        headers = {"User-Agent": "will-it-run (catalog import)", "Accept-Encoding": "identity"}
        if first_bytes:
            headers["Range"] = f"bytes=0-{max_bytes - 1}"
        if token and parts.netloc == hub:
            headers["Authorization"] = f"Bearer {token}"
        status, response_headers, body = _get_once(
            url, headers, deadline=deadline, max_bytes=max_bytes, first_bytes=first_bytes
        )
        if status in REDIRECTS and response_headers.get("location"):
            url = urljoin(url, response_headers["location"])
            if urlsplit(url).scheme not in ("https", urlsplit(HUB_URL).scheme):
                raise HubError(f"The Hub redirected to {url}, which is not https.")
            continue
        if status in (200, 206):
            return body
        code = response_headers.get("x-error-code", "")
        message = _status_message(status, code, repo_id, what, instead)
        raise (HubNotFound if status == 404 and code != "RepoNotFound" else HubError)(message)
    raise HubError(f"The Hub redirected more than {MAX_REDIRECTS} times for {repo_id}/{what}.")


def _status_message(status: int, error_code: str, repo_id: str, what: str, instead: str) -> str:
    """The Hub's refusal in words. It says which in X-Error-Code (huggingface_hub's hf_raise_for_status
    reads the same header): a missing repo answers 401 RepoNotFound, so as not to reveal private ones."""
    if error_code == "RepoNotFound":
        return f"The Hub has no repo {repo_id}, or it is private (HTTP {status}): check the repo id."
    if error_code == "GatedRepo":
        return (
            f"{repo_id} is gated (HTTP {status}): the Hub gives its files only to accounts that accepted "
            f"its terms. Paste its {instead} instead."
        )
    if status in (401, 403):
        return f"{repo_id} is gated or private (HTTP {status}): paste its {instead} instead."
    if status == 404:
        return f"The Hub has no {what} in {repo_id} (HTTP 404): check the repo id."
    if status == 429:
        return "The Hub is rate-limiting this server (HTTP 429): try again in a minute."
    return f"The Hub answered HTTP {status} for {repo_id}/{what}."


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise HubTimeout("out of time")
    return left


def _get_once(
    url: str, headers: dict, *, deadline: float, max_bytes: int, first_bytes: bool
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one GET; the body only for a 200 or 206 (at most `max_bytes`: more is a
    HubError, or, with `first_bytes`, where reading stops)."""
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
        kept = {k.lower(): v for k, v in response.getheaders() if k.lower() in ("location", "x-error-code")}
        if response.status not in (200, 206):
            return response.status, kept, b""
        length = response.getheader("Content-Length")
        if not first_bytes and length and length.isdigit() and int(length) > max_bytes:
            raise HubTooLarge(f"The file is {int(length):,} bytes; the limit is {max_bytes:,}.")
        body = bytearray()
        while len(body) < max_bytes or not first_bytes:
            sock.settimeout(_left(deadline))
            chunk = response.read1(CHUNK_BYTES)
            if not chunk:
                break
            body += chunk
            if len(body) > max_bytes and not first_bytes:
                raise HubTooLarge(f"The file is over {max_bytes:,} bytes, the limit.")
        return response.status, kept, bytes(body[:max_bytes])
    except TimeoutError:  # socket.timeout is TimeoutError
        raise HubTimeout("out of time") from None
    except (OSError, http.client.HTTPException) as e:  # refused, reset, DNS, TLS, a malformed answer
        logger.warning("Hugging Face Hub unreachable: %s", e or type(e).__name__)  # the errno, for us
        raise HubError(
            "Could not reach the Hugging Face Hub just now: try again in a minute, or choose the model's "
            "config.json file instead."
        ) from None
    finally:
        connection.close()
