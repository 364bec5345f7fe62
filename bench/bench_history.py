#!/usr/bin/env python3
"""Time the history core alone (no MkDocs) on a synthetic archive: cold, then with its on-disk cache.

    python bench/bench_history.py [--pages 900 --commits 40000 --langs en] [--workdir /tmp/policy-bench]

Prints the seconds of read_history() with an empty cache (one git log, one
git cat-file --batch over every text blob), then with the cache of the first
run (git log only), the number of files and versions, and peak RSS.  The
baseline printed alongside is one bare `git log --first-parent --raw` over
the same history, the floor any reader of it pays.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hooks"))

from policykit.history.versions import HistoryOptions, read_history  # noqa: E402

MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=900)
    ap.add_argument("--commits", type=int, default=40000)
    ap.add_argument("--langs", default="en")
    ap.add_argument("--workdir", default="/tmp/policy-bench")
    ap.add_argument("--make-corpus", default=str(MAKE_CORPUS))
    a = ap.parse_args()
    corpus = Path(a.workdir) / f"corpus-{a.pages}-{a.commits}-{a.langs.replace(',', '_')}"
    if not (corpus / ".git").exists():
        subprocess.run([sys.executable, a.make_corpus, str(corpus), "--pages", str(a.pages), "--commits",
                        str(a.commits), "--langs", a.langs], check=True)
    cache = Path(a.workdir) / "history-cache"
    shutil.rmtree(cache, ignore_errors=True)

    t = time.perf_counter()
    subprocess.run(["git", "-C", str(corpus), "log", "--first-parent", "--raw", "--no-abbrev", "--format=%H", "HEAD"],
                   stdout=subprocess.DEVNULL, check=True)
    git_log = time.perf_counter() - t

    t = time.perf_counter()
    hist = read_history(corpus / "docs", HistoryOptions(cache_dir=str(cache)))
    cold = time.perf_counter() - t
    t = time.perf_counter()
    again = read_history(corpus / "docs", HistoryOptions(cache_dir=str(cache)))
    warm = time.perf_counter() - t
    versions = sum(len(f.versions) for f in hist.files.values())
    assert versions == sum(len(f.versions) for f in again.files.values())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"corpus: {corpus} ({a.pages} pages, {a.langs}, {a.commits + 1} commits)")
    print(f"{len(hist.files)} files, {versions} versions")
    print(f"bare git log --raw: {git_log:.2f} s")
    print(f"history core, cold cache: {cold:.2f} s ({cold / git_log:.2f}x the bare git log)")
    print(f"history core, warm cache: {warm:.2f} s ({warm / git_log:.2f}x the bare git log)")
    print(f"peak RSS of this process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
