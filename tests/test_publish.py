"""``python -m policykit.publish`` (``./run publish``): a failed or killed publish never touches the live site."""

from __future__ import annotations

import contextlib
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
    return [sys.executable, "-m", "policykit.deploy.release", "--project", str(project), str(target)]


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
    from policykit.deploy.release import PublishError, publish
    with pytest.raises(PublishError, match="real folder"):
        publish(target, project=tmp_path)
    assert (target / "index.html").read_text(encoding="utf-8") == "live"


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a live process, None when it is gone (a zombie counts as gone)."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if after_name[0] in ("Z", "X") else (after_name[0], int(after_name[1]))


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            children.setdefault(stat[1], []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for kid in children.get(todo.pop(), []):
            if kid not in found:
                found.add(kid)
                todo.append(kid)
    return found


def files_of(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_size for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}


SLOW_HOOK = """\
import os, time

def on_post_build(config):
    marker = os.environ.get("TEST_SLOW_BUILD_MARKER")
    if marker:  # the site is written; now the build "takes long" (a huge archive)
        open(marker, "w").close()
        time.sleep(120)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_publish_ends_its_build(tmp_path: Path, sig: signal.Signals) -> None:
    """Only the publish process is signalled (as `kill PID`, systemd or CI do): its mkdocs child must end too."""
    repo = new_site(tmp_path)
    repo.write("hooks/slow_build.py", SLOW_HOOK)  # outside docs/: not part of the site's history
    repo.write("mkdocs.yml", repo.read("mkdocs.yml") + "\nhooks:\n  - hooks/slow_build.py\n")
    repo.commit("First publication", date="2021-01-04T10:00:00+08:00")
    target = tmp_path / "site"
    releases = target.with_name("site.releases")
    marker = tmp_path / "building"
    env = {**env_for(repo.path), "TEST_SLOW_BUILD_MARKER": str(marker)}
    log = tmp_path / "publish.log"  # a file, not a pipe: a surviving child would hold a pipe open
    build: set[int] = set()
    with open(log, "w") as out_file:
        proc = subprocess.Popen(publish_cmd(repo.path, target), cwd=repo.path, env=env,
                                stdout=out_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not marker.exists():
            time.sleep(0.02)
        build = descendants(proc.pid)
        assert proc.poll() is None and build, "the publish finished before it could be interrupted"
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_proc_stat(p) is not None for p in build):
            time.sleep(0.05)
        assert [p for p in build if _proc_stat(p) is not None] == [], "the build outlived the publish"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in build:  # never leave a sleeping build behind, even when an assertion fails
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    out = log.read_text(encoding="utf-8")
    assert not target.exists()
    leftovers = sorted(releases.glob(".building-*"))
    if sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM
        assert "publish: stopped by SIGTERM: the build was ended and its folder removed. Nothing was published" in out
        assert leftovers == []
    else:
        assert proc.returncode == -signal.SIGKILL
        [left] = leftovers  # SIGKILL cannot be caught: the folder stays, but nothing writes into it any more
        before = files_of(left)
        time.sleep(1.0)
        assert files_of(left) == before

    done = run_publish(repo.path, target)  # the next publish removes the leftovers and succeeds
    assert done.returncode == 0, done.stdout
    assert target.is_symlink() and (target / "index.html").is_file()
    assert not list(releases.glob(".building-*"))
