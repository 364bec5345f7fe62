"""Readable diff of two rendered versions of a policy (Chinese or English).

``diff_html(old_html, new_html)`` aligns the *blocks* of both documents
(headings, paragraphs, list items, table rows, whole ``pre`` blocks, …; see
``policykit.blocks``), pairs similar removed/added blocks and diffs those
inline at word level (``policykit.textdiff``, re-exported here as
``diff_text``), and detects moved blocks by hashing, like wikidiff2.
Alignment and inline diffs use fast-diff-match-patch (no time limit) on
strings where each distinct block or token is one character.

The result is the NEW document's HTML with the changes marked inside it. It
is balanced whatever the input (only input tags plus our own wrappers are
emitted, and ``ins``/``del`` only ever wrap a text run), so it cannot break
out of the element it is placed in.

Markup (CSS is up to the page):

``<ins>`` / ``<del>``
    Inserted / deleted text. Inside changed blocks each one carries
    ``<span class="sr-only">[inserted: </span>…<span class="sr-only">]</span>``
    (``deleted`` likewise) so screen readers announce it.
``diff-changed``
    Class on a block that was edited in place (inline ``ins``/``del``).
    ``diff-format`` is added when only its markup changed (links, emphasis);
    it then holds an ``sr-only`` note instead of ``ins``/``del``.
``diff-added`` / ``diff-removed``
    Class on a whole inserted / deleted block. All its text is in
    ``ins``/``del``, framed by ``sr-only`` "[inserted block: " … "]".
    Deleted blocks are re-inserted from the old HTML (ids dropped) inside
    ``<div class="diff-removed">``, or as ``<li class="diff-removed">`` /
    ``<tr class="diff-removed">`` inside the list/table they belonged to.
``diff-moved`` plus ``diff-moved-from`` (old place, text in ``del``) or
    ``diff-moved-to`` (new place, text in ``ins``): a block that moved. Each
    side holds a ``<span class="diff-note">`` with a link to the other side.
``diff-wrap``
    Re-created old container (list, table, admonition) around deleted blocks
    whose container no longer exists.
``diff-anchor``
    Empty ``<span class="diff-anchor" id="change-N">`` at the start of every
    changed/added/removed/moved block, numbered 1… in document order, for
    "next/previous change" links.
``sr-only``
    Visually hidden text for screen readers. Text extraction for tests or
    search should drop ``sr-only`` and ``diff-note`` spans.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

from policykit.diff import segment
from policykit.diff.blocks import (
    ITEM_TAGS,
    OPAQUE_TAGS,
    RAW_TEXT_TAGS,
    VOID_TAGS,
    Block,
    Node,
    collect_segs,
    escape_text,
    extract_blocks,
    is_flow,
    parse_html,
    serialize,
    start_tag,
)
from policykit.diff import tokendata
from policykit.diff.textdiff import diff_segments, diff_text, dmp_counts, encode

__all__ = ["DiffSummary", "DocDiff", "DiffLabels", "Parsed", "diff_html", "diff_html_and_tokens", "diff_text", "parse"]

#: Minimum similarity (Dice coefficient of matching characters) for pairing a
#: removed block with an added block as one changed block.
PAIR_THRESHOLD = 0.45
_FULL_DP_LIMIT = 250_000  # m*n cells; beyond that pairing is greedy
_BAND = 12  # in big regions only blocks near the diagonal are compared
# Leaf blocks that may hold a removed block at their end (keeps old order when
# a removed paragraph sat between two lists that have now merged).
_INSIDE_OK = frozenset({"li", "dd", "div", "blockquote", "section", "article", "aside"})


@dataclass(frozen=True)
class DiffSummary:
    """Number of blocks changed in place, added, removed and moved."""

    changed: int
    added: int
    removed: int
    moved: int

    @property
    def total(self) -> int:
        """Number of changes (equals the number of ``change-N`` anchors, with a
        move counting twice: once at each end)."""
        return self.changed + self.added + self.removed + 2 * self.moved


@dataclass(frozen=True)
class DocDiff:
    """The diff page body (balanced HTML) and its summary."""

    html: str
    summary: DiffSummary


@dataclass(frozen=True)
class DiffLabels:
    """Human-readable strings put into the markup (translate per site language)."""

    inserted: str = "inserted"
    deleted: str = "deleted"
    block_inserted: str = "inserted block"
    block_deleted: str = "deleted block"
    formatting: str = "formatting changed"
    moved_to: str = "Moved to"
    moved_from: str = "Moved from"
    change: str = "change"


# --------------------------------------------------------------------------
# block alignment


def _similarity(a: Block, b: Block, units: dict[Block, list[str]]) -> float:
    """Dice coefficient of the units (Han characters, words, punctuation) the
    two block texts share in order."""
    ua = units.get(a)
    if ua is None:
        ua = units[a] = segment.units(a.text)
    ub = units.get(b)
    if ub is None:
        ub = units[b] = segment.units(b.text)
    la, lb = len(ua), len(ub)
    if not la and not lb:
        return 1.0
    if not la or not lb or 2 * min(la, lb) / (la + lb) < PAIR_THRESHOLD:
        return 0.0
    ca, cb = encode(ua, ub)
    eq = sum(n for op, n in dmp_counts(ca, cb, "No") if op == "=")
    return 2 * eq / (la + lb)


def _pair(dels: list[Block], adds: list[Block]) -> list[tuple[int, int]]:
    """Monotonic pairing of removed and added blocks maximising similarity."""
    m, n = len(dels), len(adds)
    if not m or not n:
        return []
    if m == 1 and n == 1:
        return [(0, 0)] if dels[0].kind == adds[0].kind else []

    units: dict[Block, list[str]] = {}

    def sim(i: int, j: int) -> float:
        if dels[i].kind != adds[j].kind:
            return 0.0
        if m * n > 400 and abs(j - i * n / m) > _BAND:
            return 0.0
        return _similarity(dels[i], adds[j], units)

    if m * n > _FULL_DP_LIMIT:  # greedy along the diagonal
        pairs: list[tuple[int, int]] = []
        j0 = 0
        for i in range(m):
            best, best_j = 0.0, -1
            for j in range(j0, min(n, j0 + _BAND)):
                s = sim(i, j)
                if s >= PAIR_THRESHOLD and s > best:
                    best, best_j = s, j
            if best_j >= 0:
                pairs.append((i, best_j))
                j0 = best_j + 1
        return pairs

    score = [[0.0] * (n + 1) for _ in range(m + 1)]
    sims: dict[tuple[int, int], float] = {}
    for i in range(1, m + 1):
        row, prev = score[i], score[i - 1]
        for j in range(1, n + 1):
            best = prev[j] if prev[j] >= row[j - 1] else row[j - 1]
            s = sim(i - 1, j - 1)
            if s >= PAIR_THRESHOLD:
                sims[(i - 1, j - 1)] = s
                if prev[j - 1] + s > best:
                    best = prev[j - 1] + s
            row[j] = best
    pairs = []
    i, j = m, n
    while i > 0 and j > 0:
        paired = sims.get((i - 1, j - 1))
        if paired is not None and score[i][j] == score[i - 1][j - 1] + paired:
            pairs.append((i - 1, j - 1))
            i -= 1
            j -= 1
        elif score[i][j] == score[i - 1][j]:
            i -= 1
        else:
            j -= 1
    pairs.reverse()
    return pairs


# Events: ("eq", old, new) ("chg", old, new) ("del", old) ("ins", new)
#         ("mfrom", old, move) ("mto", new, move)
_Event = tuple[Any, ...]


def _align(old: list[Block], new: list[Block]) -> list[_Event]:
    """Align the block lists; returns events in merged document order."""
    ca, cb = encode([b.key for b in old], [b.key for b in new])
    seq: list[tuple[str, int, int]] = []
    i = j = 0
    for op, n in dmp_counts(ca, cb, "No"):
        if op == "=":
            seq.extend(("=", i + k, j + k) for k in range(n))
            i += n
            j += n
        elif op == "-":
            seq.extend(("-", i + k, -1) for k in range(n))
            i += n
        else:
            seq.extend(("+", -1, j + k) for k in range(n))
            j += n

    # moves: an exact removed block that reappears as an added block
    added_by_key: dict[str, list[int]] = {}
    for op, _, jj in seq:
        if op == "+" and new[jj].text.strip():
            added_by_key.setdefault(new[jj].key, []).append(jj)
    used: dict[str, int] = {}
    moved_old: dict[int, int] = {}
    moved_new: dict[int, int] = {}
    for op, ii, _ in seq:
        if op == "-":
            key = old[ii].key
            cands = added_by_key.get(key)
            k = used.get(key, 0)
            if cands and k < len(cands) and old[ii].text.strip():
                used[key] = k + 1
                moved_old[ii] = moved_new[cands[k]] = len(moved_old)

    events: list[_Event] = []
    dels: list[int] = []
    adds: list[int] = []

    def flush() -> None:
        if not dels and not adds:
            return
        cd = [x for x in dels if x not in moved_old]
        ca_ = [x for x in adds if x not in moved_new]
        pairs = _pair([old[x] for x in cd], [new[x] for x in ca_])
        di = ai = 0

        def emit_del(x: int) -> None:
            if x in moved_old:
                events.append(("mfrom", x, moved_old[x]))
            else:
                events.append(("del", x))

        def emit_add(x: int) -> None:
            if x in moved_new:
                events.append(("mto", x, moved_new[x]))
            else:
                events.append(("ins", x))

        for pi, pj in pairs:
            o, nw = cd[pi], ca_[pj]
            while dels[di] != o:
                emit_del(dels[di])
                di += 1
            while adds[ai] != nw:
                emit_add(adds[ai])
                ai += 1
            events.append(("chg", o, nw))
            di += 1
            ai += 1
        for x in dels[di:]:
            emit_del(x)
        for x in adds[ai:]:
            emit_add(x)
        dels.clear()
        adds.clear()

    for op, ii, jj in seq:
        if op == "=":
            flush()
            events.append(("eq", ii, jj))
        elif op == "-":
            dels.append(ii)
        else:
            adds.append(jj)
    flush()
    return events


# --------------------------------------------------------------------------
# rendering


def _spread(ops: list[tuple[int, str]], lens: list[int]) -> list[list[tuple[int, str]]]:
    """Split new-side diff runs over segments of the given lengths. Deletions
    at a segment boundary go to the end of the earlier segment."""
    n = len(lens)
    if n == 0:
        return [[(op, t) for op, t in ops if op == -1]]
    out: list[list[tuple[int, str]]] = [[] for _ in range(n)]
    k = off = pos = 0
    for op, text in ops:
        if op == -1:
            out[k].append((op, text))
            continue
        while text:
            while k < n - 1 and pos >= off + lens[k]:
                off += lens[k]
                k += 1
            take = min(len(text), off + lens[k] - pos)
            out[k].append((op, text[:take]))
            text = text[take:]
            pos += take
    return out


_ROW_PARENTS = frozenset({"table", "thead", "tbody", "tfoot"})


def _flow_chain(ancestors: list[Node]) -> list[Node]:
    """The old containers below the deepest flow ancestor (``ul``, ``table``…)."""
    j = len(ancestors) - 1
    while j > 0 and not is_flow(ancestors[j]):
        j -= 1
    return ancestors[j + 1:]


def _adapter(anchor: Node, parent: Node) -> list[Node]:
    """Synthetic item elements that let flow content sit next to ``anchor``
    inside a structural ``parent`` (``<li>`` in lists, a full-width cell in tables)."""
    tag = parent.tag
    if tag in ("ul", "ol", "menu"):
        return [Node("el", "li", [], "<li>")]
    if tag == "dl":
        return [Node("el", "dd", [], "<dd>")]
    if tag in _ROW_PARENTS:
        span = str(max(1, len(_cells(anchor)))) if anchor.tag == "tr" else "1"
        return [Node("el", "tr", [], "<tr>"),
                Node("el", "td", [("colspan", span)], f'<td colspan="{span}">')]
    if tag == "tr":
        return [Node("el", "td", [], "<td>")]
    return []


def _cells(node: Node) -> list[Node]:
    return [c for c in node.children if c.kind == "el" and c.tag in ("td", "th")]


def _segs_of(node: Node) -> list[Node]:
    segs: list[Node] = []
    collect_segs(node, segs)
    return segs


@dataclass(eq=False)
class _New:
    block: Block
    mode: str  # "chg" | "ins" | "mto"
    move: int = -1
    pieces: dict[Node, list[tuple[int, str]]] = field(default_factory=dict)
    virtual: dict[Node, list[tuple[int, str]]] = field(default_factory=dict)
    format_only: bool = False


@dataclass(eq=False)
class _Old:
    block: Block
    mode: str  # "del" | "mfrom"
    move: int = -1
    wrap: list[Node] = field(default_factory=list)


def _inline(old: Block, new: Block) -> _New:
    """Inline word diff of a paired block, spread over the new text nodes."""
    st = _New(new, "chg")
    slots: list[tuple[Node, list[Node], list[Node]]] = []
    if new.node.tag == "tr" and old.node.tag == "tr":
        oc, nc = _cells(old.node), _cells(new.node)
        if len(oc) == len(nc) and nc:
            slots = [(n, _segs_of(o), _segs_of(n)) for o, n in zip(oc, nc, strict=True)]
    if not slots:
        host = new.node
        if host.tag == "tr":
            cells = _cells(host)
            host = cells[0] if cells else host
        slots = [(host, old.segs, new.segs)]
    changed = False
    for host, osegs, nsegs in slots:
        ops = diff_segments([s.text for s in osegs], [s.text for s in nsegs])
        if any(op for op, _ in ops):
            changed = True
        parts = _spread(ops, [len(s.text) for s in nsegs])
        if nsegs:
            for seg, p in zip(nsegs, parts, strict=True):  # _spread gives one part per segment
                st.pieces[seg] = p
        elif parts[0]:
            st.virtual[host] = parts[0]
    st.format_only = not changed
    return st


class _Renderer:
    def __init__(self, labels: DiffLabels) -> None:
        self.labels = labels
        self.out: list[str | tuple[int, str]] = []
        self.counter = 0
        self.status: dict[Node, _New] = {}
        self.before: dict[Node, list[_Old]] = {}
        self.after: dict[Node, list[_Old]] = {}
        self.tail: list[_Old] = []
        self.inside: dict[Node, list[_Old]] = {}
        self.hot: set[Node] = set()
        self.move_ids: dict[tuple[int, str], int] = {}
        lb = labels
        e = html.escape
        self.sr_ins = (f'<ins><span class="sr-only">[{e(lb.inserted)}: </span>',
                       '<span class="sr-only">]</span></ins>')
        self.sr_del = (f'<del><span class="sr-only">[{e(lb.deleted)}: </span>',
                       '<span class="sr-only">]</span></del>')

    # -- placement ---------------------------------------------------------

    def _mark_hot(self, node: Node | None) -> None:
        while node is not None and node not in self.hot:
            self.hot.add(node)
            node = node.parent

    def place_run(self, items: list[_Old], a: Block | None, b: Block | None) -> None:
        """Attach removed blocks found between new blocks ``a`` and ``b``.

        Old document order is preserved: a prefix goes after ``a`` (as its
        sibling when the containers match, else at the deepest compatible
        level with re-created containers), a suffix whose container matches
        ``b``'s goes right before ``b``.
        """
        if not items:
            return
        if a is None and b is None:
            for item in items:
                item.wrap = item.block.ancestors[1:]
                self.tail.append(item)
            return
        split = len(items)
        if b is not None:
            if a is None:
                split = 0
            else:
                k = len(items)
                while k > 0 and items[k - 1].block.path == b.path:
                    k -= 1
                for idx in range(k, len(items)):
                    r = items[idx].block
                    if r.first_in_parent or a.path != r.path:
                        split = idx
                        break
        if split:
            assert a is not None
            self._attach(items[:split], a, b, forward=True)
        if split < len(items):
            assert b is not None
            self._attach(items[split:], b, None, forward=False)

    def _attach(self, items: list[_Old], anchor: Block, nxt: Block | None,
                forward: bool) -> None:
        anc = anchor.ancestors
        node = anchor.node
        inside = len(anc)  # pseudo depth: inside the anchor block, at its end
        sibling = len(anc) - 1  # depth of the anchor's parent: a sibling
        depths: list[int] = []
        for item in items:
            rp = item.block.path
            limit = min(len(anc) - 1, len(rp))
            d = 0
            while d < limit and anc[d + 1].tag == rp[d]:
                d += 1
            while d > 0 and not (d == len(rp) or is_flow(anc[d])):
                d -= 1
            if (forward and nxt is not None and d < sibling
                    and any(x is anc[d + 1] for x in nxt.ancestors)):
                # after the host we would jump past ``nxt``: stay next to the anchor
                d = inside if node.kind == "el" and node.tag in _INSIDE_OK else sibling
            depths.append(d)
        order = range(len(items)) if forward else range(len(items) - 1, -1, -1)
        low = inside
        for k in order:  # never place a later item deeper than an earlier one
            low = min(low, depths[k])
            depths[k] = low
        target = self.after if forward else self.before
        adapter: list[Node] | None = None
        for item, d in zip(items, depths, strict=True):
            ra = item.block.ancestors
            if d == inside:
                item.wrap = _flow_chain(ra)
                self.inside.setdefault(node, []).append(item)
                self._mark_hot(node)
                continue
            host = anc[d + 1] if d + 1 < len(anc) else node
            if d == sibling and not is_flow(anc[-1]) and item.block.path != anchor.path and not (
                    item.block.node.tag == "tr" and anc[-1].tag in _ROW_PARENTS):
                if adapter is None:
                    adapter = _adapter(node, anc[-1])
                item.wrap = adapter + _flow_chain(ra)
            else:
                item.wrap = ra[d + 1:]
            target.setdefault(host, []).append(item)
            self._mark_hot(host)

    # -- output helpers ----------------------------------------------------

    def _anchor(self) -> str:
        self.counter += 1
        return f'<span class="diff-anchor" id="change-{self.counter}"></span>'

    def _note(self, text: str, move: int, side: str) -> None:
        e = html.escape
        self.out.append(f'<span class="diff-note">{e(text)} <a href="#change-')
        self.out.append((move, side))
        self.out.append('">')
        self.out.append(f"{e(self.labels.change)} ")
        self.out.append((move, side))
        self.out.append("</a></span>")

    def _sr(self, text: str) -> str:
        return f'<span class="sr-only">{html.escape(text)}</span>'

    # -- new-side blocks ---------------------------------------------------

    def emit(self, node: Node) -> None:
        """Emit ``node`` with all changes that hang on it or below it."""
        if node not in self.hot:
            serialize(node, self.out)  # type: ignore[arg-type]
            return
        items = self.before.get(node)
        if items:
            self.emit_old_list(items)
        st = self.status.get(node)
        if st is not None:
            self.emit_new(node, st)
        elif node.kind == "el":
            self.out.append(node.start)
            for child in node.children:
                self.emit(child)
            items = self.inside.get(node)
            if items:
                self.emit_old_list(items)
            if node.tag not in VOID_TAGS:
                self.out.append(f"</{node.tag}>")
        elif node.kind in ("root", "anon"):
            for child in node.children:
                self.emit(child)
        else:
            serialize(node, self.out)  # type: ignore[arg-type]
        items = self.after.get(node)
        if items:
            self.emit_old_list(items)

    def _lead_tail(self, mode: str, move: int, new_side: bool, fmt: bool) -> tuple[
            list[str | tuple[int, str]], str]:
        lb = self.labels
        saved = self.out
        self.out = []
        self.out.append(self._anchor())
        if new_side:
            if mode == "mto":
                self.move_ids[(move, "to")] = self.counter
                self._note(lb.moved_from, move, "from")
            if mode in ("ins", "mto"):
                self.out.append(self._sr(f"[{lb.block_inserted}: "))
            elif fmt:
                self.out.append(self._sr(f"[{lb.formatting}]"))
        else:
            if mode == "mfrom":
                self.move_ids[(move, "from")] = self.counter
                self._note(lb.moved_to, move, "to")
            self.out.append(self._sr(f"[{lb.block_deleted}: "))
        lead, self.out = self.out, saved
        tail = "" if (new_side and mode == "chg") else self._sr("]")
        return lead, tail

    def emit_new(self, node: Node, st: _New) -> None:
        cls = {"chg": "diff-changed", "ins": "diff-added",
               "mto": "diff-moved diff-moved-to"}[st.mode]
        if st.format_only:
            cls += " diff-format"
        lead, tail = self._lead_tail(st.mode, st.move, True, st.format_only)
        segs = set(st.block.segs) if st.mode != "chg" else None
        self._emit_block(node, cls, lead, tail, st, segs, old=False)

    def _emit_block(self, node: Node, cls: str, lead: list[str | tuple[int, str]], tail: str,
                    st: _New | None, whole: set[Node] | None, old: bool) -> None:
        """Emit a block element with class, lead/tail markup and marked text."""
        out = self.out
        if node.kind == "anon":
            out.append(f'<span class="{cls}">')
            out.extend(lead)
            for child in node.children:
                self._inner(child, st, whole, old, None, None, (), "")
            out.append(tail)
            out.append("</span>")
            return
        if node.tag in VOID_TAGS:
            out.extend(lead)
            out.append(start_tag(node, add_class=cls, drop_id=old))
            out.append(tail)
            return
        lead_host = tail_host = node
        if node.tag == "tr":
            cells = _cells(node)
            if cells:
                lead_host, tail_host = cells[0], cells[-1]
        out.append(start_tag(node, add_class=cls, drop_id=old))
        if lead_host is node:
            out.extend(lead)
        for child in node.children:
            self._inner(child, st, whole, old, lead_host, tail_host, lead, tail)
        if st is not None and node in st.virtual:
            self._pieces(st.virtual[node])
        if tail_host is node:
            out.append(tail)
        items = self.inside.get(node) if not old else None
        if items:
            self.emit_old_list(items)
        out.append(f"</{node.tag}>")

    def _inner(self, node: Node, st: _New | None, whole: set[Node] | None, old: bool,
               lead_host: Node | None, tail_host: Node | None,
               lead: list[str | tuple[int, str]] | tuple[()], tail: str) -> None:
        out = self.out
        kind = node.kind
        if kind == "text":
            if whole is not None and node in whole:
                w = "del" if old else "ins"
                out.append(f"<{w}>{escape_text(node.text)}</{w}>")
            elif st is not None and node in st.pieces:
                self._pieces(st.pieces[node])
            else:
                serialize(node, out)  # type: ignore[arg-type]
            return
        if kind != "el":
            if kind == "raw" and old:
                return  # old comments are not re-inserted
            serialize(node, out)  # type: ignore[arg-type]
            return
        if old and node.tag in OPAQUE_TAGS:
            return  # never re-run old scripts/styles
        if node.tag in RAW_TEXT_TAGS or node.tag in OPAQUE_TAGS:
            serialize(node, out)  # type: ignore[arg-type]
            return
        out.append(start_tag(node, drop_id=old))
        if node is lead_host:
            out.extend(lead)
        for child in node.children:
            self._inner(child, st, whole, old, lead_host, tail_host, lead, tail)
        if st is not None and node in st.virtual:
            self._pieces(st.virtual[node])
        if node is tail_host:
            out.append(tail)
        if node.tag not in VOID_TAGS:
            out.append(f"</{node.tag}>")

    def _pieces(self, pieces: list[tuple[int, str]]) -> None:
        out = self.out
        for op, text in pieces:
            if op == 0:
                out.append(escape_text(text))
            else:
                pre, post = self.sr_ins if op == 1 else self.sr_del
                out.append(pre)
                out.append(escape_text(text))
                out.append(post)

    # -- old-side blocks ---------------------------------------------------

    def emit_old_list(self, items: list[_Old]) -> None:
        """Emit removed blocks; consecutive ones share re-created containers."""
        open_: list[Node] = []
        for item in items:
            k = 0
            while k < len(open_) and k < len(item.wrap) and open_[k] is item.wrap[k]:
                k += 1
            while len(open_) > k:
                self.out.append(f"</{open_.pop().tag}>")
            for w in item.wrap[k:]:
                self.out.append(start_tag(w, add_class="diff-wrap", drop_id=True))
                open_.append(w)
            self.emit_old(item)
        while open_:
            self.out.append(f"</{open_.pop().tag}>")

    def emit_old(self, item: _Old) -> None:
        node = item.block.node
        cls = "diff-removed" if item.mode == "del" else "diff-moved diff-moved-from"
        lead, tail = self._lead_tail(item.mode, item.move, False, False)
        whole = set(item.block.segs)
        if node.kind == "el" and node.tag in ITEM_TAGS:
            self._emit_block(node, cls, lead, tail, None, whole, old=True)
            return
        self.out.append(f'<div class="{cls}">')
        self.out.extend(lead)
        for child in (node.children if node.kind == "anon" else [node]):
            self._inner(child, None, whole, True, None, None, (), "")
        self.out.append(tail)
        self.out.append("</div>")

    # -- driver ------------------------------------------------------------

    def render(self, root: Node, old: list[Block], new: list[Block],
               events: list[_Event]) -> DocDiff:
        changed = added = removed = moved = 0
        pending: list[_Old] = []
        last: Block | None = None
        for ev in events:
            tag = ev[0]
            if tag in ("del", "mfrom"):
                item = _Old(old[ev[1]], tag, ev[2] if tag == "mfrom" else -1)
                pending.append(item)
                if tag == "del":
                    removed += 1
                continue
            nb = new[ev[2] if tag in ("eq", "chg") else ev[1]]
            self.place_run(pending, last, nb)
            pending = []
            if tag == "chg":
                self.status[nb.node] = _inline(old[ev[1]], nb)
                changed += 1
            elif tag == "ins":
                self.status[nb.node] = _New(nb, "ins")
                added += 1
            elif tag == "mto":
                self.status[nb.node] = _New(nb, "mto", ev[2])
                moved += 1
            if tag != "eq":
                self._mark_hot(nb.node)
            last = nb
        self.place_run(pending, last, None)
        self.hot.add(root)
        self.emit(root)
        if self.tail:
            self.emit_old_list(self.tail)
        parts: list[str] = []
        for p in self.out:
            parts.append(p if isinstance(p, str) else str(self.move_ids.get(p, "")))
        return DocDiff("".join(parts), DiffSummary(changed, added, removed, moved))


def diff_html(old_html: str, new_html: str, *, labels: DiffLabels | None = None) -> DocDiff:
    """Diff two rendered HTML documents; returns the new document with the
    changes marked (see the module docstring) and a block-level summary."""
    return diff_html_and_tokens(old_html, new_html, labels=labels)[0]


@dataclass(frozen=True)
class Parsed:
    """A parsed text and its blocks; the diff only reads them, so one parse serves two diffs."""

    root: Node
    blocks: list[Block]


def parse(html_text: str) -> Parsed:
    root = parse_html(html_text)
    return Parsed(root, extract_blocks(root))


def diff_html_and_tokens(old: str | Parsed, new_html: str, *, labels: DiffLabels | None = None,
                         known: Mapping[str, str] | None = None,
                         seen: dict[str, str] | None = None) -> tuple[DocDiff, str, Parsed]:
    """``diff_html``, ``tokendata.token_data(new_html, known, seen)`` and the new text's parse, from one parse
    of the new text; *old* may be the parse the diff before returned (a version's text is then parsed once)."""
    old_p = old if isinstance(old, Parsed) else parse(old)
    new_p = parse(new_html)
    tokens = tokendata.token_data_of_blocks(new_p.blocks, known, seen)
    events = _align(old_p.blocks, new_p.blocks)
    return _Renderer(labels or DiffLabels()).render(new_p.root, old_p.blocks, new_p.blocks, events), tokens, new_p
