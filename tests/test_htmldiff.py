"""Tests for policykit.htmldiff (block-aligned, word-level diff of rendered HTML)."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policykit.diff.blocks import BLOCK_TAGS, VOID_TAGS
from policykit.diff.htmldiff import DiffLabels, DiffSummary, DocDiff, diff_html, diff_text

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "privacy-zh-Hant.md"
EXTENSIONS = ["tables", "toc", "attr_list", "md_in_html", "admonition",
              "pymdownx.details", "pymdownx.superfences"]
_MD = markdown.Markdown(extensions=EXTENSIONS)


def render(source: str) -> str:
    """Render Markdown the way the site does (locally, without MkDocs)."""
    _MD.reset()
    return _MD.convert(source)


# ---------------------------------------------------------------- helpers


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_TAGS:
            self.errors.append(f"self-closed non-void <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            self.errors.append(f"end tag for void <{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def assert_balanced(html: str) -> None:
    """Every non-void element is closed, in order, and nothing extra is closed."""
    checker = _Balance()
    checker.feed(html)
    checker.close()
    assert not checker.errors, checker.errors[:5]
    assert not checker.stack, f"unclosed: {checker.stack}"


class _Text(HTMLParser):
    """Text per block; drops sr-only/diff-note spans, scripts, and ins or del."""

    def __init__(self, drop: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.drop = drop
        self.stack: list[bool] = []  # True = skip text inside
        self.blocks: list[str] = []
        self.buf: list[str] = []

    def _flush(self) -> None:
        text = "".join(self.buf)
        if text.strip():
            self.blocks.append(text)
        self.buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self._flush()
        if tag in VOID_TAGS:
            return
        classes = (dict(attrs).get("class") or "").split()
        skip = (bool(self.stack and self.stack[-1]) or tag == self.drop
                or tag in ("script", "style") or "sr-only" in classes or "diff-note" in classes)
        self.stack.append(skip)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self._flush()
        if tag not in VOID_TAGS and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.buf.append(data)


def block_texts(html: str, drop: str | None = None) -> list[str]:
    parser = _Text(drop)
    parser.feed(html)
    parser.close()
    parser._flush()
    return parser.blocks


def strip_sr(html: str) -> str:
    """Remove screen-reader-only spans (they hold no markup)."""
    return re.sub(r'<span class="sr-only">[^<]*</span>', "", html)


def check(old_html: str, new_html: str) -> DocDiff:
    """Diff and verify balance, losslessness and anchor numbering."""
    result = diff_html(old_html, new_html)
    assert_balanced(result.html)
    assert block_texts(result.html, drop="ins") == block_texts(old_html)
    assert block_texts(result.html, drop="del") == block_texts(new_html)
    ids = re.findall(r'id="change-(\d+)"', result.html)
    assert ids == [str(i) for i in range(1, len(ids) + 1)]
    assert len(ids) == result.summary.total
    return result


# ---------------------------------------------------------------- diff_text

_ZH_WORDS = ["我們", "個人", "訊息", "收集", "未滿", "十八歲", "十六歲", "的", "用戶", "政策",
             "，", "。", "、", "隱私", "第三方", "和", "不會", "可能"]
_EN_WORDS = ["we", "collect", "your", "personal", "data", "the", "policy", "may", "not",
             "share", "with", "third", "parties", ",", ".", " ", " ", " ", "Cookies", "IP"]


@st.composite
def _edited(draw: st.DrawFn, words: list[str]) -> tuple[str, str]:
    """A text and a randomly edited copy (insertions, deletions, replacements)."""
    old = draw(st.lists(st.sampled_from(words), max_size=40))
    new = list(old)
    for _ in range(draw(st.integers(0, 5))):
        op = draw(st.sampled_from(["ins", "del", "rep"]))
        pos = draw(st.integers(0, len(new)))
        if op == "ins" or not new:
            new[pos:pos] = draw(st.lists(st.sampled_from(words), min_size=1, max_size=4))
        elif op == "del":
            del new[pos:pos + draw(st.integers(1, 4))]
        else:
            new[pos:pos + 1] = [draw(st.sampled_from(words))]
    return "".join(old), "".join(new)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_edited(_ZH_WORDS), _edited(_EN_WORDS), _edited(_ZH_WORDS + _EN_WORDS)))
def test_diff_text_is_lossless(pair: tuple[str, str]) -> None:
    old, new = pair
    ops = diff_text(old, new)
    assert "".join(t for op, t in ops if op <= 0) == old
    assert "".join(t for op, t in ops if op >= 0) == new
    assert all(t for _, t in ops)
    assert all(a[0] != b[0] for a, b in itertools.pairwise(ops))  # runs are merged


def test_diff_text_chinese_number_is_a_word() -> None:
    assert diff_text("未滿十八歲的用戶", "未滿十六歲的用戶") == [
        (0, "未滿"), (-1, "十八歲"), (1, "十六歲"), (0, "的用戶")]


def test_diff_text_english_words() -> None:
    assert diff_text("We collect your data.", "We share your data.") == [
        (0, "We "), (-1, "collect"), (1, "share"), (0, " your data.")]


def test_diff_text_semantic_cleanup_avoids_confetti() -> None:
    ops = diff_text("the cat sat on a mat", "one dog ran to my house")
    assert ops == [(-1, "the cat sat on a mat"), (1, "one dog ran to my house")]


def test_diff_text_edge_cases() -> None:
    assert diff_text("", "") == []
    assert diff_text("same", "same") == [(0, "same")]
    assert diff_text("", "新") == [(1, "新")]
    assert diff_text("舊", "") == [(-1, "舊")]


# ---------------------------------------------------------------- golden cases


def test_chinese_number_change_is_shown_as_words() -> None:
    old = render("## 兒童\n\n未滿十八歲的用戶不得使用本服務。\n")
    new = render("## 兒童\n\n未滿十六歲的用戶不得使用本服務。\n")
    result = check(old, new)
    assert result.summary == DiffSummary(changed=1, added=0, removed=0, moved=0)
    html = strip_sr(result.html)
    assert ('<p class="diff-changed"><span class="diff-anchor" id="change-1"></span>'
            "未滿<del>十八歲</del><ins>十六歲</ins>的用戶不得使用本服務。</p>") in html
    assert '<span class="sr-only">[deleted: </span>十八歲' in result.html
    assert '<span class="sr-only">[inserted: </span>十六歲' in result.html


def test_list_item_inserted_in_the_middle() -> None:
    old = render("1. 電子郵件地址\n2. IP 地址\n3. 電話號碼\n")
    new = render("1. 電子郵件地址\n2. 郵寄地址\n3. IP 地址\n4. 電話號碼\n")
    result = check(old, new)
    assert result.summary == DiffSummary(changed=0, added=1, removed=0, moved=0)
    html = strip_sr(result.html)
    assert re.search(r"<li>電子郵件地址</li>\n<li class=\"diff-added\">"
                     r"<span class=\"diff-anchor\" id=\"change-1\"></span><ins>郵寄地址</ins></li>\n"
                     r"<li>IP 地址</li>", html)
    assert "[inserted block: " in result.html


def test_list_item_removed_stays_in_its_list() -> None:
    old = render("- 甲項\n- 乙項\n- 丙項\n")
    new = render("- 甲項\n- 丙項\n")
    result = check(old, new)
    assert result.summary.removed == 1
    html = strip_sr(result.html)
    assert re.search(r"<ul>\n<li>甲項</li>\n?<li class=\"diff-removed\">.*<del>乙項</del></li>"
                     r"\s*<li>丙項</li>\n</ul>", html)


def test_table_cell_changed() -> None:
    table = "| 資料 | 保留期限 |\n|---|---|\n| 帳戶 | {a} |\n| 日誌 | 30 天 |\n"
    result = check(render(table.format(a="12 個月")), render(table.format(a="24 個月")))
    assert result.summary == DiffSummary(changed=1, added=0, removed=0, moved=0)
    html = strip_sr(result.html)
    assert ('<tr class="diff-changed">\n'
            '<td><span class="diff-anchor" id="change-1"></span>帳戶</td>\n'
            "<td><del>12</del><ins>24</ins> 個月</td>\n</tr>") in html
    assert "<td>日誌</td>" in html


def test_table_row_removed_stays_in_table() -> None:
    table = "| A | B |\n|---|---|\n| one | 1 |\n{extra}| three | 3 |\n"
    old = render(table.format(extra="| two | 2 |\n"))
    new = render(table.format(extra=""))
    result = check(old, new)
    assert result.summary.removed == 1
    tbody = result.html[result.html.index("<tbody>"):result.html.index("</tbody>")]
    assert '<tr class="diff-removed">' in tbody and "<del>two</del>" in tbody


def test_heading_renamed() -> None:
    old = render("# 隱私政策\n\n## 總則\n\n內容。\n")
    new = render("# 隱私政策\n\n## 一般條款\n\n內容。\n")
    result = check(old, new)
    assert result.summary == DiffSummary(changed=1, added=0, removed=0, moved=0)
    html = strip_sr(result.html)
    assert re.search(r'<h2 id="[^"]+" class="diff-changed"><span class="diff-anchor" '
                     r'id="change-1"></span><del>總則</del><ins>一般條款</ins></h2>', html)


def test_paragraph_moved() -> None:
    paras = [f"第{n}段：這是一段足夠長的政策文字，用來測試段落移動的偵測。" for n in "一二三四五"]
    old = render("\n\n".join(paras))
    new = render("\n\n".join([paras[1], paras[2], paras[3], paras[0], paras[4]]))
    result = check(old, new)
    assert result.summary == DiffSummary(changed=0, added=0, removed=0, moved=1)
    html = result.html
    frm = re.search(r'<div class="diff-moved diff-moved-from"><span class="diff-anchor" '
                    r'id="change-(\d+)"></span><span class="diff-note">Moved to '
                    r'<a href="#change-(\d+)">change \d+</a></span>', html)
    to = re.search(r'<p class="diff-moved diff-moved-to"><span class="diff-anchor" '
                   r'id="change-(\d+)"></span><span class="diff-note">Moved from '
                   r'<a href="#change-(\d+)">change \d+</a></span>', html)
    assert frm and to
    assert frm.group(1) == to.group(2) == "1" and frm.group(2) == to.group(1) == "2"
    assert html.index("diff-moved-from") < html.index("第二段") < html.index("diff-moved-to")
    assert f"<del>{paras[0]}</del>" in html and f"<ins>{paras[0]}</ins>" in html


def test_english_paragraph_edit_keeps_links_and_emphasis() -> None:
    old = render("We **never** sell your data to [partners](https://example.com/p).\n")
    new = render("We **never** sell or rent your data to "
                 "[trusted partners](https://example.com/p).\n")
    result = check(old, new)
    html = strip_sr(result.html)
    assert "<strong>never</strong> sell <ins>or rent </ins>your data" in html
    assert '<a href="https://example.com/p"><ins>trusted </ins>partners</a>' in html


def test_removed_link_text_shows_as_deleted_text() -> None:
    old = render("See [the FAQ](https://example.com/faq) and contact us.\n")
    new = render("Contact us.\n")
    result = check(old, new)
    assert "https://example.com/faq" not in result.html
    assert "<del>" in result.html


def test_markup_only_change_is_marked() -> None:
    old = render("Read the [policy](https://a.example/).\n")
    new = render("Read the [policy](https://b.example/).\n")
    result = check(old, new)
    assert result.summary.changed == 1
    assert 'class="diff-changed diff-format"' in result.html
    assert "[formatting changed]" in result.html


def test_admonition_details_code_and_nested_lists() -> None:
    old = render(
        "!!! note \"注意\"\n    我們不會出售您的個人訊息。\n\n"
        "??? tip \"更多\"\n    詳細內容。\n\n"
        "```python\nx = 1\n```\n\n"
        "- 甲\n    - 子項一\n    - 子項二\n- 乙\n"
    )
    new = render(
        "!!! note \"注意\"\n    我們絕不會出售您的個人訊息。\n\n"
        "??? tip \"更多資訊\"\n    詳細內容。\n\n"
        "```python\nx = 2\n```\n\n"
        "- 甲\n    - 子項一\n    - 子項三\n    - 子項二\n- 乙\n"
    )
    result = check(old, new)
    assert result.summary == DiffSummary(changed=3, added=1, removed=0, moved=0)
    html = strip_sr(result.html)
    assert '<div class="admonition note">' in html
    assert "我們<ins>絕</ins>不會" in html or "<ins>絕不會</ins>" in html
    assert '<summary class="diff-changed">' in html
    assert '<pre class="diff-changed">' in html
    assert ('<li class="diff-added"><span class="diff-anchor" id="change-4"></span>'
            "<ins>子項三</ins></li>") in html


def test_unrelated_blocks_are_not_paired() -> None:
    old = render("Intro.\n\nWe store cookies for login sessions only.\n\n"
                 "Backups are kept for thirty days.\n\nEnd.\n")
    new = render("Intro.\n\nPayment is handled by our card processor.\n\n"
                 "Backups are kept for ninety days.\n\nEnd.\n")
    result = check(old, new)
    assert result.summary == DiffSummary(changed=1, added=1, removed=1, moved=0)
    assert "<del>thirty</del><ins>ninety</ins>" in strip_sr(result.html)


def test_whole_section_removed_and_added() -> None:
    old = render("# T\n\n## 舊節\n\n舊內容一。\n\n- 舊項\n\n## 保留\n\n文字。\n")
    new = render("# T\n\n## 保留\n\n文字。\n\n## 新節\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    result = check(old, new)
    assert result.summary.removed == 3 and result.summary.added == 3
    assert '<ul class="diff-wrap"><li class="diff-removed">' in result.html


def test_identical_documents_have_no_changes() -> None:
    html = render(FIXTURE.read_text(encoding="utf-8"))
    result = check(html, html)
    assert result.summary == DiffSummary(0, 0, 0, 0)
    assert "diff-" not in result.html and "<ins>" not in result.html
    assert result.html == html


def test_empty_documents() -> None:
    result = check("", render("新政策。\n\n- 一\n"))
    assert result.summary.added == 2
    result = check(render("舊政策。\n\n- 一\n"), "")
    assert result.summary.removed == 2
    assert check("", "").html == ""


def test_labels_are_configurable() -> None:
    labels = DiffLabels(inserted="新增", deleted="刪除", block_inserted="新增段落",
                        block_deleted="刪除段落", moved_to="移至", moved_from="移自", change="變更")
    result = diff_html(render("甲乙。\n"), render("甲丙。\n\n新段落。\n"), labels=labels)
    assert "[新增: " in result.html and "[刪除: " in result.html and "[新增段落: " in result.html
    assert_balanced(result.html)


def test_deterministic() -> None:
    old = render(FIXTURE.read_text(encoding="utf-8"))
    new = render(_edit_policy(FIXTURE.read_text(encoding="utf-8")))
    assert diff_html(old, new) == diff_html(old, new)


# ---------------------------------------------------------------- raw HTML safety

_HOSTILE = "</div></div><script>alert(1)</script><div><p>"


@pytest.mark.parametrize("where", ["escaped", "raw-inline", "raw-block", "in-admonition"])
def test_hostile_html_cannot_break_out(where: str) -> None:
    if where == "escaped":
        hostile = "&lt;/div&gt;&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt; 與 `</div>`"
        src = "前文。\n\n文字 {h}\n\n後文。\n"
    elif where == "raw-inline":
        hostile = _HOSTILE
        src = "前文。\n\n文字 {h} 結尾\n\n後文。\n"
    elif where == "raw-block":
        hostile = _HOSTILE
        src = "前文。\n\n{h}\n\n後文。\n"
    else:
        hostile = _HOSTILE
        src = "!!! note\n    文字 {h}\n\n後文。\n"
    old = render(src.format(h="舊的 " + hostile))
    new = render(src.format(h="新的 " + hostile) + "\n新增一段。\n")
    for a, b in [(old, new), (new, old), (old, old)]:
        result = check(a, b)
        wrapped = f'<div class="policy-diff">{result.html}</div><p id="after"></p>'
        assert_balanced(wrapped)
        if where == "escaped":
            assert "&lt;/div&gt;&lt;/div&gt;&lt;script&gt;" in result.html
            assert "<script>" not in result.html
        else:
            # the new side's script is kept verbatim; no ins/del inside it
            assert result.html.count("<script>") == b.count("<script>")
            for body in re.findall(r"<script>(.*?)</script>", result.html, re.S):
                assert "<ins" not in body and "<del" not in body


def test_removed_script_is_not_reinserted() -> None:
    old = render("甲。\n\n<div><script>alert('old')</script>舊的區塊文字</div>\n\n乙。\n")
    new = render("甲。\n\n乙。\n")
    result = check(old, new)
    assert "alert" not in result.html and "<script" not in result.html
    assert "<del>舊的區塊文字</del>" in result.html


def test_unbalanced_input_gives_balanced_output() -> None:
    old = "<p>一 <b>二</p><div><span>三</div></li></ul><p>四"
    new = "<p>一 <b>二改</p><div><span>三</div></li><p>四</p><table><tr><td>五"
    check(old, new)


# ---------------------------------------------------------------- real policy


def _edit_policy(src: str) -> str:
    """A handful of realistic edits to the real zh-Hant policy."""
    edits = [
        ("此條款最後更新時間為2019 年6 月1 日", "此條款最後更新時間為2024 年3 月15 日"),
        ("3. 在某些情況下，如您申請1MiX 教育優惠",
         "3. 當您聯繫客服時，我們可能會保存通信記錄。\n4. 在某些情況下，如您申請1MiX 教育優惠"),
        ("你應該注意最後一次修訂的這一政策的日期。", ""),
        ("我們不會向中國大陸的司法機構提供任何用於網絡審查目的的個人訊息",
         "我們不會向任何司法機構提供任何用於網絡審查目的的個人訊息"),
        ("## 條款有效期", "## 兒童隱私\n\n我們不會故意收集未滿十六歲兒童的個人訊息。\n\n## 條款有效期"),
    ]
    for old, new in edits:
        assert old in src, old
        src = src.replace(old, new, 1)
    return src


def test_real_policy_with_edits() -> None:
    src = FIXTURE.read_text(encoding="utf-8")
    old, new = render(src), render(_edit_policy(src))
    result = check(old, new)
    assert result.summary == DiffSummary(changed=3, added=3, removed=0, moved=0)
    html = strip_sr(result.html)
    assert "<del>2019</del><ins>2024</ins>" in html.replace(" ", "")
    assert "我們不會向<del>中國大陸的</del><ins>任何</ins>司法機構" in html
    assert "<del>你應該注意最後一次修訂的這一政策的日期。</del>" in html


# ---------------------------------------------------------------- property: diff_html

_ZH_SENT = ["我們收集您的個人訊息。", "未滿十八歲的用戶不得使用。", "我們不會出售您的數據，",
            "第三方服務提供商", "請聯繫我們。", "隱私政策可能隨時更新。"]
_EN_SENT = ["We collect data. ", "Users under 18 may not sign up. ", "We never sell it, ",
            "third parties ", "Contact us. ", "This may change."]


@st.composite
def _doc(draw: st.DrawFn) -> list[tuple[str, str]]:
    """A document as (kind, text) blocks: heading, paragraph, list item."""
    sents = draw(st.sampled_from([_ZH_SENT, _EN_SENT, _ZH_SENT + _EN_SENT]))
    text = st.lists(st.sampled_from(sents), min_size=1, max_size=4).map("".join)
    kinds = st.sampled_from(["h", "p", "p", "li", "li", "sub", "row", "quote", "note"])
    return draw(st.lists(st.tuples(kinds, text), min_size=0, max_size=8))


def _md(blocks: list[tuple[str, str]]) -> str:
    out: list[str] = []
    prev = ""
    for kind, text in blocks:
        text = "W " + text.strip()
        if kind == "h":
            out.append(f"\n## {text}\n")
        elif kind == "p":
            out.append(f"\n{text}\n")
        elif kind == "li":
            out.append(f"{'' if prev in ('li', 'sub') else chr(10)}- {text}")
        elif kind == "sub":
            out.append(f"{'' if prev in ('li', 'sub') else chr(10) + '- W'}\n    - {text}")
        elif kind == "quote":
            out.append(f"\n> {text}\n")
        elif kind == "note":
            out.append(f'\n!!! note "W"\n    {text}\n')
        else:
            if prev != "row":
                out.append("\n| A | B |\n|---|---|")
            out.append(f"| {text} | x |")
        prev = kind
    return "\n".join(out) + "\n"


@st.composite
def _doc_pair(draw: st.DrawFn) -> tuple[str, str]:
    old = draw(_doc())
    new = list(old)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["edit", "insert", "delete", "move"]))
        if op == "insert" or not new:
            block = (draw(st.sampled_from(["h", "p", "li", "sub", "row", "quote", "note"])),
                     draw(st.sampled_from(_ZH_SENT + _EN_SENT)))
            new.insert(draw(st.integers(0, len(new))), block)
            continue
        i = draw(st.integers(0, len(new) - 1))
        if op == "edit":
            kind, text = new[i]
            pos = draw(st.integers(0, len(text)))
            cut = draw(st.integers(0, 6))
            ins = draw(st.sampled_from(["", "十六", "not ", "與", "data"]))
            new[i] = (kind, text[:pos] + ins + text[pos + cut:] or "x")
        elif op == "delete":
            del new[i]
        else:
            block = new.pop(i)
            new.insert(draw(st.integers(0, len(new))), block)
    return _md(old), _md(new)


@settings(max_examples=200, deadline=None)
@given(_doc_pair())
def test_diff_html_is_lossless_and_balanced(pair: tuple[str, str]) -> None:
    old_md, new_md = pair
    check(render(old_md), render(new_md))
