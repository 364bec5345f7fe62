#!/usr/bin/env python3
"""Time the history core alone (no MkDocs) on a synthetic archive: cold, then with its on-disk cache.

    python bench/bench_history.py [--pages 900 --commits 40000 --langs en] [--workdir /tmp/policy-bench]
                                  [--archive] [--rounds 3] [--code DIR]

Prints the seconds of read_history() with an empty cache (one git log, one
git cat-file --batch over every text blob), then with the cache of the first
run (git log only), the number of files and versions, and peak RSS.  The
baseline printed alongside is one bare `git log --first-parent --raw` over
the same history, the floor any reader of it pays, measured in the same
rounds (floor, cold, warm, alternating in each round).  Each figure is the
median of the rounds with their range, in wall-clock seconds and in CPU
seconds (this process and its git children), which the other load on the
machine disturbs less.

--code DIR times the history core of another checkout (say the commit before
a change, from git archive), so a before/after can alternate in one shell loop.

--archive uses bench/make_archive.py instead (long documents, 20-200 KB,
with whitespace-only, reverted, front-matter-only and renaming commits):
--pages documents, --commits commits, one language (the first of --langs).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
#: --code DIR: time the history core of another checkout (DIR/hooks), e.g. an older commit for a before/after.
CODE = Path(sys.argv[sys.argv.index("--code") + 1]) if "--code" in sys.argv[:-1] else ROOT
sys.path.insert(0, str(CODE / "hooks"))

from policykit.history.versions import History, HistoryOptions, read_history  # noqa: E402

MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"
MAKE_ARCHIVE = ROOT / "bench" / "make_archive.py"


def timed(run: Callable[[], object]) -> tuple[float, float, object]:
    """Wall-clock and CPU seconds (this process and the children it waited for) of *run*, and its result."""
    before = os.times()
    t = time.perf_counter()
    result = run()
    wall = time.perf_counter() - t
    after = os.times()
    cpu = sum(after[i] - before[i] for i in range(4))
    return wall, cpu, result


def figure(samples: list[tuple[float, float]]) -> str:
    walls, cpus = [w for w, _ in samples], [c for _, c in samples]
    return (f"{statistics.median(walls):.2f} s wall ({min(walls):.2f}-{max(walls):.2f}), "
            f"{statistics.median(cpus):.2f} s CPU ({min(cpus):.2f}-{max(cpus):.2f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=900)
    ap.add_argument("--commits", type=int, default=40000)
    ap.add_argument("--langs", default="en")
    ap.add_argument("--workdir", default="/tmp/policy-bench")
    ap.add_argument("--make-corpus", default=str(MAKE_CORPUS))
    ap.add_argument("--archive", action="store_true", help="long documents from bench/make_archive.py")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--code", default=str(ROOT), help="the checkout whose hooks/policykit is timed (default: this one)")
    a = ap.parse_args()
    if a.archive:
        lang = a.langs.split(",")[0]
        corpus = Path(a.workdir) / f"archive-{a.pages}-{a.commits}-{lang}"
        make = [sys.executable, str(MAKE_ARCHIVE), str(corpus), "--pages", str(a.pages), "--commits", str(a.commits),
                "--lang", lang]
    else:
        corpus = Path(a.workdir) / f"corpus-{a.pages}-{a.commits}-{a.langs.replace(',', '_')}"
        make = [sys.executable, a.make_corpus, str(corpus), "--pages", str(a.pages), "--commits", str(a.commits),
                "--langs", a.langs]
    if not (corpus / ".git").exists():
        subprocess.run(make, check=True)
    cache = Path(a.workdir) / "history-cache"
    floor_cmd = ["git", "-C", str(corpus), "log", "--first-parent", "--raw", "--no-abbrev", "--format=%H", "HEAD"]

    floors, colds, warms = [], [], []
    versions = files = 0
    for _ in range(a.rounds):
        shutil.rmtree(cache, ignore_errors=True)
        wall, cpu, _ = timed(lambda: subprocess.run(floor_cmd, stdout=subprocess.DEVNULL, check=True))
        floors.append((wall, cpu))
        wall, cpu, hist = timed(lambda: read_history(corpus / "docs", HistoryOptions(cache_dir=str(cache))))
        colds.append((wall, cpu))
        wall, cpu, again = timed(lambda: read_history(corpus / "docs", HistoryOptions(cache_dir=str(cache))))
        warms.append((wall, cpu))
        assert isinstance(hist, History) and isinstance(again, History)
        files, versions = len(hist.files), sum(len(f.versions) for f in hist.files.values())
        assert versions == sum(len(f.versions) for f in again.files.values())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    git_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    kind = "long documents" if a.archive else "synthetic"
    print(f"corpus: {corpus} ({kind}, {a.pages} pages, {a.langs}, {a.commits + 1} commits), {a.rounds} rounds, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{files} files, {versions} versions; code: {CODE / 'hooks'}")
    print(f"floor, bare git log --raw: {figure(floors)}")
    cold_ratio = statistics.median(w for w, _ in colds) / statistics.median(w for w, _ in floors)
    print(f"history core, cold cache:  {figure(colds)}; {cold_ratio:.2f}x the floor")
    print(f"history core, warm cache:  {figure(warms)}")
    print(f"peak RSS: this process {rss:.0f} MiB, largest git child {git_rss:.0f} MiB")


if __name__ == "__main__":
    main()
