"""A policy source file as text: front matter, body, and what counts as a change.

Two versions of a file are the same policy text when their bodies are equal
after normalising whitespace (line endings, trailing spaces, runs of blank
lines) and ignoring the front matter.  ``content_key`` turns that rule into a
digest, so a commit that only reflows whitespace or edits front matter never
becomes a version.
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
        meta = safeyaml.safe_load(yaml_bytes.decode("utf-8"))
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


def normalized_body(data: bytes) -> bytes:
    """The body with line endings, trailing spaces and blank-line runs normalised."""
    _, body = split_front_matter(data)
    body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if b" \n" in body or b"\t\n" in body:  # per-line rstrip is ten times faster than a regex here
        body = b"\n".join([line.rstrip(b" \t") for line in body.split(b"\n")])
    if b"\n\n\n" in body:
        body = _BLANK_RUNS.sub(b"\n\n", body)
    return body.strip(b"\n")


def content_key(data: bytes) -> str:
    """A digest equal for two files exactly when their policy text is the same."""
    return hashlib.blake2b(normalized_body(data), digest_size=16).hexdigest()
