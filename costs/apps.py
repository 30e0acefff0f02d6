from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "costs"
    verbose_name = "Costs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Cloud and API prices are catalog rows too: an edit moves the catalog version (catalog/cache.py)."""
        from django.db.models.signals import post_delete, post_save

        from catalog.cache import bump_catalog_version

        from .models import ApiPrice, CloudPrice

        for model in (CloudPrice, ApiPrice):
            post_save.connect(bump_catalog_version, sender=model, dispatch_uid=f"costs-save-{model.__name__}")
            post_delete.connect(
                bump_catalog_version, sender=model, dispatch_uid=f"costs-delete-{model.__name__}"
            )
