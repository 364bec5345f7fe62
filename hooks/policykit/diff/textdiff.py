"""Word-level diff of texts (Chinese and Latin) with semantic cleanup.

``diff_text(old, new)`` tokenizes with ``policykit.segment`` and diffs the
token lists with fast-diff-match-patch (no time limit, semantic cleanup) by
mapping each distinct token to one private-use character ("lines to chars").
Edits then slide to the best word or text-node boundary, like
diff-match-patch's cleanupSemanticLossless. Each text node is tokenized on
its own (cached), so the browser's compare (assets/policy-compare.js) gets
the same tokens from the data the build emits and runs the same steps.
"""

from __future__ import annotations

import functools

import fast_diff_match_patch as _dmp

from policykit.diff import segment

__all__ = ["diff_text", "diff_segments", "encode", "dmp_counts", "seg_tokens"]


def _code_point(i: int) -> str:
    """The character standing for the i-th distinct token (private use areas)."""
    if i < 0x1900:
        return chr(0xE000 + i)
    i -= 0x1900
    if i < 0xFFFE:
        return chr(0xF0000 + i)
    i -= 0xFFFE
    if i < 0xFFFE:
        return chr(0x100000 + i)
    i -= 0xFFFE
    if i < 0xD0000:
        return chr(0x20000 + i)
    raise ValueError("too many distinct tokens to diff")


def encode(a: list[str], b: list[str]) -> tuple[str, str]:
    """Map each distinct item to one character (the "lines to chars" trick)."""
    table: dict[str, str] = {}
    get = table.get
    out: list[str] = []
    for seq in (a, b):
        chars: list[str] = []
        append = chars.append
        for item in seq:
            c = get(item)
            if c is None:
                c = table[item] = _code_point(len(table))
            append(c)
        out.append("".join(chars))
    return out[0], out[1]


def dmp_counts(a: str, b: str, cleanup: str) -> list[tuple[str, int]]:
    """fast-diff-match-patch diff as ``(op, length)`` pairs, without time limit."""
    counts: list[tuple[str, int]] = _dmp.diff(a, b, timelimit=0, checklines=False, cleanup=cleanup, counts_only=True)
    return counts


def _diff_tokens(a: list[str], b: list[str], bounds: frozenset[int] = frozenset(),
                 left_ctx: str = "", right_ctx: str = "") -> list[tuple[int, str]]:
    """Diff two token lists with semantic cleanup; returns text runs.

    ``bounds`` are new-text offsets of text-node boundaries (edits prefer to
    start and end there); ``left_ctx``/``right_ctx`` is the text around.
    """
    if not a and not b:
        return []
    ca, cb = encode(a, b)
    ops: list[tuple[int, list[str]]] = []
    i = j = 0
    for op, n in dmp_counts(ca, cb, "Semantic"):
        if op == "=":
            ops.append((0, b[j:j + n]))
            i += n
            j += n
        elif op == "-":
            ops.append((-1, a[i:i + n]))
            i += n
        else:
            ops.append((1, b[j:j + n]))
            j += n
    _slide_to_boundaries(ops, bounds, left_ctx, right_ctx)
    return [(op, "".join(toks)) for op, toks in ops if toks]


def _boundary_score(left: str, right: str) -> int:
    """How good a place for an edit boundary is between ``left`` and ``right``
    (after diff-match-patch's cleanupSemanticLossless)."""
    if not left or not right:
        return 6
    x, y = left[-1], right[0]
    if x == "\n" or y == "\n":
        return 4
    if x in "。！？；.!?;":
        return 3
    if x.isspace() or y.isspace():
        return 2
    if not _is_word(x) or not _is_word(y):
        return 1
    return 0


def _slide_to_boundaries(ops: list[tuple[int, list[str]]], bounds: frozenset[int],
                         left_ctx: str, right_ctx: str) -> None:
    """Shift single edits between two equalities to the best word/node boundary
    (the token version of cleanupSemanticLossless; ties go right)."""
    pos = 0  # new-text offset where ops[k] starts
    k = 0
    while k < len(ops):
        op, toks = ops[k]
        if (op != 0 and 0 < k < len(ops) - 1 and ops[k - 1][0] == 0
                and ops[k + 1][0] == 0):
            left, edit, right = list(ops[k - 1][1]), list(toks), list(ops[k + 1][1])
            base = pos - sum(map(len, left))  # new offset where ``left`` starts
            while left and left[-1] == edit[-1]:  # slide fully left
                edit.insert(0, left.pop())
                right.insert(0, edit.pop())
            best = None
            while True:
                lt = "".join(left)
                et = "".join(edit)
                rt = "".join(right)
                start = base + len(lt)
                end = start + len(et) if op == 1 else start
                score = (_boundary_score(lt or (left_ctx if k == 1 else "x"), et)
                         + _boundary_score(et, rt or (right_ctx if k == len(ops) - 2 else "x"))
                         + (6 if start in bounds else 0) + (6 if end in bounds else 0))
                if best is None or score >= best[0]:
                    best = (score, list(left), list(edit), list(right))
                if not right or right[0] != edit[0]:
                    break
                left.append(edit.pop(0))
                edit.append(right.pop(0))
            _, left, edit, right = best
            ops[k - 1] = (0, left)
            ops[k] = (op, edit)
            ops[k + 1] = (0, right)
            pos = base + len("".join(left))
        if op != -1:
            pos += len("".join(ops[k][1]))
        k += 1


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


#: Versions of a policy are diffed one after the other, so a cache of a few versions' segments is what pays;
#: each entry holds its tokens (about 4 KB: 3,448 entries held 14 MiB in a 3,925-version build, tracemalloc),
#: in the build and in every render worker, so the 65,536 this was before could reach about 270 MB each.
@functools.lru_cache(maxsize=8192)
def seg_tokens(text: str) -> tuple[str, ...]:
    """The tokens of one text node (segment), a function of its text alone.

    Each version's segments are tokenized on their own, never a window cut
    out of a pair of versions, so the browser's compare can reuse the token
    boundaries the build emits for each version (``policykit.diff.tokendata``).
    """
    return tuple(segment.tokenize(text))


def _merge(ops: list[tuple[int, str]]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for op, text in ops:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out


def diff_segments(old_segs: list[str], new_segs: list[str]) -> list[tuple[int, str]]:
    """Word-level diff of two texts given as lists of segments (text nodes);
    no token crosses a segment boundary and edits prefer to start/end at one.

    The tokens of every segment are diffed whole (diff-match-patch strips the
    common prefix and suffix itself); the browser's compare does the same.
    """
    old = "".join(old_segs)
    new = "".join(new_segs)
    if old == new:
        return [(0, new)] if new else []
    bounds: set[int] = set()
    acc = 0
    for seg in new_segs[:-1]:
        acc += len(seg)
        bounds.add(acc)
    a = [t for s in old_segs for t in seg_tokens(s)]
    b = [t for s in new_segs for t in seg_tokens(s)]
    return _merge(_diff_tokens(a, b, frozenset(bounds)))


def diff_text(old: str, new: str) -> list[tuple[int, str]]:
    """Word-level diff of two texts: ``(-1, deleted)``, ``(0, equal)``,
    ``(1, inserted)`` runs, semantically cleaned up."""
    return diff_segments([old], [new])
