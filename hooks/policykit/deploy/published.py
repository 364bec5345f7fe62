"""What the build published: one record per output page, for headers, manifests and feeds.

The engine layer (the MkDocs hooks) adds a record for every page it writes
whose meaning the file name alone cannot tell (a current policy, a history
page, a version snapshot, a feed).  Code that renders cache headers, the
deploy manifest or purge lists reads them back; files without a record are
classified by their path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

#: Kinds of published pages.
POLICY = "policy"  # the current text of a policy
HISTORY = "policy-history"  # the list of a policy's versions
VERSION = "policy-version"  # the permanent snapshot of a past version: its text never changes
CURRENT_VERSION = "policy-version-current"  # the latest version's snapshot: its banner changes with the next version
INDEX = "index"  # a policy centre / home page
FEED = "feed"  # an Atom feed
PAGE = "page"  # any other page built from Markdown
VERSION_SOURCE = "policy-version-source"  # a version's committed Markdown (versions/N/source.md): the git blob's bytes
API = "api"  # the versions API (api/policies.json, B versions.json) and its JSON Schemas

TIMEMAP = "timemap"  # a policy's Memento TimeMap (application/link-format), written by policykit.deploy.memento

KINDS = frozenset({POLICY, HISTORY, VERSION, CURRENT_VERSION, INDEX, FEED, PAGE, VERSION_SOURCE, API, TIMEMAP})


@dataclass(frozen=True)
class PublishedPage:
    """One output file and what it is."""

    path: str  # posix path relative to the site directory, e.g. "en/privacy/index.html"
    kind: str  # one of KINDS
    locale: str  # language of the page, e.g. "zh-Hant"
    policy: str | None = None  # language-independent policy id, e.g. "privacy"
    last_modified: datetime | None = None  # timezone-aware instant of the content's last change


class PublishedPages:
    """A registry of published pages keyed by output path (last write wins)."""

    def __init__(self) -> None:
        self._pages: dict[str, PublishedPage] = {}

    def add(self, page: PublishedPage) -> None:
        if page.kind not in KINDS:
            raise ValueError(f"unknown page kind {page.kind!r} for {page.path}")
        self._pages[page.path] = page

    def get(self, path: str) -> PublishedPage | None:
        return self._pages.get(path)

    def clear(self) -> None:
        self._pages.clear()

    def __iter__(self) -> Iterator[PublishedPage]:
        return iter(sorted(self._pages.values(), key=lambda p: p.path))

    def __len__(self) -> int:
        return len(self._pages)
