"""Render a policy's Markdown source the way the site does, for past versions.

The site's own extension list and settings are passed in, so a snapshot
renders exactly like the live page.  Relative links are resolved as MkDocs
would (``terms.md`` -> the page's URL) and then made relative to the page the
HTML will sit on, because version pages live deeper than the policy.
"""

from __future__ import annotations

import posixpath
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

import markdown
from markdown.treeprocessors import Treeprocessor

from policykit.pages.render_inputs import Unstable, installed_versions, renderer_fingerprint
from policykit.source.text import split_front_matter

UrlForSource = Callable[[str], "str | None"]


class _LinkRewriter(Treeprocessor):
    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.src_path = ""
        self.page_url = ""
        self.url_for_src: UrlForSource = lambda _src: None
        self.lookups: dict[str, str | None] = {}  # every link target asked for -> what it resolved to

    def run(self, root: Any) -> None:
        for el in root.iter():
            for attr in ("href", "src"):
                value = el.get(attr)
                if value:
                    el.set(attr, self.rewrite(value))

    def rewrite(self, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme or parts.netloc or value.startswith(("/", "#")) or not parts.path:
            return value
        target_src = posixpath.normpath(posixpath.join(posixpath.dirname(self.src_path), parts.path))
        target_url = self.url_for_src(target_src)
        self.lookups[target_src] = target_url
        if target_url is None:
            return value
        rel = posixpath.relpath(target_url or ".", self.page_url or ".")
        if target_url.endswith("/") and not rel.endswith("/"):
            rel += "/"
        return urlunsplit(("", "", rel, parts.query, parts.fragment))


class MarkdownRenderer:
    """Python-Markdown with the site's extensions, plus link rewriting for deeper pages."""

    def __init__(self, extensions: Sequence[Any], extension_configs: Mapping[str, Any] | None = None) -> None:
        self._md = markdown.Markdown(extensions=list(extensions), extension_configs=dict(extension_configs or {}))
        self._links = _LinkRewriter(self._md)
        self._md.treeprocessors.register(self._links, "policykit_links", 0)
        #: Digest of the extensions, their settings' values and the package versions; None when a
        #: setting has no stable form (then nothing this renderer makes may be cached, see why_uncacheable).
        self.fingerprint: str | None = None
        self.why_uncacheable: str | None = None
        try:
            self.fingerprint = renderer_fingerprint(extensions, extension_configs, installed_versions(extensions))
        except Unstable as exc:
            self.why_uncacheable = str(exc)

    def render(self, source: bytes | str, *, src_path: str = "", page_url: str = "", url_for_src: UrlForSource | None = None) -> str:
        """HTML of *source* (front matter dropped) for a page at *page_url* (site-relative)."""
        return self.render_with_links(source, src_path=src_path, page_url=page_url, url_for_src=url_for_src)[0]

    def render_with_links(
        self, source: bytes | str, *, src_path: str = "", page_url: str = "", url_for_src: UrlForSource | None = None
    ) -> tuple[str, dict[str, str | None]]:
        """The HTML, and every link target (docs-relative source path) it resolved with what it found.

        The second part is what the HTML depends on besides the text: the same
        lookups giving the same answers later means the same HTML.
        """
        data = source if isinstance(source, bytes) else source.encode("utf-8")
        _, body = split_front_matter(data)
        text = body.decode("utf-8", "replace")
        self._links.src_path = src_path
        self._links.page_url = page_url
        self._links.url_for_src = url_for_src or (lambda _src: None)
        self._links.lookups = {}
        self._md.reset()
        return self._md.convert(text), dict(self._links.lookups)
