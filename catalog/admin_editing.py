"""The admin every catalog table shares: a reason recorded with every change, slugs fixed once created
(changed only on their own page, which keeps the old one working), list and unlist actions, "View on site", "Save as new", and any two versions of a row side by side.
Every change form and revert page saves only over the version it was opened at (`VersionedForm`,
catalog/admin_concurrency.py): a stale tab is refused, its changes kept, instead of writing old values.

History is django-simple-history's: each save writes a historical row with its user (the middleware)
and `_change_reason`; deltas between consecutive versions come from its `diff_against()`.
"""

import math

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.forms.fields import InvalidJSONInput
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from simple_history.admin import SimpleHistoryAdmin

from . import slugs
from .admin_forms import CatalogAdminForm, ChangeSlugForm, ReasonActionForm
from .models import FormerSlug


def revert_reason(record) -> str:
    return f"Revert to the version of {date_format(record.history_date, 'Y-m-d H:i:s')}"


def save_listed(request, queryset, *, listed: bool) -> None:
    reason = request.POST.get("change_reason", "").strip()
    if not reason:
        messages.error(
            request, "Give a reason (beside the action) to list or unlist rows: the history keeps it."
        )
        return
    changed = 0
    for row in queryset:
        if row.listed == listed:
            continue
        row.listed = listed
        row._change_reason = reason
        row.save()  # one history row each, and the catalog version moves (post_save)
        changed += 1
    verb = "Listed" if listed else "Unlisted"
    messages.success(request, f"{verb} {changed} of {queryset.count()} selected: “{reason}”.")


@admin.action(description="List the selected rows (shown in the pickers)", permissions=["change"])
def list_selected(modeladmin, request, queryset):
    save_listed(request, queryset, listed=True)


@admin.action(description="Unlist the selected rows", permissions=["change"])
def unlist_selected(modeladmin, request, queryset):
    save_listed(request, queryset, listed=False)


class StrictJSONField(forms.JSONField):
    """JSON the database can store: PostgreSQL refuses NaN and ±Infinity, and Python refuses integers
    past 4,300 digits with a ValueError that Django's own field lets escape (a 500)."""

    def to_python(self, value):
        try:
            converted = super().to_python(value)
        except ValueError as e:  # JSONDecodeError is caught by Django; the digit limit is not
            if isinstance(e, forms.ValidationError):
                raise
            raise forms.ValidationError("Enter valid JSON: a number is too long.") from None
        if not _finite(converted):
            raise forms.ValidationError("Enter valid JSON: NaN and Infinity cannot be stored.")
        return converted

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except ValueError:  # shown again as typed, next to its error
            return InvalidJSONInput(data)


def _finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


class NumericAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that re-renders a form posted with a non-numeric id (a 500 in Django 5.2's
    optgroups, which filters the related table by the raw value) by ignoring that value. Decimal digits
    only: "²" is a digit to `str.isdigit()` but not a number to `int()`."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if str(v).isdecimal()], attr)


class NumericAutocompleteAdmin(admin.ModelAdmin):
    """An admin whose autocomplete foreign keys re-render a bad id instead of failing (NumericAutocompleteSelect):
    the catalog's tables and the visitors' measurements alike."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        widget = getattr(field.widget, "widget", field.widget)  # inside RelatedFieldWidgetWrapper
        if type(widget) is AutocompleteSelect:
            widget.__class__ = NumericAutocompleteSelect
        return field


class CatalogAdmin(NumericAutocompleteAdmin, SimpleHistoryAdmin):
    """A catalog table's admin. `site_url_name`: the public page of a row (by slug), if it has one;
    `renameable`: whether its rows have a "Change slug" page (for tables whose slugs are public)."""

    form = CatalogAdminForm
    action_form = ReasonActionForm
    actions = [list_selected, unlist_selected]
    save_as = True
    save_on_top = False
    site_url_name: str | None = None
    renameable = False
    # Django 5.2's form URLField warns that its default scheme becomes https in Django 6: choose it now.
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.JSONField: {"form_class": StrictJSONField},
    }
    object_history_template = "admin/catalog/history/object_history.html"
    object_history_list_template = "admin/catalog/history/object_history_list.html"

    # ---- the change form ----------------------------------------------------------------------------

    def get_readonly_fields(self, request, obj=None):
        """Plus the fields editors changed, which catalog loads leave alone (the models keep the list)."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and hasattr(obj, "admin_edited_fields"):
            fields.append("admin_edited_fields")
        return fields

    def get_fieldsets(self, request, obj=None):
        """The row's fields, then what its values give on the site (if the admin shows it), then the
        reason (and the version the page was opened at, hidden)."""
        if self.fieldsets:
            return super().get_fieldsets(request, obj)
        last = ["estimate_preview", "change_reason", "opened_version"]
        fields = [f for f in self.get_fields(request, obj) if f not in last]
        fieldsets = [(None, {"fields": fields})]
        if self.previews(request, obj):
            title = "On the site, with the saved values" if obj is not None else "On the site"
            if "_preview" in request.POST:
                title = "On the site: " + ("the saved values → yours" if obj is not None else "your values")
                title += " (not saved)"
            fieldsets.append((title, {"fields": ["estimate_preview"]}))
        fieldsets.append(("Why", {"fields": ["change_reason", "opened_version"]}))
        return fieldsets

    def previews(self, request, obj=None) -> bool:
        """Whether the change form shows a few of the site's answers (and a Preview button)."""
        return "estimate_preview" in self.get_readonly_fields(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        reason = getattr(request, "catalog_revert_reason", None)
        if reason:  # the revert page: the reason is offered, and can be changed
            form = type(form.__name__, (form,), {"default_reason": reason})
        if getattr(request, "catalog_reverting", False):
            form = type(form.__name__, (form,), {"reverting": True})
        if obj is not None and self.renameable:
            form = type(form.__name__, (form,), {"change_slug_url": self.change_slug_url(obj)})
        return form

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """A row of a renameable table: its change form (whichever template this admin uses, such as
        import-export's) with a "Change slug" link beside "History"."""
        context["show_preview"] = self.previews(request, obj)
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if self.renameable and change and obj is not None:
            base = select_template(
                response.template_name
                if isinstance(response.template_name, list | tuple)
                else [response.template_name]
            )
            response.template_name = "admin/catalog/change_form_renameable.html"
            response.context_data |= {
                "base_change_form": base.template,
                "change_slug_url": self.change_slug_url(obj),
            }
        return response

    def save_model(self, request, obj, form, change):
        """The reason goes into the history entry; the models record which fields the editor changed."""
        obj._change_reason = form.cleaned_data.get("change_reason", "")
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        obj._change_reason = "Deleted in the admin"
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        """One by one, so each deletion is a history row with the reason given beside the action."""
        reason = request.POST.get("change_reason", "").strip() or "Deleted in the admin"
        for obj in queryset:
            obj._change_reason = reason
            obj.delete()

    def view_on_site(self, obj):
        if self.site_url_name is None or not obj.slug:
            return None
        return reverse(self.site_url_name, args=[obj.slug])

    # ---- history --------------------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        urls = [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.history_compare_view),
                name=f"{prefix}_history_compare",
            )
        ]
        if self.renameable:
            view = self.admin_site.admin_view(self.change_slug_view)
            urls.append(path("<path:object_id>/slug/", view, name=f"{prefix}_slug"))
        return [*urls, *super().get_urls()]

    # ---- slugs ----------------------------------------------------------------------------------------

    def change_slug_url(self, obj) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_slug", args=[obj.pk])

    def change_slug_view(self, request, object_id):
        """The one way to change a slug: the old one is kept as a former slug, and links that use it
        keep working (catalog/slugs.py)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with id “{object_id}”.")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        form = ChangeSlugForm(request.POST or None, initial={"new_slug": obj.slug})
        if request.method == "POST" and form.is_valid():
            old = obj.slug
            try:
                slugs.rename(
                    obj,
                    form.cleaned_data["new_slug"],
                    reason=form.cleaned_data["change_reason"],
                    user=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request, f"{obj}’s slug is now “{obj.slug}”; links that use “{old}” lead here."
                )
                return HttpResponseRedirect(
                    reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change the slug of {obj}",
            "opts": self.opts,
            "object": obj,
            "form": form,
            "page_url": self.view_on_site(obj),
            "formers": FormerSlug.objects.filter(model=self.opts.label_lower, row_id=obj.pk).select_related(
                "renamed_by"
            ),
        }
        return TemplateResponse(request, "admin/catalog/change_slug.html", context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """The revert page, with "Revert to the version of <date>" offered as its reason."""
        history = self.model.history.model
        record = history.objects.filter(**{self.opts.pk.attname: object_id, "history_id": version_id}).first()
        if record is not None:
            request.catalog_revert_reason = revert_reason(record)
        request.catalog_reverting = True
        with transaction.atomic(using=router.db_for_write(self.model)):  # the row stays locked to the save
            return super().history_form_view(request, object_id, version_id, extra_context)

    def history_compare_view(self, request, object_id):
        """Two versions of one row (?old=<history id>&new=<history id>): each field that differs."""
        history = self.model.history.model
        records = history.objects.filter(**{self.opts.pk.attname: object_id}).select_related("history_user")
        if not records.exists():
            raise Http404
        obj = records.first().instance
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        try:
            ids = sorted(int(request.GET[k]) for k in ("old", "new"))
        except (KeyError, ValueError):
            messages.error(request, "Pick two versions to compare.")
            ids = [r.history_id for r in records[:2]][::-1]
        old, new = (get_object_or_404(records, history_id=i) for i in (ids[0], ids[-1]))
        delta = new.diff_against(old, foreign_keys_are_objs=True)
        labels = {f.name: f.verbose_name for f in self.opts.fields}
        changes = [
            {"name": c.field, "field": labels.get(c.field, c.field), "old": c.old, "new": c.new}
            for c in sorted(delta.changes, key=lambda c: c.field)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Compare versions: {obj}",
            "opts": self.opts,
            "object": obj,
            "old": old,
            "new": new,
            "changes": changes,
        }
        return TemplateResponse(request, "admin/catalog/history/compare.html", context)
