"""A version's dates agree everywhere, and "current" means in force (issue 9, section 3).

One real git repository built with the real site:

* version 1 (June 2025), in force from its publication;
* version 2 (20 November 2026) with ``effective: 2026-12-10``;
* a front-matter-only commit (25 November 2026) that moves it to ``2027-01-15``.

Built with "now" (SOURCE_DATE_EPOCH) on 1 December 2026, before the effective
date: version 2 is the latest but not in force; version 1 is in force until
15 January 2027.  Built again on 20 January 2027: version 2 is in force.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from policykit.pages.archive import version_entries
from policykit.history.versions import FileHistory, Version
from policykit.pages.labels import labels_for
from sitebuild import edit, html_of, mkdocs_build, new_site, notices, set_front_matter

TZ = "Asia/Taipei"  # the site's configured timezone
D_V1 = "2025-06-01T10:00:00+08:00"
D_V2 = "2026-11-20T10:00:00+08:00"
D_MOVE = "2026-11-25T10:00:00+08:00"
BEFORE = str(int(datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()))  # the day the issue was seen
AFTER = str(int(datetime(2027, 1, 20, tzinfo=timezone.utc).timestamp()))

POLICY_FILES = ("docs/zh-Hant/privacy.md", "docs/en/privacy.md", "docs/zh-Hans/privacy.md")
#: The old effective date in every language; it may appear only where the history says it was changed.
OLD_DATE = ("2026-12-10", "2026年12月10日", "December 10, 2026")
NEW_DATE = {"zh-Hant": "2027年1月15日", "zh-Hans": "2027年1月15日", "en": "January 15, 2027"}
PREFIX = {"zh-Hant": "", "zh-Hans": "zh-Hans/", "en": "en/"}
CURRENT_WORDS = ("現行", "现行", "current")


def build_scenario(repo) -> None:
    """The three commits of the module docstring (every language changes together: no lagging translation)."""
    repo.commit("version 1", date=D_V1)
    edit(repo, "docs/zh-Hant/privacy.md", "## 總則", "## 總則與定義")
    edit(repo, "docs/en/privacy.md", "## General Provisions", "## General provisions and definitions")
    edit(repo, "docs/zh-Hans/privacy.md", "## 总则", "## 总则与定义")
    for path in POLICY_FILES:
        set_front_matter(repo, path, "effective", "2026-12-10")
    repo.commit("version 2, effective 10 December", date=D_V2)
    for path in POLICY_FILES:
        set_front_matter(repo, path, "effective", "2027-01-15")
    repo.commit("postpone version 2 to 15 January", date=D_MOVE)


class _Visible(HTMLParser):
    """The text a reader sees without JavaScript: no [hidden] subtree, no script or style."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth_hidden = 0
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        hide = any(k == "hidden" for k, _ in attrs) or tag in ("script", "style", "template")
        self.stack.append(hide)
        self.depth_hidden += hide

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        self.depth_hidden -= self.stack.pop()

    def handle_data(self, data):
        if not self.depth_hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts))


def without_change_lines(html: str) -> str:
    """*html* without the lines that say an effective date was changed (they name the old date on purpose)."""
    html = re.sub(r'<p class="policy-(?:history|banner)__effective-change">.*?</p>', "", html, flags=re.DOTALL)
    return re.sub(r"(?:生效日期已[於于]|Effective date changed on )[^<&]*", "", html)  # the same line in feeds


def history_row(html: str, number: int) -> str:
    return re.search(rf'<li class="policy-history__entry" id="v{number}">.*?</li>', html, re.DOTALL).group(0)


def banner(html: str) -> str:
    return re.search(r'<div class="policy-banner.*?</nav>\s*</div>', html, re.DOTALL).group(0)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    repo = new_site(tmp_path_factory.mktemp("effective-moved"))
    build_scenario(repo)
    return repo


@pytest.fixture(scope="module")
def before(project) -> Path:
    result = mkdocs_build(project.path, env={"SOURCE_DATE_EPOCH": BEFORE})
    assert result.returncode == 0, result.stdout
    site = project.path.parent / "site-before"
    shutil.copytree(project.path / "site", site)
    return site


@pytest.fixture(scope="module")
def after(project, before) -> Path:
    result = mkdocs_build(project.path, env={"SOURCE_DATE_EPOCH": AFTER})
    assert result.returncode == 0, result.stdout
    return project.path / "site"


def policy_outputs(site: Path, locale: str) -> dict[str, str]:
    p = PREFIX[locale]
    names = [f"{p}privacy/index.html", f"{p}privacy/history/index.html", f"{p}privacy/versions/2/index.html",
             f"{p}privacy/versions/1/index.html", f"{p}index.html", f"{p}privacy/feed.xml", f"{p}feed.xml"]
    return {n: html_of(site, n) for n in names}


@pytest.mark.parametrize("locale", ["zh-Hant", "en", "zh-Hans"])
def test_moved_effective_date_is_one_value_everywhere(before, locale):
    outputs = policy_outputs(before, locale)
    outputs["manifest.json"] = html_of(before, "manifest.json")
    for name, text in outputs.items():
        for old in OLD_DATE:
            assert old not in without_change_lines(text), f"{name} still gives the old effective date {old}"
    p = PREFIX[locale]
    new = NEW_DATE[locale]
    live = outputs[f"{p}privacy/index.html"]
    stamp = re.search(r'<p class="policy-stamp[^"]*">.*?</p>', live, re.DOTALL).group(0)
    assert '<time datetime="2027-01-15">' in stamp and new in stamp
    [notice] = notices(live, "upcoming")
    assert '<time datetime="2027-01-15">' in notice and new in notice
    assert new in visible_text(history_row(outputs[f"{p}privacy/history/index.html"], 2))
    assert new in visible_text(banner(outputs[f"{p}privacy/versions/2/index.html"]))
    assert new in visible_text(history_row(outputs[f"{p}privacy/history/index.html"], 1))  # version 1 ends then
    assert new in outputs[f"{p}privacy/feed.xml"] and new in outputs[f"{p}index.html"]


def test_history_says_when_the_effective_date_was_changed(before):
    zh = html_of(before, "privacy/history/index.html")
    assert '<p class="policy-history__effective-change">生效日期已於2026年11月25日由2026年12月10日改為2027年1月15日</p>' in history_row(zh, 2)
    en = html_of(before, "en/privacy/history/index.html")
    assert "Effective date changed on November 25, 2026 from December 10, 2026 to January 15, 2027" in history_row(en, 2)
    assert "Effective date changed on November 25, 2026" in banner(html_of(before, "en/privacy/versions/2/index.html"))
    feed = html_of(before, "en/privacy/feed.xml")
    assert "Effective date changed on November 25, 2026 from December 10, 2026 to January 15, 2027" in feed
    # The entry changed when its effective date moved; its id keeps the version's own date.
    entry = re.search(r"<entry>.*?/v2</id>.*?</entry>", feed, re.DOTALL).group(0)
    assert "<updated>2026-11-25T10:00:00+08:00</updated>" in entry
    assert "tag:policy.1mix.org,2026-11-20:" in entry


@pytest.mark.parametrize("locale", ["zh-Hant", "en", "zh-Hans"])
def test_future_version_is_never_labelled_current(before, locale):
    p = PREFIX[locale]
    history = html_of(before, f"{p}privacy/history/index.html")
    pages = {
        "history row of version 2": history_row(history, 2),
        "history page": history,
        "version 2 banner": banner(html_of(before, f"{p}privacy/versions/2/index.html")),
        "version 1 banner": banner(html_of(before, f"{p}privacy/versions/1/index.html")),
        "policy centre": html_of(before, f"{p}index.html"),
        "policy feed": html_of(before, f"{p}privacy/feed.xml"),
        "language feed": html_of(before, f"{p}feed.xml"),
    }
    for name, html in pages.items():
        text = visible_text(html) if not name.endswith("feed") else html
        for word in CURRENT_WORDS:
            assert word not in text.replace("current_", ""), f"{name} ({locale}) says {word!r} on 1 December 2026"
    classes = re.match(r'<div class="([^"]*)"', banner(html_of(before, f"{p}privacy/versions/2/index.html"))).group(1)
    assert "policy-banner--current" not in classes.split()
    # The policy centre states what takes effect when, and which version is in force until then.
    centre = visible_text(pages["policy centre"])
    expected = {
        "zh-Hant": "第 2 版將於2027年1月15日生效；在此之前，第 1 版仍然有效。",
        "zh-Hans": "第 2 版将于2027年1月15日生效；在此之前，第 1 版仍然有效。",
        "en": "Version 2 takes effect on January 15, 2027; until then version 1 is in force.",
    }[locale]
    assert expected in centre


def test_version_in_force_until_then_says_so(before):
    history = html_of(before, "en/privacy/history/index.html")
    v1, v2 = history_row(history, 1), history_row(history, 2)
    # Without JavaScript: both dates, plainly, true on any day.
    assert "In force from June 1, 2025 until January 15, 2027; version 2 takes effect on January 15, 2027" in visible_text(v1)
    assert "Takes effect on January 15, 2027" in visible_text(v2)
    # For policy.js: the exact label for each span of time, bounded at 00:00 in the site's timezone.
    assert ('<span hidden data-policy-until="2027-01-15T00:00:00+08:00">In force since June 1, 2025 (current version) '
            "until January 15, 2027, when version 2 takes effect</span>") in v1
    assert '<span hidden data-policy-since="2027-01-15T00:00:00+08:00">In force from June 1, 2025 to January 15, 2027</span>' in v1
    assert '<span hidden data-policy-until="2027-01-15T00:00:00+08:00">Takes effect on January 15, 2027 (not yet in force)</span>' in v2
    assert '<span hidden data-policy-since="2027-01-15T00:00:00+08:00">In force since January 15, 2027 (current version)</span>' in v2
    # The live page links the version in force.
    [notice] = notices(html_of(before, "privacy/index.html"), "upcoming")
    assert 'data-policy-until="2027-01-15T00:00:00+08:00"' in notice
    assert '<a class="policy-notice__link" href="versions/1/">第 1 版</a>' in notice
    zh = visible_text(history_row(html_of(before, "privacy/history/index.html"), 1))
    assert "自2025年6月1日起生效，至2027年1月15日止；第 2 版自2027年1月15日起生效" in zh


def test_after_the_effective_date_the_new_version_is_current(after):
    history = html_of(after, "privacy/history/index.html")
    assert "自2027年1月15日起生效（現行版本）" in visible_text(history_row(history, 2))
    assert "生效期間：2025年6月1日至2027年1月15日" in visible_text(history_row(history, 1))
    assert "現行" not in visible_text(history_row(history, 1))
    assert "data-policy-" not in history_row(history, 2)  # nothing left to switch: the page is plain
    assert notices(html_of(after, "privacy/index.html"), "upcoming") == []
    assert "policy-list__upcoming" not in html_of(after, "index.html")
    assert 'class="policy-banner policy-banner--current"' in html_of(after, "privacy/versions/2/index.html")


# ----------------------------------------------------------------------- the core, without a build


def _version(number: int, when: str, front_matter: str, later: tuple = ()) -> Version:
    return Version(number, f"c{number}", datetime.fromisoformat(when), "a", "a@x", "s", f"b{number}", "p.md", "p.md",
                   front_matter, later)


def test_front_matter_only_commit_moves_the_effective_date():
    from policykit.pages.effective import in_force_at
    from policykit.history.versions import FrontMatterRevision

    move = FrontMatterRevision("c9", datetime.fromisoformat(D_MOVE), "effective: 2027-01-15\n")
    fh = FileHistory("p.md", (_version(1, D_V1, ""), _version(2, D_V2, "effective: 2026-12-10\n", (move,))))
    v1, v2 = version_entries(fh, tz=TZ)
    assert v2.effective == date(2027, 1, 15) and v2.in_force_from == date(2027, 1, 15)
    assert v1.in_force_to == date(2027, 1, 15)
    assert [(c.old, c.new) for c in v2.effective_changes] == [(date(2026, 12, 10), date(2027, 1, 15))]
    assert v2.starts_at.isoformat() == "2027-01-15T00:00:00+08:00"  # 00:00 in the configured timezone
    just_before = datetime(2027, 1, 14, 15, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Taipei
    assert in_force_at([v1, v2], just_before) is v1
    assert in_force_at([v1, v2], datetime(2027, 1, 14, 16, 0, tzinfo=timezone.utc)) is v2


def test_a_version_overtaken_before_its_effective_date_is_never_in_force():
    from policykit.pages.effective import in_force_at, in_force_label

    fh = FileHistory("p.md", (
        _version(1, D_V1, ""),
        _version(2, D_V2, "effective: 2027-01-15\n"),
        _version(3, "2026-12-01T10:00:00+08:00", "effective: 2026-12-20\n"),
    ))
    v1, v2, v3 = version_entries(fh, tz=TZ)
    assert v1.in_force_to == date(2026, 12, 20) and v1.superseded_by == 3
    assert v2.never_in_force and v2.superseded_by == 3
    assert in_force_at([v1, v2, v3], datetime(2027, 2, 1, tzinfo=timezone.utc)) is v3
    label = in_force_label(v2, labels_for("en"), "en", TZ, datetime(2026, 12, 2, tzinfo=timezone.utc))
    assert label.static.startswith("Never in force: version 3") and not label.variants and not label.current


def test_static_pages_do_not_depend_on_the_build_machines_clock(tmp_path_factory):
    """The same commit builds the same bytes on any day: "now" for the static text is HEAD's time.

    Version 2 takes effect on 1 July 2020, after HEAD (1 June 2020) and before
    the real clock.  A plain build (the build pins SOURCE_DATE_EPOCH to HEAD)
    must equal a build with SOURCE_DATE_EPOCH set to HEAD's time by the
    caller; before, the plain build judged effective dates by the wall clock.
    """
    repo = new_site(tmp_path_factory.mktemp("effective-clock"))
    repo.commit("version 1", date="2020-01-01T10:00:00+08:00")
    edit(repo, "docs/zh-Hant/privacy.md", "## 總則", "## 總則與定義")
    set_front_matter(repo, "docs/zh-Hant/privacy.md", "effective", "2020-07-01")
    head = datetime.fromisoformat("2020-06-01T10:00:00+08:00")
    repo.commit("version 2", date=head.isoformat())
    sites = []
    for env in ({}, {"SOURCE_DATE_EPOCH": str(int(head.timestamp()))}):
        result = mkdocs_build(repo.path, env=env)
        assert result.returncode == 0, result.stdout
        site = repo.path.parent / f"site-{len(sites)}"
        shutil.copytree(repo.path / "site", site)
        sites.append(site)
    files = sorted(p.relative_to(sites[0]) for p in sites[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(sites[1]) for p in sites[1].rglob("*") if p.is_file())
    differ = [str(f) for f in files if (sites[0] / f).read_bytes() != (sites[1] / f).read_bytes()]
    assert differ == []
    # Both say plainly when version 2 takes effect and leave "in force" to the reader's clock.
    row = history_row(html_of(sites[0], "privacy/history/index.html"), 2)
    assert "自2020年7月1日起生效" in visible_text(row) and "現行" not in visible_text(row)
    assert 'data-policy-since="2020-07-01T00:00:00+08:00">自2020年7月1日起生效（現行版本）</span>' in row


def test_history_keeps_the_front_matter_only_commits_of_each_version(project):
    """The history core (real git): the front-matter-only commit is not a version, but is kept with version 2."""
    from policykit.history.versions import HistoryOptions, read_history

    fh = read_history(project.path / "docs", HistoryOptions()).get("zh-Hant/privacy.md")
    assert [v.number for v in fh.versions] == [1, 2]
    assert fh.versions[0].later_front_matter == ()
    [rev] = fh.versions[1].later_front_matter
    assert rev.date == datetime.fromisoformat(D_MOVE) and "effective: 2027-01-15" in rev.front_matter
    assert "effective: 2026-12-10" in fh.versions[1].front_matter
