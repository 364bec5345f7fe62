"""What the plugin's modules share: settings, history, languages and the page registry.

This package (``policykit.mkdocs``) is the only one that knows MkDocs and
mkdocs-static-i18n.  Everything it hands out comes from ``policykit``.

Build state lives on the plugin instance (``PolicySitePlugin.state``, a
``BuildState``), found from the config of the running build (``state(config)``):
nothing is kept in module globals, so ``mkdocs serve`` rebuilds and two builds
in one process are independent.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Iterator, TypeVar

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

from policykit.pages.catalog import PolicyRef, policy_ref
from policykit.history.gitrepo import GitError
from policykit.history.versions import History, load_history
from policykit.deploy.published import PublishedPages
from policykit.settings import Settings

log = logging.getLogger("mkdocs.plugins.policy_site")

T = TypeVar("T")


@dataclass
class BuildState:
    """One top-level build, covering every language (reset by ``new_build``)."""

    command: str = "build"  # "build", "serve" or "gh-deploy", from on_startup
    settings: Settings | None = None  # the plugin's options, resolved against the site (see plugin.py)
    features: frozenset[str] = frozenset()  # "archive", "feeds", "headers": the ones switched on
    published: PublishedPages = field(default_factory=PublishedPages)
    warned: set[str] = field(default_factory=set)
    env: Any = None  # the Jinja environment of the current language build
    history: History | None = None  # this build's git history (see history())
    # Reader experience (feeds, translation status); see mkdocs_feeds.py and mkdocs_translations.py.
    summaries: dict[tuple[str, str, int], Any] = field(default_factory=dict)  # (locale, src_path, version) -> Summary, from mkdocs_archive
    catalogue: Any = None  # policykit.translations.Catalogue of every language, from mkdocs_translations
    ledger: Any = None  # policykit.ledger.CheckResult of this build (published versions, corrections), from mkdocs_deploy
    # (src_path, version) -> policykit.history.ledger.PublishedFiles: the version page and source.md written in
    # the policy's own language, from mkdocs_archive; mkdocs_deploy adds them to the manifest's records.
    sources: dict[tuple[str, int], Any] = field(default_factory=dict)
    declarations: Any = None  # policykit.history.corrections.Declarations: the corrections file, read once (declarations())
    history_memo: dict[Any, History] = field(default_factory=dict)  # load_history's memo: kept across serve rebuilds
    slots: dict[type, Any] = field(default_factory=dict)  # each module's own state, by its class (see slot())

    def slot(self, cls: type[T]) -> T:
        """The module state of type *cls* of this build (made on first use)."""
        if cls not in self.slots:
            self.slots[cls] = cls()
        return self.slots[cls]


def plugin(config: MkDocsConfig) -> Any:
    """The policy-site plugin of the build *config* belongs to."""
    from policykit.mkdocs.plugin import PolicySitePlugin  # the plugin imports this module

    for p in config.plugins.values():
        if isinstance(p, PolicySitePlugin):
            return p
    raise PluginError(f"{config.config_file_path or 'mkdocs.yml'}: the policy-site plugin is not in 'plugins'.")


def state(config: MkDocsConfig) -> BuildState:
    """This build's state (on the plugin instance)."""
    return plugin(config).state


def i18n(config: MkDocsConfig) -> Any | None:
    """The mkdocs-static-i18n plugin, when the site uses it."""
    return config.plugins.get("i18n")


def settings(config: MkDocsConfig) -> Settings:
    """The plugin's options with the site's defaults (read once per build, see plugin.py)."""
    st = state(config)
    if st.settings is None:
        st.settings = plugin(config).resolve_settings(config)
    return st.settings


def feature(config: MkDocsConfig, name: str) -> bool:
    """Whether the plugin option *name* ("archive", "feeds", "headers") is on."""
    settings(config)
    return name in state(config).features


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
    st = state(config)
    if st.history is not None:
        return st.history
    s = settings(config)
    try:
        st.history = load_history(config.docs_dir, s.history_options(os.path.join(cache_dir(config), "history")),
                                  memo=st.history_memo)
    except GitError as exc:
        raise PluginError(str(exc)) from exc
    return st.history


def git_plugin_errors(items: Iterator[T]) -> Iterator[T]:
    """*items* (a stream read from git), with a GitError turned into a PluginError (git's message, no traceback)."""
    try:
        yield from items
    except GitError as exc:
        raise PluginError(str(exc)) from exc


def new_build(config: MkDocsConfig) -> None:
    """Forget what belongs to the previous build (called first thing in every top-level build)."""
    plugin(config).new_build()


def policy_of(config: MkDocsConfig, src_path: str) -> PolicyRef | None:
    s = settings(config)
    return policy_ref(src_path, locales(config), s.default_locale, s.policy_exclude)


def retired_policy_dest(config: MkDocsConfig, ref: PolicyRef) -> str:
    """Where a deleted policy was published (its archive hangs under it): ``en/terms/index.html``."""
    plugin = i18n(config)
    prefix = f"{ref.locale}/" if plugin is not None and ref.locale != settings(config).default_locale else ""
    return f"{prefix}{ref.policy_id}/index.html"


def _once(config: MkDocsConfig, key: str, level: int, message: str, *args: Any) -> None:
    """*message* logged once per build under *key*, even though i18n builds each language."""
    warned = state(config).warned
    if key in warned:
        return
    warned.add(key)
    log.log(level, message, *args)


def info_once(config: MkDocsConfig, key: str, message: str, *args: Any) -> None:
    """An INFO line (keeps --strict passing) logged once per build."""
    _once(config, key, logging.INFO, message, *args)


def warn_once(config: MkDocsConfig, key: str, message: str, *args: Any) -> None:
    """A warning (fails --strict) logged once per build."""
    _once(config, key, logging.WARNING, message, *args)


# ------------------------------------------------------------- reader experience


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


# ------------------------------------------------------------------ the corrections file (notes, translation_of)


def declarations(config: MkDocsConfig) -> Any:
    """The corrections file (``corrections_file``), read and validated once per build."""
    from policykit.history.corrections import CorrectionsError, load_declarations

    st = state(config)
    if st.declarations is None:
        base = os.path.dirname(os.path.abspath(config.config_file_path or "mkdocs.yml"))
        try:
            st.declarations = load_declarations(os.path.join(base, settings(config).corrections_file))
        except CorrectionsError as exc:
            raise PluginError(str(exc)) from exc
    return st.declarations


def version_entries(config: MkDocsConfig, fh: Any, **kwargs: Any) -> list[Any]:
    """``archive.version_entries`` of *fh* in the site's timezone, with the notes the corrections file declares."""
    from policykit.pages import archive

    ref = policy_of(config, fh.src_path)
    notes = declarations(config).notes_of(ref.policy_id, ref.locale) if ref is not None else {}
    return archive.version_entries(fh, tz=settings(config).timezone, notes=notes, **kwargs)


def note_shown(config: MkDocsConfig, entry: Any, labels: dict[str, str]) -> str:
    """The change note readers see for *entry* (``archive.note_shown`` with ``commit_subjects_as_notes``)."""
    from policykit.pages import archive

    return archive.note_shown(entry, labels, subjects=settings(config).commit_subjects_as_notes)
