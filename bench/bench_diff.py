"""Benchmark policykit.htmldiff.diff_html on the real zh-Hant privacy policy.

Usage (from the project root)::

    .venv/bin/python bench/bench_diff.py [--runs 50] [--scale] [--scale-mb 1.4]

Applies 16 realistic edits to ``tests/fixtures/privacy-zh-Hant.md``, renders
both versions with Python-Markdown (the site's extensions) and reports the
median time of ``diff_html`` (jieba's one-off dictionary load is measured
separately), a difflib character-level baseline and fast-diff-match-patch
character level with semantic cleanup, peak memory, and ratios. ``--scale``
repeats the policy to ~1.4 MB of Markdown, spreads the edits over the copies
and shows that the diff stays fast and small in memory.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import fast_diff_match_patch as dmp
import markdown

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hooks"))

from policykit.diff import segment  # noqa: E402
from policykit.diff.htmldiff import diff_html  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "privacy-zh-Hant.md"
EXTENSIONS = ["tables", "toc", "attr_list", "md_in_html", "admonition",
              "pymdownx.details", "pymdownx.superfences"]

MOVED = "1MiX 不會使用Cookie 技術向我們的合作夥伴透露任何您的個人訊息。\n\n"

#: (old, new) replacements; each old string must occur in the policy.
EDITS: list[tuple[str, str]] = [
    # 1 a number (date) changed
    ("此條款最後更新時間為2019 年6 月1 日", "此條款最後更新時間為2024 年3 月15 日"),
    # 2 a clause inserted inside a list item
    ("連接時間、連接端口等", "連接時間、連接端口、裝置型號等"),
    # 3 a sentence deleted
    ("你應該注意最後一次修訂的這一政策的日期。", ""),
    # 4 a list item added in the middle of a list
    ("3. 在某些情況下，如您申請1MiX 教育優惠",
     "3. 當您聯繫客服時，我們可能會保存通信記錄。\n4. 在某些情況下，如您申請1MiX 教育優惠"),
    # 5 a paragraph moved (removed here, re-added below)
    (MOVED, ""),
    ("如果我們將非個人訊息與個人訊息結合使用，則在結合使用期間，此類訊息將被視為個人訊息。\n\n",
     "如果我們將非個人訊息與個人訊息結合使用，則在結合使用期間，此類訊息將被視為個人訊息。\n\n"
     + MOVED),
    # 6 a heading renamed
    ("## 其他\n", "## 其他披露情形\n"),
    # 7 a phrase replaced
    ("向中國大陸的司法機構", "向任何國家或地區的司法機構"),
    # 8 terminology
    ("反欺詐數據庫進行檢測", "反欺詐資料庫進行檢測"),
    # 9 a new section
    ("## 條款有效期", "## 兒童隱私\n\n我們不會故意收集未滿十六歲兒童的個人訊息。\n\n## 條款有效期"),
    # 10 a list item deleted
    ("4. 我們可能會使用您的訊息用於確認您的身份，如您是否具有教育優惠的資格。\n", ""),
    # 11 a named service changed
    ("Google 公共字體庫", "Google Fonts 與 Cloudflare"),
    # 12 a typo fixed
    ("點擊流數據&gt;我們使用", "點擊流數據。我們使用"),
    # 13 a character fixed
    ("準確、完整併及時更新。您也可以", "準確、完整並及時更新。您也可以"),
    # 14 a pronoun changed
    ("為確保你個人訊息的安全", "為確保您個人訊息的安全"),
    # 15 a sentence appended
    ("與可能適用於你的情況的相關投訴途徑有關的訊息。",
     "與可能適用於你的情況的相關投訴途徑有關的訊息。我們通常會在三十天內回覆。"),
    # 16 a condition changed
    ("但僅限於非常少的情況。", "但僅限於法律要求的情況。"),
]


def apply_edits(src: str) -> str:
    """Apply EDITS once each (in order) to the Markdown source."""
    for old, new in EDITS:
        if old not in src:
            raise ValueError(f"edit target not found: {old[:30]!r}")
        src = src.replace(old, new, 1)
    return src


def render(src: str) -> str:
    """Render Markdown like the site does."""
    return markdown.Markdown(extensions=EXTENSIONS).convert(src)


def median_ms(fn: Callable[[], object], runs: int) -> float:
    """Median wall time of ``fn`` in milliseconds over ``runs`` calls."""
    times = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def peak_kib(fn: Callable[[], object]) -> float:
    """Peak Python heap allocated during one call of ``fn`` (tracemalloc), KiB."""
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


def dmp_chars(a: str, b: str) -> object:
    return dmp.diff(a, b, timelimit=0, checklines=False, cleanup="Semantic", counts_only=True)


def difflib_chars(a: str, b: str) -> object:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--scale", action="store_true", help="also run the ~1.4 MB case")
    parser.add_argument("--scale-mb", type=float, default=1.4)
    args = parser.parse_args()

    src = FIXTURE.read_text(encoding="utf-8")
    old_html, new_html = render(src), render(apply_edits(src))
    print(f"policy: {len(src.encode())} bytes Markdown, HTML {len(old_html)} -> "
          f"{len(new_html)} chars, {len(EDITS) - 1} edits (a move is two replacements)")

    t0 = time.perf_counter()
    segment.warm_up()
    print(f"one-off jieba/OpenCC load: {(time.perf_counter() - t0) * 1000:.0f} ms (excluded below)")

    result = diff_html(old_html, new_html)
    print(f"summary: {result.summary}")
    ours = median_ms(lambda: diff_html(old_html, new_html), args.runs)
    base_dmp = median_ms(lambda: dmp_chars(old_html, new_html), args.runs)
    base_difflib = median_ms(lambda: difflib_chars(old_html, new_html), max(3, args.runs // 10))
    print(f"diff_html              median {ours:8.2f} ms  (target <= 10 ms: "
          f"{'OK' if ours <= 10 else 'MISSED'})")
    print(f"dmp chars + semantic   median {base_dmp:8.2f} ms  "
          f"(diff_html / dmp = {ours / base_dmp:.1f}x)")
    print(f"difflib chars          median {base_difflib:8.2f} ms  "
          f"(difflib / diff_html = {base_difflib / ours:.1f}x)")
    print(f"peak heap: diff_html {peak_kib(lambda: diff_html(old_html, new_html)):.0f} KiB, "
          f"dmp {peak_kib(lambda: dmp_chars(old_html, new_html)):.0f} KiB, "
          f"difflib {peak_kib(lambda: difflib_chars(old_html, new_html)):.0f} KiB")

    if args.scale:
        scale(src, args.scale_mb)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"process max RSS: {rss / 1024:.0f} MiB")


def scale(src: str, megabytes: float) -> None:
    """Diff a ~``megabytes`` MB document (the policy repeated, edits spread out)."""
    copies = max(1, int(megabytes * 1e6 // len(src.encode())) + 1)
    parts = [src] * copies
    for k, (old, new) in enumerate(EDITS * 4):  # 64 edits over the copies
        i = (k * 7) % copies
        if old in parts[i]:
            parts[i] = parts[i].replace(old, new, 1)
    old_src, new_src = "\n\n".join([src] * copies), "\n\n".join(parts)
    t0 = time.perf_counter()
    old_html, new_html = render(old_src), render(new_src)
    render_s = time.perf_counter() - t0
    print(f"\nscale: {copies} copies, {len(new_src.encode()) / 1e6:.2f} MB Markdown,"
          f" HTML {len(new_html) / 1e6:.2f} M chars (render {render_s:.1f} s, not counted)")
    result = diff_html(old_html, new_html)
    print(f"scale summary: {result.summary}")
    ours = median_ms(lambda: diff_html(old_html, new_html), 3)
    base = median_ms(lambda: dmp_chars(old_html, new_html), 3)
    print(f"scale diff_html        median {ours:8.1f} ms")
    print(f"scale dmp chars        median {base:8.1f} ms  (diff_html / dmp = {ours / base:.1f}x);"
          " difflib skipped (quadratic)")
    peak = peak_kib(lambda: diff_html(old_html, new_html)) / 1024
    print(f"scale peak heap: diff_html {peak:.1f} MiB")


if __name__ == "__main__":
    main()
