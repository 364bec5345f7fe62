"""Shared fixtures.  Keep this small and generic; helpers live in their own modules."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from gitfixture import PROJECT, SITE_FILES, GitRepo, project_repo  # noqa: F401  (re-exported for tests)


def pytest_configure(config: pytest.Config) -> None:
    """Site builds need the policy-site plugin installed in this Python (``./run`` does ``pip install -e .``)."""
    import subprocess

    probe = "import importlib.metadata as m, sys; sys.exit(0 if m.entry_points(group='mkdocs.plugins', name='policy-site') else 1)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # as the tests' `python -m mkdocs` sees it
    if subprocess.run([sys.executable, "-c", probe], cwd="/", env=env).returncode != 0:
        pytest.exit(f"the policy-site MkDocs plugin is not installed in {sys.executable}: "
                    f"run ./run test, or pip install -e {PROJECT}", returncode=4)


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
    return project_repo(tmp_path / "site-project")


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with only the built wheel (and its dependencies, pinned by requirements.txt)."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(PROJECT)],
                           capture_output=True, text=True, timeout=300)
    shutil.rmtree(PROJECT / "build", ignore_errors=True)  # setuptools' in-tree leftovers
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("policykit-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = env_dir / "bin" / "python"
    installed = subprocess.run([str(py), "-m", "pip", "install", "-q", "-c", str(PROJECT / "requirements.txt"), str(wheel)],
                               capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return py
