"""The built site in a real browser: Chromium (Playwright) against a real nginx with the generated headers.

One build of a temporary git repository (tests/browser.py: 4 versions of the
zh-Hant privacy policy, 2 of the English one, a lagging zh-Hans translation),
one nginx serving it with site-deploy/nginx-headers.conf (so the
Content-Security-Policy applies), one Chromium.  Every page a test opens is
watched: no console error, no CSP violation, no uncaught exception and no
request to anything but 127.0.0.1.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import yaml

import nginx_server
from browser import (
    ARTIFACTS,
    EN_CHILDREN_V2,
    ZH_NEW_ITEM,
    ZH_REMOVED_PARAGRAPH,
    build_history_site,
    chromium,
    ensure_axe,
    require_nginx_and_chromium,
    served_at,
)

playwright_sync = pytest.importorskip("playwright.sync_api")

#: Watches every document: CSP violations are reported to the test through a binding.
WATCH_SCRIPT = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__policyReportCsp && window.__policyReportCsp(
    [e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber].join(" "));
});
"""

# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Build the test site once and serve it with nginx on 127.0.0.1 (site_url = that origin)."""
    require_nginx_and_chromium()
    ensure_axe()
    port = nginx_server.free_port()
    origin = f"http://127.0.0.1:{port}"
    site = build_history_site(tmp_path_factory.mktemp("browser") / "repo", site_url=origin + "/")
    assert site.nginx_include.exists(), site.build_log
    with served_at(site.site_dir, site.nginx_include.read_text(encoding="utf-8"), port):  # at the site_url the site was built for
        yield site, origin


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as b:
        yield b


class Watch:
    """What the pages of one browser context did wrong."""

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.csp: list[str] = []
        self.requests: list[str] = []
        self.http_errors: list[str] = []

    def attach(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        page.on("request", lambda req: self.requests.append(req.url))
        page.on("response", self._response)

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        self.console_errors.append(f"{msg.text} ({where})")

    def _response(self, resp) -> None:
        if resp.status >= 400:  # Material's sitemap.xml probes included (tests/test_requests_browser.py)
            self.http_errors.append(f"{resp.status} {resp.url}")

    def assert_clean(self) -> None:
        external = [u for u in self.requests
                    if urlsplit(u).scheme not in ("data", "blob", "about") and urlsplit(u).hostname != "127.0.0.1"]
        assert not self.csp, f"CSP violations: {self.csp}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.page_errors, f"uncaught exceptions: {self.page_errors}"
        assert not external, f"requests leaving 127.0.0.1: {external}"
        assert not self.http_errors, f"failed requests: {self.http_errors}"


def _context(browser, watch: Watch, **kwargs):
    ctx = browser.new_context(locale="zh-TW", timezone_id="Asia/Taipei", **kwargs)
    ctx.expose_binding("__policyReportCsp", lambda source, text: watch.csp.append(f"{source['frame'].url}: {text}"))
    ctx.add_init_script(WATCH_SCRIPT)
    ctx.on("page", watch.attach)
    return ctx


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser, watch):
    """A watched page in a fresh context; at the end, nothing may have gone wrong on it."""
    ctx = _context(browser, watch, viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    yield pg
    ctx.close()
    watch.assert_clean()


def shot(page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


def visible_box(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["width"] > 0 and box["height"] > 0


def compare(page, origin: str, older: int, newer: int) -> None:
    page.goto(f"{origin}/privacy/history/")
    form = page.locator("form.policy-compare")
    form.wait_for(state="visible")
    page.select_option("select[name=from]", str(older))
    page.select_option("select[name=to]", str(newer))
    page.click(".policy-compare__submit")
    # (arrow functions: a plain expression would be eval'ed in the page, which the CSP forbids)
    page.wait_for_function("() => document.getElementById('compare').getAttribute('aria-busy') === null"
                           " && document.querySelector('#compare .policy-compare-result__body').childElementCount > 0")


def texts(page, selector: str) -> list[str]:
    """Text of the matched elements without the screen-reader-only words."""
    return page.eval_on_selector_all(
        selector,
        "els => els.map(e => { const c = e.cloneNode(true); c.querySelectorAll('.sr-only, .diff-note')"
        ".forEach(x => x.remove()); return c.textContent; })",
    )


# ------------------------------------------------------------------------------------------ tests


def test_stamp_shows_committer_date_of_last_real_change(served, page) -> None:
    site, origin = served
    raw = site.repo.run("log", "-1", "--format=%cI", "--", "docs/zh-Hant/privacy.md")
    config = yaml.safe_load((site.repo.path / "mkdocs.yml").read_text(encoding="utf-8"))
    options = next(p["policy-site"] for p in config["plugins"] if isinstance(p, dict) and "policy-site" in p)
    tz = ZoneInfo(options["timezone"])
    expected = datetime.fromisoformat(raw).astimezone(tz).isoformat(timespec="seconds")
    assert expected == "2023-09-01T16:20:00+08:00"  # v4's committer date, not its author date nor HEAD's
    page.goto(f"{origin}/privacy/")
    stamp = page.locator(".policy-stamp time")
    assert stamp.get_attribute("datetime") == expected
    assert "2023" in stamp.inner_text()
    head = site.repo.run("log", "-1", "--format=%cI")
    assert datetime.fromisoformat(head) != datetime.fromisoformat(raw)  # a later commit did not move the stamp


def test_language_selector_leads_to_the_same_policy_in_english(served, page) -> None:
    _, origin = served
    page.goto(f"{origin}/privacy/")
    page.click(".md-header__option .md-select > button")
    link = page.locator(".md-select__link[hreflang=en]")
    link.wait_for(state="visible")
    link.click()
    page.wait_for_url(f"{origin}/en/privacy/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("article h1").first.inner_text().startswith("Privacy Policy")
    assert EN_CHILDREN_V2 in page.locator("article").inner_text()
    shot(page, "en-policy.png")


def test_version_page_shows_changes_and_switches_views(served, page) -> None:
    _, origin = served
    page.goto(f"{origin}/privacy/history/")
    page.click("a.policy-history__version[href='../versions/2/']")
    page.wait_for_url(f"{origin}/privacy/versions/2/")
    ins = page.locator("#changes ins").first
    dele = page.locator("#changes del").first
    assert visible_box(ins) and visible_box(dele)
    assert "十六" in texts(page, "#changes ins")[0] and "十八" in texts(page, "#changes del")[0]
    shot(page, "zh-Hant-version-changes.png")
    page.click(".policy-view-switch__clean")
    assert page.evaluate("location.hash") == "#clean"
    assert not ins.is_visible() and not dele.is_visible()
    assert page.locator("#clean").is_visible()
    assert page.locator("#clean ins, #clean del").count() == 0
    page.click(".policy-view-switch__changes")
    assert ins.is_visible() and dele.is_visible()
    assert not page.locator("#clean").is_visible()


def test_keyboard_and_links_move_between_changes(served, page) -> None:
    _, origin = served
    page.goto(f"{origin}/privacy/versions/3/")  # an added list item and an edited sentence
    nav = page.locator(".policy-change-nav")
    nav.wait_for(state="visible")
    assert page.locator("span.diff-anchor").count() == 2

    def at() -> tuple[str, str | None]:
        return page.evaluate("location.hash"), page.evaluate(
            "(() => { const a = document.activeElement.querySelector(':scope > .diff-anchor, :scope > td > .diff-anchor');"
            " return a && a.id; })()")

    page.keyboard.press("n")
    assert at() == ("#change-1", "change-1")
    page.keyboard.press("n")
    assert at() == ("#change-2", "change-2")
    assert "2" in nav.locator(".policy-change-nav__status").inner_text()
    page.keyboard.press("n")  # already at the last change: stays
    assert at()[0] == "#change-2"
    page.keyboard.press("p")
    assert at() == ("#change-1", "change-1")
    page.keyboard.press("j")
    assert at()[0] == "#change-2"
    page.keyboard.press("k")
    assert at()[0] == "#change-1"
    # the visible control does the same
    nav.locator(".policy-change-nav__next").click()
    assert at() == ("#change-2", "change-2")
    assert nav.locator(".policy-change-nav__next").get_attribute("aria-disabled") == "true"
    nav.locator(".policy-change-nav__prev").click()
    assert at() == ("#change-1", "change-1")
    # typing in a field is not navigation
    page.goto(f"{origin}/privacy/history/")
    page.locator("form.policy-compare").wait_for(state="visible")
    page.focus("select[name=to]")
    page.keyboard.press("n")
    assert page.evaluate("location.hash") == ""


def test_compare_two_non_adjacent_versions(served, page) -> None:
    _, origin = served
    compare(page, origin, 1, 4)
    assert page.url.endswith("/privacy/history/?from=1&to=4#compare")
    body = "#compare .policy-compare-result__body"
    inserted = " ".join(texts(page, f"{body} ins"))
    deleted = " ".join(texts(page, f"{body} del"))
    assert "十六" in inserted and "十八" in deleted
    assert ZH_REMOVED_PARAGRAPH in deleted
    assert ZH_NEW_ITEM.split(" ", 1)[1] in inserted
    assert "2023" in inserted and "2019" in deleted
    assert page.locator(f"{body} .diff-removed").count() == 1
    assert page.locator(f"{body} li.diff-added").count() == 1
    assert visible_box(page.locator(f"{body} ins").first) and visible_box(page.locator(f"{body} del").first)
    summary = page.locator(".policy-compare-result__summary").inner_text()
    assert summary == "修改 2 處，新增 1 處，刪除 1 處，移動 0 處"
    assert page.locator(".policy-compare-result__title").inner_text() == "第 1 版至第 4 版的修改"
    # the change navigation works on the compare result too
    page.locator("body").press("n")
    assert page.evaluate("location.hash") == "#change-1"
    shot(page, "zh-Hant-compare-1-4.png")
    page.keyboard.press("n")
    shot(page, "zh-Hant-compare-1-4-change-2.png", full_page=False)
    # a shared address shows the same comparison
    page.goto(f"{origin}/privacy/history/?from=1&to=4#compare")
    page.wait_for_function("() => document.querySelectorAll('#compare .diff-anchor').length === 4")


@pytest.mark.parametrize("newer", [2, 3, 4])
def test_browser_diff_matches_the_build_time_diff(served, page, newer: int) -> None:
    """Consecutive versions compared in the browser give the markup of the version page's own diff."""
    _, origin = served
    page.goto(f"{origin}/privacy/versions/{newer}/")
    built = page.eval_on_selector("#changes", "e => e.innerHTML.trim()")
    summary = page.locator(".policy-diff-summary").inner_text().split(" · ")[0]
    compare(page, origin, newer - 1, newer)
    ours = page.eval_on_selector("#compare .policy-compare-result__body > div", "e => e.innerHTML.trim()")
    assert ours == built
    assert page.locator(".policy-compare-result__summary").inner_text() == summary


def test_lagging_translation_shows_notice(served, page) -> None:
    _, origin = served
    page.goto(f"{origin}/zh-Hans/privacy/")
    notice = page.locator(".policy-notice--translation")
    assert notice.count() == 1 and notice.is_visible()
    assert notice.get_attribute("role") == "note"
    page.goto(f"{origin}/privacy/")
    assert page.locator(".policy-notice--translation").count() == 0  # the source text has none


def test_pages_work_without_javascript(served, browser, watch) -> None:
    _, origin = served
    ctx = _context(browser, watch, java_script_enabled=False)
    try:
        pg = ctx.new_page()
        pg.goto(f"{origin}/privacy/history/")
        assert not pg.locator("form.policy-compare").is_visible()  # needs the script; the list remains
        pg.click("a.policy-history__version[href='../versions/3/']")
        assert pg.locator("#changes ins").first.is_visible()
        pg.click(".policy-view-switch__clean")  # plain links and :target
        assert not pg.locator("#changes").is_visible() and pg.locator("#clean").is_visible()
        pg.click(".policy-diff-summary a[href='#change-1']")
        assert pg.locator("#changes").is_visible()
    finally:
        ctx.close()
    watch.assert_clean()


def test_phone_viewport_version_page(served, browser, watch) -> None:
    _, origin = served
    ctx = _context(browser, watch, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                   is_mobile=True, has_touch=True)
    try:
        pg = ctx.new_page()
        pg.goto(f"{origin}/privacy/versions/4/")
        pg.locator(".policy-change-nav").wait_for(state="visible")
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"horizontal scrolling on a phone: {width}px"
        assert visible_box(pg.locator("#changes del").first)
        pg.locator(".policy-change-nav__next").tap()
        assert pg.evaluate("location.hash") == "#change-1"
        shot(pg, "zh-Hant-version-phone.png", full_page=False)
    finally:
        ctx.close()
    watch.assert_clean()


# axe-core: no serious or critical violation in our pages.  Rules excluded, and why:
AXE_DISABLED_RULES: list[str] = []


@pytest.mark.parametrize("name, path", [
    ("policy", "/privacy/"),
    ("history", "/privacy/history/"),
    ("version", "/privacy/versions/3/"),
    ("compare", "/privacy/history/?from=1&to=4#compare"),
    ("english-version", "/en/privacy/versions/2/"),
    ("lagging-translation", "/zh-Hans/privacy/"),
])
def test_axe_finds_no_serious_violations(served, browser, watch, name: str, path: str) -> None:
    _, origin = served
    # Injecting axe needs an inline script, which the site's CSP (rightly) forbids: bypass it here only.
    ctx = _context(browser, watch, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        pg = ctx.new_page()
        pg.goto(origin + path)
        if name == "compare":
            pg.wait_for_function("() => document.querySelectorAll('#compare .diff-anchor').length > 0")
        pg.add_script_tag(path=str(ensure_axe()))
        result = pg.evaluate(
            "async (disabled) => { const rules = {}; disabled.forEach(r => rules[r] = {enabled: false});"
            " const r = await axe.run(document, {resultTypes: ['violations'], rules});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})); }",
            AXE_DISABLED_RULES,
        )
    finally:
        ctx.close()
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in bad)
    watch.assert_clean()
