"""TheBloke's Mixtral 8x7B GGUFs (Instruct and base) hold each expert as a tensor of its own, converted in
December 2023 before llama.cpp merged a layer's experts (pull 6387); current llama.cpp, Ollama and LM Studio
refuse them ("missing tensor 'blk.0.ffn_down_exps.weight'", llama.cpp issue 10244). The fixture build leaves
them out (scripts/build_artifact_fixtures.py), and a load never deletes a row the fixture no longer has:
this removes the rows a database loaded before, so no command names them."""

from django.db import migrations

SLUGS = [
    "mixtral-8x7b-instruct-v0-1-gguf-thebloke-mixtral-8x7b-instruct-v0-1-gguf-mixtral-8x7b-instruct-v0-1-quant-gguf",
    "mixtral-8x7b-v0-1-gguf-thebloke-mixtral-8x7b-v0-1-gguf-mixtral-8x7b-v0-1-quant-gguf",
]


def drop(apps, schema_editor):
    apps.get_model("catalog", "Artifact").objects.filter(slug__in=SLUGS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0019_artifact_layout_and_variants"),
    ]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
