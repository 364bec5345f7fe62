#!/usr/bin/env python3
"""Per-version cost of a long document: render, diff, token data and the history check (issue 13, item 4).

    python bench/bench_long.py [--sizes 37,75,150,300] [--runs 5]

Builds one document of each size (KB of Markdown) the way bench/make_archive.py
does (numbered sections of this site's privacy policy), makes the next version
with one small edit, and prints the median milliseconds per version of:
rendering it with Python-Markdown (the site's extensions), ``diff_html``
against the version before, the browser's token data (``token_data``), the
history core's ``same_text`` check and, for comparison, the full
``content_key`` of one version.  Each cost divided by the size shows whether
it stays linear.  Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hooks"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_diff import median_ms, render  # noqa: E402
from make_archive import DEFAULT_SEED, build_doc, small_edit  # noqa: E402

from policykit.diff.htmldiff import diff_html  # noqa: E402
from policykit.diff.tokendata import token_data  # noqa: E402
from policykit.source.text import content_key, same_text  # noqa: E402


def measure(old: str, new: str, runs: int) -> tuple[float, ...]:
    """Milliseconds of each per-version step for the version *new* after *old*."""
    old_html, new_html = render(old), render(new)
    old_bytes, new_bytes = old.encode(), new.encode()
    return (median_ms(lambda: render(new), runs), median_ms(lambda: diff_html(old_html, new_html), runs),
            median_ms(lambda: token_data(new_html), runs), median_ms(lambda: same_text(old_bytes, new_bytes), runs * 20),
            median_ms(lambda: content_key(new_bytes), runs * 20))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="37,75,150,300", help="document sizes in KB of Markdown")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--edits", type=int, default=5, help="versions per size, each one small edit from the one before")
    a = ap.parse_args()
    text = Path(DEFAULT_SEED).read_text(encoding="utf-8").split("\n---", 1)[1].partition("\n")[2]
    paras = [p.strip("\n") for p in text.split("\n\n") if p.strip() and not p.startswith("# ")]
    diff_html("<p>預熱</p>", "<p>預熱 jieba</p>")  # the one-off load of jieba and OpenCC, not counted
    print(f"median (and largest) of {a.edits} versions per size, each the median of {a.runs} runs")
    print("size KB | render ms | diff_html ms | token_data ms | same_text ms | content_key ms | render+diff ms per 100 KB")
    for kb in (int(s) for s in a.sizes.split(",")):
        rng = random.Random(kb)
        doc = build_doc(rng, 1, "en", paras, kb * 1024)
        rows = []
        for n in range(a.edits):
            old = doc.text().decode("utf-8")
            small_edit(rng, doc, n + 1)
            new = doc.text().decode("utf-8")
            rows.append(measure(old, new, a.runs))
        cols = [sorted(c) for c in zip(*rows, strict=True)]
        mid = [c[len(c) // 2] for c in cols]
        size = len(doc.text()) / 1024
        print(f"{size:7.0f} | " + " | ".join(f"{m:.3g} ({c[-1]:.3g})" for m, c in zip(mid, cols, strict=True))
              + f" | {(mid[0] + mid[1]) * 100 / size:.1f}")


if __name__ == "__main__":
    main()
