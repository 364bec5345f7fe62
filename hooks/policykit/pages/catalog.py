"""Which source files are policies, in which language, under which language-independent id."""

from __future__ import annotations

import posixpath
from fnmatch import fnmatchcase
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class PolicyRef:
    """A policy source file."""

    src_path: str  # docs-relative, e.g. "en/privacy.md" or "privacy.md" on a one-language site
    locale: str  # language of the file
    policy_id: str  # the same in every language, e.g. "privacy" or "legal/terms"


#: Not policies unless a site says otherwise (``policy_exclude``): index pages and repository files.
DEFAULT_EXCLUDE = ("index.md", "README.md", "LICENSE.md")


def excluded(inner: str, exclude: Iterable[str]) -> bool:
    """Whether the language-relative path *inner* matches ``policy_exclude``.

    An entry without ``/`` is a file name (``README.md``, ``*.draft.md``) matched in
    every folder; an entry with ``/`` is a path from the language folder
    (``drafts/*``, ``Acme Cloud/notes.md``).  Globs are fnmatch's, case-sensitive.
    """
    name = posixpath.basename(inner)
    for pattern in exclude:
        if fnmatchcase(inner if "/" in pattern else name, pattern.strip("/")):
            return True
    return False


def policy_ref(src_path: str, locales: Iterable[str], default_locale: str, exclude: Iterable[str] = DEFAULT_EXCLUDE) -> PolicyRef | None:
    """The policy a source path holds, or None for non-policies (index pages, assets)."""
    if not src_path.lower().endswith((".md", ".markdown")):
        return None
    first, _, rest = src_path.partition("/")
    if rest and first in set(locales):
        locale, inner = first, rest
    else:
        locale, inner = default_locale, src_path
    if excluded(inner, exclude):
        return None
    stem, _ = posixpath.splitext(inner)
    return PolicyRef(src_path=src_path, locale=locale, policy_id=stem)
