"""A content-addressed on-disk cache for rendered fragments.

Entries are files named by the SHA-256 of their key: a first line with the
SHA-256 of the rest, then JSON holding the key and the payload.  A torn or
corrupt entry fails the checksum and is dropped and rebuilt.  Writes go to a temporary file in the same folder and are
renamed into place, so two builds at once never see half an entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from policykit.atomic import write_bytes_atomic


class RenderCache:
    """Get and put JSON-able values by key; a cache without a directory stores nothing."""

    def __init__(self, directory: str | os.PathLike[str] | None, namespace: str) -> None:
        self.root = Path(directory) / namespace if directory else None
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        assert self.root is not None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.root / digest[:2] / f"{digest}.entry"

    def has(self, key: str) -> bool:
        """Whether an entry exists (not verified: ``get`` still checks it)."""
        return self.root is not None and self._path(key).exists()

    def get(self, key: str) -> Any | None:
        if self.root is None:
            self.misses += 1
            return None
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        checksum, _, body = raw.partition(b"\n")
        try:
            if hashlib.sha256(body).hexdigest().encode("ascii") != checksum:
                raise ValueError("checksum mismatch")
            entry = json.loads(body)
            if entry.get("key") != key:
                raise ValueError("another key")
            payload = entry["payload"]
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeError):
            try:
                path.unlink()
            except OSError:
                pass
            self.misses += 1
            return None
        self.hits += 1
        return payload

    def put(self, key: str, payload: Any) -> None:
        if self.root is None:
            return
        path = self._path(key)
        body = json.dumps({"key": key, "payload": payload}, ensure_ascii=False).encode("utf-8")
        data = hashlib.sha256(body).hexdigest().encode("ascii") + b"\n" + body
        write_bytes_atomic(path, data, best_effort=True)  # a cache that cannot be written only costs time
