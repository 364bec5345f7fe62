"""Route each folder's missing URLs to the ``404.html`` nearest to them, on every platform.

A site has a ``404.html`` at its root and may have more in folders (one per
language: ``en/404.html``, ``zh-Hans/404.html``).  A missing URL gets the
deepest of them whose folder contains it, the rule Cloudflare Pages applies by
itself.  Each platform is told with what it supports:

* nginx: one ``location /en/ { error_page 404 /en/404.html; ... }`` per folder
  (``header_files.render_nginx``); ``location /`` gets the root's.  An inner
  location inherits ``error_page`` only when it sets none, so every folder's
  location sets its own.
* Netlify: ``_redirects`` rules ``/en/*  /en/404.html  404``, deepest first
  (Netlify applies the first rule that matches, and a 404 rule only when no
  file answers the URL).  Netlify serves the root ``404.html`` by itself.
* Cloudflare Pages reads ``_redirects`` too but permits only the statuses 200,
  301, 302, 303, 307 and 308: it skips the 404 lines (they are invalid there)
  and serves the nearest ``404.html`` by itself.
* ``_headers`` cannot route a 404 anywhere.

A ``_redirects`` the site already has (another generator's) is kept: the rules
are appended below it, between two marker lines, so its own rules win and a
second run replaces only this block.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from policykit import generated
from policykit.deploy.cache_rules import HeaderRuleError

NOT_FOUND_PAGE = "404.html"
REDIRECTS_FILE = generated.register(generated.SITE, "_redirects", "the Netlify redirects file (404 per folder)")
BEGIN = "# policykit: 404 pages per folder (generated; do not edit this block)"
END = "# policykit: end"


def not_found_folders(paths: Iterable[str]) -> list[str]:
    """Folders (``en/``) with their own ``404.html``, deepest first, then by name; the root is not one."""
    folders = {p[: -len(NOT_FOUND_PAGE)] for p in paths if p.endswith("/" + NOT_FOUND_PAGE)}
    return sorted(folders, key=lambda f: (-f.count("/"), f))


def redirect_rules(folders: Iterable[str]) -> list[tuple[str, str, int]]:
    """``(from, to, status)`` of each folder's 404 rule, in the order Netlify must apply them."""
    from policykit.deploy.header_files import encode_url_path  # header_files imports this module

    rules = []
    for folder in folders:
        if any(ch.isspace() for ch in folder) or "*" in folder or any(s.startswith(":") for s in folder.split("/")):
            raise HeaderRuleError(f"{folder + NOT_FOUND_PAGE!r}: a space, '*' or a segment starting with ':' "
                                  "has a meaning in _redirects; rename the folder")
        base = "/" + encode_url_path(folder)
        rules.append((base + "*", base + NOT_FOUND_PAGE, 404))
    return rules


def render_redirects(rules: Iterable[tuple[str, str, int]], existing: str = "") -> str:
    """Text of ``_redirects``: *existing* without an earlier block of ours, then this block."""
    kept: list[str] = []
    inside = False
    for line in existing.splitlines():
        if line == BEGIN:
            inside = True
        elif inside and line == END:
            inside = False
        elif not inside:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    block = [BEGIN, *(f"{src}  {dest}  {status}" for src, dest, status in rules), END]
    return "\n".join([*kept, *([""] if kept else []), *block]) + "\n"


def write_redirects(site: Path, paths: Iterable[str]) -> Path | None:
    """Write ``_redirects`` into *site* when some folder has its own 404 page; returns its path, else None."""
    rules = redirect_rules(not_found_folders(paths))
    target = site / REDIRECTS_FILE
    existing = target.read_text(encoding="utf-8") if target.is_file() else ""
    if not rules and BEGIN not in existing:
        return None
    target.write_text(render_redirects(rules, existing), encoding="utf-8")
    return target


__all__ = ["NOT_FOUND_PAGE", "REDIRECTS_FILE", "not_found_folders", "redirect_rules", "render_redirects",
           "write_redirects"]
