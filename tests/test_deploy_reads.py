"""The deploy step reads each output file at most once, streams what it only hashes, and writes what it wrote before.

One real build of the project's site (two commits) is recorded at the moment
the plugin calls ``finalize_site`` (``finalize_capture.py``: the site as it is
then, the call's arguments, and how often the call opened each site file for
reading).  The same call is then replayed on two copies of that site: once as
it is, once with its read phase (``site_scan.read_site``) replaced by the
separate passes the deploy step made before (fingerprint rewrite, SHA-256 for
the manifest, the CSP's inline-script check, each its own read of every file,
composed from the stand-alone functions that remain), and every file of both
sites (bytes and mtimes) and of both deploy folders is compared.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from gitfixture import git_env
from sitebuild import edit, new_site

CAPTURE = Path(__file__).with_name("finalize_capture.py")


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("reads")
    repo = new_site(base)
    repo.commit("Publish the policies", date="2021-03-01T09:00:00+08:00")
    edit(repo, "docs/en/privacy.md", "## General Provisions", "## General Provisions\n\nA new paragraph.")
    repo.commit("Explain more", date="2022-07-15T18:30:00+08:00")
    out = base / "capture"
    done = subprocess.run([sys.executable, str(CAPTURE), str(out), "--strict"], cwd=repo.path,
                          env=git_env({"NO_MKDOCS_2_WARNING": "1"}), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, encoding="utf-8", timeout=300)
    assert done.returncode == 0, done.stdout
    return out


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_every_output_file_is_read_at_most_once(captured: Path) -> None:
    reads: dict[str, int] = json.loads((captured / "reads.json").read_text(encoding="utf-8"))
    snapshot = _files(captured / "snapshot")
    pages = [p for p in snapshot if p.endswith(".html")]
    assert len(pages) > 10 and "sitemap.xml.gz" in snapshot
    assert set(pages) <= set(reads)  # the count saw every page (so it counts at all)
    assert "sitemap.xml.gz" in reads
    assert {p: n for p, n in reads.items() if n > 1} == {}


def _tree(root: Path, mtimes: bool) -> dict[str, tuple[bytes, int]]:
    return {rel: ((root / rel).read_bytes(), int((root / rel).stat().st_mtime) if mtimes else 0)
            for rel in _files(root)}


def _set_gzip_mtime(path: Path, epoch: int | None) -> None:
    """The gzip header's MTIME (bytes 4-7) set in a pass of its own, as the deploy step did before site_scan."""
    from policykit.deploy.site_scan import GZIP_MAGIC, gzip_mtime_field

    if epoch is None or not path.is_file():
        return
    with open(path, "r+b") as fh:
        if fh.read(2) != GZIP_MAGIC:
            return
        fh.seek(4)
        fh.write(gzip_mtime_field(epoch))


def _separate_passes(site: Path, own_assets: Any, epoch: int | None, theme_scripts: Any,
                     kept: Any = None, collect: Any = (), listed: Any = None) -> Any:
    """The read phase as the deploy step did it before the one pass: each step reads the site again.

    (The captured build is a first one: it kept no archive from a build before, so ``kept`` is empty.
    ``listed``, the listing the deploy step made before writing the TimeMaps, is not used: the site is
    listed again here, so the one pass's result shows that listing plus the TimeMaps is the site.)"""
    assert not kept
    from policykit.deploy.cache_rules import site_files
    from policykit.deploy.error_pages import write_redirects
    from policykit.deploy.fingerprint import fingerprint_assets
    from policykit.deploy.manifest import file_digests
    from policykit.deploy.site_scan import SiteRead
    from policykit.deploy.theme_scripts import unlisted_scripts

    site_files(site)
    _set_gzip_mtime(site / "sitemap.xml.gz", epoch)
    renamed = fingerprint_assets(site, own_assets)
    write_redirects(site, site_files(site))
    paths = site_files(site)
    digests = file_digests(site, paths)
    hashes = theme_scripts.hashes(paths) if theme_scripts is not None else []
    return SiteRead(paths, renamed, digests, hashes, unlisted_scripts(site, paths, hashes))


def _prepare(captured: Path, target: Path) -> None:
    """A copy of the recorded site, with a page that links an asset by its plain name and runs a stray script."""
    shutil.copytree(captured / "snapshot", target, symlinks=True)
    page = target / "en" / "privacy" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "</head>" in html and "</body>" in html
    html = html.replace("</head>", '<link rel="stylesheet" href="../../assets/policy.css?v=1"></head>', 1)
    page.write_text(html.replace("</body>", "<script>window.strayScript = 1</script></body>", 1), encoding="utf-8")


def test_one_pass_writes_what_the_separate_passes_wrote(captured: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from policykit.deploy import site_scan
    from policykit.deploy.finalize import finalize_site

    with open(captured / "call.pickle", "rb") as fh:
        registry, kwargs = pickle.load(fh)
    assert kwargs["own_assets"] and kwargs["theme_scripts"] is not None
    results = []
    for name in ("one-pass", "separate-passes"):
        site = tmp_path / name / "site"
        _prepare(captured, site)
        if name == "separate-passes":
            monkeypatch.setattr(site_scan, "read_site", _separate_passes)
        results.append(finalize_site(site, registry, **{**kwargs, "deploy_dir": site.with_name("deploy")}))
    one, separate = (tmp_path / n for n in ("one-pass", "separate-passes"))
    assert _tree(one / "site", True) == _tree(separate / "site", True)
    assert _tree(one / "deploy", False) == _tree(separate / "deploy", False)  # nginx include, purge files
    assert sorted(_files(one / "deploy")) == sorted(_files(separate / "deploy")) != []
    assert results[0].unlisted_scripts == results[1].unlisted_scripts
    assert [p for p, _ in results[0].unlisted_scripts] == ["en/privacy/index.html"]  # the stray script
    assert results[0].renamed == results[1].renamed and "assets/policy.css" in results[0].renamed
    page = (one / "site" / "en" / "privacy" / "index.html").read_text(encoding="utf-8")
    new_name = results[0].renamed["assets/policy.css"].rsplit("/", 1)[1]
    assert f'href="../../assets/{new_name}?v=1"' in page  # the rewrite ran inside the one pass
    manifest = json.loads((one / "site" / "manifest.json").read_text(encoding="utf-8"))
    sizes = {e["path"]: e["size"] for e in manifest["urls"].values()}
    assert sizes["en/privacy/index.html"] == os.path.getsize(one / "site" / "en" / "privacy" / "index.html")


def test_digests_stream_large_files(tmp_path: Path) -> None:
    """A file that is only hashed is never held whole: the peak heap stays far below its size."""
    import hashlib

    from policykit.deploy.manifest import file_digests

    data = os.urandom(1 << 20) * 24  # 24 MiB
    (tmp_path / "big.pdf").write_bytes(data)
    tracemalloc.start()
    try:
        digests = file_digests(tmp_path, ["big.pdf"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digests == {"big.pdf": (hashlib.sha256(data).hexdigest(), len(data))}
    assert peak < 2 << 20, f"peak heap {peak} bytes while hashing a {len(data)}-byte file"


def test_the_scan_keeps_no_page_after_the_next(tmp_path: Path) -> None:
    """Pages are read one at a time: the peak heap is about one page, not the sum of them."""
    from policykit.deploy.site_scan import scan_site

    page = b"<html><head><script>var a=1</script></head><body>" + b"<p>text</p>" * 200_000 + b"</body></html>"
    paths = [f"p{i}/index.html" for i in range(12)]  # 12 pages of 2.2 MB
    for rel in paths:
        (tmp_path / rel).parent.mkdir()
        (tmp_path / rel).write_bytes(page)
    tracemalloc.start()
    try:
        scan = scan_site(tmp_path, paths)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(scan.digests) == 12 and len(scan.unlisted) == 12
    assert peak < 3 * len(page), f"peak heap {peak} bytes for pages of {len(page)} bytes"
