"""Effective dates: the front matter ``effective: YYYY-MM-DD`` and which version is in force now.

Words (README): *latest* is the newest published version; *in force* is the
newest version whose effective date (or, without one, publication date) has
arrived, a date being reached at 00:00 in the configured timezone; the *live
page* is the policy's own URL.  "Current" and "現行" mean in force.

A policy may be published before it takes effect.  Its page then shows the
upcoming text, announces the date, and links the version still in force.
Labels that depend on a date after the build carry both dates in the static
HTML and are switched by overrides/assets/policy.js with the reader's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping, Sequence

import yaml

from policykit.source import safeyaml
from policykit.pages.archive import EffectiveChange, VersionEntry
from policykit.dates import display_date, iso_instant
from policykit.source.text import split_front_matter
from policykit.source.writtendate import EXAMPLES, WrittenDateError, parse_written_date

KEY = "effective"
_ABSENT = ("", "~", "null", "Null", "NULL")


class EffectiveDateError(ValueError):
    """The ``effective`` value is not a date (or an ambiguous one)."""


def parse_effective(value: Any) -> date | None:
    """``effective`` from front matter as a date; None when absent; EffectiveDateError when invalid.

    Text is read by policykit.writtendate (``2025-10-29``, ``29 October 2025``,
    ``October 29, 2025``, ``2025年10月29日``); the one parser for the live page
    and for every past version (policykit.archive).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        raise EffectiveDateError(f"'{KEY}' must be a date, not a date and time: {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text in _ABSENT:
            return None
        try:
            return parse_written_date(text)
        except WrittenDateError as exc:
            raise EffectiveDateError(f"'{KEY}': {exc}") from exc
    raise EffectiveDateError(f"'{KEY}' must be a date written as {EXAMPLES}, found {value!r}")


def effective_of_source(data: bytes, meta: Mapping[str, Any] | None = None) -> date | None:
    """The validated ``effective`` date of a source file's current text.

    The raw front matter is read as plain strings, because a YAML loader turns
    an impossible date such as ``2024-02-30`` into an error that MkDocs
    swallows (the page would silently lose all its front matter).  When the
    raw YAML cannot be read at all, *meta* (what MkDocs parsed) is used.
    """
    fm, _ = split_front_matter(data)
    raw: Any = None
    if fm.strip():
        try:
            raw = safeyaml.load(fm.decode("utf-8", "replace"), safeyaml.BaseLoader)
        except yaml.YAMLError:
            raw = None
    if isinstance(raw, dict):
        return parse_effective(raw.get(KEY))
    return parse_effective((meta or {}).get(KEY))


@dataclass(frozen=True)
class Upcoming:
    """The latest version takes effect later than "now"."""

    upcoming: VersionEntry  # the latest version, not yet in force
    starts: date | datetime  # when it takes effect
    in_force: VersionEntry | None  # the version still in force now, if any
    starts_iso: str = ""  # the instant it takes effect (00:00 in the timezone for a date), for policy.js


def build_now(entries: Sequence[VersionEntry], now: datetime) -> datetime:
    """The build's "now" for *entries*: never before a version that is already published.

    A commit dated before its parent (a rebase, a wrong clock) must not make a
    published version look as if it had not been published yet.
    """
    dates = [e.version.date for e in entries]
    return max([now, *dates]) if dates else now


def in_force_at(entries: Sequence[VersionEntry], now: datetime) -> VersionEntry | None:
    """The version in force at *now*: the newest whose start (effective date, else publication) has arrived."""
    for e in reversed(entries):
        if e.starts_at is not None and e.starts_at <= now:
            return e
    return None


def upcoming(entries: Sequence[VersionEntry], now: datetime, tz: str) -> Upcoming | None:
    """When the latest version's in-force start lies after *now*: it and the version in force; else None.

    An effective date is reached at 00:00 in the configured timezone *tz*
    (``VersionEntry.starts_at``), so a version effective today is in force all day.
    """
    if not entries:
        return None
    latest = entries[-1]
    now = build_now(entries, now)
    if latest.starts_at is None or latest.starts_at <= now:
        return None
    return Upcoming(latest, latest.in_force_from, in_force_at(entries[:-1], now), iso_instant(latest.starts_at, tz))


def range_days(entry: VersionEntry, locale: str, tz: str) -> tuple[str, str | None]:
    """The first and the end day of *entry*'s range as readers see them (end None: open), for every page."""
    end = display_date(entry.in_force_to, locale, tz) if entry.in_force_to is not None else None
    return display_date(entry.in_force_from, locale, tz), end


def range_text(entry: VersionEntry, labels: dict[str, str], locale: str, tz: str) -> str:
    """The range *entry* is in force, in the reader's words, without saying whether it is now ("In force from … to …")."""
    start, end = range_days(entry, locale, tz)
    if end is None:
        return labels["takes_effect"].format(start=start)
    return labels["in_force_range"].format(start=start, end=end)


# ------------------------------------------------------------------ labels that follow the calendar


@dataclass(frozen=True)
class Variant:
    """A text that is true from *since* (inclusive) until *until* (exclusive); ISO instants, None: unbounded."""

    text: str
    since: str | None
    until: str | None


@dataclass(frozen=True)
class Timed:
    """A version's in-force label, as the static page states it and as policy.js updates it.

    ``static`` is true whatever the date: it names a state only when every
    date it depends on had arrived at the build's "now" (``SOURCE_DATE_EPOCH``,
    which the build pins to HEAD's commit time); otherwise it states the dates
    plainly.  ``variants`` are the exact labels for each span of time, which
    policy.js picks with the reader's clock (overrides/partials/policy-timed.html).
    """

    static: str
    variants: tuple[Variant, ...] = ()
    current: bool = False  # in force at the build's "now" and for good (no later version is scheduled)
    current_since: str | None = None  # when the in-force span is timed: its bounds, for policy.js
    current_until: str | None = None
    timed_current: bool = False  # the entry has an in-force span that policy.js must find by the clock


def in_force_label(entry: VersionEntry, labels: dict[str, str], locale: str, tz: str, known_now: datetime) -> Timed:
    """*entry*'s in-force label: "current" only when in force, "not yet in force" before its effective date.

    *known_now* is the build's notion of now; the page stays true after it
    without a rebuild, because anything that depends on a later date is left
    to policy.js and stated with both dates in the static text.
    """
    assert entry.starts_at is not None
    start = display_date(entry.in_force_from, locale, tz)
    if entry.never_in_force:
        return Timed(labels["never_in_force"].format(start=start, next=entry.superseded_by))
    s_iso = iso_instant(entry.starts_at, tz)
    e_iso = iso_instant(entry.ends_at, tz) if entry.ends_at is not None else None
    end = display_date(entry.in_force_to, locale, tz) if entry.in_force_to is not None else None
    upcoming_text = labels["not_yet_in_force"].format(start=start)
    if entry.ends_at is None:
        in_force_text = labels["in_force_current"].format(start=start)
    elif entry.superseded_by is None:  # retired
        in_force_text = labels["in_force_range"].format(start=start, end=end)
    else:
        in_force_text = labels["in_force_current_until"].format(start=start, end=end, next=entry.superseded_by)
    past_text = labels["in_force_range"].format(start=start, end=end) if end is not None else ""
    started = entry.starts_at <= known_now
    ended = entry.ends_at is not None and entry.ends_at <= known_now
    if started and entry.ends_at is None:
        return Timed(in_force_text, current=True)
    if ended:
        return Timed(past_text)
    if started:  # in force now, until a later version's effective date
        neutral = labels["in_force_until"].format(start=start, end=end, next=entry.superseded_by) if entry.superseded_by else in_force_text
        return Timed(
            neutral,
            (Variant(in_force_text, None, e_iso), Variant(past_text, e_iso, None)),
            current_since=None, current_until=e_iso, timed_current=True,
        )
    if entry.ends_at is None:  # the latest version, effective later
        return Timed(
            labels["takes_effect"].format(start=start),
            (Variant(upcoming_text, None, s_iso), Variant(in_force_text, s_iso, None)),
            current_since=s_iso, timed_current=True,
        )
    return Timed(
        past_text,
        (Variant(upcoming_text, None, s_iso), Variant(in_force_text, s_iso, e_iso), Variant(past_text, e_iso, None)),
        current_since=s_iso, current_until=e_iso, timed_current=True,
    )


def effective_change_text(change: EffectiveChange, labels: dict[str, str], locale: str, tz: str) -> str:
    """"Effective date changed on D from X to Y" (or set, or removed), in the reader's words."""
    when = display_date(change.date, locale, tz)
    if change.old is None and change.new is not None:
        return labels["effective_set"].format(date=when, new=display_date(change.new, locale, tz))
    if change.new is None and change.old is not None:
        return labels["effective_removed"].format(date=when, old=display_date(change.old, locale, tz))
    assert change.old is not None and change.new is not None
    return labels["effective_changed"].format(
        date=when, old=display_date(change.old, locale, tz), new=display_date(change.new, locale, tz)
    )
