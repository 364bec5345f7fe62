#!/usr/bin/env python3
"""The warm build of two revisions of this code, alternated: how much a change saved, on the same machine.

    python bench/bench_revisions.py --before REV [--after REV] [--pages 200 --commits 500]
                                    [--langs zh-Hant,zh-Hans,en] [--rounds 5] [--workdir /tmp/policy-bench]

The warm build of ``bench_build.py`` (one new commit after a build that filled
the cache), with the plugin's code of *before* and of *after* (default: HEAD),
each exported with ``git archive`` and put first on ``PYTHONPATH``.  Each
revision builds its own copy of the corpus with its own cache (the archive
keys hold the code's digest, so the two cannot share one); each round adds
the same commit to both and builds them in alternating order.  Prints each
round and the median ratio after / before with its spread.  Hooks off is not
built: ``bench_build.py`` gives the ratio against it.  Not a test: nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_build  # noqa: E402 -- the corpus, the build and the commit of the warm mode, shared

ROOT = Path(__file__).resolve().parents[1]


def export(rev: str, folder: Path) -> Path:
    """The tree of *rev* in *folder* (made afresh); returns its package folder for PYTHONPATH."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "hooks"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", default="HEAD")
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--commits", type=int, default=500)
    ap.add_argument("--langs", default="zh-Hant,zh-Hans,en")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workdir", default="/tmp/policy-bench")
    ap.add_argument("--make-corpus", default=None)
    a = ap.parse_args()
    if a.make_corpus:
        bench_build.MAKE_CORPUS = Path(a.make_corpus)
    workdir = Path(a.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = bench_build.make_corpus(workdir, a.pages, a.commits, a.langs)
    sides = {}
    for name, rev in (("before", a.before), ("after", a.after)):
        code = export(rev, workdir / f"code-{name}")
        copy = workdir / f"corpus-{name}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(corpus, copy, symlinks=True, ignore=shutil.ignore_patterns(".cache"))
        env = {"PYTHONPATH": str(code)}
        site = workdir / f"site-{name}"
        bench_build.build(copy, "mkdocs-full.yml", site, env)  # fill this revision's own cache
        sides[name] = (copy, site, env)
        print(f"{name}: {rev} ({subprocess.run(['git', 'rev-parse', '--short', rev], cwd=ROOT, capture_output=True, text=True).stdout.strip()}), cache filled", flush=True)
    times: dict[str, list[float]] = {"before": [], "after": []}
    for r in range(a.rounds):
        for copy, _, _ in sides.values():
            bench_build.add_commit(copy, 2000 + r)
        os.sync()
        for name in (("before", "after") if r % 2 == 0 else ("after", "before")):
            copy, site, env = sides[name]
            times[name].append(bench_build.build(copy, "mkdocs-full.yml", site, env)[0])
        print(f"  round {r + 1}: before {times['before'][-1]:.2f} s, after {times['after'][-1]:.2f} s, "
              f"ratio {times['after'][-1] / times['before'][-1]:.3f}", flush=True)
    ratios = [after / before for before, after in zip(times["before"], times["after"], strict=True)]
    print(f"warm build: before {statistics.median(times['before']):.2f} s, after {statistics.median(times['after']):.2f} s, "
          f"after / before {statistics.median(ratios):.3f} (median of {a.rounds} pairs, spread "
          f"{min(ratios):.3f}-{max(ratios):.3f})")


if __name__ == "__main__":
    main()
