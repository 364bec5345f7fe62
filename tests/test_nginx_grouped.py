"""The grouped nginx include (``nginx_versions``) answers every URL exactly as one exact location per file did.

Both includes are rendered from the same ``SiteRules`` of the same finalized site
(``render_nginx(..., exact=True)`` is the renderer as it was), each served by its own real nginx
with its own ``nginx-maps.conf``, and every URL form of every file, the missing URLs around the
version pages and conditional requests get the same status, the same headers (all but ``Date``) in
the same order and the same body.  Sites: the real site built twice by MkDocs (directory URLs, then
``use_directory_urls: false``) with several policies and languages, a retired policy and a folder
per service whose name has spaces and Chinese; and a synthetic registry with what a build does not
make (a stray file in a version folder, a timeline with a gap, a folder with its own 404 page,
``source.md`` for some versions only, map blocks split into several).
"""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from policykit.deploy import nginx_versions
from policykit.deploy.cache_rules import SiteRules
from policykit.deploy.finalize import finalize_site
from policykit.deploy.header_files import encode_url_path, link_form, render_nginx, render_nginx_maps
from policykit.deploy.published import (
    CURRENT_VERSION, HISTORY, POLICY, VERSION, VERSION_SOURCE, PublishedPage, PublishedPages,
)
from gitfixture import git_env
from nginx_server import NginxServer
from sitebuild import new_site
from synthetic_site import OWN_ASSETS, SOURCE_DATE, page

CAPTURE = Path(__file__).with_name("finalize_capture.py")
SERVICE = "Acme Cloud/隱私 政策"
YEAR = 2026


def _capture(repo_path: Path, out: Path) -> tuple[PublishedPages, dict[str, Any], Path]:
    done = subprocess.run([sys.executable, str(CAPTURE), str(out), "--strict"], cwd=repo_path,
                          env=git_env({"NO_MKDOCS_2_WARNING": "1"}), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, encoding="utf-8", timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    with open(out / "call.pickle", "rb") as fh:
        registry, kwargs = pickle.load(fh)
    return registry, kwargs, repo_path / "site-deploy" / "nginx-headers.conf"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, SiteRules]]:
    """Each real build replayed: (finalized site, its rules); the replay's include is the build's own."""
    base = tmp_path_factory.mktemp("grouped")
    repo = new_site(base)
    repo.write("docs/en/terms.md", "---\ntitle: Terms\n---\n\n# Terms\n\nThe first terms.\n")
    repo.write(f"docs/zh-Hant/{SERVICE}.md", "---\ntitle: 隱私政策\n---\n\n# 隱私政策\n\n第一版。\n")
    repo.commit("Publish", date="2020-01-01T00:00:00+00:00")
    for path in ("docs/zh-Hant/privacy.md", "docs/en/privacy.md", "docs/en/terms.md", f"docs/zh-Hant/{SERVICE}.md"):
        repo.write(path, repo.read(path) + "\nA second version.\n")
    repo.commit("Second versions", date="2021-06-15T12:30:45+00:00")
    repo.write("docs/zh-Hant/privacy.md", repo.read("docs/zh-Hant/privacy.md") + "\nA third version.\n")
    repo.rm("docs/en/terms.md")
    repo.commit("Third zh-Hant version; retire the terms", date="2022-03-01T16:00:00+08:00")
    repo.write("docs/en/privacy.md", repo.read("docs/en/privacy.md") + "\nA third version.\n")
    repo.commit("Third English version, dated backwards", date="2021-03-01T00:00:00+00:00")
    out: dict[str, tuple[Path, SiteRules]] = {}
    for name in ("directory", "file"):
        if name == "file":
            repo.write("mkdocs.yml", repo.read("mkdocs.yml").replace("use_directory_urls: true", "use_directory_urls: false"))
        registry, kwargs, include = _capture(repo.path, base / f"capture-{name}")
        site = base / f"{name}-site"
        shutil.copytree(base / f"capture-{name}" / "snapshot", site, symlinks=True)
        kwargs["deploy_dir"] = base / f"{name}-deploy"
        result = finalize_site(site, registry, **kwargs)
        assert result.nginx_include.read_bytes() == include.read_bytes()  # the replay is the build
        out[name] = (site, result.rules)
    return out


WHEN = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)


def _synthetic(root: Path) -> PublishedPages:
    reg = PublishedPages()

    def write(path: str, kind: str | None = None, policy: str | None = None, locale: str = "en",
              when: datetime = WHEN) -> None:
        f = root / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(page(path, locale, f"<p>{path}</p>") if path.endswith(".html") else f"{path}\n", encoding="utf-8")
        if kind:
            reg.add(PublishedPage(path, kind, locale, policy, when))

    folders = [("", "zh-Hant", "privacy", 12), ("en/", "en", "privacy", 1), ("en/", "en", "O'Reilly terms", 3),
               ("zh-Hans/", "zh-Hans", SERVICE, 5)]
    for prefix, locale, pid, count in folders:
        base = f"{prefix}{pid}/"
        write(base + "index.html", POLICY, pid, locale)
        write(base + "history/index.html", HISTORY, pid, locale)
        write(base + "sitemap.xml")  # the folder's sitemap (pages.sitemaps): in no registry, no purge tags
        for n in range(1, count + 1):
            when = WHEN + timedelta(days=n, hours=len(pid))
            write(f"{base}versions/{n}/index.html", CURRENT_VERSION if n == count else VERSION, pid, locale, when)
            if pid != "O'Reilly terms" or n != 2:  # one version without its source.md: exact locations for the rest
                write(f"{base}versions/{n}/source.md", VERSION_SOURCE, pid, locale, when)
    write("privacy/versions/2/notes.txt")  # a stray file in a version folder
    write("privacy/versions/diagram.png")  # and one beside them (the static class)
    for n in (1, 2, 4):  # a gap: this timeline keeps one exact location per page
        write(f"en/gap/versions/{n}/index.html", CURRENT_VERSION if n == 4 else VERSION, "gap", "en", WHEN + timedelta(n))
    write("en/404.html")
    write("404.html")
    for asset in ("assets/stylesheets/main.6f8fc17f.min.css", *OWN_ASSETS):
        write(asset)
    return reg


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SiteRules]:
    site = tmp_path_factory.mktemp("grouped-synthetic") / "site"
    result = finalize_site(site, _synthetic(site), own_assets=OWN_ASSETS, source_date=SOURCE_DATE, env={})
    return site, result.rules


def _urls(rules: SiteRules) -> list[str]:
    """Every URL form of every file (typed and as links write it), the redirects to them and missing URLs."""
    urls: list[str] = []
    for fr in rules.files:
        for url in fr.urls:
            urls += [encode_url_path(url), link_form(url)]
            if url.endswith("/") and url != "/":
                urls.append(link_form(url[:-1]))  # the directory without its slash: nginx's 301
    for tl in rules.timelines:
        folder = link_form("/" + tl.base + "versions/")
        last = tl.mementos[-1].number
        urls += [folder, folder[:-1], f"{folder}0/", f"{folder}01/", f"{folder}{last + 1}/",
                 f"{folder}{last + 1}/index.html", f"{folder}{last + 1}/source.md", f"{folder}{last}/stray.txt",
                 f"{folder}{last}/index.htm", f"{folder}1/source.md/", f"{folder}x/", link_form("/" + tl.base + "timegate")]
    return list(dict.fromkeys(urls))


def _answer(srv: NginxServer, url: str, headers: dict[str, str] | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
    status, got, body = srv.get(url, headers)
    here = f"http://127.0.0.1:{srv.port}"  # a 301's Location names the server's own port
    return status, [(k.lower(), v.replace(here, "")) for k, v in got.items() if k.lower() != "date"], body


def _compare(site: Path, rules: SiteRules) -> int:
    old = (render_nginx(rules, exact=True), render_nginx_maps(rules, YEAR, exact=True))
    new = (render_nginx(rules), render_nginx_maps(rules, YEAR))
    assert nginx_versions.plan(rules), "nothing grouped: the test would compare the old include with itself"
    assert old[0].count("location ") > new[0].count("location ")
    urls = _urls(rules)
    with NginxServer(site, old[0], http_include=old[1]) as before, NginxServer(site, new[0], http_include=new[1]) as now:
        for url in urls:
            was = _answer(before, url)
            assert _answer(now, url) == was, url
            etag = dict(was[1]).get("etag")
            if was[0] == 200 and etag:
                for cond in ({"If-None-Match": etag}, {"If-Modified-Since": dict(was[1])["last-modified"]}):
                    was304 = _answer(before, url, cond)
                    assert was304[0] == 304, (url, cond)
                    assert _answer(now, url, cond) == was304, (url, cond)
            for when in ("Tue, 15 Jun 2021 12:30:45 GMT", "not a date"):
                dated = _answer(before, url, {"Accept-Datetime": when})
                assert _answer(now, url, {"Accept-Datetime": when}) == dated, (url, when)
        assert "[warn]" not in now.error_log() and "[emerg]" not in now.error_log()
    return len(urls)


def test_grouped_include_answers_like_exact_locations_directory_urls(builds) -> None:
    site, rules = builds["directory"]
    folders = {tl.base for tl in rules.timelines}
    sitemaps = [fr.path for fr in rules.files if fr.path.endswith("/sitemap.xml") and fr.path.removesuffix("sitemap.xml") in folders]
    assert sitemaps and all(not fr.tags for fr in rules.files if fr.path in sitemaps)  # MkDocs' build made them
    include = render_nginx(rules)
    assert not [p for p in sitemaps if f'location = "/{p}"' in include]  # served by their folder's template
    assert _compare(site, rules) > 100


def test_grouped_include_answers_like_exact_locations_file_urls(builds) -> None:
    site, rules = builds["file"]
    assert any(fr.path.endswith("privacy.html") for fr in rules.files)  # the layout of use_directory_urls: false
    assert _compare(site, rules) > 100


def test_grouped_include_answers_like_exact_locations_synthetic(synthetic, monkeypatch) -> None:
    site, rules = synthetic
    monkeypatch.setattr(nginx_versions, "MAP_CHUNK", 4)  # every map split into blocks chained by their defaults
    groups = {g.timeline.base: g for g in nginx_versions.plan(rules)}
    assert set(groups) == {"privacy/", "en/privacy/", "en/O'Reilly terms/", f"zh-Hans/{SERVICE}/", "en/gap/"}
    assert not groups["en/gap/"].versions and groups["en/gap/"].timegate  # the gap: exact locations for its pages
    assert groups["privacy/"].source_type is not None and groups["en/O'Reilly terms/"].source_type is None
    assert "privacy/versions/2/notes.txt" not in groups["privacy/"].covered  # the stray keeps its exact location
    assert "privacy/versions/2/index.html" in groups["privacy/"].covered
    assert f"zh-Hans/{SERVICE}/sitemap.xml" in groups[f"zh-Hans/{SERVICE}/"].covered  # an untagged tail of its own
    assert groups["en/privacy/"].error_page == "en/404.html" and groups["privacy/"].error_page == "404.html"
    maps = render_nginx_maps(rules, YEAR)
    assert f"{nginx_versions.STAMP}_3 " in maps and f"{nginx_versions.PREV}_2 " in maps
    assert _compare(site, rules) > 100


def test_number_range_matches_exactly_one_to_last() -> None:
    import re

    for last in [*range(1, 130), 199, 200, 201, 999, 1000, 1001, 4096, 42632]:
        rx = re.compile("^" + nginx_versions.number_range(last) + "$")
        probe = [*range(0, min(last, 1200) + 3), last - 1, last, last + 1, last * 10]
        for n in probe:
            assert bool(rx.match(str(n))) == (1 <= n <= last), (last, n)
        assert not rx.match("0" + str(last)) and not rx.match("")


def test_include_stays_small_where_one_location_per_file_grew(synthetic) -> None:
    """Each further version page costs the grouped include nothing (the maps a line), the exact one a location."""
    site, rules = synthetic
    grouped, exact = render_nginx(rules), render_nginx(rules, exact=True)
    assert grouped.count('location = "/privacy/versions/') == 2  # the two stray files, nothing else
    assert exact.count('location = "/privacy/versions/') == 12 * 2 + 2
    assert len(grouped) < len(exact) / 2


def test_a_deployers_own_location_gets_only_the_security_headers(synthetic) -> None:
    """The server-level variables are empty outside the policy folders: a location without add_header (a deployer's)
    inherits exactly the security headers, as before, and nginx logs no uninitialized variable."""
    site, rules = synthetic
    (site / "extra").mkdir(exist_ok=True)
    (site / "extra" / "note.txt").write_text("a deployer's file\n", encoding="utf-8")
    include = render_nginx(rules) + 'location ^~ "/extra/" {\n}\n'
    with NginxServer(site, include, http_include=render_nginx_maps(rules, YEAR)) as srv:
        status, headers, _ = srv.get("/extra/note.txt")
        assert status == 200
        ours = {k.lower() for k in headers} - {"server", "date", "content-type", "content-length", "last-modified",
                                               "connection", "etag", "accept-ranges"}
        assert ours == {name.lower() for name, _ in rules.security}
        for name, value in rules.security:
            assert headers.get_all(name) == [value], name
        assert srv.get("/extra/missing.txt")[0] == 404
        assert "[warn]" not in srv.error_log(), srv.error_log()
