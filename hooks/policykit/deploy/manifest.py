"""The deploy manifest (every published URL with its digest and cache facts) and the purge plan.

``manifest.json`` is published at the site root (so the next deploy can fetch
it by URL) and is deterministic: sorted keys, no build time; ``mtime`` is the
file's deterministic stamp from ``mtimes`` (kept so the next build can keep
ETags of unchanged files).  It does not list itself or ``_headers``; its own
mtime is the top-level ``mtime``.  ``policies`` records every published
version of every policy and language (``ledger``), so the next build can
refuse a rewrite of published history and keep published numbers.

The purge plan compares it with the previous deploy's manifest.  Its files
(``urls.txt``, ``tags.txt``, ``summary.json``) are written OUTSIDE the
published site, in the deploy directory next to it: they are instructions
for the deploy step, not content; published, they would be a page that
changes on every deploy and would leak the deploy history.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from policykit import json_text
from policykit.deploy.cache_rules import MATERIAL_HASHED, SiteRules
from policykit.deploy.header_files import encode_url_path
from policykit.deploy.mtimes import to_epoch

MANIFEST_FORMAT = "policykit-manifest"
MANIFEST_VERSION = 2
#: Versions this code reads: 1 had no ``policies`` and no own ``mtime``.
READABLE_VERSIONS = (1, 2)
PREVIOUS_MANIFEST_ENV = "POLICY_SITE_PREVIOUS_MANIFEST"
#: Share of changed/removed files from which a full purge is recommended.
FULL_PURGE_RATIO = 0.5
#: Bytes read at a time when a file is hashed (``stream_digest``).
_BLOCK = 1 << 18


class ManifestError(ValueError):
    """A manifest cannot be read or has an unknown format (the message names its source)."""


@dataclass(frozen=True)
class PurgePlan:
    """What to purge from CDN caches after this deploy."""

    urls: tuple[str, ...]  # encoded paths (or absolute URLs with base_url), both /x/ and /x/index.html forms
    tags: tuple[str, ...]
    changed: tuple[str, ...]  # site paths whose bytes or headers changed, or that are new
    removed: tuple[str, ...]  # site paths gone since the previous deploy
    full_purge: bool
    message: str


def stream_digest(path: str | os.PathLike[str]) -> tuple[str, int]:
    """(sha256 hex, size) of the file at *path*, read once in blocks (never whole in memory)."""
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(_BLOCK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buffer):
            digest.update(view[:n])
            size += n
    return digest.hexdigest(), size


def file_digests(site_dir: str | os.PathLike[str], paths: list[str]) -> dict[str, tuple[str, int]]:
    """path -> (sha256 hex, size) of every listed file (the deploy step has them from ``site_scan``)."""
    root = Path(site_dir)
    return {path: stream_digest(root / path) for path in paths}


def _rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_manifest(
    rules: SiteRules, digests: Mapping[str, tuple[str, int]], file_mtimes: Mapping[str, int],
    policies: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict, keyed by canonical encoded URL."""
    urls: dict[str, Any] = {}
    for fr in rules.files:
        forms = [encode_url_path(u) for u in fr.urls]
        sha, size = digests[fr.path]
        entry: dict[str, Any] = {
            "path": fr.path,
            "aliases": forms[1:],
            "sha256": sha,
            "size": size,
            "cache": fr.cache.name,
            "cache_control": fr.cache.cache_control,
            "tags": list(fr.tags),
            "mtime": file_mtimes[fr.path],
        }
        if fr.record is not None:
            entry.update(kind=fr.record.kind, locale=fr.record.locale, policy=fr.record.policy)
            if fr.record.last_modified is not None:  # the policy text's instant (the stamp), not the bytes'
                entry["last_modified"] = _rfc3339(to_epoch(fr.record.last_modified))
        urls[forms[0]] = entry
    return {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "urls": urls, "policies": dict(policies or {})}


def manifest_mtime(manifest: Mapping[str, Any], previous: Mapping[str, Any] | None, base: int) -> int:
    """The mtime of manifest.json itself: the previous one while its content is unchanged, else later."""
    if previous is None or not isinstance(previous.get("mtime"), int):
        return base
    core = {k: v for k, v in manifest.items() if k != "mtime"}
    prev_core = {k: v for k, v in previous.items() if k != "mtime"}
    before: int = previous["mtime"]
    return before if core == prev_core else max(base, before + 1)


def manifest_json(manifest: Mapping[str, Any]) -> str:
    """Deterministic text of a manifest."""
    return json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


#: write_manifest's fallback writes the text in pieces of about this many characters.
_WRITE_PIECE = 1 << 20


def write_manifest(manifest: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``manifest_json(manifest)`` to *path* without holding the whole text (or the encoder's list of
    its millions of pieces) in memory: at 100,000 files that text is the deploy step's largest object.

    Spelled by ``policykit.json_text`` (the same text as json's indenting encoder, in a third of the time);
    a value it does not spell makes json's encoder write the file instead.
    """
    with open(path, "w", encoding="utf-8") as fh:
        try:
            json_text.write(manifest, fh.write)
        except json_text.NotPlain:
            fh.seek(0)
            fh.truncate()
            encoder = json.JSONEncoder(sort_keys=True, indent=1, ensure_ascii=False)
            out: list[str] = []
            size = 0
            for chunk in encoder.iterencode(manifest):
                out.append(chunk)
                size += len(chunk)
                if size >= _WRITE_PIECE:
                    fh.write("".join(out))
                    out, size = [], 0
            fh.write("".join(out))
        fh.write("\n")


def load_manifest(source: str | os.PathLike[str], timeout: float = 30.0) -> dict[str, Any]:
    """Read a manifest from a file path or an http(s) URL."""
    text_source = os.fspath(source)
    try:
        if text_source.startswith(("http://", "https://")):
            with urllib.request.urlopen(text_source, timeout=timeout) as resp:
                raw = resp.read()
        else:
            raw = Path(text_source).read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, urllib.error.URLError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{text_source}: cannot read previous manifest: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("urls"), dict):
        raise ManifestError(f"{text_source}: not a {MANIFEST_FORMAT} file")
    if data.get("version") not in READABLE_VERSIONS:
        raise ManifestError(f"{text_source}: manifest version {data.get('version')!r}, expected one of {READABLE_VERSIONS}")
    return data


def previous_files(manifest: Mapping[str, Any] | None) -> dict[str, tuple[str, int]]:
    """path -> (sha256, mtime) of a manifest (empty for None)."""
    if manifest is None:
        return {}
    return {e["path"]: (e["sha256"], int(e["mtime"])) for e in manifest["urls"].values()}


def _by_path(manifest: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {e["path"]: (url, e) for url, e in manifest["urls"].items()}


_COMPARED = ("sha256", "cache_control", "tags", "last_modified")


def plan_purge(
    current: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    base_url: str | None = None,
    full_ratio: float = FULL_PURGE_RATIO,
) -> PurgePlan:
    """Compare manifests: changed/new and removed URLs (both forms), their tags, full-purge advice."""
    cur = _by_path(current)
    if previous is None:
        return PurgePlan((), (), tuple(sorted(cur)), (), True,
                         "no previous manifest: cannot tell what changed, purge everything")
    prev = _by_path(previous)
    changed = sorted(p for p, (_, e) in cur.items()
                     if p not in prev or any(e.get(k) != prev[p][1].get(k) for k in _COMPARED))
    removed = sorted(p for p in prev if p not in cur)
    prefix = base_url.rstrip("/") if base_url else ""
    urls: set[str] = set()
    tags: set[str] = set()
    for path in changed:
        url, entry = cur[path]
        urls.update([url, *entry["aliases"]])
        tags.update(entry["tags"])
        if path in prev:
            tags.update(prev[path][1]["tags"])
    for path in removed:
        url, entry = prev[path]
        urls.update([url, *entry["aliases"]])
        tags.update(entry["tags"])
    total = len(set(cur) | set(prev)) or 1
    share = (len(changed) + len(removed)) / total
    theme = sorted(p for p in removed if MATERIAL_HASHED.match(p.rsplit("/", 1)[-1]))
    if theme:
        full, message = True, f"theme assets changed ({', '.join(theme)} removed): every page changed, purge everything"
    elif share >= full_ratio:
        full, message = True, f"{len(changed) + len(removed)} of {total} files changed: purge everything"
    elif not changed and not removed:
        full, message = False, "nothing changed: nothing to purge"
    else:
        full, message = False, f"{len(changed)} changed/new and {len(removed)} removed file(s): purge listed URLs or tags"
    return PurgePlan(tuple(sorted(prefix + u for u in urls)), tuple(sorted(tags)),
                     tuple(changed), tuple(removed), full, message)


def write_purge(plan: PurgePlan, directory: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``urls.txt``, ``tags.txt`` and ``summary.json`` into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files = {"urls": out / "urls.txt", "tags": out / "tags.txt", "summary": out / "summary.json"}
    files["urls"].write_text("".join(u + "\n" for u in plan.urls), encoding="utf-8")
    files["tags"].write_text("".join(t + "\n" for t in plan.tags), encoding="utf-8")
    summary = {"full_purge": plan.full_purge, "message": plan.message,
               "changed": list(plan.changed), "removed": list(plan.removed)}
    files["summary"].write_text(json.dumps(summary, sort_keys=True, indent=1, ensure_ascii=False) + "\n",
                                encoding="utf-8")
    return files
