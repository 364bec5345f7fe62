"""One nginx location per policy folder's ``versions/`` instead of one per version page (the include at archive scale).

An archive of 878 policies and 42,632 version pages needed one exact ``location`` per file, each
repeating the security headers, the cache headers, the purge tags and its Memento ``Link`` /
``Memento-Datetime`` literals: about 60 MB of ``nginx-headers.conf``.  Here, for each timeline
(``memento.Timeline``, a policy folder ``B``) whose version pages can be served by a template:

* ``location ^~ "/B versions/"``: anything under it that no nested location takes (``versions/0/``,
  a number past the last, ``versions/3`` before its redirect to ``versions/3/``, a stray name) gets
  the default class and the security headers, and the ``error_page`` the URL had before: the
  deepest folder with its own ``404.html`` that contains it, else the root's (``error_pages``);
* nested ``location ~ "^/B versions/(?<policykit_n>1..N)/(?:index\\.html)?$"``: the version page.
  Its per-version values come from maps of the http-level ``nginx-maps.conf`` keyed by that number
  (short keys, so no ``map_hash_bucket_size`` tuning, see ``header_files.render_nginx_maps``):
  ``Memento-Datetime`` from the timeline's own map, and the ``Link``'s ``predecessor-version`` /
  ``successor-version`` parts from two small maps per timeline, each an empty string where there is
  no such version (version 1, the last), so the ``Link`` stays well-formed (no dangling comma);
  the numbers ``n - 1`` and ``n + 1`` from two maps shared by every timeline;
* nested ``location ~ "^/B versions/(?:1..N)/source\\.md$"`` when every version has a ``source.md``
  with the same headers (``types { } default_type``: its own Content-Type);
* nested exact locations for any other file under ``B versions/`` (as before).

The number range ``1..N`` is a regex (``number_range``), so a number that has no page falls to the
folder's fallback exactly as it fell to ``location /`` before.  A timeline is grouped only when the
template gives every one of its version pages exactly the headers of its own exact location
(``plan`` checks it value by value); otherwise it keeps its exact locations.

``Content-Security-Policy`` (the longest value: the theme's script hashes) is ``$policykit_csp``, a
constant map of the same http-level include, in every location when the site has timelines (the
include needs ``nginx-maps.conf`` then anyway); the server-level line keeps the literal.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from policykit.deploy import memento
from policykit.deploy.cache_rules import FileRule, SiteRules
from policykit.deploy.error_pages import NOT_FOUND_PAGE, not_found_folders

CSP = "Content-Security-Policy"
CSP_VAR = "$policykit_csp"
NUMBER_VAR = "$policykit_n"
PREV_VAR = "$policykit_prev"
NEXT_VAR = "$policykit_next"
FOLDER_VAR = "$policykit_folder"  # set in a version page's location: its folder's key
LAST_VAR = "$policykit_last"  # set there: the folder's last version number
BASE_VAR = "$policykit_base"  # set there: "/B versions/", percent-encoded as links are
DATETIME_VAR = "$policykit_datetime"
PRED_VAR = "$policykit_pred"
SUCC_VAR = "$policykit_succ"
#: Keys per map block: nginx's default ``map_hash_max_size`` (2048 buckets) holds them without a warning.
MAP_CHUNK = 1000

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class VersionGroup:
    """The version pages of one timeline, served by one prefix location and its nested ones."""

    timeline: memento.Timeline
    key: int  # the folder's number among the groups (the short map key)
    headers: Headers  # Cache-Control and tags of every version page (the same for all of them)
    source: FileRule | None  # the first source.md when every version has one with the same headers
    strays: tuple[FileRule, ...]  # any other file under B versions/: exact nested locations
    error_page: str | None  # site path of the 404 page for URLs under B versions/ that have no file
    covered: frozenset[str]  # the files the regex locations serve

    @property
    def prefix(self) -> str:
        return "/" + self.timeline.base + "versions/"

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


def _link_template(tl: memento.Timeline) -> tuple[str, str, str, str]:
    """(head, predecessor part, successor part, tail) of a version page's Link; ``{n}`` is the neighbour's number."""
    links = tl.version_links(tl.mementos[0])
    head = memento.render_links(link for link in links[:3])
    tail = memento.render_links(link for link in links[3:] if link.rel not in ("predecessor-version", "successor-version"))
    base = memento.url(tl.base + "versions/")
    return (head, f', <{base}{{n}}/>; rel="predecessor-version"', f', <{base}{{n}}/>; rel="successor-version"', ", " + tail)


def _expected_link(tl: memento.Timeline, n: int, parts: tuple[str, str, str, str]) -> str:
    head, pred, succ, tail = parts
    last = tl.mementos[-1].number
    return head + (pred.format(n=n - 1) if n > 1 else "") + (succ.format(n=n + 1) if n < last else "") + tail


def _without_last_modified(fr: FileRule) -> Headers:
    return tuple((n, v) for n, v in fr.headers() if n != "Last-Modified")


def _error_page(folder: str, paths: Iterable[str], folders: Sequence[str]) -> str | None:
    """The 404 page a missing URL under *folder* got from the old include (``error_pages``)."""
    for candidate in folders:  # deepest first
        if folder.startswith(candidate):
            return candidate + NOT_FOUND_PAGE
    return NOT_FOUND_PAGE if NOT_FOUND_PAGE in paths else None


def _group(tl: memento.Timeline, by_path: dict[str, FileRule], under: list[FileRule],
           error_page: str | None) -> VersionGroup | None:
    numbers = [m.number for m in tl.mementos]
    if numbers != list(range(1, len(numbers) + 1)):
        return None
    pages = [by_path.get(m.path) for m in tl.mementos]
    if any(fr is None or fr.content_type is not None or fr.memento_info is None for fr in pages):
        return None
    found = [fr for fr in pages if fr is not None]
    headers = _without_last_modified(found[0])
    parts = _link_template(tl)
    if any("$" in part or "\\" in part for part in parts):
        return None  # a literal the nginx string would read as a variable
    for m, fr in zip(tl.mementos, found):
        want = (("Memento-Datetime", memento.imf_fixdate(m.datetime)), ("Link", _expected_link(tl, m.number, parts)))
        if _without_last_modified(fr) != headers or fr.memento_headers() != want:
            return None
    sources = [by_path.get(tl.base + f"versions/{n}/source.md") for n in numbers]
    source = sources[0]
    if source is None or any(s is None or s.content_type != source.content_type
                             or _without_last_modified(s) != _without_last_modified(source) or s.memento_info
                             for s in sources):
        source = None
    covered = {fr.path for fr in found} | ({s.path for s in sources if s is not None} if source is not None else set())
    strays = tuple(fr for fr in under if fr.path not in covered)
    return VersionGroup(tl, 0, headers, source, strays, error_page, frozenset(covered))


def plan(rules: SiteRules) -> list[VersionGroup]:
    """The timelines whose version pages a template serves with exactly their own headers, by folder."""
    by_path = rules.by_path()
    paths = frozenset(by_path)
    folders = not_found_folders(paths)
    bases = [tl.base for tl in rules.timelines]
    under: dict[str, list[FileRule]] = {tl.base + "versions/": [] for tl in rules.timelines}
    for fr in rules.files:  # each file under the B versions/ folders that contain it (one pass)
        at = fr.path.find("versions/")
        while at != -1:
            if at == 0 or fr.path[at - 1] == "/":
                found = under.get(fr.path[: at + len("versions/")])
                if found is not None:
                    found.append(fr)
            at = fr.path.find("versions/", at + 1)
    out = []
    for tl in rules.timelines:
        folder = tl.base + "versions/"
        if any(b != tl.base and b.startswith(folder) for b in bases) or any(f.startswith(folder) for f in folders):
            continue  # another policy or a 404 page inside B versions/: keep the exact locations
        group = _group(tl, by_path, under[folder], _error_page(folder, paths, folders))
        if group is not None:
            out.append(dataclasses.replace(group, key=len(out)))
    return out


def security(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The security headers with the CSP read from ``$policykit_csp`` (``csp_map``)."""
    return [(name, CSP_VAR if name == CSP else value) for name, value in headers]


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _adds(headers: Iterable[tuple[str, str]], indent: str) -> list[str]:
    return [f"{indent}add_header {name} {_q(value)} always;" for name, value in headers]


def _regex(path: str) -> str:
    """A PCRE literal of a decoded path (nginx matches the decoded URI byte by byte)."""
    return re.escape(path)


def location(group: VersionGroup, default: Headers, secure: Sequence[tuple[str, str]],
             exact: Callable[[FileRule, str], list[str]]) -> list[str]:
    """The ``location ^~ "/B versions/"`` block of *group*; *exact* renders a stray file's nested location."""
    tl = group.timeline
    head, _, _, tail = _link_template(tl)
    numbers = number_range(group.last)
    base = _regex(group.prefix)
    lines = [f"location ^~ {_q(group.prefix)} {{"]
    if group.error_page is not None:
        lines.append(f"    error_page 404 {_q('/' + group.error_page)};")
    lines += _adds([*default, *secure], "    ")
    page = "^" + base + "(?<policykit_n>" + numbers + r")/(?:index\.html)?$"
    lines.append(f"    location ~ {_q(page)} {{")
    lines += [f"        set {FOLDER_VAR} {group.key};", f"        set {LAST_VAR} {group.last};",
              f"        set {BASE_VAR} {_q(memento.url(tl.base + 'versions/'))};"]
    lines += _adds([*group.headers, ("Memento-Datetime", DATETIME_VAR), ("Link", head + PRED_VAR + SUCC_VAR + tail),
                    *secure], "        ")
    lines.append("    }")
    if group.source is not None:
        source = "^" + base + numbers + r"/source\.md$"
        lines.append(f"    location ~ {_q(source)} {{")
        if group.source.content_type is not None:
            lines += ["        types { }", f"        default_type {_q(group.source.content_type)};"]
        lines += _adds([*_without_last_modified(group.source), *secure], "        ")
        lines.append("    }")
    for fr in group.strays:
        lines += exact(fr, "    ")
    lines.append("}")
    return lines


def _chunked(var: str, source: str, pairs: list[tuple[str, str]]) -> list[str]:
    """``map source var`` over *pairs*, in blocks of ``MAP_CHUNK`` keys chained by their defaults."""
    chunks = [pairs[i:i + MAP_CHUNK] for i in range(0, len(pairs), MAP_CHUNK)] or [[]]
    lines = []
    for i, chunk in enumerate(chunks):
        after = f"{var}_{i + 1}" if i + 1 < len(chunks) else ""
        lines.append(f"map {source} {var if i == 0 else f'{var}_{i}'} {{")
        lines.append(f"    default {_q(after)};")
        lines += [f"    {key} {_q(value)};" for key, value in chunk]
        lines.append("}")
    return lines


def csp_map(secure: Iterable[tuple[str, str]]) -> list[str]:
    """The constant map giving ``$policykit_csp`` the site's Content-Security-Policy."""
    value = dict(secure).get(CSP)
    return [] if value is None else [f'map "" {CSP_VAR} {{', f"    default {_q(value)};", "}"]


def maps(groups: Sequence[VersionGroup]) -> list[str]:
    """The http-level maps the groups' locations read (a fixed number of variables, whatever the archive's size).

    ``$policykit_datetime``: Memento-Datetime by ``"<folder key>:<n>"`` (``MAP_CHUNK`` keys a block, the
    blocks chained by their defaults); ``$policykit_pred`` / ``$policykit_succ``: the Link's
    predecessor / successor parts, empty for version 1 / the last (``"<n>:<last>"`` with the same number
    twice), from ``n - 1`` and ``n + 1`` (two maps shared by every folder).
    """
    if not groups:
        return []
    top = max(g.last for g in groups)
    pred = ', <${policykit_base}${policykit_prev}/>; rel="predecessor-version"'
    succ = ', <${policykit_base}${policykit_next}/>; rel="successor-version"'
    lines = ["# Version pages (policykit.deploy.nginx_versions).",
             *_chunked(PREV_VAR, NUMBER_VAR, [(str(n), str(n - 1)) for n in range(2, top + 1)]),
             *_chunked(NEXT_VAR, NUMBER_VAR, [(str(n), str(n + 1)) for n in range(1, top)]),
             f"map {PREV_VAR} {PRED_VAR} {{", '    "" "";', f"    default {_q(pred)};", "}",
             f'map "{NUMBER_VAR}:{LAST_VAR}" {SUCC_VAR} {{', f"    {_q('~^([0-9]+):' + chr(92) + '1$')} \"\";",
             f"    default {_q(succ)};", "}",
             "# Memento-Datetime by folder (one per policy and language, numbered in the include) and version."]
    pairs = [(f"{g.key}:{m.number}", memento.imf_fixdate(m.datetime)) for g in groups for m in g.timeline.mementos]
    lines += _chunked(DATETIME_VAR, f'"{FOLDER_VAR}:{NUMBER_VAR}"', pairs)
    return lines


__all__ = ["VersionGroup", "number_range", "plan", "location", "maps", "security", "csp_map", "CSP_VAR", "MAP_CHUNK"]
