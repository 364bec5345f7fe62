"""The policy-site plugin on a site that is not this one: defaults from the site, options, state, the wheel.

Every site here is a real git repository made by the test (tests/gitfixture.py) holding only
mkdocs.yml and docs/: nothing is copied from this repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gitfixture import GitRepo, git_env
from sitebuild import mkdocs_build

ENGLISH_YML = """\
site_name: Example Policies
site_url: https://example.org/
theme:
  name: material
plugins:
  - search
  - policy-site
"""


def english_repo(path: Path, *, policy: str = "privacy", title: str = "Privacy Policy", yml: str = ENGLISH_YML,
                 dates: tuple[str, str] = ("2021-03-04T10:00:00+00:00", "2022-05-06T12:30:00+00:00")) -> GitRepo:
    """A one-language English repo: a home page listing the policies, one policy with two versions."""
    repo = GitRepo.init(path)
    repo.write("mkdocs.yml", yml)
    repo.write(".gitignore", "site/\nsite-deploy/\n.cache/\n")
    repo.write("docs/index.md", "# Policies\n\n<!-- policy-list -->\n")
    repo.write(f"docs/{policy}.md", f"# {title}\n\nWe keep little.\n")
    repo.commit("First version", date=dates[0])
    repo.write(f"docs/{policy}.md", f"# {title}\n\nWe keep very little.\n")
    repo.commit("Second version", date=dates[1])
    return repo


def stamp_of(html: str) -> str:
    m = re.search(r'<p class="policy-stamp[^"]*">.*?</p>', html, re.S)
    assert m, "no stamp on the page"
    return m.group(0)


def git_iso(repo: GitRepo, path: str) -> str:
    """git's answer: the committer date of the last commit that changed *path* (UTC, as the site has no timezone)."""
    from datetime import datetime, timezone

    raw = repo.run("log", "-1", "--format=%cI", "--", path)
    return datetime.fromisoformat(raw).astimezone(timezone.utc).isoformat(timespec="seconds")


def assert_english_site(repo: GitRepo, site: Path) -> None:
    html = (site / "privacy/index.html").read_text(encoding="utf-8")
    stamp = stamp_of(html)
    assert f'datetime="{git_iso(repo, "docs/privacy.md")}"' in stamp
    assert "Last modified" in stamp and "May 6, 2022" in stamp and "Version 2" in stamp and "Version history" in stamp
    history = (site / "privacy/history/index.html").read_text(encoding="utf-8")
    assert "Privacy Policy: version history" in history
    assert (site / "privacy/versions/1/index.html").is_file() and (site / "privacy/versions/2/index.html").is_file()
    assert (site / "feed.xml").is_file() and (site / "privacy/feed.xml").is_file()
    assert (site / "_headers").is_file() and (site / "manifest.json").is_file()
    assert "assets/policy" in (site / "_headers").read_text(encoding="utf-8")  # the package's own CSS and JS
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="privacy/"' in home  # the policy list
    for text in (html, history, home):
        assert not re.search(r"[\u4e00-\u9fff]", text.split("<body", 1)[1].split('<script id="__config"', 1)[0]), \
            "a Chinese label on an English site"


# ------------------------------------------------------------------ (1) English, no options


def test_one_language_english_site_builds_with_english_labels_and_gits_dates(tmp_path: Path) -> None:
    repo = english_repo(tmp_path / "english")
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 0, result.stdout
    assert_english_site(repo, repo.path / "site")


def test_labels_follow_the_site_language_without_i18n(tmp_path: Path) -> None:
    """theme.language decides (no i18n): a Traditional Chinese site gets Chinese labels and dates."""
    repo = english_repo(tmp_path / "zh", yml=ENGLISH_YML.replace("  name: material\n", "  name: material\n  language: zh-Hant\n"))
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 0, result.stdout
    stamp = stamp_of((repo.path / "site/privacy/index.html").read_text(encoding="utf-8"))
    assert "上次修改" in stamp and "2022年5月6日" in stamp


def test_a_label_missing_in_a_language_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    from policykit.pages import labels

    table = dict(labels.LABELS["zh-Hant"])
    del table["history"]
    monkeypatch.setitem(labels.LABELS, "zh-Hant", table)
    labels._with_fallback.cache_clear()
    try:
        got = labels.labels_for("zh-Hant")
        assert got["history"] == labels.LABELS["en"]["history"]  # was a KeyError
        assert got["last_modified"] == "上次修改"
        assert labels.labels_for("fr")["last_modified"] == "Last modified"
    finally:
        labels._with_fallback.cache_clear()


# ------------------------------------------------------------------ (4) options


def test_unknown_option_fails_with_did_you_mean(tmp_path: Path) -> None:
    repo = english_repo(tmp_path / "typo", yml=ENGLISH_YML.replace("  - policy-site\n", "  - policy-site:\n      timezon: UTC\n"))
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode != 0
    assert "Plugin 'policy-site' option 'timezon': unknown option. Did you mean 'timezone'?" in result.stdout
    assert "Traceback" not in result.stdout


def test_extra_policy_site_still_works_with_an_info_notice(tmp_path: Path) -> None:
    yml = ENGLISH_YML + "extra:\n  policy_site:\n    timezone: America/New_York\n"
    repo = english_repo(tmp_path / "legacy", yml=yml)
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 0, result.stdout
    assert re.search(r"INFO +- +\S*mkdocs.yml: 'extra.policy_site' is deprecated", result.stdout), result.stdout
    stamp = stamp_of((repo.path / "site/privacy/index.html").read_text(encoding="utf-8"))
    assert 'datetime="2022-05-06T08:30:00-04:00"' in stamp  # its timezone applied
    # a typo there is still an error naming the key
    repo.write("mkdocs.yml", yml.replace("    timezone:", "    timezone_: "))
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode != 0 and "unknown setting 'extra.policy_site.timezone_'. Did you mean 'timezone'?" in result.stdout


def test_features_switch_off_through_options(tmp_path: Path) -> None:
    yml = ENGLISH_YML.replace("  - policy-site\n", "  - policy-site:\n      archive: false\n      feeds: false\n      headers: false\n")
    repo = english_repo(tmp_path / "off", yml=yml)
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 0, result.stdout
    site = repo.path / "site"
    stamp = stamp_of((site / "privacy/index.html").read_text(encoding="utf-8"))
    assert "Last modified" in stamp and "Version history" not in stamp  # no link to a page that is not built
    for path in ("privacy/history/index.html", "privacy/versions/1/index.html", "feed.xml", "_headers", "manifest.json"):
        assert not (site / path).exists(), path


# ------------------------------------------------------------------ (3) two builds in one process


def _build_in_process(repo: GitRepo) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(config_file=str(repo.path / "mkdocs.yml"), strict=True)
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()


def _tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_two_builds_in_one_process_are_independent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a = english_repo(tmp_path / "a", policy="privacy", title="Privacy Policy")
    b = english_repo(tmp_path / "b", policy="terms", title="Terms of Use",
                     dates=("2015-01-02T03:04:05+00:00", "2016-07-08T09:10:11+00:00"))
    _build_in_process(a)
    first_a = _tree(a.path / "site")
    assert "SOURCE_DATE_EPOCH" not in os.environ  # put back: the next build pins its own HEAD
    _build_in_process(b)
    site_b = b.path / "site"
    files_b = _tree(site_b)
    everything_b = b"\n".join(v for k, v in files_b.items() if k.endswith((".html", ".xml", ".json", "_headers")))
    assert not any(p.startswith("privacy/") for p in files_b), "a page of the first site in the second"
    assert b"privacy" not in everything_b.lower() and b"Privacy Policy" not in everything_b
    stamp = stamp_of(files_b["terms/index.html"].decode("utf-8"))
    assert 'datetime="2016-07-08T09:10:11+00:00"' in stamp and "Version 2" in stamp
    # the deploy clock is the second repo's HEAD, not the first's
    assert "Fri, 08 Jul 2016 09:10:11 GMT" in files_b["_headers"].decode("utf-8")
    assert "2022" not in files_b["_headers"].decode("utf-8")
    # and the first site, built again in the same process, comes out byte for byte as before
    shutil.rmtree(a.path / "site")
    _build_in_process(a)
    assert _tree(a.path / "site") == first_a


# ------------------------------------------------------------------ (2) the wheel in a fresh virtualenv


def test_wheel_in_a_fresh_virtualenv_builds_the_english_repo(wheel_venv: Path, tmp_path: Path) -> None:
    repo = english_repo(tmp_path / "foreign")
    assert sorted(p.name for p in repo.path.iterdir()) == [".git", ".gitignore", "docs", "mkdocs.yml"]
    env = git_env({"NO_MKDOCS_2_WARNING": "1"})
    env.pop("PYTHONPATH", None)
    where = subprocess.run([str(wheel_venv), "-c", "import policykit; print(policykit.__file__)"],
                           capture_output=True, text=True, env=env, cwd=repo.path, check=True).stdout.strip()
    assert Path(where).is_relative_to(wheel_venv.parent.parent), where  # the installed wheel, not this checkout
    result = subprocess.run([str(wheel_venv), "-m", "mkdocs", "build", "--strict"], cwd=repo.path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert result.returncode == 0, result.stdout
    assert_english_site(repo, repo.path / "site")
