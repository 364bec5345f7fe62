"""Every page title is HTML escaped exactly once (policykit.titles).

After a page is rendered its title is known, from (MkDocs' order) ``nav:``,
front matter ``title:``, the first heading or the file name.  This hook
replaces ``page.title`` (and ``page.meta["title"]``, which Material prefers)
by that title as ``Markup``: Material writes it as it is, so the header, the
navigation and the search index show the text once escaped; the project's
templates (``|e``, autoescape) leave ``Markup`` alone; code that escapes by
itself reads ``policykit.titles.plain_title``.  ``overrides/main.html`` writes
``<title>`` with ``|e``, because Material's ``|striptags`` there would unescape it.
Navigation sections and links (folder names, ``nav:``) are plain text and get
the same treatment.
"""

from __future__ import annotations

from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from policykit.pages.titles import safe_title


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    meta_title = page.meta.get("title")
    if "title" in vars(page):  # given by nav: (plain text), or already made safe
        page.title = safe_title(vars(page)["title"])
    elif isinstance(meta_title, str) and meta_title:
        page.title = safe_title(meta_title)
    elif getattr(page, "_title_from_render", None):  # MkDocs: the first heading, as HTML text
        page.title = safe_title(page._title_from_render, is_html=True)
    elif page.title is not None:  # the file name ("Home" for the home page): plain text
        page.title = safe_title(page.title)
    if isinstance(meta_title, str) and meta_title:
        page.meta["title"] = safe_title(meta_title)
    return html


def _escape_items(items: list[Any]) -> None:
    for item in items:
        if getattr(item, "is_page", False):
            continue  # pages get their title once rendered (on_page_content)
        if getattr(item, "title", None) is not None:
            item.title = safe_title(item.title)
        _escape_items(getattr(item, "children", None) or [])


def on_nav(nav: Any, config: MkDocsConfig, files: Files) -> Any:
    _escape_items(nav.items)
    return nav
