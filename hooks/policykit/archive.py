"""A policy's archive: numbered versions, their in-force ranges, change notes and URLs.

URLs are stable as history grows: version N of a policy published at
``privacy/`` lives at ``privacy/versions/N/`` forever, and its history at
``privacy/history/``.  A new commit only adds a page.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from . import generated
from .history import FileHistory, Version
from .sourcetext import FrontMatterError, parse_front_matter

log = logging.getLogger("mkdocs.policykit.archive")
_REPORTED: set[tuple[str, str]] = set()  # (commit, path) whose unreadable front matter was logged


@dataclass(frozen=True)
class VersionEntry:
    """One version as readers see it."""

    version: Version
    number: int
    change_note: str  # front matter ``change_note`` new in that version, else the commit subject
    effective: date | None  # front matter ``effective`` at that version
    in_force_from: date | datetime  # the effective date when given, else the version's instant
    in_force_to: date | datetime | None  # when the next version took effect; None for the current one
    title: str | None  # front matter ``title`` at that version

    @property
    def is_current(self) -> bool:
        return self.in_force_to is None


def _meta(version: Version) -> dict[str, Any]:
    try:
        return parse_front_matter(version.front_matter.encode("utf-8"))
    except FrontMatterError as exc:  # an old version's broken front matter must not break today's build
        if (version.commit, version.path) not in _REPORTED:
            _REPORTED.add((version.commit, version.path))
            log.info(
                "%s, version %d (commit %s): its front matter is ignored: %s. The history shows the commit "
                "subject as its change note; past commits cannot be fixed, the current text is checked as usual.",
                version.path, version.number, version.commit[:12], exc,
            )
        return {}


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def version_entries(fh: FileHistory, *, retired_on: datetime | None = None) -> list[VersionEntry]:
    """The versions of one policy, oldest first, with in-force ranges."""
    metas = [_meta(v) for v in fh.versions]
    starts: list[date | datetime] = []
    for v, meta in zip(fh.versions, metas):
        eff = _as_date(meta.get("effective"))
        starts.append(eff if eff is not None else v.date)
    end_of_last = retired_on if retired_on is not None else (fh.retired.date if fh.retired else None)
    entries = []
    previous_note: Any = None
    for i, (v, meta) in enumerate(zip(fh.versions, metas)):
        note = meta.get("change_note")
        # A note left in the front matter from an earlier version describes that version, not this one.
        note, previous_note = (None if note == previous_note else note), note
        entries.append(
            VersionEntry(
                version=v,
                number=v.number,
                change_note=str(note).strip() if note not in (None, "") else v.subject,
                effective=_as_date(meta.get("effective")),
                in_force_from=starts[i],
                in_force_to=starts[i + 1] if i + 1 < len(starts) else end_of_last,
                title=str(meta["title"]) if meta.get("title") else None,
            )
        )
    return entries


def policy_base(dest_path: str) -> str:
    """The folder a policy's archive hangs under: ``en/privacy/index.html`` -> ``en/privacy/``."""
    if dest_path.endswith("/index.html"):
        return dest_path[: -len("index.html")]
    if dest_path == "index.html":
        return ""
    stem, _ = posixpath.splitext(dest_path)
    return stem + "/"


HISTORY_FILE = generated.register(generated.POLICY, "history/index.html", "the policy's history page")
VERSION_FILE = generated.register(generated.POLICY, "versions/{number}/index.html", "a version page of the policy")


def history_path(dest_path: str) -> str:
    """Output file of the history page of the policy published at *dest_path*."""
    return policy_base(dest_path) + HISTORY_FILE


def version_path(dest_path: str, number: int) -> str:
    """Output file of version *number* of the policy published at *dest_path*."""
    return policy_base(dest_path) + VERSION_FILE.format(number=number)


def url_of(path: str) -> str:
    """The directory URL of an output file: ``en/privacy/versions/3/index.html`` -> ``en/privacy/versions/3/``."""
    return path[: -len("index.html")] if path.endswith("index.html") else path
