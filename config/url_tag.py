"""`{% url %}` that remembers what it reversed: a template builtin (settings.TEMPLATES) in place of Django's.

A calculator page writes ~60 links with `{% url %}` (the glossary's terms beside each number, the
navigation), and reversing each one again was ~7% of an uncached page's CPU (py-spy over 600 distinct
calculator answers): `reverse()` walks the namespaces and substitutes and quotes the pattern's
arguments every time. A URL is a function of the name, its arguments, the current app, the URLconf and
the script prefix, so those are the key; arguments other than strings and integers (a model instance,
a lazy string) are reversed each time, as before, since their text could change under an equal key.

Most of those tags name the view and its arguments in the template itself (`{% url 'glossary:term'
'kv-cache' %}`): such a tag keeps its URL, escaped, per current app, URLconf and script prefix, and the
three are read once per render (`_reversing`): the URLconf and the prefix are thread-locals behind
asgiref's lock, ~5 µs a read, and reading them and escaping again for each of a page's ~40 tags was ~3%
of an uncached calculator page's CPU (py-spy).
"""

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Library
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

register = Library()

PLAIN = (str, SafeString, int)  # a name or argument written in the template is a SafeString


@lru_cache(maxsize=4096)
def _reversed(view_name: str, args: tuple, kwargs: tuple, current_app, urlconf, prefix: str) -> str:
    # urlconf and prefix are part of the key only: reverse() reads them itself
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)


# Bumped when the URLconf setting changes (tests): a tag's kept URLs are keyed on it, as the thread's
# URLconf (`get_urlconf`) is None whatever ROOT_URLCONF says.
_settings_seen = [0]


@receiver(setting_changed)
def _forget(*, setting, **_) -> None:
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _reversed.cache_clear()
        _settings_seen[0] += 1


def _reversing(context) -> tuple:
    """(current app, URLconf, script prefix, settings seen): what a URL depends on besides its name and
    arguments, read once per render and kept on its context (an include renders with the same one)."""
    try:
        return context.url_reversing
    except AttributeError:
        pass
    try:
        current_app = context.request.current_app
    except AttributeError:
        try:
            current_app = context.request.resolver_match.namespace
        except AttributeError:
            current_app = None
    context.url_reversing = (current_app, get_urlconf(), get_script_prefix(), _settings_seen[0])
    return context.url_reversing


class RememberedURLNode(URLNode):
    def __init__(self, view_name, args, kwargs, asvar):
        super().__init__(view_name, args, kwargs, asvar)
        # a view name and arguments all written as text in the template: its URL (and that escaped) per
        # current app, URLconf and prefix
        written = [view_name, *args, *kwargs.values()]
        self.written: dict[tuple, tuple[str, str]] | None = (
            {} if not any(e.is_var or e.filters for e in written) else None
        )

    def render(self, context):
        reversing = _reversing(context)
        if self.written is not None and (reversing[0] is None or type(reversing[0]) in PLAIN):
            kept = self.written.get(reversing)
            if kept is None:
                url = self._reverse(context, reversing)
                if len(self.written) >= 16:  # other URLconfs and prefixes (tests): the last few kept
                    self.written.clear()
                kept = self.written[reversing] = (url, conditional_escape(url))
            return self._written(context, *kept)
        url = self._reverse(context, reversing)
        return self._written(context, url, conditional_escape(url) if context.autoescape else url)

    def _written(self, context, url: str, escaped: str) -> str:
        if self.asvar:
            context[self.asvar] = url
            return ""
        return escaped if context.autoescape else url

    def _reverse(self, context, reversing: tuple) -> str:
        """Django's reverse() of the tag's name and arguments, remembered per process where they are
        plain text; "" for a name that does not reverse under `as` (the tag raises NoReverseMatch without it)."""
        current_app, urlconf, prefix, _ = reversing
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple((k, v.resolve(context)) for k, v in self.kwargs.items())
        view_name = self.view_name.resolve(context)
        url = ""
        try:
            if (
                type(view_name) in PLAIN
                and all(type(a) in PLAIN for a in args)
                and all(type(v) in PLAIN for _, v in kwargs)
                and (current_app is None or type(current_app) in PLAIN)
            ):
                url = _reversed(view_name, args, kwargs, current_app, urlconf, prefix)
            else:
                url = reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        return url


@register.tag
def url(parser, token):
    """Django's `{% url %}` (same syntax, same output), each URL reversed once per process."""
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
