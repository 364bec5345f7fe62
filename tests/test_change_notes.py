"""Change notes readers can trust (issue 11, item 4).

One temp git repo (module-scoped) built three ways:
C1 the site, committed as "WIP skeleton"; C2 the source (zh-Hant) privacy
policy changes ("fix typo", no note); C3 English changes with a front matter
``change_note``.  Builds: the default (no subjects shown), with notes declared
in the corrections file (one of them beside a legal correction field set),
and with ``commit_subjects_as_notes: true``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from policykit.history import corrections
from policykit.settings import SettingsError, parse_settings
from sitebuild import (
    edit,
    html_of,
    mkdocs_build,
    new_site,
    set_front_matter,
    set_setting,
)

D1 = "2026-01-05T10:00:00+08:00"
D2 = "2026-02-05T10:00:00+08:00"
D3 = "2026-03-05T10:00:00+08:00"

NOTES = """\
# Notes for past versions; history is never rewritten for them.
- policy: privacy
  language: zh-Hant
  version: 1
  note: 首次公開的隱私政策。
- policy: privacy
  language: en
  version: 2
  note: "Corrected note: the general provisions heading."
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    repo = new_site(tmp_path_factory.mktemp("notes"))
    repo.commit("WIP skeleton", date=D1)
    edit(repo, "docs/zh-Hant/privacy.md", "## 總則", "## 總則與定義")
    repo.commit("fix typo", date=D2)
    edit(repo, "docs/en/privacy.md", "## General Provisions", "## General provisions")
    set_front_matter(repo, "docs/en/privacy.md", "change_note", "Heading in sentence case.")
    repo.commit("en: heading", date=D3)
    return repo


def _build(repo, name: str) -> Path:
    result = mkdocs_build(repo.path)
    assert result.returncode == 0, result.stdout
    site = repo.path.parent / name
    shutil.copytree(repo.path / "site", site)
    return site


@pytest.fixture(scope="module")
def default_site(project) -> Path:
    return _build(project, "site-default")


@pytest.fixture(scope="module")
def noted_site(project, default_site) -> Path:
    project.write("policy-corrections.yml", NOTES)
    try:
        return _build(project, "site-noted")
    finally:
        (project.path / "policy-corrections.yml").unlink()


@pytest.fixture(scope="module")
def subjects_site(project, noted_site) -> Path:
    set_setting(project, "commit_subjects_as_notes", "true")
    try:
        return _build(project, "site-subjects")
    finally:
        set_setting(project, "commit_subjects_as_notes", "false")


def _history_notes(site: Path, page: str) -> list[str]:
    """The change notes of a history page, newest first."""
    html = html_of(site, page)
    return re.findall(r'policy-history__note-label">[^<]*</span> ?([^<]*)</p>', html)


def _banner_note(site: Path, page: str) -> str:
    [note] = re.findall(r'class="policy-banner__meta">.*?· [^:：]*[:：] ?([^<]*)</p>', html_of(site, page))
    return note


def _list_note(site: Path, page: str) -> list[str]:
    return re.findall(r'policy-list__note"><span class="policy-list__label">[^<]*</span> ?([^<]*)</p>', html_of(site, page))


def test_commit_subjects_never_reach_readers_by_default(default_site: Path) -> None:
    for path in default_site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json"):
            text = path.read_text(encoding="utf-8")
            assert "WIP skeleton" not in text and "fix typo" not in text, path


def test_first_version_says_first_published_in_the_readers_language(default_site: Path) -> None:
    assert _history_notes(default_site, "privacy/history/index.html") == ["未提供修改說明", "首次發布"]
    assert _history_notes(default_site, "zh-Hans/privacy/history/index.html") == ["首次发布"]
    assert _history_notes(default_site, "en/privacy/history/index.html") == ["Heading in sentence case.", "First published"]
    assert _banner_note(default_site, "privacy/versions/1/index.html") == "首次發布"
    assert _banner_note(default_site, "privacy/versions/2/index.html") == "未提供修改說明"
    assert _banner_note(default_site, "en/privacy/versions/1/index.html") == "First published"
    assert _list_note(default_site, "zh-Hans/index.html") == ["首次发布"]
    assert _list_note(default_site, "index.html") == ["未提供修改說明"]
    feed = html_of(default_site, "feed.xml")
    assert "首次發布" in feed and "未提供修改說明" in feed
    assert "First published" in html_of(default_site, "en/feed.xml")


def test_notes_file_sets_and_corrects_notes_of_past_versions(noted_site: Path) -> None:
    assert _history_notes(noted_site, "privacy/history/index.html") == ["未提供修改說明", "首次公開的隱私政策。"]
    assert _banner_note(noted_site, "privacy/versions/1/index.html") == "首次公開的隱私政策。"
    # The declared note wins over the front matter's change_note of that version.
    assert _history_notes(noted_site, "en/privacy/history/index.html") == [
        "Corrected note: the general provisions heading.", "First published"]
    assert _list_note(noted_site, "en/index.html") == ["Corrected note: the general provisions heading."]
    assert "Corrected note: the general provisions heading." in html_of(noted_site, "en/feed.xml")
    assert "首次公開的隱私政策。" in html_of(noted_site, "privacy/feed.xml")


def test_commit_subjects_as_notes_shows_subjects_when_asked(subjects_site: Path) -> None:
    assert _history_notes(subjects_site, "privacy/history/index.html") == ["fix typo", "WIP skeleton"]
    assert _history_notes(subjects_site, "en/privacy/history/index.html") == ["Heading in sentence case.", "WIP skeleton"]


def test_a_mistake_in_the_notes_file_fails_the_build_naming_file_and_line(project, subjects_site) -> None:
    project.write("policy-corrections.yml", "- policy: privacy\n  language: en\n  version: 1\n  note: [a, b]\n")
    try:
        result = mkdocs_build(project.path)
    finally:
        (project.path / "policy-corrections.yml").unlink()
    assert result.returncode != 0
    assert "policy-corrections.yml:4: 'note' must be a single value" in result.stdout
    assert "Traceback" not in result.stdout


def test_notes_and_corrections_share_one_schema(tmp_path: Path) -> None:
    f = tmp_path / "policy-corrections.yml"
    f.write_text(
        "- policy: privacy\n  language: en\n  version: 2\n  sha256: " + "a" * 64 + "\n  date: 2026-12-01\n"
        "  reason: Typo in the signed text.\n  note: Thirty days, not three.\n"
        "- policy: privacy\n  language: zh-Hans\n  version: 1\n  translation_of: 3\n", encoding="utf-8")
    d = corrections.load_declarations(f)
    assert d.corrections[("privacy", "en", 2)][0].reason == "Typo in the signed text."
    assert d.notes_of("privacy", "en") == {2: "Thirty days, not three."}
    assert d.translation_of_version("privacy", "zh-Hans", 1) == 3
    bad = {
        "- policy: privacy\n  language: en\n  version: 2\n": ":1: this entry declares nothing",
        "- policy: privacy\n  language: en\n  version: 2\n  note: x\n  nte: y\n": ":1: unknown nte",
        "- policy: privacy\n  language: en\n  version: 2\n  sha256: " + "a" * 64 + "\n": ":1: a correction has sha256, date and reason; missing date, reason",
        "- &a\n  policy: privacy\n- *a\n": ":3: YAML aliases",
        "- policy: privacy\n  language: en\n  version: 2\n  note: x\n  note: y\n": ":5: 'note' is given twice",
        "- policy: privacy\n  language: en\n  version: 0\n  note: x\n": ":1: version must be 1 or more",
        "- policy: privacy\n  language: en\n  version: 1\n  translation_of: three\n": ":1: translation_of must be a whole number",
        "- policy: privacy\n  note: a: b\n": ":2: not valid YAML",
    }
    for text, message in bad.items():
        f.write_text(text, encoding="utf-8")
        with pytest.raises(corrections.CorrectionsError) as info:
            corrections.load_declarations(f)
        assert str(info.value).startswith(str(f)) and message in str(info.value), (text, str(info.value))


def test_commit_subjects_as_notes_is_a_boolean_setting_off_by_default() -> None:
    assert parse_settings({}).commit_subjects_as_notes is False
    assert parse_settings({"commit_subjects_as_notes": True}).commit_subjects_as_notes is True
    with pytest.raises(SettingsError, match="commit_subjects_as_notes"):
        parse_settings({"commit_subjects_as_notes": "yes"})
