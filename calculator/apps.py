from django.apps import AppConfig


class CalculatorConfig(AppConfig):
    name = "calculator"

    def ready(self):
        from catalog.cache import connect_signals

        connect_signals()
