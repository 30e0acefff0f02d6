"""Gunicorn's workers (gunicorn.conf.py `worker_class`), answering a request line over gunicorn's limit
(`limit_request_line`) with the site's own 414 page, where gunicorn's own is a bare "URI Too Long" and the
line's length in bytes. Gunicorn stops reading the line at its limit, so the work stays bounded; the page
is rendered once per worker, on the first such request (config/middleware.py `too_long_page`, the page the
site answers with for an address over its own, lower, bound)."""

import functools

from gunicorn import util
from gunicorn.http.errors import LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker


@functools.cache
def too_long_bytes() -> bytes:
    """The whole HTTP response: status line, headers (the site's policies among them) and page."""
    from config.middleware import too_long_page

    response = too_long_page(None, None)
    headers = {
        "Content-Type": response["Content-Type"],
        "Content-Length": str(len(response.content)),
        "Connection": "close",  # the rest of the line is never read
        **{name: value for name, value in response.items() if name.startswith("Content-Security-Policy")},
    }
    head = "HTTP/1.1 414 URI Too Long\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1") + response.content


class SitePages:
    """A worker mixin: the site's page for a request line over the limit, gunicorn's handling otherwise
    (and if the page cannot be rendered)."""

    def handle_error(self, req, client, addr, exc):
        if isinstance(exc, LimitRequestLine):
            try:
                answer = too_long_bytes()
            except Exception:
                self.log.exception("The site's 414 page could not be rendered")
            else:
                self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
                try:
                    util.write_nonblock(client, answer)
                except OSError:
                    self.log.debug("Failed to send the 414 page.")
                return
        super().handle_error(req, client, addr, exc)


class SiteSyncWorker(SitePages, SyncWorker):
    pass


class SiteThreadWorker(SitePages, ThreadWorker):
    pass
