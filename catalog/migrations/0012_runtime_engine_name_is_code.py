from django.db import migrations


def forget_edits_of_engine_runtime(apps, schema_editor):
    """As 0011 does for its columns: editors' marks and pending upstream values for the removed field."""
    Runtime = apps.get_model("catalog", "Runtime")
    for runtime in Runtime.objects.only("admin_edited_fields"):
        if "engine_runtime" in (runtime.admin_edited_fields or []):
            kept = [f for f in runtime.admin_edited_fields if f != "engine_runtime"]
            Runtime.objects.filter(pk=runtime.pk).update(admin_edited_fields=kept)
    UpstreamChange = apps.get_model("catalog", "UpstreamChange")
    UpstreamChange.objects.filter(model="catalog.runtime", field="engine_runtime").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0011_runtime_columns_the_engine_owns"),
    ]

    operations = [
        migrations.RunPython(forget_edits_of_engine_runtime, migrations.RunPython.noop),
        migrations.RemoveField(model_name="historicalruntime", name="engine_runtime"),
        migrations.RemoveField(model_name="runtime", name="engine_runtime"),
    ]
