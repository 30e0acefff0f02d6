"""`{% url %}` that remembers what it reversed: a template builtin (settings.TEMPLATES) in place of Django's.

A calculator page writes ~60 links with `{% url %}` (the glossary's terms beside each number, the
navigation), and reversing each one again was ~7% of an uncached page's CPU (py-spy over 600 distinct
calculator answers): `reverse()` walks the namespaces and substitutes and quotes the pattern's
arguments every time. A URL is a function of the name, its arguments, the current app, the URLconf and
the script prefix, so those are the key; arguments other than strings and integers (a model instance,
a lazy string) are reversed each time, as before, since their text could change under an equal key.
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


@receiver(setting_changed)
def _forget(*, setting, **_) -> None:
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _reversed.cache_clear()


class RememberedURLNode(URLNode):
    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple((k, v.resolve(context)) for k, v in self.kwargs.items())
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            if (
                type(view_name) in PLAIN
                and all(type(a) in PLAIN for a in args)
                and all(type(v) in PLAIN for _, v in kwargs)
                and (current_app is None or type(current_app) in PLAIN)
            ):
                url = _reversed(view_name, args, kwargs, current_app, get_urlconf(), get_script_prefix())
            else:
                url = reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's `{% url %}` (same syntax, same output), each URL reversed once per process."""
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
