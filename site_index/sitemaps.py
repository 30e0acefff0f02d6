"""/sitemap.xml: the fixed pages, every glossary term, guide and error page, every listed GPU and every LLM.

No `protocol` is set, so each URL takes the request's scheme (https behind the proxy, http locally).
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog.models import Gpu, LlmModel
from glossary.content import library


class PageSitemap(Sitemap):
    """The pages with no slug: the calculator, the reverse questions and the indexes."""

    changefreq = "weekly"

    def items(self):
        return [
            "will-it-run",
            "what-runs",
            "what-hardware",
            "glossary",
            "guides",
            "errors",
            "gpu-list",
            "model-list",
        ]

    def location(self, item):
        return reverse(item)


class TermSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return sorted(library().terms)

    def location(self, item):
        return reverse("term", args=[item])


class GuideSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return sorted(library().guides)

    def location(self, item):
        return reverse("guide", args=[item])


class ErrorSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return sorted(library().errors)

    def location(self, item):
        return reverse("error", args=[item])


class GpuSitemap(Sitemap):
    """Listed GPUs only: the thousands of other rows have pages, but thin ones."""

    changefreq = "monthly"

    def items(self):
        return Gpu.objects.listed().only("slug").order_by("slug")

    def location(self, item):
        return reverse("gpu-detail", args=[item.slug])


class LlmSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return LlmModel.objects.only("slug").order_by("slug")

    def location(self, item):
        return reverse("model-detail", args=[item.slug])


SITEMAPS = {
    "pages": PageSitemap,
    "glossary": TermSitemap,
    "guides": GuideSitemap,
    "errors": ErrorSitemap,
    "gpus": GpuSitemap,
    "models": LlmSitemap,
}
