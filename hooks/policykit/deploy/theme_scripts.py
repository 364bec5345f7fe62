"""The CSP's script hashes, computed from the theme alone, never from the built pages.

Material writes a few small inline scripts into every page
(``partials/javascripts/*.html``: the ``__md_scope`` / ``__md_get`` helpers,
the palette and tab restorers, ...).  The Content-Security-Policy allows them
by their SHA-256.  Hashing them out of the built HTML would also allow any
script that reached the output through page content, so the hashes come from
rendering the theme's own script partials with the site's configuration,
one language build at a time (:meth:`ThemeScripts.add_language`); nothing an
editor writes is part of that input.

One script depends on the page: ``__md_scope=new URL("{{ base_url }}",...)``.
MkDocs' ``base_url`` is ``.``, ``..``, ``../..``, ... by folder depth (the site
root of mkdocs-static-i18n's languages is the same), and the path of
``site_url`` on error pages (``404.html``).  The partials are rendered once with
a placeholder for it, and :meth:`ThemeScripts.hashes` substitutes every value
up to the deepest page of the site.  The depth is the only thing of the
output that matters, and only as a number.

:func:`unlisted_scripts` is the check that the list is complete: an
executable inline script outside the page content whose hash is not allowed
is a theme script this module missed (or markup that escaped its place); the
build warns about it, because the CSP blocks it in browsers.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

#: Stands for ``base_url`` while the partials are rendered (letters only: survives any filter that keeps text).
BASE_PLACEHOLDER = "PKTHEMEBASEURLPK"
#: Every template in this folder of the theme (its overrides included) is a script partial.
SCRIPT_PARTIALS = "partials/javascripts/"
#: Other theme templates that write inline scripts into the page.
EXTRA_SCRIPT_PARTIALS = ("partials/integrations/analytics.html",)
#: Partials Material's base.html includes only under a condition (its own expression), so that the
#: CSP does not list scripts no page has; any other script partial counts as always included.  Should a
#: theme upgrade include one more often than this says, the build warns (:func:`unlisted_scripts`).
CONDITIONS = {
    "partials/javascripts/announce.html": '"announce.dismiss" in features',
    "partials/javascripts/outdated.html": "config.extra.version",
    "partials/javascripts/consent.html": "config.extra.consent",
}
#: The context base.html gives its includes: ``lang`` and ``features`` (see Material's base.html).
_WRAPPER = (
    '{% import "partials/language.html" as lang with context %}'
    "{% set features = config.theme.features or [] %}"
    "{% if CONDITION %}{% include partial_name %}{% endif %}"
)

_SCRIPT_RE = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.DOTALL)
_CONTENT_START = b'<article class="md-content__inner'  # Material's page content
_TYPE_RE = re.compile(r"""\btype\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_SRC_RE = re.compile(r"\bsrc\s*=", re.IGNORECASE)
_JS_TYPES = frozenset({"", "module", "text/javascript", "application/javascript", "text/ecmascript",
                       "application/ecmascript", "text/jscript", "text/livescript"})


def executable_scripts(raw: bytes) -> list[bytes]:
    """Bodies of the inline ``<script>`` elements of *raw* HTML that a browser would run.

    Skipped: ``src=`` scripts (allowed by ``'self'``) and data blocks such as
    Material's ``<script id="__config" type="application/json">``.  Tags are
    matched in lower case, as the theme writes them.
    """
    out = []
    for attrs, body in _SCRIPT_RE.findall(raw):
        attrs_text = attrs.decode("utf-8", errors="surrogateescape")
        if _SRC_RE.search(attrs_text):
            continue
        m = _TYPE_RE.search(attrs_text)
        script_type = next((g for g in m.groups() if g is not None), "") if m else ""
        if script_type.strip().lower() in _JS_TYPES:
            out.append(body)
    return out


def csp_hash(body: bytes) -> str:
    """The CSP source expression allowing one inline script: ``'sha256-<base64>'``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + "'"


def outside_content(raw: bytes) -> bytes:
    """*raw* HTML without Material's page content (``<article class="md-content__inner ...">``)."""
    start = raw.find(_CONTENT_START)
    if start == -1:
        return raw
    end = raw.rfind(b"</article>")
    return raw[:start] + (raw[end:] if end > start else b"")


def base_urls(html_paths: Iterable[str]) -> list[str]:
    """MkDocs' relative ``base_url`` for every folder depth from the root to the deepest of *html_paths*."""
    deepest = max((p.count("/") for p in html_paths if p.lower().endswith((".html", ".htm"))), default=0)
    return ["."] + ["/".join([".."] * depth) for depth in range(1, deepest + 1)]


@dataclass
class ThemeScripts:
    """The theme's executable inline scripts, with ``base_url`` as :data:`BASE_PLACEHOLDER`."""

    bodies: set[str] = field(default_factory=set)
    error_bases: set[str] = field(default_factory=set)  # base_url of error pages (site_url's path)

    def clear(self) -> None:
        self.bodies.clear()
        self.error_bases.clear()

    def add_language(self, env: Any, context: Mapping[str, Any], error_base: str) -> None:
        """Render the script partials of *env* (a theme's Jinja environment) with *context*.

        *context* needs what the partials read, at least ``config``; ``base_url``
        is set here.  Call once per language build (each has its own config).
        """
        known = set(env.list_templates())  # once: it walks every folder of the theme
        names = sorted(n for n in known if n.startswith(SCRIPT_PARTIALS) and n.endswith(".html"))
        names += [n for n in EXTRA_SCRIPT_PARTIALS if n in known]
        for name in names:
            wrapper = env.from_string(_WRAPPER.replace("CONDITION", CONDITIONS.get(name, "true")))
            html = wrapper.render({**context, "base_url": BASE_PLACEHOLDER, "partial_name": name})
            for body in executable_scripts(html.encode("utf-8")):
                self.bodies.add(body.decode("utf-8"))
        self.error_bases.add(error_base)

    def hashes(self, html_paths: Iterable[str]) -> list[str]:
        """CSP hashes of every script for every ``base_url`` the pages at *html_paths* can have."""
        bases = {*base_urls(html_paths), *self.error_bases}
        found = {csp_hash(body.replace(BASE_PLACEHOLDER, base).encode("utf-8"))
                 for body in self.bodies for base in bases}
        return sorted(found)


def is_html(rel: str) -> bool:
    """Whether the site file at *rel* is a page whose inline scripts the CSP check reads."""
    return rel.lower().endswith((".html", ".htm"))


def page_script_hashes(raw: bytes) -> list[str]:
    """CSP hashes of the executable inline scripts outside the page content of *raw*, in page order."""
    return [csp_hash(body) for body in executable_scripts(outside_content(raw))]


def scripts_not_allowed(raw: bytes, allowed: frozenset[str]) -> list[str]:
    """CSP hashes of the executable inline scripts outside the page content of *raw* that *allowed* lacks."""
    return [digest for digest in page_script_hashes(raw) if digest not in allowed]


def unlisted_scripts(site_dir: str | os.PathLike[str], paths: Iterable[str],
                     allowed: Iterable[str]) -> list[tuple[str, str]]:
    """``(path, hash)`` of executable inline scripts outside the page content that *allowed* lacks.

    Scripts inside the page content (an editor's ``<script>`` in Markdown)
    are not reported: the CSP blocks them, as it should.  The deploy step
    does the same inside its one pass over the site (``site_scan``).
    """
    root = Path(site_dir)
    ok = frozenset(allowed)
    return [(rel, digest) for rel in paths if is_html(rel)
            for digest in scripts_not_allowed((root / rel).read_bytes(), ok)]


__all__ = [
    "BASE_PLACEHOLDER", "CONDITIONS", "ThemeScripts", "base_urls", "csp_hash", "executable_scripts", "is_html", "page_script_hashes",
    "outside_content", "scripts_not_allowed", "unlisted_scripts",
]
