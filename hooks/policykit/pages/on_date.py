"""Which version was in force, and which was published, on a calendar day D (issue 12, item 1).

The rule, one for the history page's table, its date field (assets/policy-in-force.js) and the tests:

* D is a calendar day in the site's timezone (the plugin option ``timezone``): from 00:00 on D until
  00:00 on the next day, in that zone.
* A version is in force over ``[starts_at, ends_at)`` (``policykit.pages.archive.VersionEntry``): from its
  effective date at 00:00 in that zone, or from its publication instant when it has none, until a later
  version takes effect (or the policy is retired).  One that a later version overtakes before it starts
  is never in force.
* **The version in force on D is the one in force at the end of D.**  A version that takes effect at any
  moment of D (00:00 for an effective date, the publication time otherwise) is in force on D, and the
  version it replaces is no longer: the same days the ranges state ("in force from D1 to D2":
  D1 is the first day it is the answer, D2 the first day it is not).  After a policy was retired, none is.
* A version was *published on D* when its publication instant (the configured git date) falls on D.
* The versions *in force during D* are every one in force at some moment of D: the one in force on D
  and, when one took effect during D (or the policy was retired during it), the one(s) before it.

In days, as the browser compares them (the build writes every instant in the site's timezone, so an
instant's first ten characters are its calendar day there): in force on D  <=>  day(starts_at) <= D <
day(ends_at), with no upper bound while ``ends_at`` is None; in force during D  <=>  day(starts_at) <= D <=
day(last second in force) (``Instants.last``, so the browser needs no timezone data either).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Sequence

from policykit.dates import iso_instant, local_date
from policykit.pages.archive import VersionEntry, start_instant


def day_end(day: date, tz: str) -> datetime:
    """The first instant after *day* in *tz*: 00:00 on the next day (exclusive bound)."""
    return start_instant(day + timedelta(days=1), tz)


def in_force_on(entries: Sequence[VersionEntry], day: date, tz: str) -> VersionEntry | None:
    """The version in force on *day*: the one in force at the end of that day in *tz* (None: none was)."""
    end = day_end(day, tz)
    for e in entries:
        if e.starts_at is not None and e.starts_at < end and (e.ends_at is None or e.ends_at >= end):
            return e
    return None


def in_force_during(entries: Sequence[VersionEntry], day: date, tz: str) -> list[VersionEntry]:
    """Every version in force at some moment of *day* in *tz*, in the order they were in force."""
    start, end = start_instant(day, tz), day_end(day, tz)
    during = [e for e in entries if e.starts_at is not None and not e.never_in_force
              and e.starts_at < end and (e.ends_at is None or e.ends_at > start)]
    return sorted(during, key=lambda e: e.starts_at or start)


def published_on(entries: Sequence[VersionEntry], day: date, tz: str) -> list[VersionEntry]:
    """The versions whose publication instant falls on *day* in *tz*, oldest first."""
    return [e for e in entries if local_date(e.version.date, tz) == day]


@dataclass(frozen=True)
class Instants:
    """A version's instants as the history page writes them (data attributes read by policy-in-force.js)."""

    number: int
    starts: str  # ISO instant in the site's timezone
    ends: str | None  # None: no later version or retirement ends it
    last: str | None  # the last second in force (ends - 1 s; instants are whole seconds); None with ends
    published: str


def instants(entry: VersionEntry, tz: str) -> Instants:
    assert entry.starts_at is not None
    return Instants(
        entry.number,
        iso_instant(entry.starts_at, tz),
        iso_instant(entry.ends_at, tz) if entry.ends_at is not None else None,
        iso_instant(entry.ends_at - timedelta(seconds=1), tz) if entry.ends_at is not None else None,
        iso_instant(entry.version.date, tz),
    )
