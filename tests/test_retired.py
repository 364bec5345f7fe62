"""A deleted policy keeps its archive, marked retired, and the policy centre lists it; re-adding continues numbering."""

from __future__ import annotations

import re

import pytest

from sitebuild import html_of, mkdocs_build, new_site

TERMS = "docs/en/terms.md"


@pytest.fixture(scope="module")
def retired(tmp_path_factory: pytest.TempPathFactory):
    repo = new_site(tmp_path_factory.mktemp("retired"))
    repo.write(TERMS, "---\ntitle: Terms of Service\n---\n# Terms of Service\n\nBe kind.\n")
    repo.commit("Publish", date="2019-06-01T10:00:00+08:00")
    repo.write(TERMS, "---\ntitle: Terms of Service\n---\n# Terms of Service\n\nBe kind to others.\n")
    repo.commit("Terms v2", date="2020-02-01T10:00:00+08:00")
    repo.rm(TERMS)
    repo.commit("Retire the terms", date="2021-03-01T10:00:00+08:00")
    done = mkdocs_build(repo.path)
    assert done.returncode == 0, done.stdout[-3000:]
    return repo, repo.path / "site"


def test_archive_stays_published_and_marked(retired) -> None:
    _, site = retired
    history = html_of(site, "en/terms/history/index.html")
    assert "Retired on March 1, 2021" in history
    assert re.findall(r'id="v(\d+)"', history) == ["2", "1"]
    v2 = html_of(site, "en/terms/versions/2/index.html")
    assert "In force from February 1, 2020 to March 1, 2021" in v2 and "Be kind to others." in v2
    assert "Be kind." in html_of(site, "en/terms/versions/1/index.html")
    old_address = html_of(site, "en/terms/index.html")  # old links do not break
    assert "Retired on March 1, 2021" in old_address and 'href="history/"' in old_address


def test_policy_centre_lists_retired(retired) -> None:
    _, site = retired
    centre = html_of(site, "en/index.html")
    section = centre[centre.index("Retired policies"):]
    assert "Terms of Service" in section and "Retired on March 1, 2021" in section
    assert 'href="terms/history/"' in section


def test_re_added_policy_continues_numbering(retired) -> None:
    repo, site = retired
    repo.write(TERMS, "---\ntitle: Terms of Service\n---\n# Terms of Service\n\nBe kind, again.\n")
    repo.commit("Bring the terms back", date="2022-04-01T10:00:00+08:00")
    done = mkdocs_build(repo.path)
    assert done.returncode == 0, done.stdout[-3000:]
    history = html_of(site, "en/terms/history/index.html")
    assert re.findall(r'id="v(\d+)"', history) == ["3", "2", "1"]
    assert "Retired on" not in history
    assert "Version 3" in html_of(site, "en/terms/index.html")
