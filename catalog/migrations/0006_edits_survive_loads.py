from collections import defaultdict

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

TABLES = ["Gpu", "LlmModel", "Quantization", "KvCacheType", "Interconnect", "Runtime", "RamPreset",
          "DiffusionModel", "Measurement", "Price"]  # fmt: skip
NOT_UPSTREAM = {"id", "search_key", "admin_edited_fields"}


def edits_already_in_history(apps, schema_editor):
    """Edits made before this migration protect their fields too: every version an editor saved
    (history_user set) marks the fields it changed from the version before; a row an editor created,
    every field."""
    for name in TABLES:
        model = apps.get_model("catalog", name)
        history = apps.get_model("catalog", f"Historical{name}")
        ids = set(history.objects.filter(history_user__isnull=False).values_list("id", flat=True))
        fields = [f for f in model._meta.concrete_fields if f.name not in NOT_UPSTREAM]
        edited, previous = defaultdict(set), {}
        for record in history.objects.filter(id__in=ids).order_by("history_date", "history_id"):
            before = previous.get(record.id)
            if record.history_user_id is not None and record.history_type != "-":
                changed = [
                    f
                    for f in fields
                    if before is None
                    or record.history_type == "+"
                    or getattr(before, f.attname) != getattr(record, f.attname)
                ]
                edited[record.id] |= {f.name for f in changed}
            previous[record.id] = record
        for row in model.objects.filter(id__in=edited):
            row.admin_edited_fields = sorted(set(row.admin_edited_fields) | edited[row.id])
            row.save(update_fields=["admin_edited_fields"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_provenance_change_reasons"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveField(
            model_name="historicalgpu",
            name="admin_edited_fields",
        ),
        migrations.AddField(
            model_name="diffusionmodel",
            name="admin_edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
            ),
        ),
        migrations.AddField(
            model_name="interconnect",
            name="admin_edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
            ),
        ),
        migrations.AddField(
            model_name="kvcachetype",
            name="admin_edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
            ),
        ),
        migrations.AddField(
            model_name="llmmodel",
            name="admin_edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
            ),
        ),
        migrations.AddField(
            model_name="measurement",
            name="admin_edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
            ),
        ),
        migrations.AddField(
            model_name="price",
            name="admin_edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
            ),
        ),
        migrations.AddField(
            model_name="quantization",
            name="admin_edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
            ),
        ),
        migrations.AddField(
            model_name="rampreset",
            name="admin_edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
            ),
        ),
        migrations.AddField(
            model_name="runtime",
            name="admin_edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
            ),
        ),
        migrations.AlterField(
            model_name="gpu",
            name="admin_edited_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Fields an editor changed (recorded on save); catalog loads leave them alone.",
            ),
        ),
        migrations.CreateModel(
            name="UpstreamChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "model",
                    models.CharField(help_text='The catalog table, e.g. "catalog.gpu".', max_length=100),
                ),
                ("slug", models.CharField(max_length=200)),
                ("field", models.CharField(max_length=100)),
                (
                    "value",
                    models.JSONField(blank=True, help_text="The upstream value, as in an export.", null=True),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for a decision"),
                            ("ignored", "Ignored: the edit stays"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("source", models.CharField(blank=True, help_text="The load that saw it.", max_length=200)),
                ("seen_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["model", "slug", "field"],
                "constraints": [
                    models.UniqueConstraint(fields=("model", "slug", "field"), name="upstream_change_unique")
                ],
            },
        ),
        migrations.AlterField(
            model_name="historicalmeasurement",
            name="source_quality",
            field=models.CharField(
                choices=[
                    ("primary", "Primary: the measurer's own published result"),
                    ("secondary_checked", "Secondary transcription, cross-checked"),
                    ("secondary", "Secondary transcription, not cross-checked"),
                    ("unassessed", "Not assessed"),
                ],
                default="unassessed",
                help_text="How directly the number comes from the measurement; details go in the notes.",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="measurement",
            name="source_quality",
            field=models.CharField(
                choices=[
                    ("primary", "Primary: the measurer's own published result"),
                    ("secondary_checked", "Secondary transcription, cross-checked"),
                    ("secondary", "Secondary transcription, not cross-checked"),
                    ("unassessed", "Not assessed"),
                ],
                default="unassessed",
                help_text="How directly the number comes from the measurement; details go in the notes.",
                max_length=20,
            ),
        ),
        migrations.RunPython(edits_already_in_history, migrations.RunPython.noop),
    ]
