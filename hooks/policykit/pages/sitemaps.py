"""A ``sitemap.xml`` beside every feed the pages link: each a part of the site's own sitemap.

Material for MkDocs fetches ``sitemap.xml`` relative to every
``<link rel="alternate">`` of a page (its language selector maps pages with
it), Atom autodiscovery links included.  The pages link the language feed
(``en/feed.xml``) and, on a policy's pages, the policy's feed
(``en/privacy/feed.xml``), so the browser asks for ``en/sitemap.xml`` and
``en/privacy/sitemap.xml``.  Each of those is written here: the ``<url>``
entries of the site's sitemap (MkDocs' ``sitemap.xml`` at the root, with
mkdocs-static-i18n's ``hreflang`` alternates) whose ``<loc>`` lies in that
folder, which is also what a sitemap in a folder may list (sitemaps.org).
The root's own sitemap is MkDocs'; it is never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from policykit import generated

SITEMAP_NAME = generated.register(generated.LANGUAGE, "sitemap.xml", "the language's sitemap")
generated.register(generated.POLICY, SITEMAP_NAME, "the policy's sitemap")

#: What a folder's sitemap starts from when the site has no root sitemap.xml (a theme without one).
EMPTY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
    "</urlset>\n"
)

_URL = re.compile(r"[ \t]*<url>.*?</url>[ \t]*\n?", re.DOTALL)
_LOC = re.compile(r"<loc>\s*([^<]*?)\s*</loc>")


class SitemapError(ValueError):
    """The site's sitemap cannot be split (not the urlset MkDocs writes)."""


def sitemap_path(folder: str) -> str:
    """``en/privacy/`` -> ``en/privacy/sitemap.xml`` (*folder* is site-relative and ends with ``/``)."""
    return folder + SITEMAP_NAME


@dataclass(frozen=True)
class SiteSitemap:
    """The root ``sitemap.xml`` split once: its prolog up to ``<urlset ...>``, each ``<url>`` block with its
    location (``&amp;`` read as ``&``), and the rest from ``</urlset>``."""

    head: str
    urls: list[tuple[str, str]]  # (location, the block byte for byte)
    tail: str


def split_sitemap(site_sitemap: str) -> SiteSitemap:
    """*site_sitemap* (the root ``sitemap.xml``'s text) split for ``folder_sitemap`` (SitemapError if not a urlset)."""
    start = site_sitemap.find("<urlset")
    end = site_sitemap.rfind("</urlset>")
    if start < 0 or end < start:
        raise SitemapError(
            "has no <urlset> element, and a sitemap.xml beside each feed is made from it (Material fetches one "
            "beside every <link rel=\"alternate\">): keep a sitemaps.org urlset there, or switch 'feeds' off"
        )
    head_end = site_sitemap.index(">", start) + 1
    urls = []
    for block in _URL.finditer(site_sitemap, head_end, end):
        loc = _LOC.search(block.group(0))
        if loc is not None:
            urls.append((loc.group(1).replace("&amp;", "&"), block.group(0)))
    return SiteSitemap(site_sitemap[:head_end], urls, site_sitemap[end:])


def folder_sitemap(site_sitemap: str | SiteSitemap, *, site_url: str, folder: str) -> str:
    """The part of *site_sitemap* (the root ``sitemap.xml``'s text, or ``split_sitemap`` of it) under *folder*.

    Keeps the root file's prolog, namespaces and each ``<url>`` block byte for byte,
    in their order, so the output is a function of the input.
    """
    parts = site_sitemap if isinstance(site_sitemap, SiteSitemap) else split_sitemap(site_sitemap)
    base = (site_url if site_url.endswith("/") else site_url + "/") + quote(folder, safe="/")
    kept = [block for loc, block in parts.urls if loc.startswith(base)]
    return parts.head + "\n" + "".join(kept) + parts.tail.rstrip("\n") + "\n"
