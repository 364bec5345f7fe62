"""Which source files are policies, in which language, under which language-independent id."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class PolicyRef:
    """A policy source file."""

    src_path: str  # docs-relative, e.g. "en/privacy.md" or "privacy.md" on a one-language site
    locale: str  # language of the file
    policy_id: str  # the same in every language, e.g. "privacy" or "legal/terms"


def policy_ref(src_path: str, locales: Iterable[str], default_locale: str, exclude: Iterable[str] = ("index.md",)) -> PolicyRef | None:
    """The policy a source path holds, or None for non-policies (index pages, assets)."""
    if not src_path.lower().endswith((".md", ".markdown")):
        return None
    if posixpath.basename(src_path) in set(exclude):
        return None
    first, _, rest = src_path.partition("/")
    if rest and first in set(locales):
        locale, inner = first, rest
    else:
        locale, inner = default_locale, src_path
    stem, _ = posixpath.splitext(inner)
    return PolicyRef(src_path=src_path, locale=locale, policy_id=stem)
