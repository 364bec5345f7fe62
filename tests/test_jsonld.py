"""schema.org JSON-LD on policy and version pages, safe whatever an editor writes, and the version page's record
section (permanent URL, source.md hash, how to verify): a real build behind real nginx, loaded in real Chromium."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from markupsafe import escape

import nginx_server
from browser import chromium, require_nginx_and_chromium, served_at, set_site_url
from policykit.pages.jsonld import script_json
from policykit.pages.labels import labels_for
from sitebuild import edit, html_of, mkdocs_build, new_site, set_front_matter
from test_browser import Watch, _context

EN = "docs/en/privacy.md"
TITLE = "</script><script>window.__ld=1</script> & <!-- Co"
LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def test_script_json_cannot_close_its_element() -> None:
    data = {"name": TITLE, "note": "a <b> & </SCRIPT >", "zh": "隱私政策"}
    text = script_json(data)
    assert not set("<>&") & set(text)
    assert "\\u003c/script\\u003e" in text and "\\u0026" in text and "隱私政策" in text
    assert json.loads(text) == data
    assert script_json(dict(reversed(list(data.items())))) == text  # sorted keys: the same data, the same text


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    require_nginx_and_chromium()
    port = nginx_server.free_port()
    origin = f"http://127.0.0.1:{port}"
    repo = new_site(tmp_path_factory.mktemp("jsonld"))
    set_site_url(repo, origin + "/")
    set_front_matter(repo, EN, "title", json.dumps(TITLE))  # a YAML double-quoted string
    repo.commit("Publish the policies", date="2019-06-01T10:00:00+08:00")
    edit(repo, EN, "1MiX.org is the publisher", "1MiX.org, a company, is the publisher")
    repo.commit("Name the company", date="2020-01-15T09:00:00+08:00")
    done = mkdocs_build(repo.path, "--strict")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "is not one of the theme's scripts" not in done.stdout
    include = (repo.path / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    with served_at(repo.path / "site", include, port):
        yield repo.path / "site", origin


def _ld(site: Path, page: str) -> dict:
    blocks = LD.findall(html_of(site, page))
    assert len(blocks) == 1, page
    assert not set("<>&") & set(blocks[0]), page
    return json.loads(blocks[0])


def test_current_page(built) -> None:
    site, origin = built
    page = html_of(site, "en/privacy/index.html")
    ld = _ld(site, "en/privacy/index.html")
    modified = re.search(r'<meta property="article:modified_time" content="([^"]+)">', page).group(1)
    assert ld == {
        "@context": "https://schema.org", "@type": "DigitalDocument", "name": TITLE, "inLanguage": "en",
        "version": 2, "datePublished": "2019-06-01T10:00:00+08:00", "dateModified": modified,
        "url": f"{origin}/en/privacy/",
    }
    assert modified == "2020-01-15T09:00:00+08:00"
    assert f'<link rel="canonical" href="{origin}/en/privacy/">' in page
    zh = _ld(site, "privacy/index.html")
    assert zh["inLanguage"] == "zh-Hant" and zh["version"] == 1 and zh["url"] == f"{origin}/privacy/"
    assert "application/ld+json" not in html_of(site, "en/privacy/history/index.html")
    assert "application/ld+json" not in html_of(site, "en/index.html")  # the policy centre is no policy


def test_version_pages(built) -> None:
    site, origin = built
    for n, when in ((1, "2019-06-01T10:00:00+08:00"), (2, "2020-01-15T09:00:00+08:00")):
        path = f"en/privacy/versions/{n}/index.html"
        ld = _ld(site, path)
        digest = hashlib.sha256((site / f"en/privacy/versions/{n}/source.md").read_bytes()).hexdigest()
        assert ld == {
            "@context": "https://schema.org", "@type": "DigitalDocument", "name": TITLE, "inLanguage": "en",
            "version": n, "datePublished": when, "dateModified": when, "url": f"{origin}/en/privacy/versions/{n}/",
            "encoding": {"@type": "MediaObject", "contentUrl": f"{origin}/en/privacy/versions/{n}/source.md",
                         "encodingFormat": "text/markdown", "sha256": digest},
        }
        assert f'<time datetime="{when}">' in html_of(site, path)  # the instant the banner shows


def test_no_page_holds_the_title_unescaped(built) -> None:
    site, _ = built
    for page in site.rglob("*.html"):
        assert "<script>window.__ld" not in page.read_text(encoding="utf-8"), page


def test_record_section_of_a_version_page(built) -> None:
    site, origin = built
    for locale, folder in (("en", "en/"), ("zh-Hant", ""), ("zh-Hans", "zh-Hans/")):
        labels = labels_for(locale)
        page = html_of(site, f"{folder}privacy/versions/1/index.html")
        section = re.search(r'<details class="policy-record">(.*?)</details>', page, re.S)
        assert section, locale  # collapsed: no "open" attribute
        text = section.group(1)
        digest = hashlib.sha256((site / f"{folder}privacy/versions/1/source.md").read_bytes()).hexdigest()
        assert f"<summary>{escape(labels['record_summary'])}</summary>" in text
        assert f'<code class="policy-record__sha256">{digest}</code>' in text
        assert f'href="{origin}/{folder}privacy/versions/1/"' in text
        assert 'href="source.md"' in text and "sha256sum source.md" in text
        # an unsigned build: the hash check only (tests/test_signing.py: a signed one also shows ssh-keygen's)
        assert "-n policykit-manifest" not in text and "manifest.json.sig" not in text
        assert escape(labels["record_verify_unsigned"]) in text
        manifest = re.search(r'href="([^"]+)" class="policy-record__manifest"', text).group(1)
        assert (site / f"{folder}privacy/versions/1" / manifest).resolve() == (site / "manifest.json").resolve()
        for key in ("record_permanent_url", "record_sha256", "record_source", "record_verify_unsigned", "record_manifest"):
            assert escape(labels[key]) in text, (locale, key)
    assert labels_for("zh-Hant")["record_summary"] != labels_for("en")["record_summary"]
    assert labels_for("zh-Hans")["record_summary"] != labels_for("zh-Hant")["record_summary"]


def test_in_chromium_nothing_runs_and_the_record_opens(built) -> None:
    site, origin = built
    watch = Watch()
    with chromium() as browser:
        ctx = _context(browser, watch, viewport={"width": 1280, "height": 900})
        try:
            page = ctx.new_page()
            for path in ("/en/privacy/", "/en/privacy/versions/1/", "/en/privacy/versions/2/", "/privacy/versions/1/"):
                page.goto(origin + path, wait_until="load")
                assert page.evaluate("() => window.__ld") is None, path
                name = page.evaluate("() => JSON.parse(document.querySelector("
                                     "'script[type=\"application/ld+json\"]').textContent).name")
                assert name == (TITLE if path.startswith("/en/") else "隱私政策"), path
            sha = page.locator(".policy-record__sha256")
            assert not sha.is_visible()  # collapsed by default
            page.locator(".policy-record summary").click()
            assert sha.is_visible()
            digest = hashlib.sha256((site / "privacy/versions/1/source.md").read_bytes()).hexdigest()
            assert sha.inner_text() == digest
            got = page.evaluate("async () => { const r = await fetch(document.querySelector('.policy-record__source')"
                                ".href); return [r.status, r.headers.get('content-type'), await r.text()]; }")
            assert got[0] == 200 and got[1] == "text/markdown; charset=utf-8"
            assert got[2] == (site / "privacy/versions/1/source.md").read_text(encoding="utf-8")
        finally:
            ctx.close()
    watch.assert_clean()
