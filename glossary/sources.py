"""What counts as a citation a visitor can open: public pages, not paths of ours, not copies of other sites.

The glossary cites primary sources (vendor specifications, PCI-SIG, the llama.cpp and vLLM repositories
and documentation, papers, model cards). `citation_problems()` names each link or path in a page that is
not one; `tests/glossary/test_sources.py` runs it on every page.
"""

import re
from urllib.parse import urlsplit

URL = re.compile(r"https?://[^\s)<>\]`\"']+")
# Paths and shorthands only the people who wrote the page can open.
NON_PUBLIC = re.compile(r"/work/|shared/reference|file://|\bgithub:[\w.-]+/|(?<![\w.])\.\./")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0"})
# Sites that republish other sites' pages (Wikipedia, vendor pages, project documentation).
MIRROR_DOMAINS = frozenset(
    {
        "wikimili.com",  # a copy of Wikipedia
        "mintlify.com",  # third-party copies of project documentation (vLLM's among them)
        "archive-lib.hpctech.co.jp",  # a reseller's copy of NVIDIA product pages
        "hf-mirror.com",  # a mirror of huggingface.co
    }
)
# Blogs, notes and aggregators that restate figures whose primary source exists and should be cited.
SECONDARY_DOMAINS = frozenset(
    {
        "dev.to",
        "medium.com",
        "glennklockwood.com",
        "hpc-notes.pages.dev",
        "crazy-logic.co.uk",
        "macrumors.com",
        "techpowerup.com",
    }
)


def domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _listed(host: str, domains: frozenset[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def citation_problems(text: str) -> list[str]:
    """Each non-public path, mirror or secondary source cited in `text`, with why it is refused."""
    problems = [f"non-public path {m.group(0)!r}" for m in NON_PUBLIC.finditer(text)]
    for url in URL.findall(text):
        host = domain(url)
        if host in LOCAL_HOSTS:
            problems.append(f"local address {url}")
        elif _listed(host, MIRROR_DOMAINS):
            problems.append(f"mirror {url}")
        elif _listed(host, SECONDARY_DOMAINS):
            problems.append(f"secondary source {url} (cite the primary one)")
    return problems
