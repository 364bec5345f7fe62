"""Dates for readers: Babel formats, display timezone, HTTP form, and which clock decides "now"."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from policykit.dates import (
    EpochError, build_time, display_date, http_date, iso_instant, source_date_epoch, zone,
)


def test_localized_formats_in_display_timezone() -> None:
    instant = datetime(2019, 5, 31, 17, 30, tzinfo=timezone.utc)
    assert display_date(instant, "zh-Hant", "Asia/Taipei") == "2019年6月1日"
    assert display_date(instant, "zh-Hans", "Asia/Taipei") == "2019年6月1日"
    assert display_date(instant, "en", "Asia/Taipei") == "June 1, 2019"
    assert display_date(instant, "en", "UTC") == "May 31, 2019"
    assert display_date(date(2024, 2, 29), "en", "UTC") == "February 29, 2024"
    assert iso_instant(instant, "Asia/Taipei") == "2019-06-01T01:30:00+08:00"
    assert http_date(instant) == "Fri, 31 May 2019 17:30:00 GMT"


def test_unknown_timezone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        zone("Mars/Olympus")


def test_build_time_honours_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1559350800")
    assert build_time() == datetime(2019, 6, 1, 1, 0, tzinfo=timezone.utc)


def test_source_date_epoch_is_read_in_one_place() -> None:
    assert source_date_epoch({}) is None
    assert source_date_epoch({"SOURCE_DATE_EPOCH": " "}) is None  # empty counts as unset
    assert source_date_epoch({"SOURCE_DATE_EPOCH": " 1559350800\n"}) == 1559350800


@pytest.mark.parametrize(("value", "why"), [
    ("soon", "is not a whole number"), ("1.5", "is not a whole number"), ("1_000", "is not a whole number"),
    ("\u00b2", "is not a whole number"),  # str.isdigit() says yes, int() says no
    ("99999999999999999999", "is out of the range of dates"),
])
def test_a_malformed_source_date_epoch_is_an_error_not_the_clock(monkeypatch: pytest.MonkeyPatch, value: str,
                                                                  why: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(EpochError, match=f"SOURCE_DATE_EPOCH={value!r} {why}.*Unset it"):
        build_time()
