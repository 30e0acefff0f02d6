"""`manage.py catalog_upstream [--accept SPEC ...] [--ignore SPEC ...] [--all]`: upstream values that
load_catalog kept out of fields editors changed, listed, accepted or ignored.

SPEC is `slug.field` (`geforce-rtx-4090.tdp_w`), `model:slug.field` where two tables share the slug
(`gpu:geforce-rtx-4090.tdp_w`), or `all`.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalog.models import UpstreamChange


def find(spec: str, pending) -> list[UpstreamChange]:
    """The pending changes a SPEC names; CommandError for a SPEC naming none, or more than one."""
    if spec == "all":
        return list(pending)
    model, _, rest = spec.rpartition(":")
    slug, dot, field = rest.rpartition(".")
    if not (dot and slug and field):
        raise CommandError(f"{spec!r}: expected slug.field, model:slug.field or all")
    found = [
        c
        for c in pending
        if c.slug == slug and c.field == field and (not model or c.model in (model, f"catalog.{model}"))
    ]
    if not found:
        raise CommandError(
            f"{spec!r}: no pending upstream change of that name (see the list without options)"
        )
    if len(found) > 1:
        raise CommandError(
            f"{spec!r} names {', '.join(c.model for c in found)}: prefix the model, e.g. gpu:{rest}"
        )
    return found


class Command(BaseCommand):
    help = (
        "List the upstream values load_catalog kept out of fields editors changed; --accept writes "
        "one into its row (with history) and lets the field follow upstream again, --ignore keeps the "
        "edit and stops offering that value."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--accept", nargs="+", default=[], metavar="SPEC", help="slug.field, model:slug.field or all"
        )
        parser.add_argument(
            "--ignore", nargs="+", default=[], metavar="SPEC", help="slug.field, model:slug.field or all"
        )
        parser.add_argument("--all", action="store_true", help="List ignored values too.")
        parser.add_argument("--user", help="The editor to record in the history (a username).")

    def handle(self, *args, accept: list[str], ignore: list[str], all: bool = False, user=None, **options):
        editor = self.editor(user)
        pending = list(UpstreamChange.objects.filter(status=UpstreamChange.Status.PENDING))
        chosen = [(c, "accept") for spec in accept for c in find(spec, pending)]
        chosen += [(c, "ignore") for spec in ignore for c in find(spec, pending)]
        for change, decision in chosen:
            if decision == "ignore":
                change.ignore(editor)
                self.stdout.write(f"ignored {change}: {change.value!r}")
                continue
            try:
                change.accept(editor)
            except ValidationError as e:
                raise CommandError(
                    f"{change}: the row would not be valid with {change.value!r}: {e}"
                ) from None
            self.stdout.write(f"accepted {change}: {change.value!r}")
        if chosen:
            return
        shown = UpstreamChange.objects.all() if all else UpstreamChange.objects.filter(status="pending")
        if not shown:
            self.stdout.write("No upstream changes wait for a decision.")
        for change in shown:
            try:
                ours = getattr(change.row(), change.field)
            except (ObjectDoesNotExist, LookupError, AttributeError):  # gone since the load
                ours = "(no longer here)"
            status = "" if change.status == UpstreamChange.Status.PENDING else " [ignored]"
            self.stdout.write(
                f"{change.model.removeprefix('catalog.')}:{change.slug}.{change.field}: "
                f"here {ours!r}, upstream {change.value!r} ({change.source}, {change.seen_at:%Y-%m-%d}){status}"
            )

    @staticmethod
    def editor(username: str | None):
        if username is None:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username!r}") from None
