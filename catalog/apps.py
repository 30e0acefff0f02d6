from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from django.urls import register_converter

        from .cache import connect_signals
        from .slugs import NameConverter

        connect_signals()  # every catalog edit bumps the catalog version the caches are keyed on
        # a catalog page's slug in its URL as visitors type it (/models/Llama-3.1-8B/), before any URLconf
        register_converter(NameConverter, "name")
