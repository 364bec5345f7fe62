"""Deterministic file modification times for the built site.

nginx derives ``Last-Modified`` from a file's mtime and its ``ETag`` from
mtime + size, so the mtime is part of the HTTP contract.  ``Last-Modified``
describes the file's BYTES (the visible stamp describes the policy text): a
policy page whose navigation, notices or theme changed gets a later
``Last-Modified`` than its stamp.

The build clock
    ``chain_clock`` walks HEAD's first-parent history oldest first and makes
    the committer times strictly increasing: ``S(c) = max(t(c), S(parent) + 1)``.
    So S grows by at least one second per commit even when commit dates go
    backwards (rebases, clock skew, fast-forwards of old commits), and
    ``S(HEAD) >= t`` of every commit on the chain.  ``build_clock`` adds the
    only other input of the output that moves without a commit: an effective
    date that arrived (a page's notices change that day), as
    ``max(S(HEAD), arrived + n)`` with ``n`` the number of commits on the chain,
    which keeps the value strictly increasing along the chain as well.

What each file gets (``plan_mtimes``)
    * a file whose name carries a hash of its content (Material's
      ``main.<hash>.min.css``, our own ``policy.<hash>.css``): ``FIXED_EPOCH``;
      the bytes at such a path never change, so its validators never do,
      with or without a previous manifest;
    * a file whose bytes are a function of an input the repository dates
      (``dated``: the installed theme's own files, dated by the commit that
      pinned the theme's version, see ``theme_time``): that date;
    * any other file: the build clock, or the registry instant of the page
      when that is later (an author date in the future);
    * with the previous deploy's manifest (path -> sha256 + mtime): a file
      whose bytes did not change keeps its previous mtime (both validators
      survive), and a changed file gets ``max(base, previous mtime + 1)``.

Guarantee: for builds of C1 and then C2, C2 a first-parent descendant of
C1, every file whose bytes changed gets a later mtime (hence a later
``Last-Modified`` and a new ``ETag``): with the previous manifest by the
``+ 1`` rule; without it because the build clock of C2 exceeds every mtime
the build of C1 gave (the clock is strictly increasing along the chain), as
long as the C1 build was not itself stamped past its clock (that happens only
when one commit is rebuilt with different bytes and the previous manifest).
"""

from __future__ import annotations

import math
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Container, Iterable, Mapping, Sequence

from policykit.dates import EpochError, source_date_epoch
from policykit.deploy.published import PublishedPages

#: The mtime of files whose name is a hash of their content (2000-01-01T00:00:00Z).
FIXED_EPOCH = 946684800


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
    try:
        epoch = source_date_epoch(env)
    except EpochError as exc:
        raise MtimeError(str(exc)) from exc
    if epoch is not None:
        return epoch
    return None if source_date is None else to_epoch(source_date)


def chain_clock(commit_times: Sequence[int]) -> int | None:
    """S(HEAD) of first-parent commit times given oldest first (None for no commit)."""
    clock: int | None = None
    for t in commit_times:
        clock = t if clock is None else max(t, clock + 1)
    return clock


def build_clock(commit_times: Sequence[int], arrived_effective: int | None = None) -> int | None:
    """The base mtime of a build: ``chain_clock``, moved past the latest effective date that has arrived."""
    clock = chain_clock(commit_times)
    if clock is None or arrived_effective is None:
        return clock
    return max(clock, arrived_effective + len(commit_times))


def plan_mtimes(
    paths: Iterable[str],
    registry: PublishedPages,
    clock: int,
    *,
    fixed: Iterable[str] = (),
    dated: Mapping[str, int] | None = None,
    digests: Mapping[str, str] | None = None,
    previous: Mapping[str, tuple[str, int]] | None = None,
) -> dict[str, int]:
    """The mtime (epoch seconds) each path must get (see the module doc).

    ``clock``: the build clock; ``fixed``: paths whose name is a hash of their
    content; ``dated``: path -> the time its input last changed; ``digests``: sha256 of each file now; ``previous``: path ->
    (sha256, mtime) from the previous deploy's manifest.
    """
    fixed_set = frozenset(fixed)
    file_mtimes: dict[str, int] = {}
    for path in paths:
        if path in fixed_set:
            base = FIXED_EPOCH
        elif dated and path in dated:
            base = dated[path]
        else:
            base = clock
            record = registry.get(path)
            if record is not None and record.last_modified is not None:
                base = max(base, to_epoch(record.last_modified))
        prev = (previous or {}).get(path)
        digest = (digests or {}).get(path)
        if prev is not None and digest is not None:
            prev_digest, prev_stamp = prev
            base = prev_stamp if prev_digest == digest else max(base, prev_stamp + 1)
        file_mtimes[path] = base
    return file_mtimes


def apply_mtimes(site_dir: str | os.PathLike[str], file_mtimes: Mapping[str, int],
                 store_links: Container[str] = ()) -> None:
    """Set atime and mtime of every listed file under ``site_dir``.

    A file that already has its mtime is left alone.  A file with other links
    (a kept archive page shares its inode with the plugin's store,
    ``policykit.mkdocs.archive_store``, and maybe with another site folder that
    holds the same page) is first replaced by a copy of its own, so setting this
    site's mtime never changes another folder's file; except a path in
    *store_links* with exactly two links, the store's and this site's: its
    mtime is set in place (the store notes it when the build ends).
    """
    root = Path(site_dir)
    for path, stamp in file_mtimes.items():
        target = root / path
        try:
            st = target.stat()
            if st.st_mtime_ns == stamp * 1_000_000_000:
                continue
            if st.st_nlink > (2 if path in store_links else 1):
                _own_copy(target)
            os.utime(target, (stamp, stamp))
        except OSError as exc:
            raise MtimeError(f"{path}: cannot set mtime: {exc}") from exc


def _own_copy(path: Path) -> None:
    """Replace the file at *path* by a copy of it (a new inode, the same bytes and mode)."""
    part = path.with_name(path.name + ".policykit-part")
    shutil.copyfile(path, part)
    shutil.copymode(path, part)
    os.replace(part, path)
