"""Atom feeds: real builds of a temp git repo (2 builds, shared by every test here)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import pytest

from sitebuild import set_setting, SITE_URL, edit, html_of, mkdocs_build, new_site, set_front_matter

ATOM = "{http://www.w3.org/2005/Atom}"
D1 = "2020-01-01T10:00:00+08:00"
D2 = "2021-02-03T04:05:06+00:00"  # 12:05:06 in Taipei
D3 = "2022-03-04T05:06:07+00:00"
D4 = "2023-01-01T00:00:00+00:00"
NOTE = 'Clarify <script>alert(1)</script> & "quotes"'
SUBJECT = "en: <b>bold</b> & co"
FEEDS = ("feed.xml", "zh-Hans/feed.xml", "en/feed.xml", "privacy/feed.xml", "zh-Hans/privacy/feed.xml", "en/privacy/feed.xml")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    repo = new_site(tmp_path_factory.mktemp("feeds"))
    set_setting(repo, "commit_subjects_as_notes", "true")  # SUBJECT reaches the feeds, escaped
    repo.write("docs/zh-Hant/terms.md", "---\ntitle: 服務條款\n---\n# 服務條款\n\n使用本站即表示同意。\n")
    repo.commit("site", date=D1)
    set_front_matter(repo, "docs/zh-Hant/privacy.md", "change_note", json.dumps(NOTE))
    edit(repo, "docs/zh-Hant/privacy.md", "## 總則", "## 總則與定義")
    repo.commit("zh-Hant: definitions", date=D2)
    edit(repo, "docs/en/privacy.md", "## General Provisions", "## General provisions")
    repo.commit(SUBJECT, date=D3)
    result = mkdocs_build(repo.path)
    assert result.returncode == 0, result.stdout
    first = repo.path.parent / "site-1"
    shutil.copytree(repo.path / "site", first)
    edit(repo, "docs/zh-Hant/privacy.md", "## 修訂策略", "## 修訂政策")
    repo.commit("zh-Hant: revision", date=D4)
    result = mkdocs_build(repo.path)
    assert result.returncode == 0, result.stdout
    return {"first": first, "second": repo.path / "site"}


def parse(site: Path, path: str) -> feedparser.FeedParserDict:
    return feedparser.parse((site / path).read_bytes())


def raw(site: Path, path: str) -> ET.Element:
    return ET.parse(site / path).getroot()


def history_rows(site: Path, page: str) -> list[tuple[str, str]]:
    """(version number, ISO instant) of a history page, newest first."""
    html = html_of(site, page)
    return re.findall(r'<li class="policy-history__entry" id="v(\d+)">.*?<time class="policy-history__date" datetime="([^"]+)"', html, re.DOTALL)


@pytest.mark.parametrize("path", FEEDS)
def test_every_feed_parses(builds, path):
    for site in builds.values():
        d = parse(site, path)
        assert d.bozo == 0, (path, d.get("bozo_exception"))
        assert d.version == "atom10"
        assert d.entries


def test_policy_feed_matches_history(builds):
    site = builds["first"]
    d = parse(site, "privacy/feed.xml")
    assert [e.title for e in d.entries] == ["隱私政策：第 2 版", "隱私政策：第 1 版"]
    assert [e.link for e in d.entries] == [SITE_URL + "privacy/versions/2/", SITE_URL + "privacy/versions/1/"]
    updated = [u.text for u in raw(site, "privacy/feed.xml").iter(f"{ATOM}updated")]
    assert updated == ["2021-02-03T12:05:06+08:00", "2021-02-03T12:05:06+08:00", "2020-01-01T10:00:00+08:00"]
    rows = history_rows(site, "privacy/history/index.html")
    assert rows == [("2", updated[1]), ("1", updated[2])]
    assert d.feed.links[0].href == SITE_URL + "privacy/feed.xml"
    assert d.feed.language == "zh-Hant"


def test_entry_content_has_escaped_note_and_summary(builds):
    site = builds["first"]
    content = [e.find(f"{ATOM}content") for e in raw(site, "privacy/feed.xml").iter(f"{ATOM}entry")]
    assert content[0].get("type") == "html"
    html = content[0].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in html
    assert "<script" not in html
    assert "修改 1 處" in html  # the archive's change summary
    assert "<p>" in html and "修改說明" in html
    assert "修改 " not in content[1].text  # a first version has no summary
    en = [e.find(f"{ATOM}content").text for e in raw(site, "en/privacy/feed.xml").iter(f"{ATOM}entry")]
    assert "en: &lt;b&gt;bold&lt;/b&gt; &amp; co" in en[0]
    assert "1 changed" in en[0]


def test_one_updated_per_entry_and_feed_updated_is_newest(builds):
    for site in builds.values():
        for path in FEEDS:
            root = raw(site, path)
            entries = root.findall(f"{ATOM}entry")
            stamps = []
            for entry in entries:
                assert len(entry.findall(f"{ATOM}updated")) == 1
                assert len(entry.findall(f"{ATOM}id")) == 1
                stamps.append(entry.findtext(f"{ATOM}updated"))
            assert len(root.findall(f"{ATOM}updated")) == 1
            d = parse(site, path)
            instants = [e.updated_parsed for e in d.entries]
            assert instants == sorted(instants, reverse=True), path
            assert root.findtext(f"{ATOM}updated") == stamps[0]


def test_language_feed_merges_policies_newest_first(builds):
    d = parse(builds["first"], "en/feed.xml")
    assert [(e.title, e.link) for e in d.entries] == [
        ("Privacy Policy: version 2", SITE_URL + "en/privacy/versions/2/"),
        ("Privacy Policy: version 1", SITE_URL + "en/privacy/versions/1/"),
        ("服務條款: version 1", SITE_URL + "en/terms/versions/1/"),  # no translation: the source, shown in English pages
    ]
    ids = [e.id for e in d.entries]
    assert len(set(ids)) == 3
    assert all(i.startswith("tag:policy.1mix.org,") for i in ids)
    assert ids[2].endswith("/terms/zh-Hant/v1@en")
    zh = parse(builds["first"], "feed.xml")
    assert [e.link for e in zh.entries] == [SITE_URL + "privacy/versions/2/", SITE_URL + "privacy/versions/1/", SITE_URL + "terms/versions/1/"]
    assert zh.feed.title == "1MiX 政策中心：政策修改"


def test_ids_stable_after_another_commit(builds):
    for path in FEEDS:
        before = {e.id: (e.link, e.updated) for e in parse(builds["first"], path).entries}
        after = {e.id: (e.link, e.updated) for e in parse(builds["second"], path).entries}
        assert before.items() <= after.items(), path
    new = parse(builds["second"], "privacy/feed.xml").entries
    assert len(new) == 3 and new[0].link == SITE_URL + "privacy/versions/3/"
    assert new[0].updated == "2023-01-01T08:00:00+08:00"
    # A feed whose policy did not change is byte for byte the same (no build time anywhere).
    for path in ("en/privacy/feed.xml", "zh-Hans/privacy/feed.xml"):
        assert (builds["first"] / path).read_bytes() == (builds["second"] / path).read_bytes()


def test_pages_link_their_feeds(builds):
    """Page-relative links (a copy served at another origin stays there), resolving to the feeds."""
    site = builds["first"]

    def feed_links(page: str) -> list[tuple[str, str]]:
        found = re.findall(r'<link rel="alternate" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">', html_of(site, page))
        assert all("://" not in href and not href.startswith("/") for _, href in found), found
        url = SITE_URL + page.removesuffix("index.html")
        return [(title, urljoin(url, href)) for title, href in found]

    assert feed_links("en/privacy/index.html") == [
        ("1MiX Policy Centre: policy changes", SITE_URL + "en/feed.xml"),
        ("Privacy Policy: changes", SITE_URL + "en/privacy/feed.xml"),
    ]
    assert feed_links("zh-Hans/privacy/versions/1/index.html")[1][1] == SITE_URL + "zh-Hans/privacy/feed.xml"
    assert feed_links("zh-Hans/privacy/versions/1/index.html")[0][1] == SITE_URL + "zh-Hans/feed.xml"
    assert feed_links("privacy/history/index.html")[1][1] == SITE_URL + "privacy/feed.xml"
    assert feed_links("index.html") == [("1MiX 政策中心：政策修改", SITE_URL + "feed.xml")]
    centre = html_of(site, "en/index.html")
    assert '<a class="policy-list__feed" href="privacy/feed.xml" type="application/atom+xml">Atom feed</a>' in centre


def test_feeds_registered_for_deploy(builds):
    urls = json.loads((builds["first"] / "manifest.json").read_text(encoding="utf-8"))["urls"]
    assert urls["/en/privacy/feed.xml"]["kind"] == "feed"
    assert urls["/en/privacy/feed.xml"]["policy"] == "privacy"
    assert urls["/en/privacy/feed.xml"]["locale"] == "en"
    assert urls["/feed.xml"]["kind"] == "feed" and urls["/feed.xml"]["policy"] is None
    headers = (builds["first"] / "_headers").read_text(encoding="utf-8")
    assert re.search(r"^/zh-Hans/privacy/feed.xml\n(  .*\n)*  Cache-Tag: policy-privacy, policy-privacy-zh-Hans$", headers, re.M)


def test_merge_keeps_the_newest_entries_in_document_order() -> None:
    """The language feed's merge is engine-neutral (pages/feeds.py): the newest *limit* entries of every
    policy's feed, in the order the Atom document shows them (newest first; ties by policy, language, number)."""
    from datetime import datetime, timedelta, timezone

    from policykit.pages import feeds

    day = datetime(2020, 1, 1, tzinfo=timezone.utc)

    def feed(policy: str, days: list[int]) -> feeds.Feed:
        entries = [feeds.FeedEntry(policy, "en", n, f"{policy} {n}", day + timedelta(days=d), "https://x.org/", "")
                   for n, d in enumerate(days, 1)]
        return feeds.Feed(f"en/{policy}/feed.xml", "https://x.org/", policy, "en", "https://x.org/", "x", policy, entries)

    every = [feed("terms", [0, 5, 9]), feed("privacy", [1, 5, 7, 8]), feed("cookies", [2])]
    merged = feeds.merge(every, limit=4)
    assert [(e.policy_id, e.number) for e in merged] == [("terms", 3), ("privacy", 4), ("privacy", 3), ("privacy", 2)]
    whole = feeds.Feed("en/feed.xml", "https://x.org/", "all", "en", "https://x.org/", "x",
                       entries=[e for f in every for e in f.entries])
    assert merged == whole.sorted_entries()[:4]
    assert feeds.merge(iter(every)) == whole.sorted_entries()  # under the default limit: every entry


def _elementtree_feed_xml(feed, *, site_url: str, tz: str, change_note_label: str, updated_if_empty) -> bytes:
    """The feed as ElementTree writes it: what pages/feeds.py's text writer must match byte for byte."""
    from policykit.dates import iso_instant
    from policykit.pages.feeds import ATOM as NS, MEDIA_TYPE, clean, entry_html, entry_id

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items()})
        if text is not None:
            el.text = clean(text)
        return el

    root = ET.Element("feed", {"xmlns": NS, "{http://www.w3.org/XML/1998/namespace}lang": clean(feed.locale)})
    sub(root, "id", feed.url)
    sub(root, "title", feed.title, type="text")
    sub(root, "updated", iso_instant(feed.updated or updated_if_empty, tz))
    sub(root, "link", rel="self", type=MEDIA_TYPE, href=feed.url)
    sub(root, "link", rel="alternate", type="text/html", href=feed.alternate)
    sub(sub(root, "author"), "name", feed.author)
    for e in feed.sorted_entries():
        entry = sub(root, "entry")
        sub(entry, "id", entry_id(site_url, e.policy_id, e.content_locale, e.number, e.instant, feed.locale))
        sub(entry, "title", e.title, type="text")
        sub(entry, "updated", iso_instant(e.updated or e.instant, tz))
        sub(entry, "link", rel="alternate", type="text/html", href=e.link)
        sub(entry, "content", entry_html(e, change_note_label), type="html")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# Strings from editors and git as they reach a feed: markup, quotes, whitespace of every kind, characters XML
# forbids, CJK and non-BMP text, and the empty string (an element without text is written as <tag />).
_NASTY = ["", " ", "  \n ", "a & b <c> \"d\" 'e'", "line\nbreak\ttab\rcr", "\x00\x08\x0b\x1f\ufffe\ud800 bad",
          "隱私權政策：第 3 版", "😀 𠀋 emoji", "&amp; already escaped &lt;", "]]> <![CDATA[ x", "-->"]


@pytest.mark.parametrize("seed", range(12))
def test_the_feed_writer_spells_what_elementtree_writes(seed: int) -> None:
    import random
    from datetime import datetime, timedelta, timezone

    from policykit.pages import feeds

    rnd = random.Random(seed)
    alphabet = "".join(_NASTY) + "abc xyz 123 ／、。"

    def text() -> str:
        return rnd.choice(_NASTY) if rnd.random() < 0.5 else "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 30)))

    day = datetime(2020, 1, 1, 8, tzinfo=timezone(timedelta(hours=8)))
    entries = [feeds.FeedEntry(
        policy_id=rnd.choice(["privacy", "terms of use", "政策"]), content_locale=rnd.choice(["en", "zh-Hant"]),
        number=n, title=text(), instant=day + timedelta(days=rnd.randrange(0, 900), seconds=rnd.randrange(0, 86400)),
        link="https://policy.example/" + text(), change_note=text(), summary_text=rnd.choice([None, text()]),
        effective_text=rnd.choice([None, text()]), effective_changes=tuple(text() for _ in range(rnd.randrange(0, 3))),
        updated=rnd.choice([None, day + timedelta(days=1000)]),
    ) for n in range(1, rnd.randrange(0, 6) + 1)]
    feed = feeds.Feed(path="en/x/feed.xml", url="https://policy.example/" + text(), title=text(),
                      locale=rnd.choice(["en", "zh-Hant", "x\t&<\"y"]), alternate="https://policy.example/" + text(),
                      author=text(), policy_id="privacy", entries=entries)
    args = dict(site_url="https://policy.example/sub/", tz=rnd.choice(["Asia/Taipei", "UTC"]),
                change_note_label=text(), updated_if_empty=day)
    got = feeds.feed_xml(feed, **args)
    assert got == _elementtree_feed_xml(feed, **args)
    ET.fromstring(got)  # and it is well-formed XML
