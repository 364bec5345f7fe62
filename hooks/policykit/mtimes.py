"""Deterministic file modification times for the built site.

nginx derives ``Last-Modified`` from a file's mtime and its ``ETag`` from
mtime + size, so the mtime is part of the HTTP contract:

* a page with a registry ``last_modified`` gets that instant (truncated to the
  second), so nginx's ``Last-Modified`` equals the policy's stamp;
* any other file gets ``SOURCE_DATE_EPOCH`` if set, else the caller's value
  (the HEAD commit time), so two builds of one commit are byte- and
  header-identical;
* with the previous deploy's manifest (sha256 + mtime of every file): an
  unchanged file keeps its previous mtime (its ETag survives new commits),
  and a changed file whose stamp would not be later than its previous one is
  moved one second past it -- otherwise a same-size change (e.g. a theme
  asset hash inside an HTML page) would keep the old ETag and Last-Modified
  and caches would be told "304, not modified" for new bytes.  A bumped
  stamp is kept while the bytes stay the same (validators never go back).
  That bump is the only case where a policy's Last-Modified differs from its
  registry instant.
"""

from __future__ import annotations

import math
import os
from datetime import datetime
from pathlib import Path
from typing import Iterable, Mapping

from policykit.published import PublishedPages


class MtimeError(ValueError):
    """No usable timestamp for a file, or SOURCE_DATE_EPOCH is malformed."""


def to_epoch(instant: datetime | int | float) -> int:
    """Whole seconds since the epoch (floored) of an aware datetime or a number."""
    if isinstance(instant, datetime):
        if instant.tzinfo is None:
            raise MtimeError(f"naive datetime {instant!r}: timestamps must be timezone-aware")
        return math.floor(instant.timestamp())
    return math.floor(instant)


def source_epoch(source_date: datetime | int | float | None, env: Mapping[str, str] | None = None) -> int | None:
    """``SOURCE_DATE_EPOCH`` if set, else ``source_date`` (None if neither)."""
    env = os.environ if env is None else env
    raw = env.get("SOURCE_DATE_EPOCH", "").strip()
    if raw:
        try:
            return int(raw)
        except ValueError as exc:
            raise MtimeError(f"SOURCE_DATE_EPOCH={raw!r} is not an integer") from exc
    return None if source_date is None else to_epoch(source_date)


def plan_mtimes(
    paths: Iterable[str],
    registry: PublishedPages,
    source_date: datetime | int | float | None,
    *,
    digests: Mapping[str, str] | None = None,
    previous: Mapping[str, tuple[str, int]] | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """The mtime (epoch seconds) each path must get.

    ``digests``: sha256 of each file now; ``previous``: path -> (sha256, mtime)
    from the previous deploy's manifest.  Both are optional.
    """
    fallback = source_epoch(source_date, env)
    stamps: dict[str, int] = {}
    for path in paths:
        record = registry.get(path)
        if record is not None and record.last_modified is not None:
            stamp, from_registry = to_epoch(record.last_modified), True
        elif fallback is not None:
            stamp, from_registry = fallback, False
        else:
            raise MtimeError(f"{path}: no last_modified in the registry and neither SOURCE_DATE_EPOCH nor a source date")
        prev = (previous or {}).get(path)
        digest = (digests or {}).get(path)
        if prev is not None and digest is not None:
            prev_digest, prev_stamp = prev
            if prev_digest == digest:
                # same bytes: keep the served validators (a bumped stamp stays, never goes back)
                stamp = max(stamp, prev_stamp) if from_registry else prev_stamp
            elif stamp <= prev_stamp:
                stamp = prev_stamp + 1
        stamps[path] = stamp
    return stamps


def apply_mtimes(site_dir: str | os.PathLike[str], stamps: Mapping[str, int]) -> None:
    """Set atime and mtime of every listed file under ``site_dir``."""
    root = Path(site_dir)
    for path, stamp in stamps.items():
        try:
            os.utime(root / path, (stamp, stamp))
        except OSError as exc:
            raise MtimeError(f"{path}: cannot set mtime: {exc}") from exc
