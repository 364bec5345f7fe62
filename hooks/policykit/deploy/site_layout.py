"""Where a generator put each source file, without asking the generator (for ``policykit finalize``).

A built folder does not say which file is which policy, language or date.
This module rebuilds that knowledge from the docs folder's layout rules, the
ones MkDocs, ProperDocs and Zensical share (``mkdocs.yml``'s
``use_directory_urls``, and mkdocs-static-i18n's ``docs_structure: folder``):

* ``layout="directory"``: ``a/b.md`` -> ``a/b/index.html``; ``a/index.md``
  and ``a/README.md`` -> ``a/index.html``;
* ``layout="file"``: ``a/b.md`` -> ``a/b.html``; ``a/index.md`` -> ``a/index.html``;
* languages: a source under a folder named like a language (``en/privacy.md``)
  belongs to that language and is published under its prefix (``en/``); any
  other source belongs to the default language, the one published at ``/``.

It also turns the ``policykit history --json`` document back into the
registry of published pages that ``deploy.finalize_site`` needs.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from policykit.pages import archive
from policykit.deploy.published import CURRENT_VERSION, HISTORY, POLICY, VERSION, PublishedPage, PublishedPages

LAYOUTS = ("directory", "file")


class LayoutError(ValueError):
    """A layout option is wrong, or the site does not have the pages the layout says it must."""


@dataclass(frozen=True)
class Layout:
    """How source paths become output paths."""

    layout: str = "directory"  # "directory" (use_directory_urls: true) or "file"
    prefixes: tuple[tuple[str, str], ...] = (("en", ""),)  # (locale, output prefix), e.g. ("en", "en/")

    @property
    def locales(self) -> list[str]:
        return [loc for loc, _ in self.prefixes]

    @property
    def default_locale(self) -> str:
        return next(loc for loc, prefix in self.prefixes if prefix == "")

    def prefix(self, locale: str) -> str:
        return dict(self.prefixes)[locale]


def parse_languages(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``["zh-Hant=/", "en=/en/"]`` -> ``(("zh-Hant", ""), ("en", "en/"))``; ``[]`` -> one English site at ``/``.

    ``LOCALE`` alone means ``LOCALE=/``.  Exactly one language must be at ``/``.
    """
    if not values:
        return (("en", ""),)
    out: list[tuple[str, str]] = []
    for value in values:
        locale, sep, prefix = value.partition("=")
        locale = locale.strip()
        if not locale or "/" in locale:
            raise LayoutError(f"--language {value!r}: expected LOCALE=PREFIX, for example en=/en/ or zh-Hant=/")
        prefix = prefix.strip() if sep else "/"
        norm = posixpath.normpath("/" + prefix).strip("/")
        if ".." in norm.split("/"):
            raise LayoutError(f"--language {value!r}: the prefix must be a folder of the site, like /en/")
        if any(loc == locale for loc, _ in out):
            raise LayoutError(f"--language {locale!r} is given twice")
        out.append((locale, norm + "/" if norm else ""))
    roots = [loc for loc, p in out if p == ""]
    if len(roots) != 1:
        raise LayoutError(
            "exactly one --language must be published at '/' (the default language), "
            f"found {len(roots)}: {', '.join(roots) or 'none'}"
        )
    return tuple(out)


def dest_path(src_path: str, locale: str, layout: Layout) -> str:
    """The output file of a Markdown source (docs-relative posix path) of language *locale*."""
    first, _, rest = src_path.partition("/")
    inner = rest if rest and first == locale and locale in layout.locales else src_path
    folder, name = posixpath.split(inner)
    stem, _ = posixpath.splitext(name)
    if stem in ("index", "README"):
        out = posixpath.join(folder, "index.html")
    elif layout.layout == "directory":
        out = posixpath.join(folder, stem, "index.html")
    else:
        out = posixpath.join(folder, stem + ".html")
    return layout.prefix(locale) + out


def registry_of(document: Mapping[str, Any], layout: Layout, site_files: Iterable[str]) -> PublishedPages:
    """The published pages of a ``policykit history --json`` document, for a site built with *layout*.

    Every current policy is registered at its output path with the date of its
    latest version.  History and version pages (which only the plugin renders)
    are registered when the site has them.  Raises LayoutError naming every
    policy whose page is missing: the layout options do not match the site.
    """
    present = set(site_files)
    registry = PublishedPages()
    missing = []
    for policy in document["policies"]:
        if policy["retired"] is not None:
            continue
        dest = dest_path(policy["src_path"], policy["locale"], layout)
        if dest not in present:
            missing.append(f"{policy['src_path']} -> {dest}")
            continue
        versions = policy["versions"]
        latest = _instant(versions[-1]["published"]) if versions else None
        registry.add(PublishedPage(dest, POLICY, policy["locale"], policy["policy"], latest))
        if not versions:
            continue
        history = archive.history_path(dest)
        if history in present:
            registry.add(PublishedPage(history, HISTORY, policy["locale"], policy["policy"], latest))
        for v in versions:
            path = archive.version_path(dest, v["number"])
            if path in present:
                kind = CURRENT_VERSION if v is versions[-1] else VERSION
                registry.add(PublishedPage(path, kind, policy["locale"], policy["policy"], _instant(v["published"])))
    if missing:
        raise LayoutError(
            f"{len(missing)} policy page(s) are not in the site where the layout says they are:\n  "
            + "\n  ".join(missing[:20])
            + ("\n  ..." if len(missing) > 20 else "")
            + "\nCheck --layout (directory for use_directory_urls: true, file for false) and --language."
        )
    return registry


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def site_paths(site_dir: str | Path) -> list[str]:
    """Every file of the site, posix, relative (no name checks: those are finalize_site's)."""
    root = Path(site_dir)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
