"""Talking to git never hangs and never fails with anything but one GitError carrying git's message (issue 9, section 6)."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Callable

import pytest

from gitfixture import GitRepo
from policykit.history import gitrepo
from policykit.history.gitrepo import GitError
from policykit.history.versions import HistoryOptions, read_history
from sitebuild import mkdocs_build, new_site

#: Enough requests that both pipes fill up many times over (64 KiB each): a stall would be a real deadlock.
MANY = 20000
TIMEOUT = 30


def _children() -> dict[int, str]:
    """This process's child processes: pid -> command line."""
    found: dict[int, str] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            pids = (task / "children").read_text().split()
        except OSError:
            continue
        for pid in pids:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            found[int(pid)] = cmd
    return found


def _cat_files() -> list[int]:
    return [pid for pid, cmd in _children().items() if "cat-file" in cmd]


def run_within(work: Callable[[], object]) -> list[object]:
    """Run *work* in a thread; fail (and stop the cat-file it started) when it does not return in time."""
    before = set(_cat_files())
    result: list[object] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(TIMEOUT)
    if worker.is_alive():
        for pid in set(_cat_files()) - before:  # unblock the stuck thread: kill the git process it started
            os.kill(pid, signal.SIGKILL)
        worker.join(TIMEOUT)
        pytest.fail(f"read_blobs did not return within {TIMEOUT} s (deadlock)")
    assert set(_cat_files()) - before == set(), "git cat-file is still running"
    if errors:
        raise errors[0]
    return result


@pytest.fixture
def blob_repo(git_repo: GitRepo) -> tuple[gitrepo.WorkTree, str]:
    git_repo.write("docs/p.md", "# Policy\n\n" + "Some words of policy text. " * 80 + "\n")
    git_repo.commit("add")
    blob = git_repo.run("rev-parse", "HEAD:docs/p.md")
    return gitrepo.open_work_tree(git_repo.path / "docs"), blob


def test_reading_every_blob_returns_them_all(blob_repo) -> None:
    tree, blob = blob_repo
    size = len((tree.root / "docs" / "p.md").read_bytes())

    def work() -> tuple[int, set[int]]:
        got = list(gitrepo.read_blobs(tree, [blob] * MANY))
        return len(got), {len(data) for _, data in got}

    assert run_within(work) == [(MANY, {size})]


def test_a_missing_object_is_a_git_error_not_a_hang(blob_repo) -> None:
    tree, blob = blob_repo
    missing = "0123456789abcdef0123456789abcdef01234567"

    def work() -> None:
        for _ in gitrepo.read_blobs(tree, [blob, missing] + [missing] * MANY):
            pass

    with pytest.raises(GitError, match=f"object {missing} is missing"):
        run_within(work)


def test_a_consumer_that_stops_early_does_not_hang(blob_repo) -> None:
    tree, blob = blob_repo

    def work() -> str:
        blobs = gitrepo.read_blobs(tree, [blob] * MANY)
        oid, _ = next(blobs)
        blobs.close()
        return oid

    assert run_within(work) == [blob]


def test_a_consumer_that_raises_does_not_hang(blob_repo) -> None:
    tree, blob = blob_repo

    class ExtensionError(Exception):
        pass

    def work() -> None:
        for _ in gitrepo.read_blobs(tree, [blob] * MANY):
            raise ExtensionError("a Markdown extension failed")

    with pytest.raises(ExtensionError):
        run_within(work)


# ------------------------------------------------------------------ git failures


def _foreign(path: Path, uid: int = 12345) -> None:
    """Give *path* (recursively) to another user, so git run by root sees 'dubious ownership'."""
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, uid)
    os.lchown(path, uid, uid)


@pytest.fixture
def foreign_repo(git_repo: GitRepo) -> GitRepo:
    if os.geteuid() != 0:
        pytest.skip("giving a repository to another user needs root")
    git_repo.write("docs/p.md", "# Policy\n")
    git_repo.commit("add")
    _foreign(git_repo.path)
    return git_repo


def _assert_dubious(message: str, root: Path) -> None:
    assert "detected dubious ownership" in message  # git's own words
    assert f"git config --global --add safe.directory {root.resolve()}" in message  # and the fix


def test_dubious_ownership_is_a_git_error_with_the_fix_for_every_question(foreign_repo: GitRepo) -> None:
    tree = gitrepo.open_work_tree(foreign_repo.path / "docs")
    for ask in (tree.head, tree.is_shallow, tree.status, lambda: tree.log(["-1"])):
        with pytest.raises(GitError) as err:
            ask()
        _assert_dubious(str(err.value), foreign_repo.path)


def test_dubious_ownership_is_not_read_as_a_repository_without_commits(foreign_repo: GitRepo, tmp_path: Path) -> None:
    for cache in (None, str(tmp_path / "cache")):
        with pytest.raises(GitError) as err:
            read_history(foreign_repo.path / "docs", HistoryOptions(cache_dir=cache))
        _assert_dubious(str(err.value), foreign_repo.path)


def test_dubious_ownership_when_reading_blobs(foreign_repo: GitRepo) -> None:
    tree = gitrepo.open_work_tree(foreign_repo.path / "docs")
    with pytest.raises(GitError) as err:
        run_within(lambda: list(gitrepo.read_blobs(tree, ["0123456789abcdef0123456789abcdef01234567"] * MANY)))
    _assert_dubious(str(err.value), foreign_repo.path)


def test_a_failing_git_command_carries_its_stderr(git_repo: GitRepo) -> None:
    git_repo.write("docs/p.md", "# Policy\n")
    git_repo.commit("add")
    tree = gitrepo.open_work_tree(git_repo.path / "docs")
    with pytest.raises(GitError, match="no-such-revision"):
        tree.log(["no-such-revision"])


def test_mkdocs_build_of_a_repository_owned_by_another_user(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a repository to another user needs root")
    site = new_site(tmp_path)
    site.commit("site")
    _foreign(site.path)
    result = mkdocs_build(site.path, "--strict")
    assert result.returncode != 0
    assert "Traceback" not in result.stdout
    _assert_dubious(result.stdout, site.path)
