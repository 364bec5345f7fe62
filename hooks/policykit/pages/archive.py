"""A policy's archive: numbered versions, their in-force ranges, change notes and URLs.

URLs are stable as history grows: version N of a policy published at
``privacy/`` lives at ``privacy/versions/N/`` forever, and its history at
``privacy/history/``.  A new commit only adds a page.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass
from datetime import date, datetime, time
from datetime import date as _date  # a field of EffectiveChange is named "date"
from typing import Any, Mapping

from policykit.dates import zone
from policykit import generated
from policykit.history.versions import FileHistory, Version
from policykit.source.text import FrontMatterError, parse_front_matter
from policykit.source.writtendate import WrittenDateError, parse_written_date

log = logging.getLogger("mkdocs.policykit.archive")
_REPORTED: set[tuple[str, str]] = set()  # (commit, path) whose unreadable front matter was logged (this build)


def new_build() -> None:
    """Log each unreadable old front matter again in the next build (called at the start of every build)."""
    _REPORTED.clear()


@dataclass(frozen=True)
class EffectiveChange:
    """A front-matter-only commit that changed a version's effective date (the history says so)."""

    commit: str
    date: datetime  # when the change was committed (the configured date source)
    old: _date | None  # the effective date before (None: there was none)
    new: _date | None  # the effective date after (None: removed)


@dataclass(frozen=True)
class VersionEntry:
    """One version as readers see it.

    Its dates are one value used by every page, feed and manifest: the effective
    date is the latest committed ``effective`` while the version's text is
    unchanged (a front-matter-only commit moves it; ``effective_changes`` says when).
    """

    version: Version
    number: int
    change_note: str | None  # the editor's note: the corrections file's ``note``, else front matter ``change_note``
    # new in that version; None when neither (readers see ``note_shown``, never an empty note)
    effective: date | None  # front matter ``effective`` as last committed for that version
    in_force_from: date | datetime  # the effective date when given, else the version's instant
    in_force_to: date | datetime | None  # when a later version takes effect (or the policy retired); None if never
    title: str | None  # front matter ``title`` at that version
    starts_at: datetime | None = None  # in_force_from as an instant (a date starts at 00:00 in the timezone)
    ends_at: datetime | None = None  # in_force_to as an instant
    superseded_by: int | None = None  # the version that takes effect at in_force_to (None: retired or never)
    effective_changes: tuple[EffectiveChange, ...] = ()  # oldest first

    @property
    def is_latest(self) -> bool:
        """The newest published version (not necessarily in force: see policykit.effective)."""
        return self.in_force_to is None

    @property
    def never_in_force(self) -> bool:
        """A later version takes effect no later than this one would have."""
        return self.ends_at is not None and self.starts_at is not None and self.ends_at <= self.starts_at


def _meta(version: Version) -> dict[str, Any]:
    return _meta_of(version.front_matter, version)


def _meta_of(front_matter: str, version: Version | None = None) -> dict[str, Any]:
    try:
        return parse_front_matter(front_matter.encode("utf-8"))
    except FrontMatterError as exc:  # an old version's broken front matter must not break today's build
        if version is not None and (version.commit, version.path) not in _REPORTED:
            _REPORTED.add((version.commit, version.path))
            log.info(
                "%s, version %d (commit %s): its front matter is ignored: %s. Past commits cannot be fixed: give "
                "that version its note in the corrections file; the current text is checked as usual.",
                version.path, version.number, version.commit[:12], exc,
            )
        return {}


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:  # the same parser as the live page (policykit.effective.parse_effective)
            return parse_written_date(value) if value.strip() else None
        except WrittenDateError:
            return None  # a past version's unreadable date: the version starts at its publication
    return None


def start_instant(value: date | datetime, tz: str) -> datetime:
    """When *value* is reached: an instant as is, a date at 00:00 in the configured timezone."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0, 0), tzinfo=zone(tz))


def _effective_history(version: Version, first: date | None) -> tuple[date | None, tuple[EffectiveChange, ...]]:
    """The effective date last committed for *version* and every change of it after the version."""
    current = first
    changes = []
    for rev in version.later_front_matter:
        value = _as_date(_meta_of(rev.front_matter).get("effective"))
        if value != current:
            changes.append(EffectiveChange(rev.commit, rev.date, current, value))
            current = value
    return current, tuple(changes)


def note_shown(entry: VersionEntry, labels: Mapping[str, str], *, subjects: bool = False) -> str:
    """The change note readers see: the editor's note; else the commit subject when the site shows subjects
    (``commit_subjects_as_notes``); else "first published" for version 1 and "no summary given" after it."""
    if entry.change_note:
        return entry.change_note
    if subjects and entry.version.subject.strip():
        return entry.version.subject.strip()
    return labels["note_first_published"] if entry.number == 1 else labels["note_none"]


def version_entries(fh: FileHistory, *, retired_on: datetime | None = None, tz: str = "UTC",
                    notes: Mapping[int, str] | None = None) -> list[VersionEntry]:
    """The versions of one policy, oldest first, with in-force ranges.

    A version is in force from its start (effective date, else publication)
    until the earliest start of any later version, compared as instants in
    *tz* (the configured ``timezone``); the newest version whose start has
    arrived is the one in force.  *notes* (version number -> note, from the
    corrections file) win over front matter ``change_note``.
    """
    metas = [_meta(v) for v in fh.versions]
    effs: list[tuple[date | None, tuple[EffectiveChange, ...]]] = [
        _effective_history(v, _as_date(meta.get("effective"))) for v, meta in zip(fh.versions, metas, strict=True)
    ]
    starts: list[date | datetime] = [eff if eff is not None else v.date for v, (eff, _) in zip(fh.versions, effs, strict=True)]
    instants = [start_instant(s, tz) for s in starts]
    end_of_last = retired_on if retired_on is not None else (fh.retired.date if fh.retired else None)
    # For each version, the later version that takes effect first (on a tie, the newer one, which is in force).
    successor: list[int | None] = [None] * len(starts)
    best: int | None = None
    for i in range(len(starts) - 1, -1, -1):
        successor[i] = best
        if best is None or instants[i] < instants[best]:
            best = i
    entries = []
    previous_note: Any = None
    for i, (v, meta) in enumerate(zip(fh.versions, metas, strict=True)):
        note = meta.get("change_note")
        # A note left in the front matter from an earlier version describes that version, not this one.
        note, previous_note = (None if note == previous_note else note), note
        nxt = successor[i]
        end: date | datetime | None = starts[nxt] if nxt is not None else end_of_last
        entries.append(
            VersionEntry(
                version=v,
                number=v.number,
                change_note=(notes or {}).get(v.number) or (str(note).strip() if note not in (None, "") else None),
                effective=effs[i][0],
                in_force_from=starts[i],
                in_force_to=end,
                title=str(meta["title"]) if meta.get("title") else None,
                starts_at=instants[i],
                ends_at=start_instant(end, tz) if end is not None else None,
                superseded_by=fh.versions[nxt].number if nxt is not None else None,
                effective_changes=effs[i][1],
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
SOURCE_FILE = generated.register(generated.POLICY, "versions/{number}/source.md", "a version's committed Markdown")


def history_path(dest_path: str) -> str:
    """Output file of the history page of the policy published at *dest_path*."""
    return policy_base(dest_path) + HISTORY_FILE


def version_path(dest_path: str, number: int) -> str:
    """Output file of version *number* of the policy published at *dest_path*."""
    return policy_base(dest_path) + VERSION_FILE.format(number=number)


def source_path(dest_path: str, number: int) -> str:
    """Output file of version *number*'s committed Markdown (the git blob's bytes) of the policy at *dest_path*."""
    return policy_base(dest_path) + SOURCE_FILE.format(number=number)


def url_of(path: str) -> str:
    """The directory URL of an output file: ``en/privacy/versions/3/index.html`` -> ``en/privacy/versions/3/``."""
    return path[: -len("index.html")] if path.endswith("index.html") else path
