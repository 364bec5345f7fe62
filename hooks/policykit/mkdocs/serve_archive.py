"""Live preview: a ``mkdocs serve`` rebuild keeps the archive pages whose inputs did not change.

MkDocs empties the site folder before every rebuild (except with ``--dirty``),
so without this every history page, version page and ``source.md`` of every
policy would be filled and written again after each save of any file.  Under
``serve`` only, each policy's archive of one language build is kept in a
folder the plugin owns (beside MkDocs' own temporary site folder), under a
digest of everything the pages are made from (``key``); the next rebuild
hard-links the files back (a copy where links are refused) instead of
rendering them, and replays what writing them told the rest of the build (the
published-pages registry, the feeds' change summaries, the manifest's
records, the versions API).  Any change to an input gives another digest and
the policy's archive is rendered again: a cache changes how fast the preview
comes, never what it shows.  With ``--dirty`` MkDocs keeps the site folder,
so a kept file that is already in place is not touched at all (and every page
is still built again: ``outdate_pages``).

The store lives on the plugin instance (it survives rebuilds; a ``build``
never makes one) and its folder is removed when the process ends.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable

from mkdocs.config.defaults import MkDocsConfig

from policykit.mkdocs import common


@dataclass
class Kept:
    """One policy's archive in one language, as the rebuild that wrote it left it."""

    key: str
    folder: str  # where its files are kept (same relative paths as in the site)
    paths: list[str]  # site-relative paths of its files
    published: list[Any] = field(default_factory=list)  # policykit.deploy.published.PublishedPage
    summaries: dict[tuple[str, str, int], Any] = field(default_factory=dict)
    sources: dict[tuple[str, int], Any] = field(default_factory=dict)  # BuildState.sources entries
    source_sha: dict[tuple[str, int], str] = field(default_factory=dict)  # (dest, number) -> SHA-256 of source.md


class ArchiveStore:
    """Archives of the previous serve rebuild, by (language, policy page), in a folder of their own."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], Kept] = {}
        self.root: str | None = None
        # Per language: policies whose archive the last rebuild restored / rendered (the log and tests read them).
        self.restored: dict[str, int] = {}
        self.rendered: dict[str, int] = {}
        self.dirty = False  # mkdocs serve --dirty
        self._count = 0

    def folder_for(self, site_dir: str) -> str:
        if self.root is None:
            parent = os.path.dirname(os.path.abspath(site_dir))  # the same file system: hard links work
            self.root = tempfile.mkdtemp(prefix="policy-serve-archive-", dir=parent if os.path.isdir(parent) else None)
            weakref.finalize(self, shutil.rmtree, self.root, True)
        self._count += 1
        return os.path.join(self.root, str(self._count))

    def close(self) -> None:
        """Remove every kept file (the serve session ended or a new one starts)."""
        self.kept.clear()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def forget(self, locale: str, dest: str) -> None:
        old = self.kept.pop((locale, dest), None)
        if old is not None:
            shutil.rmtree(old.folder, ignore_errors=True)

    def get(self, locale: str, dest: str, key: str) -> Kept | None:
        kept = self.kept.get((locale, dest))
        return kept if kept is not None and kept.key == key else None


def store(config: MkDocsConfig) -> ArchiveStore | None:
    """The plugin's store under ``mkdocs serve``; None in any other command."""
    if common.state(config).command != "serve":
        return None
    plugin = common.plugin(config)
    found = getattr(plugin, "serve_archive", None)
    if found is None:
        found = plugin.serve_archive = ArchiveStore()
        found.dirty = bool(getattr(plugin, "dirty", False))
    return found


def outdate_pages(config: MkDocsConfig, files: Any) -> None:
    """``serve --dirty``: every page is built again; only the archive's files are left in place when kept.

    MkDocs' --dirty rebuilds a page only when its source is newer than its output,
    but what the plugin makes depends on more than one source: a page's stamp on
    the history (a commit changes no source), the feeds, the versions API and the
    policy list on every policy.  So the outputs are made older than any source and
    MkDocs builds every page; the archive (most of the files) is still not
    written again when its key is unchanged (``restore`` leaves the file alone).
    """
    found = store(config)
    if found is None or not found.dirty:
        return
    for f in files.documentation_pages():
        if os.path.isfile(f.abs_dest_path):
            os.utime(f.abs_dest_path, ns=(0, 0))


def digest(parts: Iterable[Any]) -> str:
    """SHA-256 of the ``repr`` of each part (dataclasses, dicts and tuples of plain values: stable within a process)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def templates_digest(config: MkDocsConfig, theme_dir: str) -> str:
    """Name, size and mtime of every file of the plugin's theme and the site's ``custom_dir``.

    The archive's bodies come from their partials; Material's own templates are
    in the shells, which are part of each key whole.
    """
    rows: list[tuple[str, int, int]] = []
    for top in (theme_dir, config.theme.custom_dir):
        if not top or not os.path.isdir(top):
            continue
        for folder, dirs, names in os.walk(top):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(folder, name)
                st = os.stat(path)
                rows.append((path, st.st_size, st.st_mtime_ns))
    return digest(rows)


def files_digest(files: Any) -> str:
    """Source path and URL of every file of the build: the archived texts' links resolve against them."""
    return digest(sorted((f.src_uri, f.url) for f in files))


def restore(config: MkDocsConfig, kept: Kept) -> bool:
    """Put *kept*'s files into the site folder (untouched when already there) and replay what writing them recorded.

    False (and nothing done) when a kept file is gone: the archive is rendered again.
    """
    site = config.site_dir
    if not all(os.path.isfile(os.path.join(kept.folder, rel)) for rel in kept.paths):
        return False
    for rel in kept.paths:
        src = os.path.join(kept.folder, rel)
        dst = os.path.join(site, rel)
        if os.path.exists(dst):
            if os.path.samefile(src, dst):
                continue  # --dirty: the very file is still there
            os.unlink(dst)
        _link(src, dst)
    st = common.state(config)
    for page in kept.published:
        st.published.add(page)
    st.summaries.update(kept.summaries)
    st.sources.update(kept.sources)
    return True


def _link(src: str, dst: str) -> None:
    """*dst* as a hard link to *src* (its folders made), or a copy where the file system cannot link."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def save(config: MkDocsConfig, store_: ArchiveStore, locale: str, dest: str, src_path: str, numbers: list[int],
         key: str, paths: list[str], source_sha: dict[tuple[str, int], str]) -> None:
    """Keep the files at *paths* (just written into the site) and what writing them recorded, under *key*.

    *numbers* are the policy's version numbers, *src_path* its source: the feeds' summaries are keyed by them.
    Call ``forget`` before writing them (a file written in place must not be a kept one).
    """
    store_.forget(locale, dest)
    folder = store_.folder_for(config.site_dir)
    site = config.site_dir
    for rel in paths:
        src = os.path.join(site, rel)
        dst = os.path.join(folder, rel)
        _link(src, dst)
    st = common.state(config)
    wanted = set(paths)
    published = [p for p in (st.published.get(rel) for rel in paths) if p is not None]
    summaries = {k: st.summaries[k] for k in ((locale, src_path, n) for n in numbers) if k in st.summaries}
    sources = {k: v for k, v in st.sources.items() if k[0] == src_path and v.page in wanted}
    store_.kept[(locale, dest)] = Kept(key, folder, list(paths), published, summaries, sources, dict(source_sha))
