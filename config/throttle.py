"""The admin login refuses password guessing: 5 failures per username or per client in 15 minutes.

After `MAX_FAILURES` failed logins for one username, or from one client address, within `WINDOW_S`
seconds of the first of them, the admin login form answers "Too many failed attempts, try again in
N minutes" without calling `authenticate()`, so even the right password is refused until the
window ends. A successful login clears the counters of its username and address. Counters live in
Django's cache (`cache.add` + `cache.incr`, atomic on locmem and Redis alike), so with
`CACHE_URL=redis://...` every worker process shares them; with the default local-memory cache each
process counts on its own, which still caps guessing at a few attempts per window per process.

Why a form and not django-axes: axes is well kept, but it brings its own models and migrations, a
middleware, an authentication backend and a dozen settings, for a site whose only password form is
the admin's. Why a form and not the `user_login_failed` signal: the form sees the request (for the
client address, the same `client_address()` the API rate limit uses, honouring BEHIND_PROXY) and
runs before `authenticate()`, so a refused attempt never reaches the password hasher; the signal
fires only after the password was checked. Wired in config/urls.py: `admin.site.login_form`.

The cost, as with every lockout: someone who knows an admin's username can keep that account
locked by failing on purpose; the admin can still log in from a shell (`manage.py changepassword`)
or wait for the window to pass.
"""

import hashlib
import logging
import math
import time

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError

from .middleware import client_address

MAX_FAILURES = 5
WINDOW_S = 15 * 60

log = logging.getLogger("willitrun.security")


def _keys(username: str | None, address: str) -> list[str]:
    keys = []
    if username:
        digest = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]  # any text, safe as a key
        keys.append(f"login-failures:user:{digest}")
    if address:
        keys.append(f"login-failures:ip:{address}")
    return keys


def seconds_locked(username: str | None, address: str) -> float:
    """How long until this username and address may try again: 0 when they may now."""
    now = time.time()
    counts = cache.get_many(_keys(username, address))
    waits = [0.0]
    for key, count in counts.items():
        if count >= MAX_FAILURES:
            since = cache.get(f"{key}:since", now)
            waits.append(max(1.0, since + WINDOW_S - now))
    return max(waits)


def record_failure(username: str | None, address: str) -> None:
    for key in _keys(username, address):
        if cache.add(key, 1, timeout=WINDOW_S):
            cache.set(f"{key}:since", time.time(), timeout=WINDOW_S)
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr(): a new window
            cache.set(key, 1, timeout=WINDOW_S)
            cache.set(f"{key}:since", time.time(), timeout=WINDOW_S)


def reset(username: str | None, address: str) -> None:
    keys = _keys(username, address)
    cache.delete_many(keys + [f"{key}:since" for key in keys])


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin login form, refusing a username or address after too many failures."""

    def clean(self):
        username = self.cleaned_data.get("username")
        address = client_address(self.request) if self.request else ""
        if wait := seconds_locked(username, address):
            minutes = math.ceil(wait / 60)
            log.warning("admin login refused: too many failures for %r or from %s", username, address)
            raise ValidationError(
                "Too many failed attempts, try again in %(minutes)s minute%(plural)s.",
                code="throttled",
                params={"minutes": minutes, "plural": "" if minutes == 1 else "s"},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            record_failure(username, address)
            raise
        if self.user_cache is not None:
            reset(username, address)
        return cleaned
