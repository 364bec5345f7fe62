"""Render a policy's Markdown source the way the site does, for past versions.

The site's own extension list and settings are passed in, so a snapshot
renders exactly like the live page.  Relative links are resolved as MkDocs
would (``terms.md`` -> the page's URL) and then made relative to the page the
HTML will sit on, because version pages live deeper than the policy.
"""

from __future__ import annotations

import hashlib
import posixpath
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

import markdown
from markdown.treeprocessors import Treeprocessor

from policykit.source.text import split_front_matter

UrlForSource = Callable[[str], "str | None"]


class _LinkRewriter(Treeprocessor):
    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.src_path = ""
        self.page_url = ""
        self.url_for_src: UrlForSource = lambda _src: None

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
        names = sorted(e if isinstance(e, str) else type(e).__name__ for e in extensions)
        self.fingerprint = hashlib.sha256(
            repr((names, sorted((extension_configs or {}).keys()), markdown.__version__)).encode()
        ).hexdigest()[:16]

    def render(self, source: bytes | str, *, src_path: str = "", page_url: str = "", url_for_src: UrlForSource | None = None) -> str:
        """HTML of *source* (front matter dropped) for a page at *page_url* (site-relative)."""
        data = source if isinstance(source, bytes) else source.encode("utf-8")
        _, body = split_front_matter(data)
        text = body.decode("utf-8", "replace")
        self._links.src_path = src_path
        self._links.page_url = page_url
        self._links.url_for_src = url_for_src or (lambda _src: None)
        self._md.reset()
        return self._md.convert(text)
