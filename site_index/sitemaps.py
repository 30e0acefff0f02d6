"""/sitemap.xml: the fixed pages, every glossary term, guide and error page, every listed GPU and every LLM.

No `protocol` is set, so each URL takes the request's scheme (https behind the proxy, http locally).
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog.models import Gpu, LlmModel
from glossary.content import library


class PageSitemap(Sitemap):
    """The pages with no slug: the calculator, the reverse questions, the indexes and the API's docs."""

    changefreq = "weekly"

    def items(self):
        return [
            "calculator:will-it-run",
            "reverse_questions:what-runs",
            "reverse_questions:what-hardware",
            "glossary:glossary",
            "glossary:guides",
            "glossary:accuracy",
            "glossary:errors",
            "catalog:gpu-list",
            "catalog:model-list",
            "calculator:api-docs",
        ]

    def location(self, item):
        return reverse(item)


class TermSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return sorted(library().terms)

    def location(self, item):
        return reverse("glossary:term", args=[item])


class GuideSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return sorted(library().guides)

    def location(self, item):
        return reverse("glossary:guide", args=[item])


class ErrorSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return sorted(library().errors)

    def location(self, item):
        return reverse("glossary:error", args=[item])


class GpuSitemap(Sitemap):
    """Listed GPUs only: the thousands of other rows have pages, but thin ones."""

    changefreq = "monthly"

    def items(self):
        return Gpu.objects.listed().only("slug").order_by("slug")

    def location(self, item):
        return reverse("catalog:gpu-detail", args=[item.slug])


class LlmSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return LlmModel.objects.only("slug").order_by("slug")

    def location(self, item):
        return reverse("catalog:model-detail", args=[item.slug])


SITEMAPS = {
    "pages": PageSitemap,
    "glossary": TermSitemap,
    "guides": GuideSitemap,
    "errors": ErrorSitemap,
    "gpus": GpuSitemap,
    "models": LlmSitemap,
}
