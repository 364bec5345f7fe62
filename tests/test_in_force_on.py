"""Which version was in force, and which was published, on a day D (issue 12, item 1), and the RFC 5829 links (item 3).

The rule is ``policykit.pages.on_date`` (the version in force at the end of D in the site's timezone);
the history page's table states it without JavaScript, and assets/policy-in-force.js (run here in
node) answers the same for every case.  One real git repository, built once, whose English privacy
policy has every case of the issue (timezone Asia/Taipei, "now" 1 December 2026):

* version 1, published 10 January 2023 at 10:00, in force from its publication;
* version 2, published 1 March 2023, ``effective: 2023-03-15`` (published on the 1st, in force from the 15th);
* version 3, published 1 May 2023 with ``effective: 2023-08-01``, moved to 1 September by a later
  front-matter-only commit (20 May), and never in force: version 4 takes effect first;
* version 4, published 1 June 2023 at 16:20 without an effective date (takes effect during that day);
* version 5, published 20 November 2026, ``effective: 2027-01-15`` (a future version);

plus a retired policy (terms: two versions, deleted on 1 February 2024 at 10:00) and a one-version policy
whose name has a space (``cookie notice``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policykit.dates import zone
from policykit.history.versions import FileHistory, FrontMatterRevision, Retirement, Version
from policykit.pages import on_date
from policykit.pages.archive import version_entries
from policykit.pages.effective import in_force_at
from sitebuild import edit, html_of, mkdocs_build, new_site, set_front_matter

TZ = "Asia/Taipei"
NOW = str(int(datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()))
EN = "docs/en/privacy.md"
TERMS = "docs/en/terms.md"
COOKIES = "docs/en/cookie notice.md"
NODE = shutil.which("node")
CORE = Path(__file__).parent / "js" / "in_force_core.cjs"

#: day -> (version in force on it, versions published on it) for the English privacy policy
PRIVACY_DAYS = {
    "2023-01-09": (None, []),  # before the first version
    "2023-01-10": (1, [1]),  # published at 10:00, no effective date: in force that day
    "2023-03-01": (1, [2]),  # version 2 published, effective later
    "2023-03-14": (1, []),
    "2023-03-15": (2, []),  # its effective day (from 00:00)
    "2023-04-20": (2, []),  # a day in a range
    "2023-05-01": (2, [3]),
    "2023-05-20": (2, []),  # the commit that moved version 3's date is not a version
    "2023-06-01": (4, [4]),  # version 4 takes effect at 16:20 that day
    "2023-09-01": (4, []),  # version 3's effective day: never in force
    "2026-11-20": (4, [5]),
    "2027-01-14": (4, []),
    "2027-01-15": (5, []),  # a future day: the future version's effective day
    "2030-06-01": (5, []),
}
TERMS_DAYS = {
    "2023-01-10": (1, [1]),
    "2023-04-01": (2, [2]),
    "2024-01-31": (2, []),
    "2024-02-01": (None, []),  # retired at 10:00 that day: nothing in force at its end
    "2025-01-01": (None, []),
}


def build_scenario(repo) -> None:
    """The commits of the module docstring."""
    repo.write(TERMS, "---\ntitle: Terms of Service\n---\n# Terms of Service\n\nBe kind.\n")
    repo.write(COOKIES, "---\ntitle: Cookie Notice\n---\n# Cookie Notice\n\nWe use one cookie.\n")
    repo.commit("version 1", date="2023-01-10T10:00:00+08:00")
    edit(repo, EN, "## General Provisions", "## General provisions")
    set_front_matter(repo, EN, "effective", "2023-03-15")
    repo.commit("privacy version 2", date="2023-03-01T11:30:00+08:00")
    repo.write(TERMS, "---\ntitle: Terms of Service\n---\n# Terms of Service\n\nBe kind to others.\n")
    repo.commit("terms version 2", date="2023-04-01T10:00:00+08:00")
    edit(repo, EN, "## Revision Policy", "## Revisions")
    set_front_matter(repo, EN, "effective", "2023-08-01")
    repo.commit("privacy version 3", date="2023-05-01T09:00:00+08:00")
    set_front_matter(repo, EN, "effective", "2023-09-01")
    repo.commit("postpone version 3", date="2023-05-20T09:00:00+08:00")
    edit(repo, EN, "## Revisions", "## Revisions of this policy")
    text = repo.read(EN)
    repo.write(EN, re.sub(r"\neffective: .*", "", text, count=1))
    repo.commit("privacy version 4, in force when published", date="2023-06-01T16:20:00+08:00")
    repo.rm(TERMS)
    repo.commit("retire the terms", date="2024-02-01T10:00:00+08:00")
    edit(repo, EN, "## Revisions of this policy", "## Changes to this policy")
    set_front_matter(repo, EN, "effective", "2027-01-15")
    repo.commit("privacy version 5", date="2026-11-20T10:00:00+08:00")


def build(repo) -> Path:
    result = mkdocs_build(repo.path, env={"SOURCE_DATE_EPOCH": NOW})
    assert result.returncode == 0, result.stdout[-3000:]
    return repo.path / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = new_site(tmp_path_factory.mktemp("in-force-on"))
    build_scenario(repo)
    return build(repo)


class _Rows(HTMLParser):
    """The history page's table of ranges: per row its data attributes and the cells' text and datetimes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict] = []
        self.headers: list[tuple[str, str]] = []  # (scope, text)
        self.cell: dict | None = None
        self.in_table = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "policy-ranges" in (a.get("class") or ""):
            self.in_table = True
        if not self.in_table:
            return
        if tag == "tr" and "data-number" in a:
            self.rows.append({"attrs": a, "cells": []})
        elif tag in ("th", "td"):
            self.cell = {"tag": tag, "scope": a.get("scope"), "text": "", "times": [], "href": None}
        elif tag == "time" and self.cell is not None:
            self.cell["times"].append(a.get("datetime"))
        elif tag == "a" and self.cell is not None:
            self.cell["href"] = a.get("href")

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_table = False
        if tag in ("th", "td") and self.cell is not None:
            if self.rows and self.cell["scope"] != "col":
                self.rows[-1]["cells"].append(self.cell)
            else:
                self.headers.append((self.cell["scope"], self.cell["text"].strip()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data


def table(page: str) -> _Rows:
    parser = _Rows()
    parser.feed(page)
    return parser


def answer_from_table(rows: list[dict], day: str) -> tuple[int | None, list[int]]:
    """What a reader without JavaScript reads off the table for *day*: the row whose range holds it."""
    in_force = None
    published = []
    for row in rows:
        cells = row["cells"]
        number = int(row["attrs"]["data-number"])
        from_times, until_times = cells[2]["times"], cells[3]["times"]
        if from_times and from_times[0][:10] <= day and (not until_times or day < until_times[0][:10]):
            assert in_force is None, f"two rows answer {day}"
            in_force = number
        if cells[1]["times"][0][:10] == day:
            published.append(number)
    return in_force, sorted(published)


def test_table_of_ranges_answers_every_case_without_javascript(site: Path) -> None:
    page = html_of(site, "en/privacy/history/index.html")
    parsed = table(page)
    assert parsed.headers == [("col", "Version"), ("col", "Published"), ("col", "In force from"), ("col", "In force until")]
    by_number = {int(r["attrs"]["data-number"]): r for r in parsed.rows}
    assert list(by_number) == [5, 4, 3, 2, 1]  # newest first, like the list below it
    texts = {n: [c["text"].strip() for c in r["cells"]] for n, r in by_number.items()}
    assert texts[1] == ["Version 1", "January 10, 2023", "January 10, 2023", "March 15, 2023"]
    assert texts[2] == ["Version 2", "March 1, 2023", "March 15, 2023", "June 1, 2023"]
    assert texts[3] == ["Version 3", "May 1, 2023", "Never in force", ""]  # moved to 1 September, overtaken by 4
    assert texts[4] == ["Version 4", "June 1, 2023", "June 1, 2023", "January 15, 2027"]
    assert texts[5] == ["Version 5", "November 20, 2026", "January 15, 2027", "No end date"]
    for n, row in by_number.items():
        head = row["cells"][0]
        assert head["tag"] == "th" and head["scope"] == "row" and head["href"] == f"../versions/{n}/"
        assert all(c["tag"] == "td" for c in row["cells"][1:])
    # <time datetime> holds the instants (publication; start; end), in the site's timezone
    assert by_number[2]["cells"][1]["times"] == ["2023-03-01T11:30:00+08:00"]
    assert by_number[2]["cells"][2]["times"] == ["2023-03-15T00:00:00+08:00"]
    assert by_number[2]["cells"][3]["times"] == ["2023-06-01T16:20:00+08:00"]
    for day, expected in PRIVACY_DAYS.items():
        assert answer_from_table(parsed.rows, day) == expected, day
    # The same dates as the version pages' ranges (policykit.pages.effective), and the rule is stated
    assert "In force from March 15, 2023 to June 1, 2023" in html_of(site, "en/privacy/versions/2/index.html")
    assert "takes effect at 00:00 (Asia/Taipei)" in page
    # The date field is there for the script, hidden until it runs; no inline script
    assert re.search(r'<form class="policy-on-date" method="get" hidden', page)
    assert '<input type="date" name="on" required>' in page
    assert re.search(r'<script src="[^"]*assets/policy-in-force(\.[0-9a-f]+)?\.js" defer></script>', page)


@pytest.mark.parametrize("locale,prefix,words", [
    ("zh-Hant", "", ("版本", "發布日期", "生效起始日", "生效至")),
    ("zh-Hans", "zh-Hans/", ("版本", "发布日期", "生效起始日", "生效至")),
])
def test_table_in_every_language(site: Path, locale: str, prefix: str, words: tuple[str, ...]) -> None:
    parsed = table(html_of(site, f"{prefix}privacy/history/index.html"))
    assert [text for _, text in parsed.headers] == list(words)
    assert parsed.rows and all(r["cells"][0]["scope"] == "row" for r in parsed.rows)


def test_retired_policy(site: Path) -> None:
    parsed = table(html_of(site, "en/terms/history/index.html"))
    texts = [[c["text"].strip() for c in r["cells"]] for r in parsed.rows]
    assert texts == [["Version 2", "April 1, 2023", "April 1, 2023", "February 1, 2024"],
                     ["Version 1", "January 10, 2023", "January 10, 2023", "April 1, 2023"]]
    for day, expected in TERMS_DAYS.items():
        assert answer_from_table(parsed.rows, day) == expected, day
    page = html_of(site, "en/terms/history/index.html")
    assert 'data-retired="2024-02-01T10:00:00+08:00" data-retired-text="February 1, 2024"' in page


# ------------------------------------------------------------------ the rule, in Python and in the browser's script

def _version(number: int, when: datetime, fm: str, later: tuple[FrontMatterRevision, ...] = ()) -> Version:
    return Version(number, f"c{number}", when, "a", "a@x", "s", f"b{number}", "p.md", "p.md", front_matter=fm,
                   later_front_matter=later)


def _days_around(entries, tz: str) -> list[date]:
    """Every day next to an instant of *entries* (the day before, of and after), in *tz*."""
    days = set()
    for e in entries:
        for instant in (e.starts_at, e.ends_at, e.version.date):
            if instant is not None:
                d = instant.astimezone(zone(tz)).date()
                days.update({d - timedelta(days=1), d, d + timedelta(days=1)})
    return sorted(days)


def test_rule_is_the_version_in_force_at_the_end_of_the_day() -> None:
    taipei = timezone(timedelta(hours=8))
    fh = FileHistory("p.md", (
        _version(1, datetime(2023, 1, 10, 10, 0, tzinfo=taipei), ""),
        _version(2, datetime(2023, 3, 1, 11, 30, tzinfo=taipei), "effective: 2023-03-15\n"),
        _version(3, datetime(2023, 3, 20, 9, 0, tzinfo=taipei), ""),
    ))
    entries = version_entries(fh, tz=TZ)
    assert on_date.in_force_on(entries, date(2023, 1, 9), TZ) is None
    assert on_date.in_force_on(entries, date(2023, 1, 10), TZ).number == 1  # from 10:00 that day
    assert on_date.in_force_on(entries, date(2023, 3, 14), TZ).number == 1
    assert on_date.in_force_on(entries, date(2023, 3, 15), TZ).number == 2  # from 00:00 that day
    assert on_date.in_force_on(entries, date(2023, 3, 20), TZ).number == 3
    assert [e.number for e in on_date.published_on(entries, date(2023, 3, 1), TZ)] == [2]
    assert [e.number for e in on_date.in_force_during(entries, date(2023, 3, 20), TZ)] == [2, 3]  # 3 from 09:00
    assert [e.number for e in on_date.in_force_during(entries, date(2023, 3, 15), TZ)] == [2]  # 1 ended at 00:00
    # the same as "in force at the last second of the day" (policykit.pages.effective.in_force_at)
    for day in _days_around(entries, TZ):
        last = on_date.day_end(day, TZ) - timedelta(seconds=1)
        assert on_date.in_force_on(entries, day, TZ) == in_force_at(entries, last), day


def test_rule_after_retirement() -> None:
    utc = timezone.utc
    fh = FileHistory("p.md", (_version(1, datetime(2023, 1, 10, 2, 0, tzinfo=utc), ""),),
                     retired=Retirement("r", datetime(2024, 2, 1, 2, 0, tzinfo=utc), "retire"))
    entries = version_entries(fh, tz=TZ)
    assert on_date.in_force_on(entries, date(2024, 1, 31), TZ).number == 1
    assert on_date.in_force_on(entries, date(2024, 2, 1), TZ) is None
    assert [e.number for e in on_date.in_force_during(entries, date(2024, 2, 1), TZ)] == [1]  # until 10:00
    assert on_date.in_force_during(entries, date(2024, 2, 2), TZ) == []


class Core:
    """assets/policy-in-force.js's answer() in one node process, one JSON request per line."""

    def __init__(self) -> None:
        assert NODE is not None
        self.proc = subprocess.Popen([NODE, str(CORE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8")

    def answer(self, rows: list[dict], days: list[str]) -> list[dict]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"rows": rows, "days": days}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def core():
    if NODE is None:
        pytest.skip("node is not installed")
    c = Core()
    yield c
    c.close()


def _rows(entries, tz: str) -> list[dict]:
    """The rows as the history page writes them (on_date.instants, as partials/policy-in-force.html does)."""
    return [vars(on_date.instants(e, tz)) for e in entries]


def _check_agrees(core: Core, entries, tz: str) -> None:
    days = _days_around(entries, tz)
    got = core.answer(_rows(entries, tz), [d.isoformat() for d in days])
    for day, js in zip(days, got, strict=True):
        py = on_date.in_force_on(entries, day, tz)
        assert js["inForce"] == (py.number if py else None), (tz, day)
        assert js["published"] == [e.number for e in on_date.published_on(entries, day, tz)], (tz, day)
        assert js["during"] == [e.number for e in on_date.in_force_during(entries, day, tz)], (tz, day)


def test_script_agrees_with_the_python_rule_on_the_built_cases(core: Core) -> None:
    taipei = timezone(timedelta(hours=8))
    move = FrontMatterRevision("m", datetime(2023, 5, 20, 9, 0, tzinfo=taipei), "effective: 2023-09-01\n")
    fh = FileHistory("p.md", (
        _version(1, datetime(2023, 1, 10, 10, 0, tzinfo=taipei), ""),
        _version(2, datetime(2023, 3, 1, 11, 30, tzinfo=taipei), "effective: 2023-03-15\n"),
        _version(3, datetime(2023, 5, 1, 9, 0, tzinfo=taipei), "effective: 2023-08-01\n", (move,)),
        _version(4, datetime(2023, 6, 1, 16, 20, tzinfo=taipei), ""),
        _version(5, datetime(2026, 11, 20, 10, 0, tzinfo=taipei), "effective: 2027-01-15\n"),
    ))
    entries = version_entries(fh, tz=TZ)
    _check_agrees(core, entries, TZ)
    got = core.answer(_rows(entries, TZ), list(PRIVACY_DAYS))
    assert [(g["inForce"], g["published"]) for g in got] == [(n, p) for n, p in PRIVACY_DAYS.values()]
    during = dict(zip(PRIVACY_DAYS, (g["during"] for g in got), strict=True))
    assert during["2023-06-01"] == [2, 4]  # version 4 took effect at 16:20: version 2 before it
    assert during["2023-03-15"] == [2] and during["2023-01-10"] == [1] and during["2023-01-09"] == []


#: Zones with daylight saving time, one at midnight (America/Santiago, America/Havana), and a far offset.
ZONES = ("Asia/Taipei", "Europe/London", "America/Santiago", "America/Havana", "Pacific/Kiritimati", "UTC")


@st.composite
def histories(draw):
    count = draw(st.integers(1, 5))
    base = datetime(2022, 3, 20, tzinfo=timezone.utc)
    hours = sorted(draw(st.lists(st.integers(0, 24 * 400), min_size=count, max_size=count, unique=True)))
    versions = []
    for i, h in enumerate(hours):
        when = base + timedelta(hours=h, minutes=draw(st.sampled_from([0, 1, 59])))
        eff = draw(st.none() | st.integers(-40, 200))
        fm = f"effective: {(when + timedelta(days=eff)).date().isoformat()}\n" if eff is not None else ""
        versions.append(_version(i + 1, when, fm))
    retired = None
    if draw(st.booleans()):
        retired = Retirement("r", versions[-1].date + timedelta(hours=draw(st.integers(1, 24 * 90))), "retire")
    return FileHistory("p.md", tuple(versions), retired=retired), draw(st.sampled_from(ZONES))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories())
def test_script_agrees_with_the_python_rule(core: Core, case) -> None:
    fh, tz = case
    _check_agrees(core, version_entries(fh, tz=tz), tz)


# ------------------------------------------------------------------ RFC 5829 <link>s (issue 12, item 3)

class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict] = []
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        if tag == "head":
            self.in_head = True
        elif tag == "link" and self.in_head:
            self.links.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


VERSION_RELS = ("predecessor-version", "successor-version", "latest-version", "version-history", "timemap")


def version_links(site: Path, page: str) -> dict[str, str]:
    parser = _Links()
    parser.feed(html_of(site, page))
    found = [ln for ln in parser.links if ln.get("rel") in VERSION_RELS]
    rels = [ln["rel"] for ln in found]
    assert len(rels) == len(set(rels)), f"{page}: {rels}"
    return {ln["rel"]: ln["href"] for ln in found}


def resolve(site: Path, page: str, href: str) -> str:
    """The site file *href* on *page* leads to (a directory URL to its index.html); asserts it exists."""
    url = urljoin("/" + page, href)
    path = unquote(url.lstrip("/"))
    if path.endswith("/") or path == "":
        path += "index.html"
    assert (site / path).is_file(), f"{page}: {href} -> {path} is missing"
    return path


def test_version_links_of_version_pages(site: Path) -> None:
    for n in range(1, 6):
        page = f"en/privacy/versions/{n}/index.html"
        links = version_links(site, page)
        expected = {"latest-version": "../../", "version-history": "../../history/"}
        if n > 1:
            expected["predecessor-version"] = f"../{n - 1}/"
        if n < 5:
            expected["successor-version"] = f"../{n + 1}/"
        assert links == expected, page
        targets = {rel: resolve(site, page, href) for rel, href in links.items()}
        assert targets["latest-version"] == "en/privacy/index.html"
        assert targets["version-history"] == "en/privacy/history/index.html"
    head = html_of(site, "en/privacy/versions/3/index.html").split("</head>", 1)[0]
    assert "PKSHELL" not in head


def test_version_links_of_current_and_history_pages(site: Path) -> None:
    for prefix in ("", "zh-Hans/", "en/"):
        current = f"{prefix}privacy/index.html"
        links = version_links(site, current)
        assert links == {"version-history": "history/"}, current
        assert resolve(site, current, links["version-history"]) == f"{prefix}privacy/history/index.html"
        history = f"{prefix}privacy/history/index.html"
        links = version_links(site, history)
        assert links == {"latest-version": "../", "timemap": "../timemap.link"}, history
        assert resolve(site, history, links["latest-version"]) == current
        assert urljoin("/" + history, links["timemap"]) == f"/{prefix}privacy/timemap.link"  # helper memento writes it
        page = html_of(site, history)
        assert '<link rel="timemap" href="../timemap.link" type="application/link-format">' in page
        assert re.search(r'<a href="\.\./timemap\.link" type="application/link-format">[^<]+</a>', page)  # visible
    assert version_links(site, "en/index.html") == {}  # the policy centre has no history


def test_version_links_of_a_retired_policy_and_a_single_version(site: Path) -> None:
    assert version_links(site, "en/terms/versions/1/index.html") == {
        "successor-version": "../2/", "latest-version": "../../", "version-history": "../../history/"}
    assert version_links(site, "en/terms/versions/2/index.html") == {
        "predecessor-version": "../1/", "latest-version": "../../", "version-history": "../../history/"}
    for page in ("en/terms/versions/1/index.html", "en/terms/history/index.html", "en/terms/index.html"):
        for rel, href in version_links(site, page).items():
            if rel != "timemap":
                resolve(site, page, href)
    assert version_links(site, "en/terms/index.html") == {"version-history": "history/"}  # the retired page
    # One version, a name with a space: no predecessor or successor; hrefs percent-encoded and resolving
    single = "en/cookie notice/versions/1/index.html"
    assert version_links(site, single) == {"latest-version": "../../", "version-history": "../../history/"}
    assert resolve(site, single, "../../") == "en/cookie notice/index.html"
    current = version_links(site, "en/cookie notice/index.html")
    assert current == {"version-history": "history/"}
    assert resolve(site, "en/cookie notice/index.html", current["version-history"]) == "en/cookie notice/history/index.html"


def test_version_links_with_file_urls_are_percent_encoded(tmp_path: Path) -> None:
    """use_directory_urls: false: the current page is a file beside its archive folder, named with a space."""
    repo = new_site(tmp_path)
    repo.write("mkdocs.yml", repo.read("mkdocs.yml").replace("use_directory_urls: true", "use_directory_urls: false"))
    repo.write(COOKIES, "---\ntitle: Cookie Notice\n---\n# Cookie Notice\n\nWe use one cookie.\n")
    repo.commit("version 1", date="2023-01-10T10:00:00+08:00")
    site = build(repo)
    current = "en/cookie notice.html"
    links = version_links(site, current)
    assert links == {"version-history": "cookie%20notice/history/"}
    assert resolve(site, current, links["version-history"]) == "en/cookie notice/history/index.html"
    history = "en/cookie notice/history/index.html"
    assert version_links(site, history) == {"latest-version": "../../cookie%20notice.html", "timemap": "../timemap.link"}
    assert resolve(site, history, "../../cookie%20notice.html") == current
    version = "en/cookie notice/versions/1/index.html"
    links = version_links(site, version)
    assert links == {"latest-version": "../../../cookie%20notice.html", "version-history": "../../history/"}
    assert [resolve(site, version, href) for href in links.values()] == [current, history]
