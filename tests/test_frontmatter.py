"""The front matter schema (policykit.frontmatter_schema) and the editors' gate, ``mkdocs build --strict``.

Unit tests first; then two real builds of a temp repo: one with front matter
and encoding mistakes (stopped before anything is built, every problem listed),
one with the mistakes MkDocs and the hooks report as warnings (strict fails).
"""

from __future__ import annotations

from dataclasses import fields

import pytest

from conftest import PROJECT
from policykit.source import schema as fs
from policykit.settings import Settings
from sitebuild import edit, mkdocs_build, new_site


def problems(text: str | bytes) -> list[str]:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    try:
        fs.check_source(raw, "docs/en/x.md")
    except fs.FrontMatterSchemaError as exc:
        assert all(line.startswith("docs/en/x.md: ") for line in str(exc).splitlines())
        return exc.problems
    return []


def test_project_pages_pass() -> None:
    for path in sorted((PROJECT / "docs").rglob("*.md")):
        fs.check_source(path.read_bytes(), str(path))


def test_valid_front_matter() -> None:
    assert problems(
        "---\ntitle: Privacy\ndescription: ''\neffective: 2024-02-29\nchange_note: Clearer wording\n"
        "hide: [toc, navigation]\nsearch:\n  exclude: true\n  boost: 2\ntemplate: main.html\n---\n# x\n"
    ) == []
    assert problems("# No front matter\n") == []
    assert problems("---\n---\n# Empty front matter\n") == []


def test_unknown_key_suggests_the_right_one() -> None:
    [p] = problems("---\ntitle: A\nchange_nte: typo\n---\n")
    assert p.startswith("line 3: unknown front matter key 'change_nte'. Did you mean 'change_note'?")
    [p] = problems("---\nTitle: A\n---\n")
    assert "Did you mean 'title'?" in p
    [p] = problems("---\npolicy_notices: [x]\n---\n")  # keys the hooks set must not come from editors
    assert "unknown front matter key 'policy_notices'" in p and "Allowed keys: title," in p


@pytest.mark.parametrize(
    "line, expected",
    [
        ("title: ''", "line 2: front matter key 'title': expected non-empty text, found text ''."),
        ("title:", "expected non-empty text, found nothing (an empty value)"),
        ("title: 1984", "expected text (put it in quotes if it looks like a number, a date or true/false), found a number (1984)"),
        ("description: [a, b]", "front matter key 'description': expected text"),
        ("change_note: yes", "found true/false (true)"),
        ("hide: toc", "expected a list of some of: navigation, toc"),
        ("hide: [tocc]", "(unknown: tocc)"),
        ("search: {exclude: 1}", "'exclude' must be true or false"),
        ("search: {hidden: true}", "expected a mapping with 'exclude: true'"),
        ("template: ../../etc/passwd", "expected the name of a theme template"),
        ("description: '<b>Bold</b>'", "expected plain text without < > \" (use “ ” for quotes), found text '<b>Bold</b>'"),
        ("description: 'a \"quote\"'", "expected plain text without < > \" (use “ ” for quotes)"),
    ],
)
def test_wrong_values(line: str, expected: str) -> None:
    [p] = problems(f"---\n{line}\n---\n")
    assert expected in p


def test_title_may_contain_markup_characters() -> None:
    # Every title is escaped exactly once where it is written (hooks/mkdocs_titles.py, tests/test_script_injection.py).
    assert problems("---\ntitle: 'Terms \"Plus\" <Beta>'\n---\n") == []


def test_every_problem_is_listed() -> None:
    assert len(problems("---\ntitel: A\nhide: toc\ndescription: 3\n---\n")) == 3


def test_invalid_yaml_names_the_line() -> None:
    [p] = problems("---\ntitle: A\ndescription: a: b\n---\n")
    assert p.startswith("line 3: the front matter (between the '---' lines) is not valid YAML")
    [p] = problems("---\ntitle: \"unclosed\n---\n")
    assert "not valid YAML" in p and "line " in p
    [p] = problems("---\ntitle: A\ntitle: B\n---\n")
    assert p.startswith("line 3:") and "key 'title' is written twice (first on line 2)" in p
    [p] = problems("---\n- a\n- b\n---\n")
    assert "must be 'key: value' lines" in p


def test_invalid_utf8_names_the_line() -> None:
    [p] = problems(b"---\ntitle: A\n---\n\nfine\n\xff\xfe broken\n")
    assert p.startswith("line 6: the file is not valid UTF-8 text") and "Save it as UTF-8" in p


# ------------------------------------------------------------------ real builds


@pytest.fixture(scope="module")
def committed_site(tmp_path_factory: pytest.TempPathFactory):
    repo = new_site(tmp_path_factory.mktemp("fm"))
    repo.commit("Publish", date="2021-05-01T10:00:00+08:00")
    return repo


def test_build_stops_with_every_front_matter_problem(committed_site) -> None:
    repo = committed_site
    originals = {p: repo.read(p) for p in ("docs/en/privacy.md", "docs/zh-Hans/privacy.md")}
    try:
        edit(repo, "docs/en/privacy.md", "description: This", "description: This: broken")
        edit(repo, "docs/zh-Hans/privacy.md", "title: 隐私政策", "title: 隐私政策\nchange-note: 修订")
        repo.write("docs/zh-Hant/broken.md", b"---\ntitle: ok\n---\n\n\xe9\x9a\xb1\xff\n")
        result = mkdocs_build(repo.path, "--strict")
    finally:
        for p, text in originals.items():
            repo.write(p, text)
        (repo.path / "docs/zh-Hant/broken.md").unlink()
    out = result.stdout
    assert result.returncode == 1
    assert "Traceback" not in out
    assert "3 problem(s) in the pages; nothing was built" in out
    assert "docs/en/privacy.md: line 3: the front matter (between the '---' lines) is not valid YAML" in out
    assert "docs/zh-Hans/privacy.md: line 3: unknown front matter key 'change-note'. Did you mean 'change_note'?" in out
    assert "docs/zh-Hant/broken.md: line 5: the file is not valid UTF-8 text" in out
    assert not (repo.path / "site" / "index.html").exists()


def test_strict_gate_fails_with_what_to_do(committed_site) -> None:
    repo = committed_site
    edit(repo, "docs/en/privacy.md", "## General Provisions",
         "## General Provisions\n\nSee [the cookie policy](cookies.md) and [the rules](#no-such-heading).")
    repo.write("docs/zh-Hant/terms.md", "---\ntitle: 服務條款\n---\n\n# 服務條款\n\n只有中文。\n")
    repo.commit("Links and a new policy", date="2021-06-01T10:00:00+08:00")
    repo.write("docs/en/draft.md", "---\ntitle: Draft\n---\n\n# Draft\n")
    result = mkdocs_build(repo.path, "--strict")
    out = result.stdout
    assert result.returncode == 1, out
    assert "Traceback" not in out
    assert "Doc file 'en/privacy.md' contains a link 'cookies.md', but the target 'en/cookies.md' is not found" in out
    assert "Doc file 'en/privacy.md' contains a link '#no-such-heading', but there is no such anchor on this page." in out
    assert out.count("Fix the link (the path is relative to this file") == 2
    assert "docs/en/draft.md has uncommitted changes (or was never committed)" in out
    assert "git add 'docs/en/draft.md' && git commit" in out
    assert "Aborted with" in out and "warnings in strict mode" in out


def test_strict_gate_reports_missing_translations_at_info(committed_site) -> None:
    if "translation_lag" not in {f.name for f in fields(Settings)}:
        pytest.skip("extra.policy_site.translation_lag (a colleague's work) does not exist yet")
    # the previous test's build: terms.md exists only in zh-Hant
    repo = committed_site
    if not (repo.path / "docs/zh-Hant/terms.md").exists():
        pytest.skip("needs test_strict_gate_fails_with_what_to_do's repo")
    result = mkdocs_build(repo.path, "--strict")
    # translation_lag defaults to info: a missing translation is published as the original, with a notice;
    # the build still fails here on the previous test's other warnings, but not on this one.
    assert "translation(s) are behind their source text or missing; they are published" in result.stdout
    assert "terms" in result.stdout
