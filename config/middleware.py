"""Request ids for the logs, and a per-client rate limit on the JSON API."""

import json
import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse

log = logging.getLogger("willitrun.requests")


class RequestIdMiddleware:
    """Tag each request with an id (kept from X-Request-ID when a proxy sets one) and log it as JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        log.info(
            json.dumps(
                {
                    "request_id": request.id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                }
            )
        )
        return response


class ApiRateLimitMiddleware:
    """At most API_RATE_LIMIT requests per API_RATE_WINDOW seconds per client on /api/: then 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and settings.API_RATE_LIMIT:
            window = settings.API_RATE_WINDOW
            slot = int(time.time() // window)
            key = f"ratelimit:{client_address(request)}:{slot}"
            added = cache.add(key, 1, timeout=window + 1)
            count = 1 if added else cache.incr(key)
            if count > settings.API_RATE_LIMIT:
                retry_after = max(1, int(window - time.time() % window))
                response = JsonResponse(
                    {
                        "errors": {
                            "__all__": [
                                f"Too many requests: at most {settings.API_RATE_LIMIT} per {window} s."
                            ]
                        }
                    },
                    status=429,
                )
                response["Retry-After"] = str(retry_after)
                return response
        return self.get_response(request)


def client_address(request) -> str:
    """The client's address; behind a trusted proxy, the first X-Forwarded-For entry."""
    if settings.BEHIND_PROXY and (forwarded := request.headers.get("X-Forwarded-For")):
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")
