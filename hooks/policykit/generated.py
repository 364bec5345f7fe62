"""The one list of paths the build writes itself, beside the pages of docs/.

Each generator declares its output paths here when its module is imported
(``FEED_NAME = generated.register(LANGUAGE, "feed.xml", "the language feed")``)
and builds its paths from the value ``register`` returns, so the list cannot
drift from what is written.  Before anything is built, the validate hook asks
:func:`collisions` whether a committed file would be published at one of
these paths: a committed ``docs/zh-Hant/feed.xml`` or
``docs/en/privacy/history/index.md`` is an error, never silently overwritten
(or overwriting).

Three scopes, each a pattern relative to a folder:

* ``SITE``: the site's root (``_headers``, ``manifest.json``);
* ``LANGUAGE``: each language's home (``""``, ``"en/"``): ``feed.xml``,
  ``sitemap.xml`` (at the root MkDocs' own);
* ``POLICY``: each policy's folder (``en/privacy/``): ``feed.xml``, ``sitemap.xml``,
  ``history/index.html``, ``versions/{n}/index.html``.

``{name}`` in a pattern stands for one path segment.  Paths are compared
case-insensitively: they must not differ only in case either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

SITE = "site"
LANGUAGE = "language"
POLICY = "policy"
SCOPES = (SITE, LANGUAGE, POLICY)


@dataclass(frozen=True)
class Output:
    scope: str
    pattern: str  # relative to the scope's folder; "{n}" is one path segment
    what: str  # for messages: "the policy's history page"

    def regex(self) -> re.Pattern[str]:
        parts = re.split(r"(\{[^}/]*\})", self.pattern)
        return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p.casefold()) for p in parts))


_OUTPUTS: dict[tuple[str, str], Output] = {}


def register(scope: str, pattern: str, what: str) -> str:
    """Declare that the build writes *pattern* in every folder of *scope*; returns *pattern*."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; use one of {SCOPES}")
    _OUTPUTS.setdefault((scope, pattern), Output(scope, pattern, what))
    return pattern


def outputs() -> list[Output]:
    """Every registered output, in registration order."""
    return list(_OUTPUTS.values())


def collisions(
    published: Mapping[str, str], *, language_roots: Iterable[str], policy_folders: Iterable[str]
) -> list[tuple[str, str, str]]:
    """``(source, site path, what)`` for every committed file that would be published at a generated path.

    *published* maps each docs file's final site path (``en/feed.xml``) to the
    file as shown to editors (``docs/en/feed.xml``).  Folders end with ``/``
    (the site root is ``""``).  Cost: files x folder depth x outputs.
    """
    folders = {
        SITE: {""},
        LANGUAGE: {f.casefold() for f in language_roots},
        POLICY: {f.casefold() for f in policy_folders},
    }
    checks = [(out, out.regex()) for out in outputs()]
    found = []
    for dest in sorted(published):
        key = dest.casefold()
        cuts = [0] + [i + 1 for i, ch in enumerate(key) if ch == "/"]
        for out, rx in checks:
            if any(key[:c] in folders[out.scope] and rx.fullmatch(key[c:]) for c in cuts):
                found.append((published[dest], dest, out.what))
                break
    return found
