"""Policy versions from git history, read once per build.

The rules (see README, "How dates are decided"):

* A version is a commit on HEAD's first-parent history in which the file's
  policy text changed.  Its date is the commit's committer date by default
  (when the change was published on the branch), or the author date.
* Not a version: a change to whitespace only, to front matter only, a pure
  move or rename (history follows the file across ``git mv``), and any commit
  listed in the ignore-revs file.
* A file with uncommitted changes, or never committed, is a draft.

One ``git log`` over the whole history gives every change; one
``git cat-file --batch`` reads the blobs whose text must be compared, while
the log is still being written (``_StreamedLog``), and ``same_text`` decides
most comparisons from the bytes that differ, so only whitespace-only changes
are normalised.  A small on-disk cache remembers each
blob's front matter and what was decided about it, so that later builds read
only new blobs; ``history_cache`` keys and checks those files, so they can
make a build faster but never change its answer.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import queue
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal

from policykit.history import cache as history_cache, gitrepo
from policykit.dates import build_time
from policykit.history.gitrepo import GitError, NotARepositoryError, ShallowCloneError, WorkTree
from policykit.source.text import content_key, raw_front_matter, same_text

log = logging.getLogger("mkdocs.policykit.history")

DateSource = Literal["committer", "author"]
_SUBMODULE = "160000"
_TEXT_SUFFIXES = (".md", ".markdown")
_HEX = re.compile(r"^[0-9a-fA-F]{7,64}$")

__all__ = [
    "GitError",
    "NotARepositoryError",
    "ShallowCloneError",
    "Version",
    "FrontMatterRevision",
    "Retirement",
    "FileHistory",
    "History",
    "HistoryOptions",
    "read_history",
    "load_history",
]


@dataclass(frozen=True)
class FrontMatterRevision:
    """A commit that changed only the front matter of a version (its text stayed the same).

    (Added for policy-effective dates, section 3 of issue 9: a version's effective
    date is the latest committed value while its text is unchanged.)
    """

    commit: str
    date: datetime  # from the configured date source, like a version's
    front_matter: str  # the raw YAML front matter after that commit


@dataclass(frozen=True)
class Version:
    """One version of one file."""

    number: int  # 1-based, in first-parent order
    commit: str
    date: datetime  # timezone-aware, from the configured date source
    author: str
    author_email: str
    subject: str
    blob: str
    path: str  # repo-relative path at that commit
    src_path: str  # docs-relative path at that commit
    front_matter: str = ""  # the raw YAML front matter at that version
    #: Later commits that changed only the front matter, oldest first, before the next version (issue 9, section 3).
    later_front_matter: tuple[FrontMatterRevision, ...] = ()


@dataclass(frozen=True)
class Retirement:
    """The commit that deleted a file."""

    commit: str
    date: datetime
    subject: str


@dataclass(frozen=True)
class FileHistory:
    """Everything history says about one source file."""

    src_path: str  # docs-relative path now (or when it was deleted)
    versions: tuple[Version, ...] = ()
    retired: Retirement | None = None  # set when the file is deleted at HEAD
    draft: bool = False  # uncommitted changes, or never committed

    @property
    def latest(self) -> Version | None:
        return self.versions[-1] if self.versions else None


@dataclass(frozen=True)
class HistoryOptions:
    """How to read history; every field comes from site configuration."""

    date_source: DateSource = "committer"
    ignore_revs_file: str | None = None  # None: ".git-blame-ignore-revs" when it exists
    fallback_to_build_date: bool = False
    cache_dir: str | None = None  # None: no on-disk cache


@dataclass
class History:
    """Versions of every file under the docs folder."""

    docs_dir: Path
    head: str | None
    files: dict[str, FileHistory] = field(default_factory=dict)
    fallback_date: datetime | None = None  # set when history is unavailable and fallback is on
    fallback_reason: str | None = None
    root: Path | None = None
    docs_prefix: str = ""
    seconds: float = 0.0
    head_date: datetime | None = None  # HEAD's committer date

    def get(self, src_path: str) -> FileHistory:
        """The history of *src_path* (docs-relative); empty when git knows nothing of it."""
        found = self.files.get(src_path)
        if found is not None:
            return found
        return FileHistory(src_path=src_path, draft=self.fallback_date is None)

    @property
    def drafts(self) -> list[str]:
        return sorted(p for p, f in self.files.items() if f.draft)

    @property
    def retired(self) -> list[FileHistory]:
        return [f for _, f in sorted(self.files.items()) if f.retired is not None]

    def last_modified(self, src_path: str) -> datetime | None:
        """The instant to show as "last modified": the latest version's date, or the fallback."""
        if self.fallback_date is not None:
            return self.fallback_date
        latest = self.get(src_path).latest
        return latest.date if latest else None


# --------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Change:
    status: str  # A, M, D, R, T
    old_mode: str
    new_mode: str
    old_blob: str
    new_blob: str
    old_path: str
    new_path: str


@dataclass(slots=True)
class _Commit:
    oid: str
    committer_date: datetime
    author_date: datetime
    author: str
    author_email: str
    subject: str
    changes: list[_Change]


_LOG_FORMAT = "%x1e%H%x1f%cI%x1f%aI%x1f%an%x1f%ae%x1f%s"


def _parse_log(raw: bytes) -> list[_Commit]:
    """Parse ``git log --raw -z`` output (newest first, as git prints it) into commits, oldest first.

    GitError when it is not such output.
    """
    parser = _LogParser()
    parser.feed(raw)
    return parser.close()[::-1]


class _LogParser:
    """``git log --raw -z`` output, parsed chunk by chunk as git writes it (``commits``: newest first).

    The output is a sequence of NUL-separated tokens; a chunk may end inside
    one, so the last, unfinished token waits for the next chunk.  Feeding the
    whole output at once or in any cut gives the same commits.
    """

    def __init__(self) -> None:
        self.commits: list[_Commit] = []
        self._rest = b""
        self._meta: list[str] = []  # the change whose paths come next
        self._paths: list[str] = []
        self._need = 0  # how many path tokens the change still needs

    def feed(self, chunk: bytes) -> None:
        tokens = (self._rest + chunk).split(b"\0") if self._rest else chunk.split(b"\0")
        self._rest = tokens.pop()
        self._guarded(tokens)

    def close(self) -> list[_Commit]:
        self._guarded([self._rest])
        self._rest = b""
        if self._need:
            raise GitError("unexpected git log output (a change without its path)")
        return self.commits

    def _guarded(self, tokens: list[bytes]) -> None:
        try:
            self._tokens(tokens)
        except (IndexError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            raise GitError(f"unexpected git log output ({exc})") from exc

    def _tokens(self, tokens: list[bytes]) -> None:
        commits = self.commits
        current = commits[-1] if commits else None
        need, meta, paths = self._need, self._meta, self._paths
        for tok in tokens:
            if need:
                paths.append(tok.decode("utf-8", "surrogateescape"))
                need -= 1
                if not need:
                    old_mode, new_mode, old_blob, new_blob, kind = meta
                    assert current is not None
                    current.changes.append(_Change(kind, old_mode, new_mode, old_blob, new_blob, paths[0], paths[-1]))
                    paths = []
                continue
            tok = tok.lstrip(b"\n")
            if not tok:
                continue
            first = tok[0]
            if first == 0x3A and current is not None:  # ":"
                meta = tok[1:].decode("ascii").split(" ")
                if len(meta) != 5 or not meta[4]:
                    raise GitError(f"unexpected git log output near {tok[:60]!r}")
                meta[4] = meta[4][:1]
                need = 2 if meta[4] in ("R", "C") else 1
                continue
            if first == 0x1E:
                fields = tok[1:].decode("utf-8", "replace").split("\x1f")
                if len(fields) < 3 or not _HEX.match(fields[0]):
                    raise GitError(f"unexpected git log output near {tok[:60]!r}")
                oid, cdate, adate = fields[0], fields[1], fields[2]
                author = fields[3] if len(fields) > 3 else ""
                email = fields[4] if len(fields) > 4 else ""
                subject = "\x1f".join(fields[5:])
                committed = _commit_date(oid, "committer", cdate)
                authored = committed if adate == cdate else _commit_date(oid, "author", adate)
                current = _Commit(oid, committed, authored, author, email, subject, [])
                commits.append(current)
                continue
            raise GitError(f"unexpected git log output near {tok[:60]!r}")
        self._need, self._meta, self._paths = need, meta, paths


#: Dates every output format can carry: gzip and HTTP dates, file mtimes, git itself (1970 to 2106).
_FIRST_DATE = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LAST_DATE = datetime(2106, 2, 7, tzinfo=timezone.utc)


def _commit_date(oid: str, which: str, raw: str) -> datetime:
    """A commit's date, or GitError when git cannot print it or it lies outside 1970-2106."""
    try:
        when = datetime.fromisoformat(raw)
    except ValueError as exc:  # git prints the placeholder itself for a date it cannot represent (before 1970)
        raise GitError(f"commit {oid}: its {which} date is unreadable (git prints {raw[:40]!r}). {_date_fix(oid, which)}") from exc
    if "1970" < raw[:4] < "2106":  # a year 1971-2105 in any time zone is inside the range: no need to compare instants
        return when
    if not _FIRST_DATE <= when < _LAST_DATE:
        raise GitError(f"commit {oid}: its {which} date {raw} is outside 1970-2106, so it cannot be a real publication date. "
                       f"{_date_fix(oid, which)}")
    return when


def _date_fix(oid: str, which: str) -> str:
    return (f"Correct the {which} date of commit {oid[:12]} (e.g. 'git rebase -i' and "
            f"'git commit --amend --date=...' before publishing; a wrong clock is the usual cause).")


def _read_ignore_revs(root: Path, configured: str | None) -> list[str]:
    path = Path(configured) if configured else Path(".git-blame-ignore-revs")
    if not path.is_absolute():
        path = root / path
    if not path.exists():
        if configured:
            raise GitError(f"ignore_revs_file {path} does not exist. Create it (one commit id per line) or remove the setting.")
        return []
    revs: list[str] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if not _HEX.match(line):
            raise GitError(f"{path}:{lineno}: '{line}' is not a commit id. Put one full commit id per line; '#' starts a comment.")
        revs.append(line.lower())
    return revs


_CONTENT_KEY = re.compile(r"^[0-9a-f]{32}$")


class _BlobCache:
    """blob id -> [content key or "", raw front matter, ids of blobs whose text it differs from], across builds.

    What the lineage walk asks is whether a blob has the same policy text as
    the blob before it.  Most answers come from ``same_text`` (the lines that
    differ have different visible characters), so a blob's content key is
    only computed when that cannot tell; a visible difference is remembered
    in the newer blob's entry.  The file is keyed and checksummed by
    ``history_cache``; its entries are checked one by one, and any entry of
    the wrong shape discards the file.
    """

    def __init__(self, cache_dir: str | None, key: str) -> None:
        self.path = Path(cache_dir) / "blobs.bin" if cache_dir else None
        self.key = key
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        if self.path is None:
            return
        found = history_cache.read(self.path, key)
        if found is None:
            return
        try:
            header, payload = found
            data = json.loads(payload.decode("utf-8"))
            if not isinstance(data, dict) or header.get("entries") != len(data):
                raise ValueError("not the mapping its header announces")
            for oid, value in data.items():
                if not (_HEX.match(oid) and isinstance(value, list) and len(value) == 3
                        and isinstance(value[0], str) and (value[0] == "" or _CONTENT_KEY.match(value[0]))
                        and isinstance(value[1], str) and isinstance(value[2], list)
                        and all(isinstance(o, str) and _HEX.match(o) for o in value[2])):
                    raise ValueError(f"entry {oid[:16]!r} is malformed")
        except ValueError as exc:
            history_cache.damaged(self.path, exc)
            return
        self.entries = data

    def front_matter(self, oid: str) -> str:
        found = self.entries.get(oid)
        return found[1] if found is not None else ""

    def same(self, old: str, new: str) -> bool | None:
        """Whether two blobs hold the same policy text, as far as the entries tell; None when they do not."""
        a, b = self.entries.get(old), self.entries.get(new)
        if a is None or b is None:
            return None
        if old in b[2] or new in a[2]:
            return False
        if a[0] and b[0]:
            return bool(a[0] == b[0])
        return None

    def fill(self, tree: WorkTree, oids: Iterable[str], pairs: Iterable[tuple[str, str]] = ()) -> None:
        """Read what the entries lack: every blob of *oids* without one, both blobs of each undecided pair.

        Blobs are read once, newest first, and each is held only until the
        pairs it belongs to are decided (about one blob per file).
        """
        todo = [p for p in dict.fromkeys(pairs) if p[0] != p[1] and self.same(*p) is None]
        wanted = [o for o in oids if o not in self.entries]
        for old, new in todo:
            wanted += (old, new)
        # Newest first: a pack keeps the newest version of a file whole and the older ones as deltas against it,
        # so each blob's delta base has just been read (on the long-documents corpus 5.5 s instead of 9.8 s).
        order = list(dict.fromkeys(wanted))[::-1]
        if not order:
            return
        of: dict[str, list[int]] = {}
        for n, (old, new) in enumerate(todo):
            of.setdefault(old, []).append(n)
            of.setdefault(new, []).append(n)
        left = {oid: len(found) for oid, found in of.items()}
        held: dict[str, bytes] = {}
        for oid, data in gitrepo.read_blobs(tree, order):
            if oid not in self.entries:
                self.entries[oid] = ["", raw_front_matter(data).decode("utf-8", "replace"), []]
                self.dirty = True
            if not left.get(oid):
                continue
            held[oid] = data
            for n in of[oid]:
                old, new = todo[n]
                if old not in held or new not in held:
                    continue  # the other blob comes later
                self._decide(old, new, held[old], held[new])
                for side in {old, new}:
                    left[side] -= 1
                    if not left[side]:
                        del held[side]

    def _decide(self, old: str, new: str, old_data: bytes, new_data: bytes) -> None:
        if self.same(old, new) is not None:
            return
        verdict = same_text(old_data, new_data)
        a, b = self.entries[old], self.entries[new]
        if verdict is False:
            b[2] = sorted({*b[2], old})
        elif verdict is True and (a[0] or b[0]):  # the same body (a front-matter-only commit): the same key
            a[0] = b[0] = a[0] or b[0]
        else:  # the same body without a key yet, or only invisible changes: the content keys decide
            a[0] = a[0] or content_key(old_data)
            b[0] = b[0] or (a[0] if verdict else content_key(new_data))
        self.dirty = True

    def save(self) -> None:
        if not (self.path and self.dirty):
            return
        payload = json.dumps(self.entries, separators=(",", ":"), sort_keys=True).encode("utf-8")
        history_cache.write(self.path, self.key, payload, entries=len(self.entries))
        self.dirty = False


def _wanted(ch: _Change, in_docs: Callable[[str], bool]) -> tuple[str | None, str | None]:
    """The blobs the lineage walk may need of a change: (the blob before, to compare with, or None; the blob after, or None).

    Both sides of every text change inside docs, the blob after of every
    other text file added or changed there; nothing for deletions and submodules.
    """
    if ch.new_mode == _SUBMODULE or ch.old_mode == _SUBMODULE:
        return None, None
    status = ch.status
    if status == "D" or not (in_docs(ch.new_path) and _is_text(ch.new_path)):
        return None, None
    if status in ("M", "R", "T") and ch.old_blob != ch.new_blob and ch.old_blob.strip("0"):
        return ch.old_blob, ch.new_blob
    return None, ch.new_blob


class _StopReading(Exception):
    """cat-file stopped while the log was still being read (the reader thread says why)."""


class _StreamedLog:
    """The whole log read while git writes it, and the blobs it names read meanwhile by one ``git cat-file``.

    Three things run at once: ``git log`` (newest first), ``git cat-file
    --batch``, and this process, whose main thread parses the log as it
    arrives and asks ``cat-file`` for each blob as soon as a change names it,
    while a second thread reads the answers and decides each pair of blobs
    (``_BlobCache._decide``).  The asking side plans everything and tells the
    answering side, through a queue and *before* writing the requests, what
    to do with each answer: keep the blob, decide a pair, drop the blob.  A
    blob is asked at the change that made it, and the blob after of a change
    is kept until the blob before it (made by an older change, so later in
    the log) has been read; so about one blob per file is held, and a pair
    whose blob was dropped (a revert) asks for it again.  Neither side waits
    on the other while holding a pipe: the answers are read whatever the
    asking side does, so a full pipe only slows git down.  On any error
    ``cat-file`` (and, through ``WorkTree.log``, ``git log``) is killed and
    reaped, the thread is joined,
    and the first cause is raised.
    """

    def __init__(self, tree: WorkTree, cache: _BlobCache) -> None:
        self.tree, self.cache = tree, cache
        self.parser = _LogParser()
        self.planned = 0  # commits of the parser already planned
        self.asked: set[str] = set()
        self.held: set[str] = set()  # asked and not dropped: what the answering side holds
        self.refs: dict[str, int] = {}  # held blob -> how many pairs wait with it as the blob after
        self.waiting: dict[str, list[str]] = {}  # a blob not asked yet -> the blobs after of the pairs it is the blob before of
        self.events: queue.SimpleQueue[list[tuple[Any, ...]] | None] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.pipe: gitrepo.BlobPipe | None = None
        self.in_docs = _in_docs_test(tree.docs_prefix)

    def read(self, args: list[str]) -> tuple[bytes, list[_Commit]]:
        """Run ``git log`` with *args*: its raw output and its commits, oldest first."""
        pipe = self.pipe = gitrepo.BlobPipe(self.tree)
        answering = threading.Thread(target=self._answer, name="policykit-blobs", daemon=True)
        answering.start()
        try:
            try:
                raw = replace(self.tree, log_sink=self._feed).log(args)
                commits = self.parser.close()
                self._plan(commits[self.planned:], last=True)
                pipe.end()
                self.events.put(None)
                answering.join()
            except BaseException as exc:
                pipe.kill()  # releases the answering thread if it waits for cat-file
                self.events.put(None)  # and if it waits for the next plan
                answering.join()
                if isinstance(exc, _StopReading) and self.error is not None:
                    raise self.error from None  # cat-file stopped first: its reason
                raise  # (an error of the answering side now is the kill's)
            if self.error is not None:
                raise self.error
        except _StopReading:
            raise GitError(f"git cat-file in {self.tree.root} stopped while the history was read") from None
        finally:
            pipe.close()
        return raw, commits[::-1]

    def _feed(self, chunk: bytes) -> None:
        self.parser.feed(chunk)
        commits = self.parser.commits
        if len(commits) - 1 > self.planned:  # the last one may still get changes
            self._plan(commits[self.planned:-1])

    def _plan(self, commits: list[_Commit], last: bool = False) -> None:
        """Plan the blobs of *commits* (newest first): what to ask, and what to do with each answer.

        Each blob is asked at the change that makes it (its first-parent
        commit), so they come newest first, as they were made: a pack keeps
        the newest version of a file whole and the older ones as deltas against
        it, so each blob's delta base has just been read (the long-documents
        archive: 2.8 s of cat-file, against 25 s when each older blob is asked
        at the change that replaces it).  The blob after of a change is held
        until the blob before is read; with *last*, the blobs before that no
        change inside docs made are asked at the end.
        """
        self.planned += len(commits)
        events: list[tuple[Any, ...]] = []
        oids: list[str] = []
        cache, entries, asked, held, refs, waiting = self.cache, self.cache.entries, self.asked, self.held, self.refs, self.waiting
        in_docs = self.in_docs
        done: list[str] = []  # blobs that may be dropped once the change is planned

        def ask(oid: str) -> None:
            events.append((0, oid))
            oids.append(oid)
            held.add(oid)
            asked.add(oid)
            for new in waiting.pop(oid, ()):  # the pairs that waited for this blob before
                events.append((1, oid, new))
                left = refs[new] - 1
                if left:
                    refs[new] = left
                else:
                    del refs[new]
                    done.append(new)

        def drop() -> None:
            for oid in done:
                if oid in held and oid not in refs:
                    held.discard(oid)
                    events.append((2, oid))
            done.clear()

        for c in commits:
            for ch in c.changes:
                old, new = _wanted(ch, in_docs)
                if new is None:
                    continue
                if new not in asked and (new not in entries or new in waiting):
                    ask(new)
                if old is not None and cache.same(old, new) is None:
                    if new not in held:
                        ask(new)  # asked before and dropped (a revert, the same text in two files): again
                    if old in asked:
                        if old not in held:
                            ask(old)
                        events.append((1, old, new))
                        done.append(old)
                    else:  # decided when the blob before is read, at the older change that made it
                        waiting.setdefault(old, []).append(new)
                        refs[new] = refs.get(new, 0) + 1
                done.append(new)
                drop()
        if last:
            for old in list(waiting):
                ask(old)
                done.append(old)
            drop()
        if events:
            self.events.put(events)  # first the plan, then the requests: the answering side never waits for a request
        if oids:
            assert self.pipe is not None
            try:
                self.pipe.ask(oids)
            except (OSError, ValueError) as exc:
                raise _StopReading() from exc

    def _answer(self) -> None:
        """The answering thread: each blob as planned, until the end of the plan."""
        pipe, cache = self.pipe, self.cache
        assert pipe is not None
        entries = cache.entries
        held: dict[str, bytes] = {}
        try:
            while True:
                plan = self.events.get()
                if plan is None:
                    pipe.finish()
                    return
                for event in plan:
                    kind, oid = event[0], event[1]
                    if kind == 0:
                        data = held[oid] = pipe.next(oid)
                        if oid not in entries:
                            entries[oid] = ["", raw_front_matter(data).decode("utf-8", "replace"), []]
                            cache.dirty = True
                    elif kind == 1:
                        new = event[2]
                        cache._decide(oid, new, held[oid], held[new])
                    else:
                        del held[oid]
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc
            pipe.kill()


@dataclass
class _Lineage:
    path: str
    versions: list[Version] = field(default_factory=list)
    last_blob: str | None = None
    retired: Retirement | None = None
    last_fm: str | None = None  # the front matter last committed for the newest version
    revisions: dict[int, list[FrontMatterRevision]] = field(default_factory=dict)  # version index -> later front matter

    def finished(self) -> tuple[Version, ...]:
        """The versions, each with the front-matter-only commits made after it."""
        return tuple(
            replace(v, later_front_matter=tuple(self.revisions[i])) if i in self.revisions else v
            for i, v in enumerate(self.versions)
        )


@lru_cache(maxsize=1 << 16)  # a few thousand paths, each asked about once per change
def _is_text(path: str) -> bool:
    return path.lower().endswith(_TEXT_SUFFIXES)


def read_history(docs_dir: str | os.PathLike[str], options: HistoryOptions = HistoryOptions(), *, build_date: datetime | None = None) -> History:
    """Read the versions of every file under *docs_dir* from git.

    Raises NotARepositoryError or ShallowCloneError (with what to do) unless
    ``options.fallback_to_build_date`` is set, in which case every file is
    stamped with *build_date* and the reason is kept in ``fallback_reason``.
    """
    started = time.perf_counter()
    docs = Path(docs_dir).resolve()
    try:
        tree = gitrepo.open_work_tree(docs)
        if tree.is_shallow():
            raise ShallowCloneError(gitrepo.SHALLOW.format(root=tree.root))
    except (NotARepositoryError, ShallowCloneError) as exc:
        if not options.fallback_to_build_date:
            raise
        when = build_date or build_time()
        log.info("fallback_to_build_date: every page is stamped with the build date %s, because: %s", when.isoformat(), exc)
        return History(docs_dir=docs, head=None, fallback_date=when, fallback_reason=str(exc))

    head = tree.head()
    prefix = tree.docs_prefix
    files: dict[str, FileHistory] = {}
    head_date: datetime | None = None
    if head is not None:
        with _collector_paused():
            files, head_date = _versions_from_log(tree, options, head)
    for code, repo_path in tree.status():
        src = _src_path(prefix, repo_path)
        if src is None or code == " D" or code == "D ":
            continue
        existing = files.get(src) or FileHistory(src_path=src)
        files[src] = FileHistory(src_path=src, versions=existing.versions, retired=None, draft=True)
    # Files that are committed and present but have no version (only ignored commits) are drafts too.
    for src, fh in list(files.items()):
        if not fh.versions and fh.retired is None and not fh.draft:
            files[src] = FileHistory(src_path=src, draft=True)
    hist = History(docs_dir=docs, head=head, files=files, root=tree.root, docs_prefix=prefix, head_date=head_date)
    hist.seconds = time.perf_counter() - started
    (log.info if hist.seconds > 2 else log.debug)(
        "Read git history of %d files in %.2f s", len(files), hist.seconds
    )
    return hist


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while history is read.

    The read makes a few hundred thousand objects that live on and form no
    cycles (on the 40,000-commit corpus: commits, changes, blob entries,
    versions), so each collection the allocations trigger walks them all
    again for nothing: 0.7-0.9 s of 3 s of Python there.  Whatever was
    collected is collected when the collector runs next.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _in_docs_test(prefix: str) -> Callable[[str], bool]:
    """``path -> is it under the docs folder`` for *prefix*, each path decided once (the log repeats them)."""
    docs: dict[str, bool] = {}

    def in_docs(path: str) -> bool:
        found = docs.get(path)
        if found is None:
            found = docs[path] = _src_path(prefix, path) is not None
        return found

    return in_docs


def _src_path(prefix: str, repo_path: str) -> str | None:
    if not prefix:
        return repo_path
    if repo_path.startswith(prefix + "/"):
        return repo_path[len(prefix) + 1:]
    return None


_LOG_ARGS = (
    "--first-parent",
    "--diff-merges=first-parent",
    "--root",  # the root commit's files, whatever log.showRoot says
    "-M",
    "-l1000",  # the rename limit pinned: a user's diff.renameLimit must not change history
    "--raw",
    "--no-abbrev",
    "-z",
    "--no-show-signature",
    "--encoding=UTF-8",
    f"--format={_LOG_FORMAT}",
)


def _read_log(tree: WorkTree, head: str, cache_dir: str | None, key: str,
              blobs: _BlobCache | None = None) -> tuple[list[_Commit], bool]:
    """The first-parent log up to *head*, oldest first; and whether *blobs* was filled while reading it.

    With a cache folder, the log of the previous build is kept (with its HEAD
    and the cache key) and only the commits since are asked for, when that
    HEAD is still on the first-parent chain of this one (a new commit, a
    merge, a pull); after a rewrite (rebase, reset, ``git replace``, grafts)
    the whole log is read again.  A cached log is used only when its checksum
    matches, it parses completely and its last commit is the HEAD it was saved for.
    The whole log is read with ``_StreamedLog``, which fills *blobs* meanwhile.
    git prints the log newest first, and so it is kept; the commits are returned oldest first.
    """
    path = Path(cache_dir) / "log.bin" if cache_dir else None
    cached = _cached_log(path, key) if path is not None else None
    if cached is not None:
        old, old_raw, old_commits = cached
        if old == head:
            return old_commits, False
        try:
            chain = tree.log(["--first-parent", "--format=%H %P", f"{old}..{head}"]).split(b"\n")
            chain = [line for line in chain if line.strip()]
            if chain and chain[-1].split()[1:2] == [old.encode("ascii")]:
                new_raw = tree.log([*_LOG_ARGS, f"{old}..{head}"])
                new_commits = _parse_log(new_raw)
                if new_commits and new_commits[-1].oid == head:
                    commits = old_commits + new_commits
                    _save_log(path, key, head, new_raw + old_raw, len(commits))
                    return commits, False
        except GitError:
            pass  # the old HEAD is gone: read everything
    if blobs is not None:
        raw, commits = _StreamedLog(tree, blobs).read([*_LOG_ARGS, head])
    else:
        raw = tree.log([*_LOG_ARGS, head])
        commits = _parse_log(raw)
    if path is not None and commits and commits[-1].oid == head:
        _save_log(path, key, head, raw, len(commits))
    return commits, blobs is not None


def _cached_log(path: Path, key: str) -> tuple[str, bytes, list[_Commit]] | None:
    """(HEAD, raw log, parsed log) of the cache file, when it passes every check."""
    found = history_cache.read(path, key)
    if found is None:
        return None
    header, raw = found
    head, count = header.get("head"), header.get("commits")
    try:
        if not (isinstance(head, str) and _HEX.match(head) and isinstance(count, int)):
            raise ValueError("its header has no HEAD or commit count")
        commits = _parse_log(raw)
        if len(commits) != count or not commits or commits[-1].oid != head:
            raise ValueError(f"it holds {len(commits)} commits ending at {commits[-1].oid[:12] if commits else 'none'}, "
                             f"not {count} ending at {head[:12]}")
    except (ValueError, GitError) as exc:
        history_cache.damaged(path, exc)
        return None
    return head, raw, commits


def _save_log(path: Path | None, key: str, head: str, raw: bytes, count: int) -> None:
    if path is not None:
        history_cache.write(path, key, raw, head=head, commits=count)


def _versions_from_log(tree: WorkTree, options: HistoryOptions, head: str) -> tuple[dict[str, FileHistory], datetime | None]:
    """Every file's versions, and HEAD's committer date."""
    key = history_cache.cache_key(tree, _LOG_ARGS) if options.cache_dir else ""
    cache = _BlobCache(options.cache_dir, key)
    commits, filled = _read_log(tree, head, options.cache_dir, key, cache)
    prefix = tree.docs_prefix
    ignored_prefixes = _read_ignore_revs(tree.root, options.ignore_revs_file)
    ignored = {c.oid for c in commits if any(c.oid.startswith(p) for p in ignored_prefixes)} if ignored_prefixes else set()
    in_docs = _in_docs_test(prefix)

    if not filled:
        # Which blobs must be read: both sides of every text change inside docs, oldest first; and the pairs to compare.
        needed: dict[str, None] = {}
        pairs: list[tuple[str, str]] = []
        for c in commits:
            for ch in c.changes:
                old, new = _wanted(ch, in_docs)
                if new is None:
                    continue
                if old is not None:
                    needed[old] = None
                    pairs.append((old, new))
                needed[new] = None
        cache.fill(tree, needed, pairs)

    live: dict[str, _Lineage] = {}
    gone: dict[str, _Lineage] = {}
    by_date = options.date_source == "author"

    for c in commits:
        when = c.author_date if by_date else c.committer_date
        is_ignored = c.oid in ignored
        # Moves and deletions first, so an add at a freed path starts (or revives) its own lineage.
        ordered = c.changes if len(c.changes) < 2 else sorted(c.changes, key=lambda ch: 0 if ch.status in ("R", "D") else 1)
        for ch in ordered:
            if ch.new_mode == _SUBMODULE and ch.old_mode in (_SUBMODULE, "000000"):
                continue
            src_in, dst_in = in_docs(ch.old_path), in_docs(ch.new_path)
            if ch.status == "D" or ch.new_mode == _SUBMODULE:
                if src_in and ch.old_path in live:
                    lin = live.pop(ch.old_path)
                    lin.retired = Retirement(c.oid, when, c.subject)
                    gone[ch.old_path] = lin
                continue
            if ch.status == "R":
                moved = live.pop(ch.old_path, None) if src_in else None
                if not dst_in:
                    if moved is not None:
                        moved.retired = Retirement(c.oid, when, c.subject)
                        gone[ch.old_path] = moved
                    continue
                if moved is None:
                    lin = _revive(gone, ch.new_path)
                    changed = True
                else:
                    lin = moved
                    changed = _text_changed(cache, tree, ch.old_path, lin.last_blob or ch.old_blob, ch.new_blob)
                lin.path = ch.new_path
                live[ch.new_path] = lin
            elif ch.status == "A":
                if not dst_in:
                    continue
                lin = live.get(ch.new_path) or _revive(gone, ch.new_path)
                live[ch.new_path] = lin
                changed = True
            else:  # M, T
                if not dst_in:
                    continue
                current = live.get(ch.new_path)
                if current is None:
                    lin = _revive(gone, ch.new_path)
                    live[ch.new_path] = lin
                    changed = True
                else:
                    lin = current
                    changed = _text_changed(cache, tree, ch.new_path, lin.last_blob or ch.old_blob, ch.new_blob)
            lin.last_blob = ch.new_blob
            fm = cache.front_matter(ch.new_blob)
            if not (changed and not is_ignored):
                # Not a version, yet its front matter (e.g. the effective date) may have changed (issue 9, section 3).
                if lin.versions and _is_text(ch.new_path) and fm != lin.last_fm:
                    lin.revisions.setdefault(len(lin.versions) - 1, []).append(FrontMatterRevision(c.oid, when, fm))
                    lin.last_fm = fm
            if changed and not is_ignored:
                lin.last_fm = fm
                lin.versions.append(
                    Version(
                        number=len(lin.versions) + 1,
                        commit=c.oid,
                        date=when,
                        author=c.author,
                        author_email=c.author_email,
                        subject=c.subject,
                        blob=ch.new_blob,
                        path=ch.new_path,
                        src_path=_src_path(prefix, ch.new_path) or ch.new_path,
                        front_matter=fm,
                    )
                )

    cache.save()  # best effort: a read-only checkout still builds

    result: dict[str, FileHistory] = {}
    for path, lin in gone.items():
        if path in live:
            continue
        src = _src_path(prefix, path)
        if src is not None and lin.versions:
            result[src] = FileHistory(src_path=src, versions=lin.finished(), retired=lin.retired)
    for path, lin in live.items():
        src = _src_path(prefix, path)
        if src is not None:
            result[src] = FileHistory(src_path=src, versions=lin.finished())
    return result, (commits[-1].committer_date if commits else None)


def _revive(gone: dict[str, _Lineage], path: str) -> _Lineage:
    """A file re-added at a path it was deleted from continues its numbering."""
    lin = gone.pop(path, None)
    if lin is None:
        return _Lineage(path=path)
    lin.retired = None
    return lin


def _text_changed(cache: _BlobCache, tree: WorkTree, path: str, old_blob: str, new_blob: str) -> bool:
    if old_blob == new_blob:
        return False
    if not _is_text(path):
        return True
    if old_blob not in cache.entries or new_blob not in cache.entries:
        return True
    same = cache.same(old_blob, new_blob)
    if same is None:  # a pair the log did not show side by side: read both blobs now
        cache.fill(tree, (), [(old_blob, new_blob)])
        same = cache.same(old_blob, new_blob)
    return not same


# ------------------------------------------------------------- process memo

_MEMO: dict[tuple[Any, ...], History] = {}


def load_history(docs_dir: str | os.PathLike[str], options: HistoryOptions = HistoryOptions(), *, build_date: datetime | None = None,
                 memo: dict[tuple[Any, ...], History] | None = None) -> History:
    """``read_history``, reused while HEAD and the working tree stay the same.

    MkDocs-static-i18n runs every event once per language, and ``mkdocs serve``
    rebuilds on every save; both ask again and get the same object back until
    a commit or an edit changes what git would say.  *memo* is the caller's
    (the MkDocs plugin keeps one per plugin instance); without it, this module's.
    """
    if memo is None:
        memo = _MEMO
    docs = Path(docs_dir).resolve()
    try:
        tree = gitrepo.open_work_tree(docs)
        status = tree.status()
        # git replace / grafts rewrite history without moving HEAD, so they are part of the state too
        rewrites = history_cache.cache_key(tree, _LOG_ARGS)
        state: tuple[str | None, str | None, str | None] = (tree.head(), rewrites, hashlib.sha1(repr(status).encode() + _mtimes(tree, status)).hexdigest())
    except GitError:
        state = (None, None, None)
    key = (str(docs), options, state, build_date)
    hit = memo.get(key)
    if hit is not None:
        return hit
    hist = read_history(docs, options, build_date=build_date)
    memo.clear()
    memo[key] = hist
    return hist


def _mtimes(tree: WorkTree, status: list[tuple[str, str]]) -> bytes:
    """Modification times of uncommitted files, so editing a draft again invalidates the memo."""
    parts = []
    for _, repo_path in status:
        try:
            parts.append(f"{repo_path}:{(tree.root / repo_path).stat().st_mtime_ns}")
        except OSError:
            parts.append(repo_path)
    return "\n".join(parts).encode("utf-8", "surrogateescape")
