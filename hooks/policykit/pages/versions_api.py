"""The versions API: static JSON of every policy's versions, for machines (knows nothing of MkDocs).

Two documents, both described by a JSON Schema in ``policykit/schemas/`` (also
published at ``api/schema/``):

* ``B versions.json`` (``B`` = a policy's folder, ``en/privacy/``): one policy in
  one language, every version oldest first: number, commit, publication instant,
  effective date, in-force range, the change note readers see, the SHA-256 of
  its normalised text (the manifest's ``sha256``) and of its ``source.md`` bytes
  (``source_sha256``), and the URLs of its page, clean text, diff and source;
* ``api/policies.json``: every policy and language, its latest version and URLs.

Instants are RFC 3339 in UTC (``2020-01-15T01:00:00Z``, as in manifest.json);
``published`` is the version's publication instant (the Memento-Datetime of its
page), ``in_force`` its range as instants (``to`` null while open).  URLs are
root-absolute paths under the site's base path, percent-encoded as MkDocs
writes links.  Byte-reproducible: sorted keys, no build time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from importlib import resources
from typing import Any, Iterable

from policykit import generated, json_text
from policykit.deploy.header_files import link_form
from policykit.pages.jsonld import html_safe

FORMAT_VERSION = 1
VERSIONS_FILE = generated.register(generated.POLICY, "versions.json", "the policy's versions API")
INDEX_FILE = generated.register(generated.SITE, "api/policies.json", "the versions API index")
SCHEMA_DIR = "api/schema/"
VERSIONS_SCHEMA = "versions.schema.json"
INDEX_SCHEMA = "policies.schema.json"
SCHEMA_FILES = tuple(generated.register(generated.SITE, SCHEMA_DIR + name, "a JSON Schema of the versions API")
                     for name in (VERSIONS_SCHEMA, INDEX_SCHEMA))


@dataclass(frozen=True)
class ApiVersion:
    """One version as the API states it."""

    number: int
    commit: str
    published: datetime  # the version's publication instant
    effective: date | None
    starts_at: datetime  # in force from (the effective date at 00:00 in the site's timezone, else published)
    ends_at: datetime | None  # in force until (a later version takes effect, or the policy retired); None: open
    note: str  # the change note readers see
    sha256: str  # of the normalised text (manifest.json's ``sha256``)
    source_sha256: str  # of ``versions/N/source.md``, the committed bytes


@dataclass(frozen=True)
class ApiPolicy:
    """One policy in one language: its folder and versions (oldest first)."""

    policy: str
    language: str
    title: str
    base: str  # the policy's folder, site-relative: "en/privacy/"
    versions: tuple[ApiVersion, ...]
    retired: datetime | None = None  # when its file was deleted


def instant(dt: datetime) -> str:
    """RFC 3339 in UTC, to the second."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def versions_path(base: str) -> str:
    """Site path of the versions document of the policy whose folder is *base*."""
    return base + VERSIONS_FILE


class Urls:
    """Root-absolute URLs under the site's base path (``/`` or ``/docs/``), encoded as MkDocs links."""

    def __init__(self, base_path: str = "/") -> None:
        self.base_path = base_path if base_path.endswith("/") else base_path + "/"

    def of(self, site_path: str) -> str:
        return link_form(self.base_path + site_path)


def _policy_urls(p: ApiPolicy, urls: Urls) -> dict[str, Any]:
    return {
        "policy": urls.of(p.base),
        "history": urls.of(p.base + "history/"),
        "versions": urls.of(versions_path(p.base)),
        "latest_version": urls.of(f"{p.base}versions/{p.versions[-1].number}/"),
    }


def _version(p: ApiPolicy, v: ApiVersion, urls: Urls, first: bool) -> dict[str, Any]:
    page = urls.of(f"{p.base}versions/{v.number}/")
    return {
        "number": v.number,
        "commit": v.commit,
        "published": instant(v.published),
        "effective": v.effective.isoformat() if v.effective else None,
        "in_force": {"from": instant(v.starts_at), "to": instant(v.ends_at) if v.ends_at is not None else None},
        "never_in_force": v.ends_at is not None and v.ends_at <= v.starts_at,
        "note": v.note,
        "sha256": v.sha256,
        "source_sha256": v.source_sha256,
        "urls": {
            "page": page,
            "clean": page + "#clean",
            "changes": None if first else page + "#changes",  # the diff against the version before
            "source": urls.of(f"{p.base}versions/{v.number}/source.md"),
        },
    }


def _summary(p: ApiPolicy, urls: Urls) -> dict[str, Any]:
    return {
        "policy": p.policy,
        "language": p.language,
        "title": p.title,
        "latest_version": p.versions[-1].number,
        "retired": p.retired is not None,
        "retired_at": instant(p.retired) if p.retired is not None else None,
        "urls": _policy_urls(p, urls),
    }


def versions_document(p: ApiPolicy, urls: Urls) -> dict[str, Any]:
    """The ``versions.json`` of one policy and language."""
    return {
        "$schema": urls.of(SCHEMA_DIR + VERSIONS_SCHEMA),
        "format": "policykit-versions",
        "version": FORMAT_VERSION,
        **_summary(p, urls),
        "versions": [_version(p, v, urls, i == 0) for i, v in enumerate(p.versions)],
    }


def index_document(policies: Iterable[ApiPolicy], urls: Urls) -> dict[str, Any]:
    """``api/policies.json``: every policy and language, sorted by policy, language and folder."""
    ordered = sorted((p for p in policies if p.versions), key=lambda p: (p.policy, p.language, p.base))
    return {
        "$schema": urls.of(SCHEMA_DIR + INDEX_SCHEMA),
        "format": "policykit-policies",
        "version": FORMAT_VERSION,
        "policies": [_summary(p, urls) for p in ordered],
    }


def dumps(document: dict[str, Any]) -> bytes:
    """The bytes of a document: UTF-8, sorted keys, one trailing newline (the same data, the same bytes).

    Editor-written text (titles, change notes) keeps its value but never its ``<`` (``jsonld.html_safe``)."""
    return (html_safe(json_text.dumps(document)) + "\n").encode("utf-8")  # json.dumps(sort_keys, indent=1)


def schema_bytes(name: str) -> bytes:
    """A schema file of the package (``policykit/schemas/NAME``), as published at ``api/schema/NAME``."""
    return resources.files("policykit").joinpath("schemas").joinpath(name).read_bytes()


def documents(policies: Iterable[ApiPolicy], urls: Urls) -> dict[str, bytes]:
    """Site path -> bytes of every file of the API: each policy's versions.json, the index and the schemas."""
    policies = [p for p in policies if p.versions]
    out = {versions_path(p.base): dumps(versions_document(p, urls)) for p in policies}
    out[INDEX_FILE] = dumps(index_document(policies, urls))
    for name in (VERSIONS_SCHEMA, INDEX_SCHEMA):
        out[SCHEMA_DIR + name] = schema_bytes(name)
    return out
