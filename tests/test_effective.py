"""Effective dates: the stamp, the upcoming-version notice, invalid dates; print markup.

Three real builds: "now" (SOURCE_DATE_EPOCH) before the new version takes
effect, "now" after it, and a build with an impossible date.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from policykit.pages.effective import EffectiveDateError, effective_of_source, parse_effective
from sitebuild import SITE_URL, edit, html_of, mkdocs_build, new_site, notices, set_front_matter

D1 = "2020-01-01T10:00:00+08:00"
D2 = "2021-03-01T10:00:00+08:00"
BEFORE = str(int(datetime(2025, 6, 1, tzinfo=timezone.utc).timestamp()))  # v2 announced, v1 in force
AFTER = str(int(datetime(2030, 1, 1, 12, tzinfo=timezone.utc).timestamp()))  # v2 in force (the very day)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    repo = new_site(tmp_path_factory.mktemp("effective"))
    set_front_matter(repo, "docs/zh-Hant/privacy.md", "effective", "2020-01-15")
    repo.commit("site", date=D1)
    set_front_matter(repo, "docs/zh-Hant/privacy.md", "effective", "2030-01-01")
    set_front_matter(repo, "docs/en/privacy.md", "effective", "'2030-01-01'")
    edit(repo, "docs/zh-Hant/privacy.md", "## 總則", "## 總則與定義")
    edit(repo, "docs/en/privacy.md", "## General Provisions", "## General provisions")
    repo.commit("new version, in force in 2030", date=D2)
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


def stamp_of(html: str) -> str:
    return re.search(r'<p class="policy-stamp[^"]*">.*?</p>', html, re.DOTALL).group(0)


def test_stamp_shows_effective_beside_last_modified(before):
    stamp = stamp_of(html_of(before, "privacy/index.html"))
    assert '<time class="policy-stamp__date" datetime="2021-03-01T10:00:00+08:00">2021年3月1日</time>' in stamp
    assert '<span class="policy-stamp__effective">生效日期 <time datetime="2030-01-01">2030年1月1日</time></span>' in stamp
    en = stamp_of(html_of(before, "en/privacy/index.html"))
    assert "Effective <time datetime=\"2030-01-01\">January 1, 2030</time>" in en
    assert "policy-stamp__effective" not in stamp_of(html_of(before, "zh-Hans/privacy/index.html"))


def test_future_effective_date_announces_and_links_version_in_force(before):
    html = html_of(before, "privacy/index.html")
    [notice] = notices(html, "upcoming")
    assert '本版本將於<time datetime="2030-01-01">2030年1月1日</time>生效。' in notice
    assert '<a class="policy-notice__link" href="versions/1/">第 1 版</a>' in notice
    assert "2020年1月15日" in notice  # version 1's in-force start (its own effective date)
    assert (before / "privacy/versions/1/index.html").exists()
    [en] = notices(html_of(before, "en/privacy/index.html"), "upcoming")
    assert "This version takes effect on" in en and 'href="versions/1/">Version 1</a>' in en
    assert notices(html_of(before, "zh-Hans/privacy/index.html"), "upcoming") == []
    # The version pages use the effective dates for their in-force ranges.
    assert "生效期間：2020年1月15日至2030年1月1日" in html_of(before, "privacy/versions/1/index.html")


def test_no_notice_once_in_force(after):
    html = html_of(after, "privacy/index.html")
    assert notices(html, "upcoming") == []
    assert "policy-stamp__effective" in stamp_of(html)


def test_print_shows_canonical_url_and_hides_chrome(before):
    html = html_of(before, "privacy/index.html")
    assert f'<p class="policy-print-url">正式網址：<a href="{SITE_URL}privacy/">{SITE_URL}privacy/</a></p>' in html
    version = html_of(before, "en/privacy/versions/1/index.html")
    assert f'<a href="{SITE_URL}en/privacy/versions/1/">' in version
    css_href = re.search(r'href="\.\./(assets/policy\.[^"]*css)"', html).group(1)  # fingerprinted by the deploy hook
    css = (before / css_href).read_text(encoding="utf-8")
    screen, _, printed = css.partition("@media print")
    assert ".policy-print-url { display: none; }" in screen
    assert ".policy-print-url { display: block !important" in printed
    for chrome in (".md-header", ".md-sidebar", ".md-footer", ".md-search", ".md-tabs"):
        assert chrome in printed


def test_invalid_effective_date_stops_the_build(project, after):
    set_front_matter(project, "docs/en/privacy.md", "effective", "2024-02-30")
    project.commit("impossible date", date="2022-01-01T10:00:00+08:00")
    result = mkdocs_build(project.path)
    assert result.returncode != 0
    # checked with the other front matter before the build (file, line and value), by the one parser
    assert re.search(r"docs/en/privacy\.md: line \d+: front matter key 'effective': expected a date: '2024-02-30' is not a real date", result.stdout)
    assert "Traceback" not in result.stdout


@pytest.mark.parametrize("value", ["2024-02-30", "tomorrow", "10/11/2024", "20240105", "2024-01-05T10:00:00", "[2024]", "12"])
def test_invalid_values(value):
    with pytest.raises(EffectiveDateError, match="effective"):
        effective_of_source(f"---\ntitle: x\neffective: {value}\n---\n# x\n".encode())


def test_valid_values():
    assert effective_of_source(b"---\neffective: 2024-02-29\n---\n") == date(2024, 2, 29)
    assert effective_of_source(b"---\neffective: '2024-02-29'\n---\n") == date(2024, 2, 29)
    assert effective_of_source(b"---\neffective: 2024-1-5\n---\n") == date(2024, 1, 5)  # year first: one reading
    assert effective_of_source(b"---\ntitle: x\n---\n") is None
    assert effective_of_source(b"# no front matter\n") is None
    assert parse_effective(date(2024, 1, 1)) == date(2024, 1, 1)
    with pytest.raises(EffectiveDateError):
        parse_effective(datetime(2024, 1, 1))
