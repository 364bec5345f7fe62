"""policykit.pages.sitemaps: a folder's sitemap.xml is the root sitemap's entries under that folder."""

from __future__ import annotations

import pytest

from policykit.pages import sitemaps

ROOT = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">
    <url>
        <loc>https://x.org/</loc>
    </url>
    <url>
        <loc>https://x.org/en/</loc>
        <xhtml:link rel="alternate" hreflang="zh-Hant" href="https://x.org/"/>
    </url>
    <url>
        <loc>https://x.org/en/Terms%20of%20Service/</loc>
    </url>
    <url>
        <loc>https://x.org/en/O%27Reilly%20%26%20Co/</loc>
    </url>
    <url>
        <loc>https://x.org/english/</loc>
    </url>
</urlset>
"""


def locs(text: str) -> list[str]:
    import re

    return re.findall(r"<loc>([^<]*)</loc>", text)


def test_keeps_the_entries_under_the_folder_byte_for_byte() -> None:
    out = sitemaps.folder_sitemap(ROOT, site_url="https://x.org/", folder="en/")
    assert locs(out) == ["https://x.org/en/", "https://x.org/en/Terms%20of%20Service/", "https://x.org/en/O%27Reilly%20%26%20Co/"]
    assert '        <xhtml:link rel="alternate" hreflang="zh-Hant" href="https://x.org/"/>\n' in out
    assert out.startswith(ROOT[: ROOT.index("\n    <url>")]) and out.endswith("</urlset>\n")
    assert sitemaps.folder_sitemap(ROOT, site_url="https://x.org", folder="en/") == out  # site_url without "/"


def test_folder_names_are_matched_percent_encoded() -> None:
    assert locs(sitemaps.folder_sitemap(ROOT, site_url="https://x.org/", folder="en/Terms of Service/")) == [
        "https://x.org/en/Terms%20of%20Service/"]
    assert locs(sitemaps.folder_sitemap(ROOT, site_url="https://x.org/", folder="en/O'Reilly & Co/")) == [
        "https://x.org/en/O%27Reilly%20%26%20Co/"]


def test_a_folder_without_pages_gets_an_empty_urlset() -> None:
    out = sitemaps.folder_sitemap(ROOT, site_url="https://x.org/", folder="fr/")
    assert locs(out) == [] and "<urlset" in out and out.endswith("</urlset>\n")
    assert locs(sitemaps.folder_sitemap(sitemaps.EMPTY, site_url="https://x.org/", folder="en/")) == []


def test_not_a_urlset_is_an_error_that_says_what_to_do() -> None:
    with pytest.raises(sitemaps.SitemapError, match="keep a sitemaps.org urlset there, or switch 'feeds' off"):
        sitemaps.folder_sitemap("<html></html>", site_url="https://x.org/", folder="en/")
