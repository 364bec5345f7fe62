"""Render every version of a policy: its clean text and its diff against the version before.

Versions stream oldest to newest and only the previous version's HTML is
kept, so memory stays flat however long the history is.  Each rendered
clean text is cached by its blob, the renderer's fingerprint (extension
settings, package versions), the code's, and what each link in it resolves to
today: a small entry lists the link targets the text asks for (they depend
only on the text), and the HTML's key holds a digest of their current answers,
so a page added or removed later re-renders exactly the versions linking to it.  A diff is cached by the digests of the two clean texts.
The token data of a clean text (tokendata, for the browser's compare) comes from the diff's own parse of it
and is cached by the text's digest, so prewarm's workers make it too and no HTML is parsed again to write a page.
A version's parse also serves as the old side of the next diff (one parse per version, not two), and its
text nodes' token data as the next version's for the text nodes it did not change.
Markdown renders run under a guard that bounds their time (render_pool).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from policykit.diff import htmldiff
from policykit.diff import segment
from policykit.diff import tokendata
from policykit.pages.archive import VersionEntry
from policykit.pages.markdown_render import MarkdownRenderer, UrlForSource
from policykit.pages.render_cache import RenderCache
from policykit.pages.render_inputs import code_fingerprint, module_files
from policykit.pages.render_pool import marked, run_tasks, unbounded

#: Bump when the output of this module changes shape.
RENDER_VERSION = "2"

#: Runs one Markdown render under a bound: ``guard(label, fn)`` returns ``fn()`` (see render_pool).
Guard = Callable[[str, Callable[[], Any]], Any]


def _code_fingerprint() -> str:
    """A digest of the rendering and diff code itself, so editing it invalidates cached fragments."""
    return code_fingerprint(module_files(
        "policykit.diff.htmldiff", "policykit.diff.blocks", "policykit.diff.segment", "policykit.diff.textdiff",
        "policykit.pages.markdown_render", "policykit.source.text", "policykit.pages.render_inputs",
        "policykit.pages.version_pages", "policykit.diff.tokendata",
    ))


_CODE_FINGERPRINT = _code_fingerprint()


def code_fingerprint_of_renderer() -> str:
    """The digest of this project's rendering code (for other caches of render results)."""
    return _CODE_FINGERPRINT

BlobReader = Callable[[list[str]], Iterator[tuple[str, bytes]]]


#: How many blocks a version changed, added, removed and moved (the diff's own summary).
Summary = htmldiff.DiffSummary


@dataclass(frozen=True)
class RenderedVersion:
    entry: VersionEntry
    clean_html: str
    diff_html: str | None  # None for the first version ("as first published")
    summary: Summary | None
    tokens: str = ""  # tokendata.token_data(clean_html): the token boundaries for the browser's compare


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
        self.guard: Guard = unbounded  # how each Markdown render is bounded (set by prewarm / the hook)
        # A setting with no stable form: a key no other build can make, so no stored fragment is ever
        # reused (prewarm's forked workers share this object, so they share the key within the build).
        self._fingerprint = renderer.fingerprint or f"uncacheable-{uuid.uuid4().hex}"

    def _clean_key(self, job: PolicyJob, blob: str) -> str:
        return f"clean|{RENDER_VERSION}|{_CODE_FINGERPRINT}|{self._fingerprint}|{job.src_path}|{job.page_url}|{blob}"

    def _diff_key(self, old_digest: str, new_digest: str) -> str:
        """A diff's key: the digests of the two clean HTMLs (all its input), the code, the labels."""
        return f"diff|{RENDER_VERSION}|{_CODE_FINGERPRINT}|{self.locale}|{self.diff_labels!r}|{old_digest}|{new_digest}"

    @staticmethod
    def _tokens_key(digest: str) -> str:
        """The token data's key: the clean HTML's digest (all its input) and the code."""
        return f"tokens|{_CODE_FINGERPRINT}|{digest}"

    def _tokens(self, clean: str, digest: str, known: dict[str, str], seen: dict[str, str]) -> str:
        """The stored token data of a clean text, or made from it (a first version, a cached diff)."""
        key = self._tokens_key(digest)
        hit = self.cache.get(key)
        if isinstance(hit, str):
            return hit
        data = tokendata.token_data(clean, known, seen)
        self.cache.put(key, data)
        return data

    @staticmethod
    def _resolved_key(clean_key: str, job: PolicyJob, targets: list[str]) -> str:
        """The clean HTML's key: its inputs and what each link target resolves to now."""
        answers = [[t, job.url_for_src(t)] for t in targets]
        digest = hashlib.sha256(json.dumps(answers, ensure_ascii=False).encode("utf-8")).hexdigest()
        return f"{clean_key}|links:{digest}"

    def _html_key(self, job: PolicyJob, blob: str) -> str | None:
        """Key of the clean HTML as things stand, or None when this text was never rendered."""
        key = self._clean_key(job, blob)
        targets = self.cache.get(f"targets|{key}")  # the link targets this text asks for (not their answers)
        if not (isinstance(targets, list) and all(isinstance(t, str) for t in targets)):
            return None
        return self._resolved_key(key, job, targets)

    def _cached_clean(self, job: PolicyJob, blob: str) -> str | None:
        """The stored clean HTML, if there is one for the links as they resolve today."""
        key = self._html_key(job, blob)
        cached = self.cache.get(key) if key is not None else None
        return cached if isinstance(cached, str) else None

    def _plan(self, job: PolicyJob) -> list[str]:
        """Blobs this job must read, in the order render() will ask for them."""
        out = []
        for e in job.entries:
            key = self._html_key(job, e.version.blob)
            if key is None or not self.cache.has(key):
                out.append(e.version.blob)
        return out

    def render(self, jobs: Iterable[PolicyJob]) -> Iterator[tuple[PolicyJob, RenderedVersion]]:
        """Yield every version of every job, oldest first within a job."""
        jobs = list(jobs)
        plan: list[str] = []
        for job in jobs:
            plan.extend(self._plan(job))
        stream = _Peekable(iter(self.read_blobs(plan)))
        for job in jobs:
            yield from ((job, rv) for rv in self._render_job(job, stream))

    def _clean(self, job: PolicyJob, entry: VersionEntry, stream: _Peekable) -> str:
        blob = entry.version.blob
        cached = self._cached_clean(job, blob)
        if cached is not None:
            if stream.peek_oid() == blob:
                stream.next()  # planned before the entry appeared; drop the unneeded read
            return cached
        if stream.peek_oid() == blob:
            _, data = stream.next()
        else:  # the entry vanished or was corrupt after planning: read it on its own
            _, data = next(iter(self.read_blobs([blob])))
        label = f"{entry.version.path}, version {entry.number} (commit {entry.version.commit[:12]})"
        html, links = self.guard(
            label,
            lambda: self.renderer.render_with_links(data, src_path=job.src_path, page_url=job.page_url, url_for_src=job.url_for_src),
        )
        key = self._clean_key(job, blob)
        targets = sorted(links)
        self.cache.put(self._resolved_key(key, job, targets), html)
        self.cache.put(f"targets|{key}", targets)  # last: its presence promises the HTML above
        self.rendered += 1
        return html

    def _render_job(self, job: PolicyJob, stream: _Peekable) -> Iterator[RenderedVersion]:
        prev_blob: str | None = None
        prev_clean: str | None = None
        prev_digest: str | None = None
        known: dict[str, str] = {}  # the version before's text nodes and their token data: unchanged ones are not tokenized again
        prev_parsed: htmldiff.Parsed | None = None  # the version before's parse, from the diff that made it the new side
        for entry in job.entries:
            blob = entry.version.blob
            seen: dict[str, str] = {}
            if prev_blob is None:
                clean = self._clean(job, entry, stream)
                digest = _digest(clean)
                yield RenderedVersion(entry, clean, None, None, self._tokens(clean, digest, known, seen))
                known, prev_parsed = seen, None
                prev_blob, prev_clean, prev_digest = blob, clean, digest
                continue
            assert prev_clean is not None
            clean = self._clean(job, entry, stream)
            digest = _digest(clean)
            dkey = self._diff_key(prev_digest if prev_digest is not None else _digest(prev_clean), digest)
            cached = self.cache.get(dkey)
            if isinstance(cached, dict) and {"html", "summary"} <= cached.keys():
                diff_html, summary = cached["html"], Summary(**cached["summary"])
                tokens = self._tokens(clean, digest, known, seen)
                parsed = None
            else:
                result, tokens, parsed = htmldiff.diff_html_and_tokens(
                    prev_parsed or prev_clean, clean, labels=self.diff_labels, known=known, seen=seen)
                summary = result.summary
                diff_html = result.html
                self.cache.put(dkey, {"html": diff_html, "summary": summary.__dict__})
                self.cache.put(self._tokens_key(digest), tokens)
                self.rendered += 1
            yield RenderedVersion(entry, clean, diff_html, summary, tokens)
            known, prev_parsed = seen, parsed
            prev_blob, prev_clean, prev_digest = blob, clean, digest


def _digest(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


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

def _chunks(jobs: list[PolicyJob], size: int) -> list[PolicyJob]:
    """Split long histories so both cores get work; each chunk repeats the version before it."""
    out = []
    for job in jobs:
        n = len(job.entries)
        for start in range(0, n, size):
            lo = max(0, start - 1)
            out.append(PolicyJob(job.src_path, job.entries[lo : start + size], job.page_url, job.url_for_src))
    return out


def prewarm(
    vr: VersionRenderer,
    jobs: Iterable[PolicyJob],
    *,
    timeout: float,
    workers: int | None = None,
    chunk: int = 100,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Render every version without a valid cache entry into the cache, on all cores; returns fragments rendered.

    The build then streams the versions from the cache in order.  Worker
    processes are forked, so they share the renderer and its settings; they
    only write cache entries, which are atomic.  Each Markdown render gets
    *timeout* seconds, then its worker is killed and RenderTimeout raised
    naming the file and version.  Workers live for the whole pass, one per
    core at most, each rendering chunks of up to *chunk* versions.
    """
    import os

    from . import render_pool

    jobs = list(jobs)
    if vr.cache.root is None or not render_pool.available():
        return 0
    chunks = [c for c in _chunks(jobs, chunk) if vr._plan(c)]
    if not chunks:
        return 0
    segment.warm_up()  # load the word segmenter once, before forking, not once per worker

    def work(index: int, mark: render_pool.Mark) -> tuple[int, int]:
        vr.rendered = 0  # this is the worker's own copy of vr
        vr.guard = marked(mark)
        for _ in vr.render([chunks[index]]):
            pass
        return vr.rendered, len(chunks[index].entries)

    rendered = seen = 0
    for _, (made, size) in run_tasks(len(chunks), work, workers=workers or os.cpu_count() or 1, timeout=timeout):
        rendered += made
        seen += size
        if on_progress is not None:
            on_progress(seen)
    return rendered
