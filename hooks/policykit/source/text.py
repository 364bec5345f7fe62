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
  count), followed by another line of the same paragraph, keeps exactly one
  hard-break marker (two spaces).  Headings (``#`` in the first column), the
  last line before a blank line, a heading or a blockquote, and the last line
  of the body have no hard break.  Elsewhere (a table row, a line before a
  fenced block...) the marker is kept even where Markdown shows no break:
  the rule may count such an edit as a version, never the reverse;
* a line that ends in ``#`` followed by whitespace keeps one space after the
  ``#``: in a heading, Python-Markdown then shows the closing hashes
  (``# Title #  `` shows "Title #", ``# Title #`` shows "Title");
* U+200B (zero-width space), U+2060 (word joiner) and U+FEFF are dropped
  everywhere except before the first visible character of a line and next
  to ASCII punctuation, where they may stop Markdown syntax (``\u200b# x``
  shows "# x"; ``#\u200b#`` is not ``##``).  ZWNJ/ZWJ (U+200C/U+200D) are
  kept inside text: they change how emoji and some scripts are drawn;
* at the start of a paragraph (the first line of the body, or the line after
  a blank line or a heading), leading Unicode spaces (not zero-width
  characters) are dropped when a letter (or any non-ASCII character) follows
  them: Python-Markdown strips them, so the Chinese indentation
  ``\u3000\u3000`` there is invisible on the page.  Leading ASCII spaces
  and tabs are kept (they make lists and code blocks), and so is a Unicode
  space before Markdown syntax (``\u3000# x`` shows "# x", not a heading);
* NBSP, U+3000 and every other character inside a line are kept, and so are
  leading spaces of the other lines;
* inside a fenced code block (``` or ~~~) every line is kept, blank or not,
  with its trailing whitespace stripped: blank lines there are visible.

Not recognised: indented (four-space) code blocks are treated as text, so a
change of blank-line runs inside one is not a version; C0/C1 control
characters count as text.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import yaml

from policykit.source import safeyaml

# The same front-matter rule as MkDocs (mkdocs.utils.meta): a YAML block
# between '---' lines at the very start of the file.
_FRONT_MATTER = re.compile(rb"\A-{3}[ \t]*\r?\n(.*?\r?\n)?(?:\.{3}|-{3})[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_OPENING = re.compile(rb"\A-{3}[ \t]*(?:\r?\n|\Z)")
_BOM = b"\xef\xbb\xbf"


class FrontMatterError(ValueError):
    """The front matter is not a YAML mapping."""


def split_front_matter(data: bytes) -> tuple[bytes, bytes]:
    """Split raw file bytes into (front matter YAML, body)."""
    front, start = _front_matter_at(data)
    return front, (data[start:] if start else data)


def raw_front_matter(data: bytes) -> bytes:
    """``split_front_matter(data)[0]``, without copying the body."""
    return _front_matter_at(data)[0]


def _front_matter_at(data: bytes) -> tuple[bytes, int]:
    """(front matter YAML, where the body starts) of raw file bytes."""
    skip = len(_BOM) if data.startswith(_BOM) else 0
    m = _FRONT_MATTER.match(data[skip:] if skip else data)  # (\A: a match cannot start at an offset)
    if not m:
        return b"", skip
    return (m.group(1) or b""), skip + m.end()


def unclosed_front_matter(data: bytes) -> bool:
    """The first line is ``---`` but no ``---``/``...`` line followed by a line break closes the block.

    MkDocs then reads no front matter at all and renders the YAML as text
    (its rule also needs the line break after the closing line).
    """
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    if not _OPENING.match(data):
        return False
    m = _FRONT_MATTER.match(data)
    return m is None or not data[: m.end()].endswith(b"\n")


def parse_front_matter(yaml_bytes: bytes) -> dict[str, Any]:
    """Parse front matter YAML into a dict; raise FrontMatterError with the YAML line."""
    if not yaml_bytes.strip():
        return {}
    try:
        meta = safeyaml.load(yaml_bytes.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FrontMatterError(f"front matter is not valid UTF-8 (byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise FrontMatterError(f"front matter is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from exc
    except ValueError as exc:  # a value YAML parses but cannot construct, such as the date 2024-02-30
        raise FrontMatterError(f"front matter has a value that is not valid: {exc}") from exc
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a mapping of 'key: value' lines")
    return meta


#: What a reader cannot see at a line end: the Unicode spaces (str.isspace(), less the C0/C1 controls, which
#: count as text) and the zero-width characters.
_SPACES = " \t\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = _SPACES + _ZERO_WIDTH
#: The same, less the ASCII spaces and tabs, which indent lists and code blocks.
_UNICODE_INVISIBLE = frozenset(_INVISIBLE) - {" ", "\t"}
_UNICODE_SPACES = frozenset(_SPACES) - {" ", "\t"}
#: Dropped wherever they are: no glyph and no effect on the glyphs around them.
_DROPPED = ("\u200b", "\u2060", "\ufeff")
_BLANK_RUNS = re.compile(r"\n{3,}")
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
#: A line that starts with a Unicode space or zero-width character (maybe a paragraph's first line, or invisible).
_UNICODE_LEAD = re.compile("\\n[ \\t]*[" + "".join(sorted(set(_INVISIBLE) - {" ", "\t"})) + "]")
_HARD_BREAK = "  "
#: A line that Python-Markdown does not join to the paragraph before it: an ATX heading or a blockquote.
_ENDS_PARAGRAPH = re.compile(r"#| {0,3}>")
#: A "#" with spaces after it at a line end: in a heading, Python-Markdown then shows the closing hashes.
_CLOSED_HEADING_TAIL = re.compile("#[" + re.escape(_INVISIBLE) + "]+(?:\n|\\Z)")
_TAB = 4  # Python-Markdown's tab_length, as MkDocs uses it


def normalized_body(data: bytes) -> bytes:
    """The body as readers see it: the rule in this module's docstring, as UTF-8 bytes."""
    _, body = split_front_matter(data)
    text = body.decode("utf-8", "surrogateescape")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    ascii_only = text.isascii()
    # (one-byte searches first: they are nearly free, and these characters are rare in policies)
    if (
        (b"`" in body and "```" in text) or (b"~" in body and "~~~" in text)  # fenced code: blank lines there show
        or (b"\t" in body and ("\t\n" in text or "\t \n" in text))  # a tab's width decides whether it is a hard break
        or b"\0" in body  # (the fast path's hard-break marker)
        or (b"#" in body and _CLOSED_HEADING_TAIL.search(text) is not None)  # "# Title #  " shows "Title #"
        or (not ascii_only and (
            any(char in text for char in _DROPPED)
            or _UNICODE_LEAD.search(text) is not None or text[:1] in _UNICODE_INVISIBLE
        ))
    ):
        return _normalized_lines(text)
    # The fast path: trailing spaces, hard breaks made of two spaces, and blank-line runs.
    if "  \n" in text:
        text = _mark_hard_breaks(text)
    if not ascii_only or " \n" in text or "\t\n" in text:  # per-line rstrip: ten times faster than a regex
        text = "\n".join([line.rstrip(_INVISIBLE) for line in text.split("\n")])
    if "\0" in text:
        text = text.replace("\0", _HARD_BREAK)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.rstrip(_INVISIBLE + "\n").lstrip("\n").encode("utf-8", "surrogateescape")


def _mark_hard_breaks(text: str) -> str:
    """The fast path's hard breaks: a line of text ending in two spaces, before another line of text, ends in NUL."""
    parts = text.split("  \n")
    out = [parts[0]]
    for nxt in parts[1:]:
        line = out[-1].rpartition("\n")[2].rstrip(_INVISIBLE)
        following = nxt.partition("\n")[0]
        if line and line[0] != "#" and following.strip(" \t") and not _ENDS_PARAGRAPH.match(following):
            out[-1] = out[-1].rstrip(_INVISIBLE)
            out.append("\0\n")
        else:
            out.append("\n")  # a blank line, a heading, or no paragraph text after it: no hard break
        out.append(nxt)
    return "".join(out)


def _ends_in_hard_break(line: str) -> bool:
    """Whether Python-Markdown ends *line* with a hard break: two spaces before the newline, tabs expanded."""
    tail = len(line) - len(line.rstrip(" \t"))
    if tail >= 2:
        return True  # a tab is at least one space
    return tail == 1 and line[-1] == "\t" and line.expandtabs(_TAB).endswith("  ")


def _normalized_lines(text: str) -> bytes:
    """``normalized_body`` line by line: any text, fenced code blocks included."""
    fences = "```" in text or "~~~" in text
    zero_width = any(char in text for char in _DROPPED)
    out: list[str] = []
    append = out.append
    fence = ""  # the marker of the open fenced code block, "" outside one
    starts_block = True  # the next line of text starts a paragraph (body start, after a blank line or a heading)
    blank = True  # the last line kept is blank (or there is none)
    for line in text.split("\n"):
        if fences:
            if fence:
                stripped = line.strip(_INVISIBLE)
                if stripped.startswith(fence) and not stripped.strip(fence[0]):
                    fence = ""
                append(_drop_invisible(line.rstrip(_INVISIBLE)) if zero_width else line.rstrip(_INVISIBLE))
                blank = starts_block = False
                continue
            opening = _FENCE.match(line)
            if opening:
                fence = opening.group(1)
                append(_drop_invisible(line.rstrip(_INVISIBLE)) if zero_width else line.rstrip(_INVISIBLE))
                blank = starts_block = False
                continue
        kept = line.rstrip(_INVISIBLE)
        if not kept:
            if line.strip(" \t"):
                continue  # only invisible characters: Markdown keeps it inside the paragraph, readers see nothing
            if not blank:
                if out[-1].endswith(_HARD_BREAK):
                    out[-1] = out[-1][: -len(_HARD_BREAK)]  # no hard break before a blank line
                append("")
                blank = starts_block = True
            continue
        tail = len(kept) != len(line)  # the line ended in whitespace
        if starts_block and kept[0] in _UNICODE_SPACES:
            rest = kept.lstrip(_SPACES)  # what Python-Markdown strips (str.strip): spaces, not zero-width characters
            if rest[0].isalpha() or not rest[0].isascii():  # not "#", "-", "1.", "```"...: stripped, it stays a paragraph
                kept = rest  # a paragraph's first line: Python-Markdown does not show its leading spaces
        if zero_width:  # (not at the line's start: "\u200b#" shows "#", "#" would be a heading)
            lead = len(kept) - len(kept.lstrip(_INVISIBLE))
            kept = kept[:lead] + _drop_invisible(kept[lead:])
        heading = kept[0] == "#"  # an ATX heading starts in the first column
        if out and out[-1].endswith(_HARD_BREAK) and _ENDS_PARAGRAPH.match(kept):
            out[-1] = out[-1][: -len(_HARD_BREAK)]  # no hard break before a heading or a blockquote
        if tail:
            if not heading and _ends_in_hard_break(line):
                kept += _HARD_BREAK
            elif kept[-1] == "#":
                kept += " "  # anything after a heading's closing hashes makes Python-Markdown show them
        append(kept)
        blank = False
        starts_block = heading
    if out and out[-1].endswith(_HARD_BREAK):
        out[-1] = out[-1][: -len(_HARD_BREAK)]  # nor at the end
    return "\n".join(out).strip("\n").encode("utf-8", "surrogateescape")


#: The dropped characters, except next to ASCII punctuation, where they may stop Markdown syntax ("#\u200b#").
_DROPPABLE = re.compile("(?<![!-/:-@\\[-`{-~])[" + "".join(_DROPPED) + "]+(?![!-/:-@\\[-`{-~])")


def _drop_invisible(text: str) -> str:
    return _DROPPABLE.sub("", text) if any(char in text for char in _DROPPED) else text


def content_key(data: bytes) -> str:
    """A digest equal for two files exactly when their policy text is the same."""
    return hashlib.blake2b(normalized_body(data), digest_size=16).hexdigest()


#: What ``normalized_body`` may drop, add or turn into another character: the invisible characters and line breaks.
#: Everything else it keeps, in order.  The ASCII ones are deleted with ``bytes.translate``; the others by their UTF-8
#: bytes (a valid UTF-8 sequence decodes as itself whatever surrounds it, so this matches the decoded text).
_MAY_CHANGE_ASCII = "".join(sorted(c for c in _INVISIBLE + "\r\n" if c.isascii())).encode("ascii")
_MAY_CHANGE_OTHER = re.compile(b"|".join(re.escape(c.encode("utf-8")) for c in sorted(set(_INVISIBLE)) if not c.isascii()))


#: Every byte of what ``normalized_body`` may change (the ASCII ones and each byte of the others' UTF-8 encodings).
_MAY_CHANGE_BYTES = bytes(sorted(set(_MAY_CHANGE_ASCII) | {b for c in _INVISIBLE if not c.isascii() for b in c.encode("utf-8")}))

#: The normaliser ``same_text`` is proved for.
_PROVED_FOR = normalized_body


def _visible(text: bytes) -> bytes:
    """The characters of *text* that ``normalized_body`` keeps whatever surrounds them, in order."""
    kept = text.translate(None, _MAY_CHANGE_ASCII)
    return kept if kept.isascii() else _MAY_CHANGE_OTHER.sub(b"", kept)


def same_text(old: bytes, new: bytes) -> bool | None:
    """Whether two files have the same policy text, when that is clear without normalising: else None.

    True when the bodies are byte-equal; False when their visible characters
    differ.  ``normalized_body`` only drops, adds or changes invisible
    characters and line breaks, so the visible characters of a body and of
    its normalised form are the same, and files whose visible characters
    differ have different content keys.  Only what lies between the common
    start and end of the two bodies is compared, so an edit of a long file
    costs a few ``memcmp`` calls.  First a coarser test: delete from both
    differing parts every byte that occurs in an invisible character or a
    line break (``_MAY_CHANGE_BYTES``).  Deleting bytes commutes with cutting
    a body into its common start, differing part and common end, and what
    it leaves of a body depends only on the body's visible characters (they
    are the body less whole invisible characters, made of those bytes); so
    if the two leftovers differ, so do the visible characters.  Otherwise the
    visible characters of the whole lines around the differing parts (whole
    lines, so no UTF-8 sequence is cut) decide.  None (visible characters
    equal, bytes not: a whitespace or line-break change) means: compare
    ``content_key``s.  The shortcut is proved for this module's
    ``normalized_body`` only: with another one in its place, the answer is always None.
    """
    if normalized_body is not _PROVED_FOR:
        return None
    # The bodies are compared where they lie (after the front matter), without copying them.
    sa, sb = _front_matter_at(old)[1], _front_matter_at(new)[1]
    na, nb = len(old), len(new)
    shorter = min(na - sa, nb - sb)
    if na - sa == nb - sb and old.startswith(memoryview(new)[sb:], sa):
        return True
    head = _common_prefix(old, sa, new, sb, shorter)
    tail = _common_suffix(old, sa, new, sb, shorter - head)  # (not overlapping the common prefix)
    if (old[sa + head:na - tail].translate(None, _MAY_CHANGE_BYTES)
            != new[sb + head:nb - tail].translate(None, _MAY_CHANGE_BYTES)):
        return False
    # The lines that differ: from the line of the first differing byte to the line end after the last one.
    cut = old.rfind(b"\n", sa, sa + head)
    start = cut + 1 if cut >= 0 else sa
    end = old.find(b"\n", na - tail)
    end = na if end < 0 else end
    if _visible(old[start:end]) != _visible(new[sb + (start - sa):nb - (na - end)]):
        return False
    return None


def _common_prefix(a: bytes, sa: int, b: bytes, sb: int, most: int) -> int:
    """The length of the common start of ``a[sa:]`` and ``b[sb:]``, at most *most* (a binary search of ``memcmp``s)."""
    view, starts = memoryview(b), a.startswith
    lo, hi = 0, most
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts(view[sb + lo:sb + mid], sa + lo):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: bytes, sa: int, b: bytes, sb: int, most: int) -> int:
    """The length of the common end of ``a[sa:]`` and ``b[sb:]``, at most *most*.

    Most edits change a few bytes, so the longest ends are tried first
    (*most*, then 16, 256, 4096... bytes less) before a binary search.
    """
    na, nb = len(a), len(b)
    view, ends = memoryview(b), a.endswith
    lo, hi, step = 0, most, 0
    while True:  # gallop down from the longest possible end
        trial = most - step
        if trial <= 0:
            break
        if ends(view[nb - trial:], sa, na):
            lo = trial
            break
        hi = trial - 1
        step = step * 16 if step else 16
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ends(view[nb - mid:nb - lo], sa, na - lo):
            lo = mid
        else:
            hi = mid - 1
    return lo
