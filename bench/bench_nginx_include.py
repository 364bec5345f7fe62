#!/usr/bin/env python3
"""Size of the nginx include at archive scale, one exact location per file (before) against grouped (now).

    PYTHONPATH=hooks .venv/bin/python bench/bench_nginx_include.py [--folders 878] [--versions 42632]
        [--script-hashes 8] [--keep DIR] [--no-nginx] [--long-names]

Builds a synthetic archive with no MkDocs build (as ``tests/test_headers_scale.py`` does): a
``PublishedPages`` registry and empty files, per policy folder (half at the root, half under
``en/``) its page, history page, versions API, feed, sitemap and, for each of its versions, the version page
and its ``source.md``; the versions are spread over the folders as evenly as they go.  Runs
``finalize_site`` once, then prints the sizes of ``nginx-headers.conf`` and ``nginx-maps.conf``
rendered both ways (``render_nginx(..., exact=True)`` is the renderer as it was before
``nginx_versions``).  The synthetic pages carry no inline script, so the CSP has no hash; the
figures are given again with ``--script-hashes`` hashes in the CSP (a real build of this site has 8),
the size a real archive's include has.  Unless ``--no-nginx``: for both renderings, the wall time
of ``nginx -t`` and the resident memory of nginx's master and worker once it serves (kB, from
``/proc``).  Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from nginx_server import NGINX, NginxServer, free_port  # noqa: E402

from policykit.deploy.cache_rules import security_headers  # noqa: E402
from policykit.deploy.finalize import finalize_site  # noqa: E402
from policykit.deploy.header_files import render_nginx, render_nginx_maps  # noqa: E402
from policykit.deploy.published import (  # noqa: E402
    API, CURRENT_VERSION, FEED, HISTORY, POLICY, VERSION, VERSION_SOURCE, PublishedPage, PublishedPages,
)

START = datetime(2015, 1, 1, tzinfo=timezone.utc)


def archive(root: Path, folders: int, versions: int, long_names: bool = False) -> PublishedPages:
    """The registry and the (empty) files of *folders* policy folders holding *versions* version pages."""
    reg = PublishedPages()

    def add(path: str, kind: str, locale: str, pid: str, when: datetime) -> None:
        f = root / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.touch()
        reg.add(PublishedPage(path, kind, locale, pid, when))

    per, extra = divmod(versions, folders)
    for i in range(folders):
        pid = f"Service {i // 2:04d} 服務/Terms of Service" if long_names else f"policy-{i // 2:04d}"
        prefix, locale = ("", "zh-Hant") if i % 2 == 0 else ("en/", "en")
        base = f"{prefix}{pid}/"
        count = per + (1 if i < extra else 0)
        last = START
        for n in range(1, count + 1):
            last = START + timedelta(days=n, seconds=i)
            add(f"{base}versions/{n}/index.html", CURRENT_VERSION if n == count else VERSION, locale, pid, last)
            add(f"{base}versions/{n}/source.md", VERSION_SOURCE, locale, pid, last)
        add(f"{base}index.html", POLICY, locale, pid, last)
        add(f"{base}history/index.html", HISTORY, locale, pid, last)
        add(f"{base}versions.json", API, locale, pid, last)
        add(f"{base}feed.xml", FEED, locale, pid, last)
        (root / f"{base}sitemap.xml").touch()  # the folder's sitemap, as a build writes it: in no registry
    (root / "404.html").write_text("<!doctype html><title>404</title>", encoding="utf-8")
    return reg


def nginx_figures(site: Path, include: str, maps: str) -> tuple[float, float, int, str]:
    """(seconds of ``nginx -t``, seconds until it serves, kB resident in its master and worker, its warnings)."""
    srv = NginxServer(site, include, http_include=maps)  # its configuration; started here, without its 10 s limit
    try:
        (srv.prefix / "tmp").mkdir(exist_ok=True)
        (srv.prefix / "site.conf").write_text(include, encoding="utf-8")
        (srv.prefix / "http.conf").write_text(maps, encoding="utf-8")
        srv.port = free_port()
        conf = srv.prefix / "nginx.conf"
        conf.write_text(srv.config(), encoding="utf-8")
        args = [NGINX, "-p", str(srv.prefix), "-e", str(srv.prefix / "error.log"), "-c", str(conf)]
        began = time.perf_counter()
        done = subprocess.run([*args, "-t"], capture_output=True, text=True)
        tested = time.perf_counter() - began
        if done.returncode != 0:
            raise SystemExit(f"nginx -t: {done.stderr}")
        warnings = " ".join(line.split("[warn]", 1)[1].strip() for line in done.stderr.splitlines() if "[warn]" in line)
        began = time.perf_counter()
        srv.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                with socket.create_connection(("127.0.0.1", srv.port), timeout=0.2):
                    break
            except OSError:
                if srv.proc.poll() is not None or time.perf_counter() - began > 600:
                    raise SystemExit("nginx did not start") from None
                time.sleep(0.05)
        started = time.perf_counter() - began
        srv.get("/")
        pids = [srv.proc.pid, *(int(p) for p in Path(f"/proc/{srv.proc.pid}/task/{srv.proc.pid}/children")
                                .read_text().split())]
        rss = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
        return tested, started, rss, warnings
    finally:
        srv.close()


def fake_hashes(count: int) -> list[str]:
    return ["'sha256-" + base64.b64encode(hashlib.sha256(str(i).encode()).digest()).decode() + "'" for i in range(count)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folders", type=int, default=878)
    ap.add_argument("--versions", type=int, default=42632)
    ap.add_argument("--script-hashes", type=int, default=8)
    ap.add_argument("--keep", type=Path, help="build the archive here (kept) instead of a temporary folder")
    ap.add_argument("--no-nginx", action="store_true", help="sizes only")
    ap.add_argument("--long-names", action="store_true",
                    help='folders named like "Service 0042 服務/Terms of Service/" (spaces, CJK) instead of "policy-0042/"')
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    site = work / "site"
    began = time.perf_counter()
    reg = archive(site, args.folders, args.versions, args.long_names)
    made = time.perf_counter() - began
    began = time.perf_counter()
    result = finalize_site(site, reg, source_date=START, env={})
    print(f"archive: {args.folders} policy folders, {args.versions} version pages, {len(result.rules.files)} files "
          f"(made in {made:.1f} s; finalize_site {time.perf_counter() - began:.1f} s)")
    real = dataclasses.replace(result.rules, security=security_headers(fake_hashes(args.script_hashes)))
    year = START.year
    for label, rules in (("CSP without hashes (the synthetic pages)", result.rules),
                         (f"CSP with {args.script_hashes} script hashes (a real build)", real)):
        print(f"{label}:")
        texts: dict[str, tuple[str, str]] = {}
        for name, exact in (("before: one exact location per file", True), ("now: grouped", False)):
            began = time.perf_counter()
            include, maps = render_nginx(rules, exact=exact), render_nginx_maps(rules, year, exact=exact)
            took = time.perf_counter() - began
            texts[name] = (include, maps)
            print(f"  {name:38s} nginx-headers.conf {len(include.encode()):>11,d} B   "
                  f"nginx-maps.conf {len(maps.encode()):>10,d} B   locations {include.count('location '):>7,d}   "
                  f"rendered in {took:.2f} s")
        if rules is real and not args.no_nginx:
            for name, (include, maps) in texts.items():
                tested, started, rss, warnings = nginx_figures(site, include, maps)
                print(f"  {name:38s} nginx -t {tested:6.2f} s   serving after {started:6.2f} s   "
                      f"RSS (master + worker) {rss:>9,d} kB   warnings: {warnings or 'none'}", flush=True)


if __name__ == "__main__":
    main()
