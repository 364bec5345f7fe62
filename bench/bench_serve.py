#!/usr/bin/env python3
"""Live preview: from saving a policy to the rebuilt page under ``mkdocs serve``, with and without the plugin.

    python bench/bench_serve.py [--site this|corpus] [--pages 200 --commits 500 --langs zh-Hant,zh-Hans,en]
                                [--pairs 5] [--edits 3] [--dirty] [--workdir /tmp/policy-bench]

``--site this`` serves a clone of this repository (its own ``docs/`` and
history); ``--site corpus`` the synthetic archive of
../shared/bench/make_corpus.py (the same corpus as bench_build.py).  The
baseline is the same site with the ``policy-site`` plugin and the site's
overrides removed (``mkdocs-off.yml``).

One pair = one server with the plugin off and one with it on, started in
alternating order.  On each server, after its first build, the script edits
one policy ``--edits`` times (appends a paragraph with a fresh marker) and
measures the wall time from the write to the first response of the policy's
page that contains the marker (polled every 10 ms).  MkDocs' file watcher
polls every 0.5 s on both sides, so that wait is in both numbers.  A pair's
ratio is its median on / median off; the script prints every pair, the
median of the pairs' ratios and their spread.  Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import GIT_ENV, ROOT, make_corpus  # noqa: E402  (this folder's sibling script)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def this_site(workdir: Path) -> Path:
    """A clone of this repository with a plugin-off config beside its own."""
    copy = workdir / "this-site"
    shutil.rmtree(copy, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(copy)], check=True,
                   env=dict(os.environ, **GIT_ENV))
    config = (copy / "mkdocs.yml").read_text(encoding="utf-8")
    plugin = re.compile(r"(?m)^  - policy-site:\n(?:      .*\n)*")
    off = re.sub(r"(?m)^  custom_dir: .*\n", "", plugin.sub("", config))
    (copy / "mkdocs-full.yml").write_text(config, encoding="utf-8")
    (copy / "mkdocs-off.yml").write_text(off, encoding="utf-8")
    return copy


class Server:
    """``mkdocs serve`` of one config on a free port, until stopped."""

    def __init__(self, root: Path, config: str, dirty: bool) -> None:
        self.port = free_port()
        args = [sys.executable, "-m", "mkdocs", "serve", "-q", "-f", config, "-a", f"127.0.0.1:{self.port}"]
        if dirty:
            args.append("--dirty")
        self.proc = subprocess.Popen(args, cwd=root, env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_ready(self, path: str, timeout: float = 1800) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                sys.exit(f"mkdocs serve exited with {self.proc.returncode}:\n{err[-3000:]}")
            try:
                status, _ = fetch(self.port, path)
                if status == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.1)
        sys.exit(f"mkdocs serve did not answer {path} within {timeout:.0f} s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def edit_and_wait(server: Server, source: Path, url: str, marker: str, timeout: float = 600) -> float:
    """Seconds from appending *marker* to *source* until *url* serves it."""
    with open(source, "a", encoding="utf-8") as fh:
        fh.write(f"\n\n{marker}\n")
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            status, body = fetch(server.port, url)
            if status == 200 and marker.encode() in body:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.01)
    sys.exit(f"{url} did not show {marker} within {timeout:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", choices=("this", "corpus"), default="this")
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--commits", type=int, default=500)
    ap.add_argument("--langs", default="zh-Hant,zh-Hans,en")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--edits", type=int, default=3)
    ap.add_argument("--dirty", action="store_true", help="serve with --dirty (both sides)")
    ap.add_argument("--workdir", default="/tmp/policy-bench")
    a = ap.parse_args()
    workdir = Path(a.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if a.site == "this":
        root = this_site(workdir)
        source, url = root / "docs" / "en" / "privacy.md", "/en/privacy/"
    else:
        root = make_corpus(workdir, a.pages, a.commits, a.langs)
        lang = a.langs.split(",")[-1]
        source = root / "docs" / lang / "policy-0000.md"
        url = ("/" if lang == a.langs.split(",")[0] else f"/{lang}/") + "policy-0000/"
    original = source.read_bytes()
    print(f"site: {root} ({a.site}); editing {source.relative_to(root)}, polling {url}; "
          f"{a.pairs} pairs x {a.edits} edits{' --dirty' if a.dirty else ''}; {os.cpu_count()} cores")
    ratios: list[float] = []
    sides: dict[str, list[float]] = {"off": [], "on": []}
    marker_n = 0
    try:
        for pair in range(a.pairs):
            medians: dict[str, float] = {}
            for side in ("off", "on") if pair % 2 == 0 else ("on", "off"):
                source.write_bytes(original)
                server = Server(root, "mkdocs-off.yml" if side == "off" else "mkdocs-full.yml", a.dirty)
                try:
                    first = server.wait_ready(url)
                    times = []
                    for _ in range(a.edits):
                        marker_n += 1
                        times.append(edit_and_wait(server, source, url, f"benchmark-marker-{os.getpid()}-{marker_n}"))
                        time.sleep(0.3)  # let the watcher settle before the next save
                finally:
                    server.stop()
                medians[side] = statistics.median(times)
                sides[side].extend(times)
                print(f"  pair {pair + 1} {side}: first build {first:.1f} s, save to page "
                      + ", ".join(f"{t:.2f}" for t in times) + " s", flush=True)
            ratios.append(medians["on"] / medians["off"])
            print(f"  pair {pair + 1}: ratio {ratios[-1]:.2f}x", flush=True)
    finally:
        source.write_bytes(original)
    print(f"save to reloaded page: plugin off median {statistics.median(sides['off']):.2f} s, "
          f"on median {statistics.median(sides['on']):.2f} s; ratio {statistics.median(ratios):.2f}x "
          f"(median of {len(ratios)} pairs, spread {min(ratios):.2f}-{max(ratios):.2f}x)")


if __name__ == "__main__":
    main()
