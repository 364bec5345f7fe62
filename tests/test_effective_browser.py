"""The in-force label follows the reader's clock, without a rebuild (issue 9, section 3), in Chromium behind nginx.

The site of tests/test_effective_moved.py (version 2 takes effect on
15 January 2027 at 00:00 in Asia/Taipei) is built once, with "now" on
1 December 2026, and never again: the browser's clock is moved past the
effective date and the labels must change on the open page and after a
reload.  Without JavaScript the page states both dates.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from browser import built_and_served, chromium, require_nginx_and_chromium
from sitebuild import new_site
from test_browser import Watch, _context
from test_effective_moved import BEFORE, build_scenario

playwright_sync = pytest.importorskip("playwright.sync_api")

TAIPEI = timezone(timedelta(hours=8))
EFFECTIVE = datetime(2027, 1, 15, tzinfo=TAIPEI)  # version 2 takes effect


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_nginx_and_chromium()
    with built_and_served(new_site(tmp_path_factory.mktemp("effective-browser")), build_scenario, env={"SOURCE_DATE_EPOCH": BEFORE}) as origin:
        yield origin


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as b:
        yield b


def row(page, number: int) -> str:
    return page.inner_text(f"#v{number} .policy-history__range")  # what is rendered: [hidden] spans are not


def test_label_switches_when_the_readers_clock_passes_the_effective_date(served, browser) -> None:
    watch = Watch()
    ctx = _context(browser, watch)
    ctx.clock.install(time=EFFECTIVE - timedelta(minutes=1))  # 23:59 on 14 January 2027, Taipei
    page = ctx.new_page()
    try:
        page.goto(f"{served}/privacy/history/")
        assert row(page, 1) == "自2025年6月1日起生效（現行版本），至2027年1月15日止；第 2 版將於2027年1月15日生效"
        assert row(page, 2) == "將於2027年1月15日生效（尚未生效）"
        # The page stays open past midnight: the labels change without a reload (and without a rebuild).
        page.clock.fast_forward("02:00")
        page.wait_for_function("() => document.querySelector('#v2 .policy-history__range').innerText.includes('現行')")
        assert row(page, 2) == "自2027年1月15日起生效（現行版本）"
        assert row(page, 1) == "生效期間：2025年6月1日至2027年1月15日"

        page.goto(f"{served}/en/privacy/history/")
        assert row(page, 2) == "In force since January 15, 2027 (current version)"
        assert "current" not in row(page, 1)

        # The version banners and the live page's notice follow the same clock.
        page.goto(f"{served}/privacy/versions/2/")
        banner = page.locator(".policy-banner").first
        assert "現行版本" in banner.inner_text()
        assert "policy-banner--current" in (banner.get_attribute("class") or "")
        page.goto(f"{served}/privacy/versions/1/")
        assert "policy-banner--current" not in (page.locator(".policy-banner").first.get_attribute("class") or "")
        page.goto(f"{served}/privacy/")
        assert not page.locator(".policy-notice--upcoming").is_visible()
        page.goto(f"{served}/")
        assert not page.locator(".policy-list__upcoming").is_visible()
    finally:
        ctx.close()
    watch.assert_clean()


def test_before_the_effective_date_the_old_version_is_in_force(served, browser) -> None:
    watch = Watch()
    ctx = _context(browser, watch)
    ctx.clock.set_fixed_time(datetime(2026, 12, 15, 12, tzinfo=TAIPEI))  # the old date has passed, the new one not
    page = ctx.new_page()
    try:
        page.goto(f"{served}/privacy/versions/1/")
        banner = page.locator(".policy-banner").first
        assert "（現行版本）" in banner.inner_text()
        assert "policy-banner--current" in (banner.get_attribute("class") or "")
        page.goto(f"{served}/privacy/versions/2/")
        banner = page.locator(".policy-banner").first
        assert "尚未生效" in banner.inner_text() and "現行" not in banner.inner_text()
        assert "policy-banner--current" not in (banner.get_attribute("class") or "")
        page.goto(f"{served}/privacy/")
        notice = page.locator(".policy-notice--upcoming")
        assert notice.is_visible() and "2027年1月15日" in notice.inner_text()
        page.goto(f"{served}/")
        assert page.locator(".policy-list__upcoming").inner_text() == "第 2 版將於2027年1月15日生效；在此之前，第 1 版仍然有效。"
    finally:
        ctx.close()
    watch.assert_clean()


def test_without_javascript_the_page_states_both_dates(served, browser) -> None:
    ctx = browser.new_context(java_script_enabled=False, locale="en-US")
    page = ctx.new_page()
    try:
        page.goto(f"{served}/en/privacy/history/")
        assert row(page, 1) == "In force from June 1, 2025 until January 15, 2027; version 2 takes effect on January 15, 2027"
        assert row(page, 2) == "Takes effect on January 15, 2027"
        page.goto(f"{served}/en/privacy/versions/2/")
        text = page.locator(".policy-banner").first.inner_text()
        assert "Takes effect on January 15, 2027" in text and "current" not in text
        assert "Effective date changed on November 25, 2026 from December 10, 2026 to January 15, 2027" in text
    finally:
        ctx.close()
