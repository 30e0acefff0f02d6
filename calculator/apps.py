from django.apps import AppConfig


class CalculatorConfig(AppConfig):
    name = "calculator"

    def ready(self):
        from .cache import connect_signals

        connect_signals()
