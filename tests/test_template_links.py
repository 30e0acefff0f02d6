"""Templates link to the site's own pages through `{% url 'app:name' %}`, never a typed path: a route
that moves then moves every link to it, and a link to a route that does not exist fails to render."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# An attribute that takes a URL, holding a path of this site ("/..."); the static files are assets
# served by whitenoise ({% static %} writes them), and "#..." fragments stay on the page.
INTERNAL = re.compile(r"""\b(?:href|src|action|formaction|hx-get|hx-post)=["']/(?!static/)[^"']*["']""")
# The server error page is rendered without the URL resolver, which may be what failed (tests/test_error_pages.py).
RESOLVER_FREE = {"500.html"}


def test_templates_link_internal_pages_by_url_name():
    typed = [
        f"{path.relative_to(TEMPLATES)}:{n}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file() and str(path.relative_to(TEMPLATES)) not in RESOLVER_FREE
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for match in INTERNAL.finditer(line)
    ]
    assert not typed, "use {% url 'app:name' %} for these links:\n" + "\n".join(typed)
