"""Dates a policy states about itself (``Last updated: June 27, 2023``), compared with git's record.

A policy often says in its first lines when it was last changed or takes
effect.  When that disagrees with the record the site stamps beside it, the
reader would see two dates and not know which one is true: the build reports it
(INFO, naming the file, the line and both dates) and the page says so next to
the stamp (overrides/partials/policy-stamp.html).  The text is never changed.

* ``modified`` lines (Last updated, Last modified, Last revised, Updated,
  Published, 最後更新, 更新日期, …) are compared with the date of the latest
  version (the stamp), in the site's timezone;
* ``effective`` lines (Effective, Effective date, Effective as of, 生效日期, …)
  with the date the latest version is in force from: front matter
  ``effective`` when given, else its publication date.

Only the first lines of the body are read (``HEAD_LINES``), and only a line
that is nothing but a label and a date (emphasis and list or quote markers
aside); dates are read by policykit.writtendate, and a line whose date it
cannot read is ignored, because it is policy text, not input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from policykit.source.writtendate import WrittenDateError, normalize, parse_written_date

HEAD_LINES = 15  # body lines searched (after front matter)
MODIFIED, EFFECTIVE = "modified", "effective"
_LABELS = {
    "last updated": MODIFIED, "last update": MODIFIED, "updated": MODIFIED, "last modified": MODIFIED,
    "last revised": MODIFIED, "revised": MODIFIED, "last changed": MODIFIED, "published": MODIFIED,
    "date of last revision": MODIFIED, "last updated on": MODIFIED, "updated on": MODIFIED,
    "effective": EFFECTIVE, "effective date": EFFECTIVE, "effective as of": EFFECTIVE, "effective from": EFFECTIVE,
    "effective on": EFFECTIVE, "in effect from": EFFECTIVE, "effective since": EFFECTIVE,
    "最後更新": MODIFIED, "最后更新": MODIFIED, "更新日期": MODIFIED, "最後更新日期": MODIFIED, "最后更新日期": MODIFIED,
    "最後修訂": MODIFIED, "最后修订": MODIFIED, "修訂日期": MODIFIED, "修订日期": MODIFIED, "發布日期": MODIFIED,
    "发布日期": MODIFIED, "發佈日期": MODIFIED, "公布日期": MODIFIED, "最終更新日": MODIFIED,
    "生效日期": EFFECTIVE, "生效": EFFECTIVE, "生效日": EFFECTIVE, "施行日": EFFECTIVE, "施行日期": EFFECTIVE,
}
_MARKERS = re.compile(r"^(?:[>#\-+]\s*|\d+\.\s+)+")
_EMPHASIS = re.compile(r"[*_]{1,3}")
_WITH_COLON = re.compile(r"^(?P<label>[^:]{1,40}?)\s*:\s*(?P<value>.+)$")
_WITHOUT_COLON = re.compile(r"^(?P<label>last updated on|updated on|effective as of|effective from|effective on|effective)\s+(?P<value>.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class StatedDate:
    """A date the text states about itself."""

    kind: str  # MODIFIED or EFFECTIVE
    written: str  # the line as a reader sees it, e.g. "Last updated: June 27, 2023"
    date: date
    line: int  # file line (1-based)


def _shown(line: str) -> str:
    return " ".join(_EMPHASIS.sub("", _MARKERS.sub("", line.strip())).split())


def stated_dates(body: str, first_line: int = 1) -> list[StatedDate]:
    """The self-stated dates in the first lines of *body* (whose first line is file line *first_line*)."""
    found = []
    for i, raw in enumerate(body.splitlines()[:HEAD_LINES]):
        shown = _shown(raw)
        text = normalize(shown)  # full-width colon and digits read as ASCII
        if not text:
            continue
        m = _WITH_COLON.match(text) or _WITHOUT_COLON.match(text)
        if m is None:
            continue
        kind = _LABELS.get(m.group("label").strip().lower())
        if kind is None:
            continue
        try:
            when = parse_written_date(m.group("value").strip().rstrip("."))
        except WrittenDateError:
            continue
        found.append(StatedDate(kind, shown, when, first_line + i))
    return found


@dataclass(frozen=True)
class Disagreement:
    """A stated date that is not the recorded one."""

    stated: StatedDate
    recorded: date  # the stamp's date (MODIFIED) or the in-force start (EFFECTIVE)


def disagreements(stated: list[StatedDate], *, modified: date, in_force_from: date) -> list[Disagreement]:
    """The stated dates that differ from the record: last change *modified*, in force from *in_force_from*."""
    out = []
    for s in stated:
        recorded = modified if s.kind == MODIFIED else in_force_from
        if s.date != recorded:
            out.append(Disagreement(s, recorded))
    return out
