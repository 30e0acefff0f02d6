from django.apps import AppConfig


class GlossaryConfig(AppConfig):
    name = "glossary"
    verbose_name = "Glossary and guides"

    def ready(self):
        from calculator import registry

        from .errors import pages_for

        registry.register_error_pages(pages_for)  # the calculator's result links these pages
