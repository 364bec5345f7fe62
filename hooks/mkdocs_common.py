"""What the MkDocs hook files share: settings, history, languages and the page registry.

This is the only place (with the hook files) that knows MkDocs and
mkdocs-static-i18n.  Everything it hands out comes from ``policykit``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

from policykit.catalog import PolicyRef, policy_ref
from policykit.gitrepo import GitError
from policykit.history import History, load_history
from policykit.published import PublishedPages
from policykit.settings import Settings, SettingsError, parse_settings

log = logging.getLogger("mkdocs.hooks.policy_site")


@dataclass
class BuildState:
    """Per-process state: one top-level build, covering every language."""

    command: str = "build"  # "build", "serve" or "gh-deploy", from on_startup
    published: PublishedPages = field(default_factory=PublishedPages)
    warned: set[str] = field(default_factory=set)
    env: Any = None  # the Jinja environment of the current language build
    history: History | None = None  # this build's git history (see history())
    # Reader experience (feeds, translation status); see mkdocs_feeds.py and mkdocs_translations.py.
    summaries: dict[tuple[str, str, int], Any] = field(default_factory=dict)  # (locale, src_path, version) -> Summary, from mkdocs_archive
    catalogue: Any = None  # policykit.translations.Catalogue of every language, from mkdocs_translations
    ledger: Any = None  # policykit.ledger.CheckResult of this build (published versions, corrections), from mkdocs_deploy


STATE = BuildState()


def i18n(config: MkDocsConfig) -> Any | None:
    """The mkdocs-static-i18n plugin, when the site uses it."""
    return config.plugins.get("i18n")


def settings(config: MkDocsConfig) -> Settings:
    try:
        return parse_settings((config.extra or {}).get("policy_site"), where=config.config_file_path or "mkdocs.yml")
    except SettingsError as exc:
        raise PluginError(str(exc)) from exc


def locales(config: MkDocsConfig) -> list[str]:
    plugin = i18n(config)
    if plugin is None:
        return [settings(config).default_locale]
    return [lang.locale for lang in plugin.config.languages]


def current_locale(config: MkDocsConfig) -> str:
    """The language being built now (the reader's language)."""
    plugin = i18n(config)
    if plugin is None or not getattr(plugin, "current_language", None):
        return settings(config).default_locale
    return plugin.current_language


def is_first_language_build(config: MkDocsConfig) -> bool:
    """True outside mkdocs-static-i18n's inner per-language builds (which run inside the first one)."""
    plugin = i18n(config)
    return plugin is None or not plugin.building


def is_last_post_build(config: MkDocsConfig) -> bool:
    """True in the one on_post_build call that sees every language's output.

    The other languages are built inside the first language's on_post_build,
    so that call, once they are done, is again outside the inner builds.
    """
    return is_first_language_build(config)


def cache_dir(config: MkDocsConfig) -> str:
    base = os.path.dirname(os.path.abspath(config.config_file_path or "mkdocs.yml"))
    return os.path.join(base, settings(config).cache_dir)


def history(config: MkDocsConfig) -> History:
    """Git history of the docs folder, read once per build (every language reuses it).

    ``new_build()`` forgets it at the start of each build; load_history then
    reuses the previous build's result while HEAD and the working tree stay
    the same (``mkdocs serve`` rebuilds).
    """
    if STATE.history is not None:
        return STATE.history
    s = settings(config)
    try:
        STATE.history = load_history(config.docs_dir, s.history_options(os.path.join(cache_dir(config), "history")))
    except GitError as exc:
        raise PluginError(str(exc)) from exc
    return STATE.history


def new_build() -> None:
    """Forget what belongs to the previous build (called first thing in every top-level build)."""
    STATE.history = None
    STATE.ledger = None
    STATE.published.clear()
    STATE.warned.clear()


def policy_of(config: MkDocsConfig, src_path: str) -> PolicyRef | None:
    s = settings(config)
    return policy_ref(src_path, locales(config), s.default_locale, s.policy_exclude)


def retired_policy_dest(config: MkDocsConfig, ref: PolicyRef) -> str:
    """Where a deleted policy was published (its archive hangs under it): ``en/terms/index.html``."""
    plugin = i18n(config)
    prefix = f"{ref.locale}/" if plugin is not None and ref.locale != settings(config).default_locale else ""
    return f"{prefix}{ref.policy_id}/index.html"


def info_once(key: str, message: str, *args: Any) -> None:
    """An INFO line (keeps --strict passing) logged once per build even though i18n builds each language."""
    if key in STATE.warned:
        return
    STATE.warned.add(key)
    log.info(message, *args)


def warn_once(key: str, message: str, *args: Any) -> None:
    """A warning (fails --strict) logged once per build even though i18n builds each language."""
    if key in STATE.warned:
        return
    STATE.warned.add(key)
    log.warning(message, *args)


# ------------------------------------------------------------- reader experience


def has_hook(config: MkDocsConfig, filename: str) -> bool:
    """Whether mkdocs.yml lists the hook file *filename* (e.g. "mkdocs_feeds.py")."""
    return any(os.path.basename(str(name)) == filename for name in (config.hooks or {}))


def language_name(config: MkDocsConfig, locale: str) -> str:
    """The name readers know a language by (mkdocs-static-i18n's ``name``), else the locale."""
    plugin = i18n(config)
    if plugin is not None:
        for lang in plugin.config.languages:
            if lang.locale == locale and lang.name:
                return str(lang.name)
    return locale


def locale_prefix(config: MkDocsConfig, locale: str) -> str:
    """Where a language's site starts: "" for the default language, "en/" for the others."""
    plugin = i18n(config)
    default = plugin.default_language if plugin is not None else settings(config).default_locale
    return "" if locale == default else f"{locale}/"
