"""manifest.json and the purge plan across two synthetic builds."""

from __future__ import annotations

import http.server
import json
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from policykit.deploy.finalize import finalize_site
from policykit.deploy.manifest import ManifestError, load_manifest
from synthetic_site import OWN_ASSETS, SOURCE_DATE, build_site


def build(tmp_path: Path, name: str, previous=None, env=None, **kwargs):
    site = tmp_path / name
    reg = build_site(site, **kwargs)
    return site, finalize_site(site, reg, own_assets=OWN_ASSETS, source_date=SOURCE_DATE,
                               previous_manifest=previous, env=env or {})


def test_manifest_is_deterministic_and_complete(tmp_path: Path) -> None:
    site1, r1 = build(tmp_path, "a")
    site2, r2 = build(tmp_path, "b")
    assert r1.manifest_file.read_bytes() == r2.manifest_file.read_bytes()
    assert r1.headers_file.read_bytes() == r2.headers_file.read_bytes()
    assert r1.nginx_include.read_bytes() == r2.nginx_include.read_bytes()
    data = json.loads(r1.manifest_file.read_text())
    urls = data["urls"]
    files = sorted(p.relative_to(site1).as_posix() for p in site1.rglob("*") if p.is_file())
    assert sorted(e["path"] for e in urls.values()) == [f for f in files if f not in ("_headers", "manifest.json")]
    policy = urls["/en/privacy/"]
    assert policy["aliases"] == ["/en/privacy/index.html"]
    assert policy["last_modified"] == "2024-05-01T08:30:15Z"
    assert policy["cache"] == "revalidate" and policy["tags"] == ["policy-privacy", "policy-privacy-en"]
    assert len(policy["sha256"]) == 64 and policy["size"] == (site1 / "en/privacy/index.html").stat().st_size
    assert urls["/assets/stylesheets/main.6f8fc17f.min.css"]["cache"] == "immutable"
    assert "/%E9%9A%B1%E7%A7%81%20%E6%94%BF%E7%AD%96/" in urls
    assert r1.purge.full_purge and "no previous manifest" in r1.purge.message
    # deploy artefacts are not published
    assert r1.purge_files["urls"].parent.parent == tmp_path / "a-deploy"
    assert not (site1 / "purge").exists() and r1.nginx_include.parent == tmp_path / "a-deploy"


def test_purge_lists_exactly_the_changed_policy(tmp_path: Path) -> None:
    _, r1 = build(tmp_path, "one")
    _, r2 = build(tmp_path, "two", previous=str(r1.manifest_file), versions=3,
                  en_privacy_text="We protect your data better.",
                  en_instant=datetime(2024, 7, 1, tzinfo=timezone.utc), extra_pages=())
    plan = r2.purge
    assert not plan.full_purge
    # en privacy page and feed changed; version 3 is new in every language; the zh-* history pages list it too
    want = {"/en/privacy/", "/en/privacy/index.html", "/en/privacy/feed.xml", "/docs/old.html"}
    for p in ("", "zh-Hans/", "en/"):
        want |= {f"/{p}privacy/versions/3/", f"/{p}privacy/versions/3/index.html",
                 f"/{p}privacy/history/", f"/{p}privacy/history/index.html",
                 f"/{p}privacy/timemap.link"}  # the Memento TimeMap lists version 3
    assert set(plan.urls) == want
    assert plan.removed == ("docs/old.html",)
    assert plan.tags == ("policy-privacy", "policy-privacy-en", "policy-privacy-zh-Hans", "policy-privacy-zh-Hant")
    assert r2.purge_files["urls"].read_text().splitlines() == sorted(want)
    assert r2.purge_files["tags"].read_text().split() == list(plan.tags)
    summary = json.loads(r2.purge_files["summary"].read_text())
    assert summary["full_purge"] is False and "docs/old.html" in summary["removed"]


def test_only_one_language_changed(tmp_path: Path) -> None:
    _, r1 = build(tmp_path, "one")
    _, r2 = build(tmp_path, "two", previous=str(r1.manifest_file), en_privacy_text="New English text.")
    assert set(r2.purge.urls) == {"/en/privacy/", "/en/privacy/index.html", "/en/privacy/feed.xml"}
    assert r2.purge.tags == ("policy-privacy", "policy-privacy-en")
    _, r3 = build(tmp_path, "three", previous=str(r2.manifest_file), en_privacy_text="New English text.")
    assert r3.purge.urls == () and not r3.purge.full_purge and "nothing changed" in r3.purge.message


def test_theme_change_recommends_full_purge(tmp_path: Path) -> None:
    _, r1 = build(tmp_path, "one")
    _, r2 = build(tmp_path, "two", previous=str(r1.manifest_file), css_hash="0badc0de")
    assert r2.purge.full_purge and "theme assets changed" in r2.purge.message
    assert "/assets/stylesheets/main.6f8fc17f.min.css" in r2.purge.urls


def test_previous_manifest_from_env_and_http(tmp_path: Path) -> None:
    _, r1 = build(tmp_path, "one")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(r1.manifest_file.parent), **k)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/manifest.json"
        assert load_manifest(url)["urls"].keys() == json.loads(r1.manifest_file.read_text())["urls"].keys()
        _, r2 = build(tmp_path, "two", env={"POLICY_SITE_PREVIOUS_MANIFEST": url}, en_privacy_text="Other text!")
        assert set(r2.purge.urls) == {"/en/privacy/", "/en/privacy/index.html", "/en/privacy/feed.xml"}
        with pytest.raises(ManifestError, match="missing.json"):
            load_manifest(url.replace("manifest.json", "missing.json"))
    finally:
        httpd.shutdown()
        httpd.server_close()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}')
    with pytest.raises(ManifestError, match="bad.json"):
        load_manifest(bad)


def test_absolute_purge_urls(tmp_path: Path) -> None:
    _, r1 = build(tmp_path, "one")
    site = tmp_path / "two"
    reg = build_site(site, en_privacy_text="Changed.")
    r2 = finalize_site(site, reg, own_assets=OWN_ASSETS, source_date=SOURCE_DATE, env={},
                       previous_manifest=r1.manifest_file, base_url="https://policies.example/")
    assert "https://policies.example/en/privacy/index.html" in r2.purge.urls


def test_the_manifest_written_in_pieces_is_manifest_json_byte_for_byte(tmp_path) -> None:
    """write_manifest streams the text (at 100,000 files it was the deploy step's largest object)."""
    from policykit.deploy.manifest import manifest_json, write_manifest

    urls = {f"/政策/{i:06d}/ü/": {"path": f"政策/{i:06d}/index.html", "sha256": f"{i:064x}", "size": i, "mtime": 1700000000 + i,
                                  "tags": ["policy", f"v{i % 7}"], "note": 'quote " and \\ and \u2028'} for i in range(12000)}
    manifest = {"version": 3, "urls": urls, "mtime": 1, "policies": {"b": [], "a": {"x": None, "y": True}}}
    target = tmp_path / "manifest.json"
    write_manifest(manifest, target)
    want = manifest_json(manifest).encode("utf-8")
    assert len(want) > 2 << 20  # more than one piece
    assert target.read_bytes() == want


@pytest.mark.parametrize("manifest", [
    {"a": 1.5, "b": [1, [2, []], {}], "c": {"d": None, "e": False, "f": -3, "g": 10 ** 30, "h": True},
     "\x00key\u2028": "\x1f\"\\/é\U0001F600", "": [{"z": 1, "a": [{}]}]},
    {"tuple": (1, "two"), "nan": float("nan"), "inf": -float("inf")},
    {"not a string key": {1: "one", 2: "two"}},  # json's encoder writes this one (keys spelled as strings)
])
def test_write_manifest_spells_every_json_value_as_manifest_json_does(tmp_path, manifest) -> None:
    from policykit.deploy.manifest import manifest_json, write_manifest

    target = tmp_path / "manifest.json"
    write_manifest(manifest, target)
    assert target.read_text(encoding="utf-8") == manifest_json(manifest)
    # The versions API spells its documents with the same module (policykit.json_text).
    from policykit import json_text

    assert json_text.dumps(manifest) == json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False)
