"""schema.org JSON-LD of policy and version pages: the data, and the one safe way to put it in a page.

The markup (``<script type="application/ld+json">``) is in the templates; this
module gives its text.  A ``<script>`` element ends at the first ``</script``
whatever its type, and a title or note is editor-written, so ``<``, ``>`` and
``&`` are written as ``\\u003c``, ``\\u003e`` and ``\\u0026`` (the same JSON
value): no text can close the element or open a comment.  Browsers do not run
``application/ld+json``, so the Content-Security-Policy needs no hash for it.

Dates are RFC 3339 in the site's timezone (as the pages' ``<time datetime>``):
a version page's ``datePublished`` and ``dateModified`` are its publication
instant; the current page's ``datePublished`` is the first publication and its
``dateModified`` the latest version's instant (its stamp).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from policykit.dates import iso_instant

_ESCAPES = (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"))


def html_safe(json_text: str) -> str:
    """JSON text with ``<``, ``>`` and ``&`` written as ``\u003c`` ``\u003e`` ``\u0026``: the same values, and no
    editor-written text can close a ``<script>`` or read as markup if a browser ever sniffs the file as HTML."""
    # str.replace, not str.translate: translate maps text char by char in Python's slow path for non-ASCII text
    for char, escaped in _ESCAPES:
        if char in json_text:
            json_text = json_text.replace(char, escaped)
    return json_text


def script_json(data: Any) -> str:
    """*data* as JSON that is safe inside a ``<script>`` element (sorted keys: the same data, the same bytes)."""
    return html_safe(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def document(*, name: str, language: str, version: int, published: datetime, modified: datetime, url: str | None,
             tz: str, source: tuple[str, str] | None = None) -> dict[str, Any]:
    """A ``DigitalDocument`` of one policy text; *source*: (URL of its source.md, its SHA-256)."""
    out: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "DigitalDocument",
        "name": name,
        "inLanguage": language,
        "version": version,
        "datePublished": iso_instant(published, tz),
        "dateModified": iso_instant(modified, tz),
    }
    if url:
        out["url"] = url
    if source is not None:
        out["encoding"] = {"@type": "MediaObject", "contentUrl": source[0], "encodingFormat": "text/markdown",
                           "sha256": source[1]}
    return out
