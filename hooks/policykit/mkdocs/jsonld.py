"""schema.org JSON-LD (policykit.pages.jsonld) for the current policy pages and the version pages.

The current page's goes into ``page.meta["policy_jsonld"]`` (on_page_context;
policy-main.html writes it in the head), a version page's is handed to its body
partial (policykit.mkdocs.archive).  Both are ``Markup`` already safe inside a
``<script>`` element, so no template escapes them again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from markupsafe import Markup
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page

from policykit.deploy.header_files import link_form
from policykit.mkdocs import common
from policykit.pages import archive
from policykit.pages.jsonld import document, script_json
from policykit.pages.titles import plain_title


def absolute(config: MkDocsConfig, site_path: str) -> str:
    """The URL of a site path: absolute under ``site_url`` when set, else root-absolute; encoded as MkDocs links."""
    encoded = link_form(site_path)
    return urljoin(config.site_url, encoded) if config.site_url else "/" + encoded


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig) -> dict[str, Any]:
    """A committed policy page: its first publication, its latest version and instant (the stamp)."""
    ref = page.meta.get("policy_ref")
    stamp = page.meta.get("policy_stamp")
    if ref is None or stamp is None or stamp.draft or stamp.fallback or stamp.version is None or stamp.instant is None:
        return context
    fh = common.history(config).get(page.file.src_path)
    if not fh.versions:
        return context
    data = document(
        name=plain_title(page.meta.get("title") or page.title or ref.policy_id), language=ref.locale,
        version=stamp.version, published=fh.versions[0].date, modified=stamp.instant,
        url=page.canonical_url or absolute(config, page.url), tz=common.settings(config).timezone,
    )
    page.meta["policy_jsonld"] = Markup(script_json(data))
    return context


def version_page(config: MkDocsConfig, dest: str, src_path: str, title: str, number: int, published: datetime,
                 source_sha256: str | None) -> Markup:
    """The JSON-LD of version *number* of the policy published at *dest* (its text at its publication)."""
    ref = common.policy_of(config, src_path)
    source = (absolute(config, archive.source_path(dest, number)), source_sha256) if source_sha256 else None
    data = document(
        name=title, language=ref.locale if ref is not None else common.current_locale(config), version=number,
        published=published, modified=published, url=absolute(config, archive.url_of(archive.version_path(dest, number))),
        tz=common.settings(config).timezone, source=source,
    )
    return Markup(script_json(data))
