#!/usr/bin/env python3
"""Where a cold build's time goes, per phase of the version pages, and what a version page is made of.

    python bench/profile_version_pages.py CORPUS [--config mkdocs-full.yml] [--site /tmp/x] [--top 25]

CORPUS is a folder made by bench/bench_build.py (``corpus-*``).  The build runs
in this process under cProfile with the render cache emptied and the render
workers off (every Markdown render, diff and token pass runs here, once), so the
shares below are shares of one core's work: on two cores prewarm splits the
Markdown and diff phases between the workers.  Prints each phase's cumulative
seconds and share of the whole build, the top functions by own time, then the
bytes of a median and the largest version page and where they go
(``--sizes-only`` skips the build and only measures SITE).  Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

#: Phases: a label and the (file suffix, function name) whose cumulative time is the phase.
PHASES = [
    ("history read (policykit.history)", [("policykit/mkdocs/common.py", "history")]),
    ("Markdown per version", [("policykit/pages/markdown_render.py", "render_with_links")]),
    ("diff (htmldiff.diff_html)", [("policykit/diff/htmldiff.py", "diff_html")]),
    ("token data (tokendata.token_data)", [("policykit/diff/tokendata.py", "token_data")]),
    ("render cache get/put", [("policykit/pages/render_cache.py", "get"), ("policykit/pages/render_cache.py", "put")]),
    ("version body template", [("policykit/mkdocs/archive.py", "_write_version")]),
    ("write_file (all outputs)", [("mkdocs/utils/__init__.py", "write_file")]),
    ("policy-site on_post_build (all archive pages)", [("policykit/mkdocs/archive.py", "on_post_build")]),
    ("deploy step (finalize)", [("policykit/mkdocs/deploy.py", "on_post_build")]),
]


def profile_build(corpus: Path, config: str, site: Path, top: int) -> None:
    from policykit.pages import render_pool

    shutil.rmtree(corpus / ".cache" / "policy-site", ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    render_pool.available = lambda: False  # one process: every phase is seen by the profiler
    os.chdir(corpus)
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    cfg = load_config(str(corpus / config), site_dir=str(site))
    prof = cProfile.Profile()
    started = time.perf_counter()
    prof.enable()
    build(cfg)
    prof.disable()
    total = time.perf_counter() - started
    stats = pstats.Stats(prof)
    raw = stats.stats  # type: ignore[attr-defined]
    print(f"build: {total:.1f} s wall under cProfile, one process; load {os.getloadavg()[0]:.2f}")
    print(f"{'phase':52} {'seconds':>8} {'share':>6}")
    for label, funcs in PHASES:
        ct = sum(v[3] for (f, _, name), v in raw.items() if name in {n for _, n in funcs}
                 and any(f.endswith(s) and name == n for s, n in funcs))
        print(f"{label:52} {ct:8.1f} {ct / total:6.1%}")
    print()
    stats.sort_stats("tottime").print_stats(top)


#: Parts of a version page: a label and a regex whose matches' bytes are counted.
PARTS = [
    ("changes view (#changes)", r'<section class="policy-view policy-view--changes".*?</section>'),
    ("clean view (#clean) without its tokens", r'<section class="policy-view policy-view--clean"[^>]*?(?= data-policy-tokens)|'
                                               r'(?<=data-policy-tokens="[^"]{0}")>.*?</section>'),
    ("data-policy-tokens attribute", r' data-policy-tokens="[^"]*"'),
    ("JSON-LD", r'<script type="application/ld\+json">.*?</script>'),
    ("record section", r'<details class="policy-record">.*?</details>'),
    ("inline SVG icons", r"<svg\b.*?</svg>"),
    ("site nav (md-nav--primary)", r'<nav class="md-nav md-nav--primary".*?</nav>\s*</div>\s*</div>\s*</div>'),
    ("<head>", r"<head>.*?</head>"),
]


def page_parts(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for label, pattern in PARTS:
        if label.startswith("clean view"):
            m = re.search(r'<section class="policy-view policy-view--clean".*?</section>', text, re.S)
            tokens = re.search(r' data-policy-tokens="[^"]*"', text)
            out[label] = (len(m.group(0).encode()) if m else 0) - (len(tokens.group(0).encode()) if tokens else 0)
            continue
        out[label] = sum(len(m.group(0).encode()) for m in re.finditer(pattern, text, re.S))
    return out


def sizes(site: Path) -> None:
    pages = sorted(site.glob("**/versions/*/index.html"), key=lambda p: p.stat().st_size)
    if not pages:
        sys.exit(f"no version pages under {site}")
    total = sum(p.stat().st_size for p in pages)
    print(f"{len(pages)} version pages, {total / 2**20:.1f} MiB, mean {total // len(pages)} B, "
          f"median {statistics.median_low([p.stat().st_size for p in pages])} B")
    for name, page in (("median", pages[len(pages) // 2]), ("largest", pages[-1])):
        text = page.read_text(encoding="utf-8")
        size = len(text.encode())
        print(f"\n{name}: {page.relative_to(site)}: {size} B")
        parts = page_parts(text)
        for label, n in parts.items():
            print(f"  {label:42} {n:8} {n / size:6.1%}")
        rest = size - sum(v for k, v in parts.items() if k != "inline SVG icons" and k != "<head>") - parts["<head>"]
        print(f"  {'rest of the shell (header, footer, scripts)':42} {rest:8} {rest / size:6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--config", default="mkdocs-full.yml")
    ap.add_argument("--site", type=Path, default=Path("/tmp/policy-profile-site"))
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--sizes-only", action="store_true")
    a = ap.parse_args()
    if not a.sizes_only:
        profile_build(a.corpus.resolve(), a.config, a.site.resolve(), a.top)
    sizes(a.site)


if __name__ == "__main__":
    main()
