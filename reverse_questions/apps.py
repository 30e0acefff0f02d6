from django.apps import AppConfig


class ReverseQuestionsConfig(AppConfig):
    """ "What runs on my hardware?" and "What hardware runs this model?": built on the calculator
    (its forms' device rows, its Snapshot rows at /r/), which imports nothing from here."""

    name = "reverse_questions"
    verbose_name = "Reverse questions"

    def ready(self):
        from functools import partial

        from calculator import snapshots as shared
        from calculator.models import Snapshot

        from . import snapshots

        for kind in (Snapshot.WHAT_RUNS, Snapshot.WHAT_HARDWARE):
            shared.register(
                kind,
                shared.SharedKind(
                    answer=snapshots.ANSWERS[kind],
                    save=partial(snapshots.save, kind),
                    show=snapshots.show,
                    template=snapshots.TEMPLATE,
                ),
            )
