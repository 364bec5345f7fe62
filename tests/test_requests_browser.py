"""No request that fails or leaves the origin, on any page view, with the site served at another origin.

The test site (tests/browser.py) is built for mkdocs.yml's ``site_url``
(https://policy.1mix.org/) and served by the real nginx with the generated
include at http://127.0.0.1:PORT, as a preview or a mirror would serve it.
Chromium opens every kind of page in every language and clicks the language
selector; nothing may 404 (Material fetches ``sitemap.xml`` beside every
``<link rel="alternate">``), nothing may go to policy.1mix.org (absolute feed
links made the browser fetch https://policy.1mix.org/.../sitemap.xml, which
the CSP blocked), and the console stays clean.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from browser import build_history_site, require_nginx_and_chromium
from browser import chromium as system_chromium
from nginx_server import NginxServer
from sitebuild import SITE_URL, mkdocs_build, new_site
from test_browser import Watch, _context

playwright_sync = pytest.importorskip("playwright.sync_api")

#: The language prefixes of the test site: zh-Hant at the root, then the translations.
LANGUAGES = ("", "zh-Hans/", "en/")
#: Every kind of page, under a language's prefix (the 404 page: a path that does not exist).
KINDS = {
    "index": "",
    "policy": "privacy/",
    "history": "privacy/history/",
    "version": "privacy/versions/1/",
    "404": "no-such-page/",
}


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory):
    """The test site built for https://policy.1mix.org/ and served by nginx at http://127.0.0.1:PORT."""
    require_nginx_and_chromium()
    site = build_history_site(tmp_path_factory.mktemp("elsewhere") / "repo")  # mkdocs.yml's own site_url
    assert f"site_url: {SITE_URL}" in (site.repo.path / "mkdocs.yml").read_text(encoding="utf-8")
    srv = NginxServer(site.site_dir, site.nginx_include.read_text(encoding="utf-8")).start()
    try:
        yield site, f"http://127.0.0.1:{srv.port}"
    finally:
        srv.close()


@pytest.fixture(scope="module")
def chromium(elsewhere):
    with system_chromium() as b:
        yield b


class StrictWatch(Watch):
    """Watch without its tolerance of Material's sitemap probes; the 404 page's own document may be a 404."""

    def __init__(self, expected_404: str | None = None) -> None:
        super().__init__()
        self.expected_404 = expected_404
        self.responses: list[tuple[int, str]] = []

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        if self.expected_404 and where == self.expected_404 and "404" in msg.text:
            return  # Chromium reports the 404 document it was asked for
        self.console_errors.append(f"{msg.text} ({where})")

    def _response(self, resp) -> None:
        self.responses.append((resp.status, resp.url))
        if resp.status >= 400 and not (resp.status == 404 and resp.url == self.expected_404):
            self.http_errors.append(f"{resp.status} {resp.url}")


def _settle(page) -> None:
    """Wait until the page and what its scripts fetch after load (Material's probes) are done."""
    page.wait_for_load_state("networkidle")


def _view(chromium, url: str, *, expected_404: bool = False) -> StrictWatch:
    watch = StrictWatch(url if expected_404 else None)
    ctx = _context(chromium, watch, viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        resp = page.goto(url)
        assert resp is not None and resp.status == (404 if expected_404 else 200), url
        _settle(page)
    finally:
        ctx.close()
    return watch


@pytest.mark.parametrize("prefix", LANGUAGES, ids=lambda p: p.rstrip("/") or "zh-Hant")
@pytest.mark.parametrize("kind", list(KINDS))
def test_page_view_makes_no_failed_or_foreign_request(elsewhere, chromium, kind: str, prefix: str) -> None:
    _, origin = elsewhere
    url = f"{origin}/{prefix}{KINDS[kind]}"
    watch = _view(chromium, url, expected_404=kind == "404")
    watch.assert_clean()
    assert any(urlsplit(u).path.endswith(".js") for u in watch.requests), "Material's scripts ran"
    if kind != "404":
        # Material's probes were made and answered (a sitemap.xml beside each feed link), not avoided by chance.
        probes = [(s, u) for s, u in watch.responses if urlsplit(u).path.endswith("/sitemap.xml")]
        assert probes and all(s == 200 for s, _ in probes), probes


def test_head_links_stay_on_the_origin_and_each_has_a_sitemap(elsewhere) -> None:
    """Every <link rel=alternate> a page has is page-relative, and sitemap.xml beside it is written."""
    site, _ = elsewhere
    pages = [p for p in site.site_dir.rglob("*.html")]
    seen = 0
    for html_file in pages:
        html = html_file.read_text(encoding="utf-8")
        for tag in re.findall(r"<link rel=\"alternate\"[^>]*>", html):
            href = re.search(r'href="([^"]*)"', tag).group(1)
            assert "://" not in href and not href.startswith("/"), f"{html_file}: {tag}"
            target = (html_file.parent / href).resolve()
            assert (target.parent / "sitemap.xml").is_file(), f"{html_file}: {tag}: no sitemap.xml beside it"
            seen += 1
        assert "hreflang" not in " ".join(re.findall(r"<link [^>]*>", html)), f"{html_file}: <link hreflang> probes 404"
    assert seen > len(pages)  # feed links were checked on (nearly) every page


def test_language_switch_click_is_clean(elsewhere, chromium) -> None:
    _, origin = elsewhere
    watch = StrictWatch()
    ctx = _context(chromium, watch, viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        for start, lang, landing in (("privacy/", "en", "en/privacy/"), ("en/privacy/", "zh-Hans", "zh-Hans/privacy/")):
            page.goto(f"{origin}/{start}")
            _settle(page)
            page.click(".md-header__option .md-select > button")
            link = page.locator(f".md-select__link[hreflang={lang}]")
            link.wait_for(state="visible")
            link.click()
            page.wait_for_url(f"{origin}/{landing}")
            _settle(page)
            assert page.locator("html").get_attribute("lang").startswith(lang.split("-")[0])
    finally:
        ctx.close()
    watch.assert_clean()


def test_sitemaps_are_generated_outputs(elsewhere) -> None:
    """The folder sitemaps are in generated.py's list (a committed one is refused) and revalidate like sitemaps."""
    import json

    from policykit import generated
    from policykit.pages import sitemaps  # noqa: F401  (registers its outputs, as the plugin's import does)

    site, _ = elsewhere
    docs = {"en/sitemap.xml": "docs/en/sitemap.xml", "en/privacy/sitemap.xml": "docs/en/privacy.md/../privacy/sitemap.xml",
            "en/other.html": "docs/en/other.html"}
    found = generated.collisions(docs, language_roots=["", "en/", "zh-Hans/"], policy_folders=["en/privacy/"])
    assert sorted(dest for _, dest, _ in found) == ["en/privacy/sitemap.xml", "en/sitemap.xml"]
    urls = json.loads((site.site_dir / "manifest.json").read_text(encoding="utf-8"))["urls"]
    for path in ("en/sitemap.xml", "zh-Hans/sitemap.xml", "privacy/sitemap.xml", "en/privacy/sitemap.xml"):
        assert (site.site_dir / path).is_file(), path
        assert urls[f"/{path}"]["cache"] == urls["/sitemap.xml"]["cache"] == "revalidate", path


def test_folder_sitemap_lists_the_root_sitemaps_urls_under_the_folder(elsewhere) -> None:
    site, _ = elsewhere
    root = (site.site_dir / "sitemap.xml").read_text(encoding="utf-8")
    en = (site.site_dir / "en" / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]*)</loc>", root)
    assert re.findall(r"<loc>([^<]*)</loc>", en) == [u for u in locs if u.startswith(f"{SITE_URL}en/")] != []
    policy = (site.site_dir / "privacy" / "sitemap.xml").read_text(encoding="utf-8")
    assert re.findall(r"<loc>([^<]*)</loc>", policy) == [f"{SITE_URL}privacy/"]
    assert en.startswith(root[: root.index(">", root.index("<urlset")) + 1])


def test_a_committed_folder_sitemap_is_refused(tmp_path) -> None:
    """docs/en/sitemap.xml or docs/en/privacy/sitemap.xml would be overwritten by the build: refused before it."""
    repo = new_site(tmp_path)
    repo.write("docs/en/sitemap.xml", "<urlset/>\n")
    repo.write("docs/zh-Hans/privacy/sitemap.xml", "<urlset/>\n")
    repo.commit("Sitemaps by hand")
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 1, result.stdout
    for src, dest, what in (("docs/en/sitemap.xml", "en/sitemap.xml", "the language's sitemap"),
                            ("docs/zh-Hans/privacy/sitemap.xml", "zh-Hans/privacy/sitemap.xml", "the policy's sitemap")):
        assert f"{src}: would be published at {dest}, where the build writes {what}. Rename or move it (git mv)." \
            in result.stdout


def test_a_link_into_another_language_is_not_taken_over(elsewhere, chromium) -> None:
    """A link from a translation to the original's version page lands there.

    Material took over every click on a link under a <link rel="alternate" hreflang> URL
    (/privacy/...) and, without a sitemap there, sent the reader to that URL (/privacy)
    instead of the link's target.
    """
    _, origin = elsewhere
    watch = StrictWatch()
    ctx = _context(chromium, watch, viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(f"{origin}/zh-Hans/privacy/")
        _settle(page)
        link = page.locator(".policy-notice--translation a.policy-notice__link").first
        href = link.evaluate("a => a.href")
        assert href.startswith(f"{origin}/privacy/versions/"), href
        link.click()
        page.wait_for_load_state("networkidle")
        assert page.url == href
    finally:
        ctx.close()
    watch.assert_clean()
