"""A page title, escaped exactly once, whatever it came from.

MkDocs hands out a page title in two languages: front matter ``title:``, a
title from ``nav:`` and one made from the file name are plain text, but one
taken from the first heading is HTML text (tags stripped, entities such as
``&lt;`` kept).  Material writes ``page.title`` and ``page.meta.title`` into the
page as they are (``<title>``, header, navigation, search index), while this
project's own templates and the feeds escape what they get.  Either way one
source ends up unescaped or escaped twice.

So every title is turned into one value once: :func:`safe_title` gives
``Markup`` (HTML, escaped once), which Material writes as it is and Jinja's
``|e`` leaves alone; :func:`plain_title` gives the plain text back for code that
escapes for itself (``html.escape``, XML feeds).
"""

from __future__ import annotations

import html
from typing import Any

from markupsafe import Markup, escape


def safe_title(value: Any, *, is_html: bool = False) -> Markup:
    """*value* as HTML escaped exactly once.

    ``is_html``: *value* is HTML text (MkDocs' title from the first heading);
    it is read back to plain text first, so any markup left in it is escaped too.
    A value that is already ``Markup`` is returned unchanged (idempotent).
    """
    if isinstance(value, Markup):
        return value
    text = str(value)
    if is_html:
        text = html.unescape(text)
    return escape(text)


def plain_title(value: Any) -> str:
    """The plain text of a title: ``Markup`` is unescaped, any other value is taken as plain text."""
    if isinstance(value, Markup):
        return value.unescape()
    return str(value)


__all__ = ["safe_title", "plain_title"]
