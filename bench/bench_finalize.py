#!/usr/bin/env python3
"""Time the deploy step (``finalize_site``) alone on a large built site: seconds, bytes read, peak RSS.

    python bench/bench_finalize.py capture --corpus DIR [--config mkdocs-full.yml] --out /tmp/finalize-bench
    python bench/bench_finalize.py run --out /tmp/finalize-bench [--rounds 3] [--hooks /path/to/other/hooks]
    python bench/bench_finalize.py compare --out /tmp/finalize-bench --other-hooks /path/to/old/hooks

``capture`` builds the corpus (one made by ``bench_build.py``) in this process
and, when the plugin calls ``finalize_site``, copies the site as it is at that
moment (``snapshot/``) and pickles the call's arguments (``call.pickle``)
before letting it run.  ``run`` replays that call, each round in a fresh
process on a fresh copy of the snapshot, and prints its wall time, the bytes
the process read (``rchar`` of ``/proc/self/io``: every ``read()``, page cache
or not), how many files were opened for reading under the site more than
once, and the process' peak RSS beside the RSS before the call.  ``compare``
replays the call once with this worktree's ``hooks`` and once with
``--other-hooks`` (e.g. the code before a change) and compares both sites and
deploy directories byte for byte and mtime for mtime.  Not a test: nothing is
asserted.
"""

from __future__ import annotations

import argparse
import builtins
import io
import os
import pickle
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def capture(corpus: Path, config: str, out: Path) -> None:
    from mkdocs.__main__ import cli

    import policykit.mkdocs.deploy as plugin_deploy

    real = plugin_deploy.finalize_site
    out.mkdir(parents=True, exist_ok=True)

    def wrapper(site_dir, registry, **kwargs):  # type: ignore[no-untyped-def]
        snap = out / "snapshot"
        shutil.rmtree(snap, ignore_errors=True)
        shutil.copytree(site_dir, snap, symlinks=True)
        with open(out / "call.pickle", "wb") as fh:
            pickle.dump((registry, kwargs), fh)
        return real(site_dir, registry, **kwargs)

    plugin_deploy.finalize_site = wrapper  # type: ignore[assignment]
    os.chdir(corpus)
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    cli(["build", "-q", "-f", config, "-d", str(out / "built")], standalone_mode=False)
    print(f"captured {sum(1 for _ in (out / 'snapshot').rglob('*') if _.is_file())} files in {out / 'snapshot'}")


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _rchar() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def _time_read_phase(total: list[float]) -> list[tuple[object, str, object]]:
    """Wrap the functions of the read phase (one, or the separate passes of older code) to add up their time."""
    import policykit.deploy.finalize as finalize

    try:
        import policykit.deploy.site_scan as site_scan
        targets = [(site_scan, "read_site")]
    except ImportError:  # the code before the one pass
        targets = [(finalize, n) for n in ("site_files", "set_gzip_mtime", "fingerprint_assets", "write_redirects",
                                           "file_digests", "unlisted_scripts")]
    wrapped = []
    for module, name in targets:
        function = getattr(module, name)

        def timed(*args, _function=function, **kw):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return _function(*args, **kw)
            finally:
                total[0] += time.perf_counter() - started

        setattr(module, name, timed)
        wrapped.append((module, name, function))
    return wrapped


def once(out: Path, site: Path, deploy: Path) -> None:
    """One replay in this process (called in a child): prints one result line."""
    from policykit.deploy.finalize import finalize_site

    with open(out / "call.pickle", "rb") as fh:
        registry, kwargs = pickle.load(fh)
    kwargs = {**kwargs, "deploy_dir": deploy}
    opened: Counter[str] = Counter()
    real_open = builtins.open
    real_io_open = io.open
    prefix = str(site) + os.sep

    def counting(file, mode="r", *args, **kw):  # type: ignore[no-untyped-def]
        name = os.fspath(file) if isinstance(file, (str, os.PathLike)) else ""
        if isinstance(name, str) and name.startswith(prefix) and "r" in mode:
            opened[name] += 1
        return real_open(file, mode, *args, **kw)

    builtins.open = counting  # Path.read_bytes goes through io.open, which is builtins.open
    io.open = counting  # type: ignore[assignment]
    phase = [0.0]  # seconds in the read phase: listing, fingerprint, _redirects, digests, CSP check
    wrapped = _time_read_phase(phase)
    rss0, rchar0 = _rss_kib(), _rchar()
    started = time.perf_counter()
    try:
        finalize_site(site, registry, **kwargs)
    finally:
        builtins.open, io.open = real_open, real_io_open  # type: ignore[assignment]
        for module, name, function in wrapped:
            setattr(module, name, function)
    seconds = time.perf_counter() - started
    read = _rchar() - rchar0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    files = sum(1 for p in site.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    twice = sum(1 for n in opened.values() if n > 1)
    print(f"finalize_site: {seconds:.2f} s (read phase {phase[0]:.2f} s), read {read / 2**20:.1f} MiB for a site of {files} files, "
          f"{size / 2**20:.1f} MiB ({read / max(size, 1):.2f}x its size); files opened for reading: "
          f"{len(opened)}, more than once: {twice} (max {max(opened.values(), default=0)}); "
          f"RSS before {rss0 / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB", flush=True)


def replay(out: Path, hooks: Path, tag: str) -> tuple[Path, Path]:
    site, deploy = out / f"site-{tag}", out / f"deploy-{tag}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(deploy, ignore_errors=True)
    shutil.copytree(out / "snapshot", site, symlinks=True)
    env = dict(os.environ, PYTHONPATH=str(hooks))
    subprocess.run([sys.executable, __file__, "_once", "--out", str(out), "--site", str(site), "--deploy", str(deploy)],
                   env=env, check=True)
    return site, deploy


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), int(p.stat().st_mtime))
            for p in sorted(root.rglob("*")) if p.is_file()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["capture", "run", "compare", "_once"])
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--config", default="mkdocs-full.yml")
    ap.add_argument("--out", type=Path, default=Path("/tmp/finalize-bench"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--other-hooks", type=Path)
    ap.add_argument("--hooks", type=Path, default=ROOT / "hooks", help="run: the package to replay with")
    ap.add_argument("--site", type=Path)
    ap.add_argument("--deploy", type=Path)
    a = ap.parse_args()
    if a.command == "capture":
        capture(a.corpus.resolve(), a.config, a.out.resolve())
    elif a.command == "_once":
        once(a.out, a.site, a.deploy)
    elif a.command == "run":
        for _ in range(a.rounds):
            replay(a.out.resolve(), a.hooks.resolve(), "run")
    else:
        mine = replay(a.out.resolve(), ROOT / "hooks", "this")
        other = replay(a.out.resolve(), a.other_hooks.resolve(), "other")
        for label, x, y, stamped in (("site", mine[0], other[0], True), ("deploy dir", mine[1], other[1], False)):
            tx, ty = tree(x), tree(y)
            if not stamped:  # the deploy directory's files get no deterministic mtime: compare bytes
                tx, ty = {p: (b, 0) for p, (b, _) in tx.items()}, {p: (b, 0) for p, (b, _) in ty.items()}
            differ = sorted(p for p in set(tx) | set(ty) if tx.get(p) != ty.get(p))
            print(f"{label}: {len(tx)} files here, {len(ty)} there, {len(differ)} differ "
                  f"({'bytes or mtime' if stamped else 'bytes'})" + (f": {differ[:10]}" if differ else ""))


if __name__ == "__main__":
    main()
