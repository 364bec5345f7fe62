"""The nginx rendering, served by a real nginx: classes, validators, odd names, 404."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from policykit.cache_rules import IMMUTABLE, REVALIDATE, STATIC, VERSION_SNAPSHOT
from policykit.deploy import finalize_site
from policykit.header_files import encode_url_path
from nginx_server import NGINX, NginxServer
from synthetic_site import CJK_PAGE, ODD_PAGES, OWN_ASSETS, SOURCE_DATE, build_site

LM = "Wed, 01 May 2024 08:30:15 GMT"
SECURITY = ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Content-Security-Policy")


def build(tmp_path: Path, name: str, **kwargs):
    site = tmp_path / name
    reg = build_site(site, **{k: v for k, v in kwargs.items() if k not in ("source_date", "previous")})
    result = finalize_site(site, reg, own_assets=OWN_ASSETS, source_date=kwargs.get("source_date", SOURCE_DATE),
                           previous_manifest=kwargs.get("previous"), env={})
    return site, result


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx")
    site, result = build(tmp, "site")
    with NginxServer(site, result.nginx_include.read_text()) as srv:
        yield srv, result


def assert_security(headers) -> None:
    for name in SECURITY:
        assert len(headers.get_all(name) or []) == 1, name
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize("url, cache", [
    ("/", REVALIDATE), ("/privacy/", REVALIDATE), ("/en/privacy/index.html", REVALIDATE),
    ("/zh-Hans/privacy/history/", REVALIDATE), ("/en/privacy/feed.xml", REVALIDATE), ("/feed.xml", REVALIDATE),
    ("/search/search_index.json", REVALIDATE), ("/sitemap.xml", REVALIDATE), ("/sitemap.xml.gz", REVALIDATE),
    ("/downloads/terms.pdf", REVALIDATE), ("/manifest.json", REVALIDATE), ("/404.html", REVALIDATE),
    ("/en/privacy/versions/1/", VERSION_SNAPSHOT), ("/privacy/versions/2/index.html", VERSION_SNAPSHOT),
    ("/assets/stylesheets/main.6f8fc17f.min.css", IMMUTABLE),
    ("/assets/javascripts/workers/search.f8cc74c7.min.js", IMMUTABLE),
    ("/assets/javascripts/lunr/min/lunr.zh.min.js", STATIC), ("/assets/fonts/inter.woff2", STATIC),
    ("/assets/images/favicon.png", STATIC),
])
def test_cache_classes(served, url: str, cache) -> None:
    srv, _ = served
    status, headers, _ = srv.get(url)
    assert status == 200, url
    assert headers.get_all("Cache-Control") == [cache.cache_control]
    assert_security(headers)


def test_fingerprinted_own_assets_and_tags(served) -> None:
    srv, result = served
    for new in result.renamed.values():
        status, headers, _ = srv.get("/" + new)
        assert status == 200 and headers["Cache-Control"] == IMMUTABLE.cache_control
    status, headers, _ = srv.get("/en/privacy/versions/1/")
    assert headers["Cache-Tag"] == "policy-privacy, policy-privacy-en"
    assert headers["Surrogate-Key"] == "policy-privacy policy-privacy-en"


def test_current_policy_last_modified_and_conditional_requests(served) -> None:
    srv, _ = served
    for url in ("/privacy/", "/en/privacy/", "/zh-Hans/privacy/index.html"):
        status, headers, _ = srv.get(url)
        assert status == 200 and headers.get_all("Last-Modified") == [LM], url
        etag = headers["ETag"]
        status, h304, body = srv.get(url, {"If-None-Match": etag})
        assert status == 304 and body == b"" and h304["Cache-Control"] == REVALIDATE.cache_control
        assert_security(h304)
        status, _, _ = srv.get(url, {"If-Modified-Since": LM})
        assert status == 304
        status, _, _ = srv.get(url, {"If-Modified-Since": "Wed, 01 May 2024 08:30:14 GMT"})
        assert status == 200


def test_odd_names_are_matched_decoded(served) -> None:
    srv, _ = served
    for path in (CJK_PAGE.removesuffix("index.html"), CJK_PAGE, *ODD_PAGES):
        url = encode_url_path("/" + path)
        status, headers, body = srv.get(url)
        assert status == 200, (url, srv.error_log())
        assert headers["Cache-Tag"] in ("policy-terms, policy-terms-zh-Hant", "policy-odd, policy-odd-en"), url
        assert_security(headers)


def test_not_found_page(served) -> None:
    srv, _ = served
    for url in ("/no/such/page/", "/_headers"):
        status, headers, body = srv.get(url)
        assert status == 404, url
        assert b"not found" in body
        assert headers.get_all("Cache-Control") == [REVALIDATE.cache_control]
        assert_security(headers)


def test_etags_across_builds_and_changes(tmp_path: Path) -> None:
    site1, r1 = build(tmp_path, "one")
    site2, r2 = build(tmp_path, "two", en_privacy_text="We protect your data better.",
                      en_instant=datetime(2024, 7, 1, tzinfo=timezone.utc))
    # a later commit, a different fallback stamp: with the previous manifest unchanged files keep their stamp
    site3, r3 = build(tmp_path, "three", source_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
                      previous=str(r1.manifest_file))
    site4, r4 = build(tmp_path, "four", source_date=datetime(2025, 1, 1, tzinfo=timezone.utc))
    unchanged = ["/", "/privacy/", "/assets/stylesheets/main.6f8fc17f.min.css", "/en/privacy/versions/1/",
                 "/assets/javascripts/lunr/min/lunr.zh.min.js", encode_url_path("/" + CJK_PAGE)]
    with NginxServer(site1, r1.nginx_include.read_text()) as s1, \
            NginxServer(site2, r2.nginx_include.read_text()) as s2, \
            NginxServer(site3, r3.nginx_include.read_text()) as s3, \
            NginxServer(site4, r4.nginx_include.read_text()) as s4:
        # without the previous manifest, files stamped with the fallback date get a new ETag
        assert s4.get("/")[1]["ETag"] != s1.get("/")[1]["ETag"]
        assert s4.get("/privacy/")[1]["ETag"] == s1.get("/privacy/")[1]["ETag"]  # registry instant
        for url in unchanged:
            e1, e2, e3 = (s.get(url)[1]["ETag"] for s in (s1, s2, s3))
            assert e1 == e2 == e3, url
            assert s2.get(url, {"If-None-Match": e1})[0] == 304
        _, old, _ = s1.get("/en/privacy/")
        status, new, _ = s2.get("/en/privacy/", {"If-None-Match": old["ETag"], "If-Modified-Since": LM})
        assert status == 200 and new["ETag"] != old["ETag"]
        assert new["Last-Modified"] == "Mon, 01 Jul 2024 00:00:00 GMT"
        assert s2.get("/en/privacy/", {"If-Modified-Since": LM})[0] == 200


def test_changed_file_at_same_stamp_is_not_304(tmp_path: Path) -> None:
    site1, r1 = build(tmp_path, "one")
    # same registry instant and same size, different bytes (e.g. a theme hash inside the page)
    site2, r2 = build(tmp_path, "two", en_privacy_text="We protect your DATA.", previous=str(r1.manifest_file))
    with NginxServer(site1, r1.nginx_include.read_text()) as s1, \
            NginxServer(site2, r2.nginx_include.read_text()) as s2:
        _, old, _ = s1.get("/en/privacy/")
        status, _, _ = s2.get("/en/privacy/", {"If-None-Match": old["ETag"]})
        assert status == 200
        status, _, _ = s2.get("/en/privacy/", {"If-Modified-Since": old["Last-Modified"]})
        assert status == 200


def test_server_helper_stops(tmp_path: Path) -> None:
    site = tmp_path / "s"
    site.mkdir()
    (site / "index.html").write_text("hi")
    srv = NginxServer(site, "")
    srv.start()
    pid = srv.proc.pid
    srv.close()
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    assert not srv.prefix.exists()
    assert shutil.which("nginx") or Path(NGINX).exists()
