"""The README's translation workflow with this site's own config (issue 11, item 5).

One temp git repo (module-scoped), the project's site and options:
C1 everything; C2 the source (zh-Hant) privacy policy changes (source v2);
C3 a typo fix in the stale Simplified Chinese translation (newer by date than
source v2) that says ``translation_of: 1``, and English, older by date, says
in a front-matter-only commit that it translates version 2; C4 the source
changes again with an effective date after the build's "now" (source v3,
upcoming) and English says it follows version 3.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from policykit.source.schema import FrontMatterSchemaError, check_source
from sitebuild import edit, html_of, mkdocs_build, new_site, notices, set_front_matter

D1 = "2026-01-05T10:00:00+08:00"
D2 = "2026-02-05T10:00:00+08:00"
D3 = "2026-03-05T10:00:00+08:00"
D4 = "2026-04-05T10:00:00+08:00"


def commit_workflow(repo) -> None:
    """C1 to C4 (module docstring) in *repo*, a fresh copy of the site."""
    repo.commit("site", date=D1)
    edit(repo, "docs/zh-Hant/privacy.md", "## 總則", "## 總則與定義")
    repo.commit("zh-Hant: definitions", date=D2)
    edit(repo, "docs/zh-Hans/privacy.md", "1MiX 的用户.", "1MiX 的用户。")
    set_front_matter(repo, "docs/zh-Hans/privacy.md", "translation_of", "1")
    set_front_matter(repo, "docs/en/privacy.md", "translation_of", "2")
    repo.commit("zh-Hans: typo; en: follows v2", date=D3)
    edit(repo, "docs/zh-Hant/privacy.md", "## 修訂策略", "## 修訂政策")
    set_front_matter(repo, "docs/zh-Hant/privacy.md", "effective", "2026-06-01")
    set_front_matter(repo, "docs/en/privacy.md", "translation_of", "3")
    repo.commit("zh-Hant: revision, in force from June", date=D4)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    repo = new_site(tmp_path_factory.mktemp("workflow"))
    commit_workflow(repo)
    return repo


@pytest.fixture(scope="module")
def built(project) -> tuple[Path, str]:
    """``mkdocs build --strict`` with the site's own config, as ``./run build`` does."""
    result = mkdocs_build(project.path, "--strict")
    assert result.returncode == 0, result.stdout
    site = project.path.parent / "site-strict"
    shutil.copytree(project.path / "site", site)
    return site, result.stdout


def test_strict_build_publishes_the_original_alone_and_reports_at_info(built) -> None:
    _, out = built
    assert "WARNING" not in out
    assert re.search(r"INFO +- +1 translation\(s\) are behind their source text or missing; they are published", out)
    assert "docs/zh-Hans/privacy.md: 2 source version(s) newer than the translation" in out
    assert "translates version 1; first newer: version 2" in out


def test_translation_of_decides_lag_instead_of_dates(built) -> None:
    site, _ = built
    # zh-Hans was fixed after source v2 by date, but says it translates v1: it lacks v2 and v3.
    [notice] = notices(html_of(site, "zh-Hans/privacy/index.html"), "translation")
    assert "本译文依据原文（繁體中文）第 1 版。" in notice
    # English is older than source v2 and v3 by date, but says it follows v3: current.
    assert notices(html_of(site, "en/privacy/index.html"), "translation") == []
    assert "Up to date with the original" in html_of(site, "en/index.html")


def test_lag_notice_links_the_originals_diff_of_each_missing_version(built) -> None:
    site, _ = built
    [notice] = notices(html_of(site, "zh-Hans/privacy/index.html"), "translation")
    links = re.findall(r'href="([^"]+)"', notice)
    assert links == ["../../privacy/versions/2/#changes", "../../privacy/versions/2/#changes",
                     "../../privacy/versions/3/#changes", "../../privacy/history/#v2"]
    assert "第 2 版" in notice and "第 3 版" in notice
    for n in (2, 3):
        assert 'id="changes"' in html_of(site, f"privacy/versions/{n}/index.html")


def test_translation_history_pages_show_the_lag(built) -> None:
    site, _ = built
    [notice] = notices(html_of(site, "zh-Hans/privacy/history/index.html"), "translation")
    assert 'href="../../../privacy/versions/2/#changes"' in notice
    assert 'href="../../../privacy/history/#v2"' in notice
    assert notices(html_of(site, "en/privacy/history/index.html"), "translation") == []
    assert notices(html_of(site, "privacy/history/index.html"), "translation") == []


def test_translation_shows_the_originals_upcoming_effective_date(built) -> None:
    site, _ = built
    for page, text in (("en/privacy/index.html", "The original (繁體中文) changes: its version 3 takes effect on "),
                       ("zh-Hans/privacy/index.html", "原文（繁體中文）将有修改：其第 3 版将于")):
        assert notices(html_of(site, page), "upcoming") == []  # the translation has no upcoming version itself
        [notice] = notices(html_of(site, page), "source-upcoming")
        assert text in notice, page
        assert 'data-policy-until="2026-06-01T00:00:00+08:00"' in notice
        assert '<time datetime="2026-06-01' in notice
    # The source shows its own upcoming notice, not the translations' one.
    assert len(notices(html_of(site, "privacy/index.html"), "upcoming")) == 1
    assert notices(html_of(site, "privacy/index.html"), "source-upcoming") == []


def test_corrections_file_translation_of_wins_over_front_matter(project, built) -> None:
    project.write("policy-corrections.yml", (
        "- policy: privacy\n  language: zh-Hans\n  version: 2\n  translation_of: 3\n"
        "- policy: privacy\n  language: en\n  version: 1\n  translation_of: 1\n"))
    try:
        result = mkdocs_build(project.path, "--strict")
    finally:
        (project.path / "policy-corrections.yml").unlink()
    assert result.returncode == 0, result.stdout
    site = project.path / "site"
    assert notices(html_of(site, "zh-Hans/privacy/index.html"), "translation") == []
    [notice] = notices(html_of(site, "en/privacy/index.html"), "translation")
    assert 'href="../../privacy/versions/2/#changes"' in notice


def test_translation_of_front_matter_is_checked() -> None:
    check_source(b"---\ntitle: T\ntranslation_of: 3\n---\n# T\n", "docs/en/t.md")
    for bad in (b"three", b"0", b"true", b"1.5"):
        with pytest.raises(FrontMatterSchemaError) as info:
            check_source(b"---\ntitle: T\ntranslation_of: " + bad + b"\n---\n# T\n", "docs/en/t.md")
        assert "line 3" in str(info.value) and "translation_of" in str(info.value), bad
