"""The history core's on-disk cache files: keyed by everything that shapes them, checked when read back.

A cache may only make a build faster, never change its answer.  So:

* every file carries the **key** of what it was computed from: the code that
  wrote it (the source of the history reader and of the normaliser behind the
  blob keys), the git version, the ``git log`` arguments, and what rewrites
  history without moving HEAD (``git replace`` refs, ``info/grafts``,
  ``GIT_NO_REPLACE_OBJECTS``, the git config that changes the log).  A file
  with another key is stale and is silently ignored;
* every file carries a **SHA-256 of its payload**, and the caller checks its
  structure too.  A file that fails a check is damaged: it is discarded with
  one info line and the history is read from git again;
* a cache file is read only when it is a regular file (a FIFO or folder in
  its place is damage, never a hang), and writing it is best effort: a
  read-only checkout still builds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import stat
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from policykit.atomic import write_bytes_atomic
from policykit.history.gitrepo import GitError, WorkTree

log = logging.getLogger("mkdocs.policykit.history")

#: Bumped when the file layout changes; the code digest covers every other change.
FORMAT = 2
_MAGIC = b"policykit-history-cache"
#: The modules whose code decides what the cache holds (log parsing, blob keys, front matter split).
_CODE = ("policykit.history.versions", "policykit.history.cache", "policykit.source.text", "policykit.history.gitrepo")
#: git config that changes what ``git log`` prints or which objects it sees.
_CONFIG = r"^(core\.usereplacerefs|core\.commitgraph|diff\..*|log\..*|i18n\..*)$"


class CacheDamaged(Exception):
    """A cache file failed a check; the message says which."""


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over the source of the modules that decide what the cache holds."""
    h = hashlib.sha256(b"format %d\n" % FORMAT)
    for name in _CODE:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ImportError(f"cannot find the source of {name} to key the history cache")
        h.update(name.encode() + b"\0" + Path(spec.origin).read_bytes() + b"\0")
    return h.hexdigest()


@lru_cache(maxsize=1)
def _git_version() -> bytes:
    try:
        return subprocess.run(["git", "--version"], capture_output=True, check=False).stdout.strip()
    except OSError:
        return b""


def cache_key(tree: WorkTree, log_args: tuple[str, ...]) -> str:
    """The key of everything that changes what the log and blob caches store, HEAD aside."""
    h = hashlib.sha256()
    h.update(code_digest().encode() + b"\n")
    h.update(_git_version() + b"\n")
    h.update("\0".join(log_args).encode() + b"\n")
    h.update(b"replace:" + tree.run(["for-each-ref", "--format=%(objectname) %(refname)", "refs/replace/"]) + b"\n")
    h.update(b"no-replace:" + os.environ.get("GIT_NO_REPLACE_OBJECTS", "").encode() + b"\n")
    h.update(b"config:" + tree.run(["config", "--null", "--get-regexp", _CONFIG], ok=(0, 1)) + b"\n")
    grafts = tree.run(["rev-parse", "--git-path", "info/grafts"]).decode("utf-8", "surrogateescape").strip()
    grafts_path = Path(grafts) if os.path.isabs(grafts) else tree.root / grafts
    try:
        h.update(b"grafts:" + grafts_path.read_bytes())
    except FileNotFoundError:
        h.update(b"grafts: none")
    except OSError as exc:
        raise GitError(f"cannot read {grafts_path}: {exc}. Make it readable, or remove it if it is not meant to be there.") from exc
    return h.hexdigest()


def read(path: Path, key: str) -> tuple[dict[str, Any], bytes] | None:
    """The header and payload of the cache file at *path*, or None when absent, stale or damaged.

    Damage (anything but a missing file or another key) is logged once at
    INFO level, so ``--strict`` builds are not failed by it.
    """
    try:
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(st.st_mode):
            raise CacheDamaged("it is not a regular file")
        with open(path, "rb") as fh:
            data = fh.read()
        parts = data.split(b"\n", 2)
        if len(parts) != 3 or parts[0] != _MAGIC + b" %d" % FORMAT:
            raise CacheDamaged("its format line is wrong")
        _, header_raw, payload = parts
        header = json.loads(header_raw.decode("utf-8"))
        if not isinstance(header, dict) or not all(isinstance(header.get(k), str) for k in ("key", "sha256")):
            raise CacheDamaged("its header is malformed")
        if header["key"] != key:
            log.debug("history cache %s was made for other code, git objects or settings; reading git again", path)
            return None
        if hashlib.sha256(payload).hexdigest() != header["sha256"]:
            raise CacheDamaged("its checksum does not match its content")
        return header, payload
    except (CacheDamaged, OSError, ValueError) as exc:
        damaged(path, exc)
        return None


def damaged(path: Path, why: object) -> None:
    """The one line a damaged cache file gets before it is rebuilt."""
    log.info("history cache %s is damaged (%s); discarding it and reading git history again", path, why)


def write(path: Path, key: str, payload: bytes, **header: Any) -> None:
    """Write a cache file atomically; a folder that cannot be written only costs speed."""
    head = json.dumps({**header, "key": key, "sha256": hashlib.sha256(payload).hexdigest()}, sort_keys=True)
    write_bytes_atomic(path, _MAGIC + b" %d\n" % FORMAT + head.encode("utf-8") + b"\n" + payload, best_effort=True)
