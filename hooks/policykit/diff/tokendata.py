"""The token boundaries of one version, as data for the browser's compare.

``token_data(clean_html)`` lists, for every block of the version (in the
order ``policykit.diff.blocks.extract_blocks`` finds them) and every text node
of that block (``Block.segs``), the lengths of the tokens
``policykit.diff.textdiff.seg_tokens`` splits it into. Lengths are counted in
UTF-16 code units (what JavaScript's ``String.length`` counts; a character
outside the BMP counts 2), so the browser slices its text nodes with them
directly. Each text node gives its lengths joined by commas and ended by a
semicolon (an empty text node gives just ";"), e.g. ``"2,1,3;;4;"``. Only numbers, never the token text, so a
version page grows by a fraction of its text.

The version page carries it as ``data-policy-tokens`` on its clean section
(partials/policy-version-body.html); assets/policy-compare.js reads it.
"""

from __future__ import annotations

from policykit.diff.blocks import extract_blocks, parse_html
from policykit.diff.textdiff import seg_tokens

__all__ = ["token_data", "utf16_len"]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def token_data(clean_html: str) -> str:
    """The token lengths of every text node of every block of ``clean_html``."""
    fields: list[str] = []
    for block in extract_blocks(parse_html(clean_html)):
        for seg in block.segs:
            fields.append(",".join(str(utf16_len(t)) for t in seg_tokens(seg.text)) + ";")
    return "".join(fields)
