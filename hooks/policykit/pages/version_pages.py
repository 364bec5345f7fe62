"""Render every version of a policy: its clean text and its diff against the version before.

Versions stream oldest to newest and only the previous version's HTML is
kept, so memory stays flat however long the history is.  Each rendered
fragment is cached by blob ids and the renderer's fingerprint, so a rebuild
only renders versions it has not seen.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from policykit.diff import htmldiff
from policykit.diff import segment
from policykit.pages.archive import VersionEntry
from policykit.pages.markdown_render import MarkdownRenderer, UrlForSource
from policykit.pages.render_cache import RenderCache

#: Bump when the output of this module changes shape.
RENDER_VERSION = "1"


def _code_fingerprint() -> str:
    """A digest of the diff code itself, so editing it invalidates cached diffs."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in ("htmldiff.py", "blocks.py", "segment.py", "textdiff.py", "markdown_render.py", "version_pages.py"):
        p = here / name
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


_CODE_FINGERPRINT = _code_fingerprint()

BlobReader = Callable[[list[str]], Iterator[tuple[str, bytes]]]


#: How many blocks a version changed, added, removed and moved (the diff's own summary).
Summary = htmldiff.DiffSummary


@dataclass(frozen=True)
class RenderedVersion:
    entry: VersionEntry
    clean_html: str
    diff_html: str | None  # None for the first version ("as first published")
    summary: Summary | None


@dataclass(frozen=True)
class PolicyJob:
    """One policy's versions and where their pages sit."""

    src_path: str  # docs-relative source path at HEAD (or when retired)
    entries: list[VersionEntry]  # oldest first
    page_url: str  # site-relative URL of the version pages' folder level, e.g. "en/privacy/versions/1/"
    url_for_src: UrlForSource


class VersionRenderer:
    """Renders the versions of many policies, reading all needed blobs through one reader."""

    def __init__(
        self,
        renderer: MarkdownRenderer,
        cache: RenderCache,
        read_blobs: BlobReader,
        *,
        diff_labels: htmldiff.DiffLabels | None = None,
        locale: str = "",
    ) -> None:
        self.renderer = renderer
        self.diff_labels = diff_labels or htmldiff.DiffLabels()
        self.locale = locale
        self.cache = cache
        self.read_blobs = read_blobs
        self.rendered = 0  # fragments rendered (not from cache) in this run

    def _clean_key(self, job: PolicyJob, blob: str) -> str:
        return f"clean|{RENDER_VERSION}|{self.renderer.fingerprint}|{job.src_path}|{job.page_url}|{blob}"

    def _diff_key(self, job: PolicyJob, old: str, new: str) -> str:
        return f"diff|{RENDER_VERSION}|{_CODE_FINGERPRINT}|{self.renderer.fingerprint}|{self.locale}|{self.diff_labels!r}|{job.src_path}|{job.page_url}|{old}|{new}"

    def _plan(self, job: PolicyJob) -> list[str]:
        """Blobs this job must read, in the order render() will ask for them."""
        return [e.version.blob for e in job.entries if not self.cache.has(self._clean_key(job, e.version.blob))]

    def render(self, jobs: Iterable[PolicyJob]) -> Iterator[tuple[PolicyJob, RenderedVersion]]:
        """Yield every version of every job, oldest first within a job."""
        jobs = list(jobs)
        plan: list[str] = []
        for job in jobs:
            plan.extend(self._plan(job))
        stream = _Peekable(iter(self.read_blobs(plan)))
        for job in jobs:
            yield from ((job, rv) for rv in self._render_job(job, stream))

    def _clean(self, job: PolicyJob, blob: str, stream: _Peekable) -> str:
        key = self._clean_key(job, blob)
        cached = self.cache.get(key)
        if isinstance(cached, str):
            if stream.peek_oid() == blob:
                stream.next()  # planned before the entry appeared; drop the unneeded read
            return cached
        if stream.peek_oid() == blob:
            _, data = stream.next()
        else:  # the entry vanished or was corrupt after planning: read it on its own
            _, data = next(iter(self.read_blobs([blob])))
        html = self.renderer.render(data, src_path=job.src_path, page_url=job.page_url, url_for_src=job.url_for_src)
        self.cache.put(key, html)
        self.rendered += 1
        return html

    def _render_job(self, job: PolicyJob, stream: _Peekable) -> Iterator[RenderedVersion]:
        prev_blob: str | None = None
        prev_clean: str | None = None
        for entry in job.entries:
            blob = entry.version.blob
            if prev_blob is None:
                clean = self._clean(job, blob, stream)
                yield RenderedVersion(entry, clean, None, None)
                prev_blob, prev_clean = blob, clean
                continue
            dkey = self._diff_key(job, prev_blob, blob)
            cached = self.cache.get(dkey)
            if isinstance(cached, dict) and {"html", "summary"} <= cached.keys():
                diff_html, summary = cached["html"], Summary(**cached["summary"])
                clean = self._clean(job, blob, stream)
            else:
                assert prev_clean is not None
                clean = self._clean(job, blob, stream)
                result = htmldiff.diff_html(prev_clean, clean, labels=self.diff_labels)
                summary = result.summary
                diff_html = result.html
                self.cache.put(dkey, {"html": diff_html, "summary": summary.__dict__})
                self.rendered += 1
            yield RenderedVersion(entry, clean, diff_html, summary)
            prev_blob, prev_clean = blob, clean


class _Peekable:
    """A blob stream that can be asked which blob comes next."""

    def __init__(self, it: Iterator[tuple[str, bytes]]) -> None:
        self._it = it
        self._head: tuple[str, bytes] | None = None

    def peek_oid(self) -> str | None:
        if self._head is None:
            self._head = next(self._it, None)
        return self._head[0] if self._head else None

    def next(self) -> tuple[str, bytes]:
        self.peek_oid()
        head, self._head = self._head, None
        if head is None:
            raise RuntimeError("blob stream ended early")
        return head


# ----------------------------------------------------------------- parallel

_WORK: tuple[VersionRenderer, list[PolicyJob]] | None = None


def _chunks(jobs: list[PolicyJob], size: int) -> list[PolicyJob]:
    """Split long histories so both cores get work; each chunk repeats the version before it."""
    out = []
    for job in jobs:
        n = len(job.entries)
        for start in range(0, n, size):
            lo = max(0, start - 1)
            out.append(PolicyJob(job.src_path, job.entries[lo : start + size], job.page_url, job.url_for_src))
    return out


def _warm(index: int) -> tuple[int, int]:
    assert _WORK is not None
    vr, chunks = _WORK
    vr.rendered = 0
    for _ in vr.render([chunks[index]]):
        pass
    return vr.rendered, len(chunks[index].entries)


def prewarm(
    vr: VersionRenderer,
    jobs: Iterable[PolicyJob],
    *,
    workers: int | None = None,
    chunk: int = 100,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Render every uncached version into the cache using all cores; returns fragments rendered.

    The build then streams the versions from the cache in order.  Worker
    processes are forked, so they share the renderer and its settings; they
    only write cache entries, which are atomic.
    """
    import multiprocessing
    import os

    global _WORK
    jobs = list(jobs)
    missing = sum(1 for job in jobs for e in job.entries if not vr.cache.has(vr._clean_key(job, e.version.blob)))
    workers = workers or os.cpu_count() or 1
    if vr.cache.root is None or workers < 2 or missing < 2 * chunk or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    chunks = _chunks(jobs, chunk)
    segment.warm_up()  # load the word segmenter once, before forking, not once per worker
    _WORK = (vr, chunks)
    try:
        ctx = multiprocessing.get_context("fork")
        rendered = seen = 0
        with ctx.Pool(workers) as pool:
            for made, size in pool.imap_unordered(_warm, range(len(chunks))):
                rendered += made
                seen += size
                if on_progress is not None:
                    on_progress(seen)
        return rendered
    finally:
        _WORK = None
