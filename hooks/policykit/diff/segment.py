"""Word tokenization for diffing Chinese and Latin-script policy text.

``tokenize(text)`` splits text into word-level tokens whose concatenation is
exactly ``text`` (lossless):

* Latin and other space-separated scripts: runs of word characters, runs of
  whitespace, and every other character (punctuation) on its own.
* Han text: words found by jieba. jieba's dictionary is Simplified Chinese, so
  the text is first converted with OpenCC ``t2s`` (character for character;
  if the conversion changes the length the original text is segmented
  instead) and the token boundaries are mapped back onto the original text by
  offset. ``未滿十八歲`` therefore yields ``未滿`` / ``十八歲``.

jieba loads its dictionary lazily (about one second, once per process) on the
first Han text; ``warm_up()`` forces that load. jieba's own log output is
silenced. Nothing here imports MkDocs.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import jieba as _jieba_mod

__all__ = ["tokenize", "units", "is_han", "warm_up"]

# CJK Unified Ideographs (+ extension A, compatibility ideographs, ideographic
# zero, and the supplementary ideographic planes).
_HAN_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RUN = re.compile(f"[{_HAN_CLASS}]+")
_HAN_CHAR = re.compile(f"[{_HAN_CLASS}]")
_LATIN_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
_UNIT = re.compile(f"[{_HAN_CLASS}]|[^\\W{_HAN_CLASS}]+|[^\\w\\s]")

_lock = threading.Lock()
_converter: Any = None
_tokenizer: Any = None


def _get_converter() -> Any:
    """Return the cached OpenCC Traditional-to-Simplified converter."""
    global _converter
    if _converter is None:
        import opencc

        with _lock:
            if _converter is None:
                _converter = opencc.OpenCC("t2s")
    return _converter


def _get_tokenizer() -> _jieba_mod.Tokenizer:
    """Return the cached, initialised jieba tokenizer (loads the dictionary once)."""
    global _tokenizer
    if _tokenizer is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        logging.getLogger("jieba").setLevel(logging.WARNING)
        with _lock:
            if _tokenizer is None:
                tk = jieba.dt  # the shared default tokenizer: Material's search loads the same dictionary
                tk.initialize()
                _tokenizer = tk
    return _tokenizer


def warm_up() -> None:
    """Load the OpenCC converter and the jieba dictionary now instead of lazily."""
    _get_converter()
    _get_tokenizer()


def is_han(ch: str) -> bool:
    """Return True if the single character ``ch`` is a Han ideograph."""
    return _HAN_CHAR.match(ch) is not None


def _to_simplified(text: str) -> str:
    """Convert ``text`` to Simplified Chinese, or return it unchanged if that
    would change its length (the offsets must line up)."""
    converted: str = _get_converter().convert(text)
    if len(converted) != len(text):
        return text
    return converted


def _segment_han(original: str, simplified: str) -> list[str]:
    """Segment one Han run; ``simplified`` has the same length as ``original``."""
    words = _get_tokenizer().lcut(simplified, HMM=True)
    out: list[str] = []
    pos = 0
    for word in words:
        end = pos + len(word)
        out.append(original[pos:end])
        pos = end
    if pos != len(original):  # jieba dropped or added characters: fall back
        return list(original)
    return out


def units(text: str) -> list[str]:
    """Cheap dictionary-free units for similarity scores: single Han
    characters, Latin words and punctuation marks (whitespace dropped)."""
    return _UNIT.findall(text)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into word-level tokens; ``"".join(tokenize(t)) == t``."""
    if not text:
        return []
    runs = list(_HAN_RUN.finditer(text))
    if not runs:
        return _LATIN_TOKEN.findall(text)
    simplified = _to_simplified(text)
    out: list[str] = []
    pos = 0
    for m in runs:
        start, end = m.span()
        if start > pos:
            out.extend(_LATIN_TOKEN.findall(text, pos, start))
        out.extend(_segment_han(text[start:end], simplified[start:end]))
        pos = end
    if pos < len(text):
        out.extend(_LATIN_TOKEN.findall(text, pos))
    return out
