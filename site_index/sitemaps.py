"""/sitemap.xml: the fixed pages, every glossary term, guide, error page and buyer's guide, every listed GPU,
every LLM (an image model's address redirects to the calculator: not listed).

No `protocol` is set, so each URL takes the request's scheme (https behind the proxy, http locally).
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog.models import Gpu, LlmModel
from costs.guides import GUIDES
from glossary.content import library


class PageSitemap(Sitemap):
    """The pages with no slug: the calculator, the reverse questions, the buyer's pages, the indexes and the
    API's docs (robots.txt keeps crawlers off the API's endpoints, /api/v1/, not off its docs)."""

    changefreq = "weekly"

    def items(self):
        return [
            "calculator:will-it-run",
            "reverse_questions:what-runs",
            "reverse_questions:what-hardware",
            "costs:choose",
            "costs:cost",
            "costs:buyers-guides",
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


class BuyersGuideSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return sorted(GUIDES)

    def location(self, item):
        return reverse("costs:buyers-guide", args=[item])


SITEMAPS = {
    "pages": PageSitemap,
    "glossary": TermSitemap,
    "guides": GuideSitemap,
    "errors": ErrorSitemap,
    "gpus": GpuSitemap,
    "models": LlmSitemap,
    "buyers-guides": BuyersGuideSitemap,
}
