"""The "last modified" stamp of a page: what a reader and a crawler are told."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from policykit.dates import display_date, http_date, iso_instant
from policykit.history.versions import FileHistory, History


@dataclass(frozen=True)
class Stamp:
    """What the stamp template shows.  A draft has no date."""

    draft: bool
    instant: datetime | None = None
    iso: str | None = None  # for <time datetime>, <meta> and the sitemap
    display: str | None = None  # localized, e.g. 2019年6月1日
    http: str | None = None  # for Last-Modified
    version: int | None = None  # the number of the latest version
    fallback: bool = False  # dated with the build date because history was unavailable
    effective: date | None = None  # front matter ``effective`` of the current text
    effective_display: str | None = None  # localized effective date
    effective_iso: str | None = None  # YYYY-MM-DD, for <time datetime>


def make_stamp(history: History, src_path: str, locale: str, tz: str, *, effective: date | None = None) -> Stamp:
    """The stamp of *src_path* per the history rules; drafts get no date.

    *effective* is the page's validated front matter ``effective`` date (see
    policykit.effective), shown beside "last modified".
    """
    stamp = _history_stamp(history, history.get(src_path), locale, tz)
    if effective is None:
        return stamp
    return replace(stamp, effective=effective, effective_display=display_date(effective, locale, tz),
                   effective_iso=effective.isoformat())


def _history_stamp(history: History, fh: FileHistory, locale: str, tz: str) -> Stamp:
    if history.fallback_date is not None:
        when = history.fallback_date
        return Stamp(False, when, iso_instant(when, tz), display_date(when, locale, tz), http_date(when), None, True)
    latest = fh.latest
    if fh.draft or latest is None:
        return Stamp(draft=True, version=latest.number if latest else None)
    when = latest.date
    return Stamp(False, when, iso_instant(when, tz), display_date(when, locale, tz), http_date(when), latest.number)
