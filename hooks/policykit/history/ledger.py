"""The published ledger: what every deploy published, and the check that history was not rewritten.

``manifest.json`` records, for every published version of every policy and
language: the commit, the blob, the SHA-256 of its normalised text
(``sourcetext.normalized_body``) and its dates; once the pages are written,
also its version page, its ``source.md`` (the blob's bytes) and their raw
SHA-256 (``with_published_files``; older manifests lack them and still read).  A build given the previous
manifest compares it with what history says now:

* a published version whose text changed, or which disappeared, is an error
  naming the policy, the language, the version and both hashes -- unless a
  legal correction of exactly that new text is declared (``corrections``);
* the same texts at other commits (a rebase, a reworded message) or other
  dates (an effective date moved by a later commit) pass with a notice.

Texts are compared by blob first (the same blob is the same text, whatever
the normalising rules), then by the normalised text of both blobs under the
current rules when the old blob is still in the repository, and only then by
the recorded hash -- which is comparable only when the rules that made it are
the current ones (``text_rules``).  So a change of the rules alone never
trips the check.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from policykit.atomic import write_bytes_atomic
from policykit.source import text as sourcetext
from policykit.pages.archive import version_entries
from policykit.history.versions import FileHistory

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: Identifies the normalising rules the hashes were made with (their module's source).
TEXT_RULES = hashlib.sha256(Path(sourcetext.__file__).read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class Correction:
    """A declared legal correction of a published version's text."""

    sha256: str  # the corrected text's hash
    date: str  # YYYY-MM-DD, shown to readers
    reason: str
    previous_sha256: str | None = None  # the text it replaced, when the build saw it

    def as_json(self) -> dict[str, Any]:
        out = {"sha256": self.sha256, "date": self.date, "reason": self.reason}
        if self.previous_sha256:
            out["previous_sha256"] = self.previous_sha256
        return out


@dataclass(frozen=True)
class VersionRecord:
    """One published version as the manifest records it."""

    number: int
    commit: str
    blob: str
    sha256: str
    published: str  # RFC 3339 instant
    effective: str | None = None  # YYYY-MM-DD
    corrections: tuple[Correction, ...] = ()
    # The files the build published for it (``with_published_files``; absent from older manifests):
    page: str | None = None  # its version page, e.g. "en/privacy/versions/3/index.html"
    source: str | None = None  # its committed Markdown, byte for byte: "en/privacy/versions/3/source.md"
    source_sha256: str | None = None  # SHA-256 of those bytes (``sha256`` is of the normalised text)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"number": self.number, "commit": self.commit, "blob": self.blob,
                               "sha256": self.sha256, "published": self.published}
        if self.effective:
            out["effective"] = self.effective
        for key in ("page", "source", "source_sha256"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.corrections:
            out["corrections"] = [c.as_json() for c in self.corrections]
        return out


@dataclass(frozen=True)
class PolicyVersions:
    """The versions of one policy in one language (``src_path``: its source file now)."""

    policy: str
    locale: str
    src_path: str
    versions: tuple[VersionRecord, ...]


@dataclass
class CheckResult:
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    policies: dict[tuple[str, str], PolicyVersions] = field(default_factory=dict)  # with corrections applied


def text_sha256(data: bytes) -> str:
    """SHA-256 of a source file's normalised policy text (front matter excluded)."""
    return hashlib.sha256(sourcetext.normalized_body(data)).hexdigest()


def _instant(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def current_records(
    items: Iterable[tuple[str, str, FileHistory]], read: Callable[[list[str]], Iterable[tuple[str, bytes]]],
    cache_dir: str | None = None,
) -> dict[tuple[str, str], PolicyVersions]:
    """(policy, locale) -> its versions now; *items*: (policy id, locale, history); *read*: blob reader.

    *cache_dir*: remembers blob -> text hash under the current rules (a blob id names its bytes), so
    a build reads only new blobs; a damaged cache file is ignored.
    """
    items = [i for i in items if i[2].versions]
    cache = Path(cache_dir) / f"text-sha256-{TEXT_RULES}.json" if cache_dir else None
    texts: dict[str, str] = {}
    if cache is not None:
        try:
            loaded = json.loads(cache.read_text(encoding="utf-8"))
            entries = loaded.get("entries") if isinstance(loaded, dict) else None
            if isinstance(entries, dict) and loaded.get("check") == _checksum(entries):
                texts = {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str) and _HEX64.match(v)}
        except (OSError, ValueError, TypeError):
            texts = {}  # damaged: every blob is read again
    wanted = sorted({v.blob for _, _, fh in items for v in fh.versions} - set(texts))
    for oid, data in read(wanted):
        texts[oid] = text_sha256(data)
    if cache is not None and wanted:
        body = json.dumps({"entries": texts, "check": _checksum(texts)}, sort_keys=True, separators=(",", ":"))
        write_bytes_atomic(cache, body.encode("utf-8"), best_effort=True)  # a read-only checkout still builds
    out: dict[tuple[str, str], PolicyVersions] = {}
    for policy, locale, fh in sorted(items, key=lambda i: (i[0], i[1])):
        records = []
        for e in version_entries(fh):
            v = e.version
            records.append(VersionRecord(e.number, v.commit, v.blob, texts.get(v.blob, ""), _instant(v.date),
                                         e.effective.isoformat() if e.effective else None))
        out[(policy, locale)] = PolicyVersions(policy, locale, fh.src_path, tuple(records))
    return out


def _checksum(entries: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(entries, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PublishedFiles:
    """The files one version was published as: its page and its ``source.md`` (site-relative paths)."""

    page: str
    source: str
    source_sha256: str


def with_published_files(
    policies: Mapping[tuple[str, str], PolicyVersions], files: Mapping[tuple[str, int], PublishedFiles],
) -> dict[tuple[str, str], PolicyVersions]:
    """*policies* with each version's ``page``, ``source`` and ``source_sha256`` from *files*
    ((source path, number) -> what the build wrote); a version the build wrote no files for keeps none."""
    out: dict[tuple[str, str], PolicyVersions] = {}
    for key, pv in policies.items():
        records = []
        for r in pv.versions:
            f = files.get((pv.src_path, r.number))
            records.append(replace(r, page=f.page, source=f.source, source_sha256=f.source_sha256) if f else r)
        out[key] = replace(pv, versions=tuple(records))
    return out


def manifest_section(policies: Mapping[tuple[str, str], PolicyVersions]) -> dict[str, Any]:
    """The ``policies`` value of manifest.json."""
    tree: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for (policy, locale), pv in sorted(policies.items()):
        tree.setdefault(policy, {})[locale] = [r.as_json() for r in pv.versions]
    return {"text_rules": TEXT_RULES, "versions": tree}


def previous_records(manifest: Mapping[str, Any] | None) -> tuple[dict[tuple[str, str], list[dict[str, Any]]], str | None] | None:
    """(policy, locale) -> recorded version dicts, and their text rules; None when the manifest has none."""
    if manifest is None:
        return None
    section = manifest.get("policies")
    if not isinstance(section, dict) or not isinstance(section.get("versions"), dict):
        return None
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for policy, langs in section["versions"].items():
        if not isinstance(langs, dict):
            continue
        for locale, versions in langs.items():
            if isinstance(versions, list):
                out[(policy, locale)] = [v for v in versions if isinstance(v, dict) and isinstance(v.get("number"), int)]
    rules = section.get("text_rules")
    return out, rules if isinstance(rules, str) else None


def _correction_hint(policy: str, locale: str, number: int, sha: str) -> str:
    return (f"If this is a legal correction of version {number}, declare it in the corrections file: "
            f"- {{policy: {policy}, language: {locale}, version: {number}, sha256: {sha}, "
            f"date: YYYY-MM-DD, reason: \"...\"}}. Otherwise restore the published history (e.g. push the "
            f"previous branch tip back).")


def check_history(
    previous: tuple[dict[tuple[str, str], list[dict[str, Any]]], str | None] | None,
    current: Mapping[tuple[str, str], PolicyVersions],
    corrections: Mapping[tuple[str, str, int], tuple[Correction, str]] | None = None,
    read_old: Callable[[list[str]], Iterable[tuple[str, bytes]]] | None = None,
) -> CheckResult:
    """Compare the recorded versions with the current ones (see the module doc).

    *corrections*: (policy, locale, number) -> (declared correction, where it is declared).
    *read_old*: reads blobs that may be gone (missing ones are simply not returned).
    """
    corrections = dict(corrections or {})
    result = CheckResult(policies=dict(current))
    used: set[tuple[str, str, int]] = set()
    recorded, rules = previous if previous is not None else ({}, None)
    # Blobs of recorded versions whose blob differs now: their text under today's rules, when still readable.
    old_blobs = sorted({r["blob"] for key, recs in recorded.items() for r in recs
                        if _differs(r, current.get(key)) and isinstance(r.get("blob"), str)})
    old_text: dict[str, str] = {}
    if old_blobs and read_old is not None:
        old_text = {oid: text_sha256(data) for oid, data in read_old(old_blobs)}
    for key, recs in sorted(recorded.items()):
        policy, locale = key
        pv = current.get(key)
        if pv is None:
            result.errors.append(
                f"{policy} ({locale}): all {len(recs)} published version(s) disappeared from history (the file was "
                f"renamed, excluded or filtered out of history): published text sha256 "
                f"{', '.join(str(r.get('sha256', '')) for r in recs)}, now none. Restore it; to drop its published "
                f"URLs deliberately, build once without the previous manifest ({'POLICY_SITE_PREVIOUS_MANIFEST'}= empty).")
            continue
        now = {r.number: r for r in pv.versions}
        new_records = dict(now)
        for rec in sorted(recs, key=lambda r: r["number"]):
            n = rec["number"]
            was = str(rec.get("sha256", ""))
            carried = tuple(Correction(str(c.get("sha256", "")), str(c.get("date", "")), str(c.get("reason", "")),
                                       c.get("previous_sha256")) for c in rec.get("corrections", []) if isinstance(c, dict))
            cur = now.get(n)
            label = f"{policy} ({locale}) version {n}"
            if cur is None:
                result.errors.append(f"{label} disappeared from history: published text sha256 {was}, now none. "
                                     "A published version must stay; restore the published history.")
                continue
            if cur.blob == rec.get("blob"):
                same = True
            elif rec.get("blob") in old_text:
                same = old_text[rec["blob"]] == cur.sha256
            elif rules == TEXT_RULES:
                same = was == cur.sha256
            else:
                same = False
            if not same:
                declared = corrections.get((policy, locale, n))
                if declared is not None and declared[0].sha256 == cur.sha256:
                    used.add((policy, locale, n))
                    corr = replace(declared[0], previous_sha256=was or None)
                    new_records[n] = replace(cur, corrections=_merge(carried, corr))
                    result.notices.append(f"{label}: legal correction published ({declared[1]}): text sha256 {was} -> "
                                          f"{cur.sha256}: {corr.reason}")
                    continue
                if declared is not None:
                    result.errors.append(f"{declared[1]}: the correction of {label} declares sha256 "
                                         f"{declared[0].sha256}, but its text now hashes to {cur.sha256}.")
                    used.add((policy, locale, n))
                    continue
                result.errors.append(f"{label}: the published text changed: sha256 {was} published, {cur.sha256} "
                                     f"now (commit {str(rec.get('commit', ''))[:12]} -> {cur.commit[:12]}). "
                                     + _correction_hint(policy, locale, n, cur.sha256))
                continue
            new_records[n] = replace(cur, corrections=carried) if carried else cur
            if cur.commit != rec.get("commit"):
                result.notices.append(f"{label}: history was rewritten but the text is the same "
                                      f"(commit {str(rec.get('commit', ''))[:12]} -> {cur.commit[:12]}).")
            if cur.published != rec.get("published"):
                result.notices.append(f"{label}: publication date {rec.get('published')} -> {cur.published}.")
            if cur.effective != rec.get("effective"):
                result.notices.append(f"{label}: effective date {rec.get('effective') or 'none'} -> {cur.effective or 'none'}.")
        result.policies[key] = replace(pv, versions=tuple(new_records[r.number] for r in pv.versions))
    # Corrections declared for versions that were not rewritten in this build: a standing record.
    for (policy, locale, n), (corr, where) in sorted(corrections.items()):
        if (policy, locale, n) in used:
            continue
        pv = result.policies.get((policy, locale))
        cur = next((r for r in pv.versions if r.number == n), None) if pv else None
        if pv is None or cur is None:
            result.errors.append(f"{where}: no published version {n} of {policy} ({locale}) to correct.")
        elif corr.sha256 != cur.sha256:
            result.errors.append(f"{where}: the correction of {policy} ({locale}) version {n} declares sha256 "
                                 f"{corr.sha256}, but its text hashes to {cur.sha256}.")
        else:
            merged = replace(cur, corrections=_merge(cur.corrections, corr))
            result.policies[(policy, locale)] = replace(
                pv, versions=tuple(merged if r.number == n else r for r in pv.versions))
    return result


def corrections_for(result: CheckResult | None, src_path: str, number: int) -> tuple[Correction, ...]:
    """The corrections of version *number* of the policy file *src_path* (shown on its page)."""
    if result is None:
        return ()
    for pv in result.policies.values():
        if pv.src_path == src_path:
            return next((r.corrections for r in pv.versions if r.number == number), ())
    return ()


def _differs(rec: Mapping[str, Any], pv: PolicyVersions | None) -> bool:
    if pv is None:
        return False
    cur = next((r for r in pv.versions if r.number == rec.get("number")), None)
    return cur is not None and cur.blob != rec.get("blob")


def _merge(existing: tuple[Correction, ...], new: Correction) -> tuple[Correction, ...]:
    """Corrections of one version, one per corrected text, oldest first."""
    kept = tuple(c for c in existing if c.sha256 != new.sha256)
    prior = next((c for c in existing if c.sha256 == new.sha256), None)
    if prior is not None and prior.previous_sha256 and not new.previous_sha256:
        new = replace(new, previous_sha256=prior.previous_sha256)
    return (*kept, new)
