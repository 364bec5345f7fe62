"""The translation workflow in Chromium behind nginx (issue 11, item 5).

The site of tests/test_translation_workflow.py is built once (its "now" is
HEAD's commit, 5 April 2026; the original's version 3 takes effect on
1 June 2026 in Asia/Taipei).  A reader of the stale Simplified Chinese
translation follows the lag notice to the original's diff; a reader of the
English translation sees the original's upcoming date until the reader's
clock reaches it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from browser import built_and_served, chromium, require_nginx_and_chromium
from sitebuild import new_site
from test_browser import Watch, _context
from test_translation_workflow import commit_workflow

playwright_sync = pytest.importorskip("playwright.sync_api")

TAIPEI = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_nginx_and_chromium()
    with built_and_served(new_site(tmp_path_factory.mktemp("workflow-browser")), commit_workflow, "--strict") as origin:
        yield origin


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as b:
        yield b


def test_lag_notice_leads_to_the_originals_diff(served, browser) -> None:
    watch = Watch()
    ctx = _context(browser, watch)
    ctx.clock.set_fixed_time(datetime(2026, 5, 1, 12, tzinfo=TAIPEI))
    page = ctx.new_page()
    try:
        for path in ("/zh-Hans/privacy/", "/zh-Hans/privacy/history/"):
            page.goto(served + path)
            notice = page.locator(".policy-notice--translation")
            assert notice.is_visible(), path
            assert "本译文依据原文（繁體中文）第 1 版。" in notice.inner_text()
            assert "尚未翻译： 第 2 版 · 第 3 版 · 版本历史" in notice.inner_text()
            # The link as the browser resolves it.  (Followed by a click, Material's language
            # handling probes sitemap.xml and lands on /privacy/: a cross-language link issue of
            # its own, reported to the lead, not this notice's.)
            href = notice.locator("a.policy-notice__link").first.evaluate("a => a.href")
            assert href == served + "/privacy/versions/2/#changes"
            page.goto(href)
            changes = page.locator("#changes")
            assert changes.is_visible()
            assert "與定義" in changes.locator("ins").first.inner_text()  # what the translation lacks: the diff
    finally:
        ctx.close()
    watch.assert_clean()


def test_originals_upcoming_date_shows_until_the_readers_clock_reaches_it(served, browser) -> None:
    for when, visible in ((datetime(2026, 5, 31, 23, 59, tzinfo=TAIPEI), True),
                          (datetime(2026, 6, 1, 0, 1, tzinfo=TAIPEI), False)):
        watch = Watch()
        ctx = _context(browser, watch)
        ctx.clock.set_fixed_time(when)
        page = ctx.new_page()
        try:
            page.goto(served + "/en/privacy/")
            notice = page.locator(".policy-notice--source-upcoming")
            assert notice.count() == 1
            assert notice.is_visible() is visible, when
            if visible:
                assert "The original (繁體中文) changes: its version 3 takes effect on June 1, 2026." in notice.inner_text()
        finally:
            ctx.close()
        watch.assert_clean()
