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

#: Phases: a label and the (file suffix, function name) whose cumulative time is the phase.  Rows may nest
#: (on_post_build holds most of the others; token_data calls token_data_of_blocks, which since issue 13 also
#: runs inside diff_html_and_tokens, one pass for the diff and the token data where there were two).
PHASES = [
    ("history read (common.history)", "policykit/mkdocs/common.py", "history"),
    ("Markdown per version (render_with_links)", "policykit/pages/markdown_render.py", "render_with_links"),
    ("diff: htmldiff.diff_html (before)", "policykit/diff/htmldiff.py", "diff_html"),
    ("diff + token data: diff_html_and_tokens (after)", "policykit/diff/htmldiff.py", "diff_html_and_tokens"),
    ("  token data inside it: token_data_of_blocks", "policykit/diff/tokendata.py", "token_data_of_blocks"),
    ("token data with its own parse: token_data", "policykit/diff/tokendata.py", "token_data"),
    ("render cache get", "policykit/pages/render_cache.py", "get"),
    ("render cache put", "policykit/pages/render_cache.py", "put"),
    ("a version page: archive._write_version", "policykit/mkdocs/archive.py", "_write_version"),
    ("  its body template (Template.render, all pages)", "jinja2/environment.py", "render"),
    ("write_file (all outputs)", "mkdocs/utils/__init__.py", "write_file"),
    ("policy-site archive on_post_build", "policykit/mkdocs/archive.py", "on_post_build"),
    ("deploy step (deploy.on_post_build)", "policykit/mkdocs/deploy.py", "on_post_build"),
]


def profile_build(corpus: Path, config: str, site: Path, top: int, save: Path | None = None) -> None:
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
    if save is not None:
        stats.dump_stats(str(save))
    raw = stats.stats  # type: ignore[attr-defined]
    print(f"build: {total:.1f} s wall under cProfile, one process; load {os.getloadavg()[0]:.2f}")
    print(f"{'phase':52} {'seconds':>8} {'share':>6}")
    for label, suffix, func in PHASES:
        ct = sum(v[3] for (f, _, name), v in raw.items() if name == func and f.endswith(suffix))
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
    ("Material header (logo, language, search)", r'<header class="md-header.*?</header>'),
    ("Material __config JSON", r'<script id="__config".*?</script>'),
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
        inside = {"inline SVG icons"}  # counted inside the header too
        rest = size - sum(v for k, v in parts.items() if k not in inside)
        print(f"  {'rest (banner, view switch, change nav, shell)':42} {rest:8} {rest / size:6.1%}")
        blank = sum(len(m.group(0)) - 1 for m in re.finditer(r">\s*\n\s*<", text)) - text.count(">\n<") * 0
        print(f"  {'  of all: whitespace between tags':42} {blank:8} {blank / size:6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--config", default="mkdocs-full.yml")
    ap.add_argument("--site", type=Path, default=Path("/tmp/policy-profile-site"))
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--sizes-only", action="store_true")
    ap.add_argument("--save", type=Path, default=None, help="write the pstats file here")
    a = ap.parse_args()
    if not a.sizes_only:
        profile_build(a.corpus.resolve(), a.config, a.site.resolve(), a.top, a.save)
    sizes(a.site)


if __name__ == "__main__":
    main()
