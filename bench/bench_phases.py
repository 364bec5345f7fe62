#!/usr/bin/env python3
"""Where a warm build's time above hooks off goes: each phase's wall seconds, hooks off and on, alternated.

    python bench/bench_phases.py [--pages 200 --commits 500 --langs zh-Hant,zh-Hans,en] [--rounds 3]
                                [--workdir /tmp/policy-bench] [--make-corpus PATH]

The same corpus and the same warm build as ``bench_build.py --modes warm``
(one new commit after a build that filled the cache).  Each build runs in a
process of its own with timers around MkDocs' phases, the search and i18n
plugins' events, every event handler of the policy-site plugin and the named
steps inside them (``PHASES``).  A phase's time is exclusive: a timed phase
inside another is counted once, in the inner one.  Prints, per phase, the
median over the rounds of hooks off and hooks on and their difference, so
the difference column adds up to the warm build's time above hooks off
(the rest, "not in a timed phase", is imports, logging and the like).
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_build  # noqa: E402 -- the corpus and the commit of the warm mode, shared

#: (label, "module:attribute"); functions imported by name elsewhere are timed there too.
PHASES = [
    ("MkDocs: emptying the site folder", "mkdocs.utils:clean_directory"),
    ("MkDocs: Markdown of the pages", "mkdocs.commands.build:_populate_page"),
    ("MkDocs: templates and writing of the pages", "mkdocs.commands.build:_build_page"),
    ("MkDocs: 404 and sitemap templates", "mkdocs.commands.build:_build_theme_template"),
    ("MkDocs: files, nav and the rest of build()", "mkdocs.commands.build:build"),
    ("search: the index of each page", "material.plugins.search.plugin:SearchPlugin.on_page_context"),
    ("search: writing the index", "material.plugins.search.plugin:SearchPlugin.on_post_build"),
    ("i18n: the other languages' setup, search merge", "mkdocs_static_i18n.plugin:I18n.on_post_build"),
    ("plugin: the changed policies' archives (render, fill, write)", "policykit.mkdocs.archive:on_post_build"),
    ("plugin: kept archives looked up", "policykit.mkdocs.archive:_restore_kept"),
    ("plugin: archive keys", "policykit.mkdocs.archive:_archive_key"),
    ("plugin: kept archives put back", "policykit.mkdocs.archive_store:restore"),
    ("plugin: archives kept for the next build", "policykit.mkdocs.archive_store:finish"),
    ("plugin: the previous site's rest removed", "policykit.mkdocs.archive_store:drop_stash"),
    ("plugin: per-policy feeds and language feeds", "policykit.mkdocs.feeds:on_post_build"),
    ("plugin: folder sitemaps", "policykit.mkdocs.feeds:write_sitemaps"),
    ("plugin: versions API", "policykit.mkdocs.api:on_post_build"),
    ("plugin: error pages", "policykit.mkdocs.error_pages:on_post_build"),
    ("deploy: the theme's files dated (git log of the templates)", "policykit.deploy.theme_time:pin_clock"),
    ("deploy: TimeMaps", "policykit.deploy.memento:write_timemaps"),
    ("deploy: listing and scan of the site", "policykit.deploy.site_scan:read_site"),
    ("deploy: header rules", "policykit.deploy.cache_rules:build_rules"),
    ("deploy: _headers fitting", "policykit.deploy.header_files:choose_netlify_rules"),
    ("deploy: nginx plan", "policykit.deploy.nginx_versions:plan"),
    ("deploy: nginx include", "policykit.deploy.header_files:render_nginx"),
    ("deploy: nginx maps", "policykit.deploy.header_files:render_nginx_maps"),
    ("deploy: manifest entries", "policykit.deploy.manifest:build_manifest"),
    ("deploy: manifest.json written", "policykit.deploy.manifest:write_manifest"),
    ("deploy: mtimes set", "policykit.deploy.mtimes:apply_mtimes"),
    ("deploy: the rest of finalize_site", "policykit.deploy.finalize:finalize_site"),
    ("deploy: the rest of the deploy step", "policykit.mkdocs.deploy:on_post_build"),
    ("plugin: stamps of the pages", "policykit.mkdocs.site:on_page_content"),
    ("plugin: stamps and policy list into the pages", "policykit.mkdocs.site:on_page_context"),
    ("plugin: the render-time bound of the pages", "policykit.mkdocs.render_limit:on_files"),
    ("plugin: the theme's scripts for the CSP", "policykit.deploy.theme_scripts:ThemeScripts.add_language"),
]


def _child(config: str, site: str) -> None:
    """Run one ``mkdocs build`` in this process with the timers in, and print the times as JSON."""
    times: dict[str, float] = {}
    stack: list[float] = []

    def timed(label: str, fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            started = time.perf_counter()
            stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                inner = stack.pop()
                times[label] = times.get(label, 0.0) + spent - inner
                if stack:
                    stack[-1] += spent
        return run

    originals = []
    for label, spec in PHASES:
        module_name, _, attr = spec.partition(":")
        try:
            owner = importlib.import_module(module_name)
        except ImportError:
            continue  # hooks off: the plugin's modules are still importable, but nothing calls them
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        originals.append((label, owner, name, getattr(owner, name)))
    for label, owner, name, fn in originals:
        wrapper = timed(label, fn)
        setattr(owner, name, wrapper)
        for module in list(sys.modules.values()):  # `from x import f` elsewhere: patch those names too
            names = getattr(module, "__dict__", None)
            if isinstance(names, dict):
                for key, value in list(names.items()):
                    if value is fn:
                        names[key] = wrapper

    import mkdocs.plugins as mkdocs_plugins

    register = mkdocs_plugins.PluginCollection._register_event

    def register_timed(self, event_name, method, plugin_name=None):
        if isinstance(method, mkdocs_plugins.CombinedEvent):
            for sub in method.methods:
                register_timed(self, event_name, sub, plugin_name)
            return None
        if plugin_name == "policy-site":
            method = timed(f"plugin: other {event_name} work", method)
        return register(self, event_name, method, plugin_name)

    mkdocs_plugins.PluginCollection._register_event = register_timed
    from mkdocs.__main__ import cli

    sys.argv = ["mkdocs", "build", "-q", "-f", config, "-d", site]
    started = time.perf_counter()
    try:
        cli()
    except SystemExit as exc:
        if exc.code:
            raise
    times["total"] = time.perf_counter() - started
    print("PHASES " + json.dumps(times))


def _measure(corpus: Path, config: str, site: Path) -> dict[str, float]:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run([sys.executable, __file__, "--child", config, str(site)], cwd=corpus, env=env,
                          capture_output=True, text=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("PHASES ")), None)
    if proc.returncode != 0 or line is None:
        sys.exit(f"build with {config} failed:\n{proc.stderr[-3000:]}")
    return json.loads(line[len("PHASES "):])


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--commits", type=int, default=500)
    ap.add_argument("--langs", default="zh-Hant,zh-Hans,en")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/policy-bench")
    ap.add_argument("--make-corpus", default=None)
    a = ap.parse_args()
    if a.make_corpus:
        bench_build.MAKE_CORPUS = Path(a.make_corpus)
    workdir = Path(a.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = bench_build.make_corpus(workdir, a.pages, a.commits, a.langs)
    cache = corpus / ".cache" / "policy-site"
    site_off, site_on = workdir / "site-off", workdir / "site-on"
    print(f"corpus: {corpus}; python {sys.version.split()[0]}, {os.cpu_count()} cores; {a.rounds} rounds", flush=True)
    offs: list[dict[str, float]] = []
    ons: list[dict[str, float]] = []
    for r in range(a.rounds):
        shutil.rmtree(cache, ignore_errors=True)
        bench_build.build(corpus, "mkdocs-full.yml", site_on)  # fill the cache at the current commit
        bench_build.add_commit(corpus, 1000 + r)
        os.sync()
        for side in (("off", "on") if r % 2 == 0 else ("on", "off")):
            if side == "off":
                offs.append(_measure(corpus, "mkdocs-off.yml", site_off))
            else:
                ons.append(_measure(corpus, "mkdocs-full.yml", site_on))
        print(f"  round {r + 1}: off {offs[-1]['total']:.2f} s, on {ons[-1]['total']:.2f} s", flush=True)

    def median(runs: list[dict[str, float]], label: str) -> float:
        return statistics.median(run.get(label, 0.0) for run in runs)

    labels = [label for label, _ in PHASES] + sorted({k for run in ons for k in run if k.startswith("plugin: other")})
    rows = [(label, median(offs, label), median(ons, label)) for label in labels]
    total_off, total_on = median(offs, "total"), median(ons, "total")
    rest_off = total_off - sum(off for _, off, _ in rows)
    rest_on = total_on - sum(on for _, _, on in rows)
    print(f"\n{'phase':<62} {'off':>7} {'on':>7} {'on-off':>7}")
    for label, off, on in sorted(rows, key=lambda row: row[1] - row[2]):
        if off or on:
            print(f"{label:<62} {off:7.2f} {on:7.2f} {on - off:+7.2f}")
    print(f"{'not in a timed phase':<62} {rest_off:7.2f} {rest_on:7.2f} {rest_on - rest_off:+7.2f}")
    print(f"{'total (median of the rounds)':<62} {total_off:7.2f} {total_on:7.2f} {total_on - total_off:+7.2f}"
          f"  ratio {total_on / total_off:.2f}x")


if __name__ == "__main__":
    main()
