"""The ``policy-site`` MkDocs plugin: true dates, version archives, feeds and cache headers.

Use it like any plugin, after ``search`` (and after ``i18n`` on a multilingual site)::

    plugins:
      - search
      - policy-site

Options (all optional; ``PolicySiteConfig`` below is the list): the site's
language and timezone, where dates come from, and which features run
(``archive``, ``feeds``, ``headers``).  Unknown options fail the build with a
did-you-mean.  ``extra.policy_site`` is still read for one release (INFO
notice); an option given to the plugin wins over it.

Build state is on the plugin instance (``self.state``, reset at the start of
every build, see ``new_build``), never in module globals: ``mkdocs serve``
rebuilds and two builds in one process are independent.

Event order
-----------
This table is the one place that says when each part runs; the modules of
this package hold no ``event_priority`` of their own.  Higher runs first.
mkdocs-static-i18n (``i18n``) runs every event once per language: its
``on_post_build`` (-100) builds the other languages, so only the outer call
(``building`` False) sees every language.  At equal priority, plugins run in
the order ``plugins:`` lists them: list ``policy-site`` after ``search`` and
``i18n``.  [feature] marks a handler that runs only when that option is on.

=================  ========  ============================================  =====================================================
event              priority  handler (module of policykit.mkdocs)          why here
=================  ========  ============================================  =====================================================
on_startup         0         plugin: remembers the command (serve)         --
on_shutdown        0         plugin: removes the archive kept by serve     --
                             rebuilds (archive_store)
on_config          200       site: a new build; settings; git history      first: everything else reads them
on_config          100       validate: SOURCE_DATE_EPOCH from HEAD         before anything reads the clock
on_config          50        deploy [headers]: previous manifest, ledger   after history (200) and the clock (100)
on_config          0         feeds [feeds]: site_url is absolute           --  (i18n reconfigures at -100)
on_pre_build       0         archive_store [archive]: the previous         just before MkDocs empties the site folder
                             build's files into a hidden folder, whose     (not with --dirty)
                             kept archives move back in one rename
on_files           10        translations: catalogue of every language     before i18n (-100) narrows files to one language
on_files           0         validate (pages, names), render_limit (every  before i18n (-100); validate first, then
                             page within render_timeout), archive          the render bound before MkDocs renders
                             [archive], feeds [feeds]: per-language reset
on_nav             -150      site: drop the language folder section;       after i18n's own clean-up (-100), which
                             archive_store (serve --dirty): every page     also set the output paths; before MkDocs
                             is built again                                reads the pages
on_nav             -300      titles: section titles escaped once           after site (-150) matched the section titles
on_env             0         serve_templates (serve): the session's        after i18n's on_env (listed before)
                             compiled templates; site: keep the Jinja
                             env; deploy [headers]:
                             ``policy_asset`` and the theme's scripts
on_page_read_source 0        validate: leading "Key: value" lines stay     --
                             policy text (MkDocs would drop them as meta)
on_page_content    100       titles: page title escaped once               before anything reads the title
on_page_content    0         site: stamp, upcoming notice, page registry   --
on_page_content    -10       translations: lagging/fallback notices        after site set ``policy_ref``
on_page_context    10        feeds [feeds]: feed links in the head         before archive (-50) copies the context
on_page_context    0         site: stamp into the page, policy list;       after search (listed before) indexed the text
                             jsonld: the page's schema.org JSON-LD
on_page_context    -50       archive [archive]: queue the policy           after i18n (50) set the language switcher
on_template_context 0        error_pages: the 404's labels, home link and  after i18n (50); 404.html only
                             switcher in the language being built
on_post_template   0         error_pages: a translation's 404 into its     per language (each build writes the root's)
                             folder (en/404.html)
on_post_build      0         archive [archive] (after the last language:   per language, before i18n (-100) builds the next;
                             the previous site's rest removed), then       feeds quote archive's change summaries
                             feeds [feeds]
on_post_build      -200      archive_store: the previous build's rest      the outer call, after i18n built every language
                             (if not yet); error_pages: the                (and MkDocs wrote the root sitemap.xml)
                             root 404 is the default language's again;
                             feeds [feeds]: a sitemap.xml beside each
                             linked feed; api [archive]: the versions
                             API; then deploy [headers]: headers,
                             manifest, purge; then SOURCE_DATE_EPOCH
                             put back
on_build_error     0         SOURCE_DATE_EPOCH put back; the stash of the  --
                             previous build removed; a failed
                             ``mkdocs build`` removes its partial site
=================  ========  ============================================  =====================================================
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import fields
from difflib import get_close_matches
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from policykit.mkdocs import (
    api, archive, archive_store, common, deploy, error_pages, feeds, jsonld, render_limit, serve_templates, site, titles,
    translations, validate,
)
from policykit.pages import archive as archive_pages
from policykit.settings import Settings, SettingsError, parse_settings

log = logging.getLogger("mkdocs.plugins.policy_site")

#: Templates, CSS and JS the plugin adds to the theme (package data).
THEME_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "theme")
#: Options that switch a feature on or off.
FEATURES = ("archive", "feeds", "headers")
_DEPRECATED_KEY = "extra.policy_site"
_KEY = "plugins.policy-site"


class PolicySiteConfig(base.Config):
    """The plugin's options (README, "Configuration").  Each setting of ``policykit.settings.Settings`` is one."""

    source_locale = c.Optional(c.Type(str))  # default: the site's default language
    default_locale = c.Optional(c.Type(str))  # default: i18n's default language, else theme.language
    timezone = c.Type(str, default="UTC")
    date_source = c.Choice(("committer", "author"), default="committer")
    ignore_revs_file = c.Optional(c.Type(str))
    fallback_to_build_date = c.Type(bool, default=False)
    translation_lag = c.Choice(("info", "warn", "fail", "ignore"), default="info")  # lagging/missing translations
    cache_dir = c.Type(str, default=".cache/policy-site")
    policy_exclude = c.ListOfItems(c.Type(str), default=["index.md", "README.md", "LICENSE.md"])
    unknown_front_matter = c.Choice(("info", "error"), default="info")  # front matter keys the tool does not know
    previous_manifest = c.Optional(c.Type(str))
    signing_key = c.Optional(c.Type(str))  # SSH private key signing manifest.json (else $POLICY_SITE_SIGNING_KEY)
    corrections_file = c.Type(str, default="policy-corrections.yml")  # corrections, change notes, translation_of
    commit_subjects_as_notes = c.Type(bool, default=False)  # a version without a note shows its commit subject
    render_timeout = c.Type((int, float), default=20)  # seconds one page may take Python-Markdown (worker processes)
    archive = c.Type(bool, default=True)  # history page and a permanent page per version
    feeds = c.Type(bool, default=True)  # Atom feeds per language and per policy
    headers = c.Type(bool, default=True)  # published ledger, cache headers, nginx include, manifest, purge list


def site_locale(config: MkDocsConfig) -> str:
    """The site's default language: mkdocs-static-i18n's default, else ``theme.language``, else English."""
    i18n = common.i18n(config)
    if i18n is not None and getattr(i18n, "default_language", None):
        return str(i18n.default_language)
    theme = config.theme
    language = theme["language"] if theme is not None and "language" in theme else None
    return str(language) if language else "en"


def remove_partial_site(site_dir: str) -> None:
    """A failed ``mkdocs build`` leaves no half-written site: what it wrote is removed, with one line saying so.

    MkDocs empties ``site_dir`` at the start of every build anyway, so nothing of an
    earlier build survives a failed one either way; without this, the pages written
    before the error would sit there looking like a site.  (``mkdocs serve`` keeps its
    own folder; ``./run publish`` builds into a fresh folder and never exposes a failure.)
    """
    if os.path.isdir(site_dir):
        shutil.rmtree(site_dir, ignore_errors=True)
        log.info("The build failed, so the partial site in %s was removed.", site_dir)


class PolicySitePlugin(BasePlugin[PolicySiteConfig]):
    """See the module docstring: options, state and the event table."""

    def __init__(self) -> None:
        super().__init__()
        self.command = "build"
        self.dirty = False  # mkdocs serve --dirty
        self.history_memo: dict[Any, Any] = {}  # git history, reused across serve rebuilds while HEAD stays
        self.state = common.BuildState()
        self._given: frozenset[str] = frozenset()
        self._site_dir: str | None = None
        self.archive_store: Any = None  # policykit.mkdocs.archive_store.ArchiveStore: archives kept between builds
        self.serve_templates: Any = None  # policykit.mkdocs.serve_templates: compiled templates of this session

    # ------------------------------------------------------------------ options

    def load_config(self, options: dict[str, Any], config_file_path: str | None = None) -> tuple[Any, Any]:
        options = options or {}
        known = [name for name, _ in self.config_class._schema]
        self._given = frozenset(k for k in options if k in known)
        errors, warnings = super().load_config(options, config_file_path)
        for key in options:
            if key not in known:
                hint = get_close_matches(str(key), known, n=1)
                tip = f"Did you mean '{hint[0]}'?" if hint else f"Known options: {', '.join(sorted(known))}."
                errors.append((str(key), base.ValidationError(f"unknown option. {tip}")))
        warnings = [w for w in warnings if not (isinstance(w, tuple) and w[0] in options and w[0] not in known)]
        return errors, warnings

    def resolve_settings(self, config: MkDocsConfig) -> Settings:
        """The options given here, then ``extra.policy_site`` (deprecated), then the site's languages."""
        where = config.config_file_path or "mkdocs.yml"
        values: dict[str, Any] = {}
        legacy = config.extra.get("policy_site") if config.extra else None
        try:
            if legacy is not None:
                log.info(
                    "%s: '%s' is deprecated and will not be read by the next release: move its keys to the "
                    "plugin's options (plugins: - policy-site: {...}).", where, _DEPRECATED_KEY,
                )
                parse_settings(legacy, where=where, key=_DEPRECATED_KEY)  # its own errors name its keys
                values.update(legacy)
            for f in fields(Settings):
                if f.name in self._given:
                    values[f.name] = self.config[f.name]
            if values.get("default_locale") is None:
                values["default_locale"] = site_locale(config)
            if values.get("source_locale") is None:
                values["source_locale"] = values["default_locale"]
            for key in ("ignore_revs_file", "previous_manifest", "signing_key"):
                if key in values and values[key] is None:
                    del values[key]
            settings = parse_settings(values, where=where, key=_KEY)
        except SettingsError as exc:
            raise PluginError(str(exc)) from exc
        self.state.features = frozenset(name for name in FEATURES if self.config[name])
        return settings

    # ------------------------------------------------------------------ state

    def new_build(self) -> None:
        """Forget the previous build: a fresh state (the git history memo stays, keyed by HEAD and the tree)."""
        self.state = common.BuildState(command=self.command, history_memo=self.history_memo)
        archive_pages.new_build()
        if self.archive_store is not None:
            self.archive_store.new_build()

    def _on(self, config: MkDocsConfig, feature: str) -> bool:
        return common.feature(config, feature)

    # ------------------------------------------------------------------ events (see the table above)

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command = command
        self.dirty = dirty
        self.state.command = command
        self.on_shutdown()  # a new session keeps nothing of an earlier one in this process

    def on_shutdown(self) -> None:
        self.serve_templates = None
        if self.archive_store is not None:
            self.archive_store.close()
            self.archive_store = None

    @event_priority(200)
    def _config_first(self, config: MkDocsConfig) -> MkDocsConfig:
        self._site_dir = config.site_dir
        if THEME_DIR not in config.theme.dirs:  # after the site's custom_dir: a site can override any template
            config.theme.dirs.insert(1 if config.theme.custom_dir else 0, THEME_DIR)
        return site.on_config(config)

    @event_priority(100)
    def _config_clock(self, config: MkDocsConfig) -> MkDocsConfig:
        return validate.on_config(config)

    @event_priority(50)
    def _config_ledger(self, config: MkDocsConfig) -> MkDocsConfig:
        return deploy.on_config(config) if self._on(config, "headers") else config

    @event_priority(0)
    def _config_feeds(self, config: MkDocsConfig) -> MkDocsConfig:
        return feeds.on_config(config) if self._on(config, "feeds") else config

    on_config = CombinedEvent(_config_first, _config_clock, _config_ledger, _config_feeds)

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        if self._on(config, "archive") and not self.dirty and common.is_first_language_build(config):
            archive_store.stash_previous(config)  # just before MkDocs empties the site folder

    @event_priority(10)
    def _files_catalogue(self, files: Files, *, config: MkDocsConfig) -> Files:
        return translations.on_files(files, config)

    @event_priority(0)
    def _files_check(self, files: Files, *, config: MkDocsConfig) -> Files:
        files = validate.on_files(files, config)
        files = render_limit.on_files(files, config)
        if self._on(config, "archive"):
            files = archive.on_files(files, config)
        if self._on(config, "feeds"):
            files = feeds.on_files(files, config)
        return files

    on_files = CombinedEvent(_files_catalogue, _files_check)

    @event_priority(-150)
    def _nav_languages(self, nav: Any, *, config: MkDocsConfig, files: Files) -> Any:
        archive_store.outdate_pages(config, files)
        return site.on_nav(nav, config, files)

    @event_priority(-300)
    def _nav_titles(self, nav: Any, *, config: MkDocsConfig, files: Files) -> Any:
        return titles.on_nav(nav, config, files)

    on_nav = CombinedEvent(_nav_languages, _nav_titles)

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        env = serve_templates.on_env(env, config)  # serve only: templates compiled once per session
        env = site.on_env(env, config, files)
        if self._on(config, "headers"):
            env = deploy.on_env(env, config, files)
        return env

    def on_page_read_source(self, *, page: Page, config: MkDocsConfig) -> str | None:
        return validate.on_page_read_source(page, config)

    @event_priority(100)
    def _content_titles(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        return titles.on_page_content(html, page, config, files)

    @event_priority(0)
    def _content_stamp(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        return site.on_page_content(html, page, config, files)

    @event_priority(-10)
    def _content_translations(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        return translations.on_page_content(html, page, config, files)

    on_page_content = CombinedEvent(_content_titles, _content_stamp, _content_translations)

    @event_priority(10)
    def _context_feeds(self, context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
        return feeds.on_page_context(context, page, config, nav) if self._on(config, "feeds") else context

    @event_priority(0)
    def _context_stamp(self, context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
        return jsonld.on_page_context(site.on_page_context(context, page, config, nav), page, config)

    @event_priority(-50)
    def _context_archive(self, context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
        return archive.on_page_context(context, page, config, nav) if self._on(config, "archive") else context

    on_page_context = CombinedEvent(_context_feeds, _context_stamp, _context_archive)

    def on_template_context(self, context: TemplateContext, /, *, template_name: str,
                            config: MkDocsConfig) -> TemplateContext:
        return error_pages.on_template_context(context, template_name, config)

    def on_post_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        return error_pages.on_post_template(output_content, template_name, config)

    @event_priority(0)
    def _post_build_language(self, *, config: MkDocsConfig) -> None:
        if self._on(config, "archive"):
            archive.on_post_build(config)
            archive_store.language_done(config)  # the last language: the previous site's rest goes
        if self._on(config, "feeds"):
            feeds.on_post_build(config)

    @event_priority(-200)
    def _post_build_site(self, *, config: MkDocsConfig) -> None:
        if not common.is_last_post_build(config):
            return
        try:
            archive_store.drop_stash(config)  # if language_done did not (a language it did not expect)
            error_pages.on_post_build(config)
            if self._on(config, "feeds"):
                feeds.write_sitemaps(config)  # before the manifest lists the files
            if self._on(config, "archive"):
                api.on_post_build(config)  # the versions API, of every language: before the manifest too
            if self._on(config, "headers"):
                deploy.on_post_build(config)
            if self._on(config, "archive"):
                archive_store.finish(config)  # the archives as the deploy step left them, for the next build
        finally:
            validate.restore_epoch(self.state)

    on_post_build = CombinedEvent(_post_build_language, _post_build_site)

    def on_build_error(self, *, error: Exception) -> None:
        validate.restore_epoch(self.state)
        if self.archive_store is not None:
            self.archive_store.drop_stash()  # the old site's files nothing took back
            self.archive_store.wait_removal()
        if self.command == "build" and self._site_dir:
            remove_partial_site(self._site_dir)
