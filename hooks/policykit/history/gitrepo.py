"""Talking to git: find the work tree, run git, read blobs in one batch.

GitPython only finds the repository (it reads files; it runs no git).  Every
git command runs through ``WorkTree.run``, which raises one error type,
``GitError``, carrying git's own message (and the fix for a repository owned
by another user, "dubious ownership").  The blob contents are streamed through
one ``git cat-file --batch`` process (``BlobPipe``) that is always stopped,
whichever way the reading ends; ``git log`` can hand its output over while it
runs (``WorkTree.log_sink``).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, cast

import git

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]


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


#: Pipes to git streams are widened to this (Linux: F_SETPIPE_SZ; 1 MiB is the default limit for a user), so each
#: side wakes up, and takes Python's GIL, once per MiB rather than once per 64 KiB.
_PIPE_SIZE = 1 << 20
_SINK_CHUNK = 1 << 18
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031) if fcntl is not None else None


def _widen(*pipes: IO[bytes]) -> None:
    """Ask the kernel for larger pipe buffers; where it cannot (another OS, a lower limit), nothing changes."""
    if _F_SETPIPE_SZ is None or not sys.platform.startswith("linux"):
        return
    for pipe in pipes:
        try:
            fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
        except OSError:
            pass


@dataclass(frozen=True)
class WorkTree:
    """A git work tree and where the docs folder sits in it."""

    root: Path  # the work tree's top folder
    docs_prefix: str  # the docs folder relative to root, posix, "" when docs is the root
    repo: git.Repo
    #: When set, ``log`` hands git's output to it chunk by chunk while git still runs (see ``log``).
    log_sink: Callable[[bytes], None] | None = field(default=None, compare=False, repr=False)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(_GIT_ENV)
        return env

    def command(self, args: Iterable[str]) -> list[str]:
        """The argv of ``git <args>`` run in this work tree."""
        return ["git", "-C", str(self.root), "-c", "core.quotePath=false", *args]

    def run(self, args: Iterable[str], *, ok: tuple[int, ...] = (0,)) -> bytes:
        """Run ``git <args>`` and return its stdout; any other exit code is a GitError with git's stderr."""
        return self._run(list(args), ok).stdout

    def _run(self, args: list[str], ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[bytes]:
        try:
            proc = subprocess.run(self.command(args), capture_output=True, env=self.env(), stdin=subprocess.DEVNULL)
        except OSError as exc:  # git itself is missing or cannot start
            raise GitError(f"could not run git in {self.root}: {exc}. Install git and make sure it is on PATH.") from exc
        if proc.returncode not in ok:
            raise git_error(self.root, args, proc.returncode, proc.stderr)
        return proc

    def head(self) -> str | None:
        """HEAD's commit id, or None in a repository without commits."""
        # --verify -q: exit code 1 and no message when HEAD has no commit yet; anything else is a failure.
        proc = self._run(["rev-parse", "--verify", "-q", "HEAD^{commit}"], ok=(0, 1))
        if proc.returncode == 1:
            if proc.stderr.strip():
                raise git_error(self.root, ["rev-parse", "HEAD"], proc.returncode, proc.stderr)
            return None
        return proc.stdout.decode("ascii").strip() or None

    def is_shallow(self) -> bool:
        return self.run(["rev-parse", "--is-shallow-repository"]).strip() == b"true"

    def status(self) -> list[tuple[str, str]]:
        """Uncommitted changes under docs: (two-letter porcelain code, repo-relative path)."""
        out = self.run(
            ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", self.docs_prefix or "."]
        ).decode("utf-8", "surrogateescape")
        entries: list[tuple[str, str]] = []
        for item in out.split("\0"):
            if len(item) > 3:
                entries.append((item[:2], item[3:]))
        return entries

    def log(self, args: Iterable[str]) -> bytes:
        """Run one ``git log`` with *args* and return its raw output.

        With a ``log_sink`` (``dataclasses.replace(tree, log_sink=...)``), the
        output is also handed to the sink as it arrives, so the caller can work
        on the first commits while git computes the others.  Whatever stops
        the reading (git failing, the sink raising), git is killed if still
        running and reaped before the error goes on.
        """
        argv = ["log", "--no-color", *args]
        if self.log_sink is None:
            return self.run(argv)
        return self._stream(argv, self.log_sink)

    def _stream(self, args: list[str], sink: Callable[[bytes], None]) -> bytes:
        errors = tempfile.TemporaryFile()  # a file, not a pipe: git's stderr can never fill up and block it
        try:
            proc = subprocess.Popen(self.command(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors,
                                    env=self.env(), bufsize=0)
        except OSError as exc:
            errors.close()
            raise GitError(f"could not run git in {self.root}: {exc}. Install git and make sure it is on PATH.") from exc
        assert proc.stdout is not None
        out = cast(io.RawIOBase, proc.stdout)  # bufsize=0: the pipe's raw FileIO, which reads into a buffer
        _widen(proc.stdout)
        chunks: list[bytes] = []
        buffer = bytearray(_PIPE_SIZE)  # one buffer read into: no fresh megabyte for every read
        view = memoryview(buffer)
        try:
            filled, ended = 0, False
            while not ended:
                # Python reads faster than git writes, so a read returns a few KiB; the sink gets at least
                # _SINK_CHUNK at a time (2,700 calls became 50 on a 12 MB log), each costing a parse and a plan.
                while filled < _SINK_CHUNK:
                    size = out.readinto(view[filled:])
                    if not size:
                        ended = True
                        break
                    filled += size
                if filled:
                    chunk = bytes(view[:filled])
                    filled = 0
                    chunks.append(chunk)
                    sink(chunk)
            proc.wait()
            if proc.returncode != 0:
                errors.seek(0)
                raise git_error(self.root, args, proc.returncode, errors.read())
        finally:
            if proc.poll() is None:
                proc.kill()
            out.close()
            proc.wait()
            errors.close()
        return b"".join(chunks)


def git_error(root: Path, args: list[str], code: int, stderr: bytes) -> GitError:
    """One GitError for a failed git command: git's own message, and the fix when it is a known one."""
    message = stderr.decode("utf-8", "replace").strip() or f"exit code {code}"
    what = " ".join(args[:1])
    text = f"git {what} failed in {root}: {message}"
    if "dubious ownership" in message or "safe.directory" in message:
        text += (
            f"\nThe repository belongs to another user than the one running the build, so git refuses to read it. "
            f"Build as the repository's owner, or mark it as trusted: git config --global --add safe.directory {root}"
        )
    return GitError(text)


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


class BlobPipe:
    """One ``git cat-file --batch``: blob ids are asked with ``ask`` and read back, in the same order, with ``next``.

    Asking and reading are meant for two threads (the asker may block while
    the answers before are unread); ``kill`` stops ``cat-file`` if it still
    runs and reaps it, so a thread blocked on either pipe is released, and
    ``close`` then closes the pipes.  Every failure is a GitError carrying
    git's own message.
    """

    def __init__(self, tree: WorkTree) -> None:
        self.tree = tree
        self.errors = tempfile.TemporaryFile()  # a file, not a pipe: git's stderr can never fill up and block it
        try:
            # A large read buffer: most answers come from it without a system call (and without giving up the GIL).
            self.proc = subprocess.Popen(tree.command(["cat-file", "--batch"]), stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=self.errors, env=tree.env(), bufsize=_PIPE_SIZE)
        except OSError as exc:
            self.errors.close()
            raise GitError(f"could not run git in {tree.root}: {exc}. Install git and make sure it is on PATH.") from exc
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin: IO[bytes] = self.proc.stdin
        self.out: IO[bytes] = self.proc.stdout
        _widen(self.stdin, self.out)

    def ask(self, oids: Iterable[str]) -> None:
        """Ask for *oids* (OSError or ValueError when ``cat-file`` was stopped)."""
        self.stdin.write("".join(f"{oid}\n" for oid in oids).encode("ascii"))
        self.stdin.flush()

    def end(self) -> None:
        """No more requests: ``cat-file`` answers the last ones and exits."""
        try:
            self.stdin.close()
        except OSError:  # cat-file already gone: the reader reports why
            pass

    def next(self, oid: str) -> bytes:
        """The content of the next blob answered, which must be *oid*."""
        out = self.out
        header = out.readline()
        if not header:
            raise self.failure(f"stopped before object {oid}")
        parts = header.split()
        if len(parts) != 3:
            raise self.failure(f"object {oid} is missing ({header.decode(errors='replace').strip()})")
        size = int(parts[2])
        data = out.read(size)
        out.read(1)  # the newline after each object
        if len(data) != size:
            raise self.failure(f"object {oid} was cut short")
        return data

    def finish(self) -> None:
        """After ``end`` and the last ``next``: ``cat-file`` must have nothing more to say."""
        if self.out.read(1):
            raise self.failure("answered more than was asked")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def failure(self, what: str) -> GitError:
        self.kill()
        self.errors.seek(0)
        stderr = self.errors.read()
        if stderr.strip():
            return git_error(self.tree.root, ["cat-file"], self.proc.returncode, stderr)
        return GitError(f"git cat-file in {self.tree.root}: {what}")

    def close(self) -> None:
        """Kill cat-file if still running, reap it, close its pipes (call after the other thread is joined)."""
        self.kill()
        for pipe in (self.out, self.stdin):
            try:
                pipe.close()
            except OSError:
                pass
        self.errors.close()


def read_blobs(tree: WorkTree, oids: list[str]) -> Iterator[tuple[str, bytes]]:
    """Yield (oid, content) for each blob, in order, from one ``git cat-file --batch``.

    Requests are written from a thread while answers are read, so the pipe
    never stalls.  git's default delta-base cache (96 MiB) is kept: asked
    newest first, each blob's delta base has just been read, and a 1 GiB
    cache only cost page faults and memory (1.2 GiB for 4.4 GB of blobs).
    However the iteration ends (all read, a missing object, the consumer
    stopping early or raising), ``cat-file`` is killed if still running and
    reaped before the writer thread is joined, so nothing can block.
    """
    if not oids:
        return
    pipe = BlobPipe(tree)

    def feed() -> None:
        try:
            pipe.ask(oids)
            pipe.stdin.close()
        except (OSError, ValueError):  # cat-file was stopped (broken pipe) or the pipe was closed under us
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for oid in oids:
            yield oid, pipe.next(oid)
    finally:
        pipe.kill()
        writer.join()
        pipe.close()
