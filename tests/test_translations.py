"""Translation status: notices, the build report and translation_lag; the policy centre; the sitemap.

Four real builds of one temp git repo (module-scoped):
C1 everything; C2 the source (zh-Hant) privacy policy changes; C3 source and
English change in the same commit (English is current, Simplified Chinese
lags since C1); C4 a source-only policy (missing in en and zh-Hans).
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from policykit.history.versions import FileHistory, Version
from policykit.pages.translations import CURRENT, LAGGING, compare
from sitebuild import SITE_URL, edit, html_of, mkdocs_build, new_site, notices, set_setting

D1 = "2020-01-01T10:00:00+08:00"
D2 = "2021-06-01T09:00:00+08:00"
D3 = "2022-07-01T09:00:00+08:00"
D4 = "2023-08-01T09:00:00+08:00"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    repo = new_site(tmp_path_factory.mktemp("translations"))
    repo.commit("site", date=D1)
    edit(repo, "docs/zh-Hant/privacy.md", "## 總則", "## 總則與定義")
    repo.commit("zh-Hant: definitions", date=D2)
    edit(repo, "docs/zh-Hant/privacy.md", "## 修訂策略", "## 修訂政策")
    edit(repo, "docs/en/privacy.md", "## General Provisions", "## General provisions")
    repo.commit("zh-Hant + en together", date=D3)
    repo.write("docs/zh-Hant/terms.md", "---\ntitle: 服務條款\n---\n# 服務條款\n\n使用本站即表示同意。\n")
    repo.commit("terms <only> in zh-Hant", date=D4)
    return repo


@pytest.fixture(scope="module")
def built(project) -> tuple[Path, str]:
    """The default build (translation_lag: info), not strict: it passes and reports at INFO."""
    result = mkdocs_build(project.path)
    assert result.returncode == 0, result.stdout
    site = project.path.parent / "site-warn"
    shutil.copytree(project.path / "site", site)
    return site, result.stdout


def test_lagging_translation_shows_notice_with_dates_and_link(built):
    site, _ = built
    html = html_of(site, "zh-Hans/privacy/index.html")
    [notice] = notices(html, "translation")
    assert '<time datetime="2020-01-01T10:00:00+08:00">2020年1月1日</time>' in notice  # the translation's date
    assert '<time datetime="2022-07-01T09:00:00+08:00">2022年7月1日</time>' in notice  # the source's latest
    assert "繁體中文" in notice
    # What changed in the source since the translation: from source version 2 on.
    assert 'href="../../privacy/history/#v2"' in notice
    assert 'id="v2"' in html_of(site, "privacy/history/index.html")
    # ... and the source's diff of each version the translation lacks (versions 2 and 3).
    assert re.findall(r'href="([^"]+#changes)"', notice) == [
        "../../privacy/versions/2/#changes", "../../privacy/versions/2/#changes", "../../privacy/versions/3/#changes"]
    # The notice follows the stamp.
    assert html.index('class="policy-stamp') < html.index("policy-notice--translation")


def test_history_page_of_a_lagging_translation_shows_the_lag(built):
    site, _ = built
    [notice] = notices(html_of(site, "zh-Hans/privacy/history/index.html"), "translation")
    assert 'href="../../../privacy/versions/2/#changes"' in notice
    assert notices(html_of(site, "en/privacy/history/index.html"), "translation") == []  # current


def test_same_commit_translation_is_current(built):
    site, _ = built
    assert notices(html_of(site, "en/privacy/index.html"), "translation") == []
    assert notices(html_of(site, "privacy/index.html"), "translation") == []  # the source itself


def test_missing_translation_falls_back_with_notice(built):
    site, _ = built
    en = html_of(site, "en/terms/index.html")
    [notice] = notices(en, "fallback")
    assert "This policy is not available in English. It is shown in the original (繁體中文)." in notice
    assert "使用本站即表示同意" in en
    [notice] = notices(html_of(site, "zh-Hans/terms/index.html"), "fallback")
    assert "本政策没有简体中文版本，以下为原文（繁體中文）。" in notice
    assert notices(html_of(site, "terms/index.html"), "fallback") == []


def test_report_lists_lagging_and_missing_at_info(built):
    _, out = built
    assert "WARNING" not in out
    assert re.search(r"INFO +- +\d translation\(s\) are behind their source text or missing; they are published", out)
    assert "docs/zh-Hans/privacy.md: 2 source version(s) newer than the translation" in out
    assert "terms [en]: missing" in out and "terms [zh-Hans]: missing" in out
    assert "en/privacy.md" not in out.split("they are published")[1].split("INFO")[0]  # current: not reported


def test_policy_centre_lists_note_status_history_and_feed(built):
    site, _ = built
    centre = html_of(site, "zh-Hans/index.html")
    items = re.findall(r'<li class="policy-list__item">.*?</li>', centre, re.DOTALL)
    privacy = next(i for i in items if 'href="privacy/"' in i)
    terms = next(i for i in items if 'href="terms/"' in i)
    assert '<p class="policy-list__note"><span class="policy-list__label">最近修改：</span>首次发布</p>' in privacy
    assert "policy-list__status--lagging" in privacy and "已过时：原文于2022年7月1日修改" in privacy
    assert '<a class="policy-list__history" href="privacy/history/">版本历史</a>' in privacy
    assert '<a class="policy-list__feed" href="privacy/feed.xml"' in privacy
    assert "policy-list__status--missing" in terms and "未翻译：显示原文" in terms
    en = html_of(site, "en/index.html")
    assert "policy-list__status--current" in en and "Up to date with the original" in en
    # Commit subjects are not change notes (commit_subjects_as_notes is off).
    assert "terms &lt;only&gt; in zh-Hant" not in en and "<only>" not in en and "First published" in en
    source = html_of(site, "index.html")
    assert "policy-list__status--source" in source and "原文" in source
    assert "zh-Hant + en together" not in source and "未提供修改說明" in source  # the latest version has no note


def test_sitemap_lastmod_and_hreflang(built):
    site, _ = built
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = {u.findtext("sm:loc", namespaces=ns): u for u in ET.parse(site / "sitemap.xml").getroot().findall("sm:url", ns)}
    for page in ("privacy/", "zh-Hans/privacy/", "en/privacy/", "terms/", "zh-Hans/terms/", "en/terms/"):
        url = urls[SITE_URL + page]
        stamp = re.search(r'<time class="policy-stamp__date" datetime="([^"]+)"', html_of(site, page + "index.html")).group(1)
        assert url.findtext("sm:lastmod", namespaces=ns) == stamp, page
        alternates = {a.get("hreflang"): a.get("href") for a in url.findall("x:link", ns)}
        assert set(alternates) == {"zh-Hant", "zh-Hans", "en"}, page
    privacy = {a.get("hreflang"): a.get("href") for a in urls[SITE_URL + "en/privacy/"].findall("x:link", ns)}
    assert privacy == {"zh-Hant": SITE_URL + "privacy/", "zh-Hans": SITE_URL + "zh-Hans/privacy/", "en": SITE_URL + "en/privacy/"}


def test_strict_build_passes_with_lag_by_default(project, built):
    result = mkdocs_build(project.path, "--strict")
    assert result.returncode == 0, result.stdout
    assert "docs/zh-Hans/privacy.md: 2 source version(s) newer" in result.stdout


def test_translation_lag_warn_fails_strict(project, built):
    set_setting(project, "translation_lag", "warn")
    try:
        result = mkdocs_build(project.path, "--strict")
    finally:
        set_setting(project, "translation_lag", "info")
    assert result.returncode != 0
    assert "docs/zh-Hans/privacy.md: 2 source version(s) newer" in result.stdout
    assert "Traceback" not in result.stdout


def test_translation_lag_fail_stops_a_plain_build(project, built):
    set_setting(project, "translation_lag", "fail")
    try:
        result = mkdocs_build(project.path)
    finally:
        set_setting(project, "translation_lag", "info")
    assert result.returncode != 0
    assert "translation_lag: fail" in result.stdout
    assert "docs/zh-Hans/privacy.md: 2 source version(s) newer" in result.stdout
    assert "terms [en]: missing" in result.stdout
    assert "Traceback" not in result.stdout


def test_translation_lag_ignore_passes_strict(project, built):
    set_setting(project, "translation_lag", "ignore")
    try:
        result = mkdocs_build(project.path, "--strict")
    finally:
        set_setting(project, "translation_lag", "info")
    assert result.returncode == 0, result.stdout
    assert "behind their source" not in result.stdout
    # The pages still tell readers.
    assert notices(html_of(project.path / "site", "zh-Hans/privacy/index.html"), "translation")


def test_bad_translation_lag_setting_is_rejected():
    from policykit.settings import SettingsError, parse_settings

    assert parse_settings({"translation_lag": "fail"}).translation_lag == "fail"
    assert parse_settings({}).translation_lag == "info"  # the default: published with a notice, INFO
    with pytest.raises(SettingsError, match="translation_lag"):
        parse_settings({"translation_lag": "loud"})


def test_compare_same_commit_and_equal_instants_are_current():
    from datetime import datetime, timezone

    def v(n: int, commit: str, day: int) -> Version:
        return Version(n, commit, datetime(2020, 1, day, tzinfo=timezone.utc), "", "", "", "b", "p", "p")

    src = FileHistory("zh-Hant/p.md", (v(1, "a", 1), v(2, "c", 3)))
    assert compare("p", "en", src, FileHistory("en/p.md", (v(1, "c", 3),)), source_locale="zh-Hant").state == CURRENT
    assert compare("p", "en", src, FileHistory("en/p.md", (v(1, "d", 3),)), source_locale="zh-Hant").state == CURRENT
    lag = compare("p", "en", src, FileHistory("en/p.md", (v(1, "a", 1),)), source_locale="zh-Hant")
    assert lag.state == LAGGING and lag.first_newer == 2 and lag.newer_count == 1
