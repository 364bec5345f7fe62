"""Each version's committed Markdown at ``versions/N/source.md``: the git blob's bytes, its hash in the manifest,
its cache class and Content-Type (a real build in a real git repo, served by real nginx)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nginx_server import NginxServer
from policykit.deploy.cache_rules import VERSION_SNAPSHOT
from policykit.deploy.finalize import finalize_site
from policykit.deploy.header_files import encode_url_path
from policykit.deploy.published import CURRENT_VERSION, VERSION, VERSION_SOURCE, PublishedPage
from sitebuild import edit, mkdocs_build, new_site
from synthetic_site import OWN_ASSETS, SOURCE_DATE
from test_headers_netlify import cloudflare, node_parser, parse  # noqa: F401  (node_parser is a fixture)
from test_headers_scale import _archive

EN = "docs/en/privacy.md"
ZH = "docs/zh-Hant/privacy.md"
FOLDERS = {"zh-Hant": "privacy/", "zh-Hans": "zh-Hans/privacy/", "en": "en/privacy/"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("source")
    repo = new_site(base)
    c1 = repo.commit("Publish the policies", date="2019-06-01T10:00:00+08:00")
    edit(repo, EN, "1MiX.org is the publisher", "1MiX.org, a company, is the publisher")
    repo.write(ZH, repo.read(ZH).rstrip("\n") + "\n\n\u672c\u653f\u7b56\u7531 1MiX.org \u767c\u5e03\u3002  \n")  # CJK, trailing spaces
    c2 = repo.commit("Name the company", date="2020-01-15T09:00:00+08:00")
    done = mkdocs_build(repo.path)
    assert done.returncode == 0, done.stdout[-3000:]
    return repo, repo.path / "site", (c1, c2), base


def _manifest(site: Path) -> dict:
    return json.loads((site / "manifest.json").read_text(encoding="utf-8"))


def test_source_md_is_the_committed_blob_byte_for_byte(built) -> None:
    repo, site, commits, _ = built
    for locale, folder in FOLDERS.items():
        path = f"docs/{locale}/privacy.md"
        for number, commit in enumerate(commits, start=1):
            blob = subprocess.run(["git", "cat-file", "blob", f"{commit}:{path}"], cwd=repo.path,
                                  capture_output=True, check=True).stdout
            if locale == "zh-Hans" and number == 2:  # unchanged in the second commit: one version only
                assert not (site / folder / "versions/2").exists()
                continue
            published = (site / folder / f"versions/{number}/source.md").read_bytes()
            assert published == blob, f"{folder}versions/{number}/source.md"
            assert published.startswith(b"---\n")  # front matter included: the file as committed


def test_manifest_records_page_source_and_raw_hash(built) -> None:
    repo, site, commits, _ = built
    manifest = _manifest(site)
    versions = manifest["policies"]["versions"]["privacy"]
    for locale, folder in FOLDERS.items():
        records = versions[locale]
        assert records, locale
        for rec in records:
            n = rec["number"]
            assert rec["page"] == f"{folder}versions/{n}/index.html"
            assert rec["source"] == f"{folder}versions/{n}/source.md"
            data = (site / rec["source"]).read_bytes()
            assert rec["source_sha256"] == hashlib.sha256(data).hexdigest()
            blob = subprocess.run(["git", "cat-file", "blob", rec["blob"]], cwd=repo.path,
                                  capture_output=True, check=True).stdout
            assert data == blob
            assert rec["source_sha256"] != rec["sha256"]  # the raw bytes' digest, beside the normalised text's
            listed = manifest["urls"]["/" + rec["source"]]
            assert listed["sha256"] == rec["source_sha256"] and listed["kind"] == "policy-version-source"
            assert listed["cache"] == "version"


def test_source_md_served_as_markdown_with_the_version_cache_class(built) -> None:
    repo, site, _, _ = built
    headers = (site / "_headers").read_text(encoding="utf-8")
    assert "/*.md\n  Content-Type: text/markdown; charset=utf-8\n" in headers
    include = (repo.path / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    with NginxServer(site, include) as srv:
        status, got, body = srv.get("/en/privacy/versions/2/source.md")
        assert status == 200
        assert got["content-type"] == "text/markdown; charset=utf-8"
        assert got["cache-control"] == "public, max-age=600, must-revalidate"
        assert got["x-content-type-options"] == "nosniff"
        assert body == (site / "en/privacy/versions/2/source.md").read_bytes()
        status, got, _ = srv.get("/en/privacy/versions/2/")  # the page beside it keeps its own type
        assert status == 200 and got["content-type"].startswith("text/html")


def test_rebuild_with_the_new_manifest_and_with_an_older_one(built) -> None:
    """The published-history check reads manifests with and without page/source/source_sha256."""
    repo, site, _, base = built
    new = base / "with-sources.json"
    new.write_bytes((site / "manifest.json").read_bytes())
    old = _manifest(site)
    for langs in old["policies"]["versions"].values():
        for records in langs.values():
            for rec in records:
                for key in ("page", "source", "source_sha256"):
                    rec.pop(key)
    older = base / "without-sources.json"
    older.write_text(json.dumps(old), encoding="utf-8")
    for previous in (new, older):
        done = mkdocs_build(repo.path, "--strict", env={"POLICY_SITE_PREVIOUS_MANIFEST": str(previous)})
        assert done.returncode == 0, done.stdout[-3000:]
        assert "Published history" not in done.stdout  # nothing rewritten, no notice
        assert _manifest(site)["policies"] == json.loads(new.read_text(encoding="utf-8"))["policies"]


def test_verify_command_accepts_the_site(built) -> None:
    """``policykit verify`` still checks every file's hash, source.md included."""
    repo, site, _, _ = built
    done = subprocess.run([sys.executable, "-m", "policykit.cli", "verify", str(site)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------ _headers at scale (Netlify's own parser)


@pytest.mark.parametrize("policies", [2, 8, 150])  # exact rules; directories collapse; the platform default
def test_every_source_md_is_typed_under_netlify_and_cloudflare_rules(node_parser: Path, tmp_path: Path,
                                                                     policies: int) -> None:  # noqa: F811
    site = tmp_path / "site"
    reg = _archive(site, policies=policies, versions=3)
    for record in list(reg):
        if record.kind in (VERSION, CURRENT_VERSION):
            source = record.path.replace("index.html", "source.md")
            (site / source).write_bytes(b"---\ntitle: T\n---\n# T\n")
            reg.add(PublishedPage(source, VERSION_SOURCE, record.locale, record.policy, record.last_modified))
    result = finalize_site(site, reg, own_assets=OWN_ASSETS, source_date=SOURCE_DATE, env={})
    assert result.headers_rule_count <= 100
    samples = {encode_url_path(u): fr for fr in result.rules.files for u in fr.urls}
    parsed = parse(node_parser, result.headers_file, list(samples), tmp_path)
    assert parsed["errors"] == []
    sources = 0
    for url in samples:
        got = cloudflare(parsed, url)
        if url.endswith("/source.md"):
            sources += 1
            assert got["content-type"] == "text/markdown; charset=utf-8", url
            # the version class; in a large archive the platform's own revalidate default (no rule)
            assert got.get("cache-control") == (VERSION_SNAPSHOT.cache_control if policies < 10 else None), url
        elif url.endswith("/timemap.link"):
            assert got["content-type"] == "application/link-format", url
        else:
            assert "content-type" not in got, url
    assert sources == policies * 2 * 3
