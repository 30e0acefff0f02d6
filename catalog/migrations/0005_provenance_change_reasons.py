import re

from django.db import migrations, models

# free-text source_quality -> choice; any other text keeps its words in the notes
PLAIN = {
    "secondary transcription (cross-checked)": "secondary_checked",
    "secondary transcription (not cross-checked)": "secondary",
    "secondary transcription (not independently cross-checked)": "secondary",
}
TEXT_OF = {
    "secondary_checked": "secondary transcription (cross-checked)",
    "secondary": "secondary transcription (not cross-checked)",
    "primary": "primary",
    "unassessed": "",
}
KEPT = re.compile(r"(?:^| )Source quality: (?P<text>.*)\.$")


def choice(text: str) -> tuple[str, str]:
    """(the choice, a sentence for the notes or "") for a free-text source quality; the same rule as
    scripts/build_measurement_fixtures.py `source_quality()`."""
    text = text.strip()
    if text in PLAIN or not text:
        return PLAIN.get(text, "unassessed"), ""
    if re.search(r"\bnot (independently )?cross-checked", text):
        key = "secondary"
    elif "cross-checked" in text:
        key = "secondary_checked"
    else:
        key = "primary" if text.lower().startswith("primary") else "unassessed"
    return key, f"Source quality: {text}."


def source_quality_choices(apps, schema_editor):
    for name in ("Measurement", "HistoricalMeasurement"):
        for row in apps.get_model("catalog", name).objects.all():
            row.source_quality, kept = choice(row.source_quality)
            row.notes = f"{row.notes} {kept}".strip()
            row.save(update_fields=["source_quality", "notes"])


def source_quality_texts(apps, schema_editor):
    for name in ("Measurement", "HistoricalMeasurement"):
        for row in apps.get_model("catalog", name).objects.all():
            kept = KEPT.search(row.notes)
            row.source_quality = kept["text"] if kept else TEXT_OF.get(row.source_quality, row.source_quality)
            row.notes = row.notes[: kept.start()] if kept else row.notes
            row.save(update_fields=["source_quality", "notes"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_prices"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalmeasurement",
            name="date",
            field=models.DateField(
                blank=True,
                help_text="When it was measured, or published where the source gives no date.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="historicalmeasurement",
            name="flags",
            field=models.CharField(
                blank=True,
                help_text="Flags as run, e.g. llama-bench -p 512 -n 128 -ngl 99 -fa 1.",
                max_length=300,
            ),
        ),
        migrations.AddField(
            model_name="historicalmeasurement",
            name="runtime_build",
            field=models.CharField(
                blank=True,
                help_text="The runtime's version or build: llama.cpp b4120, commit 8e672ef.",
                max_length=60,
            ),
        ),
        migrations.AddField(
            model_name="measurement",
            name="date",
            field=models.DateField(
                blank=True,
                help_text="When it was measured, or published where the source gives no date.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="measurement",
            name="flags",
            field=models.CharField(
                blank=True,
                help_text="Flags as run, e.g. llama-bench -p 512 -n 128 -ngl 99 -fa 1.",
                max_length=300,
            ),
        ),
        migrations.AddField(
            model_name="measurement",
            name="runtime_build",
            field=models.CharField(
                blank=True,
                help_text="The runtime's version or build: llama.cpp b4120, commit 8e672ef.",
                max_length=60,
            ),
        ),
        migrations.AlterField(
            model_name="historicaldiffusionmodel",
            name="history_change_reason",
            field=models.TextField(null=True),
        ),
        migrations.AlterField(
            model_name="historicalgpu",
            name="history_change_reason",
            field=models.TextField(null=True),
        ),
        migrations.AlterField(
            model_name="historicalinterconnect",
            name="history_change_reason",
            field=models.TextField(null=True),
        ),
        migrations.AlterField(
            model_name="historicalkvcachetype",
            name="history_change_reason",
            field=models.TextField(null=True),
        ),
        migrations.AlterField(
            model_name="historicalllmmodel",
            name="history_change_reason",
            field=models.TextField(null=True),
        ),
        migrations.AlterField(
            model_name="historicalmeasurement",
            name="history_change_reason",
            field=models.TextField(null=True),
        ),
        migrations.AlterField(
            model_name="historicalprice",
            name="history_change_reason",
            field=models.TextField(null=True),
        ),
        migrations.AlterField(
            model_name="historicalquantization",
            name="history_change_reason",
            field=models.TextField(null=True),
        ),
        migrations.AlterField(
            model_name="historicalrampreset",
            name="history_change_reason",
            field=models.TextField(null=True),
        ),
        migrations.AlterField(
            model_name="historicalruntime",
            name="history_change_reason",
            field=models.TextField(null=True),
        ),
        migrations.RunPython(source_quality_choices, source_quality_texts),
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
                help_text="How directly the number comes from the measurement; details go in the notes.",
                max_length=20,
            ),
        ),
    ]
