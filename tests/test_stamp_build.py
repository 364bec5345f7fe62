"""Real ``mkdocs build`` runs: the "last modified" stamp, its <meta> and the sitemap.

Each build takes a few seconds, so this file keeps their number small.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


from conftest import PROJECT, SITE_FILES
from gitfixture import GitRepo, git_env
from policykit.history import gitrepo

SITE_URL = "https://policy.1mix.org/"


def mkdocs_build(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m mkdocs build`` in *project*; stdout and stderr together in ``.stdout``."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *args],
        cwd=project,
        env=git_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def stamp_of(html: str) -> str:
    m = re.search(r'<p class="policy-stamp[^"]*">.*?</p>', html, re.DOTALL)
    assert m, "no policy stamp on the page"
    return m.group(0)


def modified_meta(html: str) -> list[str]:
    return re.findall(r'<meta property="article:modified_time" content="([^"]*)">', html)


def sitemap_lastmod(site: Path) -> dict[str, str | None]:
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.parse(site / "sitemap.xml").getroot()
    out: dict[str, str | None] = {}
    for url in root.findall("sm:url", ns):
        lastmod = url.find("sm:lastmod", ns)
        out[url.findtext("sm:loc", namespaces=ns)] = lastmod.text if lastmod is not None else None
    return out


def assert_stamped(site: Path, page: str, url: str, iso: str, display: str, version_label: str) -> None:
    html = (site / page).read_text(encoding="utf-8")
    stamp = stamp_of(html)
    assert "policy-stamp--draft" not in stamp
    assert f'<time class="policy-stamp__date" datetime="{iso}">{display}</time>' in stamp
    assert version_label in stamp
    assert modified_meta(html) == [iso]
    assert sitemap_lastmod(site)[url] == iso


# ------------------------------------------------------------------ the real site


ZH_HANT_DATE = "2019-05-31T17:30:00+00:00"  # 2019-06-01 01:30 in Taipei
ZH_HANS_DATE = "2020-02-29T23:59:59+08:00"
EN_DATE = "2021-12-31T16:30:00-05:00"  # 2022-01-01 05:30 in Taipei


def _edit(repo: GitRepo, relpath: str, old: str, new: str) -> None:
    text = repo.read(relpath)
    assert old in text
    repo.write(relpath, text.replace(old, new, 1))


def test_real_site_stamps_meta_and_sitemap_then_draft(site_project: GitRepo):
    repo = site_project
    repo.commit("site", date=ZH_HANT_DATE)
    _edit(repo, "docs/zh-Hans/privacy.md", "## 总则", "## 总则与定义")
    repo.commit("zh-Hans: retitle section", date=ZH_HANS_DATE, author_date="2019-01-01T00:00:00+00:00")
    _edit(repo, "docs/en/privacy.md", "## General Provisions", "## General provisions")
    repo.commit("en: case", date=EN_DATE)

    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 0, result.stdout
    site = repo.path / "site"
    assert_stamped(site, "privacy/index.html", SITE_URL + "privacy/",
                   "2019-06-01T01:30:00+08:00", "2019年6月1日", "第 1 版")
    assert_stamped(site, "zh-Hans/privacy/index.html", SITE_URL + "zh-Hans/privacy/",
                   "2020-02-29T23:59:59+08:00", "2020年2月29日", "第 2 版")
    assert_stamped(site, "en/privacy/index.html", SITE_URL + "en/privacy/",
                   "2022-01-01T05:30:00+08:00", "January 1, 2022", "Version 2")

    # An uncommitted edit: --strict fails naming the file ...
    _edit(repo, "docs/en/privacy.md", "## Revision Policy", "## Revision policy (draft)")
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode != 0
    assert "docs/en/privacy.md has uncommitted changes" in result.stdout
    assert "Traceback" not in result.stdout
    assert not site.exists()  # ... and leaves no half-written site behind

    # ... and a plain build shows the draft, without a date.
    result = mkdocs_build(repo.path)
    assert result.returncode == 0, result.stdout
    assert "docs/en/privacy.md has uncommitted changes" in result.stdout
    html = (site / "en/privacy/index.html").read_text(encoding="utf-8")
    stamp = stamp_of(html)
    assert "policy-stamp--draft" in stamp and "Draft — not yet published" in stamp
    assert "<time" not in stamp
    assert modified_meta(html) == []
    # The other languages keep their dates.
    assert_stamped(site, "privacy/index.html", SITE_URL + "privacy/",
                   "2019-06-01T01:30:00+08:00", "2019年6月1日", "第 1 版")


# ------------------------------------------------------------------ one language, nested docs_dir


SINGLE_LANGUAGE_YML = """\
site_name: Policies
site_url: https://example.org/policies/
docs_dir: content/policies
site_dir: build/site
theme:
  name: material
  language: en
  font: false
plugins:
  - search
  - policy-site:
      timezone: America/New_York
"""


def test_single_language_site_without_i18n_nested_docs_dir(git_repo: GitRepo):
    repo = git_repo
    repo.write("mkdocs.yml", SINGLE_LANGUAGE_YML)
    repo.write(".gitignore", "build/\n.cache/\n__pycache__/\n")
    repo.write("README.md", "Not part of the site.\n")
    repo.write("content/policies/index.md", "# Policies\n\n<!-- policy-list -->\n")
    repo.write("content/policies/privacy.md", "---\ntitle: Privacy\n---\n# Privacy\n\nWe keep little.\n")
    repo.write("content/policies/my policy.md", "# My policy\n\nText.\n")
    repo.commit("add", date="2019-06-01T03:00:00+00:00")  # May 31 in New York
    repo.write("content/policies/privacy.md", "---\ntitle: Privacy\n---\n# Privacy\n\nWe keep very little.\n")
    repo.commit("edit privacy", date="2019-07-04T12:00:00+00:00")
    repo.write("content/policies/my policy.md", "---\ntitle: My policy\n---\n# My policy\n\nText.\n")
    repo.commit("front matter only", date="2019-08-01T12:00:00+00:00")

    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 0, result.stdout
    site = repo.path / "build/site"
    assert_stamped(site, "privacy/index.html", "https://example.org/policies/privacy/",
                   "2019-07-04T08:00:00-04:00", "July 4, 2019", "Version 2")
    assert_stamped(site, "my policy/index.html", "https://example.org/policies/my%20policy/",
                   "2019-05-31T23:00:00-04:00", "May 31, 2019", "Version 1")

    repo.write("content/policies/privacy.md", "# Privacy\n\nDraft.\n")
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode != 0
    assert "content/policies/privacy.md has uncommitted changes" in result.stdout
    assert "Traceback" not in result.stdout


# ------------------------------------------------------------------ not a repository


def test_not_a_repository_fails_with_advice(tmp_path: Path):
    project = tmp_path / "plain"
    project.mkdir()
    for name in SITE_FILES:
        src = PROJECT / name
        if src.is_dir():
            shutil.copytree(src, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, project / name)
    result = mkdocs_build(project, "--strict")
    assert result.returncode != 0
    assert gitrepo.NOT_A_REPO.format(docs=(project / "docs").resolve()) in result.stdout
    assert "Traceback" not in result.stdout
    assert not (project / "site" / "privacy" / "index.html").exists()
