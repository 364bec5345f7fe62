"""A policy source file as text: front matter, body, and what counts as a change.

Two versions of a file are the same policy text when readers see the same
text: their bodies are equal after ``normalized_body`` (front matter ignored).
``content_key`` turns that rule into a digest, so a commit that only changes
what readers cannot see never becomes a version, and one that changes what
they see always does.  The rule, line by line (see ``normalized_body``):

* line endings: CRLF and CR are LF;
* outside fenced code blocks, a line of ASCII spaces and tabs only is a blank
  line (a paragraph break, as in Markdown) and runs of blank lines count as
  one; a line made only of whitespace that includes a Unicode space (NBSP,
  U+3000, ...) or a zero-width character is dropped (Markdown keeps it as an
  invisible line of the paragraph around it);
* trailing whitespace (every Unicode space and zero-width character) is
  stripped, except a Markdown hard break: a line that Python-Markdown ends
  with two or more spaces (tabs expanded to 4 columns; an NBSP does not
  count), followed by another line of text, keeps exactly one hard-break
  marker (two spaces).  Headings and the last line before a blank line have
  no hard break;
* U+200B (zero-width space), U+2060 (word joiner) and U+FEFF are dropped
  everywhere; ZWNJ/ZWJ (U+200C/U+200D) are kept inside text, because they
  change how emoji and some scripts are drawn;
* at the start of a paragraph (the first line of the body, or the line after
  a blank line or a heading), leading Unicode spaces and zero-width
  characters are dropped: Python-Markdown strips them, so the Chinese
  indentation ``\u3000\u3000`` there is invisible on the page.  Leading
  ASCII spaces and tabs are kept (they make lists and code blocks);
* NBSP, U+3000 and every other character inside a line are kept, and so are
  leading spaces of the other lines;
* inside a fenced code block (``` or ~~~) every line is kept, blank or not,
  with its trailing whitespace stripped: blank lines there are visible.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import yaml

# The same front-matter rule as MkDocs (mkdocs.utils.meta): a YAML block
# between '---' lines at the very start of the file.
_FRONT_MATTER = re.compile(rb"\A-{3}[ \t]*\r?\n(.*?\r?\n)?(?:\.{3}|-{3})[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_BLANK_RUNS = re.compile(rb"\n{3,}")
_BOM = b"\xef\xbb\xbf"


class FrontMatterError(ValueError):
    """The front matter is not a YAML mapping."""


def split_front_matter(data: bytes) -> tuple[bytes, bytes]:
    """Split raw file bytes into (front matter YAML, body)."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    m = _FRONT_MATTER.match(data)
    if not m:
        return b"", data
    return (m.group(1) or b""), data[m.end():]


def parse_front_matter(yaml_bytes: bytes) -> dict[str, Any]:
    """Parse front matter YAML into a dict; raise FrontMatterError with the YAML line."""
    if not yaml_bytes.strip():
        return {}
    try:
        meta = yaml.safe_load(yaml_bytes.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FrontMatterError(f"front matter is not valid UTF-8 (byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise FrontMatterError(f"front matter is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from exc
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a mapping of 'key: value' lines")
    return meta


#: Every character str.isspace() accepts, and the zero-width characters: what a reader cannot see at a line end.
_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = _SPACES + _ZERO_WIDTH
#: Dropped wherever they are: no glyph and no effect on the glyphs around them.
_DROPPED = ("\u200b", "\u2060", "\ufeff")
_DROPPED_UTF8 = tuple(c.encode("utf-8") for c in _DROPPED)
#: A non-ASCII (or control) space or zero-width character at a line end: the slow path is needed.
_INVISIBLE_TAIL = re.compile(
    rb"(?:\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8d\xa8\xa9\xaf]|\xe2\x81[\x9f\xa0]|\xe3\x80\x80"
    rb"|\xef\xbb\xbf|[\x0b\x0c\x1c-\x1f])[ \t]*(?:\n|\Z)"
)
#: The same characters at the start of a paragraph, where Python-Markdown strips them.
_INVISIBLE_LEAD = re.compile(
    rb"(?:\A|\n\n)(?:\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8d\xa8\xa9\xaf]|\xe2\x81[\x9f\xa0]|\xe3\x80\x80"
    rb"|\xef\xbb\xbf)"
)
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_HARD_BREAK = "  "
_TAB = 4  # Python-Markdown's tab_length, as MkDocs uses it


def normalized_body(data: bytes) -> bytes:
    """The body as readers see it: the rule in this module's docstring, as bytes."""
    _, body = split_front_matter(data)
    body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if (
        b"  \n" in body or b"\t\n" in body  # maybe a hard break
        or b"```" in body or b"~~~" in body  # maybe a fenced code block
        or _INVISIBLE_TAIL.search(body) is not None  # a Unicode or control space at a line end
        or (not body.isascii() and (any(z in body for z in _DROPPED_UTF8) or _INVISIBLE_LEAD.search(body) is not None))
    ):
        return _normalized_lines(body)
    # The fast path (most files): nothing but single trailing spaces and blank-line runs to normalise.
    if b" \n" in body:  # per-line rstrip is ten times faster than a regex here
        body = b"\n".join([line.rstrip(b" \t") for line in body.split(b"\n")])
    if b"\n\n\n" in body:
        body = _BLANK_RUNS.sub(b"\n\n", body)
    return body.rstrip(b" \t\n").lstrip(b"\n")


def _ends_in_hard_break(line: str) -> bool:
    """Whether Python-Markdown ends *line* with a hard break (two spaces before the newline, tabs expanded)."""
    if not line.endswith((" ", "\t")):
        return False
    if line.endswith("  "):
        return True
    text = line.rstrip(" \t")
    tail = line[len(text):]
    if "\t" not in tail:
        return False
    return line.expandtabs(_TAB).endswith("  ")


def _normalized_lines(body: bytes) -> bytes:
    """The slow path of ``normalized_body``: one pass over the lines, fence-aware."""
    out: list[str] = []
    fence = ""  # the marker of the open fenced code block, "" outside one
    for line in body.decode("utf-8", "surrogateescape").split("\n"):
        if fence:
            stripped = line.strip(_INVISIBLE)
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = ""
            out.append(_drop_invisible(line.rstrip(_INVISIBLE)))
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
        text = line.rstrip(_INVISIBLE)
        if not text:
            if line.strip(" \t"):
                continue  # only invisible characters: Markdown keeps it inside the paragraph, readers see nothing
            if out and out[-1].endswith(_HARD_BREAK):
                out[-1] = out[-1][: -len(_HARD_BREAK)]  # no hard break before a blank line
            if out and out[-1] == "":
                continue  # a run of blank lines counts as one
            out.append("")
            continue
        if text[0] in _INVISIBLE and text[0] not in " \t" and (not out or out[-1] == "" or out[-1].lstrip(" ").startswith("#")):
            text = text.lstrip(_INVISIBLE)  # a paragraph's first line: Python-Markdown does not show its leading spaces
        text = _drop_invisible(text)
        if not opening and _ends_in_hard_break(line) and not text.lstrip(" ").startswith("#"):
            text += _HARD_BREAK
        out.append(text)
    if out and out[-1].endswith(_HARD_BREAK):
        out[-1] = out[-1][: -len(_HARD_BREAK)]  # nor at the end
    return "\n".join(out).strip("\n").encode("utf-8", "surrogateescape")


def _drop_invisible(text: str) -> str:
    for char in _DROPPED:
        if char in text:
            text = text.replace(char, "")
    return text


def content_key(data: bytes) -> str:
    """A digest equal for two files exactly when their policy text is the same."""
    return hashlib.blake2b(normalized_body(data), digest_size=16).hexdigest()
