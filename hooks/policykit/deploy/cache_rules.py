"""Decide, for every file of the built site, how caches may keep it and which headers it gets.

This module is the single source of truth for HTTP caching; ``header_files``
only renders its decisions as a Netlify/Cloudflare ``_headers`` file and as an
nginx include.

Cache classes and why
---------------------
A reader must never be shown a stale policy, and things that did not change
should not be fetched again.

``revalidate`` -- ``public, max-age=0, must-revalidate``
    Everything whose bytes can change at the same URL: current policy pages,
    policy centres (index pages), history pages, feeds, ``search_index.json``,
    sitemaps, ``404.html``, every other HTML page, and any file type this
    module does not know (the safe default).  Caches may store the response
    but must ask the origin before every use; an unchanged file costs a
    304 (ETag / Last-Modified), a changed one is fetched at once.  Current
    policy pages also carry ``Last-Modified`` = the registry instant
    (IMF-fixdate, RFC 9110 section 5.6.7); the nginx rendering gets the same
    value because ``mtimes`` sets it as the file's mtime.

``version`` -- ``public, max-age=600, must-revalidate``
    A version's snapshot (``/privacy/versions/3/``).  Its policy text never
    changes, but the HTML around it does: the LATEST snapshot says "current
    version" until the next version is published (then it gains an end date
    and a "next" link), every snapshot references theme assets by hashed name
    that a later deploy replaces, and navigation comes from the current
    templates.  So it is not ``immutable``, and not a day either: ten minutes
    of freshness bound how long a browser may show "current" on a superseded
    version (CDNs are purged through the purge list at once), after which a
    304 renews it cheaply.  One class for every snapshot, current or not, so
    that large archives can still be expressed as directory rules.  Only pages
    the registry marks as version pages get it; a path that merely looks like
    one falls back to ``revalidate``.  A version's committed Markdown
    (``versions/3/source.md``, the git blob's bytes) is in this class too.

``immutable`` -- ``public, max-age=31536000, immutable``
    Files whose name contains a hash of their content: Material's
    ``name.<hex8+>.min.(css|js)`` (and their ``.map``) and the project's own
    assets renamed by ``fingerprint``.  A new content means a new URL, so the
    old one can be kept for a year without revalidation.  These rules are
    always rendered on EXACT paths: a splat such as
    ``/assets/javascripts/*.min.js`` would also match Material's unhashed
    ``lunr/min/lunr.zh.min.js``, and a splat would make a 404 for a not yet
    published name cacheable for a year.

``static`` -- ``public, max-age=3600, must-revalidate``
    Unhashed static assets (lunr language files, fonts, images, unhashed
    CSS/JS).  They change only when the theme is upgraded, but then the new
    hashed bundle expects the new file, so the lifetime is short (an hour)
    and a conditional request (304) renews it.

Content-Type: files whose type the servers do not know (``CONTENT_TYPES``:
``.md``) get it in both renderings, so ``nosniff`` never makes a browser
refuse or download them.

Security headers (``X-Content-Type-Options``, ``Referrer-Policy``,
``X-Frame-Options``, ``Content-Security-Policy``) apply to every URL.  In
``_headers`` they sit on ``/*`` and Cache-Control never does: Cloudflare
applies every matching rule and joins repeated header names with ", ", and
with two Cache-Control values the most restrictive directive wins
(RFC 9111 section 4.2.1), so a Cache-Control on ``/*`` would make every asset
uncacheable.  The CSP allows no third-party origin (the site makes no
third-party request) and allows Material's inline scripts by their sha256
hashes, computed from the theme's own script partials by
``policykit.theme_scripts`` and never from the built HTML, so nothing written
into a page can be allowed (``<script type="application/json">`` data blocks
are not executed and need no hash).  Styles keep
``'unsafe-inline'`` (Material writes inline ``style`` attributes, which hashes
cannot allow without ``'unsafe-hashes'``); style injection cannot run code.

Memento (``memento``): a policy's TimeMap (``B timemap.link``, registry kind
``timemap``) is ``revalidate`` like its history page (a new version adds a
line) and gets ``Content-Type: application/link-format``; version, policy and
history pages get their ``Link`` / ``Memento-Datetime`` (``FileRule.memento_headers``).

Purge tags: every file of a policy (current page, history, versions, policy
feed) gets ``policy-<id>`` and ``policy-<id>-<locale>`` as ``Cache-Tag``
(Cloudflare, comma separated) and ``Surrogate-Key`` (Fastly, space
separated), so one tag purge clears all of a policy, or one language of it.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Iterable, Mapping

from policykit import generated
from policykit.deploy import memento
from policykit.deploy.published import CURRENT_VERSION, POLICY, TIMEMAP, VERSION, VERSION_SOURCE, PublishedPage, PublishedPages


class HeaderRuleError(ValueError):
    """A file of the site cannot be given safe headers (the message names the file)."""


@dataclass(frozen=True)
class CacheClass:
    """A named caching policy and its Cache-Control value."""

    name: str
    cache_control: str
    collapsible: bool  # may be rendered as a splat pattern covering a whole directory


REVALIDATE = CacheClass("revalidate", "public, max-age=0, must-revalidate", True)
VERSION_SNAPSHOT = CacheClass("version", "public, max-age=600, must-revalidate", True)
IMMUTABLE = CacheClass("immutable", "public, max-age=31536000, immutable", False)
STATIC = CacheClass("static", "public, max-age=3600, must-revalidate", True)
CLASSES = {c.name: c for c in (REVALIDATE, VERSION_SNAPSHOT, IMMUTABLE, STATIC)}

#: Material's hashed bundles: ``main.6f8fc17f.min.css``, ``search.f8cc74c7.min.js`` (+ ``.map``).
MATERIAL_HASHED = re.compile(r"^[^/]+\.[0-9a-f]{8,}\.min\.(?:css|js)(?:\.map)?$")
STATIC_EXTENSIONS = frozenset(
    ".css .js .mjs .map .woff .woff2 .ttf .otf .eot .svg .png .jpg .jpeg .gif .webp .avif .ico".split()
)
#: Files written by the deploy step itself; they are not site pages.
HEADERS_FILE = generated.register(generated.SITE, "_headers", "the cache headers file")
MANIFEST_FILE = generated.register(generated.SITE, "manifest.json", "the deploy manifest")
SIGNATURE_FILE = generated.register(generated.SITE, "manifest.json.sig", "the manifest's signature")

#: Content-Type of file types the platforms do not know (nginx's mime.types, Netlify and Cloudflare Pages serve
#: ``.md`` as ``application/octet-stream`` or ``text/plain`` without a charset); by lower-case extension.
CONTENT_TYPES = {".md": "text/markdown; charset=utf-8"}

SECURITY_BASE = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
)
_TAG_RE = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class FileRule:
    """The caching decision for one output file."""

    path: str  # posix path relative to the site directory
    cache: CacheClass
    tags: tuple[str, ...] = ()
    last_modified: datetime | None = None  # only for current policy pages
    record: PublishedPage | None = field(default=None, compare=False)
    memento_info: memento.PageMemento | None = None  # Link (and Memento-Datetime) of a version, policy or history page
    content_type: str | None = None  # where the server's own mapping is wrong: a TimeMap, source.md (``content_type``)

    @property
    def urls(self) -> tuple[str, ...]:
        """Decoded URL paths that serve this file (``/x/`` and ``/x/index.html`` for index files)."""
        return url_forms(self.path)

    def headers(self) -> tuple[tuple[str, str], ...]:
        """Per-file headers (security headers excluded), in a fixed order."""
        out = [("Cache-Control", self.cache.cache_control)]
        if self.tags:
            out.append(("Cache-Tag", ", ".join(self.tags)))
            out.append(("Surrogate-Key", " ".join(self.tags)))
        if self.last_modified is not None:
            out.append(("Last-Modified", http_date(self.last_modified)))
        return tuple(out)

    def memento_headers(self, *, timegate: bool = True) -> tuple[tuple[str, str], ...]:
        """``Memento-Datetime`` and ``Link`` (without ``rel="timegate"`` where no TimeGate answers)."""
        if self.memento_info is None:
            return ()
        out = []
        if self.memento_info.datetime is not None:
            out.append(("Memento-Datetime", memento.imf_fixdate(self.memento_info.datetime)))
        links = [link for link in self.memento_info.links if timegate or link.rel != "timegate"]
        out.append(("Link", memento.render_links(links)))
        return tuple(out)


@dataclass(frozen=True)
class SiteRules:
    """Every file's rule plus the headers that apply to every URL."""

    files: tuple[FileRule, ...]
    security: tuple[tuple[str, str], ...]
    default: CacheClass = REVALIDATE
    timelines: tuple[memento.Timeline, ...] = ()  # Memento: one per policy and language (TimeGates)

    def by_path(self) -> dict[str, FileRule]:
        return {f.path: f for f in self.files}


def url_forms(path: str) -> tuple[str, ...]:
    """Decoded URL paths for a site file: ``a/index.html`` -> ``/a/``, ``/a/index.html``."""
    if path == "index.html":
        return ("/", "/index.html")
    if path.endswith("/index.html"):
        return ("/" + path[: -len("index.html")], "/" + path)
    return ("/" + path,)


def http_date(instant: datetime) -> str:
    """IMF-fixdate (RFC 9110) of an aware datetime, truncated to the second."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: last_modified must be timezone-aware")
    utc = instant.astimezone(timezone.utc).replace(microsecond=0)
    return format_datetime(utc, usegmt=True)


def check_name(path: str) -> str:
    """Return ``path`` or raise HeaderRuleError if a character could break a header file or URL."""
    if path.isprintable():  # fast path: no Cc, Zl, Zp or Cs character can be in a printable string
        return path
    for ch in path:
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs"):
            raise HeaderRuleError(
                f"{path!r}: file name contains control or undecodable character {ch!r}; "
                "it cannot be written safely into _headers or nginx config"
            )
    return path


def site_files(site_dir: str | os.PathLike[str],
               exclude: Iterable[str] = (HEADERS_FILE, MANIFEST_FILE, SIGNATURE_FILE)) -> list[str]:
    """All files under ``site_dir`` as sorted posix relative paths (names checked)."""
    root = os.fspath(Path(site_dir))
    skip = set(exclude)
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        folder = dirpath[len(root):].strip(os.sep).replace(os.sep, "/")  # os.walk joins onto root as given
        for name in filenames:
            rel = f"{folder}/{name}" if folder else name
            check_name(rel)
            if rel not in skip:
                out.append(rel)
    return sorted(out)


def policy_tags(record: PublishedPage | None) -> tuple[str, ...]:
    """Purge tags of a registry record: ``policy-<id>`` and ``policy-<id>-<locale>``."""
    if record is None or not record.policy:
        return ()
    pid = record.policy
    if not _TAG_RE.match(f"policy-{pid}"):  # e.g. "legal/terms" or non-ASCII ids: a safe, unique spelling
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", pid).strip("-") or "policy"
        pid = f"{safe}-{hashlib.sha256(record.policy.encode('utf-8')).hexdigest()[:8]}"
    tags = (f"policy-{pid}", f"policy-{pid}-{record.locale}")
    for tag in tags:
        if not _TAG_RE.match(tag):
            raise HeaderRuleError(f"{record.path}: purge tag {tag!r} may only contain letters, digits, '.', '_', '-'")
    return tags


def classify(path: str, record: PublishedPage | None = None, fingerprinted: Iterable[str] = ()) -> CacheClass:
    """The cache class of one file, from its registry record if any, else from its name."""
    if record is not None:
        return VERSION_SNAPSHOT if record.kind in (VERSION, CURRENT_VERSION, VERSION_SOURCE) else REVALIDATE
    name = path.rsplit("/", 1)[-1]
    if path in set(fingerprinted) or MATERIAL_HASHED.match(name):
        return IMMUTABLE
    ext = os.path.splitext(name)[1].lower()
    if ext in STATIC_EXTENSIONS:
        return STATIC
    return REVALIDATE  # HTML, XML, JSON, sitemaps, feeds and anything unknown


def content_type(path: str) -> str | None:
    """The Content-Type the headers must give *path*, or None where the server's own mapping is right."""
    return CONTENT_TYPES.get(os.path.splitext(path)[1].lower())


def content_security_policy(script_hashes: Iterable[str]) -> str:
    """A same-origin-only CSP under which Material pages (search worker included) work."""
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_headers(script_hashes: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Headers for every URL of the site (no Cache-Control among them)."""
    return (*SECURITY_BASE, ("Content-Security-Policy", content_security_policy(script_hashes)))


def build_rules(
    site_dir: str | os.PathLike[str],
    registry: PublishedPages,
    fingerprinted: Iterable[str] = (),
    file_mtimes: Mapping[str, int] | None = None,
    paths: Iterable[str] | None = None,
    script_hashes: Iterable[str] = (),
    timelines: Iterable[memento.Timeline] | None = None,
) -> SiteRules:
    """Classify every file of ``site_dir``.

    ``fingerprinted``: paths of the project's own renamed assets (immutable).
    ``file_mtimes``: effective mtimes from ``mtimes.plan_mtimes``; a current policy's
    Last-Modified is taken from it so both renderings agree with the file's mtime.
    ``script_hashes``: the CSP hashes of the theme's inline scripts (``policykit.theme_scripts``).
    ``timelines``: the registry's Memento timelines when already made (``memento.write_timemaps``).
    """
    files = sorted(paths) if paths is not None else site_files(site_dir)
    for rel in files:
        check_name(rel)
    printed = frozenset(fingerprinted)
    found = tuple(memento.timelines(registry) if timelines is None else timelines)
    mementos = memento.page_mementos(found)
    rules = []
    for rel in files:
        record = registry.get(rel)
        cache = classify(rel, record, printed)
        last_modified = None
        if record is not None and record.kind == POLICY and record.last_modified is not None:
            last_modified = record.last_modified
            if file_mtimes is not None and rel in file_mtimes:
                last_modified = datetime.fromtimestamp(file_mtimes[rel], timezone.utc)
        own_type = memento.LINK_FORMAT if record is not None and record.kind == TIMEMAP else content_type(rel)
        rules.append(FileRule(rel, cache, policy_tags(record), last_modified, record, mementos.get(rel), own_type))
    return SiteRules(tuple(rules), security_headers(sorted(set(script_hashes))), timelines=found)


__all__ = [
    "HeaderRuleError", "CacheClass", "REVALIDATE", "VERSION_SNAPSHOT", "IMMUTABLE", "STATIC", "CLASSES",
    "FileRule", "SiteRules", "url_forms", "http_date", "check_name", "site_files", "classify",
    "content_security_policy", "security_headers", "build_rules", "policy_tags", "CONTENT_TYPES", "content_type",
]
