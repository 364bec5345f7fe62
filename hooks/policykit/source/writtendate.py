"""Calendar dates as people write them in policies: the one parser for ``effective`` and stated dates.

Accepted (after Unicode NFKC, so full-width digits and colons count):

* year first, numeric: ``2025-10-29``, ``2025/10/29``, ``2025.10.29`` (one reading everywhere);
* CJK: ``2025年10月29日``, ``2025 年 10 月 29 日`` (Korean ``2025년 10월 29일`` too);
* English month names, day first or month first: ``29 October 2025``, ``29 Oct 2025``,
  ``October 29, 2025``, ``Oct. 29 2025``, ``29th October 2025``, ``Sept 3, 2025``.

Refused, with a message saying what to write instead: day or month first in digits
(``10/11/2025`` is 10 November in London and 11 October in New York, and guessing would
silently date a legal text wrongly), two-digit years, impossible days (``30 February 2025``),
and anything else.  No fuzzy parsing: a value is read completely or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = r"(?P<month>[A-Za-z]+)\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_FORMS = (
    re.compile(rf"^{_YEAR}-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})$"),
    re.compile(rf"^{_YEAR}/(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})$"),
    re.compile(rf"^{_YEAR}\.(?P<m>\d{{1,2}})\.(?P<d>\d{{1,2}})$"),
    re.compile(rf"^{_YEAR}\s*[年년]\s*(?P<m>\d{{1,2}})\s*[月월]\s*(?P<d>\d{{1,2}})\s*[日일]$"),
    re.compile(rf"^{_DAY}\s+{_MONTH},?\s+{_YEAR}$"),
    re.compile(rf"^{_MONTH}\s+{_DAY},?\s+{_YEAR}$"),
)
_NUMERIC_DAY_FIRST = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}$")

#: How to write a date, for error messages.
EXAMPLES = "2025-10-29, 29 October 2025, October 29, 2025 or 2025年10月29日"


class WrittenDateError(ValueError):
    """The text is not a date this parser reads; the message says why and what to write."""


def normalize(text: str) -> str:
    """NFKC (full-width digits and punctuation), single spaces, no surrounding space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def parse_written_date(text: str) -> date:
    """The date *text* names; WrittenDateError when it is ambiguous, impossible or not a date."""
    value = normalize(text)
    if _NUMERIC_DAY_FIRST.match(value):
        raise WrittenDateError(
            f"{text!r} is ambiguous (day and month in digits are read differently in different countries); "
            f"write the year first or the month in words: {EXAMPLES}"
        )
    for form in _FORMS:
        m = form.match(value)
        if m is None:
            continue
        groups = m.groupdict()
        if "month" in groups and groups["month"] is not None:
            month = _MONTHS.get(groups["month"].lower())
            if month is None:
                break
        else:
            month = int(groups["m"])
        day = int(groups["day"] if groups.get("day") is not None else groups["d"])
        try:
            return date(int(groups["year"]), month, day)
        except ValueError as exc:
            raise WrittenDateError(f"{text!r} is not a real date ({exc})") from exc
    raise WrittenDateError(f"{text!r} is not a date this tool reads; write it as {EXAMPLES}")
