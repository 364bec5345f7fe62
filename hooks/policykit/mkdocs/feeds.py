"""Atom feeds of policy changes, one per language and one per policy and language.

``feed.xml`` sits at each language's root (``/feed.xml``, ``/en/feed.xml``) and
beside each policy (``/en/privacy/feed.xml``); every page's head links its
language's feed and, on a policy's pages, the policy's feed
(overrides/partials/policy-feed-links.html), page-relative so that a copy of
the site served at another origin never calls site_url.  Material fetches
``sitemap.xml`` beside every ``<link rel="alternate">``: ``write_sitemaps`` puts
one in each linked feed's folder (policykit.pages.sitemaps).  The feeds are written after
mkdocs_archive (whose change summaries they quote) and registered for
mkdocs_deploy's cache headers.  Entries, the language feed's merge and the documents come from
policykit.pages.feeds; this module only wires them to MkDocs.
"""

from __future__ import annotations

import functools
import logging
import os
import posixpath
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator
from urllib.parse import quote

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import write_file

from policykit.mkdocs import common
from policykit.pages import archive
from policykit.pages import feeds
from policykit.pages import sitemaps
from policykit.deploy import published
from policykit.pages.labels import labels_for
from policykit.pages.titles import plain_title

log = logging.getLogger("mkdocs.hooks.feeds")


@dataclass(frozen=True)
class _Policy:
    """A policy page of this language build with at least one version."""

    dest: str  # e.g. "en/privacy/index.html"
    src_path: str  # e.g. "en/privacy.md" (or "zh-Hant/privacy.md" when the source is shown instead)
    policy_id: str
    content_locale: str
    title: str


@dataclass
class _Probed:
    """Folders of the feeds linked from any page of any language (on the build state, across languages)."""

    folders: set[str] = field(default_factory=set)


@dataclass
class _Run:
    """This module's state of one language build (on the plugin instance, see common.BuildState.slot)."""

    policies: list[_Policy] = field(default_factory=list)


def _policies(config: MkDocsConfig) -> list[_Policy]:
    return common.state(config).slot(_Run).policies


def _abs(config: MkDocsConfig, path: str) -> str:
    try:
        return feeds.absolute_url(config.site_url or "", path)
    except feeds.FeedError as exc:
        raise PluginError(f"{config.config_file_path or 'mkdocs.yml'}: 'site_url': {exc}") from exc


def _version_url(config: MkDocsConfig, dest: str, number: int) -> str:
    return _abs(config, archive.url_of(archive.version_path(dest, number)))


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    _abs(config, "")  # feeds need absolute links: fail early without a site_url
    if common.is_first_language_build(config):
        common.state(config).summaries.clear()
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    _policies(config).clear()
    return files


def linked(config: MkDocsConfig, feed_path: str) -> str:
    """*feed_path*, remembered so that a sitemap.xml answers Material's probe beside it (see write_sitemaps)."""
    common.state(config).slot(_Probed).folders.add(posixpath.dirname(feed_path) + "/" if "/" in feed_path else "")
    return quote(feed_path, safe="/")  # as MkDocs writes its own links


def write_sitemaps(config: MkDocsConfig) -> None:
    """Once, after every language: a ``sitemap.xml`` in each folder of a linked feed (policykit.pages.sitemaps)."""
    folders = sorted(f for f in common.state(config).slot(_Probed).folders if f)  # the root's is MkDocs' own
    root = os.path.join(config.site_dir, sitemaps.SITEMAP_NAME)
    if not folders:
        return
    text = sitemaps.EMPTY
    if os.path.isfile(root):
        with open(root, encoding="utf-8") as fh:
            text = fh.read()
    try:
        parts = sitemaps.split_sitemap(text)  # once: each folder's is a selection of its <url> blocks
    except sitemaps.SitemapError as exc:
        raise PluginError(f"{root}: {exc}") from exc
    for folder in folders:
        data = sitemaps.folder_sitemap(parts, site_url=config.site_url or "", folder=folder)
        write_file(data.encode("utf-8"), os.path.join(config.site_dir, sitemaps.sitemap_path(folder)))
    log.debug("Wrote %d folder sitemaps", len(folders))


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    locale = common.current_locale(config)
    labels = labels_for(locale)
    # Site-relative paths (the template makes them page-relative): an absolute link would send a copy of
    # the site served at another origin to site_url, and Material probes sitemap.xml beside each one.
    links = [{"title": labels["feed_title"].format(site=config.site_name), "href": linked(config, feeds.language_feed_path(common.locale_prefix(config, locale)))}]
    ref = page.meta.get("policy_ref")
    if ref is not None and common.history(config).get(page.file.src_path).versions:
        title = plain_title(page.meta.get("title") or page.title or ref.policy_id)
        _policies(config).append(_Policy(page.file.dest_uri, page.file.src_path, ref.policy_id, ref.locale, title))
        links.append({"title": labels["feed_policy_title"].format(title=title), "href": linked(config, feeds.policy_feed_path(page.file.dest_uri))})
    context["policy_feeds"] = links
    return context


def on_post_build(config: MkDocsConfig) -> None:
    """Runs after archive.on_post_build (whose change summaries it quotes), once per language."""
    policies = _policies(config)
    locale = common.current_locale(config)
    labels = labels_for(locale)
    settings = common.settings(config)
    hist = common.history(config)
    site_url = config.site_url or ""
    empty_date = hist.head_date or hist.fallback_date or datetime(1970, 1, 1, tzinfo=timezone.utc)
    prefix = common.locale_prefix(config, locale)
    author = str(config.site_name or "")
    summaries: dict[str, dict[int, Any]] = {}  # src_path -> version -> DiffSummary, of this language
    for (loc, src, n), summary in common.state(config).summaries.items():
        if loc == locale:
            summaries.setdefault(src, {})[n] = summary

    def write(feed: feeds.Feed) -> None:
        try:
            data = feeds.feed_xml(feed, site_url=site_url, tz=settings.timezone, change_note_label=labels["change_note"], updated_if_empty=empty_date)
        except feeds.FeedError as exc:
            raise PluginError(f"{config.config_file_path or 'mkdocs.yml'}: {exc}") from exc
        write_file(data, os.path.join(config.site_dir, feed.path))
        common.state(config).published.add(published.PublishedPage(feed.path, published.FEED, locale, feed.policy_id, feed.updated or empty_date))

    def policy_feeds() -> Iterator[feeds.Feed]:
        """Each policy's feed, written, then handed to the language feed's merge (which keeps only the newest)."""
        for p in policies:
            path = feeds.policy_feed_path(p.dest)
            feed = feeds.Feed(
                path=path,
                url=_abs(config, path),
                title=labels["feed_policy_title"].format(title=p.title),
                locale=locale,
                alternate=_abs(config, archive.url_of(p.dest)),
                author=author,
                policy_id=p.policy_id,
                entries=feeds.policy_entries(
                    common.version_entries(config, hist.get(p.src_path)),
                    policy_id=p.policy_id,
                    content_locale=p.content_locale,
                    title=p.title,
                    link_of=functools.partial(_version_url, config, p.dest),
                    summaries=summaries.get(p.src_path, {}),
                    labels=labels,
                    locale=locale,
                    tz=settings.timezone,
                    note_of=functools.partial(common.note_shown, config, labels=labels),
                ),
            )
            write(feed)
            yield feed

    every = feeds.merge(policy_feeds())
    site_feed = feeds.Feed(
        path=feeds.language_feed_path(prefix),
        url=_abs(config, feeds.language_feed_path(prefix)),
        title=labels["feed_title"].format(site=author),
        locale=locale,
        alternate=_abs(config, prefix),
        author=author,
        entries=every,
    )
    write(site_feed)
    log.debug("Wrote %d feeds for '%s' (%d entries)", len(policies) + 1, locale, len(every))
    policies.clear()
