from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from .cache import connect_signals

        connect_signals()  # every catalog edit bumps the catalog version the caches are keyed on
