"""Front matter keys the tool does not know (``unknown_front_matter: info``): what the build log says.

Such keys (Jekyll's ``versions:``, ``topics:``, ``layout:``) are kept in the page's
metadata for the theme; each is reported once per build with every file that uses it.
Keys of another convention that would change a URL (``permalink:``, ``redirect_from:``,
``redirect_to:``) are reported as not applied, with the URLs that differ, because a
reader following an old link would otherwise meet a 404 nobody announced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KeyUse:
    """One file's use of a key: the file as shown, the value, the URL path the file is published at."""

    file: str
    value: Any
    url: str  # site path, percent-encoded, starting with "/"


def _as_paths(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def _same_url(wanted: str, actual: str) -> bool:
    def norm(u: str) -> str:
        u = u.split("#", 1)[0]
        for suffix in ("index.html", ".html"):
            u = u.removesuffix(suffix)
        return "/" + u.strip("/")
    return norm(wanted) == norm(actual)


def report(uses: dict[str, list[KeyUse]]) -> list[str]:
    """One INFO line per unknown key, in key order (deterministic)."""
    lines = []
    for key in sorted(uses):
        found = sorted(uses[key], key=lambda u: u.file)
        files = ", ".join(u.file for u in found)
        if key == "permalink":
            differ = [f"{u.file} asks for {w} but is published at {u.url}"
                      for u in found for w in _as_paths(u.value)[:1] if not _same_url(w, u.url)]
            same = len(found) - len(differ)
            lines.append(
                f"Front matter key 'permalink' is not applied (URLs come from file paths) in {len(found)} file(s)"
                + (f"; the URL differs for {len(differ)}: " + "; ".join(differ) if differ else "")
                + (f"; {same} already match" if same and differ else "; every one matches the published URL" if not differ else "")
                + ". Move the file (git mv) to publish it at the URL you want."
            )
        elif key in ("redirect_from", "redirect_to"):
            moves = []
            for u in found:
                targets = [p for p in _as_paths(u.value) if not _same_url(p, u.url)]
                if targets:
                    arrow = "->" if key == "redirect_from" else "<-"
                    moves.append(f"{', '.join(targets)} {arrow} {u.url} ({u.file})")
            lines.append(
                f"Front matter key '{key}' is not applied (this tool creates no redirects) in {len(found)} file(s)"
                + (": " + "; ".join(moves) if moves else "")
                + ". Configure these redirects on the web server or CDN (e.g. Netlify _redirects) if old links must keep working."
            )
        else:
            lines.append(
                f"Front matter key '{key}' is not used by this tool; it is kept for the theme (page.meta) "
                f"in {len(found)} file(s): {files}."
            )
    return lines
