"""The versions API (api/policies.json, B versions.json): valid against its JSON Schemas, every URL a file of the
built site, the values the manifest and git state, cache class and type, reproducible (real builds, real nginx)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest

from foreign_site import write_mkdocs_yml
from gitfixture import PROJECT, GitRepo
from nginx_server import NginxServer
from sitebuild import edit, mkdocs_build, new_site, set_front_matter, set_setting

SCHEMAS = PROJECT / "hooks" / "policykit" / "schemas"
EN = "docs/en/privacy.md"
TERMS = "docs/en/terms.md"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _api_files(site: Path) -> list[Path]:
    return sorted([site / "api" / "policies.json", *site.rglob("versions.json")])


def _validate(site: Path) -> dict[str, dict]:
    """Every API document of *site*, each checked against its schema: site path -> document."""
    out = {}
    for name in ("versions.schema.json", "policies.schema.json"):
        schema = _load(SCHEMAS / name)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert (site / "api" / "schema" / name).read_bytes() == (SCHEMAS / name).read_bytes()  # published as is
    for path in _api_files(site):
        doc = _load(path)
        name = "policies.schema.json" if path.name == "policies.json" else "versions.schema.json"
        jsonschema.Draft202012Validator(_load(SCHEMAS / name),
                                        format_checker=jsonschema.FormatChecker()).validate(doc)
        out[path.relative_to(site).as_posix()] = doc
    return out


def _urls(value: object) -> list[str]:
    """Every URL of a document (the values under "urls" and "$schema")."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "urls" and isinstance(item, dict):
                found += [u for u in item.values() if u is not None]
            elif key == "$schema":
                found.append(item)
            else:
                found += _urls(item)
    elif isinstance(value, list):
        for item in value:
            found += _urls(item)
    return found


def _assert_urls_resolve(site: Path, docs: dict[str, dict], base_path: str = "/") -> int:
    """Each URL names a file of the site (a folder its index.html) and a fragment an id in it."""
    count = 0
    for where, doc in docs.items():
        for url in _urls(doc):
            parts = urlsplit(url)
            assert parts.path.startswith(base_path) and not parts.netloc, (where, url)
            rel = unquote(parts.path[len(base_path):])
            file = site / (rel + "index.html" if rel.endswith("/") or rel == "" else rel)
            assert file.is_file(), (where, url)
            if parts.fragment:
                assert f'id="{parts.fragment}"' in file.read_text(encoding="utf-8"), (where, url)
            count += 1
    return count


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ------------------------------------------------------------------ this site: languages, effective, retired


@pytest.fixture(scope="module")
def site_api(tmp_path_factory: pytest.TempPathFactory):
    repo = new_site(tmp_path_factory.mktemp("api"))
    repo.write(TERMS, "---\ntitle: Terms of Service\n---\n# Terms of Service\n\nBe kind.\n")
    repo.commit("Publish the policies", date="2019-06-01T10:00:00+08:00")
    edit(repo, EN, "1MiX.org is the publisher", "1MiX.org, a company, is the publisher")
    set_front_matter(repo, EN, "change_note", "Name the company")
    set_front_matter(repo, EN, "effective", "2020-02-01")  # published January 15, in force from February 1
    repo.write(TERMS, "---\ntitle: Terms of Service\n---\n# Terms of Service\n\nBe kind to others.\n")
    repo.commit("Name the company", date="2020-01-15T09:00:00+08:00")
    repo.rm(TERMS)
    repo.commit("Retire the terms", date="2021-03-01T10:00:00+08:00")
    edit(repo, "docs/zh-Hant/privacy.md", "1MiX.org", "1MiX.org\u3002")
    repo.commit("A full stop", date="2021-04-01T10:00:00+08:00")
    done = mkdocs_build(repo.path, "--strict")
    assert done.returncode == 0, done.stdout[-3000:]
    site = repo.path / "site"
    first = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*.json")}
    return repo, site, first


def test_every_document_is_valid_and_every_url_resolves(site_api) -> None:
    _, site, _ = site_api
    docs = _validate(site)
    assert set(docs) == {"api/policies.json", "privacy/versions.json", "zh-Hans/privacy/versions.json",
                         "en/privacy/versions.json", "en/terms/versions.json"}
    assert _assert_urls_resolve(site, docs) > 30


def test_index_lists_every_policy_and_language(site_api) -> None:
    _, site, _ = site_api
    index = _load(site / "api" / "policies.json")["policies"]
    got = {(p["policy"], p["language"]): p for p in index}
    assert sorted(got) == [("privacy", "en"), ("privacy", "zh-Hans"), ("privacy", "zh-Hant"), ("terms", "en")]
    assert got[("privacy", "en")]["latest_version"] == 2 and got[("privacy", "zh-Hant")]["latest_version"] == 2
    assert got[("privacy", "zh-Hans")]["latest_version"] == 1
    assert got[("privacy", "zh-Hant")]["urls"] == {
        "policy": "/privacy/", "history": "/privacy/history/", "versions": "/privacy/versions.json",
        "latest_version": "/privacy/versions/2/"}
    for p in index:  # the index says what each versions.json says
        doc = _load(site / unquote(p["urls"]["versions"]).lstrip("/"))
        assert {k: doc[k] for k in p} == p


def test_versions_state_what_git_and_the_manifest_record(site_api) -> None:
    repo, site, _ = site_api
    manifest = _load(site / "manifest.json")["policies"]["versions"]
    for (policy, locale), folder in {("privacy", "en"): "en/privacy/", ("privacy", "zh-Hant"): "privacy/",
                                     ("terms", "en"): "en/terms/"}.items():
        doc = _load(site / folder / "versions.json")
        assert (doc["policy"], doc["language"]) == (policy, locale)
        records = manifest[policy][locale]
        assert [v["number"] for v in doc["versions"]] == [r["number"] for r in records]
        for v, rec in zip(doc["versions"], records, strict=True):
            assert (v["commit"], v["published"], v["sha256"], v["source_sha256"]) == \
                (rec["commit"], rec["published"], rec["sha256"], rec["source_sha256"])
            source = (site / unquote(v["urls"]["source"]).lstrip("/")).read_bytes()
            assert hashlib.sha256(source).hexdigest() == v["source_sha256"]
            assert source == subprocess.run(["git", "cat-file", "blob", rec["blob"]], cwd=repo.path,
                                            capture_output=True, check=True).stdout
        assert doc["versions"][0]["urls"]["changes"] is None
        assert all(v["urls"]["changes"] == v["urls"]["page"] + "#changes" for v in doc["versions"][1:])


def test_effective_date_differs_from_publication(site_api) -> None:
    _, site, _ = site_api
    v1, v2 = _load(site / "en/privacy/versions.json")["versions"]
    assert v2["published"] == "2020-01-15T01:00:00Z" and v2["effective"] == "2020-02-01"
    assert v2["in_force"] == {"from": "2020-01-31T16:00:00Z", "to": None}  # 00:00 in Asia/Taipei
    assert v1["effective"] is None and v1["in_force"] == {"from": "2019-06-01T02:00:00Z", "to": "2020-01-31T16:00:00Z"}
    assert v2["note"] == "Name the company" and v1["note"] == "First published"  # what readers see
    assert not v1["never_in_force"] and not v2["never_in_force"]
    zh = _load(site / "privacy/versions.json")["versions"]
    assert zh[0]["note"] == "\u9996\u6b21\u767c\u5e03"  # in the page's language (zh-Hant "首次發布")


def test_retired_policy(site_api) -> None:
    _, site, _ = site_api
    doc = _load(site / "en/terms/versions.json")
    assert doc["retired"] is True and doc["retired_at"] == "2021-03-01T02:00:00Z"
    assert doc["versions"][-1]["in_force"]["to"] == doc["retired_at"]
    live = _load(site / "en/privacy/versions.json")
    assert live["retired"] is False and live["retired_at"] is None


def test_registered_listed_and_served_as_json_that_revalidates(site_api) -> None:
    repo, site, _ = site_api
    urls = _load(site / "manifest.json")["urls"]
    for path in ("/api/policies.json", "/en/privacy/versions.json", "/api/schema/versions.schema.json"):
        assert urls[path]["kind"] == "api" and urls[path]["cache"] == "revalidate", path
    include = (repo.path / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    with NginxServer(site, include) as srv:
        for path in ("/api/policies.json", "/en/privacy/versions.json"):
            status, headers, body = srv.get(path)
            assert status == 200 and headers["content-type"] == "application/json"
            assert headers["cache-control"] == "public, max-age=0, must-revalidate"
            assert body == (site / path.lstrip("/")).read_bytes()
        assert "policy-privacy-en" in srv.get("/en/privacy/versions.json")[1]["cache-tag"]  # purged with its policy
        served = 0
        for doc in _validate(site).values():  # every URL of every document, on the real server
            for url in _urls(doc):
                status, _, _ = srv.get(urlsplit(url).path)
                assert status == 200, url
                served += 1
        assert served > 30


def test_two_builds_are_byte_identical_and_keys_sorted(site_api) -> None:
    repo, site, first = site_api
    done = mkdocs_build(repo.path, "--strict")
    assert done.returncode == 0, done.stdout[-3000:]
    again = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*.json")}
    api = {k for k in first if k.startswith("api/") or k.endswith("versions.json")}
    assert api and {k: first[k] for k in api} == {k: again[k] for k in api}
    for key in api - {"api/schema/versions.schema.json", "api/schema/policies.schema.json"}:  # schemas: as written
        text = first[key].decode("utf-8")
        assert text == json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True, indent=1) + "\n"
        assert not re.search(r"20(2[2-9]|[3-9]\d)-", text)  # no build time (the newest commit is of 2021)


def test_without_the_ledger_the_same_documents(site_api) -> None:
    """``headers: false`` (no ledger, no manifest): the text hashes come from the published bytes, the same values."""
    repo, site, first = site_api
    config = repo.read("mkdocs.yml")
    try:
        set_setting(repo, "headers", "false")
        done = mkdocs_build(repo.path, "--strict", "-d", "site-noheaders")
        assert done.returncode == 0, done.stdout[-3000:]
    finally:
        repo.write("mkdocs.yml", config)
    other = repo.path / "site-noheaders"
    assert not (other / "manifest.json").exists()
    api = [k for k in first if k.startswith("api/") or k.endswith("versions.json")]
    assert api and all((other / k).read_bytes() == first[k] for k in api)


# ------------------------------------------------------------------ a foreign repository: folders, spaces


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory):
    repo = GitRepo.init(tmp_path_factory.mktemp("foreign-api") / "policies")
    repo.write("docs/README.md", "# Our services' policies\n")
    repo.write("docs/O'Reilly/Privacy Policy.md", "# Privacy Policy\n\nWe keep little about you.\n")
    repo.write("docs/50% off/Terms & Conditions.md", "# Terms\n\nText.\n")
    repo.commit("Publish", date="2023-06-27T12:00:00+00:00")
    repo.write("docs/O'Reilly/Privacy Policy.md", "# Privacy Policy\n\nWe keep almost nothing about you.\n")
    repo.write("docs/Acme Cloud/Terms of Service.md", "---\neffective: 2025-10-29\n---\n# Terms of Service\n\nUse it.\n")
    repo.commit("Keep less; Acme terms", date="2025-10-01T09:00:00+00:00")
    write_mkdocs_yml(repo, site_name="Services")
    done = mkdocs_build(repo.path, "--strict")
    assert done.returncode == 0, done.stdout[-3000:]
    return repo, repo.path / "site"


def test_foreign_repository(foreign) -> None:
    _, site = foreign
    docs = _validate(site)
    assert set(docs) == {"api/policies.json", "O'Reilly/Privacy Policy/versions.json",
                         "50% off/Terms & Conditions/versions.json", "Acme Cloud/Terms of Service/versions.json"}
    assert _assert_urls_resolve(site, docs) > 15
    index = {p["policy"]: p for p in docs["api/policies.json"]["policies"]}
    assert set(index) == {"O'Reilly/Privacy Policy", "50% off/Terms & Conditions", "Acme Cloud/Terms of Service"}
    assert index["O'Reilly/Privacy Policy"]["urls"]["versions"] == "/O%27Reilly/Privacy%20Policy/versions.json"
    assert index["50% off/Terms & Conditions"]["urls"]["policy"] == "/50%25%20off/Terms%20%26%20Conditions/"
    acme = docs["Acme Cloud/Terms of Service/versions.json"]["versions"]
    assert acme[0]["effective"] == "2025-10-29" and acme[0]["in_force"]["from"] == "2025-10-29T00:00:00Z"
    assert acme[0]["published"] == "2025-10-01T09:00:00Z"
    assert [v["number"] for v in docs["O'Reilly/Privacy Policy/versions.json"]["versions"]] == [1, 2]
