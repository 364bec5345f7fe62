"""Memento (RFC 7089) for the policy archive: TimeMaps, TimeGate selection and version links, from plain data.

One *timeline* per policy folder ``B`` (a policy in one language, e.g.
``en/privacy/``): its original resource (the current policy page ``B``, or the
retired page at that address), its history page and its mementos, the version
pages ``B versions/N/``.  A memento's datetime is its version's publication
instant (``VersionEntry.version.date``, the git date), which the registry keeps
as ``last_modified`` of every version page; RFC 7089 defines Memento-Datetime as
the instant the original had that state.  Effective dates and "in force" are not
Memento's business (the history page and the versions API answer them).  This
module knows the registry (``published``) and nothing of MkDocs.

URLs are root-absolute paths, percent-encoded as MkDocs writes links
(``urllib.parse.quote(path, safe="/")``, the same as ``header_files.link_form``),
in the TimeMap as in every ``Link`` header: the same files then answer right on
any host (a preview, a mirror, the test server), a relative reference resolves
against the URL it was fetched from (RFC 3986, RFC 8288), and the nginx include
already assumes the site sits at the server root.

Files and headers
-----------------
* ``B timemap.link`` (``application/link-format``, RFC 6690 serialisation as
  RFC 7089 section 5.1.1 asks, strict: no whitespace between link-values or
  parameters): ``original``, ``self`` (``type``, ``from``, ``until``),
  ``timegate``, then every memento oldest first with ``datetime`` (IMF-fixdate),
  the oldest one ``first memento`` and the newest ``last memento`` (one memento
  alone is ``first last memento``).  Byte-reproducible: only registry data.
* A version page sends ``Memento-Datetime`` and ``Link``: ``original``,
  ``timegate``, ``timemap`` (with ``type``), then RFC 5829's
  ``predecessor-version`` / ``successor-version`` (the neighbouring version
  numbers), ``latest-version`` (``B``) and ``version-history`` (``B history/``).
  The original ``B`` sends ``version-history``, ``timegate`` and ``timemap``; the
  history page ``latest-version`` and ``timemap``.
* ``B timegate`` (nginx only, no file): ``302`` to the memento the rule below
  chooses, ``Vary: accept-datetime``, ``Link`` to the ``original`` and the
  ``timemap`` (RFC 7089 section 4.1.2 and 4.2.1); no ``Accept-Datetime``: 302 to
  the latest version; an ``Accept-Datetime`` that is not an HTTP-date: ``400``.

The TimeGate rule (``Timeline.select``) and its edge cases
-------------------------------------------------------------
The memento whose Memento-Datetime is the latest one not after the requested
instant, compared to the second (HTTP dates have no fractions); on a tie, the
higher version number.

* Before the first memento: the memento chosen at the earliest
  Memento-Datetime (normally version 1; RFC 7089 section 4.5.3 allows
  redirecting to the first memento).
* Exactly on a publication instant: that version (the boundary is inclusive);
  one second before it: the version before.
* Between two versions: the older one; in the future: the newest by datetime.
* After a policy was retired: its last memento by datetime (the retired page
  stays the original resource, the TimeMap and TimeGate keep answering).
* Publication dates out of order with version numbers (a commit dated
  backwards, e.g. v1 2020-01-01, v2 2021-06-15, v3 2021-03-01): the rule goes
  by datetime, never by number.  v3 answers from 2021-03-01 until one second
  before v2's instant, v2 from then on (also in the future), v1 before
  2021-03-01.  The TimeMap lists mementos by datetime, so its
  ``first``/``last memento`` are the oldest and newest by datetime.  Without
  ``Accept-Datetime`` the answer is the highest number (the live text), as the
  contract says.  ``predecessor-version``/``successor-version`` go by number.
* Two versions with the same instant: the higher number wins at and after it.
* Retroactive effective dates change nothing here: Memento-Datetime is the
  publication instant.
* Names with spaces or non-ASCII characters (``隱私 政策/``): every URL is
  percent-encoded UTF-8; nginx matches locations and ``$uri`` decoded.

nginx
-----
nginx cannot compare dates, but ``map`` can match regexes, tried in order.
``nginx-maps.conf`` (in the ``http {}`` block) normalises ``Accept-Datetime``
to ``YYYYMMDDHHMMSS`` (IMF-fixdate, RFC 850 with the two-digit year read in the
window of 50 years around the build's year, asctime; ``bad`` otherwise; empty
without the header), then one map per timeline, newest first, whose regex per
memento means "these 14 digits are not before this instant"
(``ge_regex``): the per-version regexes stay out of ``nginx-headers.conf``,
whose ``B timegate`` locations (a few lines per policy and language) only
read the result.  The per-page ``Link`` and ``Memento-Datetime`` come from maps keyed by
short keys (``nginx_versions``; why not by path: ``header_files.render_nginx_maps``).
The variable names are fixed (``$policykit_...``, a TimeGate's ``$pktg...``): one policykit site per
nginx ``http {}`` block.

Netlify and Cloudflare Pages
----------------------------
They serve the TimeMaps (their ``Content-Type`` comes from ``_headers``) and
the ``Memento-Datetime`` and ``Link`` headers while the rules fit Cloudflare's
100-rule limit (see ``header_files``).  They cannot negotiate
``Accept-Datetime``: ``_headers`` cannot vary on a request header and a
``_redirects`` rule always answers the same, which would be a wrong memento for
every dated request.  So there is no TimeGate there without an edge function
(Netlify Edge Functions, Cloudflare Pages Functions), and ``_headers`` never
advertises one: its ``Link`` headers leave out ``rel="timegate"`` (the TimeMap,
one file for every platform, names ``B timegate``, which is a 404 there, never
a wrong answer).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Iterable
from urllib.parse import quote

from policykit import generated
from policykit.deploy.published import CURRENT_VERSION, PAGE, POLICY, TIMEMAP, VERSION, PublishedPage, PublishedPages

TIMEMAP_FILE = generated.register(generated.POLICY, "timemap.link", "the policy's TimeMap (Memento)")
TIMEGATE_PATH = generated.register(generated.POLICY, "timegate", "the policy's TimeGate (Memento, nginx)")
LINK_FORMAT = "application/link-format"
_VERSION_PAGE = re.compile(r"^(?P<base>(?:.*/)?)versions/(?P<n>[1-9][0-9]*)/index\.html$")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def imf_fixdate(instant: datetime) -> str:
    """IMF-fixdate (RFC 9110 section 5.6.7) of an aware datetime, to the second."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: a memento's datetime must be timezone-aware")
    return format_datetime(instant.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def url(path: str) -> str:
    """Root-absolute URL of a site path, percent-encoded as ``header_files.link_form`` writes it."""
    return quote("/" + path, safe="/")


@dataclass(frozen=True)
class Link:
    """One link-value: target URL, relation types and further parameters (name, unquoted value)."""

    target: str
    rel: str
    params: tuple[tuple[str, str], ...] = ()

    def render(self, sep: str = "; ") -> str:
        return sep.join([f"<{self.target}>", f'rel="{self.rel}"', *(f'{k}="{v}"' for k, v in self.params)])


def render_links(links: Iterable[Link], *, compact: bool = False) -> str:
    """A Link header value (``, `` and ``; ``) or, *compact*, RFC 6690 link-format without whitespace."""
    if compact:
        return ",".join(link.render(";") for link in links)
    return ", ".join(link.render() for link in links)


@dataclass(frozen=True)
class Memento:
    number: int
    path: str  # the version page's file, e.g. "en/privacy/versions/3/index.html"
    datetime: datetime  # aware, whole seconds

    @property
    def url(self) -> str:
        return url(self.path[: -len("index.html")])


@dataclass(frozen=True)
class Timeline:
    """Every memento of one policy in one language, and its original resource."""

    base: str  # "en/privacy/" ("" for a policy at the site root)
    policy: str
    locale: str
    mementos: tuple[Memento, ...]  # by number
    original: str | None  # site path of the page at B when it is this policy's (current or retired)
    history: str | None  # site path of the history page, when published

    @property
    def original_url(self) -> str:
        return url(self.base)

    @property
    def timegate_url(self) -> str:
        return url(self.base + TIMEGATE_PATH)

    @property
    def timemap_url(self) -> str:
        return url(self.base + TIMEMAP_FILE)

    @property
    def history_url(self) -> str:
        return url(self.base + "history/")

    @property
    def timemap_path(self) -> str:
        return self.base + TIMEMAP_FILE

    @property
    def key(self) -> str:
        """A short ASCII name for this timeline (nginx variable names)."""
        return hashlib.sha256(self.base.encode("utf-8")).hexdigest()[:16]

    def by_time(self) -> list[Memento]:
        """Mementos oldest first (ties: the lower number first)."""
        return sorted(self.mementos, key=lambda m: (m.datetime, m.number))

    def latest(self) -> Memento:
        return self.mementos[-1]

    def select(self, instant: datetime | None) -> Memento:
        """The memento the TimeGate redirects to for *instant* (None: no Accept-Datetime)."""
        if instant is None:
            return self.latest()
        at = instant.astimezone(timezone.utc).replace(microsecond=0)
        ordered = self.by_time()
        if at < ordered[0].datetime:
            at = ordered[0].datetime
        return max((m for m in ordered if m.datetime <= at), key=lambda m: (m.datetime, m.number))

    def timemap_link(self) -> Link:
        return Link(self.timemap_url, "timemap", (("type", LINK_FORMAT),))

    def timemap(self) -> str:
        """The TimeMap's text (RFC 7089 section 5.1.1, RFC 6690 serialisation)."""
        ordered = self.by_time()
        links = [
            Link(self.original_url, "original"),
            Link(self.timemap_url, "self", (("type", LINK_FORMAT), ("from", imf_fixdate(ordered[0].datetime)),
                                            ("until", imf_fixdate(ordered[-1].datetime)))),
            Link(self.timegate_url, "timegate"),
        ]
        for i, m in enumerate(ordered):
            rel = " ".join([*(["first"] if i == 0 else []), *(["last"] if i == len(ordered) - 1 else []), "memento"])
            links.append(Link(m.url, rel, (("datetime", imf_fixdate(m.datetime)),)))
        return render_links(links, compact=True)

    def version_links(self, memento: Memento) -> tuple[Link, ...]:
        numbers = [m.number for m in self.mementos]
        i = numbers.index(memento.number)
        links = [Link(self.original_url, "original"), Link(self.timegate_url, "timegate"), self.timemap_link()]
        if i > 0:
            links.append(Link(self.mementos[i - 1].url, "predecessor-version"))
        if i < len(numbers) - 1:
            links.append(Link(self.mementos[i + 1].url, "successor-version"))
        links += [Link(self.original_url, "latest-version"), Link(self.history_url, "version-history")]
        return tuple(links)

    def original_links(self) -> tuple[Link, ...]:
        return (Link(self.history_url, "version-history"), Link(self.timegate_url, "timegate"), self.timemap_link())

    def history_links(self) -> tuple[Link, ...]:
        return (Link(self.original_url, "latest-version"), self.timemap_link())

    def timegate_links(self) -> tuple[Link, ...]:
        """What a TimeGate's 302 carries besides Location and Vary (RFC 7089 section 4.2.1)."""
        ordered = self.by_time()
        return (Link(self.original_url, "original"),
                Link(self.timemap_url, "timemap", (("type", LINK_FORMAT), ("from", imf_fixdate(ordered[0].datetime)),
                                                   ("until", imf_fixdate(ordered[-1].datetime)))))


@dataclass(frozen=True)
class PageMemento:
    """What one page of a timeline sends: its links and, for a version page, its Memento-Datetime."""

    links: tuple[Link, ...]
    datetime: datetime | None = None


def timelines(registry: PublishedPages) -> list[Timeline]:
    """Every timeline of the registry's version pages, by folder."""
    groups: dict[str, list[tuple[PublishedPage, int]]] = {}
    for page in registry:
        if page.kind not in (VERSION, CURRENT_VERSION) or page.policy is None or page.last_modified is None:
            continue
        match = _VERSION_PAGE.match(page.path)
        if match is None:
            continue
        groups.setdefault(match["base"], []).append((page, int(match["n"])))
    out = []
    for base, pages in sorted(groups.items()):
        pages.sort(key=lambda p: p[1])
        first = pages[0][0]
        mementos = tuple(Memento(n, p.path, p.last_modified.astimezone(timezone.utc).replace(microsecond=0))
                         for p, n in pages if p.last_modified is not None)
        original = registry.get(base + "index.html")
        history = registry.get(base + "history/index.html")
        out.append(Timeline(
            base, first.policy or "", first.locale, mementos,
            original.path if original is not None and original.kind in (POLICY, PAGE) and original.policy == first.policy
            else None,
            history.path if history is not None else None,
        ))
    return out


def page_mementos(found: Iterable[Timeline]) -> dict[str, PageMemento]:
    """Site path -> what that page sends, for every version, original and history page of *found*."""
    out: dict[str, PageMemento] = {}
    for tl in found:
        for m in tl.mementos:
            out[m.path] = PageMemento(tl.version_links(m), m.datetime)
        if tl.original is not None:
            out[tl.original] = PageMemento(tl.original_links())
        if tl.history is not None:
            out[tl.history] = PageMemento(tl.history_links())
    return out


def write_timemaps(site_dir: str | Path, registry: PublishedPages) -> list[Timeline]:
    """Write ``B timemap.link`` for every timeline and register it (kind ``TIMEMAP``); returns the timelines.

    Timelines come from the version pages alone, so registering the TimeMaps changes none of them.
    """
    root = Path(site_dir)
    found = timelines(registry)
    for tl in found:
        path = root / tl.timemap_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tl.timemap().encode("ascii"))
        newest = max(m.datetime for m in tl.mementos)
        registry.add(PublishedPage(tl.timemap_path, TIMEMAP, tl.locale, tl.policy, newest))
    return found


# ----------------------------------------------------------------- nginx


def ge_regex(digits: str) -> str:
    """A regex matching exactly the digit strings of the same length that are ``>= digits``.

    ``x >= d`` iff ``x == d`` or, at the first position where they differ, x's digit is greater.
    """
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"not a digit string: {digits!r}")
    alternatives = [digits]
    for i, ch in enumerate(digits):
        if ch == "9":
            continue
        higher = "9" if ch == "8" else f"[{int(ch) + 1}-9]"
        rest = len(digits) - i - 1
        alternatives.append(digits[:i] + higher + (f"[0-9]{{{rest}}}" if rest > 1 else "[0-9]" if rest else ""))
    return "^(?:" + "|".join(alternatives) + ")$"


def digits14(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


ACCEPT_DATETIME_VAR = "$policykit_accept_datetime"
_WDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_WEEKDAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MON = "(?<pkmon>" + "|".join(MONTHS) + ")"
_TIME = "(?<pkhour>[01][0-9]|2[0-3]):(?<pkmin>[0-5][0-9]):(?<pksec>[0-5][0-9]|60)"
_DAY2 = "(?<pkday>0[1-9]|[12][0-9]|3[01])"


def accept_datetime_maps(build_year: int) -> list[str]:
    """nginx ``map`` blocks turning ``Accept-Datetime`` into 14 digits (``bad`` if malformed, empty if absent)."""
    lines = [
        "# Accept-Datetime (an HTTP-date, RFC 9110 section 5.6.7) -> YYYYMMDDHHMMSS; empty without it; bad otherwise.",
        f"map $http_accept_datetime {ACCEPT_DATETIME_VAR} {{",
        "    default bad;",
        '    "" "";',
        f"    {_q(f'~^{_WDAY}, {_DAY2} {_MON} (?<pkyear>[0-9]{{4}}) {_TIME} GMT$')} "
        '"$pkyear$policykit_month$pkday$pkhour$pkmin$pksec";',
        f"    {_q(f'~^{_WEEKDAY}, {_DAY2}-{_MON}-(?<pkyy>[0-9]{{2}}) {_TIME} GMT$')} "
        '"$policykit_century$pkyy$policykit_month$pkday$pkhour$pkmin$pksec";',
        f"    {_q(f'~^{_WDAY} {_MON} {_DAY2} {_TIME} (?<pkyear>[0-9]{{4}})$')} "
        '"$pkyear$policykit_month$pkday$pkhour$pkmin$pksec";',
        f"    {_q(f'~^{_WDAY} {_MON}  (?<pkday1>[1-9]) {_TIME} (?<pkyear>[0-9]{{4}})$')} "
        '"$pkyear${policykit_month}0$pkday1$pkhour$pkmin$pksec";',
        "}",
        "map $pkmon $policykit_month {",
        *(f"    {name} {i:02d};" for i, name in enumerate(MONTHS, 1)),
        "}",
        f"# RFC 850's two-digit year: the year within 50 years of the build's ({build_year}) that ends in it.",
        "map $pkyy $policykit_century {",
    ]
    for yy in range(100):
        candidates = [c * 100 + yy for c in range(build_year // 100 - 1, build_year // 100 + 2)]
        year = min((y for y in candidates if y <= build_year + 50), key=lambda y: build_year + 50 - y)
        lines.append(f'    "{yy:02d}" {year // 100:02d};')
    lines.append("}")
    return lines


def timegate_var(tl: Timeline) -> str:
    # 14 characters: an nginx variables-hash bucket (64 bytes) holds two such names, one of 35 filled a bucket alone
    # (nginx -t warned "could not build optimal variables_hash" from about 40 policies; bench/bench_nginx_include.py)
    return f"$pktg{tl.key[:10]}"


def timegate_map(tl: Timeline) -> list[str]:
    """The map from normalised Accept-Datetime to this timeline's memento URL, newest first."""
    lines = [f"# TimeGate of /{tl.base} ({tl.policy}, {tl.locale})", f"map {ACCEPT_DATETIME_VAR} {timegate_var(tl)} {{"]
    first = tl.select(tl.by_time()[0].datetime)
    lines.append(f"    default {_q(first.url)};")
    lines.append(f'    "" {_q(tl.latest().url)};')
    seen: set[datetime] = set()
    for m in sorted(tl.mementos, key=lambda m: (m.datetime, m.number), reverse=True):
        if m.datetime in seen:
            continue  # a tie: the higher number, listed first, wins
        seen.add(m.datetime)
        lines.append(f"    {_q('~' + ge_regex(digits14(m.datetime)))} {_q(m.url)};")
    lines.append("}")
    return lines


def timegate_location(tl: Timeline, cache_control: str, security: Iterable[tuple[str, str]]) -> list[str]:
    """The ``location`` of ``B timegate`` for the ``server {}`` include."""
    headers = [("Vary", "accept-datetime"), ("Link", render_links(tl.timegate_links())),
               ("Cache-Control", cache_control), *security]
    adds = [f"    add_header {name} {_q(value)} always;" for name, value in headers]
    return [
        f"location = {_q('/' + tl.base + TIMEGATE_PATH)} {{",
        "    absolute_redirect off;",
        *adds,
        f'    if ({ACCEPT_DATETIME_VAR} = "bad") {{',
        "        return 400;",
        "    }",
        f"    return 302 {timegate_var(tl)};",
        "}",
    ]


__all__ = [
    "TIMEMAP_FILE", "TIMEGATE_PATH", "LINK_FORMAT", "Link", "Memento", "Timeline", "PageMemento", "imf_fixdate", "url",
    "render_links", "timelines", "page_mementos", "write_timemaps", "ge_regex", "digits14", "accept_datetime_maps",
    "timegate_map", "timegate_location", "timegate_var", "ACCEPT_DATETIME_VAR",
]
