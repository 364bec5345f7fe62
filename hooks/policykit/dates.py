"""Dates for readers and machines: localized (Babel/CLDR), ISO 8601 and HTTP forms."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from email.utils import format_datetime
from functools import lru_cache, cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date

__all__ = [
    "babel_locale", "local_date", "display_date", "iso_instant", "http_date", "build_time", "zone",
    "EpochError", "source_date_epoch",
]

#: What SOURCE_DATE_EPOCH may hold: ASCII digits, as ``date +%s`` prints them (reproducible-builds.org spec).
_EPOCH = re.compile(r"-?[0-9]+")


@cache
def babel_locale(locale: str) -> Locale:
    """The Babel locale for a site locale such as ``zh-Hant`` or ``en``."""
    return Locale.parse(locale.replace("-", "_"))


@cache
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


class EpochError(ValueError):
    """``SOURCE_DATE_EPOCH`` is set to something that is not a usable number of seconds."""


def source_date_epoch(env: Mapping[str, str] | None = None) -> int | None:
    """``SOURCE_DATE_EPOCH`` of *env* (default: the process environment) as whole seconds; None when unset or empty.

    The only reader of the variable in the package.  Anything but ASCII digits (``"soon"``, ``"1.5"``, ``"²"``)
    or a value no date can hold raises :class:`EpochError` naming the value and what to do: a mistyped pin must
    not silently become the wall clock.
    """
    raw = (os.environ if env is None else env).get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    hint = "Unset it, or set it to whole seconds since 1970-01-01 UTC, as `date +%s` or `git log -1 --format=%ct` print."
    if not _EPOCH.fullmatch(raw):
        raise EpochError(f"SOURCE_DATE_EPOCH={raw!r} is not a whole number of seconds. {hint}")
    seconds = int(raw)
    try:
        datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as exc:
        raise EpochError(f"SOURCE_DATE_EPOCH={raw!r} is out of the range of dates. {hint}") from exc
    return seconds


def build_time() -> datetime:
    """The build's notion of "now": ``SOURCE_DATE_EPOCH`` when set (EpochError when malformed), else the clock."""
    epoch = source_date_epoch()
    if epoch is not None:
        return datetime.fromtimestamp(epoch, tz=timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)
