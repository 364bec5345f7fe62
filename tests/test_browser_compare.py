"""Compare any two versions in Chromium: the browser's diff is the build's, for every pair.

A temporary copy of the project gets 7 versions of the zh-Hant privacy policy (a word change the
browser's own segmenter used to cut differently, Han characters outside the BMP, an added list
item, a removed paragraph, a moved paragraph, a table and a cell edit, a Latin edit, a link-only
change). The site is built and served by nginx with its own headers (CSP); for EVERY pair of
versions (not only adjacent ones) the history page's compare must give exactly the markup and
summary the build's ``diff_html`` gives for the two versions' clean text (for adjacent pairs
that is also the version page's own diff). Comparing a version with itself says so.
"""

from __future__ import annotations

import html as htmllib
import itertools
import re
import urllib.parse
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nginx_server
from browser import build_site, chromium, require_nginx_and_chromium, served_at, set_site_url
from gitfixture import project_repo
from policykit.diff.htmldiff import DiffLabels, diff_html
from policykit.diff.tokendata import token_data
from policykit.pages.labels import labels_for
from test_browser import Watch, _context

playwright_sync = pytest.importorskip("playwright.sync_api")

WORD_OLD = "如政策有重大變更，我們會盡快通知您。"
WORD_NEW = "如政策有重大變更，我們會在三十日內通知您。"
ASTRAL_OLD = "本條款以𠀀為例，另見𠮷野家的說明。"
ASTRAL_NEW = "本條款以𡃁為例，另見𠮷野家與𪚥的說明。"
REMOVED = "瀏覽器、運營商、CDN、和其他組織或個人可能出於節省帶寬或其他因素緩存我們的頁面"
MOVED = "1MiX 不會使用Cookie 技術向我們的合作夥伴透露任何您的個人訊息。"
TABLE_V5 = "\n| 項目 | 保存期限 |\n| --- | --- |\n| 通訊紀錄 | 十二個月 |\n| 帳戶資料 | 帳戶存續期間 |\n"
TABLE_V6 = TABLE_V5.replace("十二個月", "二十四個月")
ITEM = "4. 當您聯繫客服時，我們會保存往來通訊的紀錄。\n"
LIST_ANCHOR = "3. 在某些情況下，如您申請1MiX 教育優惠，我們將有可能要求您提交由政府頒發的身份證件或學校訊息，但僅限於非常少的情況。\n"
VERSIONS = 7
SECTION = re.compile(r'<section class="policy-view policy-view--clean" id="clean"[^>]*>(.*?)</section>\s*</div>', re.S)


def _texts(base: str) -> list[str]:
    """The 7 versions of the policy's Markdown."""
    marker = base.index("\n## 修訂策略")
    v1 = base[:marker] + f"\n\n{WORD_OLD}\n\n{ASTRAL_OLD}\n" + base[marker:]
    v2 = v1.replace(WORD_OLD, WORD_NEW)
    v3 = v2.replace(ASTRAL_OLD, ASTRAL_NEW).replace(LIST_ANCHOR, LIST_ANCHOR + ITEM, 1)
    para = next(p for p in v3.split("\n\n") if p.startswith(REMOVED))
    v4 = v3.replace("\n\n" + para, "", 1)
    v5 = v4.replace("\n\n" + MOVED, "", 1).replace(f"\n\n{WORD_NEW}", f"\n\n{MOVED}\n\n{WORD_NEW}", 1)
    v5 = v5.replace(f"\n\n{ASTRAL_NEW}\n", f"\n\n{ASTRAL_NEW}\n{TABLE_V5}", 1)
    v6 = v5.replace(TABLE_V5, TABLE_V6).replace("Cookie 和其他技術", "Cookies 和其他技術", 1)
    v7 = v6.replace(WORD_NEW, WORD_OLD).replace("1MiX.org，是", "[1MiX.org](https://1mix.org/)，是", 1)
    out = [v1, v2, v3, v4, v5, v6, v7]
    assert len(set(out)) == VERSIONS
    return out


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_nginx_and_chromium()
    port = nginx_server.free_port()
    origin = f"http://127.0.0.1:{port}"
    repo = project_repo(tmp_path_factory.mktemp("compare") / "repo")
    set_site_url(repo, origin + "/")
    commits = {}
    for n, text in enumerate(_texts(repo.read("docs/zh-Hant/privacy.md")), start=1):
        repo.write("docs/zh-Hant/privacy.md", text)
        commits[f"v{n}"] = repo.commit(f"版本 {n}", date=f"2023-0{n}-01T10:00:00+08:00")
    site = build_site(repo, commits)
    assert site.nginx_include.exists(), site.build_log
    with served_at(site.site_dir, site.nginx_include.read_text(encoding="utf-8"), port):  # at the site_url the site was built for
        yield site, origin


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as b:
        yield b


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser, watch):
    ctx = _context(browser, watch, viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    yield pg
    ctx.close()
    watch.assert_clean()


def _clean(site, n: int) -> str:
    """The clean HTML of version n, as the build diffed it (the version page's clean section)."""
    text = (site.site_dir / "privacy" / "versions" / str(n) / "index.html").read_text(encoding="utf-8")
    m = SECTION.search(text)
    assert m, f"no clean section in version {n}"
    return m.group(1)


def _build_diff(site, a: int, b: int) -> tuple[str, str]:
    """The build's diff of versions a and b (markup, summary text) with the site's zh-Hant labels."""
    labels = labels_for("zh-Hant")
    result = diff_html(_clean(site, a), _clean(site, b), labels=DiffLabels(
        inserted=labels["diff_inserted"], deleted=labels["diff_deleted"],
        block_inserted=labels["diff_block_inserted"], block_deleted=labels["diff_block_deleted"],
        formatting=labels["diff_formatting"], moved_to=labels["diff_moved_to"],
        moved_from=labels["diff_moved_from"], change=labels["diff_change"]))
    return result.html, labels["summary"].format(**result.summary.__dict__)


def _browser_diff(page, origin: str, a: int, b: int) -> tuple[str, str]:
    page.goto(f"{origin}/privacy/history/?from={a}&to={b}#compare")
    page.wait_for_function("() => document.getElementById('compare').getAttribute('aria-busy') === null"
                           " && document.querySelector('#compare .policy-compare-result__body').childElementCount > 0")
    body = page.eval_on_selector("#compare .policy-compare-result__body > div", "e => e.innerHTML.trim()")
    return body, page.locator(".policy-compare-result__summary").inner_text()


def _as_browser_serializes(page, markup: str) -> str:
    return page.evaluate("m => new DOMParser().parseFromString('<div>' + m + '</div>', 'text/html')"
                         ".body.firstChild.innerHTML.trim()", markup)


def test_every_pair_of_versions_gives_the_build_diff(served, page) -> None:
    site, origin = served
    pairs = list(itertools.combinations(range(1, VERSIONS + 1), 2))
    assert len(pairs) == 21
    mismatches = []
    for a, b in pairs:
        built, summary = _build_diff(site, a, b)
        ours, our_summary = _browser_diff(page, origin, a, b)
        if ours != _as_browser_serializes(page, built) or our_summary != summary:
            mismatches.append((a, b))
    assert not mismatches, f"browser diff differs from the build's for {mismatches}"


def test_adjacent_pairs_equal_the_version_pages(served) -> None:
    """The build's diff computed here is the version page's own, byte for byte (the reference is sound)."""
    site, _ = served
    changes = re.compile(r'<section class="policy-view policy-view--changes" id="changes"[^>]*>(.*?)</section>\s*'
                         r'<section class="policy-view policy-view--clean"', re.S)
    for n in range(2, VERSIONS + 1):
        text = (site.site_dir / "privacy" / "versions" / str(n) / "index.html").read_text(encoding="utf-8")
        assert changes.search(text).group(1) == _build_diff(site, n - 1, n)[0]


def test_word_change_is_cut_like_the_build(served, page) -> None:
    """會[-盡快-]{+在三十日內+}: the build's jieba words, not the browser's segmenter."""
    _, origin = served
    _browser_diff(page, origin, 1, 2)
    dels = page.eval_on_selector_all("#compare del", "els => els.map(e => e.firstChild.nextSibling.textContent)")
    ins = page.eval_on_selector_all("#compare ins", "els => els.map(e => e.firstChild.nextSibling.textContent)")
    assert "盡快" in dels and "在三十日內" in ins
    assert "會盡快" not in dels


def test_astral_characters_compare_right(served, page) -> None:
    _, origin = served
    _browser_diff(page, origin, 2, 3)
    text = page.eval_on_selector("#compare .policy-compare-result__body", "e => e.textContent")
    assert "𡃁" in text and "𪚥" in text and "\ufffd" not in text


def test_version_compared_with_itself_says_so(served, page) -> None:
    _, origin = served
    page.goto(f"{origin}/privacy/history/?from=3&to=3#compare")
    page.wait_for_function("() => !document.getElementById('compare').hidden")
    title = page.locator(".policy-compare-result__title").inner_text()
    summary = page.locator(".policy-compare-result__summary").inner_text()
    labels = labels_for("zh-Hant")
    assert "至" not in title and title == labels["version_n"].format(number=3)
    assert summary == labels["compare_same"].format(version=title)


def test_compare_code_loads_only_on_history_pages(served) -> None:
    site, _ = served
    history = (site.site_dir / "privacy" / "history" / "index.html").read_text(encoding="utf-8")
    version = (site.site_dir / "privacy" / "versions" / "2" / "index.html").read_text(encoding="utf-8")
    policy = (site.site_dir / "privacy" / "index.html").read_text(encoding="utf-8")
    pattern = re.compile(r'<script src="[^"]*assets/(policy-compare|diff-match-patch)\.[0-9a-f]{12}\.js" defer>')
    assert len(pattern.findall(history)) == 2
    assert not pattern.findall(version) and not pattern.findall(policy)
    assert "policy-compare" not in policy and "diff-match-patch" not in version
    dmp = next((site.site_dir / "assets").glob("diff-match-patch.*.js")).read_text(encoding="utf-8")
    assert "Licensed under the Apache License, Version 2.0" in dmp


def test_compare_assets_are_served_immutable(served) -> None:
    """The new scripts are fingerprinted like policy.js and get its cache class (CSP: 'self' only)."""
    site, origin = served
    history = (site.site_dir / "privacy" / "history" / "index.html").read_text(encoding="utf-8")
    for name in ("policy", "policy-compare", "diff-match-patch"):
        src = re.search(rf'<script src="([^"]*assets/{name}\.[0-9a-f]{{12}}\.js)"', history).group(1)
        url = urllib.parse.urljoin(f"{origin}/privacy/history/", src)
        with urllib.request.urlopen(url) as resp:
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable", name


def test_token_data_is_small(served) -> None:
    """The token boundaries are numbers only: a fraction of the page, never the text again."""
    site, _ = served
    page = (site.site_dir / "privacy" / "versions" / "7" / "index.html").read_text(encoding="utf-8")
    data = htmllib.unescape(re.search(r'data-policy-tokens="([^"]*)"', page).group(1))
    assert re.fullmatch(r"(?:(?:[1-9A-Za-z]|\.[0-9]+\.)*;)*", data)
    assert len(data.encode()) < 0.25 * len(page.encode())


# ------------------------------------------------------------------ property test of the whole document diff

PIECES = ["會", "盡快", "在", "三十日內", "通知", "您", "我們", "收集", "個人", "資料", "兒童", "十八歲",
          "𠀀", "𠮷", "𡃁", "𪚥", "以𠀀為", "Cookie", "policy", "data", "16", "。", "，", "、", "：",
          ".", ",", " ", "「", "」"]
_text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=14).map("".join)


def _render(block: tuple[str, list[str]]) -> str:
    kind, texts = block
    t = [htmllib.escape(x, quote=False) for x in texts]
    if kind == "ul":
        return "<ul>\n" + "".join(f"<li>{x}</li>\n" for x in t) + "</ul>"
    if kind == "pstrong":
        return f"<p>{t[0]}<strong>{t[1]}</strong>{t[2]}</p>"
    if kind == "h2":
        return f'<h2 id="h">{t[0]}</h2>'
    return f"<p>{t[0]}</p>"


@st.composite
def _block(draw) -> tuple[str, list[str]]:
    kind = draw(st.sampled_from(["p", "h2", "ul", "pstrong"]))
    n = {"p": 1, "h2": 1, "pstrong": 3}.get(kind) or draw(st.integers(1, 3))
    return kind, [draw(_text) for _ in range(n)]


@st.composite
def _documents(draw) -> tuple[str, str]:
    """Well-formed HTML (as Markdown gives): blocks edited in their text, inserted, deleted, moved."""
    old = draw(st.lists(_block(), min_size=1, max_size=6))
    new = [(kind, list(texts)) for kind, texts in old]
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["edit", "insert", "delete", "move"]))
        k = draw(st.integers(0, len(new) - 1))
        if what == "edit":
            texts = new[k][1]
            m = draw(st.integers(0, len(texts) - 1))
            x = texts[m]
            a = draw(st.integers(0, len(x)))
            b = draw(st.integers(a, len(x)))
            texts[m] = x[:a] + draw(st.sampled_from(["", *PIECES])) + x[b:] or "。"
        elif what == "insert":
            new.insert(k, draw(_block()))
        elif what == "delete" and len(new) > 1:
            new.pop(k)
        elif what == "move" and len(new) > 1:
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(k))
    return "\n".join(map(_render, old)), "\n".join(map(_render, new))


@pytest.fixture(scope="module")
def history_page(served, browser):
    _, origin = served
    watch = Watch()
    ctx = _context(browser, watch, viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.goto(f"{origin}/privacy/history/")
    pg.wait_for_function("() => !!window.policyDiff")
    yield pg
    ctx.close()
    watch.assert_clean()


DIFF_IN_PAGE = """([o, n, ot, nt, labels]) => {
  const mk = (markup, tokens) => {
    const doc = new DOMParser().parseFromString('<section id="clean">' + markup + '</section>', 'text/html');
    const s = doc.getElementById('clean');
    s.setAttribute('data-policy-tokens', tokens);
    return s;
  };
  const r = window.policyDiff.diffDocuments(mk(o, ot), mk(n, nt), labels);
  const holder = document.createElement('div');
  holder.appendChild(r.node);
  return [holder.firstChild.innerHTML.trim(), r.summary];
}"""


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_documents())
def test_generated_documents_diff_like_the_build(history_page, docs) -> None:
    """Generated documents (paragraphs, headings, lists, emphasis; Han outside the BMP) edited, inserted,
    deleted and moved: the browser's document diff equals the build's diff_html."""
    old, new = docs
    labels = labels_for("zh-Hant")
    js_labels = {"inserted": labels["diff_inserted"], "deleted": labels["diff_deleted"],
                 "blockInserted": labels["diff_block_inserted"], "blockDeleted": labels["diff_block_deleted"],
                 "formatting": labels["diff_formatting"], "movedTo": labels["diff_moved_to"],
                 "movedFrom": labels["diff_moved_from"], "change": labels["diff_change"]}
    built = diff_html(old, new, labels=DiffLabels(
        inserted=labels["diff_inserted"], deleted=labels["diff_deleted"],
        block_inserted=labels["diff_block_inserted"], block_deleted=labels["diff_block_deleted"],
        formatting=labels["diff_formatting"], moved_to=labels["diff_moved_to"],
        moved_from=labels["diff_moved_from"], change=labels["diff_change"]))
    ours, summary = history_page.evaluate(DIFF_IN_PAGE, [old, new, token_data(old), token_data(new), js_labels])
    assert ours == _as_browser_serializes(history_page, built.html)
    assert {k: summary[k] for k in ("changed", "added", "removed", "moved")} == {
        k: getattr(built.summary, k) for k in ("changed", "added", "removed", "moved")}
