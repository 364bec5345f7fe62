"""A 404 page per language, in the reader's language, linking that language's policy centre, on every platform.

nginx: the generated include routes each language folder's missing URLs to its own 404.html (a real nginx,
with and without the README's server-level ``error_page``).  Netlify: ``_redirects`` 404 rules, parsed in
Netlify's format.  Cloudflare Pages: the nearest 404.html, so every language folder has one.  Chromium: the
404 page loads under the CSP with no failed request but its own status.  One build of the browser test site
(tests/browser.py) shared by every test here.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nginx_server import NginxServer
from policykit.deploy.error_pages import BEGIN, END, REDIRECTS_FILE, not_found_folders, redirect_rules, render_redirects
from policykit.deploy.cache_rules import HeaderRuleError
from policykit.deploy.header_files import netlify_regex
from policykit.pages.labels import labels_for
from test_browser import Watch, _context, browser, served  # noqa: F401  (fixtures: one site, one Chromium)

#: (missing URL, language folder, <html lang>, label table, the policy centre it links)
MISSING = [
    ("/en/nope", "en/", "en", "en", "/en/"),
    ("/en/privacy/versions/99/", "en/", "en", "en", "/en/"),
    ("/zh-Hans/nope", "zh-Hans/", "zh", "zh-Hans", "/zh-Hans/"),
    ("/zh-Hans/privacy/nope.html", "zh-Hans/", "zh", "zh-Hans", "/zh-Hans/"),
    ("/nope", "", "zh-Hant", "zh-Hant", "/"),
    ("/privacy/versions/99/", "", "zh-Hant", "zh-Hant", "/"),
]


def _security(site_dir: Path) -> dict[str, str]:
    """The headers ``_headers`` puts on every URL (``/*``): what every response must carry."""
    lines = (site_dir / "_headers").read_text(encoding="utf-8").splitlines()
    start = lines.index("/*")
    out = {}
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        name, _, value = line.strip().partition(": ")
        out[name] = value
    return out


def _check_404(body: bytes, lang: str, table: str, home: str) -> None:
    html = body.decode("utf-8")
    labels = labels_for(table)
    assert f'<html lang="{lang}"' in html
    assert f"<h1>{labels['not_found_title']}</h1>" in html
    assert labels["not_found_text"] in html
    assert f'<a class="policy-not-found-home" href="{home}">{labels["not_found_home"]}</a>' in html


def test_every_language_folder_has_its_own_404_in_its_language(served) -> None:  # noqa: F811
    site, _ = served
    for _, folder, lang, table, home in MISSING:
        _check_404((site.site_dir / folder / "404.html").read_bytes(), lang, table, home)
    # Each 404's language switcher offers every language's policy centre, not some page's translations.
    html = (site.site_dir / "en/404.html").read_text(encoding="utf-8")
    assert re.findall(r'<a href="([^"]*)" hreflang="[^"]*" class="md-select__link"', html) == ["/", "/zh-Hans/", "/en/"]
    assert '<link rel="alternate" href' not in html  # no head hreflang: Material would probe a sitemap.xml beside each


@pytest.mark.parametrize("server_error_page", ["/404.html", None], ids=["README-server-block", "include-alone"])
def test_nginx_answers_each_language_with_its_404(served, server_error_page) -> None:  # noqa: F811
    site, _ = served
    security = _security(site.site_dir)
    include = site.nginx_include.read_text(encoding="utf-8")
    with NginxServer(site.site_dir, include, error_page=server_error_page) as srv:
        for url, _, lang, table, home in MISSING:
            status, headers, body = srv.get(url)
            assert status == 404, url
            _check_404(body, lang, table, home)
            assert headers["Cache-Control"] == "public, max-age=0, must-revalidate", url
            for name, value in security.items():
                assert headers.get_all(name) == [value], (url, name)
        status, _, body = srv.get("/en/privacy/")  # an existing page is not a 404
        assert status == 200 and b'<html lang="en"' in body


def _redirect_lines(text: str) -> list[tuple[str, str, int]]:
    """Netlify's ``_redirects`` format: ``from to [status]`` per line, ``#`` comments, blank lines ignored."""
    rules = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        assert len(fields) == 3, line
        rules.append((fields[0], fields[1], int(fields[2])))
    return rules


def _netlify_404(rules: list[tuple[str, str, int]], site_dir: Path, url: str) -> str:
    """The page Netlify answers a missing *url* with: the first 404 rule that matches, else its root 404.html."""
    for src, dest, status in rules:
        if status == 404 and netlify_regex(src).match(url):
            return dest
    return "/404.html"


def test_netlify_redirects_send_each_language_to_its_404(served) -> None:  # noqa: F811
    site, _ = served
    text = (site.site_dir / REDIRECTS_FILE).read_text(encoding="utf-8")
    rules = _redirect_lines(text)
    assert rules == [("/en/*", "/en/404.html", 404), ("/zh-Hans/*", "/zh-Hans/404.html", 404)]
    for _, dest, _ in rules:
        assert (site.site_dir / dest.lstrip("/")).is_file()
    for url, folder, lang, table, home in MISSING:
        dest = _netlify_404(rules, site.site_dir, url)
        assert dest == "/" + folder + "404.html"
        _check_404((site.site_dir / dest.lstrip("/")).read_bytes(), lang, table, home)
    manifest = (site.site_dir / "manifest.json").read_text(encoding="utf-8")
    assert '"/_redirects"' in manifest  # listed like every published file (policykit verify checks it)


def test_cloudflare_pages_nearest_404_is_the_readers_language(served) -> None:  # noqa: F811
    """Cloudflare Pages answers a missing URL with the 404.html of the nearest folder above it."""
    site, _ = served
    for url, _, lang, table, home in MISSING:
        folder = Path(urlsplit(url).path.lstrip("/")).parent if not url.endswith("/") else Path(url.strip("/"))
        while not (site.site_dir / folder / "404.html").is_file():
            folder = folder.parent
        _check_404((site.site_dir / folder / "404.html").read_bytes(), lang, table, home)


def test_redirects_keep_a_sites_own_rules_and_replace_only_their_block() -> None:
    own = "/old  /new  301\n"
    first = render_redirects(redirect_rules(["en/"]), own)
    assert first.startswith(own) and first.count(BEGIN) == 1 and first.rstrip().endswith(END)
    again = render_redirects(redirect_rules(["en/", "fr/"]), first)
    assert again.count(BEGIN) == 1 and "/old  /new  301" in again and "/fr/*  /fr/404.html  404" in again
    assert _redirect_lines(again)[0] == ("/old", "/new", 301)


def test_deepest_folder_first_and_names_redirects_cannot_hold() -> None:
    assert not_found_folders(["404.html", "en/404.html", "en/a/404.html", "b/404.html"]) == ["en/a/", "b/", "en/"]
    assert redirect_rules(["日本語/"]) == [("/%E6%97%A5%E6%9C%AC%E8%AA%9E/*", "/%E6%97%A5%E6%9C%AC%E8%AA%9E/404.html", 404)]
    with pytest.raises(HeaderRuleError, match="rename the folder"):
        redirect_rules(["my docs/"])


playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.mark.parametrize("url, folder, lang, table, home", MISSING[::2])
def test_404_page_in_chromium_has_no_csp_violation_or_failed_request(
        served, browser, url, folder, lang, table, home) -> None:  # noqa: F811
    _, origin = served
    watch = Watch()
    ctx = _context(browser, watch, viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        response = page.goto(origin + url, wait_until="networkidle")
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text().strip() == labels_for(table)["not_found_title"]
        assert page.evaluate("document.documentElement.lang") == lang
        page.click("a.policy-not-found-home")
        page.wait_for_load_state("networkidle")
        assert urlsplit(page.url).path == home
    finally:
        ctx.close()
    # The document's own 404 is the answer, not a failure; anything else failing is.
    watch.http_errors = [e for e in watch.http_errors if e != f"404 {origin}{url}"]
    watch.console_errors = [e for e in watch.console_errors
                            if not (e.startswith("Failed to load resource") and f"({origin}{url})" in e)]
    watch.assert_clean()
