"""`manage.py check_artifacts [--fixture]`: every published artifact has the shape its kind needs.

For each row (or each entry of fixtures/catalog/artifacts.json with `--fixture`): the repository is a
Hugging Face repo id (an Ollama model name for `ollama`), the tag suits the kind (a .gguf file pattern
with {QUANT}, {quant} or *; an Ollama tag; MLX bits; none for the others), the formats are catalog
formats this kind of file can hold, a GGUF's layout (files per format, largest file, parts pattern) is
well formed, the source is an https:// page and the model is in the catalog
(catalog/artifacts.py). It names each problem and exits with an error if there is any; it does not
reach the Hub (the sources are checked by people, see fixtures/sources/model_artifacts.md).
"""

import json
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog import artifacts as shape
from catalog.models import Artifact, LlmModel, Quantization


def row_problems(row: dict, families: dict[str, str], llms: set[str]) -> list[str]:
    found = shape.problems(
        kind=row["kind"],
        repo=row["repo"],
        tag=row["tag"],
        formats=row["formats"],
        families=families,
        files=row.get("files"),
        part_gb=row.get("part_gb"),
        parts_tag=row.get("parts_tag") or "",
    )
    messages = [f"{field}: {message}" for field, items in found.items() for message in items]
    if not str(row["source_url"]).startswith("https://"):
        messages.append(f"source_url: “{row['source_url']}” is not an https:// page.")
    if row["llm"] not in llms:
        messages.append(f"llm: no catalog LLM “{row['llm']}”.")
    return messages


class Command(BaseCommand):
    help = "Check the shape of every published artifact (repository syntax, tag pattern, formats)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixture",
            action="store_true",
            help="Check fixtures/catalog/artifacts.json instead of the database.",
        )

    def handle(self, *args, fixture: bool = False, **options):
        families = dict(Quantization.objects.values_list("slug", "family"))
        llms = set(LlmModel.objects.values_list("slug", flat=True))
        if fixture:
            path = settings.BASE_DIR / "fixtures" / "catalog" / "artifacts.json"
            rows = json.loads(path.read_text(encoding="utf-8"))
        else:
            rows = list(
                Artifact.objects.values(
                    "slug",
                    "kind",
                    "repo",
                    "tag",
                    "formats",
                    "files",
                    "part_gb",
                    "parts_tag",
                    "source_url",
                    "llm__slug",
                )
            )
            for row in rows:
                row["llm"] = row.pop("llm__slug")
        failures = 0
        for row in rows:
            for message in row_problems(row, families, llms):
                failures += 1
                self.stdout.write(f"{row['slug']}: {message}")
        kinds = Counter(row["kind"] for row in rows)
        summary = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
        self.stdout.write(f"{len(rows)} artifacts of {len({r['llm'] for r in rows})} models ({summary}).")
        if failures:
            raise CommandError(f"{failures} problems in the artifacts above.")
        self.stdout.write("Every artifact has the shape its kind needs.")
