"""The render cache key covers every input of a version page's HTML (issue 9, section 1).

Real builds of a temp repo, one after another with the cache kept: each
changes one input (an extension setting's value, a page a past version links
to, the rendering code, an installed package's version) and the version pages
must follow it, exactly as a build without the cache would.
"""

from __future__ import annotations

import os

import re
import shutil
from pathlib import Path

import pytest

from sitebuild import edit, html_of, mkdocs_build, new_site, set_setting

from policykit.pages import render_inputs
from policykit.pages.markdown_render import MarkdownRenderer
from policykit.pages.render_cache import RenderCache
from policykit.pages.version_pages import PolicyJob, VersionRenderer
from policykit.pages.archive import VersionEntry
from policykit.history.versions import Version

EN = "docs/en/privacy.md"
V1 = "en/privacy/versions/1/index.html"
V2 = "en/privacy/versions/2/index.html"
RENDERED = re.compile(r"Wrote \d+ version pages for 'en' .*?\((\d+) rendered")

#: Appended to the temp project's own markdown_render.py: the rendering code changes its output.
CODE_CHANGE = '''

_pk_convert = markdown.Markdown.convert


def _pk_marked(self, source):
    return _pk_convert(self, source) + '<p class="pk-code-v2">code v2</p>'


markdown.Markdown.convert = _pk_marked
'''


def _clean_view(html: str) -> str:
    m = re.search(r'<section class="policy-view policy-view--clean" id="clean"[^>]*>(.*?)</section>', html, re.DOTALL)
    assert m, "no clean view"
    return m.group(1)


def _build(repo, *args: str, env: dict[str, str] | None = None, keep_archive: bool = True) -> str:
    """Build *repo*; with ``keep_archive=False`` the archives kept by the build before are dropped first, so
    that the render cache alone serves (its counts are what ``_rendered`` reads).  With them kept, the pages
    checked below also show that the archive store's key follows the same inputs (policykit.mkdocs.archive_store)."""
    if not keep_archive:
        shutil.rmtree(repo.path / ".cache/policy-site/archive", ignore_errors=True)
    # The project's own copy of the package first, so an edit of its code in the test reaches the build.
    paths = [str(repo.path / "hooks"), *([env["PYTHONPATH"]] if env and env.get("PYTHONPATH") else [])]
    result = mkdocs_build(repo.path, "-v", *args, env={**(env or {}), "PYTHONPATH": os.pathsep.join(paths)})
    assert result.returncode == 0, result.stdout[-3000:]
    return result.stdout


def _kept(log: str) -> int:
    """Policies whose English archive the build kept from the build before."""
    found = re.findall(r"Archive \(en\): (\d+) of \d+ policies unchanged", log)
    return int(found[0]) if found else 0


def _rendered(log: str) -> int:
    found = RENDERED.findall(log)
    assert found, log[-2000:]
    return int(found[0])


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory):
    """One repo built seven times with its cache kept; the version pages of each step."""
    base = tmp_path_factory.mktemp("render-inputs")
    repo = new_site(base)
    site = repo.path / "site"
    set_setting(repo, "policy_exclude", '["index.md", "faq.md"]')  # the FAQ is a plain page, not a policy
    edit(repo, EN, "## General Provisions\n", "## General Provisions\n\nQuestions? See the [FAQ](faq.md#top).\n")
    repo.commit("Publish", date="2020-01-01T10:00:00+08:00")
    edit(repo, EN, "1MiX.org is the publisher", "1MiX.org, a company, is the publisher")
    repo.commit("Name the company", date="2020-02-01T10:00:00+08:00")
    out: dict[str, object] = {}

    _build(repo)  # permalink: true, as in the project's mkdocs.yml
    out["permalink_true"] = html_of(site, V1)

    edit(repo, "mkdocs.yml", "permalink: true", "permalink: false")
    _build(repo)
    out["permalink_false"] = html_of(site, V1)

    repo.write("docs/en/faq.md", "# FAQ\n\nAnswers.\n")
    repo.commit("Add the FAQ", date="2020-03-01T10:00:00+08:00")
    _build(repo)
    out["faq_added"] = html_of(site, V1)

    repo.rm("docs/en/faq.md")
    repo.commit("Remove the FAQ", date="2020-04-01T10:00:00+08:00")
    _build(repo)
    out["faq_removed"] = (html_of(site, V1), html_of(site, V2))
    shutil.rmtree(repo.path / ".cache/policy-site/render")
    _build(repo, keep_archive=False)
    out["faq_removed_no_cache"] = (html_of(site, V1), html_of(site, V2))

    target = repo.path / "hooks/policykit/pages/markdown_render.py"
    target.write_text(target.read_text(encoding="utf-8") + CODE_CHANGE, encoding="utf-8")
    _build(repo)
    out["code_changed"] = html_of(site, V1)

    fake = base / "fake-dists"
    dist = fake / "pymdown_extensions-99.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pymdown-extensions\nVersion: 99.0\n", encoding="utf-8")
    out["same_versions"] = _rendered(_build(repo, keep_archive=False))
    env = {"PYTHONPATH": str(fake)}
    out["new_pymdownx"] = _rendered(_build(repo, env=env, keep_archive=False))
    out["new_pymdownx_again"] = _rendered(_build(repo, env=env, keep_archive=False))
    out["archive_kept_same"] = _kept(_build(repo, env=env))
    out["archive_kept_after_downgrade"] = _kept(_build(repo))
    return out


def test_toc_permalink_value_is_in_the_key(builds) -> None:
    assert 'class="headerlink"' in _clean_view(builds["permalink_true"])
    # toc: {permalink: false} has the same names and keys as {permalink: true}: the old key served the links.
    assert 'class="headerlink"' not in _clean_view(builds["permalink_false"])


def test_a_page_added_later_resolves_in_a_past_version(builds) -> None:
    before = _clean_view(builds["permalink_false"])
    assert 'href="faq.md#top"' in before  # no such page yet: left as written
    after = _clean_view(builds["faq_added"])
    assert 'href="../../../faq/#top"' in after
    assert "faq.md" not in after


def test_a_page_removed_later_leaves_no_stale_link(builds) -> None:
    cached, fresh = builds["faq_removed"], builds["faq_removed_no_cache"]
    assert 'href="faq.md#top"' in _clean_view(cached[0])
    assert cached == fresh  # the same bytes as a build without the render cache


def test_code_change_reaches_the_clean_view(builds) -> None:
    assert "pk-code-v2" not in builds["faq_removed"][0]
    assert "pk-code-v2" in _clean_view(builds["code_changed"])


def test_installed_package_version_is_in_the_key(builds) -> None:
    assert builds["same_versions"] == 0  # nothing changed: all from cache
    assert builds["new_pymdownx"] >= 2  # pymdown-extensions "upgraded": every en version rendered again
    assert builds["new_pymdownx_again"] == 0  # and cached under the new version
    assert builds["archive_kept_same"] == 1  # the archive store keeps the page when nothing changed
    assert builds["archive_kept_after_downgrade"] == 0  # but not across a version of pymdown-extensions


# ------------------------------------------------------------- the key function itself


def test_installed_versions_name_the_renderers_and_the_theme() -> None:
    from importlib.metadata import version

    found = render_inputs.installed_versions(["toc", "pymdownx.superfences", "material.extensions.emoji"])
    for dist in ("markdown", "pymdown-extensions", "mkdocs-material", "mkdocs"):
        assert found[dist] == version(dist)


def test_setting_values_change_the_fingerprint() -> None:
    from pymdownx import slugs

    def fp(conf: dict) -> str | None:
        return MarkdownRenderer(["toc"], {"toc": conf}).fingerprint

    assert fp({"permalink": True}) != fp({"permalink": False})
    assert fp({"permalink": True}) == fp({"permalink": True})
    lower, fold = slugs.slugify(case="lower"), slugs.slugify(case="fold")
    assert fp({"slugify": lower}) is not None
    assert fp({"slugify": lower}) == fp({"slugify": slugs.slugify(case="lower")})  # a new object, the same key
    assert fp({"slugify": lower}) != fp({"slugify": fold})


class _Opaque:
    pass


def test_a_value_without_a_stable_form_is_never_cached(tmp_path: Path) -> None:
    for bad in (lambda text, sep: text, _Opaque()):
        r = MarkdownRenderer(["toc"], {"toc": {"slugify": bad}})
        assert r.fingerprint is None and "toc" in (r.why_uncacheable or "")
    # Two builds with such a setting share a cache folder: the second renders everything again.
    blob = b"# Title\n\nText.\n"
    version = Version(1, "c" * 40, None, "", "", "", "b" * 40, "docs/p.md", "p.md")  # type: ignore[arg-type]
    entry = VersionEntry(version, 1, "", None, None, None, None)  # type: ignore[arg-type]
    job = PolicyJob("p.md", [entry], "p/versions/1/", lambda _src: None)
    counts = []
    for _ in range(2):
        renderer = MarkdownRenderer(["toc"], {"toc": {"slugify": lambda text, sep: text}})
        vr = VersionRenderer(renderer, RenderCache(tmp_path, "ns"), lambda oids: iter([(o, blob) for o in oids]))
        assert [rv.clean_html for _, rv in vr.render([job])] == ['<h1 id="Title">Title</h1>\n<p>Text.</p>']
        counts.append(vr.rendered)
    assert counts == [1, 1]
    stable = MarkdownRenderer(["toc"], {"toc": {"permalink": True}})
    for expected in (1, 0):
        vr = VersionRenderer(stable, RenderCache(tmp_path, "ns"), lambda oids: iter([(o, blob) for o in oids]))
        list(vr.render([job]))
        assert vr.rendered == expected


_FINGERPRINT_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from pymdownx import slugs
from policykit.pages.markdown_render import MarkdownRenderer
exts = ["toc", "tables", "attr_list", "pymdownx.superfences", "pymdownx.tasklist"]
conf = {"toc": {"permalink": True, "slugify": slugs.slugify(case="lower"), "toc_depth": "2-3"},
        "pymdownx.superfences": {"custom_fences": [{"name": "mermaid", "class": "mermaid",
                                                     "format": slugs.slugify}]},
        "pymdownx.tasklist": {"custom_checkbox": True, "clickable_checkbox": False}}
from policykit.pages.render_inputs import stable_repr
print(MarkdownRenderer(exts, conf).fingerprint, stable_repr({"names": {"b", "a", "c", "d", "e"}}))
"""


def test_the_fingerprint_is_the_same_in_every_process() -> None:
    import subprocess
    import sys

    hooks = str(Path(__file__).resolve().parent.parent / "hooks")
    seen = set()
    for seed in ("1", "2", "3"):
        out = subprocess.run([sys.executable, "-c", _FINGERPRINT_SCRIPT, hooks], capture_output=True, text=True,
                             env={**__import__("os").environ, "PYTHONHASHSEED": seed}, check=True)
        seen.add(out.stdout.strip())
    assert len(seen) == 1 and "None" not in seen


SLUG_MODULE = '''
class _Slugger:
    def slug(self, text, sep):
        return "-".join(text.lower().split()).replace("-", sep)


slugify = _Slugger().slug  # a bound method of an object without a stable form: the render cache cannot key it
'''


def test_a_site_whose_markdown_setting_cannot_be_keyed_builds_without_the_cache(tmp_path: Path) -> None:
    import os

    repo = new_site(tmp_path)
    repo.write("slugmod.py", SLUG_MODULE)
    edit(repo, "mkdocs.yml", "      permalink: true\n", "      permalink: true\n      slugify: !!python/name:slugmod.slugify\n")
    repo.commit("Publish", date="2020-01-01T10:00:00+08:00")
    edit(repo, EN, "1MiX.org is the publisher", "1MiX.org, a company, is the publisher")
    repo.commit("Name the company", date="2020-02-01T10:00:00+08:00")
    env = {"PYTHONPATH": os.pathsep.join(p for p in (str(repo.path), os.environ.get("PYTHONPATH", "")) if p)}
    log = _build(repo, env=env)  # this branch used to end in AttributeError: common.STATE
    assert log.count("Render cache not used") == 1, log[-3000:]  # once per build, not once per language
    assert "AttributeError" not in log
    assert (repo.path / "site" / V1).is_file()


def test_versions_render_once_and_pages_parse_no_html_after_prewarm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: a revert renders no Markdown again; prewarm's workers make each version's token data from the
    diff's own parse, so writing the pages afterwards parses no HTML (before, the main process parsed every
    clean text once more for data-policy-tokens, on one core)."""
    from policykit.diff import blocks, htmldiff, tokendata
    from policykit.pages import render_pool
    from policykit.pages.version_pages import prewarm

    if not render_pool.available():
        pytest.skip("prewarm needs fork")
    texts = {"a" * 40: "# T\n\nOne 一二 two.\n\n- x\n- y\n", "b" * 40: "# T\n\nOne 一三 two three.\n\n- x\n"}
    entries = []
    for n, blob in enumerate(["a" * 40, "b" * 40, "a" * 40], start=1):  # version 3 reverts to version 1's text
        version = Version(n, f"{n}" * 40, None, "", "", "", blob, "docs/p.md", "p.md")  # type: ignore[arg-type]
        entries.append(VersionEntry(version, n, "", None, None, None, None))  # type: ignore[arg-type]
    job = PolicyJob("p.md", entries, "p/versions/1/", lambda _src: None)

    def read(oids: list[str]):
        return iter([(o, texts[o].encode()) for o in oids])

    def make() -> VersionRenderer:
        return VersionRenderer(MarkdownRenderer(["toc"], {}), RenderCache(tmp_path, "ns"), read)

    warmed = prewarm(make(), [job], timeout=30, workers=1)
    assert warmed == 4  # two Markdown renders (the revert is the first text again) and two diffs
    expected = {}
    for _, rv in make().render([job]):
        expected[rv.entry.number] = (rv.clean_html, rv.diff_html, tokendata.token_data(rv.clean_html))

    def no_parse(*_a: object, **_k: object) -> None:
        raise AssertionError("HTML parsed again after prewarm")

    monkeypatch.setattr(blocks, "parse_html", no_parse)
    monkeypatch.setattr(htmldiff, "parse_html", no_parse)
    monkeypatch.setattr(tokendata, "parse_html", no_parse)
    vr = make()
    got = {rv.entry.number: (rv.clean_html, rv.diff_html, rv.tokens) for _, rv in vr.render([job])}
    assert got == expected and vr.rendered == 0
    assert expected[1][0] == expected[3][0] and expected[1][2] and expected[2][2] != expected[1][2]


def test_token_data_reusing_the_version_befores_text_nodes_is_the_same() -> None:
    """The token data a renderer makes with the version before's text nodes (issue 13) equals a fresh pass,
    with characters outside the BMP (two UTF-16 units) in unchanged and changed text nodes; a diff whose old
    side is the diff before's parse equals one that parses both texts."""
    from policykit.diff import htmldiff, tokendata

    versions = [
        "<h1>Terms</h1><p>We keep data 𠀀 for 30 days.</p><ul><li>email</li><li>名字與電話</li></ul>",
        "<h1>Terms</h1><p>We keep data 𠀀 for 60 days.</p><ul><li>email</li><li>名字與電話 𩸽</li></ul>",
        "<h1>Terms</h1><p>We keep <em>data</em> 𠀀 for 60 days.</p><ul><li>email</li></ul><p>New 一二三。</p>",
    ]
    known: dict[str, str] = {}
    seen: dict[str, str] = {}
    first = tokendata.token_data(versions[0], known, seen)
    assert first == tokendata.token_data(versions[0]) and seen
    parsed: htmldiff.Parsed | None = None  # the diff before's parse of its new text serves as this one's old side
    for old, new in zip(versions[:-1], versions[1:], strict=True):
        known, seen = seen, {}
        diff, tokens, parsed = htmldiff.diff_html_and_tokens(parsed or old, new, known=known, seen=seen)
        assert tokens == tokendata.token_data(new)
        assert diff == htmldiff.diff_html(old, new)
    assert "2" in tokendata.token_data("<p>𠀀</p>")  # one character, two UTF-16 units
