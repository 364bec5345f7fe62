""""Not a version" means readers see the same text (issue 9, section 3), both ways.

Each rule is checked three times: on ``normalized_body`` itself, against
Python-Markdown's rendering with the site's extensions (two texts called the
same render to the same visible HTML, two texts called different do not),
and on real git histories (a commit readers cannot see is no version).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policykit
from gitfixture import GitRepo
from policykit.history.versions import HistoryOptions, read_history
from policykit.source.text import _normalized_lines, normalized_body

NBSP, IDEO = "\u00a0", "\u3000"
EXTENSIONS = ["toc", "tables", "attr_list", "md_in_html", "admonition", "pymdownx.details", "pymdownx.superfences"]
TEXT = "# Privacy\n\nWe keep your data safe.\nWe never sell it.\n\nAsk us anything.\n"
ZH = "# 隱私\n\n\u3000\u3000我們保護您的資料。\n我們絕不出售。\n\n歡迎提問。\n"

#: (before, after): readers see the same text.
SAME = [
    ("NBSP line between paragraphs", TEXT, TEXT.replace("\n\nAsk", f"\n\n{NBSP} {NBSP}\n\nAsk")),
    ("NBSP line inside a paragraph", TEXT, TEXT.replace("safe.\n", f"safe.\n{NBSP} {NBSP}\n")),
    ("NBSP at line ends", TEXT, TEXT.replace(".\n", f".{NBSP}\n")),
    ("U+3000 at line ends", ZH, ZH.replace("。\n", f"。{IDEO}\n")),
    ("U+3000 indentation of a paragraph", ZH, ZH.replace("\n\n歡迎", f"\n\n{IDEO}{IDEO}歡迎")),
    ("no indentation at all", ZH, ZH.replace(f"{IDEO}{IDEO}我們保護", "我們保護")),
    ("NBSP indentation of a paragraph", TEXT, TEXT.replace("\n\nAsk", f"\n\n{NBSP}{NBSP}Ask")),
    ("U+3000 line", ZH, ZH.replace("\n\n歡迎", f"\n\n{IDEO}{IDEO}\n\n歡迎")),
    ("zero-width space inside a word", TEXT, TEXT.replace("data", "da\u200bta")),
    ("word joiner and BOM", TEXT, TEXT.replace("sell", "\u2060sell\ufeff")),
    ("zero-width line", TEXT, TEXT.replace("safe.\n", "safe.\n\u200b\u200d\n")),
    ("trailing single space", TEXT, TEXT.replace("safe.\n", "safe. \n")),
    ("two spaces before a blank line", TEXT, TEXT.replace("it.\n", "it.  \n")),
    ("two spaces after a heading", TEXT, TEXT.replace("# Privacy\n", "# Privacy  \n")),
    ("two spaces before a heading", "Line one.\n# Title\n", "Line one.  \n# Title\n"),
    ("two spaces before a blockquote", "Line one.\n> Quote\n", "Line one.  \n> Quote\n"),
    ("NBSP after two spaces is no hard break", TEXT, TEXT.replace("safe.\n", f"safe.  {NBSP}\n")),
    ("blank-line runs", TEXT, TEXT.replace("\n\nAsk", "\n\n\n\n  \n\nAsk")),
    ("CRLF", TEXT, TEXT.replace("\n", "\r\n")),
    ("a trailing tab that expands to one space", TEXT, TEXT.replace("safe.\n", "safe.\t\n")),
    ("three spaces are one hard break", TEXT.replace("safe.\n", "safe.  \n"), TEXT.replace("safe.\n", "safe.   \n")),
    ("trailing space inside a fenced block", "x\n\n```\ncode\n```\n", "x\n\n```\ncode   \n```\n"),
]

#: (before, after): readers see a different text.
DIFFERENT = [
    ("two trailing spaces: a hard break", TEXT, TEXT.replace("safe.\n", "safe.  \n")),
    ("two spaces before an indented '#': a hard break", "Line one.\n  # not a title\n", "Line one.  \n  # not a title\n"),
    ("two spaces after an indented '#': a hard break", "  # not a title\nmore\n", "  # not a title  \nmore\n"),
    ("a trailing tab: a hard break", "Line one.\nLine two.\n", "Line one.\t\nLine two.\n"),
    ("NBSP replacing a space", TEXT, TEXT.replace("never sell", f"never{NBSP}sell")),
    ("U+3000 inside a line", ZH, ZH.replace("資料。\n我們", f"資料。{IDEO}我們")),
    ("a blank line splitting a paragraph", TEXT, TEXT.replace("safe.\n", "safe.\n\n")),
    ("blank lines inside a fenced block", "x\n\n```\na\nb\n```\n", "x\n\n```\na\n\n\nb\n```\n"),
    ("a space after a heading's closing hash", "# Title #\n\nText.\n", "# Title #  \n\nText.\n"),
    ("U+3000 before Markdown syntax", "\u3000# x\n", "# x\n"),
    ("ZWJ joining two emoji", "We 👨👩 you.\n", "We 👨\u200d👩 you.\n"),
]


_BLOCKS = r"(?:p|li|td|th|h[1-6]|blockquote|ul|ol|div|table|thead|tbody|tr|details|summary|pre|hr ?/?)"
_OPEN = rf"<{_BLOCKS}(?: [^>]*)?>|<br />"
_CLOSE = rf"</{_BLOCKS}>|<br />"


def _visible(page: str) -> str:
    """What a reader sees of rendered HTML, as a browser lays it out.

    * a source line break inside a block, with any spaces around it, shows as
      one space (the words are joined; how wide the gap is, is not text);
    * runs of ASCII spaces show as one space; NBSP, U+3000 and the other
      Unicode spaces inside a line show as themselves;
    * nothing shows at the end of a line box (before ``</p>``, ``<br>``...);
      at its start, collapsible spaces and joiners vanish but NBSP and U+3000 indent;
    * U+200B, U+2060 and U+FEFF have no glyph; an empty paragraph shows nothing;
    * inside ``<pre>`` every line shows, without its trailing spaces.
    """
    page = re.sub(r'<a class="headerlink"[^>]*>.*?</a>', "", page)
    for ch in "\u200b\u2060\ufeff":
        page = page.replace(ch, "")
    out = []
    for part in re.split(r"(<pre>.*?</pre>)", page, flags=re.DOTALL):
        if part.startswith("<pre>"):
            out.append("\n".join(line.rstrip(" ") for line in part.split("\n")))
            continue
        part = re.sub(r"[\s\u200c\u200d]*\n[\s\u200c\u200d]*", " ", part)
        part = re.sub(r"[ \t]+", " ", part)
        part = re.sub(rf"[\s\u200c\u200d]+({_CLOSE})", r"\1", part)
        part = re.sub(rf"({_OPEN})[ \u200c\u200d]+", r"\1", part)  # (a joiner that joins nothing has no glyph)
        part = part.replace("<p></p>", "")
        part = re.sub(rf"({_CLOSE})\s+", r"\1", part)  # nothing shows between blocks
        out.append(part)
    return "".join(out).strip()


def _render(text: str) -> str:
    return _visible(markdown.markdown(text, extensions=EXTENSIONS))


@pytest.mark.parametrize(("name", "before", "after"), SAME, ids=[c[0] for c in SAME])
def test_texts_readers_see_alike_are_one_version(name: str, before: str, after: str) -> None:
    assert _render(before) == _render(after)  # what Python-Markdown shows
    assert normalized_body(before.encode()) == normalized_body(after.encode())  # the rule agrees


@pytest.mark.parametrize(("name", "before", "after"), DIFFERENT, ids=[c[0] for c in DIFFERENT])
def test_texts_readers_see_differently_are_two_versions(name: str, before: str, after: str) -> None:
    assert _render(before) != _render(after)
    assert normalized_body(before.encode()) != normalized_body(after.encode())


def test_the_normalised_text_renders_as_the_original() -> None:
    """The rule keeps what readers see: rendering the normalised text shows the same as the original."""
    for _, before, after in SAME + DIFFERENT:
        for text in (before, after):
            assert _render(normalized_body(text.encode()).decode()) == _render(text)


TEXTS = st.lists(st.sampled_from(["a", "中", " ", "  ", "\t", "\n", "\n\n", NBSP, IDEO, "\u200b", "\u200d", "#", ">", " >", "`", "```", "~"]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_the_fast_path_agrees_with_the_careful_one(text: str) -> None:
    body = text.encode()
    assert normalized_body(body) == _normalized_lines(text.replace("\r\n", "\n"))


# ------------------------------------------------------------------ real git histories

D = "2024-05-0{}T10:00:00+08:00"


def _versions(repo: GitRepo, cache: Path | None = None) -> list[int]:
    hist = read_history(repo.path / "docs", HistoryOptions(cache_dir=str(cache) if cache else None))
    return [v.number for v in hist.get("en/p.md").versions]


def test_invisible_commits_are_no_versions_in_a_real_history(git_repo: GitRepo) -> None:
    git_repo.write("docs/en/p.md", TEXT)
    git_repo.commit("v1", date=D.format(1))
    git_repo.write("docs/en/p.md", TEXT.replace("\n\nAsk", f"\n\n{NBSP} {NBSP}\n\nAsk"))
    git_repo.commit("add a line of NBSP", date=D.format(2))
    git_repo.write("docs/en/p.md", TEXT)
    git_repo.commit("remove it again", date=D.format(3))
    git_repo.write("docs/en/p.md", TEXT.replace(".\n", f".{NBSP}\n"))
    git_repo.commit("NBSP at every line end", date=D.format(4))
    git_repo.write("docs/en/p.md", TEXT.replace(".\n", f".{NBSP}\n").replace("data", "da\u200bta"))
    git_repo.commit("a zero-width space", date=D.format(5))
    assert _versions(git_repo) == [1]


def test_a_hard_break_is_a_version_in_a_real_history(git_repo: GitRepo) -> None:
    git_repo.write("docs/en/p.md", TEXT)
    git_repo.commit("v1", date=D.format(1))
    git_repo.write("docs/en/p.md", TEXT.replace("safe.\n", "safe.  \n"))
    c2 = git_repo.commit("two trailing spaces: a <br>", date=D.format(2))
    hist = read_history(git_repo.path / "docs", HistoryOptions())
    assert [(v.number, v.commit) for v in hist.get("en/p.md").versions][-1] == (2, c2)
    assert "<br />" in markdown.markdown(git_repo.read("docs/en/p.md"))


def test_a_cache_made_by_another_normaliser_is_not_reused(git_repo: GitRepo, tmp_path: Path) -> None:
    """The blob keys depend on the normaliser: a cache written by other code must not answer for this one."""
    git_repo.write("docs/en/p.md", TEXT)
    git_repo.commit("v1", date=D.format(1))
    git_repo.write("docs/en/p.md", TEXT.replace("never sell", "never rent or sell"))
    git_repo.commit("a real edit", date=D.format(2))
    cache = tmp_path / "cache"
    other = tmp_path / "other-code"
    shutil.copytree(Path(policykit.__file__).parent, other / "policykit", ignore=shutil.ignore_patterns("__pycache__"))
    with (other / "policykit" / "source" / "text.py").open("a", encoding="utf-8") as fh:
        fh.write(
            "\n\ndef normalized_body(data: bytes) -> bytes:  # another normaliser: every text is the same\n"
            "    return b'policy'\n"
        )
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from policykit.history.versions import HistoryOptions, read_history\n"
        "h = read_history(sys.argv[2], HistoryOptions(cache_dir=sys.argv[3]))\n"
        "print(len(h.get('en/p.md').versions))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(other), str(git_repo.path / "docs"), str(cache)],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "1"  # the other normaliser saw one version, and cached its keys
    assert _versions(git_repo, cache) == [1, 2] == _versions(git_repo)
