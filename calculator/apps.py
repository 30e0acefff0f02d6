from django.apps import AppConfig


class CalculatorConfig(AppConfig):
    name = "calculator"

    def ready(self):
        """Image and video answers are shared at /r/ as the reverse pages' are (snapshots.register)."""
        from . import diffusion_snapshots, snapshots
        from .models import Snapshot

        snapshots.register(
            Snapshot.DIFFUSION,
            snapshots.SharedKind(
                answer=diffusion_snapshots.question,
                save=diffusion_snapshots.save,
                show=diffusion_snapshots.show,
                template=diffusion_snapshots.TEMPLATE,
                page="/",
            ),
        )
