#!/usr/bin/env python3
"""The main process' resident memory at the entry and exit of each phase of one build.

    PYTHONPATH=$PWD/hooks python bench/trace_memory.py CORPUS SITE_DIR [--config mkdocs-full.yml]

CORPUS is a folder made by bench/bench_build.py.  The build runs in this
process (render workers on, as in a real build), with each phase function
wrapped to print the elapsed seconds and VmRSS (``/proc/self/status``) when it
starts and ends, so a peak can be placed in a phase (``bench/peak_memory.py``
gives the peak itself).  Empty CORPUS/.cache/policy-site first for a cold
build.  Linux only.  Not a test.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from typing import Any

T0 = time.perf_counter()


def rss() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def wrap(mod: Any, name: str) -> None:
    f = getattr(mod, name)

    @functools.wraps(f)
    def traced(*a: Any, **k: Any) -> Any:
        label = f"{mod.__name__.split('.')[-1]}.{name}"
        print(f"{time.perf_counter() - T0:7.1f}s {rss():6d} MiB > {label}", flush=True)
        try:
            return f(*a, **k)
        finally:
            print(f"{time.perf_counter() - T0:7.1f}s {rss():6d} MiB < {label}", flush=True)

    setattr(mod, name, traced)


def main() -> None:
    corpus, site = sys.argv[1], os.path.abspath(sys.argv[2])
    config = sys.argv[sys.argv.index("--config") + 1] if "--config" in sys.argv else "mkdocs-full.yml"
    os.chdir(corpus)
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    from policykit.deploy import finalize, memento, site_scan
    from policykit.mkdocs import api, archive, archive_store, deploy, feeds, site as site_hooks

    for mod, name in ((site_hooks, "on_config"), (archive, "on_post_build"), (archive, "_write_sources"),
                      (archive, "prewarm"), (api, "on_post_build"), (feeds, "on_post_build"),
                      (feeds, "write_sitemaps"), (deploy, "on_post_build"), (archive_store, "finish"),
                      (site_scan, "read_site"), (memento, "write_timemaps")):
        wrap(mod, name)
    for name in ("plan_mtimes", "build_rules", "choose_netlify_rules", "build_manifest", "manifest_json",
                 "render_nginx", "render_nginx_maps", "plan_purge", "apply_mtimes"):
        if hasattr(finalize, name):
            wrap(finalize, name)
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    build(load_config(config, site_dir=site))
    print(f"done {time.perf_counter() - T0:.1f}s {rss()} MiB")


if __name__ == "__main__":
    main()
