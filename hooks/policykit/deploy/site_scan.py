"""One pass over the built site: what the deploy step needs of each file, each file read once.

:func:`scan_site` opens every listed file once, in path order, and keeps of
it only its SHA-256 (hex) and size, plus the CSP findings of an HTML page
(path and hash of each inline script the policy blocks):

* an HTML page (``*.html``, ``*.htm``) is read whole, one page at a time (its
  bytes are dropped before the next page is opened): references to the
  project's renamed assets are rewritten (``fingerprint.HtmlRewriter``; the
  page is written back, as a new file, only when one changed), then the final bytes are
  hashed for the manifest and their inline scripts checked against the CSP
  (``theme_scripts.scripts_not_allowed``);
* a file given a gzip MTIME (``sitemap.xml.gz``, dated with the source date
  for reproducible bytes) is read whole, its header's MTIME field (bytes 4-7,
  covered by no checksum) written back in place, and the result hashed;
* any other file is streamed through SHA-256 in blocks
  (``manifest.stream_digest``), never whole in memory;
* a file whose digest the caller already has (``known``: the renamed assets,
  read once by ``fingerprint.rename_assets`` for their names) is not opened;
* neither is a file the caller knows with its inline scripts (``kept``: the
  archive pages a build kept from an earlier one, ``policykit.mkdocs.archive_store``,
  the very bytes that build's scan found): its scripts are checked against the
  CSP from their hashes.  For the paths in ``collect`` the scan returns those
  hashes (``SiteScan.scripts``), for the next build to know.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Container, Iterable, Mapping

from policykit.deploy.cache_rules import site_files
from policykit.deploy.error_pages import REDIRECTS_FILE, write_redirects
from policykit.deploy.fingerprint import HtmlRewriter, rename_assets
from policykit.deploy.manifest import stream_digest
from policykit.deploy.theme_scripts import ThemeScripts, is_html, page_script_hashes

GZIP_MAGIC = b"\x1f\x8b"
#: The sitemap whose gzip header gets the source date (MkDocs dates it with a page date read as UTC).
SITEMAP_GZ = "sitemap.xml.gz"


@dataclass
class SiteScan:
    """What one pass over the site found."""

    digests: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (sha256 hex, size)
    unlisted: list[tuple[str, str]] = field(default_factory=list)  # (path, hash): inline scripts the CSP blocks
    scripts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # path in collect -> its inline scripts' hashes


@dataclass(frozen=True)
class SiteRead:
    """Everything the deploy step reads from the site, gathered before it writes its own files."""

    paths: list[str]  # every file, sorted (renamed assets by their new names, ``_redirects`` when written)
    renamed: dict[str, str]  # own asset -> fingerprinted path
    digests: dict[str, tuple[str, int]]  # path -> (sha256 hex, size)
    hashes: list[str]  # the CSP's script hashes
    unlisted: list[tuple[str, str]]  # (path, hash) of inline scripts outside the content the CSP blocks
    scripts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # see SiteScan.scripts


def gzip_mtime_field(epoch: int) -> bytes:
    """The 4 bytes of a gzip header's MTIME field for *epoch* (clamped to what the field holds)."""
    return max(0, min(epoch, 0xFFFFFFFF)).to_bytes(4, "little")


def _read_stamping_gzip(path: str, epoch: int) -> bytes:
    """The bytes of the file at *path*, its gzip MTIME set to *epoch* first (on disk too) if it is gzip."""
    with open(path, "r+b") as fh:
        data = fh.read()
        if data[:2] != GZIP_MAGIC:
            return data
        stamp = gzip_mtime_field(epoch)
        fh.seek(4)
        fh.write(stamp)
        return data[:4] + stamp + data[8:]


def _replace(path: str, data: bytes) -> None:
    """Write *data* as a new file at *path* (never into the old one, which may be a hard link to a kept archive)."""
    part = path + ".policykit-part"
    with open(part, "wb") as out:
        out.write(data)
    os.replace(part, path)


def scan_site(
    site_dir: str | os.PathLike[str],
    paths: Iterable[str],
    *,
    allowed: Iterable[str] = (),
    rewrite: HtmlRewriter | None = None,
    known: Mapping[str, tuple[str, int]] | None = None,
    gzip_mtimes: Mapping[str, int] | None = None,
    kept: Mapping[str, tuple[str, int, tuple[str, ...]]] | None = None,
    collect: Container[str] = (),
) -> SiteScan:
    """Read every file of *paths* (site-relative, posix) once; see the module doc.

    ``allowed``: the CSP's script hashes; ``rewrite``: the renamed assets' reference rewriter;
    ``known``: path -> (sha256, size) of files not to read; ``gzip_mtimes``: path -> epoch for its gzip header;
    ``kept``: path -> (sha256, size, its inline scripts' hashes) of files not to read; ``collect``: paths whose
    inline scripts' hashes to return.
    """
    root = os.fspath(site_dir)
    ok = frozenset(allowed)
    known = known or {}
    kept = kept or {}
    gzip_mtimes = gzip_mtimes or {}
    scan = SiteScan()
    for rel in paths:
        if rel in known:
            scan.digests[rel] = known[rel]
            continue
        if rel in kept:
            sha, size, scripts = kept[rel]
            scan.digests[rel] = (sha, size)
            scan.unlisted.extend((rel, digest) for digest in scripts if digest not in ok)
            if rel in collect:
                scan.scripts[rel] = scripts
            continue
        path = os.path.join(root, rel)
        html = is_html(rel)
        if rel in gzip_mtimes:
            data = _read_stamping_gzip(path, gzip_mtimes[rel])
        elif html:
            with open(path, "rb") as fh:
                data = fh.read()
        else:
            scan.digests[rel] = stream_digest(path)
            if rel in collect:
                scan.scripts[rel] = ()  # not a page: no scripts
            continue
        if rewrite is not None and rewrite.applies(rel):
            new = rewrite(rel, data)
            if new is not None:
                _replace(path, new)
                data = new
        scan.digests[rel] = (hashlib.sha256(data).hexdigest(), len(data))
        if html:
            found = page_script_hashes(data)
            scan.unlisted.extend((rel, digest) for digest in found if digest not in ok)
            if rel in collect:
                scan.scripts[rel] = tuple(found)
        elif rel in collect:
            scan.scripts[rel] = ()
    return scan


def read_site(site: Path, own_assets: Iterable[str], epoch: int | None,
              theme_scripts: ThemeScripts | None,
              kept: Mapping[str, tuple[str, int, tuple[str, ...]]] | None = None,
              collect: Container[str] = (), listed: Iterable[str] | None = None) -> SiteRead:
    """List the site once, fingerprint the own assets, write ``_redirects``, then read every file once.

    ``epoch``: the source date for the gzip header of ``sitemap.xml.gz`` (None: left as it is).
    ``theme_scripts``: the theme's inline scripts the CSP allows (None: none).
    ``kept``, ``collect``: see ``scan_site``.
    ``listed``: the site's files as ``site_files`` lists them, when the caller already has them.
    """
    listed = site_files(site) if listed is None else sorted(listed)  # refuses bad names before anything is touched
    renamed, known = rename_assets(site, own_assets)
    listed = sorted({renamed.get(p, p) for p in listed})
    paths = sorted({*listed, REDIRECTS_FILE}) if write_redirects(site, listed) is not None else listed
    hashes = theme_scripts.hashes(paths) if theme_scripts is not None else []
    scan = scan_site(site, paths, allowed=hashes, rewrite=HtmlRewriter(renamed), known=known,
                     gzip_mtimes={SITEMAP_GZ: epoch} if epoch is not None else None, kept=kept, collect=collect)
    return SiteRead(paths, renamed, scan.digests, hashes, scan.unlisted, scan.scripts)


__all__ = ["GZIP_MAGIC", "SITEMAP_GZ", "SiteRead", "SiteScan", "gzip_mtime_field", "read_site", "scan_site"]
