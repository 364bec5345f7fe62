"""Manifest and purge list on the real site: one policy change purges exactly the URLs that changed."""

from __future__ import annotations

import json
import shutil

import pytest

from sitebuild import edit, mkdocs_build, new_site

EN = "docs/en/privacy.md"


@pytest.fixture(scope="module")
def purge(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("purge")
    repo = new_site(base)
    repo.commit("Publish the policies", date="2019-06-01T10:00:00+08:00")
    first = mkdocs_build(repo.path, "--strict")
    assert first.returncode == 0, first.stdout[-3000:]
    previous = base / "previous-manifest.json"
    shutil.copy(repo.path / "site" / "manifest.json", previous)
    assert not (repo.path / "site-deploy" / "purge" / "urls.txt").read_text(encoding="utf-8")  # no previous: full
    # the English translation changes; the source does not
    edit(repo, EN, "1MiX.org is the publisher", "1MiX.org is the sole publisher")
    repo.commit("Clarify the publisher", date="2020-01-15T09:00:00+08:00")
    second = mkdocs_build(repo.path, "--strict", env={"POLICY_SITE_PREVIOUS_MANIFEST": str(previous)})
    assert second.returncode == 0, second.stdout[-3000:]
    deploy = repo.path / "site-deploy" / "purge"
    urls = (deploy / "urls.txt").read_text(encoding="utf-8").split()
    tags = (deploy / "tags.txt").read_text(encoding="utf-8").split()
    summary = json.loads((deploy / "summary.json").read_text(encoding="utf-8"))
    return urls, tags, summary


def _both(*dirs: str) -> set[str]:
    return {form for d in dirs for form in (f"/{d}", f"/{d}index.html")}


def test_purge_list_is_exactly_what_changed(purge) -> None:
    urls, _, summary = purge
    expected = _both("en/privacy/", "en/privacy/history/", "en/privacy/versions/1/", "en/privacy/versions/2/", "en/") | {
        "/en/privacy/feed.xml",  # the policy's feed
        "/en/feed.xml",  # the language's feed
        "/sitemap.xml",  # <lastmod> of the page
        "/sitemap.xml.gz",
        "/en/sitemap.xml",  # the same <lastmod> in the sitemaps beside the feeds (tests/test_requests_browser.py)
        "/en/privacy/sitemap.xml",
        "/search/search_index.json",  # the text changed
        "/en/privacy/versions/2/source.md",  # the new version's committed text
        "/en/privacy/versions.json",  # the versions API lists it
        "/api/policies.json",  # the policy's latest version
        "/en/privacy/timemap.link",  # the TimeMap lists the new memento
    }
    assert set(urls) == expected
    assert summary["full_purge"] is False and summary["removed"] == []


def test_purge_tags_name_the_policy_and_language(purge) -> None:
    _, tags, _ = purge
    assert tags == ["policy-privacy", "policy-privacy-en"]
