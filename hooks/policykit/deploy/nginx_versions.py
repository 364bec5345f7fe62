"""One nginx location per policy folder instead of one per file: the include stays small at archive scale.

An archive of 878 policies and 42,632 version pages needed one exact ``location`` per file, each
repeating the security headers, the cache headers, the purge tags and its Memento ``Link`` /
``Memento-Datetime`` literals: about 60 MB of ``nginx-headers.conf`` (``bench/bench_nginx_include.py``).
Here each policy folder ``B`` (a ``memento.Timeline``: a policy in one language) whose files a template
serves with exactly their own headers gets one ``location ^~ "/B"`` and, inside it, a few regex
locations that only name the files and capture what varies:

* ``(?<policykit_tail>...)``: after ``^.{L}`` (the ``L`` bytes of ``/B`` without its slash, which every
  URI there starts with), the file's path below ``B`` (``/``, ``/index.html``, ``/history/``,
  ``/versions/3/``, ``/feed.xml``, ...), listing only the files the folder has;
* ``(?<policykit_n>1..N)``: the version number, a regex of exactly the numbers that have a page
  (``number_range``), so ``versions/0/`` or a number past the last answers as before;
* ``set $policykit_f K``: the folder's short number (the only ``set``; read only where it is set).

No location of a folder has an ``add_header`` of its own: they inherit the ``server {}`` level's, whose
values are variables of the http-level ``nginx-maps.conf`` (``maps``), keyed by those captures and by
SHORT keys (the folder number, ``"K:n"``), never by a path, so no ``map_hash_bucket_size`` tuning
(``header_files.render_nginx_maps``).  An empty value sends no header, and outside a folder every
capture is unset (a regex's named capture is then empty, silently), so every other location (each
with its own ``add_header``, as before) and any location a deployer adds gets what it got before.
Two ``Link`` lines, one for the TimeGate and one for pages, keep each answer's header order.  Not
grouped (exact locations, as before): a policy at the site root (its prefix would be ``/``) and a folder
with a ``404.html`` inside it.

* version page ``N``: ``Memento-Datetime`` from ``"K:N"``; the ``Link``'s ``predecessor-version`` /
  ``successor-version`` parts from ``N - 1`` / ``N + 1`` (maps shared by every folder), empty for
  version 1 / the last (``"N:last"``, the same number twice), so the ``Link`` stays well-formed;
* ``source.md`` and the TimeMap: a nested location each, for ``types { } default_type``;
* ``B timegate``: its nested location keeps the ``return`` of ``memento.timegate_location``;
* ``B sitemap.xml`` (``UNTAGGED_TAILS``): a plain tail whose purge tags the maps leave empty, as its exact
  location had none;
* anything else under ``B`` (a URL with no file, ``versions/3`` before its redirect): a catch-all
  regex gives it the default class; ``error_page`` is the one the URL had before (the deepest folder
  with its own ``404.html`` containing ``B``, else the root's, ``error_pages``).

``plan`` renders every file's headers through the template in Python and compares them value by value
with its own exact location (``FileRule``); a file that differs keeps its exact location (which nginx
prefers to any prefix), and a folder whose version pages differ keeps one per version page.
``Content-Security-Policy`` in every other location is ``$policykit_csp`` (a constant map) when the
site has timelines (the include needs ``nginx-maps.conf`` then anyway); the server level keeps the literal.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from policykit.deploy import memento
from policykit.deploy.cache_rules import FileRule, SiteRules
from policykit.deploy.error_pages import NOT_FOUND_PAGE, not_found_folders
from policykit.pages.sitemaps import SITEMAP_NAME

CSP = "Content-Security-Policy"
CSP_VAR = "$policykit_csp"
#: Keys per map block: nginx's default ``map_hash_max_size`` (2048 buckets) holds them without a warning.
MAP_CHUNK = 1000

TAIL, NUMBER, REST, FOLDER = "$policykit_tail", "$policykit_n", "$policykit_rest", "$policykit_f"
BASE, LAST, SPAN = "$policykit_base", "$policykit_last", "$policykit_span"
TAGS, KEYS = "$policykit_ft", "$policykit_fk"
PREV, NEXT, PRED, SUCC, STAMP = "$policykit_prev", "$policykit_next", "$policykit_pred", "$policykit_succ", "$policykit_dt"
#: The server-level headers of a folder's locations, in this order; each value a variable of ``maps``.  Names of at
#: most 14 characters: two share a bucket of nginx's variables hash (64 bytes), which the TimeGates' long names fill.
SERVER_HEADERS = (("Vary", "$policykit_vary"), ("Link", "$policykit_gl"), ("Cache-Control", "$policykit_cc"),
                  ("Cache-Tag", "$policykit_tag"), ("Surrogate-Key", "$policykit_sk"),
                  ("Memento-Datetime", "$policykit_md"), ("Link", "$policykit_link"))

_TYPE = '; rel="timemap"; type="application/link-format"'
LINKS = {  # the Link of each kind of page, as memento.Timeline writes it; {base} is "/B" percent-encoded
    "original": '<{base}history/>; rel="version-history", <{base}timegate>; rel="timegate", <{base}timemap.link>' + _TYPE,
    "history": '<{base}>; rel="latest-version", <{base}timemap.link>' + _TYPE,
    "version": '<{base}>; rel="original", <{base}timegate>; rel="timegate", <{base}timemap.link>' + _TYPE
               + '{pred}{succ}, <{base}>; rel="latest-version", <{base}history/>; rel="version-history"',
    "timegate": '<{base}>; rel="original", <{base}timemap.link>' + _TYPE + "{span}",
}
PRED_PART = ', <{base}versions/{n}/>; rel="predecessor-version"'
SUCC_PART = ', <{base}versions/{n}/>; rel="successor-version"'
SPAN_PART = '; from="{first}"; until="{last}"'
_PAGE_TAILS = {"/": "original", "/index.html": "original", "/history/": "history", "/history/index.html": "history"}
_VERSION_TAIL = r"^/versions/[0-9]+/(?:index\.html)?$"
GATE_TAIL = "/" + memento.TIMEGATE_PATH
#: Files of a folder that carry no purge tags: its sitemap (``pages.sitemaps``, not in the registry).  Without a
#: tail of their own, each kept an exact location (360 B each, 324 KB of the long-documents archive's include).
UNTAGGED_TAILS = ("/" + SITEMAP_NAME,)

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FolderGroup:
    """One policy folder served by one prefix location and its nested ones."""

    timeline: memento.Timeline
    key: int  # the folder's number (the short map key)
    tags: tuple[str, str]  # Cache-Tag and Surrogate-Key of its files
    plain: tuple[str, ...]  # tails of files with the server's own Content-Type
    typed: tuple[tuple[str, tuple[str, ...]], ...]  # (Content-Type, tails) of the others
    versions: bool  # every version page is served by the template
    source_type: str | None  # Content-Type of source.md when every version's is served by the template
    timegate: bool  # B timegate is served here (else by memento.timegate_location, as before)
    error_page: str | None
    covered: frozenset[str]  # the files the template serves

    @property
    def last(self) -> int:
        return self.timeline.mementos[-1].number


def number_range(last: int) -> str:
    """A regex matching exactly the decimal numbers ``1..last`` (no leading zero, no sign)."""
    if last < 1:
        raise ValueError(f"no version numbers below 1: {last}")
    digits = str(last)
    alternatives = ["[1-9]" + (f"[0-9]{{{n - 1}}}" if n > 2 else "[0-9]" if n == 2 else "") for n in range(1, len(digits))]
    for i, ch in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(ch) > low:
            top = int(ch) - 1
            cls = f"[{low}-{top}]" if top > low else str(low)
            rest = len(digits) - i - 1
            alternatives.append(digits[:i] + cls + (f"[0-9]{{{rest}}}" if rest > 1 else "[0-9]" if rest else ""))
    alternatives.append(digits)
    return "(?:" + "|".join(alternatives) + ")"


def _span(tl: memento.Timeline) -> str:
    ordered = tl.by_time()
    return SPAN_PART.format(first=memento.imf_fixdate(ordered[0].datetime), last=memento.imf_fixdate(ordered[-1].datetime))


def expected(tl: memento.Timeline, tail: str, n: int | None, tags: tuple[str, str], version_cc: str,
             default_cc: str) -> list[tuple[str, str]]:
    """What the template sends for *tail* of *tl* (Python's reading of ``maps``), in ``SERVER_HEADERS`` order."""
    base = memento.url(tl.base)
    last = tl.mementos[-1].number
    gate = tail == GATE_TAIL
    kind = "version" if n is not None and re.match(_VERSION_TAIL, tail) else _PAGE_TAILS.get(tail)
    link = LINKS[kind].format(base=base, pred=PRED_PART.format(base=base, n=n - 1) if n and n > 1 else "",
                              succ=SUCC_PART.format(base=base, n=n + 1) if n and n < last else "") if kind else ""
    stamp = ""
    if kind == "version" and n is not None:
        hit = tl.mementos[n - 1] if 0 < n <= len(tl.mementos) and tl.mementos[n - 1].number == n else None
        stamp = memento.imf_fixdate(hit.datetime) if hit is not None else ""
    untagged = gate or tail in UNTAGGED_TAILS
    values = ["accept-datetime" if gate else "", LINKS["timegate"].format(base=base, span=_span(tl)) if gate else "",
              version_cc if n is not None else default_cc, "" if untagged else tags[0], "" if untagged else tags[1],
              stamp, link]
    return [(name, value) for (name, _), value in zip(SERVER_HEADERS, values, strict=True) if value]


def _old(fr: FileRule) -> list[tuple[str, str]]:
    """The headers of *fr*'s exact location, security headers aside, in SERVER_HEADERS order (Vary first)."""
    return [*((n, v) for n, v in fr.headers() if n != "Last-Modified"), *fr.memento_headers()]


def _error_page(folder: str, paths: frozenset[str], folders: Sequence[str]) -> str | None:
    """The 404 page a missing URL under *folder* got from the exact include (``error_pages``)."""
    for candidate in folders:  # deepest first
        if folder.startswith(candidate):
            return candidate + NOT_FOUND_PAGE
    return NOT_FOUND_PAGE if NOT_FOUND_PAGE in paths else None


def _tail_forms(tail: str) -> list[str]:
    return [tail, tail[: -len("index.html")]] if tail.endswith("/index.html") else [tail]


def _group(tl: memento.Timeline, under: list[FileRule], by_path: dict[str, FileRule], rules: SiteRules,
           error_page: str | None, version_cc: str) -> FolderGroup | None:
    default_cc = rules.default.cache_control
    pages = [by_path.get(m.path) for m in tl.mementos]
    first = pages[0]
    if first is None or len(first.tags) != 2:
        return None
    tags = (", ".join(first.tags), " ".join(first.tags))
    if any(ch in part for part in (memento.url(tl.base), *tags) for ch in '$\\"{}'):
        return None  # a literal nginx would read as a variable (names are percent-encoded: never here)
    base = tl.base
    numbers = [m.number for m in tl.mementos]
    versions = numbers == list(range(1, len(numbers) + 1)) and all(
        fr is not None and fr.content_type is None
        and _old(fr) == expected(tl, f"/versions/{n}/", n, tags, version_cc, default_cc)
        for n, fr in zip(numbers, pages, strict=True))
    covered: set[str] = set()
    if versions:
        covered.update(m.path for m in tl.mementos)
    sources = [by_path.get(f"{base}versions/{n}/source.md") for n in numbers]
    source_type = sources[0].content_type if versions and sources[0] is not None else None
    if source_type is None or not all(
            s is not None and s.content_type == source_type and s.memento_info is None
            and _old(s) == expected(tl, f"/versions/{n}/source.md", n, tags, version_cc, default_cc)
            for n, s in zip(numbers, sources, strict=True)):
        source_type = None
    else:
        covered.update(s.path for s in sources if s is not None)
    plain: list[str] = []
    typed: dict[str, list[str]] = {}
    for fr in under:
        tail = "/" + fr.path[len(base):]
        if fr.path in covered or tail.startswith("/versions/") or tail == GATE_TAIL:
            continue
        if fr.cache.name != rules.default.name or _old(fr) != expected(tl, tail, None, tags, version_cc, default_cc):
            continue  # keeps its exact location
        (typed.setdefault(fr.content_type, []) if fr.content_type is not None else plain).extend(_tail_forms(tail))
        covered.add(fr.path)
    gate = [("Vary", "accept-datetime"), ("Link", memento.render_links(tl.timegate_links())), ("Cache-Control", default_cc)]
    return FolderGroup(tl, 0, tags, tuple(plain), tuple((t, tuple(v)) for t, v in sorted(typed.items())), versions,
                       source_type, gate == expected(tl, GATE_TAIL, None, tags, version_cc, default_cc), error_page,
                       frozenset(covered))


def plan(rules: SiteRules) -> list[FolderGroup]:
    """The policy folders a template serves, each file with exactly the headers of its own exact location."""
    by_path = rules.by_path()
    paths = frozenset(by_path)
    folders = not_found_folders(paths)
    bases = {tl.base for tl in rules.timelines}
    version_cc = next((by_path[m.path].cache.cache_control for tl in rules.timelines for m in tl.mementos
                       if m.path in by_path), None)
    if version_cc is None:
        return []
    under: dict[str, list[FileRule]] = {b: [] for b in bases}
    for fr in rules.files:  # each file under the folder that contains it most closely (one pass)
        at = fr.path.rfind("/")
        while at != -1:
            found = under.get(fr.path[: at + 1])
            if found is not None:
                found.append(fr)
                break
            at = fr.path.rfind("/", 0, at)
    out: list[FolderGroup] = []
    for tl in rules.timelines:
        if not tl.base or any(f.startswith(tl.base) for f in folders):
            continue  # a policy at the site root (its prefix would be "/") or a 404 page inside: exact locations
        group = _group(tl, under[tl.base], by_path, rules, _error_page(tl.base, paths, folders), version_cc)
        if group is not None and (group.covered or group.timegate):
            out.append(dataclasses.replace(group, key=len(out)))
    return out


def security(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The security headers with the CSP read from ``$policykit_csp`` (``csp_map``)."""
    return [(name, CSP_VAR if name == CSP else value) for name, value in headers]


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_headers() -> list[str]:
    """The server-level ``add_header`` lines the folders' locations inherit (empty everywhere else)."""
    return [f"add_header {name} {_q(var)} always;" for name, var in SERVER_HEADERS]


def location(group: FolderGroup) -> list[str]:
    """The ``location ^~ "/B"`` block of *group*."""
    tl = group.timeline
    # Inside "^~ /B" every URI starts with "/B": skip its bytes (nginx's PCRE is not in UTF mode, "." is one byte,
    # and file names hold no line break) instead of repeating the folder's name in each nested location.
    stem = f"^.{{{len(('/' + tl.base[:-1]).encode('utf-8'))}}}"
    set_key = f"        set {FOLDER} {group.key};"
    numbers = number_range(group.last)
    lines = [f"location ^~ {_q('/' + tl.base)} {{"]
    if group.error_page is not None:
        lines.append(f"    error_page 404 {_q('/' + group.error_page)};")

    def nested(tails: list[str], body: list[str]) -> None:
        lines.append(f"    location ~ {_q(stem + '(?<policykit_tail>' + '|'.join(tails) + ')$')} {{")
        lines.extend([set_key, *body, "    }"])

    plain = [re.escape(t) for t in group.plain]
    if group.versions:
        plain.append(r"/versions/(?<policykit_n>" + numbers + r")/(?:index\.html)?")
    if plain:
        nested(plain, [])
    for content_type, tails in group.typed:
        nested([re.escape(t) for t in tails], ["        types { }", f"        default_type {_q(content_type)};"])
    if group.source_type is not None:
        nested([r"/versions/(?<policykit_n>" + numbers + r")/source\.md"],
               ["        types { }", f"        default_type {_q(group.source_type)};"])
    if group.timegate:
        nested([re.escape(GATE_TAIL)], ["        absolute_redirect off;",
                                        f'        if ({memento.ACCEPT_DATETIME_VAR} = "bad") {{',
                                        "            return 400;", "        }",
                                        f"        return 302 {memento.timegate_var(tl)};"])
    lines += ['    location ~ "^(?<policykit_rest>/)" {', "    }", "}"]
    return lines


def _chunked(var: str, source: str, pairs: list[tuple[str, str]], default: str = "") -> list[str]:
    """``map source var`` over *pairs*, in blocks of ``MAP_CHUNK`` keys chained by their defaults."""
    chunks = [pairs[i:i + MAP_CHUNK] for i in range(0, len(pairs), MAP_CHUNK)] or [[]]
    lines = []
    for i, chunk in enumerate(chunks):
        after = f"{var}_{i + 1}" if i + 1 < len(chunks) else default
        lines.append(f"map {source} {var if i == 0 else f'{var}_{i}'} {{")
        lines.append(f"    default {_q(after)};")
        lines += [f"    {_q(key)} {_q(value)};" for key, value in chunk]
        lines.append("}")
    return lines


def csp_map(secure: Iterable[tuple[str, str]]) -> list[str]:
    """The constant map giving ``$policykit_csp`` the site's Content-Security-Policy."""
    value = dict(secure).get(CSP)
    return [] if value is None else [f'map "" {CSP_VAR} {{', f"    default {_q(value)};", "}"]


def maps(groups: Sequence[FolderGroup], rules: SiteRules) -> list[str]:
    """The http-level maps behind ``SERVER_HEADERS`` (a fixed number of variables, whatever the archive's size)."""
    if not groups:
        return []
    by_path = rules.by_path()
    version_cc = next(by_path[m.path].cache.cache_control for g in groups for m in g.timeline.mementos
                      if m.path in by_path)
    top = max(g.last for g in groups)
    var = {"base": "${policykit_base}", "pred": PRED, "succ": SUCC, "span": SPAN}
    links = {kind: _q(text.format(**var)) for kind, text in LINKS.items()}
    v = dict(SERVER_HEADERS)
    lines = [
        "# Policy folders (policykit.deploy.nginx_versions): each header by the captured tail, then by folder.",
        f"map {TAIL} {v['Vary']} {{", '    default "";', f'    {_q(GATE_TAIL)} "accept-datetime";', "}",
        f"map {TAIL} {SERVER_HEADERS[1][1]} {{", '    default "";', f"    {_q(GATE_TAIL)} {links['timegate']};", "}",
        f'map "{NUMBER}|{TAIL}|{REST}" {v["Cache-Control"]} {{', f"    default {_q(rules.default.cache_control)};",
        '    "||" "";', f"    \"~^[0-9]\" {_q(version_cc)};", "}",
        f"map {TAIL} {v['Cache-Tag']} {{", f"    default {_q(TAGS)};", '    "" "";', f'    {_q(GATE_TAIL)} "";',
        *(f'    {_q(t)} "";' for t in UNTAGGED_TAILS), "}",
        f"map {TAIL} {v['Surrogate-Key']} {{", f"    default {_q(KEYS)};", '    "" "";', f'    {_q(GATE_TAIL)} "";',
        *(f'    {_q(t)} "";' for t in UNTAGGED_TAILS), "}",
        f"map {TAIL} {v['Memento-Datetime']} {{", '    default "";', f"    {_q('~' + _VERSION_TAIL)} {_q(STAMP)};", "}",
        f"map {TAIL} {SERVER_HEADERS[6][1]} {{", '    default "";',
        *(f"    {_q(tail)} {links[kind]};" for tail, kind in _PAGE_TAILS.items()),
        f"    {_q('~' + _VERSION_TAIL)} {links['version']};", "}",
        *_chunked(PREV, NUMBER, [(str(n), str(n - 1)) for n in range(2, top + 1)]),
        *_chunked(NEXT, NUMBER, [(str(n), str(n + 1)) for n in range(1, top)]),
        f"map {PREV} {PRED} {{", f"    default {_q(PRED_PART.format(base=var['base'], n='${policykit_prev}'))};",
        '    "" "";', "}",
        f'map "{NUMBER}:{LAST}" {SUCC} {{', f"    default {_q(SUCC_PART.format(base=var['base'], n='${policykit_next}'))};",
        f"    {_q('~^([0-9]+):' + chr(92) + '1$')} \"\";", "}",
        "# By folder (its number is set in its locations): base URL, purge tags, last version, TimeGate span.",
    ]
    keyed = [(str(g.key), g) for g in groups]
    lines += _chunked(BASE, FOLDER, [(k, memento.url(g.timeline.base)) for k, g in keyed])
    lines += _chunked(TAGS, FOLDER, [(k, g.tags[0]) for k, g in keyed])
    lines += _chunked(KEYS, FOLDER, [(k, g.tags[1]) for k, g in keyed])
    lines += _chunked(LAST, FOLDER, [(k, str(g.last)) for k, g in keyed])
    lines += _chunked(SPAN, FOLDER, [(k, _span(g.timeline)) for k, g in keyed])
    lines.append("# Memento-Datetime by folder and version number.")
    lines += _chunked(STAMP, f'"{FOLDER}:{NUMBER}"', [(f"{g.key}:{m.number}", memento.imf_fixdate(m.datetime))
                                                       for g in groups if g.versions for m in g.timeline.mementos])
    return lines


__all__ = ["FolderGroup", "number_range", "plan", "location", "maps", "security", "csp_map", "server_headers",
           "expected", "CSP_VAR", "MAP_CHUNK", "SERVER_HEADERS"]
