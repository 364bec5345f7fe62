"""A history page and a permanent page per version of every policy.

Material renders each page kind once per policy as a "shell" (the real theme,
header, language switcher and footer around placeholders); every version is
then poured into its shell.  That keeps thousands of version pages out of
MkDocs' page pipeline and its search index, while they look like the site.
The versions, diffs and cache come from policykit; the markup from
overrides/partials/policy-history-body.html and policy-version-body.html.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from mkdocs.commands.build import get_context
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url, write_file

from policykit.mkdocs import api, archive_store, common, jsonld, translations
from policykit.mkdocs import deploy as mkdocs_deploy
from policykit.mkdocs import feeds as mkdocs_feeds
from policykit.pages import archive
from policykit.pages import counterparts
from policykit.pages import effective
from policykit.pages import on_date
from policykit.history import gitrepo
from policykit.history import ledger
from policykit.deploy import published
from policykit.dates import build_time, display_date, iso_instant
from policykit.history.versions import FileHistory
from policykit.diff.htmldiff import DiffLabels
from policykit.pages.labels import labels_for
from policykit.pages.markdown_render import MarkdownRenderer
from policykit.pages.render_cache import RenderCache
from policykit.pages.titles import plain_title
from policykit.pages.version_pages import PolicyJob, RenderedVersion, VersionRenderer, prewarm
from policykit.pages import render_pool

log = logging.getLogger("mkdocs.hooks.archive")

PH_TITLE = "PKSHELLTITLEPK"
PH_NUMBER = "PKSHELLNUMBERPK"
PH_BODY = "PKSHELLBODYPK"
PH_FEED_TITLE = "PKSHELLFEEDTITLEPK"
PH_VERSION_LINKS = "PKSHELLVERSIONLINKSPK"  # a version page's RFC 5829 <link>s, in its head
PH_LATEST = "PKSHELLLATESTPK"  # the policy's current page, relative to its history page

#: RFC 5829 <link>s in the head of the archive's pages, page-relative; a version page's depend on its number
#: (_version_links). partials/policy-version-links.html writes them.
_SHELL_LINKS: dict[str, list[dict[str, str]]] = {
    "history": [{"rel": "latest-version", "href": PH_LATEST},
                {"rel": "timemap", "href": "../timemap.link", "type": "application/link-format"}],
    "retired": [{"rel": "version-history", "href": "history/"}],
}


def _timemaps_written(config: MkDocsConfig) -> bool:
    """TimeMaps and manifest.json are written by the deploy step (policykit.deploy), which a live preview skips."""
    return common.feature(config, "headers") and common.state(config).command != "serve"


def _shell_links(config: MkDocsConfig, kind: str) -> list[dict[str, str]] | None:
    links = _SHELL_LINKS.get(kind)
    if links is None or _timemaps_written(config):
        return links
    return [link for link in links if link["rel"] != "timemap"]


@dataclass
class _Pending:
    """A policy whose archive this language build writes in on_post_build."""

    dest: str  # output path of the policy page, e.g. "en/privacy/index.html"
    src_path: str  # docs-relative source path
    policy_id: str
    fh: FileHistory
    title: str
    translations: dict[str, str]  # language -> archive folder of the same policy there
    feed_title: str | None  # the policy's own feed is linked from its pages when set
    retired_page: bool = False  # a deleted policy: also write a page at its old address
    alternate_src: dict[str, str] = field(default_factory=dict)  # language -> source path of its page of this policy

    def shell(self, config: MkDocsConfig, kind: str) -> str:
        """This policy's shell of a page kind (made when needed: holding one per policy costs memory)."""
        return _policy_shell(config, kind, self.dest, self.translations, self.feed_title)


@dataclass
class _Run:
    """This module's state of one language build (on the plugin instance, see common.BuildState.slot)."""

    pending: list[_Pending] = field(default_factory=list)
    files: Files | None = None
    base: dict[str, Any] = field(default_factory=dict)  # the first page context of this language build, for retired policies
    # Shells are rendered once per language build, page kind and folder depth, with
    # placeholder path segments; each policy then only substitutes its own paths.
    shells: dict[tuple[str, int, bool], str] = field(default_factory=dict)
    shell_digests: dict[tuple[str, int, bool], str] = field(default_factory=dict)  # their SHA-256 (archive keys)
    # Version entries of any policy file, by source path, for the version pages' language switcher: made
    # once per build (every language build reads the others'), never cleared by on_files.
    entries: dict[str, list[archive.VersionEntry]] = field(default_factory=dict)


def _run(config: MkDocsConfig) -> _Run:
    return common.state(config).slot(_Run)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    run = _run(config)
    run.files = files
    run.pending.clear()
    run.base.clear()
    run.shells.clear()
    run.shell_digests.clear()
    return files


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    base = _run(config).base
    if not base:
        base.update(context=dict(context), nav=nav)
    ref = page.meta.get("policy_ref")
    if ref is None:
        return context
    fh = common.history(config).get(page.file.src_path)
    if not fh.versions:
        return context
    title = plain_title(page.meta.get("title") or page.title or ref.policy_id)
    dest = page.file.dest_uri
    # RFC 5829: the current page links its history (policy-main.html writes page.meta.policy_version_links).
    page.meta["policy_version_links"] = [
        {"rel": "version-history", "href": _relative(archive.url_of(archive.history_path(dest)), archive.url_of(dest))}
    ]
    translations = getattr(page.file, "alternates", {}) or {}
    links = {lang: archive.policy_base(f.url + "index.html") for lang, f in translations.items()}
    _run(config).pending.append(
        _Pending(
            dest, page.file.src_path, ref.policy_id, fh, title, links, title,
            alternate_src={lang: f.src_path for lang, f in translations.items()},
        )
    )
    return context


def _retired_policies(config: MkDocsConfig, locale: str) -> list[_Pending]:
    """Archives of deleted policies in this language: history, versions and a page at the old address."""
    run = _run(config)
    if not run.base or run.files is None:
        return []
    hist = common.history(config)
    files = run.files
    out = []
    for fh in hist.retired:
        ref = common.policy_of(config, fh.src_path)
        if ref is None or ref.locale != locale or not fh.versions:
            continue
        dest = common.retired_policy_dest(config, ref)
        if any(f.dest_uri == archive.history_path(dest) for f in files):
            continue
        title = archive.version_entries(fh, tz=common.settings(config).timezone)[-1].title or ref.policy_id
        taken = any(f.dest_uri == dest for f in files)  # e.g. i18n's fallback page took the address
        out.append(
            _Pending(
                dest, fh.src_path, ref.policy_id, fh, title, {}, None, retired_page=not taken,
            )
        )
    return out


_KIND_PATHS = {"history": "history/index.html", "version": f"versions/{PH_NUMBER}/index.html", "retired": "index.html"}


def _segments(depth: int) -> str:
    return "/".join(f"PKSHELLSEG{i}PK" for i in range(depth))


def _policy_shell(config: MkDocsConfig, kind: str, policy_dest: str, translations: dict[str, str], title: str | None) -> str:
    """The shell of a *kind* page of the policy published at *policy_dest*.

    *translations* maps a language to the archive folder of the same policy in
    that language, so the language switcher leads to its history there; other
    languages lead to their home page.  A version shell keeps the placeholder of
    each language in *translations*: every version page fills in its own
    counterpart there (``_switcher_targets``).  With a *title*, the page head
    links the policy's own feed as well as the language's.
    """
    base = archive.policy_base(policy_dest).rstrip("/")
    depth = _folder_depth(policy_dest)
    shell = _shared_shell(config, kind, policy_dest, title)
    if title is not None:
        _link_policy_feed(config, policy_dest)
        feed_title = labels_for(common.current_locale(config)).get("feed_policy_title", "{title}").format(title=title)
        shell = shell.replace(PH_FEED_TITLE, html.escape(feed_title, quote=True))
    if kind == "history":
        shell = shell.replace(PH_LATEST, _relative(archive.url_of(policy_dest), archive.url_of(archive.history_path(policy_dest))))
    if depth:  # the segments only occur in absolute URLs (canonical, feeds): percent-encoded as MkDocs writes them
        shell = shell.replace(_segments(depth), quote(base, safe="/"))
    suffix = "history/" if kind in ("history", "version") else ""
    for lang, root in _language_roots(config).items():
        if kind == "version" and lang in translations:
            continue
        target = translations[lang] + suffix if lang in translations else root
        shell = shell.replace(_alt_placeholder(lang), target)
    return shell


def _folder_depth(policy_dest: str) -> int:
    """How many folders deep the policy's archive base is (``en/privacy/`` -> 2; the shells are shared by depth)."""
    base = archive.policy_base(policy_dest).rstrip("/")
    return base.count("/") + 1 if base else 0


def _shell_key(kind: str, policy_dest: str, title: str | None) -> tuple[str, int, bool]:
    """What a shared shell is rendered for: the page kind, the folder depth, whether a policy feed is linked."""
    return (kind, _folder_depth(policy_dest), title is not None)


def _shared_shell(config: MkDocsConfig, kind: str, policy_dest: str, title: str | None) -> str:
    """The shell every *kind* page as deep as *policy_dest*'s shares, with placeholders (rendered once)."""
    key = _shell_key(kind, policy_dest, title)
    shells = _run(config).shells
    if key not in shells:
        shells[key] = _render_shell(config, kind, key[1], with_policy_feed=title is not None)
    return shells[key]


def _shell_digest(config: MkDocsConfig, kind: str, policy_dest: str, title: str | None) -> str:
    """SHA-256 of ``_shared_shell``: with the policy's own inputs of ``_policy_shell`` (its folder, translations,
    feed title, the language roots and labels), which the archive key holds, it decides the policy's shell."""
    key = _shell_key(kind, policy_dest, title)
    digests = _run(config).shell_digests
    if key not in digests:
        digests[key] = hashlib.sha256(_shared_shell(config, kind, policy_dest, title).encode("utf-8")).hexdigest()
    return digests[key]


def _link_policy_feed(config: MkDocsConfig, policy_dest: str) -> None:
    """The policy's feed is linked from its archive pages: a sitemap.xml beside it, for Material (mkdocs_feeds)."""
    if common.feature(config, "feeds"):
        mkdocs_feeds.linked(config, archive.policy_base(policy_dest) + "feed.xml")


def _relative(target: str, page_url: str) -> str:
    """Site-relative URL *target* relative to the page at *page_url*, percent-encoded (a folder keeps its slash)."""
    rel = get_relative_url(target, page_url)
    if (target == "" or target.endswith("/")) and not rel.endswith("/"):
        rel += "/"
    return quote(rel, safe="/")


def _alt_placeholder(lang: str) -> str:
    return f"PKSHELLALT{_safe(lang)}PK/"


def _entries_of(config: MkDocsConfig, src_path: str) -> list[archive.VersionEntry]:
    """The version entries of *src_path*, made once per build whichever language build asks first."""
    cache = _run(config).entries
    if src_path not in cache:
        fh = common.history(config).get(src_path)
        cache[src_path] = common.version_entries(config, fh) if fh.versions else []
    return cache[src_path]


def _switcher_targets(config: MkDocsConfig, pending: _Pending, entries: list[archive.VersionEntry]) -> dict[int, dict[str, str]]:
    """Version number -> language -> where that version page's language switcher leads (site-relative).

    Version numbers are per language: each language leads to its own version in
    force at the instant this version took effect (``counterparts``); where it
    had none then, to its history; where its page of the policy has no history
    at all (a draft), to that page.  The page's own language stays on the page.
    One pass per policy and language.
    """
    entries_by_lang: dict[str, dict[int, str]] = {}
    for lang, src in pending.alternate_src.items():
        folder = pending.translations.get(lang)
        if folder is None:
            continue
        if src == pending.src_path:  # this language, or its fallback to this very file: the same versions
            entries_by_lang[lang] = {e.number: f"{folder}versions/{e.number}/" for e in entries}
            continue
        other = _entries_of(config, src)
        if not other:
            entries_by_lang[lang] = {e.number: folder for e in entries}
            continue
        numbers = counterparts.in_force_numbers(entries, other)
        entries_by_lang[lang] = {
            n: f"{folder}versions/{m}/" if m is not None else f"{folder}history/" for n, m in numbers.items()
        }
    return {e.number: {lang: targets[e.number] for lang, targets in entries_by_lang.items()} for e in entries}


def _safe(lang: str) -> str:
    return "".join(ch for ch in lang if ch.isalnum())


def _language_roots(config: MkDocsConfig) -> dict[str, str]:
    """Site-relative home of each language ("" for the default, "en/" for English)."""
    plugin = common.i18n(config)
    if plugin is None:
        return {}
    alternates = getattr(plugin, "extra_alternate", None) or []
    return {alt["lang"]: alt.get("link", "").lstrip("/") for alt in alternates if "lang" in alt}


def _archive_nav(nav: Any) -> Any:
    """The navigation of archive pages: the language's home (policy centre) only.

    A version page is reached from its policy and links its neighbours, its
    history and the current text in its banner; listing every policy in its
    sidebar would be two thirds of its bytes on a large archive, thousands
    of times over, for readers on phones too.
    """
    home = getattr(nav, "homepage", None)
    return Navigation([home], [home]) if home is not None else Navigation([], [])


def _render_shell(config: MkDocsConfig, kind: str, depth: int, *, with_policy_feed: bool) -> str:
    """Material's page around placeholders, for a *kind* page *depth* folders deep."""
    run = _run(config)
    files = run.files
    assert files is not None, "on_files runs before any shell is rendered"
    prefix = _segments(depth) + "/" if depth else ""
    src_uri = (prefix + _KIND_PATHS[kind])[: -len("index.html")].rstrip("/") + ".md"
    fake = Page(PH_TITLE, File.generated(config, src_uri, content=""), config)
    fake.content = f"<h1>{PH_TITLE}</h1>{PH_BODY}"
    fake.meta = {"search": {"exclude": True}, "policy_archive": True, "policy_noindex": kind == "version",
                 "policy_compare": kind == "history",  # loads assets/policy-compare.js and policy-in-force.js
                 "policy_version_links": _shell_links(config, kind),
                 "policy_version_links_placeholder": PH_VERSION_LINKS if kind == "version" else None}
    fake.toc = []  # type: ignore[assignment]
    ctx = dict(run.base["context"])
    nav = _archive_nav(run.base["nav"])
    ctx.update(get_context(nav, files, config, fake, get_relative_url(".", fake.url)))
    ctx["page"] = fake
    feeds_in_head = list(ctx.get("policy_feeds") or [])[:1]  # the language's feed (see mkdocs_feeds.py)
    if with_policy_feed and feeds_in_head:  # site-relative, as mkdocs_feeds.py links it: page-relative in the head
        feeds_in_head.append({"title": PH_FEED_TITLE, "href": prefix + "feed.xml"})
    ctx["policy_feeds"] = feeds_in_head
    # mkdocs-static-i18n sets the switcher as an attribute (config.extra.alternate), which
    # Jinja reads before the mapping key; read and restore it the same way.
    extra: Any = config.extra  # mkdocs types it as a config without attributes; i18n sets one
    alternates = getattr(extra, "alternate", None)
    saved = [dict(a) for a in alternates] if alternates else None
    try:
        if alternates:
            for alt in alternates:
                alt["link"] = f"PKSHELLALT{_safe(alt.get('lang', ''))}PK/"
        return common.state(config).env.get_template("main.html").render(ctx)
    finally:
        if saved is not None:
            extra.alternate = saved


def on_post_build(config: MkDocsConfig) -> None:
    locale = common.current_locale(config)
    run = _run(config)
    run.pending.extend(_retired_policies(config, locale))
    if not run.pending:
        return
    started = time.perf_counter()
    settings = common.settings(config)
    labels = labels_for(locale)
    hist = common.history(config)
    renderer = MarkdownRenderer(config.markdown_extensions, config.mdx_configs)
    scratch = None
    if renderer.fingerprint is None:  # cannot be keyed: render everything, share it only within this build
        common.info_once(config, "uncacheable", "Render cache not used (every version is rendered again): %s.",
                         renderer.why_uncacheable)
        scratch = tempfile.TemporaryDirectory(prefix="policy-render-")
    cache = RenderCache(scratch.name if scratch else os.path.join(common.cache_dir(config), "render"), f"versions-{locale}")
    tree = gitrepo.open_work_tree(config.docs_dir) if hist.root is not None else None
    files = run.files
    assert files is not None, "on_files runs before on_post_build"
    # The archives kept by the previous build (archive_store): none when the renderer cannot be keyed.
    kept = archive_store.store(config) if renderer.fingerprint is not None else None
    keys: dict[int, str] = {}  # id(pending) -> its key, for the policies this build renders
    if kept is not None and renderer.fingerprint is not None:
        run.pending[:] = _restore_kept(config, kept, locale, run.pending, keys, renderer.fingerprint)
        if not run.pending:
            return

    def url_for_src(src: str) -> str | None:
        f = files.get_file_from_path(src)
        return f.url if f is not None else None

    def read(oids: list[str]):
        if tree is None:
            return iter(())
        return common.git_plugin_errors(gitrepo.read_blobs(tree, oids))

    diff_labels = DiffLabels(
        inserted=labels["diff_inserted"],
        deleted=labels["diff_deleted"],
        block_inserted=labels["diff_block_inserted"],
        block_deleted=labels["diff_block_deleted"],
        formatting=labels["diff_formatting"],
        moved_to=labels["diff_moved_to"],
        moved_from=labels["diff_moved_from"],
        change=labels["diff_change"],
    )
    vr = VersionRenderer(renderer, cache, read, diff_labels=diff_labels, locale=locale)
    jobs = []
    by_job: dict[int, tuple[_Pending, list[archive.VersionEntry], dict[int, dict[str, str]]]] = {}
    sourced: list[tuple[_Pending, list[archive.VersionEntry]]] = []
    for pending in run.pending:
        entries = common.version_entries(config, pending.fh)
        run.entries.setdefault(pending.src_path, entries)  # the other language builds' switchers read them
        dest = pending.dest
        job = PolicyJob(
            src_path=pending.src_path,
            entries=entries,
            page_url=archive.url_of(archive.version_path(dest, 1)),
            url_for_src=url_for_src,
        )
        jobs.append(job)
        by_job[id(job)] = (pending, entries, _switcher_targets(config, pending, entries))
        sourced.append((pending, entries))
        _write_history(config, pending, entries, labels, locale, settings.timezone)
        if pending.retired_page:
            _write_retired(config, pending, labels, locale, settings.timezone)
    source_sha = _write_sources(config, sourced, read, locale)
    for pending, entries in sourced:  # the versions API (policykit.mkdocs.api), written once every language is built
        api.add_policy(config, pending.dest, pending.src_path, pending.policy_id, pending.title, entries, source_sha,
                       pending.fh.retired)
    env = common.state(config).env
    body_tpl = env.get_template("partials/policy-version-body.html")
    total = sum(len(job.entries) for job in jobs)
    progress = _Progress(locale, total)
    timeout = settings.render_timeout
    count = 0
    try:
        # Uncached versions, on every core, each Markdown render killed after `timeout` seconds.
        warmed = prewarm(vr, jobs, timeout=timeout, on_progress=lambda n: progress.tick(n, "rendered"))
        progress.reset()
        vr.guard = lambda label, fn: render_pool.call_with_timeout(label, fn, timeout)  # a miss left: bounded too
        shell_of: tuple[int, str] = (-1, "")  # the version shell of the policy being written
        for job, rv in vr.render(jobs):
            pending, entries, targets = by_job[id(job)]
            if shell_of[0] != id(job):
                shell_of = (id(job), pending.shell(config, "version"))
            _write_version(config, pending, entries, rv, labels, locale, settings.timezone, body_tpl, shell_of[1], cache,
                           targets.get(rv.entry.number, {}), source_sha.get((pending.dest, rv.entry.number)))
            count += 1
            progress.tick(count, "written")
    except render_pool.RenderTimeout as exc:
        raise PluginError(render_pool.timeout_message(exc, past_version=True)) from None
    except render_pool.WorkerDied as exc:
        raise PluginError(str(exc)) from None
    finally:
        if scratch is not None:
            scratch.cleanup()
    vr.rendered += warmed
    if kept is not None:
        for pending, entries in sourced:
            paths = _archive_paths(config, pending, entries)
            archive_store.save(config, kept, locale, pending.dest, pending.src_path, [e.number for e in entries],
                               keys[id(pending)], paths, {k: v for k, v in source_sha.items() if k[0] == pending.dest})
    run.pending.clear()
    seconds = time.perf_counter() - started
    (log.info if seconds > 5 else log.debug)(
        "Wrote %d version pages for '%s' in %.1f s (%d rendered, %d from cache)",
        count, locale, seconds, vr.rendered, cache.hits,
    )


def _archive_key(config: MkDocsConfig, pending: _Pending, entries: list[archive.VersionEntry], shared: str) -> str:
    """Digest of everything *pending*'s archive pages are made from (policykit.mkdocs.archive_store).

    Not the commit or the clock: a new commit of another policy leaves this one's pages as they were.  What
    the clock changes on them is their in-force labels, and those are part of the key.
    """
    kinds = ("history", "version", "retired") if pending.retired_page else ("history", "version")
    ledger_state = common.state(config).ledger
    locale = common.current_locale(config)
    labels, tz = labels_for(locale), common.settings(config).timezone
    now = effective.build_now(entries, build_time())
    return archive_store.digest([
        shared, pending.dest, pending.src_path, pending.policy_id, pending.title, sorted(pending.translations.items()),
        pending.feed_title, pending.retired_page, sorted(pending.alternate_src.items()),
        pending.fh.versions, pending.fh.retired, entries,  # not fh.draft: no archive page reads it
        _switcher_targets(config, pending, entries),
        [_shell_digest(config, kind, pending.dest, pending.feed_title) for kind in kinds],  # see _policy_shell
        _history_notices(config, pending, common.current_locale(config)),
        [ledger.corrections_for(ledger_state, pending.src_path, e.number) for e in entries],
        jsonld.version_page(config, pending.dest, pending.src_path, pending.title, 1, entries[0].version.date, "0" * 64),
        [_in_force(e, entries, labels, locale, tz, now) for e in entries],
    ])


def _restore_kept(config: MkDocsConfig, kept: archive_store.ArchiveStore, locale: str, pendings: list[_Pending],
                  keys: dict[int, str], render_fingerprint: str) -> list[_Pending]:
    """Put back the archives whose key an earlier build kept (archive_store); return the others."""
    from policykit.mkdocs.plugin import THEME_DIR  # the plugin imports this module

    settings = common.settings(config)
    hist = common.history(config)
    shared = archive_store.digest([
        locale, settings, sorted(common.state(config).features), labels_for(locale),
        str(hist.root), config.site_url, config.use_directory_urls, _timemaps_written(config), mkdocs_deploy.signs(config),
        render_fingerprint, archive_store.code_digest(), archive_store.templates_digest(config, THEME_DIR),
        archive_store.files_digest(_run(config).files or []), sorted(_language_roots(config).items()),
    ])
    rest = []
    kept.restored[locale] = kept.rendered[locale] = 0  # this rebuild's counts
    for pending in pendings:
        entries = common.version_entries(config, pending.fh)
        _run(config).entries.setdefault(pending.src_path, entries)
        key = _archive_key(config, pending, entries, shared)
        if pending.feed_title is not None:
            _link_policy_feed(config, pending.dest)  # as its shell does (the key reads the shared shells only)
        found = kept.get(locale, pending.dest, key)
        if found is None or not archive_store.restore(config, kept, locale, pending.dest, found):
            kept.forget(locale, pending.dest)  # its files are written again, never into a kept one
            keys[id(pending)] = key
            rest.append(pending)
            kept.rendered[locale] += 1
            continue
        api.add_policy(config, pending.dest, pending.src_path, pending.policy_id, pending.title, entries,
                       found.source_sha, pending.fh.retired)
        kept.restored[locale] += 1
    if kept.restored[locale]:
        log.info("Archive (%s): %d of %d policies unchanged since the last build, their pages kept (%s)",
                 locale, kept.restored[locale], len(pendings), kept.root)
    return rest


def _archive_paths(config: MkDocsConfig, pending: _Pending, entries: list[archive.VersionEntry]) -> list[str]:
    """The site files one policy's archive in one language is: history, version pages, source.md, retired page."""
    paths = [archive.history_path(pending.dest)]
    for e in entries:
        paths.append(archive.version_path(pending.dest, e.number))
        source = archive.source_path(pending.dest, e.number)
        if os.path.exists(os.path.join(config.site_dir, source)):
            paths.append(source)
    if pending.retired_page:
        paths.append(pending.dest)
    return paths


class _Progress:
    """Logs versions written out of the total, with a rate and an ETA, every few seconds."""

    EVERY = 10.0

    def __init__(self, locale: str, total: int) -> None:
        self.locale, self.total = locale, total
        self.started = self.last = time.perf_counter()

    def reset(self) -> None:
        self.started = time.perf_counter()

    def tick(self, done: int, what: str) -> None:
        now = time.perf_counter()
        if now - self.last < self.EVERY or done >= self.total:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        eta = (self.total - done) / rate if rate else 0
        log.info(
            "Version pages (%s): %d/%d %s, %.0f/s, about %d:%02d left",
            self.locale, done, self.total, what, rate, eta // 60, eta % 60,
        )


def _write(data: bytes, path: str) -> None:
    """``write_file``, never into a file with other links (a kept archive's, under ``--dirty``: archive_store)."""
    try:
        if os.stat(path).st_nlink > 1:
            os.unlink(path)
    except FileNotFoundError:
        pass
    write_file(data, path)


def _in_force(entry: archive.VersionEntry, entries: list[archive.VersionEntry], labels: dict[str, str], locale: str, tz: str,
              now: datetime | None = None) -> effective.Timed:
    """The version's in-force label: true on any date (policy.js picks the exact one by the reader's clock).

    *now*: ``effective.build_now(entries, build_time())``, made once by a caller that labels every version.
    """
    return effective.in_force_label(entry, labels, locale, tz, now if now is not None else effective.build_now(entries, build_time()))


def _effective_changes(entry: archive.VersionEntry, labels: dict[str, str], locale: str, tz: str) -> list[str]:
    return [effective.effective_change_text(c, labels, locale, tz) for c in entry.effective_changes]


#: An opening or closing <h1 tag (text is escaped, so "<h1" in rendered HTML is always a tag).
_H1_TAG = re.compile(r"<(/?)h1\b")


def _under_page_title(text_html: str) -> str:
    """The archived text's own <h1> as an <h2>: the version page has one <h1>, its title ("Policy: version 3").

    Done when the page is written, never in the rendered or cached HTML, so the build's diff and the
    browser's (which reads this page's #clean) see the same headings.
    """
    return _H1_TAG.sub(r"<\1h2", text_html)


def _fill(shell: str, title: str, body: str, number: int | None = None, switcher: dict[str, str] | None = None,
          head_links: str = "") -> str:
    """A page from its *shell*; *switcher* maps a language to where the language switcher leads (version pages);
    *head_links* are a version page's RFC 5829 <link>s."""
    out = shell.replace(PH_TITLE, html.escape(title, quote=True))
    if number is not None:
        out = out.replace(PH_NUMBER, str(number)).replace(PH_VERSION_LINKS, head_links)
    for lang, target in (switcher or {}).items():
        out = out.replace(_alt_placeholder(lang), target)
    return out.replace(PH_BODY, body)


def _write_retired(config: MkDocsConfig, pending: _Pending, labels: dict[str, str], locale: str, tz: str) -> None:
    retired = pending.fh.retired
    assert retired is not None
    body = common.state(config).env.get_template("partials/policy-retired-body.html").render(
        labels=labels,
        retired_text=labels["retired_on"].format(date=display_date(retired.date, locale, tz)),
        retired_iso=iso_instant(retired.date, tz),
        history_href="history/",
        last_href=f"versions/{pending.fh.versions[-1].number}/",
    )
    shell = pending.shell(config, "retired")
    _write(_fill(shell, pending.title, body).encode("utf-8"), os.path.join(config.site_dir, pending.dest))
    common.state(config).published.add(published.PublishedPage(pending.dest, published.PAGE, locale, pending.policy_id, retired.date))


def _history_notices(config: MkDocsConfig, pending: _Pending, locale: str) -> list[dict[str, Any]]:
    """A lagging translation's notice, for its history page too (policykit.mkdocs.translations)."""
    ref = common.policy_of(config, pending.src_path)
    source_folder = pending.translations.get(common.settings(config).source_locale)
    if ref is None or ref.locale != locale or source_folder is None or pending.fh.retired is not None:
        return []
    notice = translations.lag_notice(config, pending.policy_id, locale, source_folder,
                                     archive.url_of(archive.history_path(pending.dest)))
    return [notice] if notice is not None else []


def _write_history(config: MkDocsConfig, pending: _Pending, entries: list[archive.VersionEntry], labels: dict[str, str], locale: str, tz: str) -> None:
    dest = pending.dest
    rows = [
        {
            "entry": e,
            "note": common.note_shown(config, e, labels),
            "href": f"../versions/{e.number}/",
            "date": display_date(e.version.date, locale, tz),
            "iso": iso_instant(e.version.date, tz),
            "range": _in_force(e, entries, labels, locale, tz),
            "effective_changes": _effective_changes(e, labels, locale, tz),
            "label": labels["version_n"].format(number=e.number),
        }
        for e in reversed(entries)
    ]
    title = labels["history_title"].format(title=pending.title)
    body = common.state(config).env.get_template("partials/policy-history-body.html").render(
        rows=rows,
        notices=_history_notices(config, pending, locale),
        labels=labels,
        policy_title=pending.title,
        current_href="../",
        retired=pending.fh.retired,
        retired_text=labels["retired_on"].format(date=display_date(pending.fh.retired.date, locale, tz)) if pending.fh.retired else "",
        in_force=_in_force_rows(entries, labels, locale, tz),
        timezone=tz,
        timemap_href="../timemap.link" if _timemaps_written(config) else None,
        retired_iso=iso_instant(pending.fh.retired.date, tz) if pending.fh.retired else "",
        retired_day=display_date(pending.fh.retired.date, locale, tz) if pending.fh.retired else "",
    )
    path = archive.history_path(dest)
    _write(_fill(pending.shell(config, "history"), title, body).encode("utf-8"), os.path.join(config.site_dir, path))
    common.state(config).published.add(
        published.PublishedPage(path, published.HISTORY, locale, pending.policy_id, entries[-1].version.date)
    )


def _write_sources(config: MkDocsConfig, items: list[tuple[_Pending, list[archive.VersionEntry]]],
                   read: Any, locale: str) -> dict[tuple[str, int], str]:
    """Every version's committed Markdown at ``versions/N/source.md``: the git blob's bytes, unchanged.

    Returns (policy dest, number) -> SHA-256 of those bytes.  The policy's own language records them
    for the manifest (``BuildState.sources``); a translation's fallback copy only publishes them.
    """
    wanted: dict[str, list[tuple[_Pending, archive.VersionEntry]]] = {}
    for pending, entries in items:
        for e in entries:
            wanted.setdefault(e.version.blob, []).append((pending, e))
    st = common.state(config)
    own = {id(p): (ref is not None and ref.locale == locale)
           for p, _ in items for ref in [common.policy_of(config, p.src_path)]}
    out: dict[tuple[str, int], str] = {}
    for oid, data in read(sorted(wanted)):
        digest = hashlib.sha256(data).hexdigest()
        for pending, e in wanted.get(oid, []):
            path = archive.source_path(pending.dest, e.number)
            _write(data, os.path.join(config.site_dir, path))
            st.published.add(published.PublishedPage(path, published.VERSION_SOURCE, locale, pending.policy_id,
                                                      e.version.date))
            out[(pending.dest, e.number)] = digest
            if own[id(pending)]:
                st.sources[(pending.src_path, e.number)] = ledger.PublishedFiles(
                    archive.version_path(pending.dest, e.number), path, digest)
    return out


def _in_force_rows(entries: list[archive.VersionEntry], labels: dict[str, str], locale: str, tz: str) -> list[dict[str, Any]]:
    """The history page's table of ranges, newest first (partials/policy-in-force.html; the rule: policykit.pages.on_date)."""
    rows = []
    for e in reversed(entries):
        start, end = effective.range_days(e, locale, tz)
        data = on_date.instants(e, tz)
        rows.append({
            "number": e.number,
            "label": labels["version_n"].format(number=e.number),
            "href": f"../versions/{e.number}/",
            "changes_href": f"../versions/{e.number}/#changes" if e.number > 1 else None,
            "published": display_date(e.version.date, locale, tz),
            "never": e.never_in_force,
            "from": start,
            "until": end,
            "data": data,
        })
    return rows


def _version_links(n: int, last: int, latest: str) -> list[dict[str, str]]:
    """RFC 5829 relations of version page *n* (of *last*), page-relative (*latest*: the current page); the contract's order."""
    links = [{"rel": "predecessor-version", "href": f"../{n - 1}/"}] if n > 1 else []
    if n < last:
        links.append({"rel": "successor-version", "href": f"../{n + 1}/"})
    return [*links, {"rel": "latest-version", "href": latest}, {"rel": "version-history", "href": "../../history/"}]


def _write_version(
    config: MkDocsConfig,
    pending: _Pending,
    entries: list[archive.VersionEntry],
    rv: RenderedVersion,
    labels: dict[str, str],
    locale: str,
    tz: str,
    body_tpl: Any,
    shell: str,
    cache: RenderCache,
    switcher: dict[str, str],
    source_sha256: str | None = None,
) -> None:
    e = rv.entry
    n = e.number
    last = entries[-1].number
    title = labels["version_title"].format(title=pending.title, number=n)
    body = body_tpl.render(
        entry=e,
        note=common.note_shown(config, e, labels),
        labels=labels,
        title=title,
        number_label=labels["version_n"].format(number=n),
        timed=_in_force(e, entries, labels, locale, tz),
        effective_changes=_effective_changes(e, labels, locale, tz),
        published=display_date(e.version.date, locale, tz),
        published_iso=iso_instant(e.version.date, tz),
        clean_html=_under_page_title(rv.clean_html),
        clean_tokens=rv.tokens,  # token boundaries for the browser's compare (text nodes only)
        diff_html=_under_page_title(rv.diff_html) if rv.diff_html is not None else None,
        summary=rv.summary,
        summary_text=labels["summary"].format(**rv.summary.__dict__) if rv.summary else "",
        current_href="../../",
        history_href="../../history/",
        prev_href=f"../{n - 1}/" if n > 1 else None,
        next_href=f"../{n + 1}/" if n < last else None,
        corrections=[{"iso": c.date, "date": display_date(date.fromisoformat(c.date), locale, tz), "reason": c.reason}
                     for c in ledger.corrections_for(common.state(config).ledger, pending.src_path, n)],
        jsonld=jsonld.version_page(config, pending.dest, pending.src_path, pending.title, n, e.version.date, source_sha256),
        source_sha256=source_sha256,
        source_href="source.md" if source_sha256 else None,
        permanent_url=jsonld.absolute(config, archive.url_of(archive.version_path(pending.dest, n))),
        manifest_href="../" * archive.url_of(archive.version_path(pending.dest, n)).count("/") + "manifest.json"
        if _timemaps_written(config) else None,  # the deploy step writes manifest.json (not in a live preview)
        signed=mkdocs_deploy.signs(config),
    )
    path = archive.version_path(pending.dest, n)
    latest = _relative(archive.url_of(pending.dest), archive.url_of(path))
    head = common.state(config).env.get_template("partials/policy-version-links.html").render(links=_version_links(n, last, latest))
    _write(_fill(shell, title, body, n, switcher, head).encode("utf-8"), os.path.join(config.site_dir, path))
    kind = published.CURRENT_VERSION if n == last else published.VERSION
    common.state(config).published.add(published.PublishedPage(path, kind, locale, pending.policy_id, e.version.date))
    # For the feeds (mkdocs_feeds.py): what this version changed; None for a first version.
    common.state(config).summaries[(locale, pending.src_path, n)] = rv.summary
