"""No text an editor writes ever runs as script: Chromium, behind the generated nginx include (CSP and all).

One site (real git repository, real build, real nginx, real Chromium) holds
payloads in every field a title or note can come from: front matter
``title:`` and ``change_note:``, a first heading used as the title, a file
name, the commit message, and a heading with entities.  Every page type of
every language is loaded: no payload runs (the ``window.__xN`` markers they
would set stay undefined), ``document.title`` is the intended text, each text
shows escaped exactly once, and there is no CSP violation, console error or
failed request.  A ``<script>`` written into a policy's text is blocked by the
CSP (and reported), never run.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from markupsafe import escape

import nginx_server
from browser import chromium, require_nginx_and_chromium, served_at, set_site_url
from gitfixture import GitRepo, project_repo
from policykit.pages.labels import labels_for
from sitebuild import mkdocs_build
from test_browser import Watch, _context

playwright_sync = pytest.importorskip("playwright.sync_api")

LOCALES = {"zh-Hant": "", "zh-Hans": "zh-Hans/", "en": "en/"}
SITE_NAME = {"zh-Hant": "1MiX 政策中心", "zh-Hans": "1MiX 政策中心", "en": "1MiX Policy Centre"}
MARKERS = [f"__x{i}" for i in range(1, 8) if i != 4] + ["pwn4"]

FM_TITLE = 'Terms "Plus" <Beta> </title><script>window.__x1=1</script><img src=x onerror=window.__x1=1>'
FM_NOTE = "<script>window.__x2=1</script><img src=x onerror=window.__x2=1> &lt;b&gt;"
HEADING_TITLE = "Privacy </title><script>window.__x3=1</script><img src=x onerror=window.__x3=1>"
HEADING_MD = HEADING_TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
ENTITY_TITLE = 'Terms <Beta> & "Plus" &lt;'
ENTITY_MD = 'Terms &lt;Beta&gt; &amp; "Plus" &amp;lt;'
FILE_STEM = "&lt;img src=x onerror=self.pwn4=1&gt;"  # the name rules refuse < > " ' but not & ; = (MkDocs turns _ into spaces)
COMMIT_MESSAGE = "<img src=x onerror=window.__x5=1> notes &amp;"
RAW_SCRIPTS = "# Notice </title><script>window.__x6=1</script>\n\n<script>window.__x7=1</script>\n"

#: page (under each language's prefix) -> the title it must show
TITLED = {
    "fm/": FM_TITLE,
    "heading/": HEADING_TITLE,
    "entities/": ENTITY_TITLE,
    f"legal/deep/{quote(FILE_STEM)}/": FILE_STEM,
}


def _write_site(repo: GitRepo, origin: str) -> None:
    set_site_url(repo, origin + "/")
    config = repo.read("mkdocs.yml")
    # COMMIT_MESSAGE reaches readers as a change note (escaped once): subjects are shown only when asked.
    config = config.replace("  - policy-site:\n", "  - policy-site:\n      commit_subjects_as_notes: true\n", 1)
    repo.write("mkdocs.yml", config)
    for locale in LOCALES:
        repo.write(f"docs/{locale}/fm.md", f"---\ntitle: '{FM_TITLE}'\nchange_note: '{FM_NOTE}'\n---\n\n# Heading\n\nText.\n")
        repo.write(f"docs/{locale}/heading.md", f"# {HEADING_MD}\n\nText.\n")
        repo.write(f"docs/{locale}/entities.md", f"# {ENTITY_MD}\n\nText.\n")
        repo.write(f"docs/{locale}/legal/deep/{FILE_STEM}.md", "Text without a heading.\n")
        repo.write(f"docs/{locale}/legal/deep/terms.md", "# Deep terms\n\nText.\n")
        repo.write(f"docs/{locale}/raw.md", RAW_SCRIPTS)
    repo.run("add", "-A")
    repo.commit(COMMIT_MESSAGE, date="2024-03-01T10:00:00+08:00")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_nginx_and_chromium()
    port = nginx_server.free_port()
    origin = f"http://127.0.0.1:{port}"
    repo = project_repo(tmp_path_factory.mktemp("injection") / "repo")
    _write_site(repo, origin)
    result = mkdocs_build(repo.path)
    assert result.returncode == 0, result.stdout
    assert "is not one of the theme's scripts" not in result.stdout
    include = (repo.path / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    with served_at(repo.path / "site", include, port):  # at the site_url the site was built for
        yield repo, origin


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as b:
        yield b


def _markers(page) -> dict[str, object]:
    return page.evaluate(f"() => Object.fromEntries({MARKERS!r}.map(k => [k, window[k] === undefined ? null : window[k]]))")


def _load(page, url: str) -> None:
    page.goto(url, wait_until="load")
    page.wait_for_timeout(50)  # onerror handlers of images that failed to load run after "load"


def _pages(locale: str) -> list[tuple[str, str | None]]:
    """(path, expected document.title or None) of every page type in *locale*."""
    labels, site = labels_for(locale), SITE_NAME[locale]
    p = LOCALES[locale]
    out: list[tuple[str, str | None]] = [(f"/{p}", None), (f"/{p}privacy/", None), (f"/{p}privacy/history/", None),
                                         (f"/{p}privacy/versions/1/", None), (f"/{p}legal/deep/terms/", f"Deep terms - {site}"),
                                         (f"/{p}legal/deep/terms/versions/1/", None)]
    for path, title in TITLED.items():
        out.append((f"/{p}{path}", f"{title} - {site}"))
        out.append((f"/{p}{path}history/", labels["history_title"].format(title=title) + f" - {site}"))
        out.append((f"/{p}{path}versions/1/", labels["version_title"].format(title=title, number=1) + f" - {site}"))
    return out


@pytest.mark.parametrize("locale", list(LOCALES))
def test_no_payload_runs_and_no_csp_violation_on_any_page(served, browser, locale: str) -> None:
    _, origin = served
    watch = Watch()
    ctx = _context(browser, watch, viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        for path, title in _pages(locale):
            _load(page, origin + path)
            assert _markers(page) == dict.fromkeys(MARKERS), path
            if title is not None:
                assert page.title() == title, path
            shown = TITLED.get(path[len(LOCALES[locale]) + 1:])
            if shown is not None:  # Material's header writes page.title as it is
                header = page.locator(".md-header__topic[data-md-component=header-topic] .md-ellipsis")
                assert header.inner_text().strip() == shown, path
        _load(page, f"{origin}/404.html")  # what nginx's error_page serves for a missing page
        assert page.locator("h1").first.inner_text().strip().startswith("404")
        assert _markers(page) == dict.fromkeys(MARKERS)
    finally:
        ctx.close()
    watch.assert_clean()


def test_titles_and_notes_show_escaped_exactly_once(served, browser) -> None:
    repo, origin = served
    watch = Watch()
    ctx = _context(browser, watch, viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        _load(page, f"{origin}/en/")
        listed = [t.strip() for t in page.locator(".policy-list__title").all_inner_texts()]
        for title in TITLED.values():
            assert title in listed
        notes = page.locator(".policy-list__note").all_inner_texts()
        assert any(FM_NOTE in n for n in notes) and any(COMMIT_MESSAGE in n for n in notes)
        nav = [t.strip() for t in page.locator(".md-nav--primary .md-nav__link").all_inner_texts()]
        assert FM_TITLE in nav and HEADING_TITLE in nav and ENTITY_TITLE in nav
        _load(page, f"{origin}/en/fm/history/")
        assert FM_NOTE in page.locator(".policy-history__note").first.inner_text()
        assert page.locator("h1").first.inner_text().strip() == labels_for("en")["history_title"].format(title=FM_TITLE)
        _load(page, f"{origin}/en/entities/history/")
        assert COMMIT_MESSAGE in page.locator(".policy-history__note").first.inner_text()
        assert _markers(page) == dict.fromkeys(MARKERS)
    finally:
        ctx.close()
    watch.assert_clean()
    feed = ET.parse(repo.path / "site" / "en" / "feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    for title in TITLED.values():
        assert labels_for("en")["version_title"].format(title=title, number=1) in titles
    contents = "".join(e.findtext("a:content", default="", namespaces=ns) for e in feed.findall("a:entry", ns))
    assert "&amp;lt;Beta" not in contents and "&amp;lt;b&amp;gt;" in contents  # the note's literal &lt;b&gt;, once


def test_search_runs_under_the_csp_and_indexes_titles_escaped_once(served, browser) -> None:
    """Material's search worker starts and answers without a CSP violation; its index holds HTML, escaped once.

    (Results themselves are not asserted: with ``search.lang: [en, zh]`` lunr's zh
    tokenizer finds nothing in the browser, with or without the CSP; see the report.)
    """
    repo, origin = served
    watch = Watch()
    ctx = _context(browser, watch, viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        _load(page, f"{origin}/en/")
        page.locator("input.md-search__input").click()
        page.keyboard.type("Beta")
        meta = page.locator(".md-search-result__meta")
        page.wait_for_function("() => { const m = document.querySelector('.md-search-result__meta');"
                               " return m && /match|result/i.test(m.textContent); }", timeout=15000)
        assert meta.inner_text().strip()
        assert _markers(page) == dict.fromkeys(MARKERS)
    finally:
        ctx.close()
    watch.assert_clean()
    index = json.loads((repo.path / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    titles = {d["location"]: d["title"] for d in index["docs"]}
    assert titles["heading/"] == str(escape(HEADING_TITLE))  # Material inserts index titles as HTML
    assert not [t for t in titles.values() if "<" in t]


def test_script_in_a_policy_text_is_blocked_by_the_csp(served, browser) -> None:
    _, origin = served
    watch = Watch()
    ctx = _context(browser, watch, viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        _load(page, f"{origin}/en/raw/")
        assert _markers(page) == dict.fromkeys(MARKERS)
        assert page.title() == "Notice window.__x6=1 - 1MiX Policy Centre"  # MkDocs strips the heading's tags
    finally:
        ctx.close()
    assert len(watch.csp) == 2 and all("script-src" in v for v in watch.csp), watch.csp
    assert all("inline" in v or "/en/raw/" in v for v in watch.csp)
