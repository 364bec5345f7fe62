"""Atomic file replacement: a reader (a concurrent build, a web server) sees the old file or the new one, never half.

The package's one way to write a cache entry, a cache file or a release link: a temporary file next to the
target (same folder, so the same file system), then ``os.replace``, which is atomic on POSIX and Windows.  The
temporary file is removed when anything fails, so a failed write leaves no ``.tmp`` litter behind.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

__all__ = ["write_bytes_atomic", "symlink_atomic"]

log = logging.getLogger("mkdocs.policykit.atomic")


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, best_effort: bool = False) -> bool:
    """Replace *path* with *data* atomically, creating its folder; True when written.

    ``OSError`` propagates, unless *best_effort* (a cache: a read-only checkout or something else in the
    file's place only costs speed), which logs it at debug level and returns False.
    """
    target = Path(path)
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
        tmp = None
        return True
    except OSError as exc:
        if not best_effort:
            raise
        log.debug("could not write %s: %s", target, exc)
        return False
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def symlink_atomic(link: str | os.PathLike[str], points_to: str) -> None:
    """Make *link* a symlink to *points_to* in one atomic rename (an existing link or file is replaced)."""
    link = Path(link)
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(points_to, tmp)
    try:
        os.replace(tmp, link)
    except OSError:
        tmp.unlink()
        raise
