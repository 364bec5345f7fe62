"""The nginx rendering, served by a real nginx: classes, validators, odd names, 404."""

from __future__ import annotations

import itertools
import os
import re
from importlib import metadata
import shutil
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from policykit.deploy import mtimes
from policykit.deploy.cache_rules import IMMUTABLE, REVALIDATE, STATIC, VERSION_SNAPSHOT
from policykit.deploy.finalize import finalize_site
from policykit.deploy.header_files import encode_url_path
from policykit.deploy.published import PublishedPage, PublishedPages
from nginx_server import NGINX, NginxServer
from synthetic_site import CJK_PAGE, ODD_PAGES, OWN_ASSETS, POLICY_INSTANT, SOURCE_DATE, build_site

LM = "Sun, 02 Jun 2024 12:00:00 GMT"  # the build clock (SOURCE_DATE): Last-Modified describes the bytes
STAMP = "Wed, 01 May 2024 08:30:15 GMT"  # the policies' stamp (POLICY_INSTANT): earlier
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
        status, _, _ = srv.get(url, {"If-Modified-Since": "Sun, 02 Jun 2024 11:59:59 GMT"})
        assert status == 200
        assert srv.get(url, {"If-Modified-Since": STAMP})[0] == 200  # the stamp is not the bytes' date


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
        # without the previous manifest, a later build clock gives new validators, except to content-named files
        assert s4.get("/")[1]["ETag"] != s1.get("/")[1]["ETag"]
        assert s4.get("/privacy/")[1]["ETag"] != s1.get("/privacy/")[1]["ETag"]
        for url in ("/assets/stylesheets/main.6f8fc17f.min.css", "/" + r4.renamed["assets/policy.css"]):
            assert s4.get(url)[1]["ETag"] == s1.get(url)[1]["ETag"], url
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


# ------------------------------------------------------------------ the real site, two commits, real nginx

from sitebuild import edit, mkdocs_build, new_site  # noqa: E402


def _served_files(site: Path) -> dict[str, tuple[str, bytes]]:
    """URL -> (path, bytes) of every file nginx serves from *site* (manifest.json included)."""
    out = {}
    for p in sorted(site.rglob("*")):
        if p.is_file() and p.name != "_headers":
            rel = p.relative_to(site).as_posix()
            data = p.read_bytes()
            out[encode_url_path("/" + rel)] = (rel, data)
            if rel == "index.html" or rel.endswith("/index.html"):
                out[encode_url_path("/" + rel[: -len("index.html")])] = (rel, data)
    return out


@pytest.fixture(scope="module")
def two_commits(tmp_path_factory):
    """C1 built; C2 (a later commit dated EARLIER than C1: clocks go backwards) built without and with C1's manifest."""
    base = tmp_path_factory.mktemp("validators")
    repo = new_site(base)
    repo.write("requirements.txt", f"mkdocs-material=={metadata.version('mkdocs-material')}\n")  # the theme pin
    repo.commit("Publish the policies", date="2019-06-01T10:00:00+08:00")
    sites = {}

    def build(name: str, env: dict[str, str] | None = None) -> Path:
        done = mkdocs_build(repo.path, env=env)  # not --strict: C2's English text is older than its source
        assert done.returncode == 0, done.stdout[-3000:]
        shutil.copytree(repo.path / "site", base / name)  # copy2: mtimes kept
        shutil.copy(repo.path / "site-deploy" / "nginx-headers.conf", base / f"{name}.conf")
        shutil.copy(repo.path / "site-deploy" / "nginx-maps.conf", base / f"{name}.maps.conf")
        sites[name] = base / name
        return base / name

    c1 = build("c1")
    edit(repo, "docs/en/privacy.md", "1MiX.org is the publisher", "1MiX.org is the sole publisher")
    repo.commit("Clarify the publisher", date="2019-05-01T10:00:00+08:00")
    build("c2-alone")
    build("c2-manifest", {"POLICY_SITE_PREVIOUS_MANIFEST": str(c1 / "manifest.json")})
    return base, sites, _validators(base, "c1", c1)


def _validators(base: Path, name: str, site: Path) -> dict[str, tuple[str, str]]:
    out = {}
    with NginxServer(site, (base / f"{name}.conf").read_text(), http_include=(base / f"{name}.maps.conf").read_text()) as srv:
        for url in _served_files(site):
            status, headers, _ = srv.get(url)
            assert status == 200, url
            out[url] = (headers["ETag"], headers["Last-Modified"])
    return out


def _conditional(base: Path, name: str, site: Path, old: dict[str, tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """URL -> (status with If-None-Match alone, status with If-Modified-Since alone) against C1's validators."""
    out = {}
    with NginxServer(site, (base / f"{name}.conf").read_text(), http_include=(base / f"{name}.maps.conf").read_text()) as srv:
        for url in _served_files(site):
            if url in old:
                etag, modified = old[url]
                out[url] = (srv.get(url, {"If-None-Match": etag})[0], srv.get(url, {"If-Modified-Since": modified})[0])
    return out


@pytest.mark.parametrize("name", ["c2-alone", "c2-manifest"])
def test_changed_bytes_are_never_304(two_commits, name: str) -> None:
    base, sites, old = two_commits
    before = _served_files(sites["c1"])
    after = _served_files(sites[name])
    results = _conditional(base, name, sites[name], old)
    changed = [u for u in results if after[u][1] != before[u][1]]
    unchanged = [u for u in results if after[u][1] == before[u][1]]
    assert "/en/" in changed and "/en/index.html" in changed and "/en/privacy/" in changed and "/manifest.json" in changed
    assert {u: results[u] for u in changed} == {u: (200, 200) for u in changed}
    if name == "c2-manifest":  # publish: every unchanged file keeps both validators
        assert len(unchanged) > 40
        assert {u: results[u] for u in unchanged} == {u: (304, 304) for u in unchanged}
    else:  # no manifest: files named by their content's hash, and the pinned theme's own files, still keep them
        hashed = [u for u in unchanged if re.search(r"\.[0-9a-f]{8,}\.(min\.)?(css|js)(\.map)?$", u)]
        theme = [u for u in unchanged if u.startswith(("/assets/javascripts/lunr/", "/assets/images/"))]
        assert len(hashed) >= 6 and len(theme) >= 20
        assert {u: results[u] for u in hashed + theme} == {u: (304, 304) for u in hashed + theme}


def test_last_modified_describes_bytes_not_the_stamp(two_commits) -> None:
    """C2 is dated before C1: the English stamp goes back to C2's date, Last-Modified of the changed bytes goes forward."""
    base, sites, old = two_commits
    for name in ("c2-alone", "c2-manifest"):
        new = _validators(base, name, sites[name])
        html = _served_files(sites[name])["/en/privacy/"][1]
        stamp = datetime.fromisoformat(re.search(rb'article:modified_time" content="([^"]+)"', html).group(1).decode())
        assert stamp == datetime(2019, 5, 1, 2, 0, tzinfo=timezone.utc)
        assert parsedate_to_datetime(new["/en/privacy/"][1]) > parsedate_to_datetime(old["/en/privacy/"][1]) > stamp
        # a page whose bytes did not change keeps its Last-Modified (with the manifest), not before its stamp
        zh = _served_files(sites[name])["/privacy/"][1]
        zh_stamp = datetime.fromisoformat(re.search(rb'article:modified_time" content="([^"]+)"', zh).group(1).decode())
        assert parsedate_to_datetime(new["/privacy/"][1]) >= zh_stamp
        if name == "c2-manifest":
            assert zh == _served_files(sites["c1"])["/privacy/"][1] and new["/privacy/"] == old["/privacy/"]


# ------------------------------------------------------------------ the mtime rules themselves

def test_chain_clock_never_goes_back() -> None:
    # committer dates going backwards (a rebase, a fast-forward of old commits, a wrong clock)
    assert mtimes.chain_clock([100, 50, 50, 300, 10]) == 301
    times = [100, 50, 50, 300, 10]
    clocks = [mtimes.chain_clock(times[:i]) for i in range(1, len(times) + 1)]
    assert clocks == [100, 101, 102, 300, 301] and all(a < b for a, b in itertools.pairwise(clocks))
    assert mtimes.chain_clock([]) is None
    # an effective date that arrived after HEAD's commit moves the clock past it, still strictly per commit
    assert mtimes.build_clock([100, 200], 1000) == 1002 and mtimes.build_clock([100, 200, 50], 1000) == 1003
    assert mtimes.build_clock([100, 200], 10) == 200


def test_mtimes_plan(tmp_path: Path) -> None:
    reg = PublishedPages()
    reg.add(PublishedPage("privacy/index.html", "policy", "en", "privacy", POLICY_INSTANT.replace(microsecond=700000)))
    reg.add(PublishedPage("terms/index.html", "policy", "en", "terms", datetime(2030, 1, 1, tzinfo=timezone.utc)))
    paths = ["privacy/index.html", "terms/index.html", "index.html", "assets/main.0123abcd.min.css"]
    clock = int(SOURCE_DATE.timestamp())
    fixed = ["assets/main.0123abcd.min.css"]
    future = int(datetime(2030, 1, 1, tzinfo=timezone.utc).timestamp())
    assert mtimes.plan_mtimes(paths, reg, clock, fixed=fixed) == {
        "privacy/index.html": clock, "terms/index.html": future, "index.html": clock,
        "assets/main.0123abcd.min.css": mtimes.FIXED_EPOCH}
    # unchanged bytes keep the previous stamp (even a later one); changed bytes are stamped after the previous one
    prev = {"index.html": ("aaa", 500), "privacy/index.html": ("bbb", clock + 50),
            "assets/main.0123abcd.min.css": ("hhh", 7)}
    digests = {"index.html": "aaa", "privacy/index.html": "ccc", "assets/main.0123abcd.min.css": "hhh"}
    planned = mtimes.plan_mtimes(paths, reg, clock, fixed=fixed, digests=digests, previous=prev)
    assert planned == {"index.html": 500, "privacy/index.html": clock + 51, "terms/index.html": future,
                       "assets/main.0123abcd.min.css": 7}
    with pytest.raises(mtimes.MtimeError, match="SOURCE_DATE_EPOCH"):
        mtimes.source_epoch(None, {"SOURCE_DATE_EPOCH": "soon"})
    (tmp_path / "index.html").write_text("x")
    mtimes.apply_mtimes(tmp_path, {"index.html": 500})
    assert os.stat(tmp_path / "index.html").st_mtime == 500


def test_theme_pin_dates_the_theme_files(git_repo) -> None:
    from policykit.history.chain import read_chain
    from policykit.history.gitrepo import open_work_tree
    from policykit.deploy.theme_time import pin_clock, pinned_version

    assert pinned_version("babel==2\nMkDocs-Material[imaging] == 9.8.2 ; python_version>'3'\n") == "9.8.2"
    assert pinned_version("mkdocs-material>=9\n") is None
    installed = metadata.version("mkdocs-material")
    git_repo.write("docs/a.md", "# A\n")
    git_repo.write("requirements.txt", f"mkdocs-material=={installed}\n")
    git_repo.commit("pin", date="2020-01-01T00:00:00+00:00")
    git_repo.write("docs/a.md", "# A, edited\n")
    git_repo.commit("edit", date="2019-01-01T00:00:00+00:00")  # dated backwards

    def clock() -> int | None:
        tree = open_work_tree(git_repo.path / "docs")
        return pin_clock(tree, read_chain(tree, tree.head()), git_repo.path)

    pinned = int(datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp())
    assert clock() == pinned  # the later commit did not touch the pin
    git_repo.write("requirements.txt", f"# upgraded\nmkdocs-material=={installed}\n")
    assert clock() is None  # modified, not committed: dates nothing
    git_repo.commit("upgrade", date="2019-06-01T00:00:00+00:00")
    assert clock() == pinned + 2  # an upgrade commit, even one dated backwards, is later on the chain clock
    git_repo.write("requirements.txt", "mkdocs-material==0.0.1\n")
    git_repo.commit("other version", date="2021-01-01T00:00:00+00:00")
    assert clock() is None  # the installed theme is not the pinned one
