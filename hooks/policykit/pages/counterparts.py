"""Which version of a policy in another language was in force when a version took effect.

Version numbers are per language (en v3 is not zh-Hant v3), so a version page's
language switcher cannot keep the number: it leads to the version of the other
language in force at the instant this version took effect (its ``starts_at``:
the effective date, reached at 00:00 in the configured timezone, else its
publication), by the same rule as ``policykit.pages.effective.in_force_at``.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from typing import Sequence

from policykit.pages.archive import VersionEntry


def in_force_numbers(versions: Sequence[VersionEntry], other: Sequence[VersionEntry]) -> dict[int, int | None]:
    """For each of *versions*, the number of the version of *other* in force when it took effect (None: none was).

    One sort of *other* and one binary search per version: in force at *t* is the
    newest version whose start has arrived by *t* (``effective.in_force_at``),
    unless that version had ended by then (the policy was retired).
    """
    timeline: list[tuple[datetime, VersionEntry]] = sorted(
        ((e.starts_at, e) for e in other if e.starts_at is not None), key=lambda pair: pair[0])
    starts = [start for start, _ in timeline]
    newest: list[VersionEntry] = []  # newest[i]: the highest-numbered of timeline[: i + 1]
    for _, e in timeline:
        newest.append(e if not newest or e.number > newest[-1].number else newest[-1])
    out: dict[int, int | None] = {}
    for v in versions:
        if v.starts_at is None:
            out[v.number] = None
            continue
        i = bisect_right(starts, v.starts_at)
        hit = newest[i - 1] if i else None
        if hit is not None and hit.ends_at is not None and hit.ends_at <= v.starts_at:
            hit = None  # retired by then
        out[v.number] = hit.number if hit is not None else None
    return out
