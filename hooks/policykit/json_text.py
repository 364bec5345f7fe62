"""JSON text as ``json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False)`` spells it, sooner.

The site publishes JSON in that one form (``manifest.json``, the versions
API).  json's encoder with ``indent`` is its pure-Python one, a generator per
nesting level; ``write`` spells the same text (strings by json's own
escaping, in C where it has it) in about a third of the time, in pieces, so a
large document is never held whole.  A value it does not spell (a key that is
not a string, a type JSON has no literal for) raises ``NotPlain``: the caller
then uses json's encoder (``dumps`` does so itself).
"""

from __future__ import annotations

import json
from typing import Any, Callable

_ESCAPE = json.encoder.encode_basestring  # json's own string escaping with ensure_ascii=False
#: ``write`` hands its text on every this many pieces.
_PIECES = 1 << 16


class NotPlain(Exception):
    """A value this module does not spell (json's encoder must write the document)."""


def dumps(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False)``, the same text."""
    out: list[str] = []
    try:
        write(value, out.append)
    except NotPlain:
        return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False)
    return "".join(out)


def write(value: Any, emit: Callable[[str], Any]) -> None:
    """Hand the text of ``dumps(value)`` to *emit* in pieces (NotPlain, part of it handed on, if it cannot)."""
    out: list[str] = []
    _encode(value, "", out, emit)
    emit("".join(out))


def _encode(value: Any, indent: str, out: list[str], emit: Callable[[str], Any]) -> None:
    """Append the text of *value* at nesting *indent* to *out*, emptying *out* into *emit* every few thousand."""
    if isinstance(value, str):
        out.append(_ESCAPE(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(json.dumps(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        if not all(isinstance(k, str) for k in value):
            raise NotPlain
        inner = indent + " "
        sep = "{\n" + inner
        for key in sorted(value):
            out.append(sep + _ESCAPE(key) + ": ")
            _encode(value[key], inner, out, emit)
            sep = ",\n" + inner
        out.append("\n" + indent + "}")
        if len(out) > _PIECES:
            emit("".join(out))
            out.clear()
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = indent + " "
        sep = "[\n" + inner
        for item in value:
            out.append(sep)
            _encode(item, inner, out, emit)
            sep = ",\n" + inner
        out.append("\n" + indent + "]")
    else:
        raise NotPlain
