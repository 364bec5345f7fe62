"""What a reader sees in Chromium: search in every language, print, anchors, headings, typography, keys.

One build of the browser test site (tests/browser.py: 4 zh-Hant versions of the privacy policy, 2 English
ones, a lagging zh-Hans translation) served by one nginx with the generated headers (so the CSP applies),
shared by every test here (the ``served`` and ``browser`` fixtures of tests/test_browser.py, module-scoped).
Every page is watched: no console error, no CSP violation, no request leaving 127.0.0.1.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from browser import EN_CHILDREN_V1, ZH_REMOVED_PARAGRAPH
from policykit.pages.labels import labels_for
from test_browser import Watch, _context, browser, served  # noqa: F401  (fixtures: one site, one Chromium)

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser, watch):  # noqa: F811
    ctx = _context(browser, watch, viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    yield pg
    ctx.close()
    watch.assert_clean()


# ------------------------------------------------------------------------------------------ search

#: Words only an old version has (the history stays out of search): zh-Hant v1-v3's removed paragraph
#: and English v1's age.
OLD_ONLY = {"zh-Hant": "統計", "en": "eighteen"}


def search(page, query: str) -> list[str]:
    """Type *query* in Material's search box; the paths of the result pages (first result of each group)."""
    box = page.locator(".md-search__input")
    if not box.is_visible():
        page.click("label.md-search__icon[for=__search]")
    # Material's meta line shows its placeholder once the worker is ready and while the box is empty,
    # and replaces it by "n matching documents" / "no matching documents" for every answered query.
    placeholder = page.evaluate(
        "() => JSON.parse(document.getElementById('__config').textContent).translations['search.result.placeholder']")
    meta = "() => document.querySelector('.md-search-result__meta').textContent"
    box.fill("")
    box.press("End")  # Material reads the box on keyup
    page.wait_for_function(f"(p) => ({meta})() === p", arg=placeholder)
    box.fill(query)
    box.press("End")
    page.wait_for_function(f"(p) => ({meta})() !== p", arg=placeholder)
    hrefs = page.eval_on_selector_all(".md-search-result__item > a", "els => els.map(e => e.href)")
    return [urlsplit(h).path for h in hrefs]


#: (query, the policy page it must find) per language: English words, a Chinese word, a mixed term.
SEARCHES = {
    "/": [("Cookie", "/privacy/"), ("cookie", "/privacy/"), ("information", "/en/privacy/"),
          ("隱私", "/privacy/"), ("Cookie 和其他技術", "/privacy/")],
    "/zh-Hans/": [("Cookie", "/zh-Hans/privacy/"), ("information", "/en/privacy/"), ("个人信息", "/zh-Hans/privacy/"),
                  ("Cookie 和其他技术", "/zh-Hans/privacy/"), ("Cookie 和其他技術", "/privacy/")],
    "/en/": [("information", "/en/privacy/"), ("cookie", "/en/privacy/"), ("Cookie", "/en/privacy/"),
             ("policy", "/en/privacy/"), ("隱私", "/privacy/"), ("Cookie 和其他技術", "/privacy/")],
}


@pytest.mark.parametrize("prefix", list(SEARCHES))
def test_search_finds_latin_chinese_and_mixed_words(served, page, prefix: str) -> None:
    _, origin = served
    page.goto(f"{origin}{prefix}privacy/")
    missed = {}
    for query, expected in SEARCHES[prefix]:
        found = search(page, query)
        assert not [p for p in found if "/versions/" in p or p.endswith("/history/")], found
        if expected not in found:
            missed[query] = found
    assert not missed, f"on {prefix}, these queries missed their policy: {missed}"


@pytest.mark.parametrize("prefix", ["/", "/zh-Hans/", "/en/"])
def test_search_leaves_old_versions_out(served, page, prefix: str) -> None:
    site, origin = served
    v1 = (site.site_dir / "privacy" / "versions" / "1" / "index.html").read_text(encoding="utf-8")
    en_v1 = (site.site_dir / "en" / "privacy" / "versions" / "1" / "index.html").read_text(encoding="utf-8")
    assert OLD_ONLY["zh-Hant"] in ZH_REMOVED_PARAGRAPH and ZH_REMOVED_PARAGRAPH in v1  # the word is on the site
    assert OLD_ONLY["en"] in EN_CHILDREN_V1 and EN_CHILDREN_V1 in en_v1
    page.goto(f"{origin}{prefix}privacy/")
    assert search(page, "Cookie")  # search works here, so "nothing found" below means something
    for word in OLD_ONLY.values():
        assert search(page, word) == [], f"{word!r} (only in an old version) was found on {prefix}"


# ------------------------------------------------------------------------------------------ print


def printed_text(page) -> str:
    """The text the print layout shows (innerText leaves out what print CSS hides).

    No PDF text extractor is installed here (no pdftotext, no pypdf), so the PDF itself is only made,
    to check that printing works; what it holds is read from the print-media layout it is made from.
    """
    page.emulate_media(media="print")
    assert page.pdf(format="A4").startswith(b"%PDF-")
    return page.evaluate("() => document.body.innerText")


@pytest.mark.parametrize("locale, prefix", [("zh-Hant", "/"), ("en", "/en/")])
def test_print_leaves_out_controls_and_keeps_version_facts(served, page, locale: str, prefix: str) -> None:
    site, origin = served
    labels = labels_for(locale)
    number = 3 if locale == "zh-Hant" else 2
    page.goto(f"{origin}{prefix}privacy/versions/{number}/")
    page.locator(".policy-change-nav").wait_for(state="visible")  # the script showed the change bar
    screen = page.evaluate("() => document.body.innerText")
    for text in (labels["change_prev"], labels["change_keys"], labels["jump_first"]):
        assert text in screen  # on screen, so leaving them out of print means something
    printed = printed_text(page)
    for text in (labels["change_prev"], labels["change_next"], labels["change_keys"], labels["jump_first"]):
        assert text not in printed, f"{text!r} prints"
    banner = page.locator(".policy-banner")
    title = banner.locator(".policy-banner__title").inner_text()
    assert labels["version_n"].format(number=number) in title and title in printed  # number and in-force dates
    published = banner.locator(".policy-banner__meta time").inner_text()
    assert f"{labels['published_on']}" in printed and published in printed
    assert re.search(r"\d{4}", title.split("·", 1)[1])  # the banner's second date (from / until)
    canonical = page.locator(".policy-print-url a").get_attribute("href")
    assert canonical == f"{origin}{prefix}privacy/versions/{number}/" and canonical in printed
    # the policy page: its stamp prints, the stamp's history link does not
    page.emulate_media(media="screen")
    page.goto(f"{origin}{prefix}privacy/")
    stamp = page.locator(".policy-stamp__date").inner_text()
    assert page.locator(".policy-stamp__history").is_visible()
    printed = printed_text(page)
    assert stamp in printed and f"{origin}{prefix}privacy/" in printed
    assert labels["history"] not in printed.split(stamp, 1)[1].split("\n", 1)[0]
    # the history page: the compare form does not print, the versions do
    page.emulate_media(media="screen")
    page.goto(f"{origin}{prefix}privacy/history/")
    page.locator("form.policy-compare").wait_for(state="visible")
    printed = printed_text(page)
    assert labels["compare_title"] not in printed and labels["compare_submit"] not in printed
    assert labels["version_n"].format(number=1) in printed


# ------------------------------------------------------------------------------------------ should read right


def header_bottom(page) -> float:
    return page.evaluate("() => document.querySelector('.md-header').getBoundingClientRect().bottom")


def top_of(page, selector: str) -> float:
    return page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().top", selector)


@pytest.mark.parametrize("path, target", [
    ("/privacy/versions/3/#change-1", "#change-1"),
    ("/privacy/versions/3/#change-2", "#change-2"),
    ("/privacy/versions/4/#clean", "#clean"),
    ("/privacy/history/?from=1&to=4#compare", "#compare"),
])
def test_anchors_land_below_the_sticky_header(served, page, path: str, target: str) -> None:
    _, origin = served
    page.goto(origin + path)
    if target == "#compare":
        page.wait_for_function("() => document.querySelectorAll('#compare .diff-anchor').length > 0")
        page.wait_for_timeout(200)
    # the block that holds a change anchor (its heading when the change is a heading), else the target itself
    block = f"{target}" if not target.startswith("#change-") else None
    top = page.evaluate(
        "(s) => { const t = document.querySelector(s); const b = t.classList.contains('diff-anchor') ? t.parentElement : t;"
        " return b.getBoundingClientRect().top; }", target)
    assert page.evaluate("() => window.scrollY") > 0, "the page did not scroll to the anchor"
    assert top >= header_bottom(page) - 1, f"{target} ({block}) is under Material's header: {top}"
    assert top < 900


@pytest.mark.parametrize("path", ["/", "/privacy/", "/privacy/history/", "/privacy/versions/1/", "/privacy/versions/3/",
                                  "/privacy/history/?from=1&to=4#compare", "/en/privacy/versions/2/"])
def test_one_h1_per_page(served, page, path: str) -> None:
    _, origin = served
    page.goto(origin + path)
    if "compare" in path:
        page.wait_for_function("() => document.querySelectorAll('#compare .diff-anchor').length > 0")
    assert page.locator("h1").count() == 1, page.eval_on_selector_all("h1", "els => els.map(e => e.outerHTML)")


@pytest.mark.parametrize("prefix", ["/", "/zh-Hans/", "/en/"])
def test_policy_centre_is_not_stamped_as_a_policy(served, page, prefix: str) -> None:
    _, origin = served
    page.goto(f"{origin}{prefix}")
    assert page.locator(".policy-list__item").count() >= 1  # the policy centre, listing its policies
    assert page.locator(".policy-stamp").count() == 0
    page.goto(f"{origin}{prefix}privacy/")
    assert page.locator(".policy-stamp .policy-stamp__date").count() == 1  # a policy keeps its stamp


@pytest.mark.parametrize("locale, prefix", [("zh-Hant", "/"), ("zh-Hans", "/zh-Hans/"), ("en", "/en/")])
def test_labels_use_the_languages_colon_and_version_form(served, page, locale: str, prefix: str) -> None:
    _, origin = served
    labels = labels_for(locale)
    colon = "：" if locale.startswith("zh") else ": "
    page.goto(f"{origin}{prefix}privacy/versions/1/")
    meta = page.locator(".policy-banner__meta").inner_text()
    assert f"{labels['published_on']}{colon}" in meta and f"{labels['change_note']}{colon}" in meta, meta
    printed = page.locator(".policy-print-url").evaluate("e => e.textContent")
    assert printed.startswith(f"{labels['canonical_url']}{colon}http"), printed
    page.goto(f"{origin}{prefix}privacy/history/")
    assert f"{labels['change_note']}{colon}" in page.locator(".policy-history__note").first.inner_text()
    page.goto(f"{origin}{prefix}")
    assert f"{labels['latest_change']}{colon}" in page.locator(".policy-list__note").first.inner_text()
    page.goto(f"{origin}{prefix}privacy/")
    number = 4 if locale == "zh-Hant" else (2 if locale == "en" else 1)
    assert page.locator(".policy-stamp__version").inner_text() == labels["version_n"].format(number=number)
    if locale.startswith("zh"):
        body = page.evaluate("() => document.querySelector('article').innerText")
        for label in ("published_on", "change_note", "canonical_url", "latest_change", "translation_status"):
            assert f"{labels[label]}:" not in body


#: Chinese dates written in plain text (the in-force labels: "生效期間：2023年6月1日至2023年9月1日") whose
#: characters lie on more than one line.
CJK_DATES_ON_TWO_LINES = r"""() => {
  const out = [], walker = document.createTreeWalker(document.querySelector('article'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement || node.parentElement.offsetParent === null) continue;
    for (const m of node.data.matchAll(/\d{4}年\d{1,2}月\d{1,2}日/g)) {
      const r = document.createRange();
      r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
      if (tops.size > 1) out.push(m[0]);
    }
  }
  return out;
}"""


def test_dates_do_not_break_on_a_phone(served, browser, watch) -> None:  # noqa: F811
    _, origin = served
    ctx = _context(browser, watch, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                   is_mobile=True, has_touch=True)
    try:
        pg = ctx.new_page()
        broken = {}
        for path in ("/", "/privacy/", "/privacy/history/", "/privacy/versions/3/", "/zh-Hans/privacy/",
                     "/en/privacy/history/"):
            pg.goto(origin + path)
            lines = pg.eval_on_selector_all(
                "article time", "els => els.filter(e => e.offsetParent !== null)"
                ".map(e => [e.textContent, e.getClientRects().length])")
            assert lines, path
            bad = [text for text, count in lines if count > 1]
            bad += pg.evaluate(CJK_DATES_ON_TWO_LINES)
            if bad:
                broken[path] = bad
        assert not broken, f"dates broken across lines at 390 px: {broken}"
    finally:
        ctx.close()
    watch.assert_clean()


@pytest.mark.parametrize("path", ["/privacy/", "/privacy/versions/1/"])
def test_p_on_a_page_without_changes_stays_on_the_page(served, page, path: str) -> None:
    _, origin = served
    page.goto(origin + path)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # Material's keyboard handlers are set up
    for key in ("p", "n", "k", "j"):
        page.locator("body").press(key)
        page.wait_for_timeout(300)
        assert page.url == origin + path, f"{key!r} left {path} for {page.url}"
    # Material's own keys for its page navigation still work where it has a previous page
    if page.locator("link[rel=prev]").count():
        page.locator("body").press(",")
        page.wait_for_url(lambda url: url != origin + path)
