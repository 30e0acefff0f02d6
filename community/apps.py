from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Measurements from visitors"

    def ready(self):
        from calculator import registry

        from . import measured

        registry.register_result_context(measured.context)  # visitors' runs beside the estimate
