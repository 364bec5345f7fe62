"""Bad input, end to end (issue 9, section 5): fast, clear, nothing half-done.  Real temp repos, real builds.

* YAML aliases ("billion laughs") are refused in every YAML read: the live
  page stops the build before MkDocs parses it; a past version's front matter
  is ignored with one info line naming the file, version, commit and line.
* An unclosed ``---`` front matter and a NUL byte are errors naming the file and line.
* Names that _headers cannot express (``*``, a ``:``-led segment), names that
  differ only in case, and committed files at a path the build generates are
  refused before anything is built.
* An empty repository builds its drafts (non-strict); ``fallback_to_build_date`` says why.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from sitebuild import edit, mkdocs_build, new_site


def alias_bomb(depth: int) -> str:
    """About 1 KB of YAML that stands for 9**depth strings once its aliases are expanded."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, depth)]
    return "\n".join(lines) + f"\nchange_note: *l{depth - 1}\n"


def with_front_matter(repo, relpath: str, yaml_text: str) -> None:
    text = repo.read(relpath)
    _, _, body = text[4:].partition("\n---\n")
    repo.write(relpath, "---\n" + yaml_text + "---\n" + body)


def assert_clean_refusal(project: Path, out: str) -> None:
    assert "Traceback" not in out, out
    assert "nothing was built" in out, out
    assert not (project / "site").exists() or not any((project / "site").iterdir())


# ------------------------------------------------------------------ YAML aliases


def test_alias_bomb_in_live_front_matter_fails_fast(tmp_path: Path) -> None:
    repo = new_site(tmp_path)
    bomb = alias_bomb(9)
    assert len(bomb) < 1100
    with_front_matter(repo, "docs/en/privacy.md", "title: Privacy\n" + bomb)
    repo.commit("A bomb in the front matter")
    started = time.monotonic()
    result = mkdocs_build(repo.path, "--strict")
    seconds = time.monotonic() - started
    assert result.returncode == 1
    assert seconds < 5, f"refusing the alias bomb took {seconds:.1f} s"
    assert "docs/en/privacy.md: line 4: front matter: YAML aliases ('*name') are not allowed" in result.stdout
    assert_clean_refusal(repo.path, result.stdout)


def test_alias_bomb_in_a_past_change_note_is_refused(tmp_path: Path) -> None:
    repo = new_site(tmp_path)
    repo.commit("First publication", date="2021-01-04T10:00:00+08:00")
    edit(repo, "docs/en/privacy.md", "## General Provisions", "## General Provisions\n\nSecond version.")
    with_front_matter(repo, "docs/en/privacy.md", "title: Privacy Policy\n" + alias_bomb(9))
    repo.commit("Second version", date="2021-02-04T10:00:00+08:00")  # never built: --strict refuses it
    edit(repo, "docs/en/privacy.md", "Second version.", "Third version.")
    with_front_matter(repo, "docs/en/privacy.md", "title: Privacy Policy\nchange_note: Third version.\n")
    bomb_commit = repo.run("rev-parse", "--short=12", "HEAD")
    repo.commit("Third version", date="2021-03-04T10:00:00+08:00")
    started = time.monotonic()
    result = mkdocs_build(repo.path, "--strict")
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stdout
    assert seconds < 60
    assert re.search(
        rf"INFO +- +docs/en/privacy\.md, version 2 \(commit {bomb_commit}\): its front matter is ignored: "
        r"front matter is not valid YAML at line 4: YAML aliases \('\*name'\) are not allowed", result.stdout
    ), result.stdout
    assert result.stdout.count("its front matter is ignored") == 1  # once, not once per language or page
    site = repo.path / "site"
    biggest = max(p.stat().st_size for p in site.rglob("*") if p.is_file() and p.suffix in (".xml", ".html", ".json"))
    assert biggest < 2_000_000
    feed = (site / "en/privacy/feed.xml").read_text(encoding="utf-8")
    assert "lol" not in feed
    assert "No summary given" in feed and "Third version." in feed  # v2's front matter is ignored: no note


def test_safe_yaml_refuses_aliases_and_deep_nesting() -> None:
    from policykit.source import safeyaml
    from policykit.source.text import FrontMatterError, parse_front_matter

    with pytest.raises(FrontMatterError, match=r"at line 4: YAML aliases .* \(found '\*b'\)"):
        parse_front_matter(b"title: x\na: &b [1, 2]\nc: *b\n")
    with pytest.raises(FrontMatterError, match="at line 3: YAML aliases"):
        parse_front_matter(b"base: &b {title: x}\n<<: *b\n")
    with pytest.raises(FrontMatterError, match=f"nested more than {safeyaml.MAX_DEPTH} deep"):
        parse_front_matter(b"title: " + b"[" * 100_000 + b"\n")  # PyYAML alone: RecursionError
    assert parse_front_matter(b"title: x\nhide: [toc]\nsearch: {boost: 2}\n") == {
        "title": "x", "hide": ["toc"], "search": {"boost": 2}}


def test_every_yaml_read_refuses_aliases_and_deep_nesting(tmp_path: Path) -> None:
    """The schema check, the ``effective`` read and corrections.yml go through the one reader (safeyaml.read)."""
    from policykit.history.corrections import CorrectionsError, load_corrections
    from policykit.pages.effective import effective_of_source
    from policykit.source import safeyaml
    from policykit.source.schema import FrontMatterSchemaError, load_front_matter

    deep = "[" * 100_000 + "\n"  # PyYAML alone: RecursionError
    corrections = tmp_path / "corrections.yml"
    corrections.write_text("- " + deep, encoding="utf-8")
    with pytest.raises(CorrectionsError, match=rf"corrections.yml:1: lists and mappings are nested more than "
                                               rf"{safeyaml.MAX_DEPTH} deep"):
        load_corrections(corrections)
    corrections.write_text("- &e {policy: privacy}\n- *e\n", encoding="utf-8")
    with pytest.raises(CorrectionsError, match=r"corrections.yml:2: YAML aliases \('\*name'\) are not allowed"):
        load_corrections(corrections)
    with pytest.raises(FrontMatterSchemaError, match="line 2: front matter: lists and mappings are nested more"):
        load_front_matter(b"---\ntitle: " + deep.encode() + b"---\n", "docs/en/x.md")
    assert effective_of_source(b"---\neffective: " + deep.encode() + b"---\n", {"effective": "2024-01-02"}) is not None
    # the schema keeps dates as text (so 2024-02-30 gets its own message), the effective read keeps every scalar text
    assert load_front_matter(b"---\neffective: 2024-02-30\ntitle: x\n---\n", "x.md").data == {
        "effective": "2024-02-30", "title": "x"}
    assert safeyaml.load("n: 2\n", safeyaml.BaseLoader) == {"n": "2"}
    document = safeyaml.read("a: 1\nb: [2]\n")
    assert document.data == {"a": 1, "b": [2]}
    assert [key.start_mark.line for key, _ in document.node.value] == [0, 1]


# ---------------------------------------------------- unclosed front matter, NUL


@pytest.mark.parametrize(
    "text",
    ["---\ntitle: Privacy\nchange_note: x\n\n# Privacy\n\nText.\n",  # no closing line at all
     "---\ntitle: Privacy\n---",  # closed, but without a line break MkDocs reads no front matter
     "---\n\nA horizontal rule first, then text.\n"],
)
def test_unclosed_front_matter_is_an_error(text: str) -> None:
    from policykit.source import schema as fs

    with pytest.raises(fs.FrontMatterSchemaError) as err:
        fs.check_source(text.encode("utf-8"), "docs/en/x.md")
    assert str(err.value).startswith("docs/en/x.md: line 1: the file starts with '---' (front matter) but no line")
    assert "Add a line '---'" in str(err.value)
    fs.check_source(b"---\ntitle: A\n---\n# A\n", "docs/en/x.md")
    fs.check_source(b"---\ntitle: A\n...\n# A\n", "docs/en/x.md")
    fs.check_source(b"# A\n\n---\n\nText\n", "docs/en/x.md")


@pytest.fixture(scope="module")
def refused_build(tmp_path_factory: pytest.TempPathFactory):
    """One commit with every name and content problem of this section; built with --strict."""
    repo = new_site(tmp_path_factory.mktemp("refused"))
    text = "---\ntitle: Cookies\n---\n\n# Cookies\n\nText.\n"
    repo.write("docs/en/unclosed.md", "---\ntitle: Unclosed\n\n# Unclosed\n\nThe YAML would be shown.\n")
    repo.write("docs/en/nul.md", "# NUL\n\nText\n\nBefore\x00after.\n")
    repo.write("docs/en/star*.md", text)
    repo.write("docs/en/:lang/terms.md", text)
    repo.write("docs/en/Privacy.md", text)  # beside docs/en/privacy.md
    repo.write("docs/en/cookies.md", text)
    repo.write("docs/en/cookies/index.md", text)  # the same URL as cookies.md
    repo.write("docs/zh-Hant/privacy/history/index.md", text)
    repo.write("docs/zh-Hant/feed.xml", "<feed/>\n")
    repo.write("docs/zh-Hant/_headers", "/*\n  X-Frame-Options: ALLOWALL\n")
    repo.write("docs/zh-Hant/_redirects", "/*  /index.html  200\n")
    repo.write("docs/manifest.json", "{}\n")
    repo.write("docs/en/privacy/versions/1/index.md", text)
    repo.write("docs/zh-Hans/privacy/Feed.xml", "<feed/>\n")
    repo.commit("Everything wrong")
    started = time.monotonic()
    result = mkdocs_build(repo.path, "--strict")
    return repo, result, time.monotonic() - started


def test_bad_input_is_refused_before_the_build(refused_build) -> None:
    repo, result, seconds = refused_build
    out = result.stdout
    assert result.returncode == 1
    assert seconds < 30
    assert_clean_refusal(repo.path, out)
    assert "13 problem(s) in the pages; nothing was built" in out, out


def test_unclosed_front_matter_and_nul_in_a_build(refused_build) -> None:
    _, result, _ = refused_build
    assert "docs/en/unclosed.md: line 1: the file starts with '---' (front matter) but no line '---'" in result.stdout
    assert "docs/en/nul.md: line 5: the file contains a NUL byte" in result.stdout


def test_names_headers_cannot_express_are_refused_first(refused_build) -> None:
    _, result, _ = refused_build
    out = result.stdout
    assert "docs/en/star*.md: its name contains '*', which is a wildcard in _headers" in out
    assert "docs/en/:lang/terms.md: a part of its path starts with ':'" in out
    assert out.count("Rename it (git mv)") == 2


def test_names_that_differ_only_in_case(refused_build) -> None:
    _, result, _ = refused_build
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert ("docs/en/Privacy.md and docs/en/privacy.md: names differ only in case (one URL on case-insensitive "
            "servers and CDNs). Rename one (git mv).") in lines
    assert "docs/en/cookies.md and docs/en/cookies/index.md: both would be published at en/cookies/index.html. " \
           "Keep one (git mv or git rm)." in lines


@pytest.mark.parametrize(
    "src, dest, what",
    [
        ("docs/zh-Hant/privacy/history/index.md", "privacy/history/index.html", "the policy's history page"),
        ("docs/zh-Hant/feed.xml", "feed.xml", "the language's feed"),
        ("docs/zh-Hant/_headers", "_headers", "the cache headers file"),
        ("docs/zh-Hant/_redirects", "_redirects", "the Netlify redirects file (404 per folder)"),
        ("docs/manifest.json", "manifest.json", "the deploy manifest"),
        ("docs/en/privacy/versions/1/index.md", "en/privacy/versions/1/index.html", "a version page of the policy"),
        ("docs/zh-Hans/privacy/Feed.xml", "zh-Hans/privacy/Feed.xml", "the policy's feed"),
    ],
)
def test_files_at_generated_paths_are_refused(refused_build, src: str, dest: str, what: str) -> None:
    _, result, _ = refused_build
    assert f"{src}: would be published at {dest}, where the build writes {what}. Rename or move it (git mv)." \
        in result.stdout


def test_a_deleted_policys_archive_is_a_generated_path(tmp_path: Path) -> None:
    repo = new_site(tmp_path)
    repo.write("docs/en/terms.md", "---\ntitle: Terms\n---\n\n# Terms\n\nText.\n")
    repo.commit("Terms", date="2021-01-04T10:00:00+08:00")
    repo.rm("docs/en/terms.md")  # retired: its history and versions stay published under en/terms/
    repo.write("docs/en/terms/history.md", "# Not the history\n")
    repo.commit("Retire the terms", date="2021-02-04T10:00:00+08:00")
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 1
    assert "docs/en/terms/history.md: would be published at en/terms/history/index.html, where the build " \
        "writes the policy's history page." in result.stdout
    assert_clean_refusal(repo.path, result.stdout)


def test_every_generated_path_is_in_the_registry() -> None:
    """The generators take their paths from policykit.generated, so the check cannot miss one of them."""
    import policykit.pages.archive as archive
    import policykit.deploy.cache_rules as cache_rules
    import policykit.deploy.error_pages as error_pages
    import policykit.pages.feeds as feeds
    from policykit import generated

    registered = {(o.scope, o.pattern) for o in generated.outputs()}
    assert (generated.SITE, cache_rules.HEADERS_FILE) in registered
    assert (generated.SITE, cache_rules.MANIFEST_FILE) in registered
    assert (generated.SITE, error_pages.REDIRECTS_FILE) in registered
    assert (generated.LANGUAGE, feeds.language_feed_path("")) in registered
    assert (generated.POLICY, feeds.policy_feed_path("en/privacy/index.html").removeprefix("en/privacy/")) in registered
    assert (generated.POLICY, archive.history_path("privacy/index.html").removeprefix("privacy/")) in registered
    version = archive.version_path("en/privacy/index.html", 7).removeprefix("en/privacy/")
    assert any(scope == generated.POLICY and re.fullmatch(o.regex(), version)
               for o in generated.outputs() for scope in [o.scope])


# ------------------------------------------------------- empty repository, fallback


def test_empty_repository_builds_drafts_without_strict(tmp_path: Path) -> None:
    repo = new_site(tmp_path)  # git init, nothing committed
    result = mkdocs_build(repo.path)
    assert result.returncode == 0, result.stdout
    assert "Traceback" not in result.stdout
    site = repo.path / "site"
    assert (site / "404.html").is_file() and (site / "manifest.json").is_file()
    assert "policy-stamp--draft" in (site / "en/privacy/index.html").read_text(encoding="utf-8")


def test_fallback_to_build_date_says_why(tmp_path: Path) -> None:
    repo = new_site(tmp_path)
    shutil.rmtree(repo.path / ".git")  # a folder that is not a repository (an export, a tarball)
    text = repo.read("mkdocs.yml").replace("  - policy-site:\n", "  - policy-site:\n      fallback_to_build_date: true\n", 1)
    repo.write("mkdocs.yml", text)
    result = mkdocs_build(repo.path, "--strict", env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert result.returncode == 0, result.stdout
    assert re.search(
        r"INFO +- +fallback_to_build_date: every page is stamped with the build date 2023-11-14T22:13:20\+00:00, "
        r"because: .*not .*git", result.stdout
    ), result.stdout
