"""Atom feeds (RFC 4287) of policy changes: one per language, one per policy and language.

Every entry is one version of a policy.  Entry ids are ``tag:`` URIs (RFC 4151)
built from the site's host, the version's own date, the policy id, the
language of the text and the version number, so they never change when the
site is rebuilt or history grows.  ``updated`` of an entry is the version's
instant, and the feed's ``updated`` is its newest entry's: two builds of the
same commit write the same bytes.
"""

from __future__ import annotations

import heapq
import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping, Sequence
from urllib.parse import quote, urlsplit

from policykit.pages import archive
from policykit.pages import effective
from policykit import generated
from policykit.dates import display_date, iso_instant
from policykit.diff.htmldiff import DiffSummary

#: A language's feed holds the newest entries of all its policies (a policy's own feed holds all of its
#: versions).  Feed readers poll it often; 40,000 entries would be megabytes per poll.
LANGUAGE_FEED_ENTRIES = 100

ATOM = "http://www.w3.org/2005/Atom"
FEED_NAME = generated.register(generated.LANGUAGE, "feed.xml", "the language's feed")
generated.register(generated.POLICY, FEED_NAME, "the policy's feed")
MEDIA_TYPE = "application/atom+xml"

# Characters XML 1.0 cannot hold at all (commit subjects may carry them).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class FeedError(ValueError):
    """A feed cannot be written as configured (e.g. no absolute site URL)."""


@dataclass(frozen=True)
class FeedEntry:
    """One version of one policy, as a feed entry."""

    policy_id: str  # language-independent, e.g. "privacy"
    content_locale: str  # the language of the text (differs from the feed's when the source is shown instead)
    number: int
    title: str
    instant: datetime  # the version's instant (the stamp's)
    link: str  # absolute URL of the version page
    change_note: str
    summary_text: str | None = None  # "2 changed, 1 added …"; None for a first version
    effective_text: str | None = None  # "Effective: January 15, 2027" (the version's one effective date)
    effective_changes: tuple[str, ...] = ()  # "Effective date changed on … from … to …"
    updated: datetime | None = None  # the latest change of the entry (an effective date moved); None: instant


def newest_first(e: FeedEntry) -> tuple[float, str, str, int]:
    """Sort key of a feed's entries: newest first; ties broken by policy id, language, then version (newest first)."""
    return (-e.instant.timestamp(), e.policy_id, e.content_locale, -e.number)


@dataclass
class Feed:
    """One feed document."""

    path: str  # output path relative to the site directory, e.g. "en/privacy/feed.xml"
    url: str  # its absolute URL
    title: str
    locale: str  # the readers' language
    alternate: str  # absolute URL of the HTML page the feed follows
    author: str
    policy_id: str | None = None  # set for a per-policy feed
    entries: list[FeedEntry] = field(default_factory=list)

    def sorted_entries(self) -> list[FeedEntry]:
        """Newest first; ties broken by policy id, language, then version number (newest first)."""
        return sorted(self.entries, key=newest_first)

    @property
    def updated(self) -> datetime | None:
        return max((e.updated or e.instant for e in self.entries), default=None)


def absolute_url(site_url: str, path: str) -> str:
    """*path* (site-relative, unquoted) under *site_url*; raises FeedError without an absolute site URL."""
    parts = urlsplit(site_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedError(f"feeds need an absolute 'site_url' (e.g. https://example.org/), found {site_url!r}")
    base = site_url if site_url.endswith("/") else site_url + "/"
    return base + quote(path, safe="/")


def language_feed_path(locale_prefix: str) -> str:
    """The language feed: ``feed.xml`` for the default language, ``en/feed.xml`` for ``en/``."""
    return locale_prefix + FEED_NAME


def policy_feed_path(dest_path: str) -> str:
    """The feed of the policy published at *dest_path*: ``en/privacy/index.html`` -> ``en/privacy/feed.xml``."""
    return archive.policy_base(dest_path) + FEED_NAME


def entry_id(site_url: str, policy_id: str, content_locale: str, number: int, version_instant: datetime, feed_locale: str) -> str:
    """A permanent ``tag:`` id: host, the version's UTC date, site path, policy, language, version.

    Nothing here depends on the build: the same version keeps its id in every
    build, and a source text shown in place of a missing translation gets an
    id of its own (``…@en``), distinct from the translation's later versions.
    """
    parts = urlsplit(site_url or "")
    if not parts.hostname:
        raise FeedError(f"feeds need an absolute 'site_url', found {site_url!r}")
    day = version_instant.astimezone(timezone.utc).date().isoformat()
    path = (parts.path or "/").rstrip("/") + "/"
    specific = f"{path}{quote(policy_id, safe='/')}/{quote(content_locale)}/v{number}"
    if feed_locale != content_locale:
        specific += f"@{quote(feed_locale)}"
    return f"tag:{parts.hostname},{day}:{specific}"


def clean(text: str) -> str:
    """*text* without characters XML 1.0 forbids (``_text`` and ``_attr`` escape the rest)."""
    return _NOT_XML.sub("\ufffd", text)


def entry_html(entry: FeedEntry, change_note_label: str) -> str:
    """The entry's content as HTML; every untrusted string is escaped."""
    out = f"<p><strong>{html.escape(change_note_label)}:</strong> {html.escape(entry.change_note)}</p>"
    if entry.summary_text:
        out += f"<p>{html.escape(entry.summary_text)}</p>"
    if entry.effective_text:
        out += f"<p>{html.escape(entry.effective_text)}</p>"
    for change in entry.effective_changes:
        out += f"<p>{html.escape(change)}</p>"
    return out


def _text(text: str) -> str:
    """Character data as ElementTree writes it: ``&``, ``<`` and ``>`` escaped (after ``clean``)."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    """An attribute value as ElementTree writes it: also ``"``, CR, LF and tab as references."""
    return (_text(text).replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#09;"))


def _element(tag: str, text: str | None = None, **attrs: str) -> str:
    """A leaf element: ``<tag a="v">text</tag>``, or ``<tag a="v" />`` without text."""
    head = tag + "".join(f' {name}="{_attr(value)}"' for name, value in attrs.items())
    body = _text(text) if text is not None else ""
    return f"<{head}>{body}</{tag}>" if body else f"<{head} />"


def feed_xml(feed: Feed, *, site_url: str, tz: str, change_note_label: str, updated_if_empty: datetime) -> bytes:
    """The Atom document of *feed* (UTF-8, with an XML declaration); ids are minted under *site_url*.

    Written as text, byte for byte what ``ElementTree.indent`` and ``tostring`` make of the same tree
    (``tests/test_feeds.py`` compares them) in under half the time (139 against 371 µs for a feed of four
    entries): a build writes one feed per policy and language.
    """
    one, two = "\n  ", "\n    "  # ElementTree.indent's: a level is two spaces
    root = [
        _element("id", feed.url),
        _element("title", feed.title, type="text"),
        _element("updated", iso_instant(feed.updated or updated_if_empty, tz)),
        _element("link", rel="self", type=MEDIA_TYPE, href=feed.url),
        _element("link", rel="alternate", type="text/html", href=feed.alternate),
        f"<author>{two}{_element('name', feed.author)}{one}</author>",
    ]
    for e in feed.sorted_entries():
        entry = [
            _element("id", entry_id(site_url, e.policy_id, e.content_locale, e.number, e.instant, feed.locale)),
            _element("title", e.title, type="text"),
            _element("updated", iso_instant(e.updated or e.instant, tz)),
            _element("link", rel="alternate", type="text/html", href=e.link),
            _element("content", entry_html(e, change_note_label), type="html"),
        ]
        root.append(f"<entry>{two}{two.join(entry)}{one}</entry>")
    text = (f"<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns=\"{ATOM}\" xml:lang=\"{_attr(feed.locale)}\">"
            f"{one}{one.join(root)}\n</feed>\n")
    return text.encode("utf-8")


def summary_text(summary: DiffSummary | None, labels: Mapping[str, str]) -> str | None:
    """"2 changed, 1 added …" (``no_changes`` when nothing changed); None without a summary (a first version)."""
    if summary is None:
        return None
    return labels["summary"].format(**summary.__dict__) if summary.total else labels["no_changes"]


def policy_entries(
    entries: Sequence[archive.VersionEntry],
    *,
    policy_id: str,
    content_locale: str,
    title: str,
    link_of: Callable[[int], str],
    summaries: Mapping[int, DiffSummary],
    labels: Mapping[str, str],
    locale: str,
    tz: str,
    note_of: Callable[[archive.VersionEntry], str] | None = None,
) -> list[FeedEntry]:
    """One feed entry per version of a policy; *link_of* gives a version number's absolute URL, *summaries*
    the change summaries of the versions that have one (what the version pages showed), *note_of* the change
    note readers see (default: the editor's note, ``VersionEntry.change_note``)."""
    out = []
    for e in entries:
        out.append(FeedEntry(
            policy_id=policy_id,
            content_locale=content_locale,
            number=e.number,
            title=labels["version_title"].format(title=title, number=e.number),
            instant=e.version.date,
            link=link_of(e.number),
            change_note=note_of(e) if note_of is not None else archive.note_shown(e, dict(labels), subjects=False),
            summary_text=summary_text(summaries.get(e.number), labels),
            effective_text=f"{labels['effective']}: {display_date(e.effective, locale, tz)}" if e.effective else None,
            effective_changes=tuple(effective.effective_change_text(c, dict(labels), locale, tz)
                                    for c in e.effective_changes),
            updated=max([e.version.date, *(c.date for c in e.effective_changes)]) if e.effective_changes else None,
        ))
    return out


def merge(feeds: Iterable[Feed], limit: int = LANGUAGE_FEED_ENTRIES) -> list[FeedEntry]:
    """The newest *limit* entries of several feeds (a language feed from its per-policy feeds), newest first.

    In the order of :meth:`Feed.sorted_entries`, so the entries kept are the first ones the document shows; a
    bounded heap (``heapq.nsmallest``): memory stays flat on long histories.
    """
    return heapq.nsmallest(limit, (e for f in feeds for e in f.entries), key=newest_first)
