"""Approved visitors' measurements as JSON, in the shape of bench/data/public_measurements.json, for
bench/accuracy.py to read as a separate set:

    manage.py export_visitor_measurements > bench/data/visitor_measurements.json
    manage.py export_visitor_measurements --output bench/data/visitor_measurements.json

Each row has public_measurements.json's fields (its .md describes them) and the catalog slugs the visitor
chose (`gpu_slug`, `llm_slug`, `quant_slug`), so a reader can resolve it without matching names; `source`
is `visitor-measurement:<id>`, `quote` the line the number was read from.
"""

import json

from django.core.management.base import BaseCommand

from community.models import VisitorMeasurement


def as_public_row(m: VisitorMeasurement) -> dict:
    flags = dict(pair.split("=", 1) for pair in m.flags.split() if "=" in pair)
    return {
        "device": m.device_name or m.gpu.name,
        "device_count": m.gpu_count,
        "model": m.model_printed or m.llm.name,
        "params_b": m.params_b if m.params_b is not None else m.llm.total_params_b,
        "format": m.quantization.name,
        "size_gib": m.size_gib,
        "runtime": "llama.cpp" if m.runtime == VisitorMeasurement.Runtime.LLAMA_CPP else m.runtime,
        "backend": m.get_backend_display(),
        "backend_printed": m.backend_printed or None,
        "test": m.test,
        "tok_s": m.tok_s,
        "ngl": flags.get("ngl"),
        "fa": flags.get("fa"),
        "n_ubatch": flags.get("n_ubatch"),
        "build": m.runtime_build or None,
        "date": m.submitted_at.date().isoformat(),
        "note": f"measured by a visitor with {m.tool}; approved by {m.reviewer or 'an editor'}"
        + (f" on {m.reviewed_at.date().isoformat()}" if m.reviewed_at else ""),
        "split_mode": flags.get("sm"),
        "tensor_parallel": None,
        "source": f"visitor-measurement:{m.pk}",
        "quote": m.line,
        "gpu_slug": m.gpu.slug,
        "llm_slug": m.llm.slug,
        "quant_slug": m.quantization.slug,
    }


class Command(BaseCommand):
    help = "Write the approved visitors' measurements as JSON (bench/data/public_measurements.json's shape)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="a file to write; standard output without it")

    def handle(self, *args, output=None, **options):
        rows = (
            VisitorMeasurement.objects.approved()
            .select_related("gpu", "llm", "quantization", "reviewer")
            .order_by("submitted_at", "pk")
        )
        text = json.dumps([as_public_row(m) for m in rows], indent=1, ensure_ascii=False) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as f:
                f.write(text)
            self.stderr.write(f"{rows.count()} approved measurements written to {output}")
        else:
            self.stdout.write(text, ending="")
