"""Render the decisions of ``cache_rules`` as ``_headers`` (Netlify / Cloudflare Pages) and as an nginx include.

Two renderings of one ``SiteRules``:

* ``_headers``: Cloudflare applies EVERY matching rule and joins repeated
  header names with ", "; Netlify's parser (``@netlify/headers-parser``)
  matches case-insensitively and lets ``/a/*`` also match ``/a`` and
  ``/a<anything>``.  So security headers go on ``/*`` only, and each URL must
  match exactly one rule carrying Cache-Control.  Exact rules are used while
  they fit Cloudflare's limits (100 rules, 2,000 characters a line); beyond
  that, a directory whose every matching URL has identical headers is
  collapsed to ``/dir/*`` (never for the ``immutable`` class: a splat would
  make 404s of future names cacheable for a year).  The result is verified by
  simulating the merge for every URL form of every file.  If that still does
  not fit (a large archive: every policy page has its own tags and
  Last-Modified), the file falls back to the platforms' default, which is
  already "revalidate" (Netlify and Cloudflare Pages send
  ``public, max-age=0, must-revalidate`` for any file without a rule): it
  keeps rules only for the classes that differ from it (immutable, static),
  drops per-file tags and Last-Modified (they stay in the nginx include and
  in manifest.json, and purging by URL still works), and treats version pages
  as revalidate, which is never stale.  If even that cannot be met,
  ``HeaderRuleError`` is raised.  Paths are percent-encoded as browsers send
  them.
* nginx: only ONE location applies to a request and a location with its own
  ``add_header`` drops the server-level ones, so every location repeats the
  security headers.  Locations match the DECODED, normalised URI, so paths are
  written decoded, double-quoted and backslash-escaped.  Each policy folder gets
  one ``location ^~ "/B"`` whose nested regex locations serve its pages,
  versions, ``source.md``, TimeMap and TimeGate with headers from variables
  (``nginx_versions``: the include stays under a megabyte for 878 policies and
  42,632 version pages); every other file gets an exact location, as does a
  policy file the template would not give exactly its own headers; ``/dir/`` reaches ``/dir/index.html`` by
  nginx's internal index redirect, whose location then sets the headers.
  ``always`` makes headers apply to 404 (``error_page``) and 304 responses too.
  ``Last-Modified`` is not added: nginx sends it from the file's mtime, which
  ``mtimes`` sets to the same instant.  Memento (``memento``): version,
  policy and history pages send their ``Link`` (and ``Memento-Datetime``)
  from the maps of ``nginx-maps.conf`` (literally, in a file's exact location); a TimeMap's location sets
  ``default_type application/link-format``; each policy's ``B timegate``
  location answers from the maps of the http-level include
  (``render_nginx_maps``, ``nginx-maps.conf``).

Memento headers and Cloudflare's 100-rule limit
-----------------------------------------------
What the limit allows: every version page's ``Link`` and ``Memento-Datetime``
differ from its neighbours', so they can only be exact rules, two per version
page (``/v/N/`` and ``/v/N/index.html``) and one per policy and history page;
they are written while the whole file still fits in 100 rules (a handful of
policies with a few versions each, beside the theme's assets).  What it does
not allow: a larger archive.  Then ``_headers`` is written as before without
them (``choose_netlify_rules`` says so and the build logs it at INFO); nginx
still sends them, and the TimeMaps, which are files, are served everywhere
with their ``Content-Type`` (at worst through the one rule
``/*/timemap.link``).  A variant that needs more rules than the limit just for its different sets of
headers is not built at all (``more_header_sets_than``): at archive scale only the
platform default is, which saves most of the fitting's time and memory.
``_headers`` never sends ``rel="timegate"``: no
TimeGate can answer on those platforms without an edge function (see
``memento``).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from collections.abc import Iterable
from urllib.parse import quote

from policykit.deploy import memento, nginx_versions
from policykit.deploy.cache_rules import (
    CONTENT_TYPES, HEADERS_FILE, REVALIDATE, VERSION_SNAPSHOT, FileRule, HeaderRuleError, SiteRules, check_name,
)
from policykit.deploy.error_pages import NOT_FOUND_PAGE, not_found_folders

CLOUDFLARE_MAX_RULES = 100
CLOUDFLARE_MAX_LINE = 2000

# What browsers percent-encode in a path (WHATWG path percent-encode set) plus '%' itself and '\\'.
_ENCODE_ASCII = frozenset(' "#<>?`{}%\\') | frozenset(chr(c) for c in range(0x20)) | {"\x7f"}


_NEEDS_ENCODING = re.compile("[" + re.escape("".join(sorted(_ENCODE_ASCII))) + "\x7f-\U0010ffff]")


@dataclass(frozen=True)
class HeaderRule:
    """One rule of a ``_headers`` file: a path pattern and its headers."""

    pattern: str
    headers: tuple[tuple[str, str], ...]


def encode_url_path(path: str) -> str:
    """Percent-encode a decoded URL path the way a browser sends it (UTF-8, uppercase hex)."""
    check_name(path)
    if not _NEEDS_ENCODING.search(path):  # the usual case: nothing to encode
        return path
    out: list[str] = []
    for ch in path:
        if ch in _ENCODE_ASCII or ord(ch) > 0x7E:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


def _headers_path(url_path: str, file: str) -> str:
    """Encoded exact path for ``_headers``; refuses characters with a meaning there."""
    if "*" in url_path or any(seg.startswith(":") for seg in url_path.split("/")):
        raise HeaderRuleError(
            f"{file!r}: '*' or a segment starting with ':' is a wildcard/placeholder in _headers "
            "and browsers do not encode them; rename the file"
        )
    return encode_url_path(url_path)


@functools.lru_cache(maxsize=4096)
def netlify_regex(pattern: str) -> re.Pattern[str]:
    """Python port of ``getForRegExp`` of @netlify/headers-parser (case-insensitive, optional trailing /)."""

    def part(p: str) -> str:
        if p.startswith(":"):
            return "([^/]+)"
        if p == "*":
            return "?(.*)"
        if "*" in p:
            return p.replace("*", "(.*)")
        return re.escape(p)

    parts = [p.rstrip() for p in pattern.split("/")]
    return re.compile("^/" + "/".join(part(p) for p in parts if p) + "/?$", re.IGNORECASE)


def cloudflare_merge(rules: list[HeaderRule], url: str) -> dict[str, str]:
    """Headers a URL gets when every matching rule applies and repeated names are joined with ", "."""
    merged: dict[str, tuple[str, str]] = {}
    for rule in rules:
        if netlify_regex(rule.pattern).match(url):
            for name, value in rule.headers:
                key = name.lower()
                merged[key] = (name, f"{merged[key][1]}, {value}" if key in merged else value)
    return {name: value for name, value in merged.values()}


def _entries(rules: SiteRules, *, platform_default: bool = False,
             memento: bool = False) -> list[tuple[str, str, tuple[tuple[str, str], ...], bool]]:
    """(file, encoded url, headers, collapsible) for every URL form of every file.

    With *platform_default*, files the platform already serves as "revalidate"
    get no headers of their own (see the module docstring).  With *memento*,
    version, policy and history pages carry their Memento headers (no TimeGate link:
    none answers on these platforms).  A ``Content-Type`` is never here: it comes from
    the type rules (``_type_rules``), one per kind of name, so directories still collapse.
    """
    out = []
    for fr in rules.files:
        headers = fr.headers()
        if platform_default:
            if fr.cache.name in (REVALIDATE.name, VERSION_SNAPSHOT.name):
                headers = ()
            else:
                headers = (("Cache-Control", fr.cache.cache_control),)
        elif memento:
            headers = (*headers, *fr.memento_headers(timegate=False))
        for url in fr.urls:
            typed = _headers_path(url, fr.path)
            out.append((fr.path, typed, headers, fr.cache.collapsible))
            linked = link_form(url)
            if linked != typed:  # e.g. O'Reilly: typed as is, but MkDocs' own links say O%27Reilly
                out.append((fr.path, linked, headers, fr.cache.collapsible))
    return out


def link_form(path: str) -> str:
    """The path as MkDocs writes it in links, sitemap and feeds (``urllib.parse.quote``: also ``'&()+,;=@!$``).

    A _headers rule matches the request's path literally (@netlify/headers-parser), and a
    browser sends a link's path as written, so a name such as ``O'Reilly`` needs a rule for
    ``/O'Reilly/`` (typed) and one for ``/O%27Reilly/`` (followed from a page).
    """
    return quote(path, safe="/")


@dataclass(frozen=True)
class NetlifyChoice:
    """The ``_headers`` rules chosen, and whether the Memento headers are among them."""

    rules: list[HeaderRule]
    memento: bool  # False: the site has Memento headers but they did not fit (nginx still sends them)


def netlify_rules(
    rules: SiteRules, max_rules: int = CLOUDFLARE_MAX_RULES, max_line: int = CLOUDFLARE_MAX_LINE
) -> list[HeaderRule]:
    """The ``_headers`` rules for ``rules``: exact where they fit, safe directory splats otherwise."""
    return choose_netlify_rules(rules, max_rules, max_line).rules


def _fit(entries: list[tuple[str, str, tuple[tuple[str, str], ...], bool]], head: list[HeaderRule],
         max_rules: int) -> list[HeaderRule]:
    if len(entries) + len(head) <= max_rules:
        return [*head, *(HeaderRule(url, headers) for _, url, headers, _ in entries)]
    return [*head, *_collapse(entries)]


def _lines_fit(result: list[HeaderRule], max_line: int) -> bool:
    return all(len(line) <= max_line for r in result for line in (r.pattern, *(f"  {n}: {v}" for n, v in r.headers)))


def choose_netlify_rules(
    rules: SiteRules, max_rules: int = CLOUDFLARE_MAX_RULES, max_line: int = CLOUDFLARE_MAX_LINE
) -> NetlifyChoice:
    """``netlify_rules``, saying whether the Memento headers (``Memento-Datetime``, ``Link``) fit.

    In order, the first that fits: every header with Memento's; every header
    without Memento's (as before them); the platform default.  The
    ``Content-Type`` rules (``_type_rules``: ``/*.md``, ``/*/timemap.link``) stay in every case.
    """
    root = HeaderRule("/*", rules.security)
    typed = _type_rules(rules)
    types = {fr.path: fr.content_type for fr in rules.files if fr.content_type is not None}
    has_memento = any(fr.memento_info is not None for fr in rules.files)
    room = max_rules - 1 - len(typed)  # beside the root and type rules
    if has_memento and not more_header_sets_than(rules, room, memento=True):
        entries = _entries(rules, memento=True)
        result = _fit(entries, [root, *typed], max_rules)
        if len(result) <= max_rules and _lines_fit(result, max_line):
            _verify(result, entries, rules.security, types)
            return NetlifyChoice(result, True)
    fits = not more_header_sets_than(rules, room)
    if fits:
        entries = _entries(rules)
        result = _fit(entries, [root, *typed], max_rules)
    if not fits or len(result) > max_rules:
        entries = _entries(rules, platform_default=True)
        result = [root, *typed, *(r for r in _collapse(entries) if r.headers)]
    if len(result) > max_rules:
        fixed = sum(1 for *_, c in entries if not c)
        raise HeaderRuleError(
            f"{HEADERS_FILE}: {len(result)} rules needed but Cloudflare allows {max_rules}; "
            f"{fixed} URL(s) of immutable (hashed) assets must keep exact rules and the remaining "
            "pages cannot be grouped into directories of identical headers"
        )
    for rule in result:
        for line in (rule.pattern, *(f"  {n}: {v}" for n, v in rule.headers)):
            if len(line) > max_line:
                raise HeaderRuleError(
                    f"{HEADERS_FILE}: line for {rule.pattern!r} is {len(line)} characters, "
                    f"Cloudflare allows {max_line}: {line[:80]}..."
                )
    _verify(result, entries, rules.security, types)
    return NetlifyChoice(result, not has_memento)


def more_header_sets_than(rules: SiteRules, room: int, *, memento: bool = False) -> bool:
    """Whether the files have more than *room* different sets of headers (with *memento*: and Memento's).

    Each rule of ``_fit`` carries the headers of the URLs it serves, and ``_verify`` gives every URL
    exactly its own, so ``_headers`` needs at least one rule per different set: when there are more
    sets than rules left, that variant cannot fit and is not built (at archive scale every page's tags,
    Last-Modified and Memento headers are its own).  A file's URL forms share its headers, so files
    are counted, stopping at the first set past *room*.
    """
    seen: set[tuple[tuple[str, str], ...]] = set()
    for fr in rules.files:
        seen.add((*fr.headers(), *fr.memento_headers(timegate=False)) if memento else fr.headers())
        if len(seen) > room:
            return True
    return False


def _type_rules(rules: SiteRules) -> list[HeaderRule]:
    """The ``Content-Type`` rules: one ``/*.md`` per extension of ``CONTENT_TYPES`` the site has, and
    ``/*/timemap.link`` when it has TimeMaps.  No directory splat has to repeat a type, so directories
    still collapse (a version folder holds index.html and source.md); ``_verify`` checks that each
    rule gives exactly the files of its type their type and no other file any."""
    present = {ext for ext in CONTENT_TYPES for fr in rules.files if fr.path.lower().endswith(ext)}
    out = [HeaderRule(f"/*{ext}", (("Content-Type", CONTENT_TYPES[ext]),)) for ext in sorted(present)]
    maps = sorted({fr.content_type for fr in rules.files if fr.content_type == memento.LINK_FORMAT})
    out += [HeaderRule("/*/" + memento.TIMEMAP_FILE, (("Content-Type", t),)) for t in maps]
    return out


def _collapse(entries: list[tuple[str, str, tuple[tuple[str, str], ...], bool]]) -> list[HeaderRule]:
    dirs = sorted(
        {f.rsplit("/", 1)[0] for f, *_ in entries if "/" in f}
        | {"/".join(f.split("/")[:i]) for f, *_ in entries for i in range(1, f.count("/"))},
        key=lambda d: (d.count("/"), d),
    )
    chosen: list[HeaderRule] = []
    covered: set[str] = set()
    # A splat pattern only matches URLs that start with its prefix (case-insensitively), so look
    # those up by bisection instead of matching every URL against every directory.
    ordered = sorted(entries, key=lambda e: e[1].lower())
    keys = [e[1].lower() for e in ordered]
    for d in dirs:
        pattern = _headers_path("/" + d + "/", d) + "*"
        # "/dir/*" compiles to ^/dir/?(.*)/?$ (case-insensitive): exactly the URLs starting with "/dir"
        # (names with "*" or a ":"-led segment are refused by check_name's callers), so the prefix range
        # found by bisection is the match set; _verify re-checks the final rules with the real regexes.
        prefix = pattern[:-2].lower()  # without "/*"
        lo = bisect.bisect_left(keys, prefix)
        hi = bisect.bisect_left(keys, prefix + "\U0010ffff")
        matched = [(url, headers, c) for _, url, headers, c in ordered[lo:hi]]
        if len(matched) < 2 or any(url in covered for url, *_ in matched):
            continue
        if not all(c for *_, c in matched) or len({h for _, h, _ in matched}) != 1 or not matched[0][1]:
            continue
        chosen.append(HeaderRule(pattern, matched[0][1]))
        covered.update(url for url, *_ in matched)
    rest = [HeaderRule(url, headers) for _, url, headers, _ in entries if url not in covered]
    return [*chosen, *rest]


def _verify(result: list[HeaderRule], entries: list[tuple[str, str, tuple[tuple[str, str], ...], bool]],
            security: tuple[tuple[str, str], ...], types: dict[str, str]) -> None:
    """Guard: every URL form gets exactly its intended headers under Cloudflare's merge."""
    for file, url, headers, _ in entries:
        typed = (("Content-Type", types[file]),) if file in types else ()
        want = {n.lower(): v for n, v in (*security, *headers, *typed)}
        got = {n.lower(): v for n, v in cloudflare_merge(result, url).items()}
        if got != want:
            raise HeaderRuleError(f"{file!r}: {url} would get {got} instead of {want}")


def render_netlify(
    rules: SiteRules, max_rules: int = CLOUDFLARE_MAX_RULES, max_line: int = CLOUDFLARE_MAX_LINE
) -> str:
    """Text of the ``_headers`` file."""
    return render_netlify_rules(netlify_rules(rules, max_rules, max_line))


def render_netlify_rules(rules: list[HeaderRule]) -> str:
    """Text of the ``_headers`` file for rules already chosen by ``netlify_rules``."""
    lines = ["# Generated by policykit.header_files; do not edit."]
    for rule in rules:
        lines.append(rule.pattern)
        lines.extend(f"  {name}: {value}" for name, value in rule.headers)
    return "\n".join(lines) + "\n"


def nginx_quote(text: str) -> str:
    """A double-quoted nginx config string (backslash-escaped ``\\`` and ``"``)."""
    check_name(text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nginx_headers(headers: Iterable[tuple[str, str]], indent: str) -> list[str]:
    return [f"{indent}add_header {name} {value if value == nginx_versions.CSP_VAR else nginx_quote(value)} always;"
            for name, value in headers]


def _nginx_file(fr: FileRule, security: list[tuple[str, str]], indent: str = "") -> list[str]:
    """The exact location of one file: its cache headers, tags, Memento headers and security headers."""
    headers = [(n, v) for n, v in fr.headers() if n != "Last-Modified"]
    lines = [f"{indent}location = {nginx_quote('/' + fr.path)} {{"]
    if fr.content_type is not None:
        lines += [f"{indent}    types {{ }}", f"{indent}    default_type {nginx_quote(fr.content_type)};"]
    lines.extend(_nginx_headers([*headers, *fr.memento_headers(), *security], indent + "    "))
    lines.append(f"{indent}}}")
    return lines


def render_nginx(rules: SiteRules, *, exact: bool = False, groups: list[nginx_versions.FolderGroup] | None = None) -> str:
    """Text of an nginx include for a ``server {}`` block whose ``root`` is the site directory.

    It defines ``location /`` (default class for unknown URLs and directory
    redirects), one ``location /dir/`` per folder with its own ``404.html``
    (its missing URLs get that page: ``error_page`` per folder, see
    ``error_pages``), one ``location ^~ /B`` per policy folder (``nginx_versions``;
    with the server-level ``add_header`` lines its locations inherit) and one exact
    location per other file.
    ``location /`` says ``error_page 404 /404.html;`` when the site has one.
    *exact* (for the equivalence test): one exact location per file, as before ``nginx_versions``.
    *groups*: ``nginx_versions.plan(rules)`` when the caller has it (it is made once for both includes).
    """
    security = list(rules.security)
    groups = [] if exact else nginx_versions.plan(rules) if groups is None else groups
    inner = security if exact or not rules.timelines else nginx_versions.security(security)
    default = [("Cache-Control", rules.default.cache_control)]
    paths = [fr.path for fr in rules.files]
    root_error = [f"    error_page 404 {nginx_quote('/' + NOT_FOUND_PAGE)};"] if NOT_FOUND_PAGE in paths else []
    lines = [
        "# Generated by policykit.header_files; do not edit.",
        "etag on;",
        "if_modified_since before;",
        *(nginx_versions.server_headers() if groups else []),
        *_nginx_headers(security, ""),
        "",
        "location / {",
        *root_error,
        *_nginx_headers([*default, *inner], "    "),
        "}",
    ]
    for folder in sorted(not_found_folders(paths)):
        lines.append(f"location {nginx_quote('/' + folder)} {{")
        lines.append(f"    error_page 404 {nginx_quote('/' + folder + NOT_FOUND_PAGE)};")
        lines.extend(_nginx_headers([*default, *inner], "    "))
        lines.append("}")
    lines += [
        f"location = /{HEADERS_FILE} {{",
        "    internal;",
        "}",
    ]
    grouped = frozenset().union(*(g.covered for g in groups))
    for fr in rules.files:
        if fr.path not in grouped:
            lines += _nginx_file(fr, inner)
    for group in groups:
        lines += nginx_versions.location(group)
    gates = {g.timeline.base for g in groups if g.timegate}
    for tl in rules.timelines:
        if tl.base not in gates:
            lines.extend(memento.timegate_location(tl, rules.default.cache_control, security))
    return "\n".join(lines) + "\n"


def render_nginx_maps(rules: SiteRules, build_year: int, *, exact: bool = False,
                      groups: list[nginx_versions.FolderGroup] | None = None) -> str:
    """Text of the http-level include (``map`` blocks, which nginx allows only in ``http {}``).

    Memento: ``Accept-Datetime`` normalised to 14 digits and one TimeGate map per
    policy and language, newest memento first (see ``memento``); the ``B timegate``
    locations of the ``server {}`` include read them.  *build_year* reads RFC 850's
    two-digit years.  Include it in ``http {}`` whenever the ``server {}`` include is used
    (without it nginx refuses the include: "unknown variable").  Only regexes and the
    empty string are keys, so no ``map_hash_*`` size needs tuning.

    The policy folders' headers (``nginx_versions.maps``): ``$policykit_csp`` and the
    variables of ``nginx_versions.SERVER_HEADERS``, keyed by what a folder's locations
    capture (the path below the folder, the version number) and by SHORT keys (the
    folder's number, ``"<folder>:<n>"``), never by ``$uri``: a ``map`` by path would need
    ``map_hash_bucket_size`` sized to the longest path (a CJK name is three bytes a
    character), a directive a deployer's nginx.conf may already set (twice is an error).
    Blocks hold at most ``nginx_versions.MAP_CHUNK`` keys (chained by their defaults), so
    the default ``map_hash_max_size`` holds them.  *exact* (for the equivalence test):
    without them, as for ``render_nginx(..., exact=True)``.  *groups*: as for ``render_nginx``.
    """
    lines = ["# Generated by policykit.header_files; do not edit. Include in the http {} block.",
             *memento.accept_datetime_maps(build_year), ""]
    for tl in rules.timelines:
        lines += [*memento.timegate_map(tl), ""]
    if not exact and rules.timelines:
        lines += [*nginx_versions.csp_map(rules.security), *nginx_versions.maps(nginx_versions.plan(rules) if groups is None else groups, rules), ""]
    return "\n".join(lines) + "\n"


__all__ = [
    "HeaderRule", "CLOUDFLARE_MAX_RULES", "CLOUDFLARE_MAX_LINE", "encode_url_path", "link_form", "netlify_regex",
    "cloudflare_merge", "netlify_rules", "render_netlify", "nginx_quote", "render_nginx",
    "NetlifyChoice", "choose_netlify_rules", "more_header_sets_than", "render_nginx_maps",
]
