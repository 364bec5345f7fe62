"""Tests for policykit.segment (word tokenization for Chinese and Latin text)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policykit.diff import segment
from policykit.diff.segment import is_han, tokenize, units

HOOKS = Path(__file__).resolve().parents[1] / "hooks"

_ALPHABET = st.sampled_from(
    list("未滿十八歲的用戶個人訊息隱私政策我們收集和利用") + list("abcXYZ019_")
    + list(" \n\t，。、「」（）.,;:!?-'\"") + ["\u3000", "\U00020000", "é"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_tokenize_is_lossless(text: str) -> None:
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)  # no empty tokens


def test_latin_words_whitespace_and_punctuation_are_separate() -> None:
    assert tokenize("Hello,  world (v2.1)!") == [
        "Hello", ",", "  ", "world", " ", "(", "v2", ".", "1", ")", "!"]


def test_chinese_number_is_one_word() -> None:
    assert tokenize("未滿十八歲") == ["未滿", "十八歲"]
    assert tokenize("未滿十六歲的用戶") == ["未滿", "十六歲", "的", "用戶"]


def test_traditional_text_is_segmented_via_simplified() -> None:
    # jieba on the Traditional text alone gives ["個", "人訊息"]
    assert tokenize("個人訊息的收集和利用") == ["個人", "訊息", "的", "收集", "和", "利用"]


def test_mixed_scripts_and_dates() -> None:
    tokens = tokenize("此條款最後更新時間為2019 年6 月1 日")
    assert "2019" in tokens and "更新" in tokens
    assert "".join(tokens) == "此條款最後更新時間為2019 年6 月1 日"


def test_falls_back_when_conversion_changes_length(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stretching:
        def convert(self, text: str) -> str:
            return text + "多"

    monkeypatch.setattr(segment, "_converter", Stretching())
    text = "個人訊息的收集"
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert "收集" in tokens


def test_units_for_similarity() -> None:
    assert units("未滿十八歲 hello, x_y") == ["未", "滿", "十", "八", "歲", "hello", ",", "x_y"]


def test_is_han() -> None:
    assert is_han("歲") and is_han("\U00020000")
    assert not is_han("a") and not is_han("，")


def test_jieba_is_lazy_and_quiet() -> None:
    code = (
        "import sys; from policykit.diff import segment; "
        "assert 'jieba' not in sys.modules; "
        "segment.tokenize('plain english only'); assert 'jieba' not in sys.modules; "
        "print(segment.tokenize('未滿十八歲'))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=HOOKS, check=True,
        env={"PYTHONPATH": str(HOOKS), "PATH": "/usr/bin:/bin"},
    )
    assert proc.stdout.strip() == "['未滿', '十八歲']"
    assert proc.stderr == ""
