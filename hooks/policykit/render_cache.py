"""A content-addressed on-disk cache for rendered fragments.

Entries are JSON files named by the SHA-256 of their key.  Each file carries
a checksum of its payload, so a torn or corrupt entry is detected, dropped
and rebuilt.  Writes go to a temporary file in the same folder and are
renamed into place, so two builds at once never see half an entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


class RenderCache:
    """Get and put JSON-able values by key; a cache without a directory stores nothing."""

    def __init__(self, directory: str | os.PathLike[str] | None, namespace: str) -> None:
        self.root = Path(directory) / namespace if directory else None
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        assert self.root is not None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.root / digest[:2] / f"{digest}.json"

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
        try:
            entry = json.loads(raw)
            payload = entry["payload"]
            body = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
            if entry.get("key") != key or entry.get("sha256") != hashlib.sha256(body).hexdigest():
                raise ValueError("checksum mismatch")
        except (ValueError, KeyError, TypeError):
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
        body = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        entry = {"key": key, "sha256": hashlib.sha256(body).hexdigest(), "payload": payload}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "wb") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False).encode("utf-8"))
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time
