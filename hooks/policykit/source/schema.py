"""The front matter editors may write at the top of a page, and its validation.

Documented in README.md, "Front matter".  Every problem names the file, the
key (and the line where YAML knows it), what was expected and what was
found, so that an editor can fix it without reading a traceback.

MkDocs itself swallows a front matter that is not valid YAML (the page then
silently loses all its keys and shows the YAML as text), and reads plain
``Key: value`` lines at the top of a file without ``---`` as metadata; both
are caught here.  Dates are read as text (no YAML timestamps), so that
``effective: 2024-02-30`` reaches policykit.effective, which explains it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, Callable, Mapping

import yaml

from policykit.source import safeyaml
from policykit.source.text import split_front_matter, unclosed_front_matter
from policykit.source.writtendate import EXAMPLES, WrittenDateError, parse_written_date

_BOM = b"\xef\xbb\xbf"

#: Material's ``hide`` values (https://squidfunk.github.io/mkdocs-material/setup/setting-up-navigation/).
HIDE_VALUES = ("navigation", "toc", "footer", "path", "tags", "feedback")


class FrontMatterSchemaError(ValueError):
    """One or more problems in one file's front matter; ``problems`` lists them."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


# ------------------------------------------------------------- file names

#: Characters refused in file names under docs (see README.md, "Front matter").
NAME_CHARS_REFUSED = {
    "`": "breaks Markdown and shell commands",
    "\\": "is a folder separator on Windows",
    "*": "is a wildcard in _headers (Netlify, Cloudflare Pages) that browsers do not encode",
}
#: Markdown sources larger than this are refused: rendering 1 MB takes seconds, 10 MB minutes.
MAX_MARKDOWN_BYTES = 1024 * 1024


def check_file_name(path: str) -> str | None:
    """Why the docs-relative *path* cannot be published, or None when it can."""
    if any(segment.startswith(":") for segment in path.split("/")):
        return "a part of its path starts with ':', which _headers (Netlify, Cloudflare Pages) reads as a placeholder"
    for ch in path:
        if ch in NAME_CHARS_REFUSED:
            return f"its name contains {ch!r}, which {NAME_CHARS_REFUSED[ch]}"
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
            return f"its name contains the invisible or control character U+{ord(ch):04X}"
    return None


# ------------------------------------------------------------------- loading


class _Loader(safeyaml.SafeLoader):
    """SafeLoader without timestamps (dates stay text) that refuses duplicate keys, aliases and deep nesting."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' is written twice (first on line {seen[key] + 2}); keep one", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        except TypeError:
            pass  # unhashable key: construct_mapping reports it
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


@dataclass(frozen=True)
class FrontMatter:
    """A file's front matter: its keys, and the file line each key is written on."""

    data: dict[str, Any]
    lines: dict[str, int]
    present: bool  # the file has a '---' block


def load_front_matter(raw: bytes, path: str) -> FrontMatter:
    """Parse the ``---`` block of *raw* (a file's bytes); errors name *path* and the file line."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FrontMatterSchemaError(
            path, [f"line {line}: the file is not valid UTF-8 text (byte {exc.start}). Save it as UTF-8 in your editor."]
        ) from exc
    if b"\0" in raw:
        at = raw.index(b"\0")
        line = raw.count(b"\n", 0, at) + 1
        raise FrontMatterSchemaError(
            path, [f"line {line}: the file contains a NUL byte (byte {at}); Markdown is text. "
                   "Remove it (it often means the file is not a text file, or an editor damaged it)."]
        )
    if unclosed_front_matter(raw):
        raise FrontMatterSchemaError(
            path, ["line 1: the file starts with '---' (front matter) but no line '---' or '...' ends it, so the "
                   "front matter would be published as policy text. Add a line '---' after the last 'key: value' "
                   "line (followed by a line break); if the '---' is meant as a horizontal rule, put a heading first."]
        )
    fm, _ = split_front_matter(raw)
    if not fm and not raw.lstrip(_BOM).startswith(b"---"):
        return FrontMatter({}, {}, False)
    offset = 2  # file line of the YAML's first line: after the opening '---'
    text = fm.decode("utf-8")
    if not text.strip():
        return FrontMatter({}, {}, True)
    try:
        data, node = safeyaml.read(text, _Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + offset}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, safeyaml.RefusedYAML):
            raise FrontMatterSchemaError(path, [f"{where}front matter: {problem}."]) from exc
        raise FrontMatterSchemaError(
            path,
            [f"{where}the front matter (between the '---' lines) is not valid YAML: {problem}. "
             "Write one 'key: value' per line; put quotes around a value containing ': ' or starting with a special character."],
        ) from exc
    if data is None:
        return FrontMatter({}, {}, True)
    if not isinstance(data, dict):
        raise FrontMatterSchemaError(
            path, [f"line {offset}: the front matter must be 'key: value' lines, found {type(data).__name__} {data!r}."]
        )
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            lines[str(key_node.value)] = key_node.start_mark.line + offset
    return FrontMatter(data, lines, True)


# ------------------------------------------------------------------ checking


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, list):
        return f"a list ({value!r})"
    if isinstance(value, dict):
        return f"a mapping ({value!r})"
    return f"{type(value).__name__} {value!r}"


Check = Callable[[Any], "str | None"]  # None: valid; else what was expected


#: Material writes ``description`` into the page without escaping it (``<meta name="description"
#: content="...">``), so it must not contain markup.  ``title`` may: hooks/mkdocs_titles.py escapes
#: every title exactly once wherever Material writes it.
_MARKUP = ("<", ">", '"')


def _text(*, non_empty: bool, plain: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if plain and isinstance(value, str) and any(ch in value for ch in _MARKUP):
            return f"plain text without {' '.join(_MARKUP)} (use “ ” for quotes)"
        if value is None and non_empty:
            return "non-empty text"
        if not isinstance(value, str):
            return "text (put it in quotes if it looks like a number, a date or true/false)"
        if non_empty and not value.strip():
            return "non-empty text"
        return None
    return check


def _effective(value: Any) -> str | None:
    """The one date parser (policykit.writtendate), so the error names the file, the line and the value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        return f"a date written as {EXAMPLES}"
    try:
        parse_written_date(value)
    except WrittenDateError as exc:
        return f"a date: {exc}"
    return None


def _hide(value: Any) -> str | None:
    want = f"a list of some of: {', '.join(HIDE_VALUES)}"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return want
    bad = [v for v in value if v not in HIDE_VALUES]
    return f"{want} (unknown: {', '.join(bad)})" if bad else None


def _search(value: Any) -> str | None:
    want = "a mapping with 'exclude: true' and/or 'boost: <number>'"
    if not isinstance(value, dict) or not value or set(value) - {"exclude", "boost"}:
        return want
    if "exclude" in value and not isinstance(value["exclude"], bool):
        return want + " ('exclude' must be true or false)"
    if "boost" in value and (isinstance(value["boost"], bool) or not isinstance(value["boost"], (int, float))):
        return want + " ('boost' must be a number)"
    return None


def _version_number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return "a version number of the original, 1 or more, e.g. 'translation_of: 3'"
    return None


def _template(value: Any) -> str | None:
    if not isinstance(value, str) or not value.endswith(".html") or ".." in value or value.startswith("/"):
        return "the name of a theme template such as 'main.html'"
    return None


#: key -> (check, what it is for).  Keys not listed here are refused.
SCHEMA: dict[str, tuple[Check, str]] = {
    "title": (_text(non_empty=True), "the page title (tab, navigation, feeds, archive); default: the first heading"),
    "description": (_text(non_empty=False, plain=True), "the summary for search engines and link previews (<meta name=description>)"),
    "effective": (_effective, "the date this text takes effect, e.g. 2025-10-29 or 29 October 2025"),
    "change_note": (_text(non_empty=True), "what changed in this version, for readers (history page, feeds); default: none ('first published' / 'no summary given'; see commit_subjects_as_notes)"),
    "translation_of": (_version_number, "a translation: the version of the original it translates (decides whether it lags, instead of dates)"),
    "hide": (_hide, "Material: parts of the page to hide, e.g. [toc]"),
    "search": (_search, "Material/MkDocs search: 'exclude: true' keeps the page out of search, 'boost: 2' ranks it higher"),
    "template": (_template, "MkDocs: the theme template to render the page with"),
}


#: Keys of another convention (Jekyll, GitHub Pages) that would change a page's URL; never applied here.
URL_KEYS = ("permalink", "redirect_from", "redirect_to")
#: Keys the build sets on pages itself (policy_ref, policy_stamp, ...): never written by editors.
RESERVED_PREFIX = "policy_"
#: What ``unknown_front_matter`` may be: refuse unknown keys, or keep them and report them at INFO.
UNKNOWN_MODES = ("info", "error")


def unknown_keys(fm: FrontMatter | Mapping[str, Any]) -> list[str]:
    """The keys of *fm* the tool does not know (kept in ``page.meta`` for the theme when allowed)."""
    data = fm.data if isinstance(fm, FrontMatter) else dict(fm)
    return [key for key in data if isinstance(key, str) and key not in SCHEMA and not key.startswith(RESERVED_PREFIX)]


def validate(fm: FrontMatter | Mapping[str, Any], path: str, *, unknown: str = "error") -> None:
    """Raise FrontMatterSchemaError listing every problem of *fm* (file *path*).

    With ``unknown="info"`` a key the tool does not know is no problem (the
    caller reports it, see unknown_keys); keys the build sets itself and keys
    that are not text stay errors.
    """
    data = fm.data if isinstance(fm, FrontMatter) else dict(fm)
    lines = fm.lines if isinstance(fm, FrontMatter) else {}
    problems: list[str] = []
    for key, value in data.items():
        at = f"line {lines[str(key)]}: " if str(key) in lines else ""
        if not isinstance(key, str) or key not in SCHEMA:
            if unknown == "info" and isinstance(key, str) and not key.startswith(RESERVED_PREFIX):
                continue
            hint = get_close_matches(str(key), SCHEMA, n=1, cutoff=0.6)
            tip = f" Did you mean '{hint[0]}'?" if hint else ""
            why = (f" Keys starting with '{RESERVED_PREFIX}' are set by the build." if isinstance(key, str)
                   and key.startswith(RESERVED_PREFIX) else "")
            problems.append(
                f"{at}unknown front matter key '{key}'.{tip}{why} Allowed keys: {', '.join(SCHEMA)} "
                "(see README.md, section Front matter)."
            )
            continue
        check, _ = SCHEMA[key]
        expected = check(value)
        if expected is not None:
            problems.append(f"{at}front matter key '{key}': expected {expected}, found {_describe(value)}.")
    if problems:
        raise FrontMatterSchemaError(path, problems)


def check_source(raw: bytes, path: str, *, unknown: str = "error") -> FrontMatter:
    """Load and validate the front matter of one source file's bytes."""
    fm = load_front_matter(raw, path)
    validate(fm, path, unknown=unknown)
    return fm
