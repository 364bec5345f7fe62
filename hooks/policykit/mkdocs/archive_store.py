"""Each policy's archive pages kept between builds: a build renders only the archives whose inputs changed.

MkDocs empties the site folder before every build (and ``publish`` builds into
a fresh folder), so without this every history page, version page and
``source.md`` of every policy would be filled and written again on every
build, for one new commit.  Instead each policy's archive of one language
build is kept in a folder the plugin owns, under a digest of everything its
pages are made from (``key``: the policy's versions, corrections, notices,
in-force labels, shells and switcher, the settings, the templates, this
package's code and the versions of the libraries that render it).  The next
build with the same key links the files back instead of rendering them, and replays what writing them told the
rest of the build (the published-pages registry, the feeds' change
summaries, the manifest's records, the versions API).  Any change to an input
gives another digest and that archive is rendered again: the store changes
how fast a build comes, never what it writes (``tests/test_archive_store.py``
compares every file with a build from an empty cache).

Where it lives:

* ``mkdocs build`` (and ``gh-deploy``): ``<cache_dir>/archive``, one folder per
  language and policy with ``record.json`` (the key, the files and what
  writing them recorded, written as soon as the archive is), ``stats.json``
  and ``files/``.  Files are kept as they are at the
  end of the build, after the deploy step rewrote their asset references and
  set their mtimes: as hard links to the site's files, so keeping costs no
  copy and no space while that site exists.  A later build gets hard links
  too.  Nothing of the build writes into a file in place after the archive
  is restored (``site_scan`` writes a rewritten page as a new file), and the
  deploy step gives a linked file whose mtime must change a copy of its own
  first (``deploy/mtimes.py``) unless only the store and this site hold it
  (then its mtime is set in place and the store notes it when the build
  ends), so no build changes a file another site folder holds (``publish``
  serves the previous release while it builds the next; with its previous
  manifest an unchanged file keeps its mtime, so a kept archive costs no copy
  at all; a build into the same folder as the one before, which MkDocs
  empties first, costs none either).  The record notes each
  file's size and mtime, and a kept file whose size or mtime differs later
  (something else wrote into a site's file in place) is not used: that
  archive is rendered again.
* A build into the folder of the build before (``mkdocs build`` again, and
  every ``serve`` rebuild) moves that build's files into a hidden folder of
  the site first (``stash_previous``, just before MkDocs empties the site),
  and a kept archive's ``history/`` and ``versions/`` folders move back in
  one rename each when they hold exactly the kept files (the very files: the
  store's inodes) and nothing else; otherwise its files are linked from the
  store as above.  The rest of the old site leaves the site once the last
  language's archives are in (``language_done``), before the deploy step
  lists the site, and a process of its own removes it while the build goes
  on (``ArchiveStore.drop_stash``).
* ``mkdocs serve``: a temporary folder beside MkDocs' own temporary site
  folder (the same file system, so hard links work), removed when the
  session ends; records are kept in memory.  With ``--dirty`` MkDocs keeps the
  site folder, so a kept file that is already in place is not touched at all
  (and every page is still built again: ``outdate_pages``).

Nothing is kept when the Markdown renderer cannot be keyed (an extension
configured with a callable), the same rule as the render cache's.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import posixpath
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

from mkdocs.config.defaults import MkDocsConfig

from policykit.deploy.published import KINDS, PublishedPage
from policykit.diff.htmldiff import DiffSummary
from policykit.history.ledger import PublishedFiles
from policykit.mkdocs import common
from policykit.pages.archive import policy_base

#: Bump when the record's shape changes (older records are then never read).
RECORD_VERSION = 1
RECORD = "record.json"  # the key, the files and what writing them recorded
#: The previous build's files while this one runs (``stash_previous``): hidden, so MkDocs' cleaning skips it.
STASH = ".policy-site-previous"
#: In the store's folder: the rest of a previous site, removed while the build goes on (``drop_stash``).
TRASH = ".trash-"
STATS = "stats.json"  # size and mtime of each kept file, once the build is done
_HEX64 = re.compile("[0-9a-f]{64}")
#: Libraries whose output is inside the kept pages (their versions are part of every key).
RENDERING_LIBRARIES = ("mkdocs", "mkdocs-material", "mkdocs-static-i18n", "Markdown", "pymdown-extensions",
                       "Jinja2", "Babel", "jieba", "PyYAML")


@dataclass
class Kept:
    """One policy's archive in one language, as the build that wrote it left it."""

    key: str
    folder: str  # where its files are kept (same relative paths as in the site)
    paths: list[str]  # site-relative paths of its files
    published: list[PublishedPage] = field(default_factory=list)
    summaries: dict[tuple[str, str, int], DiffSummary | None] = field(default_factory=dict)
    sources: dict[tuple[str, int], PublishedFiles] = field(default_factory=dict)  # BuildState.sources entries
    source_sha: dict[tuple[str, int], str] = field(default_factory=dict)  # (dest, number) -> SHA-256 of source.md
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns) of the kept file
    # path -> (SHA-256, its inline scripts' CSP hashes) as the deploy step of the build that kept it found them
    digests: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


@dataclass
class _Save:
    """An archive this build wrote, to keep once the build is done (``commit``).

    In the build cache, what writing it recorded is already in ``record.json`` of the *staging* folder
    (written when the archive was, so a build holds no copy of it) and *kept* is None.
    """

    locale: str
    dest: str
    paths: list[str]
    kept: Kept | None  # a serve session's, held in memory
    staging: str = ""


class ArchiveStore:
    """Archives of earlier builds, by (language, policy page), in a folder of their own."""

    def __init__(self, root: str | None = None, *, persistent: bool = False) -> None:
        self.kept: dict[tuple[str, str], Kept] = {}
        self.root = root
        self.persistent = persistent
        # Per language: policies whose archive the last build restored / rendered (the log and tests read them).
        self.restored: dict[str, int] = {}
        self.rendered: dict[str, int] = {}
        self.saves: list[_Save] = []  # this build's, kept by commit()
        self.used: set[tuple[str, str]] = set()  # (language, dest) of every archive this build wrote or restored
        self.restored_now: list[Kept] = []  # the archives this build restored
        # What the deploy step's scan found of this build's new archive files: (digests, inline scripts' hashes).
        self.scanned: tuple[dict[str, tuple[str, int]], dict[str, tuple[str, ...]]] = ({}, {})
        self.stash: str | None = None  # the previous build's files, moved aside in on_pre_build (stash_previous)
        self.removing: subprocess.Popen[bytes] | threading.Thread | None = None  # drop_stash's removal
        self.languages_done: set[str] = set()  # languages whose archives this build restored or wrote
        self._count = 0

    # -- reading ---------------------------------------------------------------------------------------

    def _folder(self, locale: str, dest: str) -> str:
        assert self.root is not None
        return os.path.join(self.root, _safe_name(locale), hashlib.sha256(dest.encode("utf-8")).hexdigest()[:32])

    def get(self, locale: str, dest: str, key: str) -> Kept | None:
        kept = self.kept.get((locale, dest))
        if kept is None and self.persistent:
            kept = _load(self._folder(locale, dest))
            if kept is not None:
                self.kept[(locale, dest)] = kept
        return kept if kept is not None and kept.key == key else None

    def forget(self, locale: str, dest: str) -> None:
        """Drop the kept archive of (*locale*, *dest*): its files are about to be written again."""
        old = self.kept.pop((locale, dest), None)
        folder = old.folder if old is not None else (self._folder(locale, dest) if self.persistent else None)
        if folder is not None and os.path.isdir(folder):
            shutil.rmtree(folder, ignore_errors=True)

    # -- writing ---------------------------------------------------------------------------------------

    def folder_for(self, site_dir: str) -> str:
        """A new folder for a serve session's archive (beside the site: the same file system)."""
        if self.root is None:
            parent = os.path.dirname(os.path.abspath(site_dir))
            self.root = tempfile.mkdtemp(prefix="policy-serve-archive-", dir=parent if os.path.isdir(parent) else None)
            weakref.finalize(self, shutil.rmtree, self.root, True)
        self._count += 1
        return os.path.join(self.root, str(self._count))

    def known_files(self) -> dict[str, tuple[str, int, tuple[str, ...]]]:
        """The files this build restored whose bytes the build that kept them hashed: the deploy step need not
        read them (``site_scan``'s ``kept``)."""
        out: dict[str, tuple[str, int, tuple[str, ...]]] = {}
        for kept in self.restored_now:
            for rel in kept.paths:
                found = kept.digests.get(rel)
                if found is not None and rel in kept.stats:
                    out[rel] = (found[0], kept.stats[rel][0], found[1])
        return out

    def pending_paths(self) -> set[str]:
        """The files of the archives this build wrote (their digests are kept with them)."""
        return {rel for save in self.saves for rel in save.paths}

    def commit(self, site_dir: str) -> None:
        """Keep this build's archives as the site holds them now (hard links to the site's files), and note the
        mtimes the deploy step gave the restored ones in place (``deploy/mtimes.py``, ``store_links``)."""
        for save in self.saves:
            self._keep(site_dir, save)
        self.saves.clear()
        if self.persistent:
            for kept in self.restored_now:
                stats = _stats(kept.folder, kept.paths)
                if stats is not None and stats != kept.stats:
                    kept.stats = stats
                    _write_stats(os.path.dirname(kept.folder), stats, kept.digests)

    def staging_for(self, locale: str, dest: str) -> str:
        """An empty folder beside (*locale*, *dest*)'s, where its next record is made."""
        staging = f"{self._folder(locale, dest)}.new-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        return staging

    def _keep(self, site_dir: str, save: _Save) -> None:
        files = os.path.join(save.staging, "files") if self.persistent else self.folder_for(site_dir)
        for rel in save.paths:
            _link(os.path.join(site_dir, rel), os.path.join(files, rel))
        stats = _stats(files, save.paths) or {}
        if save.kept is not None:  # a serve session's
            save.kept.folder, save.kept.stats = files, stats
            self.kept[(save.locale, save.dest)] = save.kept
            return
        digests, scripts = self.scanned
        _write_stats(save.staging, stats, {rel: (digests[rel][0], scripts[rel]) for rel in save.paths
                                           if rel in digests and rel in scripts and digests[rel][1] == stats[rel][0]})
        final = self._folder(save.locale, save.dest)
        old = f"{final}.old-{os.getpid()}"
        if os.path.isdir(final):
            os.replace(final, old)
        os.replace(save.staging, final)
        shutil.rmtree(old, ignore_errors=True)

    def prune(self, locales: Iterable[str]) -> None:
        """Remove kept archives of *locales* that this build neither wrote nor restored (deleted policies)."""
        if not self.persistent or self.root is None:
            return
        for locale in locales:
            top = os.path.join(self.root, _safe_name(locale))
            if not os.path.isdir(top):
                continue
            wanted = {os.path.basename(self._folder(loc, dest)) for loc, dest in self.used if loc == locale}
            for name in os.listdir(top):
                if name not in wanted:
                    shutil.rmtree(os.path.join(top, name), ignore_errors=True)

    def new_build(self) -> None:
        """A build starts: nothing written or restored yet (a build cache's records are read again on demand)."""
        self.languages_done.clear()
        self.saves.clear()
        self.used.clear()
        self.restored_now.clear()
        self.scanned = ({}, {})
        if self.persistent:
            self.kept.clear()  # another process may have built since

    def drop_stash(self) -> None:
        """Remove the previous build's files that no kept archive took back (``stash_previous``).

        They leave the site folder at once (one rename into the store's folder, when it is on the same file
        system) and are removed there by ``rm -rf`` in a process of its own, on the other core while the
        build goes on (mkdocs-static-i18n's search merge, the deploy step); the build waits for it before it
        ends (``finish``, or ``wait_removal`` after an error).  Without ``rm``, a thread removes them; where
        the rename fails, they are removed here and now.
        """
        if self.stash is None:
            return
        stash, self.stash = self.stash, None
        if self.root is not None:
            trash = os.path.join(self.root, f"{TRASH}{os.getpid()}")
            try:
                os.rename(stash, trash)
            except OSError:
                pass
            else:
                self.removing = _remove_in_background(trash)
                return
        shutil.rmtree(stash, ignore_errors=True)

    def wait_removal(self) -> None:
        """Wait until the previous site's rest is removed (``drop_stash``)."""
        removing, self.removing = self.removing, None
        if isinstance(removing, subprocess.Popen):
            removing.wait()
        elif removing is not None:
            removing.join()

    def close(self) -> None:
        """Forget every kept archive; a serve session's folder is removed (the session ended or a new one starts)."""
        self.wait_removal()
        self.kept.clear()
        self.saves.clear()
        if self.root is not None and not self.persistent:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


def store(config: MkDocsConfig) -> ArchiveStore:
    """The plugin's archive store for this build: a serve session's, or the build cache's."""
    plugin = common.plugin(config)
    serving = common.state(config).command == "serve"
    found = getattr(plugin, "archive_store", None)
    if found is not None and found.persistent == serving:  # another command in the same process
        found.close()
        found = None
    if found is None:
        if serving:
            found = ArchiveStore()
        else:
            found = ArchiveStore(os.path.join(common.cache_dir(config), "archive"), persistent=True)
        plugin.archive_store = found
    return found


def finish(config: MkDocsConfig) -> None:
    """End of a build that wrote every language: keep its archives; drop the kept ones of policies that are gone."""
    found = getattr(common.plugin(config), "archive_store", None)
    if found is None:
        return
    found.commit(config.site_dir)
    found.prune({locale for locale, _ in found.used})
    found.wait_removal()


def stash_previous(config: MkDocsConfig) -> None:
    """on_pre_build: move what the site folder holds into a hidden folder of it, which MkDocs' cleaning skips.

    MkDocs then has nothing to remove, and ``restore`` moves each kept archive's folders back in one rename
    each (only when the stash holds exactly the kept files, the very ones: ``_move_folders``), instead of
    making every folder and linking every file again.  What is left goes once the last language's archives
    are in (``language_done``, ``ArchiveStore.drop_stash``), before the deploy step lists the site; a build
    that fails removes it too.  Hidden
    entries stay where they are, as MkDocs leaves them.  Where a move fails, nothing is stashed: MkDocs
    empties the folder as it always does.
    """
    site = config.site_dir
    found = store(config)
    found.wait_removal()
    stale = os.path.join(site, STASH)
    if os.path.lexists(stale):  # a build killed before it removed its stash
        shutil.rmtree(stale, ignore_errors=True)
    if found.root is not None and os.path.isdir(found.root):
        for name in os.listdir(found.root):
            if name.startswith(TRASH):  # the same, once out of the site
                shutil.rmtree(os.path.join(found.root, name), ignore_errors=True)
    found.stash = None
    try:
        names = sorted(n for n in os.listdir(site) if not n.startswith("."))
    except OSError:
        return  # no site folder yet
    if not names:
        return
    try:
        os.mkdir(stale)
        for name in names:
            os.rename(os.path.join(site, name), os.path.join(stale, name))
    except OSError:
        return  # what was moved is removed with the stash; MkDocs empties the rest
    finally:
        found.stash = stale if os.path.isdir(stale) else None


def language_done(config: MkDocsConfig) -> None:
    """A language's archives are in the site: once every language's are, nothing takes files from the stash
    any more, and its rest goes now (``drop_stash``), while mkdocs-static-i18n merges the search index."""
    found = getattr(common.plugin(config), "archive_store", None)
    if found is None or found.stash is None:
        return
    found.languages_done.add(common.current_locale(config))
    plugin = common.i18n(config)
    wanted = getattr(plugin, "build_languages", None) if plugin is not None else [common.current_locale(config)]
    if wanted and set(wanted) <= found.languages_done:
        drop_stash(config)


def drop_stash(config: MkDocsConfig) -> None:
    """The previous build's files that no kept archive took back go (``ArchiveStore.drop_stash``)."""
    found = getattr(common.plugin(config), "archive_store", None)
    if found is not None:
        found.drop_stash()


def _remove_in_background(path: str) -> subprocess.Popen[bytes] | threading.Thread:
    """Start removing the folder *path*: ``rm -rf`` where there is one (no lock shared with this process),
    else a thread."""
    rm = shutil.which("rm") if os.name == "posix" else None
    if rm is not None:
        return subprocess.Popen([rm, "-rf", "--", path], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    thread = threading.Thread(target=shutil.rmtree, args=(path, True), daemon=True)
    thread.start()
    return thread


def outdate_pages(config: MkDocsConfig, files: Any) -> None:
    """``serve --dirty``: every page is built again; only the archive's files are left in place when kept.

    MkDocs' --dirty rebuilds a page only when its source is newer than its output,
    but what the plugin makes depends on more than one source: a page's stamp on
    the history (a commit changes no source), the feeds, the versions API and the
    policy list on every policy.  So the outputs are made older than any source and
    MkDocs builds every page; the archive (most of the files) is still not
    written again when its key is unchanged (``restore`` leaves the file alone).
    """
    if common.state(config).command != "serve" or not getattr(common.plugin(config), "dirty", False):
        return
    for f in files.documentation_pages():
        if os.path.isfile(f.abs_dest_path):
            os.utime(f.abs_dest_path, ns=(0, 0))


# -- keys ----------------------------------------------------------------------------------------------


_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}  # a memo of _field_names: types never change their fields


def _field_names(kind: type) -> tuple[str, ...] | None:
    """The fields of a dataclass type in order; None for any other type."""
    try:
        return _FIELD_NAMES[kind]
    except KeyError:
        names = tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None
        return _FIELD_NAMES.setdefault(kind, names)


def canonical(value: Any) -> Any:
    """*value* as nested tuples of plain values, the same in every process (sets sorted, dataclasses by field)."""
    kind = type(value)
    if kind in _PLAIN:  # most of a key: the same answer as the isinstance test below, sooner
        return value
    if kind is tuple or kind is list:
        return tuple(canonical(v) for v in value)
    names = _field_names(kind)
    if names is not None:
        return (kind.__name__, tuple((name, canonical(getattr(value, name))) for name in names))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(canonical(k)), canonical(v)) for k, v in value.items())))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(canonical(v)) for v in value)))
    if isinstance(value, (list, tuple)):
        return tuple(canonical(v) for v in value)
    if isinstance(value, (datetime, date)):
        return (type(value).__name__, value.isoformat())
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return value
    return (type(value).__name__, repr(value))


def digest(parts: Iterable[Any]) -> str:
    """SHA-256 of the canonical form of each part (see ``canonical``)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(canonical(part)).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def templates_digest(config: MkDocsConfig, theme_dir: str) -> str:
    """Name and bytes of every file of the plugin's theme and the site's ``custom_dir`` (templates and assets).

    The archive's bodies come from their partials and its pages link the
    plugin's assets; Material's own templates are in the shells, which are part
    of each key whole.
    """
    h = hashlib.sha256()
    for top in (theme_dir, config.theme.custom_dir):
        if not top or not os.path.isdir(top):
            continue
        for folder, dirs, names in os.walk(top):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(folder, name)
                h.update(os.path.relpath(path, top).encode("utf-8", "surrogateescape") + b"\x00")
                with open(path, "rb") as fh:
                    h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """This package's Python code and the versions of the libraries that render the kept pages (once per process)."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode("utf-8") + b"\x00")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    for name in RENDERING_LIBRARIES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        h.update(f"{name}=={version}\x00".encode())
    return h.hexdigest()


def files_digest(files: Any) -> str:
    """Source path and URL of every file of the build: the archived texts' links resolve against them."""
    return digest(sorted((f.src_uri, f.url) for f in files))


# -- files ---------------------------------------------------------------------------------------------


def restore(config: MkDocsConfig, store_: ArchiveStore, locale: str, dest: str, kept: Kept) -> bool:
    """Put *kept*'s files into the site folder (untouched when already there) and replay what writing them recorded.

    False (and nothing done) when a kept file is gone or is not as it was kept: the archive is rendered again.
    """
    site = config.site_dir
    ids: dict[str, tuple[int, int]] = {}
    if kept.stats:
        if _stats(kept.folder, kept.paths, ids) != kept.stats:
            return False
    elif not all(os.path.isfile(os.path.join(kept.folder, rel)) for rel in kept.paths):
        return False
    moved = _move_folders(store_.stash, site, policy_base(dest), kept.paths, ids) if store_.stash and ids else set()
    made: set[str] = set()
    for rel in kept.paths:
        if rel in moved:
            continue
        src = os.path.join(kept.folder, rel)
        dst = os.path.join(site, rel)
        try:
            _link(src, dst, made)  # the deploy step never changes a linked file's mtime (it copies it first: deploy/mtimes.py)
        except FileExistsError:
            if os.path.samefile(src, dst):
                continue  # --dirty: the very file is still there
            os.unlink(dst)
            _link(src, dst, made)
    st = common.state(config)
    for page in kept.published:
        st.published.add(page)
    st.summaries.update(kept.summaries)
    st.sources.update(kept.sources)
    store_.used.add((locale, dest))
    store_.restored_now.append(kept)
    return True


def save(config: MkDocsConfig, store_: ArchiveStore, locale: str, dest: str, src_path: str, numbers: list[int],
         key: str, paths: list[str], source_sha: dict[tuple[str, int], str]) -> None:
    """Keep the files at *paths* (just written into the site) and what writing them recorded, under *key*.

    The files are linked into the store when the build is done (``commit``), as the deploy step left them.
    *numbers* are the policy's version numbers, *src_path* its source: the feeds' summaries are keyed by them.
    Call ``forget`` before writing them (a file written in place must not be a kept one).
    """
    st = common.state(config)
    wanted = set(paths)
    published = [p for p in (st.published.get(rel) for rel in paths) if p is not None]
    summaries = {k: st.summaries[k] for k in ((locale, src_path, n) for n in numbers) if k in st.summaries}
    sources = {k: v for k, v in st.sources.items() if k[0] == src_path and v.page in wanted}
    kept = Kept(key, "", list(paths), published, summaries, sources, dict(source_sha))
    if store_.persistent:
        staging = store_.staging_for(locale, dest)
        _write_record(staging, kept)
        store_.saves.append(_Save(locale, dest, list(paths), None, staging))
    else:
        store_.saves.append(_Save(locale, dest, list(paths), kept))
    store_.used.add((locale, dest))


def _link(src: str, dst: str, made: set[str] | None = None) -> None:
    """*dst* as a hard link to *src* (its folders made; *made*: folders already made by the caller), or a copy
    where the file system cannot link.  FileExistsError when *dst* exists."""
    folder = os.path.dirname(dst)
    if made is None or folder not in made:
        os.makedirs(folder, exist_ok=True)
        if made is not None:
            made.add(folder)
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError:
        shutil.copy2(src, dst)


def _stats(folder: str, paths: Iterable[str],
           ids: dict[str, tuple[int, int]] | None = None) -> dict[str, tuple[int, int]] | None:
    """Size and mtime of each file (None if one is missing); *ids* gets each file's (device, inode)."""
    out: dict[str, tuple[int, int]] = {}
    for rel in paths:
        try:
            st = os.stat(os.path.join(folder, rel))
        except OSError:
            return None
        out[rel] = (st.st_size, st.st_mtime_ns)
        if ids is not None:
            ids[rel] = (st.st_dev, st.st_ino)
    return out


def _move_folders(stash: str, site: str, base: str, paths: list[str], ids: dict[str, tuple[int, int]]) -> set[str]:
    """Move the folders of one archive (``<base>history``, ``<base>versions``) from *stash* into *site*.

    A folder moves only when it holds exactly the archive's files under it, each the very file the store
    keeps (its device and inode in *ids*), and *site* has nothing there yet; otherwise its files are linked
    as usual.  Returns the paths moved.
    """
    under: dict[str, list[str]] = {}
    for rel in paths:
        if rel.startswith(base):
            head, sep, _ = rel[len(base):].partition("/")
            if sep:
                under.setdefault(base + head, []).append(rel)
    moved: set[str] = set()
    for folder, rels in under.items():
        src, dst = os.path.join(stash, folder), os.path.join(site, folder)
        if os.path.lexists(dst) or not _holds_exactly(src, folder, rels, ids):
            continue
        try:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.rename(src, dst)
        except OSError:
            continue
        moved.update(rels)
    return moved


def _holds_exactly(path: str, folder: str, rels: list[str], ids: dict[str, tuple[int, int]]) -> bool:
    """*path* (the stash's *folder*) is a real folder whose files are *rels* and nothing else, each with its id.

    Read with ``os.scandir``: a file's type and inode come with its folder's listing, so only the folders are
    stat'ed (for their device, which their files share).  A folder it cannot list refuses the move.
    """
    wanted = set(rels)
    found = 0
    try:
        top_stat = os.lstat(path)
        if not stat.S_ISDIR(top_stat.st_mode):
            return False
        todo = [(path, folder, top_stat.st_dev)]
        while todo:
            top, rel_top, device = todo.pop()
            with os.scandir(top) as listing:
                for entry in listing:
                    rel = f"{rel_top}/{entry.name}"
                    if entry.is_dir(follow_symlinks=False):
                        todo.append((entry.path, rel, entry.stat(follow_symlinks=False).st_dev))
                        continue
                    if rel not in wanted or not entry.is_file(follow_symlinks=False) or (device, entry.inode()) != ids.get(rel):
                        return False  # a stray file, a symlink (is_file without following is False) or another file
                    found += 1
    except OSError:
        return False
    return found == len(wanted)


def _safe_name(locale: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in locale) or "_"


# -- records (JSON: a cache another process wrote is data, never code) ---------------------------------


def _write_record(folder: str, kept: Kept) -> None:
    record = {
        "version": RECORD_VERSION,
        "key": kept.key,
        "paths": kept.paths,
        "published": [[p.path, p.kind, p.locale, p.policy, p.last_modified.isoformat() if p.last_modified else None]
                      for p in kept.published],
        "summaries": [[list(k), dataclasses.asdict(v) if v is not None else None] for k, v in kept.summaries.items()],
        "sources": [[list(k), [v.page, v.source, v.source_sha256]] for k, v in kept.sources.items()],
        "source_sha": [[list(k), v] for k, v in kept.source_sha.items()],
    }
    os.makedirs(folder, exist_ok=True)
    part = os.path.join(folder, RECORD + ".part")
    with open(part, "w", encoding="utf-8") as fh:
        json.dump(record, fh, ensure_ascii=False, separators=(",", ":"))
    os.replace(part, os.path.join(folder, RECORD))


def _relative(path: Any) -> str:
    """A site-relative path from a record, refused (ValueError: the record is not used) if it could leave the site."""
    if not isinstance(path, str) or path.startswith("/") or posixpath.normpath(path) != path or path.startswith(".."):
        raise ValueError(f"not a site path: {path!r}")
    return path


def _sha(value: Any, *, csp: bool = False) -> str:
    """A SHA-256 from a record: hex, or a CSP source (``'sha256-...'``) for a script's; ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"not a digest: {value!r}")
    if csp:
        if not (value.startswith("'sha256-") and value.endswith("'") and len(value) == 53):
            raise ValueError(f"not a CSP hash: {value!r}")
    elif _HEX64.fullmatch(value) is None:
        raise ValueError(f"not a SHA-256: {value!r}")
    return value


def _kind(kind: Any) -> str:
    if kind not in KINDS:
        raise ValueError(f"not a page kind: {kind!r}")
    return str(kind)


def _write_stats(folder: str, stats: dict[str, tuple[int, int]],
                 digests: dict[str, tuple[str, tuple[str, ...]]]) -> None:
    rows = [[rel, size, mtime, *([digests[rel][0], list(digests[rel][1])] if rel in digests else [])]
            for rel, (size, mtime) in stats.items()]
    with open(os.path.join(folder, STATS), "w", encoding="utf-8") as fh:
        json.dump(rows, fh, separators=(",", ":"))


def _load(folder: str) -> Kept | None:
    """The record in *folder*, or None when there is none or it is not one this code wrote (never an error)."""
    try:
        with open(os.path.join(folder, RECORD), encoding="utf-8") as fh:
            r = json.load(fh)
        with open(os.path.join(folder, STATS), encoding="utf-8") as fh:
            stats = json.load(fh)
        if not isinstance(r, dict) or r.get("version") != RECORD_VERSION:
            return None
        return Kept(
            key=str(r["key"]),
            folder=os.path.join(folder, "files"),
            paths=[_relative(p) for p in r["paths"]],
            published=[PublishedPage(_relative(path), _kind(kind), str(locale), policy,
                                     datetime.fromisoformat(lm) if lm else None)
                       for path, kind, locale, policy, lm in r["published"]],
            summaries={(str(k[0]), str(k[1]), int(k[2])): DiffSummary(**v) if v is not None else None
                       for k, v in r["summaries"]},
            sources={(str(k[0]), int(k[1])): PublishedFiles(*v) for k, v in r["sources"]},
            source_sha={(str(k[0]), int(k[1])): str(v) for k, v in r["source_sha"]},
            stats={_relative(row[0]): (int(row[1]), int(row[2])) for row in stats},
            digests={_relative(row[0]): (_sha(row[3]), tuple(_sha(h, csp=True) for h in row[4]))
                     for row in stats if len(row) == 5},
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
