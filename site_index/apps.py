from django.apps import AppConfig


class SiteIndexConfig(AppConfig):
    """Site search and the sitemap: they index every app (glossary, guides, errors, the catalog, the
    calculator and the reverse questions), so they sit above all of them and nothing imports them."""

    name = "site_index"
    verbose_name = "Site search and sitemap"
