"""Admin forms: sizes typed in the unit they are labelled with, and a change reason on every edit.
(Constraint errors are put next to their field by the models: CatalogRow.validate_constraints.)

Sizes are stored in bytes. An editor types "24" in "Memory (GiB)" (what a "24 GB" card has), or a
number and its unit ("80 GB" is 80 × 10^9 bytes); the page shows the stored bytes beside it.
"""

import re
from collections.abc import Iterable
from decimal import Decimal

from django import forms
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from estimator import limits
from estimator.units import GB, GIB, MIB

from . import admin_concurrency

# Units an editor may type after a size, by their lower-case spelling.
UNITS = {"TiB": 2**40, "TB": 10**12, "GiB": GIB, "GB": GB, "MiB": MIB, "MB": 10**6, "bytes": 1}
DISPLAY_UNITS = ["GiB", "GB", "MiB", "MB", "bytes"]  # a stored size is shown in the first that is exact
SPELLINGS = {**{u.lower(): u for u in UNITS}, "b": "bytes", "byte": "bytes"}
SIZE = re.compile(r"^\s*(?P<number>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*(?P<unit>[A-Za-z]*)\s*$")
REASON_MAX_LENGTH = 500  # a sentence or two (the history keeps it as text)


def split_bytes(n: int, units: Iterable[str]) -> tuple[Decimal, str]:
    """Bytes as (number, unit) in the first of `units` that gives them exactly with at most 3 decimals
    (24 GiB, 80 GB, 16376 MiB), else in bytes."""
    for unit in units:
        number = (Decimal(n) / UNITS[unit]).normalize()
        if number * UNITS[unit] == n and number.as_tuple().exponent >= -3:
            return number, unit
    return Decimal(n), "bytes"


def parse_size(text: str, unit: str) -> int:
    """'24' (in `unit`), '24 GiB', '80 GB', '512 MiB', '25769803776 bytes' → bytes. Raises ValueError."""
    match = SIZE.match(text)
    if match is None or match["unit"].lower() not in {*SPELLINGS, ""}:
        raise ValueError(text)
    number = Decimal(match["number"])
    if abs(number) > 10**30:  # far beyond any device; keeps the integer below small
        raise ValueError(text)
    return int((number * UNITS[SPELLINGS.get(match["unit"].lower(), unit)]).to_integral_value())


def describe_bytes(n: int) -> str:
    """'= 25,769,803,776 bytes (24 GiB, 25.77 GB)': the value with both units beside it."""
    return f"= {n:,} bytes ({n / GIB:,.4g} GiB, {n / GB:,.4g} GB)"


class ByteSizeInput(forms.TextInput):
    """A size as text, followed by the bytes it makes."""

    def __init__(self, unit: str, attrs=None):
        self.unit = unit
        super().__init__({"size": 16, **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        try:
            described = describe_bytes(parse_size(str(value), self.unit))
        except (ValueError, ArithmeticError):
            return html
        return format_html('{} <span class="help byte-size">{}</span>', html, described)


class ByteSizeField(forms.Field):
    """Bytes, typed as a number of `unit` (the label says which) or a number and a unit: 24, 80 GB."""

    def __init__(self, *, unit: str = "GiB", max_bytes: int = limits.MAX_MEMORY_BYTES, **kwargs):
        self.unit = unit
        self.max_bytes = max_bytes
        kwargs.setdefault("widget", ByteSizeInput(unit))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if not isinstance(value, int):
            return value  # what the editor typed, shown back as typed
        number, unit = split_bytes(value, [self.unit, *DISPLAY_UNITS])
        return format(number, "f") if unit == self.unit else f"{number:f} {unit}"

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            n = parse_size(str(value), self.unit)
        except (ValueError, ArithmeticError):
            raise ValidationError(
                f"“{value}” is not a size: type a number of {self.unit}, or a number and its unit "
                "(24 GiB, 80 GB, 512 MiB).",
                code="invalid",
            ) from None
        if n > self.max_bytes:
            raise ValidationError(f"At most {self.max_bytes / GIB:,.0f} GiB.", code="max_value")
        return n

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != initial
        except ValidationError:
            return True


class VersionedForm(forms.ModelForm):
    """A form that saves a row only over the values it was opened on (catalog/admin_concurrency.py).

    The page carries the row's version; if the row was saved since, the save is refused with who changed
    what, and the page comes back with the editor's own changes kept and every field they did not touch
    showing the saved value, opened at the new version: saving again writes only what this editor changed.
    On the revert page (`reverting`) every field is the editor's: the old version is what they mean to save.
    """

    opened_version = forms.CharField(required=False, widget=forms.HiddenInput)
    reverting = False
    NOT_VALUES = ("opened_version", "change_reason")  # the form's own fields, not the row's

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            row = self.instance
            if self.reverting:  # the page shows an old version: the version is the saved row's
                row = type(row)._base_manager.filter(pk=row.pk).first() or row
            self.initial["opened_version"] = admin_concurrency.version(row)

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None and not getattr(self, "previewing", False):
            opened = self.data.get(self.add_prefix("opened_version"), "")
            found = admin_concurrency.conflict(self.instance, opened)
            if found is not None:
                self._reopen(found)
                raise ValidationError(
                    f"{found.message()} Nothing was saved. "
                    + (
                        "The page is now at the saved version: save again to revert over it."
                        if self.reverting
                        else "Your changes are kept below, the other fields show the saved values: "
                        "check them and save again."
                    ),
                    code="changed_since_opened",
                )
        return data

    def _reopen(self, found: admin_concurrency.Conflict) -> None:
        """The page again, at the saved version: the fields this editor did not change show the saved
        values (all of them keep what was posted on the revert page, or when the opened values are lost)."""
        data = self.data.copy()
        data[self.add_prefix("opened_version")] = admin_concurrency.version(found.current)
        if not self.reverting and found.opened is not None:
            was, now = type(self)(instance=found.opened), type(self)(instance=found.current)
            for name, field in self.fields.items():
                if name in self.NOT_VALUES or field.disabled:
                    continue
                if not field.has_changed(was[name].initial, self[name].data):
                    self._put(data, name, now[name].value())
        self.data = data
        self.__dict__.pop("changed_data", None)  # a cached property, of the data as posted

    def _put(self, data, name: str, value) -> None:
        """`value` (as the unbound field shows it) posted as the widget posts it."""
        key = self.add_prefix(name)
        if isinstance(self.fields[name].widget, forms.CheckboxInput):
            if value:
                data[key] = "on"
            else:
                data.pop(key, None)
        else:
            data[key] = "" if value is None else str(value)


class CatalogAdminForm(VersionedForm):
    """Every catalog edit asks why, and a row's slug is fixed once it exists. "Preview" (`_preview` in
    the posted data) checks the values without saving: the admin shows what they give on the site."""

    change_reason = forms.CharField(
        label="Change reason",
        max_length=REASON_MAX_LENGTH,
        help_text="Why, and from which source: shown in the history.",
        widget=forms.TextInput(attrs={"size": 80}),
    )
    default_reason = ""  # offered on the revert page
    change_slug_url = ""  # the row's "Change slug" page, where its table has one

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "slug" in self.fields:
            # A slug is the row's public address: fixed once the row exists, so old links keep working.
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = "Fixed once created: the row's public address."
            if self.change_slug_url:
                self.fields["slug"].help_text = format_html(
                    "Fixed once created: the row's public address. If it must change, "
                    '<a href="{}">change the slug</a>: old links keep working.',
                    self.change_slug_url,
                )
        if self.default_reason:
            self.fields["change_reason"].initial = self.default_reason
        if self.previewing:  # nothing is saved, so no reason yet
            self.fields["change_reason"].required = False

    @property
    def previewing(self) -> bool:
        return self.is_bound and "_preview" in self.data

    def is_valid(self) -> bool:
        """False when previewing, so nothing is saved and the page comes back as posted; the instance
        then carries the posted values and whether they were valid (`_previewed`)."""
        valid = super().is_valid()
        if self.previewing:
            self.instance._previewed = valid
            return False
        return valid


class GpuAdminForm(CatalogAdminForm):
    memory_bytes = ByteSizeField(
        label="Memory (GiB)",
        help_text=(
            "A GPU maker's “24 GB” is 24 GiB (2^30 bytes each): type 24. Add a unit for another one: "
            "“80 GB” is 80 × 10^9 bytes, “512 MiB”. Stored in bytes."
        ),
    )
    visible_memory_bytes = ByteSizeField(
        label="Memory the driver reports (MiB)",
        unit="MiB",
        required=False,
        help_text=(
            "nvidia-smi's total where it is less than the memory (ECC on: an L40S reports 46068 MiB): type "
            "46068. The calculator fits into it; empty: the memory. Cite where it was read in the source."
        ),
    )


class ReasonActionForm(helpers.ActionForm):
    """The list page's action bar, with the reason the list and unlist actions record."""

    change_reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "why (for list / unlist)", "size": 30}),
    )


class ChangeSlugForm(forms.Form):
    """A row's new slug and why (catalog/slugs.py checks it against every current and former slug)."""

    new_slug = forms.CharField(
        label="New slug",
        max_length=200,
        help_text="Lower-case letters, digits and hyphens, as in geforce-rtx-4090.",
        widget=forms.TextInput(attrs={"size": 60, "autocomplete": "off"}),
    )
    change_reason = forms.CharField(
        label="Change reason",
        max_length=REASON_MAX_LENGTH,
        help_text="Why the address must change: shown in the row's history and beside the former slug.",
        widget=forms.TextInput(attrs={"size": 80}),
    )
