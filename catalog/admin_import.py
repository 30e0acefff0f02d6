"""Admin: add an LLM from a config.json (pasted or uploaded), a GGUF header, or a Hugging Face repo id.

The parsed model is checked like any admin edit, then nothing is saved: the editor lands on the "Add
LLM" form filled with the parsed values, reviews every field, and saves it there (with a reason, which
the history keeps). The Hub gets HUB_TIMEOUT_S seconds in all, and nothing of the fetch outlives them.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from . import byo
from .models import LlmModel

# The whole Hub fetch (connect, redirects, every read) ends within this, in the request's own thread:
# when the editor reads "did not answer", nothing is still waiting on the Hub (catalog/hub.py).
HUB_TIMEOUT_S = 5


def add_form_url(fields: dict, reason: str) -> str:
    """The "Add LLM" form, filled with these values (admin forms take initial values from the query)."""
    initial = {k: ("1" if v is True else v) for k, v in fields.items() if v not in (None, "", False)}
    initial["change_reason"] = reason
    return f"{reverse('admin:catalog_llmmodel_add')}?{urlencode(initial)}"


class ImportForm(forms.Form):
    name = forms.CharField(required=False, max_length=200, help_text="Optional; else the file's own name.")
    config = forms.CharField(label="config.json", required=False, widget=forms.Textarea(attrs={"rows": 12}))
    file = forms.FileField(label="or a file: config.json or a GGUF (its first 32 MB)", required=False)
    repo_id = forms.CharField(label="or a Hugging Face repo id", required=False, max_length=200)

    def clean(self):
        data = super().clean()
        given = [k for k in ("config", "file", "repo_id") if data.get(k)]
        if len(given) != 1:
            raise ValidationError("Give exactly one of: a pasted config.json, a file, or a repo id.")
        try:
            data["fields"] = self._fields(data)
        except byo.ModelFileError as error:
            raise ValidationError(str(error)) from None
        return data

    def _fields(self, data) -> dict:
        if data.get("repo_id"):
            return byo.from_hub(data["repo_id"], timeout_s=HUB_TIMEOUT_S)
        if data.get("file"):
            upload = data["file"]
            if upload.size > byo.MAX_UPLOAD_BYTES:
                raise byo.ModelFileError(
                    f"{upload.name} is {upload.size / 2**20:,.0f} MiB; upload at most "
                    f"{byo.MAX_UPLOAD_BYTES // 2**20} MiB (head -c 32M model.gguf > header.gguf)."
                )
            text = byo.upload_to_config(upload.read(), filename=upload.name)
            return byo.parse_config(text, name=data.get("name", ""))
        return byo.parse_config(data["config"], name=data.get("name", ""))


def import_reason(data: dict) -> str:
    if data.get("repo_id"):
        return f"Imported from the Hugging Face Hub: {data['repo_id'].strip()}"
    if data.get("file"):
        return f"Imported from {data['file'].name}"
    return "Imported from a pasted config.json"


def import_view(request, model_admin):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        fields = form.cleaned_data["fields"]
        if form.cleaned_data.get("name"):
            fields["name"] = form.cleaned_data["name"]
        try:
            model = byo.to_llm(fields)
            model.full_clean()  # slug uniqueness too
        except (byo.ModelFileError, ValidationError) as error:
            form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.info(
                request, f"Read {model.name}: review its fields, then save it. Nothing is saved yet."
            )
            return HttpResponseRedirect(add_form_url(fields, reason=import_reason(form.cleaned_data)))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": LlmModel._meta,
        "title": "Import an LLM",
        "form": form,
        "hub_timeout_s": HUB_TIMEOUT_S,
    }
    return TemplateResponse(request, "admin/catalog/llmmodel/import.html", context)
