"""Two builds of one commit, in two clones, at two times, in two timezones, are byte-identical.

Covers every output file (HTML, sitemaps and the gzip header of
``sitemap.xml.gz``, the search index, feeds, ``_headers``, ``manifest.json``),
the deploy directory beside the site (nginx include, purge list) and the
modification times the deploy hook sets.  Neither build is given
``SOURCE_DATE_EPOCH``: mkdocs_validate sets it from HEAD's commit time.
"""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import pytest

from gitfixture import GitRepo
from sitebuild import edit, mkdocs_build, new_site


def tree_of(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under *root*: relative path -> (bytes, mtime in whole seconds)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = (path.read_bytes(), int(path.stat().st_mtime))
    return out


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    base = tmp_path_factory.mktemp("repro")
    origin = new_site(base)
    origin.commit("Publish the policies", date="2021-03-01T09:00:00+08:00")
    edit(origin, "docs/zh-Hant/privacy.md", "## 總則", "## 總則\n\n新增的一段說明。")
    edit(origin, "docs/en/privacy.md", "## General Provisions", "## General Provisions\n\nA new paragraph.")
    edit(origin, "docs/zh-Hans/privacy.md", "## 总则", "## 总则\n\n新增的一段说明。")
    head = origin.commit("Explain more", date="2022-07-15T18:30:00-04:00")
    clones = []
    for name, tz in (("first-clone", "UTC"), ("second clone", "Pacific/Auckland")):
        clone = GitRepo(base / name)
        GitRepo(base).run("clone", "-q", str(origin.path), str(clone.path))
        env = {"TZ": tz, "SOURCE_DATE_EPOCH": ""}  # empty counts as unset
        result = mkdocs_build(clone.path, "--strict", env=env)
        assert result.returncode == 0, result.stdout
        clones.append(clone.path)
        time.sleep(1.2)  # the second build starts on a later second of the clock
    return clones[0], clones[1], head


def test_site_trees_are_identical(two_builds: tuple[Path, Path, str]) -> None:
    a, b, _ = two_builds
    ta, tb = tree_of(a / "site"), tree_of(b / "site")
    assert sorted(ta) == sorted(tb)
    differing = [p for p in ta if ta[p][0] != tb[p][0]]
    assert differing == []
    mtimes = [p for p in ta if ta[p][1] != tb[p][1]]
    assert mtimes == []
    for must in ("sitemap.xml", "sitemap.xml.gz", "search/search_index.json", "feed.xml", "en/feed.xml",
                 "_headers", "manifest.json", "privacy/versions/2/index.html"):
        assert must in ta, must


def test_deploy_files_are_identical(two_builds: tuple[Path, Path, str]) -> None:
    a, b, _ = two_builds
    ta, tb = tree_of(a / "site-deploy"), tree_of(b / "site-deploy")
    assert "nginx-headers.conf" in ta
    assert {p: v[0] for p, v in ta.items()} == {p: v[0] for p, v in tb.items()}


def test_time_comes_from_the_commit(two_builds: tuple[Path, Path, str]) -> None:
    a, _, _ = two_builds
    head_epoch = int(GitRepo(a).run("log", "-1", "--format=%ct"))
    with gzip.open(a / "site" / "sitemap.xml.gz") as fh:
        fh.read()
        gz_mtime = fh.mtime
    assert gz_mtime == head_epoch  # set inside the one read of the file (policykit.deploy.site_scan)
    assert max(int(p.stat().st_mtime) for p in (a / "site").rglob("*") if p.is_file()) <= head_epoch
    assert str(a) not in (a / "site" / "manifest.json").read_text(encoding="utf-8")
    assert os.path.basename(a) not in (a / "site" / "index.html").read_text(encoding="utf-8")
