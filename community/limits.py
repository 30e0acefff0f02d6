"""Per-client rate limits for POST views whose paths config/middleware.py does not list: the same
counters (keys, cache, settings) and the same 429 as RateLimitMiddleware, applied as a decorator.

`/rig/` counts toward the page limit, as `/own-model/` does; a visitor's measurement, which stores rows,
toward the share limit (PAGE_ / SHARE_RATE_LIMIT per _RATE_WINDOW seconds; 0 turns a scope off).
"""

import functools
import time

from django.conf import settings
from django.http import HttpResponse

from config.middleware import _count, client_address


def limited(scope: str):
    """Count each POST to the view toward `scope` ("page" or "share") for the client's address."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            limit = getattr(settings, f"{scope.upper()}_RATE_LIMIT")
            if request.method != "POST" or not limit:
                return view(request, *args, **kwargs)
            window = max(1, getattr(settings, f"{scope.upper()}_RATE_WINDOW"))
            now = time.time()
            if (
                _count(
                    f"ratelimit:{scope}:{client_address(request)}:{int(now // window)}", timeout=window + 1
                )
                <= limit
            ):
                return view(request, *args, **kwargs)
            retry_after = max(1, int(window - now % window))
            too_many = HttpResponse(
                f"Too many requests: at most {limit} per {window} s from one address. "
                f"Try again in {retry_after} s.\n",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            too_many["Retry-After"] = str(retry_after)
            return too_many

        return wrapped

    return decorator
