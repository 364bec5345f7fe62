"""Shared fixtures.  Keep this small and generic; helpers live in their own modules."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gitfixture import GitRepo

PROJECT = Path(__file__).resolve().parent.parent

#: What a site needs to build: copied by ``site_project``.
SITE_FILES = ("mkdocs.yml", "docs", "overrides", "hooks")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".cache", "site")


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """Code under test runs git too: keep the user's git config and a caller's GIT_DIR out of it."""
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_CEILING_DIRECTORIES",
                "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    """An empty git repository (isolated from the user's git config) in a temp folder."""
    return GitRepo.init(tmp_path / "repo")


@pytest.fixture
def site_project(tmp_path: Path) -> GitRepo:
    """A copy of the project's site (mkdocs.yml, docs/, overrides/, hooks/) in a fresh git repo.

    Nothing is committed yet: commit with fixed dates via ``site_project.commit(...)``.
    The build output and caches are git-ignored.
    """
    repo = GitRepo.init(tmp_path / "site-project")
    for name in SITE_FILES:
        src = PROJECT / name
        if src.is_dir():
            shutil.copytree(src, repo.path / name, ignore=_IGNORE)
        else:
            shutil.copy2(src, repo.path / name)
    repo.write(".gitignore", "site/\n.cache/\n__pycache__/\n")
    return repo
