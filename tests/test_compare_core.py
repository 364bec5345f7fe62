"""The browser compare's word diff (assets/policy-compare.js, run in node) equals the build's.

The build diffs text nodes with ``policykit.diff.textdiff.diff_segments`` (OpenCC + jieba tokens,
fast-diff-match-patch without time limit, semantic cleanup, slide to boundaries); the browser gets
each version's token boundaries as data (``policykit.diff.tokendata``: UTF-16 lengths) and runs the
vendored diff-match-patch. Generated edits, with Han characters outside the BMP (UTF-16 surrogate
pairs), Latin words, punctuation and several text nodes, must give the same runs on both sides.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policykit.diff.textdiff import diff_segments, seg_tokens
from policykit.diff.tokendata import encode_lengths, utf16_len

CORE = Path(__file__).parent / "js" / "compare_core.cjs"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


class Core:
    """One node process answering diff requests line by line."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([NODE, str(CORE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8")

    def diff(self, old: list[str], new: list[str]) -> object:
        req = {"old": old, "new": new, "oldTokens": _data(old), "newTokens": _data(new)}
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(req, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        return [tuple(x) for x in answer] if isinstance(answer, list) else answer

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def _data(segs: list[str]) -> str:
    """data-policy-tokens for a block made of these text nodes (as tokendata.token_data writes it)."""
    return "".join(encode_lengths(utf16_len(t) for t in seg_tokens(s)) for s in segs)


@pytest.fixture(scope="module")
def core():
    c = Core()
    yield c
    c.close()


# Han (BMP and supplementary planes: U+20000…, two UTF-16 code units each), Latin, digits,
# punctuation (Chinese and ASCII), spaces and line breaks.
PIECES = [
    "會", "盡快", "在", "三十日內", "通知", "您", "我們", "收集", "個人", "資料", "兒童", "未滿", "十八歲",
    "𠀀", "𠮷", "𡃁", "𪚥", "𫝀", "𠮷野家", "以𠀀為", "cookie", "Cookie", "policy", "data", "we", "16", "2023",
    "。", "，", "、", "：", "；", "！", "？", ".", ",", ";", "!", " ", " ", "\n", "(", ")", "「", "」",
    "a" * 70, "Supercalifragilisticexpialidocious" * 2,
]
texts = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
segs_st = st.lists(texts, min_size=1, max_size=3)


@st.composite
def edited(draw):
    """A block's text nodes and an edited copy (replace/insert/delete pieces, split or join nodes)."""
    old = draw(segs_st)
    new = list(old)
    for _ in range(draw(st.integers(0, 4))):
        k = draw(st.integers(0, len(new) - 1))
        s = new[k]
        i = draw(st.integers(0, len(s)))
        j = draw(st.integers(i, min(len(s), i + 12)))
        new[k] = s[:i] + draw(texts) + s[j:]
    if draw(st.booleans()) and len(new) > 1:
        new = ["".join(new[:2])] + new[2:]
    return old, new


def test_the_issue_example_is_one_word_change(core) -> None:
    """The issue's example: the build's tokens make the browser show 會[-盡快-]{+在三十日內+}."""
    old, new = ["我們會盡快通知您。"], ["我們會在三十日內通知您。"]
    ours = core.diff(old, new)
    assert ours == diff_segments(old, new)
    assert (0, "我們會") in ours and (-1, "盡快") in ours


def test_characters_outside_the_bmp(core) -> None:
    old, new = ["以𠀀為名，𠮷野家。"], ["以𡃁為名，𠮷野家與𪚥。"]
    assert core.diff(old, new) == diff_segments(old, new)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edited())
def test_browser_word_diff_equals_the_build(core, pair) -> None:
    old, new = pair
    assert core.diff(old, new) == diff_segments(old, new)


def test_more_distinct_tokens_than_the_bmp_private_use_area(core) -> None:
    """Beyond 0x1900 distinct tokens the build's ids leave the BMP; the browser's stand-ins agree."""
    words = [f"w{i}" for i in range(7000)]
    old = [" ".join(words)]
    new = [" ".join(words[:3000] + ["新增", "𠀀"] + words[3100:6900] + words[6950:])]
    assert core.diff(old, new) == diff_segments(old, new)
