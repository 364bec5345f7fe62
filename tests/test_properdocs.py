"""A second engine: ProperDocs (the drop-in fork of MkDocs 1.x) builds this site as MkDocs does.

ProperDocs runs in its own virtual environment, ``.venv-properdocs`` (``./run
properdocs``: requirements.txt plus the pinned ``properdocs``), created once and
reused while neither changes.  Both engines build the same commit strictly; the
outputs must be byte-identical except the generator tag, which names the engine,
and the manifest's digests of the pages that carry it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gitfixture import PROJECT, GitRepo, git_env, project_repo
from sitebuild import mkdocs_build

PD_VENV = PROJECT / ".venv-properdocs"
PROPERDOCS = PD_VENV / "bin" / "properdocs"
GENERATOR = re.compile(rb'<meta name="generator" content="mkdocs-([^",]+), mkdocs-material-[^"]+">')


MKDOCS_VERSION = re.search(r"^mkdocs==(\S+)", (PROJECT / "requirements.txt").read_text(), re.M).group(1)


def properdocs_version() -> str:
    text = (PROJECT / "run").read_text(encoding="utf-8")
    return re.search(r"^PROPERDOCS_VERSION=(\S+)", text, re.M).group(1)


@pytest.fixture(scope="module")
def properdocs() -> Path:
    """``.venv-properdocs/bin/properdocs``, set up by ``./run properdocs --setup-only`` when missing or stale."""
    done = subprocess.run(["bash", str(PROJECT / "run"), "properdocs", "--setup-only"], cwd=PROJECT,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        pytest.fail(f"./run properdocs --setup-only failed:\n{done.stderr[-3000:]}")
    return PROPERDOCS


def run_properdocs(exe: Path, project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), "build", "--strict"], cwd=project, env=git_env({"NO_MKDOCS_2_WARNING": "1"}),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", timeout=300)


@pytest.fixture(scope="module")
def builds(properdocs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    base = tmp_path_factory.mktemp("engines")
    repo = project_repo(base / "mkdocs")
    repo.commit("Site", date="2024-05-01T10:00:00+08:00")
    repo.write("docs/en/privacy.md", repo.read("docs/en/privacy.md") + "\nA second version.\n")
    repo.commit("Privacy v2", date="2024-06-02T10:00:00+08:00")
    other = GitRepo(base / "properdocs")
    subprocess.run(["git", "clone", "-q", str(repo.path), str(other.path)], check=True, env=git_env())
    done = mkdocs_build(repo.path, "--strict")
    assert done.returncode == 0, done.stdout
    pd = run_properdocs(properdocs, other.path)
    assert pd.returncode == 0, pd.stdout
    return repo.path, other.path, pd.stdout


def tree(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def test_properdocs_is_the_engine_that_ran(builds: tuple[Path, Path, str]) -> None:
    _, pd, log = builds
    page = (pd / "site" / "en" / "privacy" / "index.html").read_bytes()
    assert GENERATOR.search(page).group(1) == f"ProperDocs {properdocs_version()}".encode()
    # every hook ran under ProperDocs: the deploy step wrote its files, mkdocs-static-i18n built every language
    assert "Wrote " in log and "_headers" in log
    assert (pd / "site" / "en" / "privacy" / "history" / "index.html").is_file()
    assert (pd / "site" / "zh-Hans" / "privacy" / "versions" / "1" / "index.html").is_file()


def test_output_is_byte_identical_except_the_generator(builds: tuple[Path, Path, str]) -> None:
    mk, pd, _ = builds
    ours, theirs = tree(mk / "site"), tree(pd / "site")
    assert sorted(ours) == sorted(theirs)
    tagged = set()
    for path in ours:
        a, b = ours[path].read_bytes(), theirs[path].read_bytes()
        if path == "manifest.json":
            continue
        if a != b:
            assert GENERATOR.sub(b"GEN", a) == GENERATOR.sub(b"GEN", b), path  # nothing else differs
            assert GENERATOR.search(a).group(1) == MKDOCS_VERSION.encode() and b"ProperDocs" in GENERATOR.search(b).group(1), path
            tagged.add(path)
        assert os.stat(ours[path]).st_mtime == os.stat(theirs[path]).st_mtime, path  # same HTTP validators
    assert {"index.html", "en/privacy/index.html", "404.html"} <= tagged
    assert all(p.endswith(".html") for p in tagged)
    # the manifest differs only in the digests and sizes of the pages that name their engine
    m1, m2 = (json.loads((d / "site" / "manifest.json").read_text(encoding="utf-8")) for d in (mk, pd))
    for m in (m1, m2):
        for entry in m["urls"].values():
            if entry["path"] in tagged:
                del entry["sha256"], entry["size"]
    assert m1 == m2
    for path, file in tree(mk / "site-deploy").items():  # nginx include, purge list
        assert file.read_bytes() == (pd / "site-deploy" / path).read_bytes(), path


def test_policykit_verify_accepts_both_builds(builds: tuple[Path, Path, str]) -> None:
    """The plugin's manifest is the one ``policykit verify`` checks (tests/test_cli.py covers its failures)."""
    for project in builds[:2]:
        done = subprocess.run([sys.executable, "-m", "policykit.cli", "verify", "site"], cwd=project,
                              env=git_env({"PYTHONPATH": str(PROJECT / "hooks")}), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
