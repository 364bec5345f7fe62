"""Dates for readers and machines: localized (Babel/CLDR), ISO 8601 and HTTP forms."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from email.utils import format_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date

__all__ = ["reader_time", "babel_locale", "local_date", "display_date", "iso_instant", "http_date", "build_time", "zone"]


@lru_cache(maxsize=None)
def babel_locale(locale: str) -> Locale:
    """The Babel locale for a site locale such as ``zh-Hant`` or ``en``."""
    return Locale.parse(locale.replace("-", "_"))


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    """The display timezone; raises ValueError naming the bad zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}; use an IANA name such as 'Asia/Taipei' or 'UTC'") from exc


def local_date(instant: datetime, tz: str) -> date:
    """The calendar date of *instant* in the display timezone."""
    return instant.astimezone(zone(tz)).date()


@lru_cache(maxsize=65536)  # Babel formatting is slow and archives repeat the same dates a lot
def display_date(instant: datetime | date, locale: str, tz: str, fmt: str = "long") -> str:
    """A localized date: ``2019年6月1日`` (zh-Hant), ``June 1, 2019`` (en)."""
    day = instant if not isinstance(instant, datetime) else local_date(instant, tz)
    return format_date(day, format=fmt, locale=babel_locale(locale))


def iso_instant(instant: datetime, tz: str) -> str:
    """RFC 3339 instant in the display timezone, e.g. ``2019-06-01T09:00:00+08:00``."""
    return instant.astimezone(zone(tz)).isoformat(timespec="seconds")


def http_date(instant: datetime) -> str:
    """IMF-fixdate (RFC 9110), e.g. ``Sat, 01 Jun 2019 01:00:00 GMT``."""
    return format_datetime(instant.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def build_time() -> datetime:
    """The build's notion of "now": ``SOURCE_DATE_EPOCH`` when set, else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


def reader_time() -> datetime:
    """"Now" for what readers are told (has an effective date arrived?).

    ``SOURCE_DATE_EPOCH`` when the caller set it; otherwise the clock.  The
    build pins ``SOURCE_DATE_EPOCH`` to HEAD's commit time for its own
    reproducibility (and marks that with ``POLICY_SITE_EPOCH_ORIGIN=head``);
    that pin must not freeze an "upcoming version" notice, so a scheduled
    rebuild without a new commit still flips it on the effective day.
    """
    if os.environ.get("POLICY_SITE_EPOCH_ORIGIN") == "head":
        return datetime.now(timezone.utc).replace(microsecond=0)
    return build_time()
