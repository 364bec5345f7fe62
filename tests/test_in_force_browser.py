"""The history page's date field answers "in force on D" and "published on D" (issue 12, item 1), in Chromium behind nginx.

The site of tests/test_in_force_on.py (every case: an effective date later than publication, a moved
date, a version never in force, one that takes effect during a day, a future version), built once for
the origin it is served from.  The reader's clock is pinned to 1 December 2026 and their timezone is
not the site's: the answer depends on the site's timezone only.  With JavaScript off the table is there
and the field is not.  On a 360 px wide phone nothing scrolls sideways.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from browser import built_and_served, chromium, ensure_axe, require_nginx_and_chromium
from test_browser import shot
from sitebuild import new_site
from test_browser import WATCH_SCRIPT, Watch
from test_in_force_on import NOW, build_scenario

playwright_sync = pytest.importorskip("playwright.sync_api")

READER_NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_nginx_and_chromium()
    with built_and_served(new_site(tmp_path_factory.mktemp("in-force-browser")), build_scenario, env={"SOURCE_DATE_EPOCH": NOW}) as origin:
        yield origin


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as b:
        yield b


def _page(browser, watch: Watch, timezone_id: str = "America/Los_Angeles", **kwargs):
    """A watched page (as test_browser._context) of a reader in *timezone_id*, by default not the site's (Asia/Taipei)."""
    ctx = browser.new_context(locale="en-US", timezone_id=timezone_id, **kwargs)
    ctx.expose_binding("__policyReportCsp", lambda source, text: watch.csp.append(f"{source['frame'].url}: {text}"))
    ctx.add_init_script(WATCH_SCRIPT)
    ctx.on("page", watch.attach)
    ctx.clock.install(time=READER_NOW)
    return ctx, ctx.new_page()


#: The right edge of the widest element of the page's content (the article, the table included).
WIDEST_IN_CONTENT = "() => Math.max(...[...document.querySelectorAll('.md-content, .md-content *')].map(e => e.getBoundingClientRect().right))"


def ask(page, day: str) -> dict:
    page.fill("form.policy-on-date input[name='on']", day)
    page.click("form.policy-on-date button[type='submit']")
    return answer(page)


def answer(page) -> dict:
    box = page.locator(".policy-on-date__answer")
    box.wait_for(state="visible")
    hrefs = lambda sel: page.eval_on_selector_all(sel, "els => els.map(e => e.getAttribute('href'))")  # noqa: E731
    return {
        "in_force": page.inner_text(".policy-on-date__in-force"),
        "in_force_links": hrefs(".policy-on-date__in-force a"),
        "published": page.inner_text(".policy-on-date__published"),
        "published_links": hrefs(".policy-on-date__published a"),
        "earlier": page.locator(".policy-on-date__earlier").all_inner_texts(),
        "future": page.locator(".policy-on-date__future").count() > 0,
        "share": page.get_attribute(".policy-on-date__link", "href"),
    }


def test_date_field_answers_in_force_and_published(served, browser) -> None:
    watch = Watch()
    ctx, page = _page(browser, watch)
    try:
        page.goto(f"{served}/en/privacy/history/")
        assert page.is_visible("form.policy-on-date") and not page.is_visible(".policy-on-date__answer")

        got = ask(page, "2023-01-09")  # before the first version
        assert got["in_force"] == "No version was in force yet on January 9, 2023."
        assert got["published"] == "No version was published on January 9, 2023." and not got["future"]

        got = ask(page, "2023-03-01")  # version 2 published, in force from the 15th
        assert got["in_force"] == "In force on March 1, 2023: Version 1 (in force from January 10, 2023)"
        assert got["in_force_links"] == ["../versions/1/"]  # version 1 has no diff
        assert got["published"] == ("Published on March 1, 2023: Version 2 (in force from March 15, 2023)"
                                    " · Changes from the version before")
        assert got["published_links"] == ["../versions/2/", "../versions/2/#changes"]
        assert got["share"] == "/en/privacy/history/?on=2023-03-01"
        assert page.url == f"{served}/en/privacy/history/?on=2023-03-01"

        got = ask(page, "2023-03-15")  # its effective day, from 00:00 in Asia/Taipei: version 1 not at all that day
        assert got["earlier"] == []
        assert got["in_force"].startswith("In force on March 15, 2023: Version 2 (in force from March 15, 2023)")
        assert got["in_force_links"] == ["../versions/2/", "../versions/2/#changes"]

        got = ask(page, "2023-04-20")  # a day in a range
        assert got["in_force"].startswith("In force on April 20, 2023: Version 2")
        assert got["published"] == "No version was published on April 20, 2023."

        got = ask(page, "2023-06-01")  # version 4 takes effect at 16:20; version 3 was never in force
        assert got["in_force"].startswith("In force on June 1, 2023: Version 4 (in force from June 1, 2023)")
        assert got["earlier"] == ["Also in force during part of June 1, 2023: Version 2 (in force from March 15, 2023)"
                                  " · Changes from the version before"]
        got = ask(page, "2023-09-01")
        assert got["in_force"].startswith("In force on September 1, 2023: Version 4")

        got = ask(page, "2023-05-01")
        assert got["published"].startswith("Published on May 1, 2023: Version 3 · Never in force")

        got = ask(page, "2027-01-15")  # after the reader's today: the future version takes effect
        assert got["in_force"].startswith("In force on January 15, 2027: Version 5 (in force from January 15, 2027)")
        assert got["in_force_links"] == ["../versions/5/", "../versions/5/#changes"] and got["future"]
        for href in got["in_force_links"]:  # the links lead to real pages
            assert page.request.get(f"{served}/en/privacy/history/{href}".split("#")[0]).status == 200
    finally:
        ctx.close()
    watch.assert_clean()


def test_shared_url_opened_fresh_and_in_another_language(served, browser) -> None:
    watch = Watch()
    ctx, page = _page(browser, watch)
    try:
        page.goto(f"{served}/en/privacy/history/?on=2023-03-01")
        got = answer(page)
        assert got["in_force"].startswith("In force on March 1, 2023: Version 1")
        assert got["published"].startswith("Published on March 1, 2023: Version 2")
        assert page.input_value("form.policy-on-date input[name='on']") == "2023-03-01"

        page.goto(f"{served}/privacy/history/?on=2023-03-15")  # zh-Hant, the original: one version
        got = answer(page)
        assert got["in_force"] == "2023年3月15日生效的版本：第 1 版（自2023年1月10日起生效）"
        assert got["published"] == "2023年3月15日沒有發布任何版本。"
        page.goto(f"{served}/en/terms/history/?on=2024-02-01")  # retired that day
        got = answer(page)
        assert got["in_force"] == "No version was in force on February 1, 2024: the policy was retired on February 1, 2024."
        assert got["earlier"] == ["Also in force during part of February 1, 2024: Version 2 (in force from April 1, 2023)"
                                  " · Changes from the version before"]  # until 10:00
        page.goto(f"{served}/en/privacy/history/?on=2023-02-30")  # not a day: no answer, no error
        assert page.is_visible("form.policy-on-date") and not page.is_visible(".policy-on-date__answer")
    finally:
        ctx.close()
    watch.assert_clean()


def test_without_javascript_the_table_answers_and_the_field_is_hidden(served, browser) -> None:
    watch = Watch()
    ctx, page = _page(browser, watch, java_script_enabled=False, viewport={"width": 360, "height": 740})
    try:
        page.goto(f"{served}/en/privacy/history/?on=2023-03-01")
        assert page.is_visible("table.policy-ranges")
        assert not page.is_visible("form.policy-on-date") and not page.is_visible("input[type='date']")
        assert not page.is_visible(".policy-on-date__answer")
        assert page.inner_text("#range-2 td:nth-of-type(2) time") == "March 15, 2023"
        # Readable on a phone without the script: nothing in the content is wider than the screen. (The page
        # itself is 382 px wide without JavaScript on every page: Material's closed language menu, not this.)
        assert page.evaluate(WIDEST_IN_CONTENT) <= 360
    finally:
        ctx.close()
    watch.assert_clean()


@pytest.mark.parametrize("path", ["/en/privacy/history/", "/privacy/history/", "/zh-Hans/privacy/history/"])
def test_no_horizontal_scroll_on_a_phone(served, browser, path: str) -> None:
    watch = Watch()
    ctx, page = _page(browser, watch, viewport={"width": 360, "height": 740}, timezone_id="Asia/Taipei")
    try:
        page.goto(f"{served}{path}?on=2023-03-01")
        answer(page)
        widths = page.evaluate("""() => ({
            doc: document.documentElement.scrollWidth,
            table: document.querySelector('table.policy-ranges').getBoundingClientRect().right,
            answer: document.querySelector('.policy-on-date__answer').scrollWidth
                    - document.querySelector('.policy-on-date__answer').clientWidth,
        })""")
        assert widths["doc"] <= 360 and widths["table"] <= 360 and widths["answer"] <= 0, widths
        # each cell still names its column on a phone
        assert page.evaluate("getComputedStyle(document.querySelector('table.policy-ranges td'), '::before').content") != "none"
        if path == "/en/privacy/history/":
            shot(page, "in-force-360.png")
    finally:
        ctx.close()
    watch.assert_clean()


@pytest.mark.parametrize("width", [360, 1280])
def test_axe_finds_no_serious_violations_in_the_answer_and_table(served, browser, width: int) -> None:
    watch = Watch()
    # Injecting axe needs an inline script, which the site's CSP forbids: bypassed here only (as in test_browser).
    ctx, page = _page(browser, watch, viewport={"width": width, "height": 900}, bypass_csp=True)
    try:
        page.goto(f"{served}/en/privacy/history/?on=2023-06-01")
        answer(page)
        page.add_script_tag(path=str(ensure_axe()))
        result = page.evaluate(
            "async () => (await axe.run(document.querySelector('.policy-in-force'), {resultTypes: ['violations']}))"
            ".violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
        )
    finally:
        ctx.close()
    assert not [v for v in result if v["impact"] in ("serious", "critical")], result
    watch.assert_clean()
