"""Talking to git: find the work tree, stream the log, read blobs in one batch.

GitPython finds the repository and answers the small questions (HEAD, shallow,
status).  The two bulk reads, the log and the blob contents, are plain pipes
to one ``git log`` and one ``git cat-file --batch`` process, because they must
stream and pipeline rather than ask one object at a time.
"""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import git


class GitError(Exception):
    """git could not answer; the message says what to do."""


class NotARepositoryError(GitError):
    """The docs folder is not inside a git work tree."""


class ShallowCloneError(GitError):
    """The clone is shallow, so history (and every date) would be wrong."""


NOT_A_REPO = (
    "{docs} is not inside a git repository, so the 'last modified' dates cannot be read "
    "from history. Build from a git clone of the site (git clone <url>), or set "
    "fallback_to_build_date: true to stamp every page with the build date instead."
)
SHALLOW = (
    "{root} is a shallow clone: git history is cut off, so 'last modified' dates and "
    "version numbers would be wrong. Fetch the full history with 'git fetch --unshallow' "
    "(in CI: 'fetch-depth: 0' for actions/checkout), or set fallback_to_build_date: true "
    "to stamp every page with the build date instead."
)

#: Environment for every git process: no pager, no prompts, stable output.
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}


@dataclass(frozen=True)
class WorkTree:
    """A git work tree and where the docs folder sits in it."""

    root: Path  # the work tree's top folder
    docs_prefix: str  # the docs folder relative to root, posix, "" when docs is the root
    repo: git.Repo

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(_GIT_ENV)
        return env

    def head(self) -> str | None:
        """HEAD's commit id, or None in a repository without commits."""
        try:
            return self.repo.git.rev_parse("--verify", "-q", "HEAD^{commit}").strip() or None
        except git.GitCommandError:
            return None

    def is_shallow(self) -> bool:
        return self.repo.git.rev_parse("--is-shallow-repository").strip() == "true"

    def status(self) -> list[tuple[str, str]]:
        """Uncommitted changes under docs: (two-letter porcelain code, repo-relative path)."""
        out = self.repo.git.status(
            "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", self.docs_prefix or ".",
            strip_newline_in_stdout=False,
        )
        entries: list[tuple[str, str]] = []
        for item in out.split("\0"):
            if len(item) > 3:
                entries.append((item[:2], item[3:]))
        return entries

    def log(self, args: Iterable[str]) -> bytes:
        """Run one ``git log`` with *args* and return its raw output."""
        cmd = ["git", "-C", str(self.root), "-c", "core.quotePath=false", "log", "--no-color", *args]
        proc = subprocess.run(cmd, capture_output=True, env=self.env())
        if proc.returncode != 0:
            raise GitError(f"git log failed in {self.root}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout


def open_work_tree(docs_dir: str | os.PathLike[str]) -> WorkTree:
    """Find the git work tree that holds *docs_dir*."""
    docs = Path(docs_dir).resolve()
    try:
        repo = git.Repo(docs, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise NotARepositoryError(NOT_A_REPO.format(docs=docs)) from exc
    if repo.bare or repo.working_tree_dir is None:
        raise NotARepositoryError(NOT_A_REPO.format(docs=docs))
    root = Path(repo.working_tree_dir).resolve()
    try:
        rel = docs.relative_to(root).as_posix()
    except ValueError as exc:
        raise NotARepositoryError(NOT_A_REPO.format(docs=docs)) from exc
    return WorkTree(root=root, docs_prefix="" if rel == "." else rel, repo=repo)


def read_blobs(tree: WorkTree, oids: list[str]) -> Iterator[tuple[str, bytes]]:
    """Yield (oid, content) for each blob, in order, from one ``git cat-file --batch``.

    Requests are written from a thread while answers are read, so the pipe
    never stalls.  A large delta-base cache keeps packed histories fast.
    """
    if not oids:
        return
    cmd = ["git", "-C", str(tree.root), "-c", "core.deltaBaseCacheLimit=1g", "cat-file", "--batch"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tree.env())
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        try:
            for oid in oids:
                proc.stdin.write(oid.encode("ascii") + b"\n")
            proc.stdin.close()
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out = proc.stdout
    try:
        for oid in oids:
            header = out.readline()
            parts = header.split()
            if len(parts) != 3:
                raise GitError(f"git cat-file: object {oid} is missing ({header.decode(errors='replace').strip()})")
            size = int(parts[2])
            data = out.read(size)
            out.read(1)  # the newline after each object
            yield oid, data
    finally:
        writer.join()
        out.close()
        proc.wait()
        if proc.stderr:
            proc.stderr.close()
