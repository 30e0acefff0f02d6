"""Form fields that say what was wrong in the site's words, for every form of a query string (the pages'
filters, the calculator's question, the API's parameters): a choice names what it takes, a number its limits
with thousands separators, a text its length, and a field given twice is an error (`GivenOnce`). Django's
own read "Select a valid choice. bogus is not one of the available choices.", "Ensure this value is greater
than or equal to 0.25." and "Null characters are not allowed.", and its form read the last of `a=1&a=2`."""

import re
from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.http import QueryDict

from estimator.units import or_listed


def unknown_value(what: str, values: Sequence[str]) -> str:
    """ "Unknown vendor “acme”: pick nvidia, amd, intel, apple or other.": Django's read "Select a valid
    choice. acme is not one of the available choices." and left a script to guess the values."""
    return f"Unknown {what} “%(value)s”: pick {or_listed(list(values)).replace('%', '%%')}."


def name_choices(
    field: forms.ChoiceField, what: str, *, labels: bool = True, listed: bool = True
) -> forms.ChoiceField:
    """`field`, its error naming what its choices offer now: their labels, as a page's select shows them
    ("Any, NVIDIA, AMD…"; a placeholder's "—" left out, a label that would read as several quoted:
    “Newest, new or used”), or their values, as a script types them (`labels` False: "nvidia, amd…", the
    empty value left out: it is the parameter left out); a choice among a long list of offers (`listed`
    False) counts them instead. Call again after changing the choices."""
    named = dict.fromkeys(str(label if labels else value) for value, label in field.choices)
    names = [f"“{n}”" if "," in n or " or " in n else n for n in named if any(c.isalnum() for c in n)]
    if listed:
        message = unknown_value(what, names)
    else:
        offered = sum(1 for value, _ in field.choices if value)
        message = f"Unknown {what} “%(value)s”: pick one of the {offered} in the list."
    field.error_messages = field.error_messages | {"invalid_choice": message}
    return field


def choice(what: str, choices: Sequence[tuple[str, str]], *, labels: bool = True, **kwargs):
    """An optional choice whose error names the choices (`name_choices`). `kwargs`: the field's label, help
    text."""
    return name_choices(forms.ChoiceField(required=False, choices=choices, **kwargs), what, labels=labels)


def bounded(field_class: type[forms.Field], least: float, most: float, **kwargs) -> forms.Field:
    """An optional number from `least` to `most`, its limits in the site's words, with thousands separators
    ("Enter 0.25 or more.", "Enter at most 10,485,760."): Django's read "Ensure this value is greater than
    or equal to 0.25." and "… less than or equal to 10485760."."""
    return field_class(
        required=False,
        min_value=least,
        max_value=most,
        error_messages={"min_value": f"Enter {least:,} or more.", "max_value": f"Enter at most {most:,}."},
        **kwargs,
    )


# "32768", "32,768" (or "32 768", "32_768"), "32k", "32K", "1.5k": a count of tokens as people write it.
TOKENS = re.compile(r"(?P<number>\d{1,3}(?:[,_ ]\d{3})+|\d+(?:\.\d+)?)\s*(?P<k>[kK])?")
KIBI = 1024  # "32K" is 32,768 tokens: the context presets (32768 is 32K) and the charts' axes ("32k")


class TokenCount(forms.IntegerField):
    """A number of tokens: a whole number, with or without thousands separators, or thousands of 1,024
    written with k ("8k" is 8,192; "32K" 32,768; "1.5k" 1,536), as a context is usually written. Anything
    else names the forms it takes (Django's IntegerField read "Enter a whole number." for "32k" too)."""

    default_error_messages = {"invalid": "Enter a number of tokens: 32768, 32,768 or 32k."}

    def to_python(self, value):
        if isinstance(value, str) and (written := TOKENS.fullmatch(value.strip())):
            value = re.sub("[,_ ]", "", written["number"])
            if written["k"]:
                number = Decimal(value) * KIBI
                if number != number.to_integral_value():  # "0.3k": 307.2 tokens
                    raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
                value = str(int(number))
        return super().to_python(value)


def tokens(label: str, most: int) -> TokenCount:
    """An optional number of tokens (`TokenCount`) from 1 to `most`, its limits said as `bounded` says
    them; its help (the API's description) names the forms it takes."""
    return bounded(TokenCount, 1, most, label=label, help_text="32768, 32,768 or 32k (k is 1,024)")


def search_text(label: str, max_length: int) -> forms.CharField:
    """An optional text that searches names: NUL (which PostgreSQL refuses) and a text longer than any name
    are said as such (Django's read "Null characters are not allowed." and "Ensure this value has at most 200
    characters (it has 201).")."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        error_messages={
            "null_characters_not_allowed": "No name holds a NUL character: take it out.",
            "max_length": f"At most {max_length:,} characters: no name is that long.",
        },
    )


class GivenOnce:
    """A form of the query string whose fields take one value each, but its `REPEATABLE` ones: Django's form
    reads the last of `ctx=8192&ctx=4096`, silently, and answers a question that was not asked. One given
    twice is an error (`given_once`, which the form's `clean` calls), and the form reads its first value
    (`FirstGiven`): the picker and the input show it, as the error says, and the next answer of the form as
    shown asks it alone."""

    REPEATABLE: frozenset[str] = frozenset()

    def __init__(self, data=None, *args, **kwargs):
        if isinstance(data, QueryDict):
            twice = [n for n in self.base_fields if n not in self.REPEATABLE and len(data.getlist(n)) > 1]
            data = FirstGiven.of(data, twice) if twice else data
        super().__init__(data, *args, **kwargs)

    def given_once(self) -> list[tuple[str, list[str]]]:
        """Each field given more than once is an error; (its name, its distinct values) for each."""
        twice = []
        for name in self.fields:
            values = self.data.getlist(name)
            if name not in self.REPEATABLE and len(values) > 1:
                self.add_error(name, given_times(values))
                twice.append((name, [value for value in dict.fromkeys(values) if value]))
        return twice


def given_times(values: list[str]) -> str:
    """ "Given 2 times: give it once. The first, “qwen3-8b”, is kept.": what the form's picker shows."""
    first = values[0].strip()
    said = f", “{first}”," if first and len(first) <= 60 and "\n" not in first else ""
    return f"Given {len(values)} times: give it once. The first{said} is kept."


class FirstGiven(QueryDict):
    """A query string whose fields in `first` read as their first value (a QueryDict reads the last): what
    `GivenOnce` forms, their widgets and pickers read of a field given twice. Its lists keep every value,
    so the URL of the question as asked, and each value's fix, still hold them all."""

    first: frozenset[str] = frozenset()

    @classmethod
    def of(cls, data: QueryDict, first) -> "FirstGiven":
        query = cls(mutable=True, encoding=data.encoding)
        for key, values in data.lists():
            query.setlist(key, values)
        query.first, query._mutable = frozenset(first), False
        return query

    def __getitem__(self, key):
        if key in self.first:
            return self.getlist(key)[0]
        return super().__getitem__(key)

    def __copy__(self):
        result = super().__copy__()
        result.first = self.first
        return result

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.first = self.first
        return result
