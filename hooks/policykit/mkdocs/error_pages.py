"""A 404 page per language, in the reader's language, linking that language's policy centre.

MkDocs renders the theme's ``404.html`` once per build into the site's root;
mkdocs-static-i18n builds every language into the same ``site_dir``, so each
language overwrote the one before (the root 404 was the last language's).
Here each language's 404 goes to its own folder (``en/404.html``,
``zh-Hans/404.html``) and the default language's stays at the root.  The
deploy step routes each folder's missing URLs to it (``deploy/error_pages.py``:
nginx ``error_page`` per folder, Netlify ``_redirects``; Cloudflare Pages
serves the nearest ``404.html`` by itself).

Error pages are rendered with absolute URLs (MkDocs' ``base_url`` is the path
of ``site_url``), so the same bytes work from any folder.
"""

from __future__ import annotations

import os
from copy import deepcopy
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig

from policykit.mkdocs import common
from policykit.pages.labels import labels_for

NOT_FOUND = "404.html"


@dataclass
class _Run:
    root_page: bytes | None = None  # the default language's 404, written again after the other languages


def _run(config: MkDocsConfig) -> _Run:
    return common.state(config).slot(_Run)


def language_home(config: MkDocsConfig, locale: str) -> str:
    """The absolute path of *locale*'s policy centre (``/en/``; under ``site_url``'s path)."""
    base = urlsplit(config.site_url or "/").path
    if not base.endswith("/"):
        base += "/"
    return base + common.locale_prefix(config, locale)


def on_template_context(context: Any, template_name: str, config: MkDocsConfig) -> Any:
    """The 404 page's labels and home link in the language being built; its switcher offers each language's home."""
    # *context* is MkDocs' TemplateContext (a TypedDict, closed to new keys): typed Any to add ours.
    if template_name != NOT_FOUND:
        return context
    locale = common.current_locale(config)
    context["policy_labels"] = labels_for(locale)
    context["policy_home"] = language_home(config, locale)
    i18n = common.i18n(config)
    homes = getattr(i18n, "extra_alternate", None) if i18n is not None else None
    if homes:  # not the last page's alternates (i18n sets them per page): every language's home
        # i18n sets the switcher as an attribute (config.extra.alternate), which Jinja reads before the key.
        extra: Any = config.extra
        extra.alternate = deepcopy(homes)
        extra["alternate"] = deepcopy(homes)
    return context


def on_post_template(output: str, template_name: str, config: MkDocsConfig) -> str:
    """Put a translation's 404 into its folder; remember the default language's for the root."""
    if template_name != NOT_FOUND or common.i18n(config) is None:
        return output
    prefix = common.locale_prefix(config, common.current_locale(config))
    data = output.encode("utf-8")
    if not prefix:
        _run(config).root_page = data
        return output
    path = os.path.join(config.site_dir, prefix, NOT_FOUND)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    return output


def on_post_build(config: MkDocsConfig) -> None:
    """After every language: the root 404 is the default language's again (each build overwrote it)."""
    data = _run(config).root_page
    if data is not None:
        with open(os.path.join(config.site_dir, NOT_FOUND), "wb") as fh:
            fh.write(data)
