"""config/url_tag.py: `{% url %}` remembers what it reversed and writes what Django's tag wrote."""

import pytest
from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from config import url_tag


def render(text: str, **context) -> str:
    return engines["django"].from_string(text).render(context)


def test_the_builtin_url_tag_is_the_remembering_one():
    template = engines["django"].from_string("{% url 'glossary:term' 'kv-cache' %}")
    assert isinstance(template.template.nodelist[0], url_tag.RememberedURLNode)


def test_urls_are_reversed_as_django_does_and_once():
    url_tag._reversed.cache_clear()
    text = "{% url 'glossary:term' slug %}|{% url 'calculator:will-it-run' %}|{% url 'glossary:term' slug %}"
    term = reverse("glossary:term", args=["kv-cache"])
    assert render(text, slug="kv-cache") == f"{term}|{reverse('calculator:will-it-run')}|{term}"
    info = url_tag._reversed.cache_info()
    assert (info.misses, info.hits) == (2, 1)


def test_an_argument_that_is_not_plain_text_is_reversed_each_time():
    class Slug:
        def __str__(self):
            return "kv-cache"

    url_tag._reversed.cache_clear()
    assert render("{% url 'glossary:term' slug %}", slug=Slug()) == reverse(
        "glossary:term", args=["kv-cache"]
    )
    assert url_tag._reversed.cache_info().currsize == 0


def test_as_variable_and_escaping_and_errors_behave_as_before():
    assert render("{% url 'glossary:term' 'kv-cache' as u %}[{{ u }}]") == "[/glossary/kv-cache/]"
    assert render("{% url 'no-such-view' as u %}[{{ u }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-view' %}")


@override_settings(FORCE_SCRIPT_NAME="/sub/")
def test_a_new_script_name_gives_new_urls():
    from django.urls import set_script_prefix

    set_script_prefix("/sub/")
    try:
        assert render("{% url 'calculator:will-it-run' %}") == "/sub/"
    finally:
        set_script_prefix("/")
    assert render("{% url 'calculator:will-it-run' %}") == "/"
