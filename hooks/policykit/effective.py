"""Effective dates: the front matter ``effective: YYYY-MM-DD`` and which version is in force now.

A policy may be published before it takes effect.  Its page then shows the
upcoming text, announces the date, and links the version still in force.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping, Sequence

import yaml

from . import safeyaml
from .archive import VersionEntry
from .dates import display_date, local_date
from .sourcetext import split_front_matter

KEY = "effective"
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ABSENT = ("", "~", "null", "Null", "NULL")


class EffectiveDateError(ValueError):
    """The ``effective`` value is not a real YYYY-MM-DD date."""


def parse_effective(value: Any) -> date | None:
    """``effective`` from front matter as a date; None when absent; EffectiveDateError when invalid."""
    if value is None:
        return None
    if isinstance(value, datetime):
        raise EffectiveDateError(f"'{KEY}' must be a date (YYYY-MM-DD), not a date and time: {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text in _ABSENT:
            return None
        if not _ISO_DAY.match(text):
            raise EffectiveDateError(f"'{KEY}' must be a date written YYYY-MM-DD, found {text!r}")
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise EffectiveDateError(f"'{KEY}' is not a real date: {text!r} ({exc})") from exc
    raise EffectiveDateError(f"'{KEY}' must be a date written YYYY-MM-DD, found {value!r}")


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
            raw = yaml.load(fm.decode("utf-8", "replace"), Loader=safeyaml.BaseLoader)
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


def _started(start: date | datetime, now: datetime, tz: str) -> bool:
    if isinstance(start, datetime):
        return start <= now
    return start <= local_date(now, tz)


def upcoming(entries: Sequence[VersionEntry], now: datetime, tz: str) -> Upcoming | None:
    """When the latest version's in-force start lies after *now*: it and the version in force; else None.

    Dates without a time are compared with today's date in the display timezone,
    so a version effective today is in force all day.
    """
    if not entries:
        return None
    latest = entries[-1]
    if _started(latest.in_force_from, now, tz):
        return None
    in_force = next((e for e in reversed(entries[:-1]) if _started(e.in_force_from, now, tz)), None)
    return Upcoming(latest, latest.in_force_from, in_force)


def range_text(entry: VersionEntry, labels: dict[str, str], locale: str, tz: str) -> str:
    """When *entry* is in force, in the reader's words ("In force from … to …")."""
    start = display_date(entry.in_force_from, locale, tz)
    if entry.in_force_to is None:
        return labels["in_force_current"].format(start=start)
    return labels["in_force_range"].format(start=start, end=display_date(entry.in_force_to, locale, tz))
