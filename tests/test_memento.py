"""Memento (RFC 7089) and version links (RFC 5829): TimeMaps, TimeGate, Link headers, on a real nginx.

The real site is built from a real git history (``archive``):

==============  ==========================  ===================================================
commit          date (UTC)                  what
==============  ==========================  ===================================================
C1              2020-01-01 00:00:00         every policy v1; ``en/terms``; ``Acme Cloud/隱私 政策``
C2              2021-06-15 12:30:45         zh-Hant privacy v2, en privacy v2, en terms v2, 隱私 政策 v2
C3              2022-03-01 08:00:00         zh-Hant privacy v3; ``en/terms`` deleted (retired)
C4              2021-03-01 00:00:00         en privacy v3, dated BACKWARDS (before its v2)
==============  ==========================  ===================================================
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote, unquote, urljoin

import pytest

from policykit.deploy import memento
from policykit.deploy.finalize import finalize_site
from policykit.deploy.header_files import encode_url_path, link_form
from policykit.deploy.published import TIMEMAP
from gitfixture import GitRepo
from nginx_server import NginxServer
from sitebuild import mkdocs_build, new_site
from synthetic_site import OWN_ASSETS, SOURCE_DATE, build_site
from test_headers_netlify import cloudflare, node_parser, parse  # noqa: F401  (fixture re-used)

C1 = datetime(2020, 1, 1, tzinfo=timezone.utc)
C2 = datetime(2021, 6, 15, 12, 30, 45, tzinfo=timezone.utc)
C3 = datetime(2022, 3, 1, 8, 0, 0, tzinfo=timezone.utc)
C4 = datetime(2021, 3, 1, tzinfo=timezone.utc)
SERVICE = "Acme Cloud/隱私 政策"


def http(instant: datetime) -> str:
    return format_datetime(instant, usegmt=True)


def second(instant: datetime, delta: int) -> datetime:
    return datetime.fromtimestamp(int(instant.timestamp()) + delta, timezone.utc)


# ------------------------------------------------------------------ strict parsers

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\\x00-\x1f\x7f]|\\.)*"'
_URI = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*"


def parse_links(text: str, *, ows: bool) -> list[tuple[str, dict[str, str]]]:
    """Link-values of RFC 6690 link-format (``ows=False``: no whitespace at all) or an RFC 8288 Link header.

    Every character must be consumed; a parameter seen twice in one link-value is an error.
    """
    sp = r"[ \t]*" if ows else ""
    link = re.compile(rf"<({_URI})>")
    param = re.compile(rf"{sp};{sp}({_TOKEN})=({_QUOTED}|{_TOKEN})")
    comma = re.compile(rf"{sp},{sp}")
    pos, out = 0, []
    while True:
        m = link.match(text, pos)
        assert m, f"expected <URI-Reference> at {pos}: {text[pos:pos + 60]!r}"
        pos, target, params = m.end(), m.group(1), {}
        while (p := param.match(text, pos)) is not None:
            name, value = p.group(1).lower(), p.group(2)
            assert name not in params, f"parameter {name} twice in {target}"
            params[name] = re.sub(r"\\(.)", r"\1", value[1:-1]) if value.startswith('"') else value
            pos = p.end()
        out.append((target, params))
        if pos == len(text):
            return out
        c = comma.match(text, pos)
        assert c, f"expected ',' at {pos}: {text[pos:pos + 60]!r}"
        pos = c.end()


def rels(links: list[tuple[str, dict[str, str]]]) -> dict[str, list[str]]:
    """relation type -> targets."""
    out: dict[str, list[str]] = {}
    for target, params in links:
        for rel in params.get("rel", "").split(" "):
            out.setdefault(rel, []).append(target)
    return out


def imf(text: str) -> datetime:
    """An IMF-fixdate, strictly (RFC 9110 section 5.6.7)."""
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                        r"\d{4} \d\d:\d\d:\d\d GMT", text), text
    when = parsedate_to_datetime(text)
    assert http(when) == text, text  # the weekday is right too
    return when


# ------------------------------------------------------------------ the core, no server


def test_ge_regex_means_not_before() -> None:
    rng = random.Random(7089)
    bounds = ["00000000000000", "99999999999999", "20210615123045", "19991231235959", "20000229000000"]
    bounds += ["".join(rng.choice("0123456789") for _ in range(14)) for _ in range(40)]
    for bound in bounds:
        rx = re.compile(memento.ge_regex(bound))
        near = [bound, f"{int(bound) + 1:014d}"[-14:], f"{max(int(bound) - 1, 0):014d}"]
        samples = near + ["".join(rng.choice("0123456789") for _ in range(14)) for _ in range(300)]
        for x in samples:
            assert bool(rx.match(x)) == (x >= bound), (bound, x)
    for bound in (f"{n:03d}" for n in range(0, 1000, 37)):  # short strings, every candidate
        rx = re.compile(memento.ge_regex(bound))
        assert [f"{n:03d}" for n in range(1000) if rx.match(f"{n:03d}")] == [f"{n:03d}" for n in range(int(bound), 1000)]


def _timeline(dates: list[datetime]) -> memento.Timeline:
    ms = tuple(memento.Memento(n, f"p/versions/{n}/index.html", d) for n, d in enumerate(dates, 1))
    return memento.Timeline("p/", "p", "en", ms, "p/index.html", "p/history/index.html")


def test_selection_rule_edge_cases() -> None:
    tl = _timeline([C1, C2, C3])
    pick = lambda when: tl.select(when).number  # noqa: E731
    assert pick(None) == 3  # no Accept-Datetime: the latest
    assert pick(datetime(1990, 1, 1, tzinfo=timezone.utc)) == 1  # before the first: the first
    assert pick(C2) == 2 and pick(second(C2, -1)) == 1  # on the boundary, to the second
    assert pick(C2.replace(microsecond=999999)) == 2  # fractions do not exist in HTTP dates
    assert pick(datetime(2021, 12, 1, tzinfo=timezone.utc)) == 2  # between versions
    assert pick(datetime(2100, 1, 1, tzinfo=timezone.utc)) == 3  # the future
    backwards = _timeline([C1, C2, C4])  # v3 dated before v2
    assert [backwards.select(t).number for t in (second(C4, -1), C4, second(C2, -1), C2, None)] == [1, 3, 3, 2, 3]
    tie = _timeline([C1, C2, C2])
    assert tie.select(C2).number == 3 and tie.select(second(C2, 5)).number == 3
    first_tie = _timeline([C1, C1])
    assert first_tie.select(datetime(1990, 1, 1, tzinfo=timezone.utc)).number == 2
    assert memento.url("Acme Cloud/隱私 政策/versions/1/") == link_form("/Acme Cloud/隱私 政策/versions/1/")


# ------------------------------------------------------------------ the real site on a real nginx


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    base = tmp_path_factory.mktemp("memento")
    repo = new_site(base)
    repo.write("docs/en/terms.md", "---\ntitle: Terms\n---\n\n# Terms\n\nThe first terms.\n")
    repo.write(f"docs/zh-Hant/{SERVICE}.md", "---\ntitle: 隱私政策\n---\n\n# 隱私政策\n\n第一版。\n")
    repo.commit("Publish", date="2020-01-01T00:00:00+00:00")
    for path, marker in (("docs/zh-Hant/privacy.md", "ZH-MARK-2"), ("docs/en/privacy.md", "EN-MARK-2"),
                         ("docs/en/terms.md", "TERMS-MARK-2"), (f"docs/zh-Hant/{SERVICE}.md", "SVC-MARK-2")):
        repo.write(path, repo.read(path) + f"\n{marker} added.\n")
    repo.commit("Second versions", date="2021-06-15T12:30:45+00:00")
    repo.write("docs/zh-Hant/privacy.md", repo.read("docs/zh-Hant/privacy.md") + "\nZH-MARK-3 added.\n")
    repo.rm("docs/en/terms.md")
    repo.commit("Third zh-Hant version; retire the terms", date="2022-03-01T16:00:00+08:00")
    repo.write("docs/en/privacy.md", repo.read("docs/en/privacy.md") + "\nEN-MARK-3 added.\n")
    repo.commit("Third English version, dated backwards", date="2021-03-01T00:00:00+00:00")
    done = mkdocs_build(repo.path)
    assert done.returncode == 0, done.stdout[-3000:]
    site = repo.path / "site"
    include = (repo.path / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    maps = (repo.path / "site-deploy" / "nginx-maps.conf").read_text(encoding="utf-8")
    with NginxServer(site, include, http_include=maps) as srv:
        yield repo, site, srv, done.stdout


def _folder(base: str) -> str:
    return link_form("/" + base)


CASES = [
    # (policy folder, Accept-Datetime, version it must redirect to)
    ("privacy/", http(datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)), 1),  # before the first version
    ("privacy/", http(C1), 1),
    ("privacy/", http(C2), 2),  # on the boundary, to the second
    ("privacy/", http(second(C2, -1)), 1),  # one second before it
    ("privacy/", http(datetime(2021, 12, 1, tzinfo=timezone.utc)), 2),  # between versions
    ("privacy/", http(C3), 3),
    ("privacy/", http(datetime(2100, 1, 1, tzinfo=timezone.utc)), 3),  # in the future
    ("privacy/", "Tuesday, 15-Jun-21 12:30:45 GMT", 2),  # RFC 850
    ("privacy/", "Tue Jun 15 12:30:44 2021", 1),  # asctime
    ("privacy/", "Wed Jan  1 00:00:00 2020", 1),  # asctime, one-digit day
    ("en/privacy/", http(second(C4, -1)), 1),  # v3 is dated before v2 (a commit dated backwards)
    ("en/privacy/", http(C4), 3),
    ("en/privacy/", http(second(C2, -1)), 3),
    ("en/privacy/", http(C2), 2),
    ("en/privacy/", http(datetime(2100, 1, 1, tzinfo=timezone.utc)), 2),
    ("en/terms/", http(datetime(2023, 1, 1, tzinfo=timezone.utc)), 2),  # after the policy was retired
    ("en/terms/", http(second(C2, -1)), 1),
    (f"{SERVICE}/", http(second(C2, -1)), 1),  # spaces and non-ASCII in a folder per service
    (f"{SERVICE}/", http(C2), 2),
]


@pytest.mark.parametrize("base, when, number", CASES)
def test_timegate_redirects_to_the_memento_in_force(archive, base: str, when: str, number: int) -> None:
    _, _, srv, _ = archive
    status, headers, _ = srv.get(_folder(base) + "timegate", {"Accept-Datetime": when})
    assert status == 302, (base, when, srv.error_log()[-2000:])
    assert headers["Location"] == _folder(base) + f"versions/{number}/"
    assert "accept-datetime" in [v.strip().lower() for v in headers["Vary"].split(",")]
    links = rels(parse_links(headers["Link"], ows=True))
    assert links["original"] == [_folder(base)] and links["timemap"] == [_folder(base) + "timemap.link"]
    assert "Memento-Datetime" not in headers  # a TimeGate is not a memento


@pytest.mark.parametrize("base, latest", [("privacy/", 3), ("en/privacy/", 3), ("en/terms/", 2), (f"{SERVICE}/", 2)])
def test_timegate_without_accept_datetime_goes_to_the_latest(archive, base: str, latest: int) -> None:
    _, _, srv, _ = archive
    status, headers, _ = srv.get(_folder(base) + "timegate")
    assert status == 302 and headers["Location"] == _folder(base) + f"versions/{latest}/"
    assert "accept-datetime" in headers["Vary"].lower()


@pytest.mark.parametrize("bad", ["yesterday", "2021-06-15T12:30:45Z", "Tue, 15 Jun 2021 12:30:45 UTC",
                                 "Tue, 32 Jun 2021 12:30:45 GMT", "Tue, 15 Jun 2021 24:00:00 GMT",
                                 "tue, 15 jun 2021 12:30:45 gmt", "Tue, 15 Jun 21 12:30:45 GMT"])
def test_malformed_accept_datetime_is_400(archive, bad: str) -> None:
    _, _, srv, _ = archive
    status, headers, _ = srv.get("/privacy/timegate", {"Accept-Datetime": bad})
    assert status == 400, bad
    assert "accept-datetime" in headers["Vary"].lower()


def _rfc7089_client(srv: NginxServer, original: str, when: datetime) -> tuple[str, datetime, bytes]:
    """What a client speaking only RFC 7089 does: original -> rel=timegate -> 302 -> the memento."""
    status, headers, _ = srv.get(original)
    assert status == 200
    timegate = rels(parse_links(headers["Link"], ows=True))["timegate"][0]
    status, headers, _ = srv.get(urljoin(original, timegate), {"Accept-Datetime": http(when)})
    assert status == 302
    location = urljoin(original, headers["Location"])
    status, headers, body = srv.get(location)
    assert status == 200
    assert rels(parse_links(headers["Link"], ows=True))["original"] == [original]
    return location, imf(headers["Memento-Datetime"]), body


@pytest.mark.parametrize("when, number", [
    (datetime(2019, 6, 1, tzinfo=timezone.utc), 1), (C1, 1), (second(C2, -1), 1), (C2, 2),
    (datetime(2022, 1, 1, tzinfo=timezone.utc), 2), (second(C3, -1), 2), (C3, 3), (datetime(2030, 1, 1, tzinfo=timezone.utc), 3),
])
def test_an_rfc7089_client_reads_the_privacy_policy_at_an_instant(archive, when: datetime, number: int) -> None:
    _, _, srv, _ = archive
    location, dated, body = _rfc7089_client(srv, "/privacy/", when)
    assert location.endswith(f"/privacy/versions/{number}/")
    assert dated == [C1, C2, C3][number - 1]
    assert dated <= max(when, C1)  # never a state from after the instant (before the first: the first)
    text = body.decode("utf-8")
    assert all(f"ZH-MARK-{k}" in text for k in range(2, number + 1))
    assert f"ZH-MARK-{number + 1}" not in text


def _timemaps(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob(memento.TIMEMAP_FILE))


def _resolves(srv: NginxServer, url: str) -> int:
    status, headers, _ = srv.get(url)
    if status == 302 and url.endswith("/timegate"):  # a TimeGate answers with the memento to read
        status, _, _ = srv.get(urljoin(url, headers["Location"]))
    return status


def test_timemaps_parse_and_every_url_resolves(archive) -> None:
    _, site, srv, _ = archive
    maps = _timemaps(site)
    assert {"timemap.link", "privacy/timemap.link", "en/privacy/timemap.link", "en/terms/timemap.link",
            f"{SERVICE}/timemap.link"} - {"timemap.link"} <= set(maps)
    for path in maps:
        base = path[: -len(memento.TIMEMAP_FILE)]
        status, headers, body = srv.get(link_form("/" + path))
        assert status == 200 and headers["Content-Type"] == "application/link-format", path
        assert headers["Cache-Control"] == "public, max-age=0, must-revalidate"
        text = body.decode("ascii")
        links = parse_links(text, ows=False)
        by_rel = rels(links)
        assert by_rel["original"] == [_folder(base)] and by_rel["timegate"] == [_folder(base) + "timegate"]
        assert by_rel["self"] == [_folder(base) + "timemap.link"]
        versions = sorted(int(p.parent.name) for p in (site / base / "versions").glob("*/index.html"))
        mementos = [(t, p) for t, p in links if "memento" in p["rel"].split(" ")]
        assert sorted(int(t.rstrip("/").rsplit("/", 1)[1]) for t, _ in mementos) == versions
        dated = [imf(p["datetime"]) for _, p in mementos]
        assert dated == sorted(dated)
        self_params = next(p for _, p in links if p["rel"] == "self")
        assert imf(self_params["from"]) == dated[0] and imf(self_params["until"]) == dated[-1]
        assert self_params["type"] == "application/link-format"
        assert by_rel["first"] == [mementos[0][0]] and by_rel["last"] == [mementos[-1][0]]
        for target, params in links:
            assert _resolves(srv, target) == 200, (path, target)
            if "memento" in params["rel"].split(" "):  # the memento says the same datetime itself
                assert srv.get(target)[1]["Memento-Datetime"] == params["datetime"]
    en = parse_links((site / "en/privacy/timemap.link").read_text(), ows=False)
    assert [(t, p["datetime"]) for t, p in en if "datetime" in p] == [
        ("/en/privacy/versions/1/", http(C1)), ("/en/privacy/versions/3/", http(C4)), ("/en/privacy/versions/2/", http(C2))]
    service = (site / SERVICE / "timemap.link").read_text()
    assert quote(f"/{SERVICE}/versions/2/") in service and "%E9%9A%B1%E7%A7%81%20" in service


def _pages(site: Path) -> dict[str, str]:
    """URL -> kind, for every version, history and policy page that has a TimeMap beside it."""
    out = {}
    for path in _timemaps(site):
        base = path[: -len(memento.TIMEMAP_FILE)]
        out[_folder(base)] = "original"
        out[_folder(base) + "history/"] = "history"
        for page in (site / base / "versions").glob("*/index.html"):
            out[_folder(base) + f"versions/{page.parent.name}/"] = "version"
    return out


def test_every_link_header_resolves_and_has_the_contract_relations(archive) -> None:
    _, site, srv, _ = archive
    pages = _pages(site)
    assert len([k for k in pages.values() if k == "version"]) >= 10
    checked: set[str] = set()
    for url, kind in sorted(pages.items()):
        for form in (url, url + "index.html"):
            status, headers, _ = srv.get(form)
            assert status == 200, form
            links = parse_links(headers["Link"], ows=True)
            by_rel = rels(links)
            base = url if kind == "original" else url.rsplit("/history/", 1)[0] + "/" if kind == "history" \
                else url.rsplit("/versions/", 1)[0] + "/"
            if kind == "version":
                n = int(url.rstrip("/").rsplit("/", 1)[1])
                last = max(int(p.parent.name) for p in (site / unquote(base).lstrip("/") / "versions").glob("*/index.html"))
                assert by_rel["original"] == [base] and by_rel["latest-version"] == [base]
                assert by_rel["timegate"] == [base + "timegate"] and by_rel["timemap"] == [base + "timemap.link"]
                assert by_rel["version-history"] == [base + "history/"]
                assert by_rel.get("predecessor-version") == ([f"{base}versions/{n - 1}/"] if n > 1 else None)
                assert by_rel.get("successor-version") == ([f"{base}versions/{n + 1}/"] if n < last else None)
                imf(headers["Memento-Datetime"])
            elif kind == "original":
                assert set(by_rel) == {"version-history", "timegate", "timemap"} and "Memento-Datetime" not in headers
            else:
                assert by_rel == {"latest-version": [base], "timemap": [base + "timemap.link"]}
            assert next(p for t, p in links if p["rel"] == "timemap")["type"] == "application/link-format"
            for target, _ in links:
                if target not in checked:
                    assert _resolves(srv, target) == 200, (form, target)
                    checked.add(target)
    status, headers, _ = srv.get("/en/terms/")  # the retired page is still the original resource
    assert status == 200 and rels(parse_links(headers["Link"], ows=True))["timegate"] == ["/en/terms/timegate"]


def test_timemaps_are_registered_and_reproducible(archive, tmp_path: Path) -> None:
    repo, site, _, log = archive
    import json
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["urls"]["/en/privacy/timemap.link"]
    assert entry["kind"] == TIMEMAP and entry["cache"] == "revalidate" and entry["policy"] == "privacy"
    assert entry["last_modified"] == "2021-06-15T12:30:45Z"  # the newest memento
    first = {p: (site / p).read_bytes() for p in _timemaps(site)}
    maps = (repo.path / "site-deploy" / "nginx-maps.conf").read_bytes()
    done = mkdocs_build(repo.path)
    assert done.returncode == 0
    assert {p: (site / p).read_bytes() for p in _timemaps(site)} == first
    assert (repo.path / "site-deploy" / "nginx-maps.conf").read_bytes() == maps
    said = "Memento headers (Memento-Datetime, Link) left out of"
    # Four policies in three languages, each version with its page and its source.md, plus the versions API:
    # more than Cloudflare's 100 rules once each version page has its own Link, so the build says so.
    assert said in log
    text = (site / "_headers").read_text(encoding="utf-8")
    assert "Memento-Datetime" not in text and "Link:" not in text and "Cache-Tag" in text  # the rest is kept
    assert "Memento-Datetime" in (repo.path / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    small = GitRepo.init(tmp_path / "small")  # one policy, two versions: everything fits, Memento headers included
    small.write("mkdocs.yml", "site_name: Small\nsite_url: https://example.org/\ntheme:\n  name: material\n  font: false\nplugins:\n  - policy-site\n")
    small.write("docs/privacy.md", "---\ntitle: Privacy\n---\n\n# Privacy\n\nVersion one.\n")
    small.commit("One", date="2023-01-01T00:00:00+00:00")
    small.write("docs/privacy.md", "---\ntitle: Privacy\n---\n\n# Privacy\n\nVersion two.\n")
    small.commit("Two", date="2023-02-01T00:00:00+00:00")
    done = mkdocs_build(small.path)
    assert done.returncode == 0 and said not in done.stdout, done.stdout
    text = (small.path / "site" / "_headers").read_text(encoding="utf-8")
    assert "Memento-Datetime: Wed, 01 Feb 2023 00:00:00 GMT" in text and 'rel="predecessor-version"' in text


# ------------------------------------------------------------------ _headers (Netlify / Cloudflare Pages)


def test_headers_file_carries_the_memento_headers_of_nginx(node_parser, tmp_path: Path) -> None:  # noqa: F811
    site = tmp_path / "site"
    result = finalize_site(site, build_site(site), own_assets=OWN_ASSETS, source_date=SOURCE_DATE, env={})
    assert result.memento_in_headers
    urls = [encode_url_path(u) for fr in result.rules.files if fr.memento_info is not None for u in fr.urls]
    maps = [link_form("/" + fr.path) for fr in result.rules.files if fr.content_type is not None]
    assert len(urls) == 3 * 2 * 4 and len(maps) == 3
    parsed = parse(node_parser, result.headers_file, urls + maps, tmp_path)
    assert parsed["errors"] == []
    with NginxServer(site, result.nginx_include.read_text()) as srv:
        for url in urls:
            status, headers, _ = srv.get(url)
            assert status == 200, url
            merged = cloudflare(parsed, url)
            want = [(t, p) for t, p in parse_links(headers["Link"], ows=True) if p["rel"] != "timegate"]
            assert parse_links(merged["link"], ows=True) == want, url
            assert merged.get("memento-datetime") == headers["Memento-Datetime"], url
            assert "timegate" not in merged["link"]  # no TimeGate answers there: none is advertised
        for url in maps:
            assert cloudflare(parsed, url)["content-type"] == "application/link-format"
            assert srv.get(url)[1]["Content-Type"] == "application/link-format"


def test_large_archive_leaves_memento_headers_out_of_headers_file(node_parser, tmp_path: Path) -> None:  # noqa: F811
    from test_headers_scale import _archive

    site = tmp_path / "site"
    result = finalize_site(site, _archive(site, policies=150, versions=3), own_assets=OWN_ASSETS,
                           source_date=SOURCE_DATE, env={})
    assert not result.memento_in_headers and result.headers_rule_count <= 100
    text = result.headers_file.read_text(encoding="utf-8")
    assert "Memento-Datetime" not in text and "Link:" not in text
    maps = ["/policy-0000/timemap.link", "/en/policy-0149/timemap.link"]
    parsed = parse(node_parser, result.headers_file, maps + ["/en/policy-0149/"], tmp_path)
    for url in maps:  # the TimeMaps keep their media type through one splat rule
        assert cloudflare(parsed, url)["content-type"] == "application/link-format"
    assert "content-type" not in cloudflare(parsed, "/en/policy-0149/")
    with NginxServer(site, result.nginx_include.read_text()) as srv:  # nginx still sends them
        status, headers, _ = srv.get("/en/policy-0149/versions/3/")
    assert status == 200 and headers["Link"].startswith('</en/policy-0149/>; rel="original"')
    assert headers["Memento-Datetime"] == "Wed, 01 May 2024 08:30:00 GMT"
    assert "/en/policy-0149/versions/3/" in result.nginx_maps.read_text(encoding="utf-8")  # and its TimeGate
