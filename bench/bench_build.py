#!/usr/bin/env python3
"""Build a synthetic policy archive with and without the project's hooks, alternating, and print ratios.

    python bench/bench_build.py [--pages 200 --commits 500 --langs zh-Hant,zh-Hans,en] [--rounds 3]
                                [--modes stamp,cold,warm,publish] [--workdir /tmp/policy-bench]

The corpus comes from ../shared/bench/make_corpus.py (same arguments, same
repository every time).  Each mode is measured against a hooks-off build of
the same corpus in the same run, alternating off/on so that machine noise
hits both sides:

* stamp: only the "last modified" hook (hooks/mkdocs_site.py) against no hooks;
* cold:  every hook (stamps, history and version pages, headers) with an empty
         render cache, against no hooks;
* warm:  every hook after one more commit, with the cache of the build before;
* publish: the same, with the previous build's manifest.json given (what ``./run publish``
         does every time: an unchanged file keeps its mtime, so a kept archive page is not
         even copied; see policykit.mkdocs.archive_store).

Prints median wall-clock seconds, the ratio (the median of the rounds' on/off
ratios, each round one alternated pair, with their spread; use --rounds 5 or
more: this machine's noise is about 20 %), peak RSS and version pages per
second.  Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"
GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "bench@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def make_corpus(workdir: Path, pages: int, commits: int, langs: str) -> Path:
    corpus = workdir / f"corpus-{pages}-{commits}-{langs.replace(',', '_')}"
    if not (corpus / ".git").exists():
        if not MAKE_CORPUS.exists():
            sys.exit(f"{MAKE_CORPUS} not found: pass --make-corpus PATH")
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(corpus), "--pages", str(pages), "--commits", str(commits),
                        "--langs", langs], check=True)
    for name in ("hooks", "overrides"):
        shutil.rmtree(corpus / name, ignore_errors=True)
        shutil.copytree(ROOT / name, corpus / name, ignore=shutil.ignore_patterns("__pycache__"))
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    languages = langs.split(",")
    if languages != ["zh-Hant", "zh-Hans", "en"]:  # keep only the languages the corpus has
        config = re.sub(r"(?ms)^        - locale: (?!({})\n).*?(?=^        - locale: |^\S)".format("|".join(map(re.escape, languages))), "", config)
        if "zh-Hant" not in languages:
            config = config.replace("          default: true\n", "", 1)
            config = re.sub(rf"(        - locale: {re.escape(languages[0])}\n)", r"\1          default: true\n", config, count=1)
            config = config.replace("default_locale: zh-Hant", f"default_locale: {languages[0]}")
            config = config.replace("source_locale: zh-Hant", f"source_locale: {languages[0]}")
    all_hooks = config
    plugin = re.compile(r"(?m)^  - policy-site:\n(?:      .*\n)*")
    # Off: no plugin, and none of the site's overrides (they extend the plugin's templates).
    no_hooks = re.sub(r"(?m)^  custom_dir: .*\n", "", plugin.sub("", config))
    stamp_only = plugin.sub("  - policy-site:\n      archive: false\n      feeds: false\n      headers: false\n", config)
    (corpus / "mkdocs-full.yml").write_text(all_hooks, encoding="utf-8")
    (corpus / "mkdocs-off.yml").write_text(no_hooks, encoding="utf-8")
    (corpus / "mkdocs-stamp.yml").write_text(stamp_only, encoding="utf-8")
    return corpus


def build(corpus: Path, config: str, site: Path, extra_env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, the build and its worker processes) of one build."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **(extra_env or {}))
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "build", "-q", "-f", config, "-d", str(site)], cwd=corpus,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"build with {config} failed:\n{err[-3000:]}")
    return seconds, usage.ru_maxrss


def count_versions(site: Path) -> int:
    return sum(1 for _ in site.glob("**/versions/*/index.html"))


def add_commit(corpus: Path, n: int) -> None:
    """One more commit that edits one policy in every language (like the corpus' own commits)."""
    for path in sorted((corpus / "docs").glob("*/policy-0000.md")):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"\n基準測試新增條款 {n}。\n")
    env = dict(os.environ, **GIT_ENV, GIT_AUTHOR_DATE=f"2026-07-0{1 + n % 8}T10:00:00+08:00",
               GIT_COMMITTER_DATE=f"2026-07-0{1 + n % 8}T10:00:00+08:00")
    subprocess.run(["git", "add", "docs"], cwd=corpus, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", f"Bench edit {n}"], cwd=corpus, check=True, env=env)


def main() -> None:
    global MAKE_CORPUS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--commits", type=int, default=500)
    ap.add_argument("--langs", default="zh-Hant,zh-Hans,en")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--modes", default="stamp,cold,warm")
    ap.add_argument("--workdir", default="/tmp/policy-bench")
    ap.add_argument("--make-corpus", default=None)
    a = ap.parse_args()
    if a.make_corpus:
        MAKE_CORPUS = Path(a.make_corpus)
    workdir = Path(a.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = make_corpus(workdir, a.pages, a.commits, a.langs)
    cache = corpus / ".cache" / "policy-site"
    site_off, site_on = workdir / "site-off", workdir / "site-on"
    print(f"corpus: {corpus} ({a.pages} pages x {len(a.langs.split(','))} languages, {a.commits + 1} commits)")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    extra = 0
    for mode in a.modes.split(","):
        offs, ons, rss_on, rss_off = [], [], [], []
        for r in range(a.rounds):
            if mode == "cold":
                shutil.rmtree(cache, ignore_errors=True)
            env: dict[str, str] = {}
            if mode in ("warm", "publish"):
                shutil.rmtree(cache, ignore_errors=True)
                build(corpus, "mkdocs-full.yml", site_on)  # fill the cache at the current commit
                if mode == "publish":
                    previous = workdir / "previous-manifest.json"
                    shutil.copy2(site_on / "manifest.json", previous)
                    env = {"POLICY_SITE_PREVIOUS_MANIFEST": str(previous)}
                extra += 1
                add_commit(corpus, extra)
                os.sync()  # the fill build's writes reach the disk now, not during the timed builds
            config = {"stamp": "mkdocs-stamp.yml", "cold": "mkdocs-full.yml", "warm": "mkdocs-full.yml",
                      "publish": "mkdocs-full.yml"}[mode]
            first_off = r % 2 == 0
            for side in ("off", "on") if first_off else ("on", "off"):
                if side == "off":
                    s, m = build(corpus, "mkdocs-off.yml", site_off)
                    offs.append(s)
                    rss_off.append(m)
                else:
                    s, m = build(corpus, config, site_on, env)
                    ons.append(s)
                    rss_on.append(m)
            print(f"  {mode} round {r + 1}: off {offs[-1]:.2f} s, on {ons[-1]:.2f} s, ratio {ons[-1] / offs[-1]:.2f}x",
                  flush=True)
        off, on = statistics.median(offs), statistics.median(ons)
        ratios = [n / f for n, f in zip(ons, offs, strict=True)]  # one per alternated pair
        versions = count_versions(site_on) if mode != "stamp" else 0
        line = (f"{mode}: hooks off {off:.2f} s, hooks on {on:.2f} s, ratio {statistics.median(ratios):.2f}x "
                f"(median of {a.rounds} pairs, spread {min(ratios):.2f}-{max(ratios):.2f}x); peak RSS off {max(rss_off) / 1024:.0f} MiB, on {max(rss_on) / 1024:.0f} MiB")
        if versions:
            line += f"; {versions} version pages, {versions / on:.0f} version pages/s"
        print(line, flush=True)


if __name__ == "__main__":
    main()
