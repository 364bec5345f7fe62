"""The token boundaries of one version, as data for the browser's compare.

``token_data(clean_html)`` lists, for every block of the version (in the
order ``policykit.diff.blocks.extract_blocks`` finds them) and every text node
of that block (``Block.segs``), the lengths of the tokens
``policykit.diff.textdiff.seg_tokens`` splits it into. Lengths are counted in
UTF-16 code units (what JavaScript's ``String.length`` counts; a character
outside the BMP counts 2), so the browser slices its text nodes with them
directly. Each token is one character, its length as a digit of
``DIGITS`` (1-9, A-Z, a-z: lengths 1 to 61), a longer token ``.<decimal>.``;
each text node ends with ``;`` (an empty one is just ``;``). For example
``"21F;;.120.3;"``: a text node of tokens 2, 1 and 15 units long, an empty
one, and one of 120 and 3. Only numbers, never the token text, so a
version page grows by a fraction of its text.

The version page carries it as ``data-policy-tokens`` on its clean section
(partials/policy-version-body.html); assets/policy-compare.js reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from policykit.diff.blocks import Block, extract_blocks, parse_html
from policykit.diff.textdiff import seg_tokens

__all__ = ["token_data", "token_data_of_blocks", "utf16_len", "DIGITS"]

#: One character per token length 1…61 (index = length; "0" stands for nothing).
DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (a character outside the BMP counts 2)."""
    if text.isascii():
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


def token_data(clean_html: str, known: Mapping[str, str] | None = None, seen: dict[str, str] | None = None) -> str:
    """The token lengths of every text node of every block of ``clean_html``."""
    return token_data_of_blocks(extract_blocks(parse_html(clean_html)), known, seen)


def token_data_of_blocks(blocks: Iterable[Block], known: Mapping[str, str] | None = None,
                         seen: dict[str, str] | None = None) -> str:
    """``token_data`` of blocks already extracted (the diff's own parse of the text: no second parse).

    A text node's field is a function of its text alone: *known* maps texts to their fields (the
    version before's, so an unchanged text node is not tokenized again); *seen* collects this one's.
    """
    fields: list[str] = []
    for block in blocks:
        for seg in block.segs:
            text = seg.text
            field = known.get(text) if known is not None else None
            if field is None:
                tokens = seg_tokens(text)
                # One test per text node: without a character outside the BMP, UTF-16 length is len().
                field = encode_lengths(map(len, tokens) if _ASTRAL.search(text) is None else map(utf16_len, tokens))
            if seen is not None:
                seen[text] = field
            fields.append(field)
    return "".join(fields)


_LONGEST = len(DIGITS)


def encode_lengths(lengths: Iterable[int]) -> str:
    """One text node's field: a character per token length, then ``;``."""
    return "".join([DIGITS[n] if n < _LONGEST else f".{n}." for n in lengths]) + ";"
