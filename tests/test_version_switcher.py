"""The language switcher of a version page leads to the other language's version in force at that instant.

One real build of a temp git repo (module-scoped), timezone Asia/Taipei, where
the languages have different numbers of versions published at different times:

- zh-Hant (source): v1 2020-01-01, v2 2020-06-01, v3 2021-06-01,
  v4 published 2022-01-01 but effective 2022-03-01;
- en: none until v1 2021-01-01; v2 published 2022-01-01, effective 2022-02-01
  (in force from 2022-02-01 00:00 in Taipei, i.e. 2022-01-31 16:00 UTC);
- terms, in zh-Hant only (other languages show the original): v1 2020-06-01, v2 2021-06-01;
- cookies, in zh-Hant (v1 2022-01-31) and in an English draft never committed (no history);
- zh-Hans: v1 2020-01-01; v2 2022-01-31 17:00 UTC (01:00 on 1 February in Taipei,
  one hour after en v2 took effect; under a UTC midnight it would be before).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policykit.history.versions import FileHistory, Retirement, Version
from policykit.pages.archive import version_entries
from policykit.pages.counterparts import in_force_numbers
from policykit.pages.effective import in_force_at
import nginx_server
from browser import launch_chromium, require_nginx_and_chromium
from nginx_server import NginxServer
from test_browser import Watch, _context
from sitebuild import edit, mkdocs_build, new_site, set_front_matter

SWITCH = re.compile(r'<a href="([^"]*)" hreflang="([^"]+)" class="md-select__link">')


PORT = nginx_server.free_port()  # the site is built for the origin the browser test serves it at
ORIGIN = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = new_site(tmp_path_factory.mktemp("switcher"))
    edit(repo, "mkdocs.yml", "site_url: https://policy.1mix.org/", f"site_url: {ORIGIN}/")
    en = repo.read("docs/en/privacy.md")
    (repo.path / "docs/en/privacy.md").unlink()
    repo.commit("zh-Hant and zh-Hans", date="2020-01-01T10:00:00+08:00")
    edit(repo, "docs/zh-Hant/privacy.md", "## 總則", "## 總則與定義")
    repo.write("docs/zh-Hant/terms.md", "---\ntitle: 服務條款\n---\n# 服務條款\n\n使用本站即表示同意。\n")
    repo.commit("zh-Hant v2; terms v1, in zh-Hant only", date="2020-06-01T10:00:00+08:00")
    repo.write("docs/en/privacy.md", en)
    repo.commit("en v1", date="2021-01-01T10:00:00+08:00")
    edit(repo, "docs/zh-Hant/privacy.md", "## 修訂策略", "## 修訂政策")
    edit(repo, "docs/zh-Hant/terms.md", "同意。", "同意本條款。")
    repo.commit("zh-Hant v3; terms v2", date="2021-06-01T10:00:00+08:00")
    edit(repo, "docs/zh-Hant/privacy.md", "## 其他", "## 其他事項")
    set_front_matter(repo, "docs/zh-Hant/privacy.md", "effective", "2022-03-01")
    edit(repo, "docs/en/privacy.md", "## General Provisions", "## General provisions")
    set_front_matter(repo, "docs/en/privacy.md", "effective", "2022-02-01")
    repo.commit("zh-Hant v4 and en v2, effective later", date="2022-01-01T10:00:00+08:00")
    edit(repo, "docs/zh-Hans/privacy.md", "## 总则", "## 总则与定义")
    repo.write("docs/zh-Hant/cookies.md", "---\ntitle: Cookie 政策\n---\n# Cookie 政策\n\n本站使用 Cookie。\n")
    repo.commit("zh-Hans v2; cookies v1, in zh-Hant", date="2022-01-31T17:00:00+00:00")
    repo.write("docs/en/cookies.md", "---\ntitle: Cookie Policy\n---\n# Cookie Policy\n\nThis site uses cookies.\n")
    result = mkdocs_build(repo.path)
    assert result.returncode == 0, result.stdout
    return repo.path / "site"


def switcher(site: Path, page: str) -> dict[str, str]:
    """The language switcher of *page* (a site-relative folder): language -> site-relative target."""
    html = (site / page / "index.html").read_text(encoding="utf-8")
    links = {lang: urljoin("/" + page, href).lstrip("/") for href, lang in SWITCH.findall(html)}
    assert set(links) == {"zh-Hant", "zh-Hans", "en"}, links
    for target in links.values():  # every link lands on a page of the build
        assert (site / target / "index.html").is_file(), target
    return links


def test_source_versions_lead_to_the_english_version_then_in_force(site: Path) -> None:
    assert switcher(site, "privacy/versions/3/")["en"] == "en/privacy/versions/1/"
    # zh-Hant v4 took effect on 1 March 2022, after en v2 (1 February): en v2, not en v4 (there is none).
    assert switcher(site, "privacy/versions/4/")["en"] == "en/privacy/versions/2/"


def test_no_english_version_yet_leads_to_the_english_history(site: Path) -> None:
    assert switcher(site, "privacy/versions/1/")["en"] == "en/privacy/history/"
    assert switcher(site, "privacy/versions/2/")["en"] == "en/privacy/history/"


def test_english_versions_lead_to_the_source_version_in_force_by_effective_date(site: Path) -> None:
    assert switcher(site, "en/privacy/versions/1/")["zh-Hant"] == "privacy/versions/2/"
    # zh-Hant v4 was published before en v2 took effect, but takes effect later: v3 was in force.
    assert switcher(site, "en/privacy/versions/2/")["zh-Hant"] == "privacy/versions/3/"


def test_an_effective_date_is_reached_at_midnight_in_the_configured_timezone(site: Path) -> None:
    # zh-Hans v2 came at 01:00 on 1 February in Taipei, after en v2 took effect at 00:00 there.
    assert switcher(site, "zh-Hans/privacy/versions/2/")["en"] == "en/privacy/versions/2/"
    assert switcher(site, "en/privacy/versions/2/")["zh-Hans"] == "zh-Hans/privacy/versions/1/"
    assert switcher(site, "en/privacy/versions/1/")["zh-Hans"] == "zh-Hans/privacy/versions/1/"


def test_the_page_language_stays_on_the_page(site: Path) -> None:
    for page, lang in (("privacy/versions/2/", "zh-Hant"), ("en/privacy/versions/1/", "en"),
                       ("zh-Hans/privacy/versions/2/", "zh-Hans")):
        assert switcher(site, page)[lang] == page


def test_a_missing_translation_shows_the_same_versions_in_every_language(site: Path) -> None:
    # terms exists in zh-Hant only: every language shows its text (i18n's fallback), so the numbers are the same.
    assert switcher(site, "en/terms/versions/1/") == {
        "zh-Hant": "terms/versions/1/", "zh-Hans": "zh-Hans/terms/versions/1/", "en": "en/terms/versions/1/"}
    assert switcher(site, "terms/versions/2/")["en"] == "en/terms/versions/2/"


def test_a_translation_without_history_leads_to_its_page(site: Path) -> None:
    links = switcher(site, "cookies/versions/1/")
    assert links["en"] == "en/cookies/"  # the English draft has no history page
    assert not (site / "en/cookies/history").exists()
    assert links["zh-Hans"] == "zh-Hans/cookies/versions/1/"  # zh-Hans shows the original's versions


def test_history_and_live_pages_keep_their_switcher(site: Path) -> None:
    assert switcher(site, "privacy/history/") == {
        "zh-Hant": "privacy/history/", "zh-Hans": "zh-Hans/privacy/history/", "en": "en/privacy/history/"}
    assert switcher(site, "zh-Hans/privacy/versions/1/") == {
        "zh-Hant": "privacy/versions/1/", "zh-Hans": "zh-Hans/privacy/versions/1/", "en": "en/privacy/history/"}


# ------------------------------------------------------------------ a reader's click, in Chromium


@pytest.fixture(scope="module")
def served(site: Path):
    playwright_sync = pytest.importorskip("playwright.sync_api")
    require_nginx_and_chromium()
    include = (site.parent / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nginx_server, "free_port", lambda: PORT)
        srv = NginxServer(site, include).start()
    try:
        with playwright_sync.sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        srv.close()


@pytest.mark.parametrize(("start", "lang", "lands"), [
    ("privacy/versions/3/", "en", "en/privacy/versions/1/"),
    ("privacy/versions/1/", "en", "en/privacy/history/"),
    ("en/privacy/versions/2/", "zh-Hant", "privacy/versions/3/"),
])
def test_clicking_the_switcher_on_a_version_page_lands_there(served, start: str, lang: str, lands: str) -> None:
    ctx = _context(served, watch := Watch(), viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(f"{ORIGIN}/{start}")
        page.wait_for_load_state("networkidle")  # Material's switcher has read the alternates' sitemaps
        page.click(".md-header__option .md-select > button")
        link = page.locator(f".md-select__link[hreflang={lang}]")
        link.wait_for(state="visible")
        link.click()
        page.wait_for_url(f"{ORIGIN}/{lands}")
        assert page.locator("html").get_attribute("lang") == lang
    finally:
        ctx.close()
    watch.assert_clean()


# ------------------------------------------------------------------ the core rule, on generated histories

TZ = "Asia/Taipei"
_DAY0 = datetime(2020, 1, 1, tzinfo=timezone.utc)


@st.composite
def histories(draw: st.DrawFn, path: str) -> FileHistory:
    """Versions with increasing publication instants, some with effective dates (earlier or later), maybe retired."""
    hours = sorted(draw(st.lists(st.integers(0, 24 * 60), min_size=0, max_size=7, unique=True)))
    versions = []
    for n, h in enumerate(hours, 1):
        when = _DAY0 + timedelta(hours=h)
        shift = draw(st.none() | st.integers(-20, 20))
        fm = f"effective: {(when + timedelta(days=shift)).date().isoformat()}\n" if shift is not None else ""
        versions.append(Version(n, f"c{path}{n}", when, "a", "a@x", "s", f"b{n}", path, path, fm))
    retired = None
    if versions and draw(st.booleans()):
        retired = Retirement("r", versions[-1].date + timedelta(hours=draw(st.integers(1, 24 * 30))), "deleted")
    return FileHistory(path, tuple(versions), retired)


@settings(max_examples=300, deadline=None)
@given(histories("a.md"), histories("b.md"))
def test_in_force_numbers_is_in_force_at_each_start(a: FileHistory, b: FileHistory) -> None:
    mine, other = version_entries(a, tz=TZ), version_entries(b, tz=TZ)
    got = in_force_numbers(mine, other)
    assert set(got) == {e.number for e in mine}
    for e in mine:
        hit = in_force_at(other, e.starts_at)
        if hit is not None and hit.ends_at is not None and hit.ends_at <= e.starts_at:
            hit = None  # retired by then
        assert got[e.number] == (hit.number if hit is not None else None)
