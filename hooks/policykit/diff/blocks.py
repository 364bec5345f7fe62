"""Parse rendered HTML into a tree and cut it into diffable blocks.

A *block* is the unit the document diff aligns: a heading, a paragraph, a
list item, a table row, a whole ``pre``, a ``summary``, a leaf ``div``/
``blockquote``/``dd`` … Containers (lists, tables, block quotes, admonitions,
list items holding nested lists or paragraphs) are not blocks themselves;
their children are. Inline content sitting directly in a container next to
block children (``<li>text<ul>…</ul></li>``) becomes an *anonymous* block.

Parsing uses the stdlib ``html.parser``. The tree is always balanced: stray
end tags are dropped and unclosed elements are closed, so serialising it
yields balanced HTML whatever the input was. Text is held decoded and
re-escaped on output; start tags are kept verbatim unless a class or id has
to be changed.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = [
    "Node",
    "Block",
    "parse_html",
    "extract_blocks",
    "serialize",
    "start_tag",
    "escape_text",
    "collect_segs",
    "is_flow",
    "VOID_TAGS",
]

VOID_TAGS = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr".split()
)
# Content html.parser does not decode and that must never be touched.
RAW_TEXT_TAGS = frozenset({"script", "style"})
# Elements whose content is never diffed (treated like markup, not text).
OPAQUE_TAGS = frozenset(
    {"script", "style", "template", "textarea", "svg", "math", "iframe", "object",
     "video", "audio", "canvas", "select", "noscript"}
)
BLOCK_TAGS = frozenset(
    "address article aside blockquote caption colgroup dd details dialog div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr legend "
    "li main menu nav ol p pre search section summary table tbody td tfoot th thead tr ul"
    .split()
)
# Blocks even if (invalid) block markup sits inside them.
ALWAYS_LEAF = frozenset(
    "p h1 h2 h3 h4 h5 h6 pre tr hr summary caption legend figcaption dt".split()
)
# Containers that may only hold specific children (no text, no div wrapper).
STRUCTURAL_TAGS = frozenset("ul ol dl menu table thead tbody tfoot tr colgroup".split())
# Elements that must stay direct children of a structural parent.
ITEM_TAGS = frozenset("li dt dd tr summary caption".split())
_CLOSES_P = BLOCK_TAGS - {"td", "th", "tr", "thead", "tbody", "tfoot", "caption", "colgroup"}
_SIBLING_CLOSE: dict[str, frozenset[str]] = {
    "li": frozenset({"li"}),
    "dt": frozenset({"dt", "dd"}),
    "dd": frozenset({"dt", "dd"}),
    "tr": frozenset({"tr", "td", "th"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
}
_SCOPE_STOP: dict[str, frozenset[str]] = {
    "li": frozenset({"ul", "ol", "menu"}),
    "dt": frozenset({"dl"}),
    "dd": frozenset({"dl"}),
    "tr": frozenset({"table", "thead", "tbody", "tfoot"}),
    "td": frozenset({"tr", "table"}),
    "th": frozenset({"tr", "table"}),
}


class Node:
    """One node of the parsed tree (root, element, text, anon group or raw markup)."""

    __slots__ = ("kind", "tag", "attrs", "start", "children", "text", "parent")

    def __init__(
        self,
        kind: str,
        tag: str = "",
        attrs: list[tuple[str, str | None]] | None = None,
        start: str = "",
        text: str = "",
        parent: Node | None = None,
    ) -> None:
        self.kind = kind  # "root" | "el" | "text" | "raw" | "anon"
        self.tag = tag
        self.attrs = attrs or []
        self.start = start  # verbatim start tag for elements
        self.children: list[Node] = []
        self.text = text  # decoded text ("text") or verbatim markup ("raw")
        self.parent = parent

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Node({self.kind}, {self.tag or self.text[:20]!r})"


@dataclass(eq=False, slots=True)
class Block:
    """A diffable block: its node, its identity key, and its text segments."""

    node: Node
    key: str
    kind: str
    path: tuple[str, ...]  # tags of the ancestors below the root
    ancestors: list[Node]  # root first, parent last
    segs: list[Node] = field(default_factory=list)  # diffable text nodes
    first_in_parent: bool = False
    text: str = ""  # the concatenated diffable text


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack: list[Node] = [self.root]

    def _close_to(self, index: int) -> None:
        del self.stack[index:]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, self.get_starttag_text() or f"<{tag}>", selfclosing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, self.get_starttag_text() or f"<{tag}>", selfclosing=True)

    def _open(self, tag: str, attrs: list[tuple[str, str | None]], raw: str,
              selfclosing: bool) -> None:
        stack = self.stack
        if tag in _CLOSES_P:
            for i in range(len(stack) - 1, 0, -1):
                t = stack[i].tag
                if t == "p":
                    self._close_to(i)
                    break
                if t in BLOCK_TAGS or t in OPAQUE_TAGS:
                    break
        closes = _SIBLING_CLOSE.get(tag)
        if closes:
            stop = _SCOPE_STOP[tag]
            for i in range(len(stack) - 1, 0, -1):
                t = stack[i].tag
                if t in closes:
                    self._close_to(i)
                    break
                if t in stop:
                    break
        if tag not in VOID_TAGS and selfclosing:
            # "<div/>" is an open tag in HTML; we emit it closed and empty.
            raw = start_tag_from_attrs(tag, attrs)
        node = Node("el", tag, attrs, raw, parent=stack[-1])
        stack[-1].children.append(node)
        if tag not in VOID_TAGS and not selfclosing:
            stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        stack = self.stack
        for i in range(len(stack) - 1, 0, -1):
            if stack[i].tag == tag:
                self._close_to(i)
                return
        # stray end tag: dropped

    def handle_data(self, data: str) -> None:
        if not data:
            return
        parent = self.stack[-1]
        if parent.children and parent.children[-1].kind == "text":
            parent.children[-1].text += data
        else:
            parent.children.append(Node("text", text=data, parent=parent))

    def _raw(self, markup: str) -> None:
        parent = self.stack[-1]
        parent.children.append(Node("raw", text=markup, parent=parent))

    def handle_comment(self, data: str) -> None:
        self._raw(f"<!--{data.replace('--', '- -')}-->")

    def handle_decl(self, decl: str) -> None:
        self._raw(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self._raw(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self._raw(f"<![{data}]>")


def parse_html(source: str) -> Node:
    """Parse ``source`` into a balanced tree and return its root node."""
    builder = _TreeBuilder()
    builder.feed(source)
    builder.close()
    return builder.root


def escape_text(text: str) -> str:
    """Escape decoded text for HTML output."""
    return html.escape(text.replace("\x00", "\ufffd"), quote=False)


def start_tag_from_attrs(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    """Build a start tag from a tag name and decoded attributes."""
    parts = [f"<{tag}"]
    for name, value in attrs:
        if value is None:
            parts.append(f" {name}")
        else:
            parts.append(f' {name}="{html.escape(value, quote=True)}"')
    parts.append(">")
    return "".join(parts)


def start_tag(node: Node, add_class: str = "", drop_id: bool = False) -> str:
    """Return ``node``'s start tag, optionally adding a class and dropping its id."""
    if not add_class and not (drop_id and any(k == "id" for k, _ in node.attrs)):
        return node.start
    attrs: list[tuple[str, str | None]] = []
    seen_class = False
    for name, value in node.attrs:
        if name == "id" and drop_id:
            continue
        if name == "class" and add_class and not seen_class:
            value = f"{value} {add_class}" if value else add_class
            seen_class = True
        attrs.append((name, value))
    if add_class and not seen_class:
        attrs.append(("class", add_class))
    return start_tag_from_attrs(node.tag, attrs)


def end_tag(node: Node) -> str:
    """Return the end tag for ``node`` ("" for void elements)."""
    return "" if node.tag in VOID_TAGS else f"</{node.tag}>"


def serialize(node: Node, out: list[str]) -> None:
    """Append the HTML of ``node`` (and its subtree) to ``out``."""
    kind = node.kind
    if kind == "text":
        parent = node.parent
        if parent is not None and parent.tag in RAW_TEXT_TAGS:
            out.append(node.text)
        else:
            out.append(escape_text(node.text))
    elif kind == "raw":
        out.append(node.text)
    elif kind == "el":
        out.append(node.start)
        for child in node.children:
            serialize(child, out)
        if node.tag not in VOID_TAGS:
            out.append(f"</{node.tag}>")
    else:  # root, anon
        for child in node.children:
            serialize(child, out)


def is_flow(node: Node) -> bool:
    """True if a ``<div>`` wrapper may be inserted as a child of ``node``."""
    return node.kind == "root" or (
        node.tag not in STRUCTURAL_TAGS and node.tag not in ALWAYS_LEAF
    )


def _has_block_descendant(node: Node) -> bool:
    for child in node.children:
        if child.kind == "el":
            if child.tag in BLOCK_TAGS:
                return True
            if child.tag not in OPAQUE_TAGS and _has_block_descendant(child):
                return True
    return False


def _is_block_child(node: Node) -> bool:
    return node.kind == "el" and (node.tag in BLOCK_TAGS or _has_block_descendant(node))


def collect_segs(node: Node, segs: list[Node]) -> None:
    """Append the diffable text nodes under ``node`` (not inside scripts and
    similar, not whitespace between table cells or list items) to ``segs``."""
    for child in node.children:
        if child.kind == "text":
            if node.tag not in STRUCTURAL_TAGS:
                segs.append(child)
        elif child.kind == "el" and child.tag not in OPAQUE_TAGS:
            collect_segs(child, segs)


def _key_markup(node: Node, out: list[str]) -> None:
    """Serialise for identity: ids and in-page links ignored (toc renumbers them)."""
    kind = node.kind
    if kind == "text":
        out.append(node.text)
    elif kind == "raw":
        out.append(node.text)
    elif kind == "el":
        if any(k == "id" or (k == "href" and v and v.startswith("#")) for k, v in node.attrs):
            out.append(start_tag_from_attrs(
                node.tag,
                [(k, v) for k, v in node.attrs
                 if k != "id" and not (k == "href" and v and v.startswith("#"))],
            ))
        else:
            out.append(node.start)
        for child in node.children:
            _key_markup(child, out)
        out.append("</>")
    else:
        for child in node.children:
            _key_markup(child, out)


def _kind(node: Node) -> str:
    tag = node.tag
    if node.kind == "anon" or tag in ("p", "div", "blockquote", "dd", "section", "figcaption"):
        return "p"
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return "h"
    return tag


def _make_block(node: Node, ancestors: list[Node], first: bool) -> Block:
    segs: list[Node] = []
    if node.kind == "text":  # pragma: no cover - never a block by itself
        segs.append(node)
    else:
        collect_segs(node, segs)
    out: list[str] = [node.tag, "\x1f"]
    _key_markup(node, out)
    return Block(
        node=node,
        key="".join(out),
        kind=_kind(node),
        path=tuple(a.tag for a in ancestors[1:]),
        ancestors=list(ancestors),
        segs=segs,
        first_in_parent=first,
        text="".join(s.text for s in segs),
    )


def _walk(container: Node, ancestors: list[Node], blocks: list[Block]) -> None:
    """Split ``container``'s children into blocks (regrouping inline runs)."""
    children = container.children
    if not any(_is_block_child(c) for c in children):
        return
    regrouped: list[Node] = []
    run: list[Node] = []

    def flush() -> None:
        if not run:
            return
        if all((c.kind == "text" and not c.text.strip()) or c.kind == "raw" for c in run):
            regrouped.extend(run)
        else:
            anon = Node("anon", parent=container)
            anon.children = list(run)
            for c in run:
                c.parent = anon
            regrouped.append(anon)
        run.clear()

    for child in children:
        if _is_block_child(child):
            flush()
            regrouped.append(child)
        else:
            run.append(child)
    flush()
    container.children = regrouped
    inner = ancestors + [container]
    first = True
    for child in regrouped:
        if child.kind == "anon":
            blocks.append(_make_block(child, inner, first))
            first = False
        elif child.kind == "el":
            if child.tag in ALWAYS_LEAF or not _has_block_descendant(child):
                blocks.append(_make_block(child, inner, first))
            else:
                _walk(child, inner, blocks)
            first = False


def extract_blocks(root: Node) -> list[Block]:
    """Return the blocks of the parsed document ``root`` in document order."""
    blocks: list[Block] = []
    if root.children and not any(_is_block_child(c) for c in root.children):
        # the whole document is inline content: one anonymous block
        if any(c.kind != "text" or c.text.strip() for c in root.children):
            anon = Node("anon", parent=root)
            anon.children = root.children
            for c in anon.children:
                c.parent = anon
            root.children = [anon]
            blocks.append(_make_block(anon, [root], True))
        return blocks
    _walk(root, [], blocks)
    return blocks
