"""The versions API of the built site (the documents are policykit.pages.versions_api's).

Each language build hands over the policies whose archive it wrote
(``add_policy``, from policykit.mkdocs.archive, with the change notes in that
language); the outer on_post_build, once every language is built, writes each
policy's ``versions.json``, ``api/policies.json`` and the schemas, and
registers them (kind ``api``) before the deploy step lists them in the
manifest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils import write_file

from policykit.deploy import published
from policykit.history import ledger
from policykit.mkdocs import common
from policykit.pages import archive, versions_api
from policykit.pages.labels import labels_for


@dataclass
class _Run:
    """The policies of this build (every language), on the plugin instance (common.BuildState.slot)."""

    policies: dict[str, versions_api.ApiPolicy] = field(default_factory=dict)  # by folder
    # The ledger's text hashes by source path and version (``_text_sha256``), and the ledger result they are of.
    texts: dict[str, dict[int, str]] = field(default_factory=dict)
    texts_of: Any = None


def _run(config: MkDocsConfig) -> _Run:
    return common.state(config).slot(_Run)


def _text_sha256(config: MkDocsConfig, src_path: str) -> dict[int, str]:
    """Version number -> the ledger's text hash of the policy file *src_path* (manifest.json's ``sha256``)."""
    result = common.state(config).ledger
    run = _run(config)
    if run.texts_of is not result:  # indexed once per ledger result, not searched once per policy
        run.texts, run.texts_of = {}, result
        for pv in (result.policies.values() if result is not None else ()):
            run.texts.setdefault(pv.src_path, {r.number: r.sha256 for r in pv.versions})
    return run.texts.get(src_path, {})


def add_policy(config: MkDocsConfig, dest: str, src_path: str, policy_id: str, title: str,
               entries: list[archive.VersionEntry], source_sha: dict[tuple[str, int], str],
               retired: Any = None) -> None:
    """Remember a policy whose version pages and ``source.md`` files this language build wrote."""
    if not entries:
        return
    locale = common.current_locale(config)
    labels = labels_for(locale)
    base = archive.policy_base(dest)
    texts = _text_sha256(config, src_path)
    versions = []
    for e in entries:
        raw = source_sha.get((dest, e.number))
        if raw is None:  # no source.md (no git repository): no version to describe byte for byte
            return
        text = texts.get(e.number)
        if text is None:  # the ledger is off (headers: false): the same hash, from the published bytes
            source = os.path.join(config.site_dir, archive.source_path(dest, e.number))
            with open(source, "rb") as fh:
                text = ledger.text_sha256(fh.read())
        assert e.starts_at is not None, "version_entries gives every entry its start"
        versions.append(versions_api.ApiVersion(
            number=e.number, commit=e.version.commit, published=e.version.date, effective=e.effective,
            starts_at=e.starts_at, ends_at=e.ends_at, note=common.note_shown(config, e, labels),
            sha256=text, source_sha256=raw,
        ))
    _run(config).policies[base] = versions_api.ApiPolicy(
        policy=policy_id, language=locale, title=title, base=base, versions=tuple(versions),
        retired=retired.date if retired is not None else None,
    )


def on_post_build(config: MkDocsConfig) -> None:
    """Write and register every file of the API (the outer call, after every language)."""
    run = _run(config)
    urls = versions_api.Urls(urlsplit(config.site_url or "/").path or "/")
    policies = {p.base + versions_api.VERSIONS_FILE: p for p in run.policies.values()}
    registry = common.state(config).published
    locale = common.settings(config).default_locale
    for path, data in versions_api.documents(run.policies.values(), urls).items():
        write_file(data, os.path.join(config.site_dir, path))
        p = policies.get(path)
        registry.add(published.PublishedPage(
            path, published.API, p.language if p else locale, p.policy if p else None,
            p.versions[-1].published if p else None,
        ))
