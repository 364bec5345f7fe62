"""``python -m policykit.publish`` (``./run publish``): a failed or killed publish never touches the live site."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitfixture import git_env
from sitebuild import edit, new_site


def tree_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def publish_cmd(project: Path, target: Path) -> list[str]:
    return [sys.executable, "-m", "policykit.publish", "--project", str(project), str(target)]


def env_for(project: Path) -> dict[str, str]:
    return git_env({"NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(project / "hooks")})


def run_publish(project: Path, target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(publish_cmd(project, target), cwd=project, env=env_for(project), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)


def test_publish_is_atomic(tmp_path: Path) -> None:
    repo = new_site(tmp_path)
    repo.commit("First publication", date="2021-01-04T10:00:00+08:00")
    www = tmp_path / "www"
    www.mkdir()
    target = www / "site"
    releases = www / "site.releases"

    # 1. First publish: TARGET becomes a symlink to a release.
    first = run_publish(repo.path, target)
    assert first.returncode == 0, first.stdout
    assert target.is_symlink() and (target / "index.html").is_file()
    assert (www / "site-deploy" / "nginx-headers.conf").is_file()
    old_release = Path(os.path.realpath(target))
    before = tree_of(target)

    # 2. A publish of a new commit, killed (SIGKILL, whole process group) in the middle of its build.
    edit(repo, "docs/en/privacy.md", "## General Provisions", "## General Provisions\n\nA second version.")
    repo.commit("Second version", date="2021-02-04T10:00:00+08:00")
    proc = subprocess.Popen(publish_cmd(repo.path, target), cwd=repo.path, env=env_for(repo.path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if any((b / "site").is_dir() and any((b / "site").iterdir()) for b in releases.glob(".building-*")):
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the publish finished before it could be interrupted"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert Path(os.path.realpath(target)) == old_release
    assert tree_of(target) == before
    assert sorted(p.name for p in www.iterdir()) == ["site", "site-deploy", "site.releases"]
    leftovers = {p.name for p in releases.iterdir()} - {old_release.parent.name, ".lock"}
    assert leftovers and all(n.startswith(".building-") for n in leftovers)  # never served; removed next time

    # 3. A build that fails --strict (an uncommitted policy) leaves the published site as it was.
    repo.write("docs/en/cookies.md", "---\ntitle: Cookies\n---\n\n# Cookies\n\nNot committed yet.\n")
    failed = run_publish(repo.path, target)
    assert failed.returncode == 1
    assert "cookies.md has uncommitted changes" in failed.stdout
    assert "Nothing was published" in failed.stdout
    assert Path(os.path.realpath(target)) == old_release and tree_of(target) == before
    assert {p.name for p in releases.iterdir()} == {old_release.parent.name, ".lock"}  # leftovers cleaned

    # 4. Once the build passes, the new release is swapped in; the previous one is kept for a rollback.
    (repo.path / "docs/en/cookies.md").unlink()
    done = run_publish(repo.path, target)
    assert done.returncode == 0, done.stdout
    new_release = Path(os.path.realpath(target))
    assert new_release != old_release
    assert "A second version." in (target / "en/privacy/index.html").read_text(encoding="utf-8")
    assert (target / "en/privacy/versions/2/index.html").is_file()
    assert {p.name for p in releases.iterdir()} == {old_release.parent.name, new_release.parent.name, ".lock"}
    assert tree_of(old_release) == before
    assert os.path.realpath(www / "site-deploy") == str(new_release.parent / "site-deploy")


def test_refuses_a_real_folder(tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "index.html").write_text("live", encoding="utf-8")
    from policykit.publish import PublishError, publish
    with pytest.raises(PublishError, match="real folder"):
        publish(target, project=tmp_path)
    assert (target / "index.html").read_text(encoding="utf-8") == "live"
