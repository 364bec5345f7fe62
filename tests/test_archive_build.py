"""History and version pages in a real build: order, numbers, banners, in-force ranges, stable URLs, escaping."""

from __future__ import annotations

import re

import pytest

from sitebuild import edit, html_of, mkdocs_build, new_site, set_front_matter, set_setting

EN = "docs/en/privacy.md"
PAYLOAD = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory):
    repo = new_site(tmp_path_factory.mktemp("archive"))
    set_setting(repo, "commit_subjects_as_notes", "true")  # the escaped commit subject is checked below
    repo.commit("Publish the policies", date="2019-06-01T10:00:00+08:00")
    edit(repo, EN, "1MiX.org is the publisher", "1MiX.org, a company, is the publisher")
    set_front_matter(repo, EN, "change_note", f"Name the company {PAYLOAD}")
    repo.commit("Name the company", date="2020-01-15T09:00:00+08:00")
    edit(repo, EN, "Effective Date", "Effective Date and Scope")
    repo.commit(f"Rename a heading {PAYLOAD}", date="2021-03-01T12:00:00+08:00",
                author=f"Mallory {PAYLOAD.replace('<', '').replace('>', '')} <m@example.org>")
    first = mkdocs_build(repo.path, "-v")
    assert first.returncode == 0, first.stdout[-3000:]
    snapshot = {p.relative_to(repo.path / "site").as_posix(): p.read_bytes()
                for p in (repo.path / "site").glob("en/privacy/versions/*/index.html")}
    edit(repo, EN, "Effective Date and Scope", "Effective Date, Scope and Contact")
    repo.commit("Add contact to a heading", date="2022-02-02T08:00:00+08:00")
    second = mkdocs_build(repo.path, "-v")
    assert second.returncode == 0, second.stdout[-3000:]
    return repo, repo.path / "site", snapshot, first.stdout, second.stdout


def test_history_lists_versions_newest_first(archive) -> None:
    _, site, *_ = archive
    page = html_of(site, "en/privacy/history/index.html")
    numbers = [int(n) for n in re.findall(r'class="policy-history__entry" id="v(\d+)"', page)]
    assert numbers == [4, 3, 2, 1]
    dates = re.findall(r'class="policy-history__date" datetime="([^"]+)"', page)
    assert dates == ["2022-02-02T08:00:00+08:00", "2021-03-01T12:00:00+08:00",
                     "2020-01-15T09:00:00+08:00", "2019-06-01T10:00:00+08:00"]
    for n in (1, 2, 3, 4):
        assert f'href="../versions/{n}/"' in page
    # the current policy links its history
    assert 'href="history/"' in html_of(site, "en/privacy/index.html")


def test_banners_and_in_force_ranges(archive) -> None:
    _, site, *_ = archive
    v1 = html_of(site, "en/privacy/versions/1/index.html")
    assert "Version 1" in v1 and "In force from June 1, 2019 to January 15, 2020" in v1
    assert "First published version" in v1 and 'id="changes"' not in v1
    v4 = html_of(site, "en/privacy/versions/4/index.html")
    assert "In force since February 2, 2022 (current version)" in v4
    assert 'rel="prev" href' not in v4 and 'href="../3/" rel="prev"' in v4 and 'rel="next"' not in v4
    v2 = html_of(site, "en/privacy/versions/2/index.html")
    assert 'href="../1/" rel="prev"' in v2 and 'href="../3/" rel="next"' in v2
    assert "<ins>" in v2 and "a company" in v2  # the change is marked in the diff view
    assert '<meta name="robots" content="noindex, follow">' in v2


def test_urls_are_stable_after_one_more_commit(archive) -> None:
    _, site, before, *_ = archive
    assert sorted(before) == [f"en/privacy/versions/{n}/index.html" for n in (1, 2, 3)]
    for path in ("en/privacy/versions/1/index.html", "en/privacy/versions/2/index.html"):
        assert (site / path).exists()
        old, new = before[path].decode(), html_of(site, path)
        # same version, same URL, same text; only the site chrome (asset hashes) may differ
        assert re.search(r'<section class="policy-view policy-view--clean".*?</section>', old, re.S).group(0) == \
            re.search(r'<section class="policy-view policy-view--clean".*?</section>', new, re.S).group(0)
    assert (site / "en/privacy/versions/4/index.html").exists()


def test_untrusted_text_is_escaped(archive) -> None:
    _, site, *_ = archive
    for path in ("en/privacy/history/index.html", "en/privacy/versions/2/index.html",
                 "en/privacy/versions/3/index.html", "en/privacy/feed.xml"):
        text = html_of(site, path)
        assert PAYLOAD not in text, path
    history = html_of(site, "en/privacy/history/index.html")
    assert "Name the company &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in history
    assert "Rename a heading &lt;script&gt;" in history


def test_a_rebuild_renders_only_new_versions(archive) -> None:
    *_, first, second = archive
    made = [int(m) for m in re.findall(r"Wrote \d+ version pages for 'en' .*?\((\d+) rendered", first)]
    again = [int(m) for m in re.findall(r"Wrote \d+ version pages for 'en' .*?\((\d+) rendered", second)]
    assert made and made[0] >= 3
    # one new version: its clean text and its diff against version 3
    assert again == [2]


def test_navigation_has_no_language_folder_section(archive) -> None:
    _, site, *_ = archive
    for page in ("privacy/index.html", "zh-Hans/privacy/index.html", "en/privacy/index.html"):
        html = html_of(site, page)
        assert not re.search(r"md-nav__link[^>]*>\s*(zh Hant|zh Hans|En)\s*<", html), page
        assert "md-nav__link" in html
