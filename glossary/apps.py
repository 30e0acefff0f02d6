from django.apps import AppConfig


class GlossaryConfig(AppConfig):
    name = "glossary"
    verbose_name = "Glossary and guides"

    def ready(self):
        from calculator import registry

        from .errors import image_pages_for, pages_for

        registry.register_error_pages(pages_for)  # the calculator's result links these pages
        registry.register_image_error_pages(image_pages_for)  # and an image model's
