"""Untrusted input end to end: real temp repos, real builds.  Each case gets a clear error or safe output.

Decisions (README.md, "Front matter"): file names with # ? % quotes < > ` \\ or
control characters are refused; spaces and CJK work.  Symbolic links and
submodules under docs are refused.  Markdown pages over 1 MB are refused
(rendering 10 MB takes minutes); other files of any size are copied as they
are.  Commit dates git cannot print (before 1970) or past 2106 stop the build.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from gitfixture import GitRepo
from sitebuild import mkdocs_build, new_site, set_front_matter

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"{SCRIPT} {IMG}"
RAW = ("<script>alert(1)", "<img src=x onerror")
OUTPUTS = (".html", ".xml", ".json", ".conf", ".txt")


def outputs(project: Path) -> list[Path]:
    files = [p for d in ("site", "site-deploy") for p in (project / d).rglob("*") if p.is_file()]
    return [p for p in files if p.suffix in OUTPUTS or p.name == "_headers"]


def assert_no_error_trace(out: str) -> None:
    assert "Traceback" not in out, out


# --------------------------------------------------------------- a site that builds


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory):
    """One commit full of payloads, a CJK file name with a space, binary files; built on a detached HEAD."""
    repo = new_site(tmp_path_factory.mktemp("untrusted"))
    set_front_matter(repo, "docs/en/privacy.md", "change_note", f"'{PAYLOAD}'")
    repo.write("docs/en/隱私 政策.md", "---\ntitle: 隱私 政策\n---\n\n# 隱私 政策\n\n見 [英文版](privacy.md)。\n")
    repo.write("docs/zh-Hant/隱私 政策.md", "---\ntitle: 隱私 政策\n---\n\n# 隱私 政策\n\n正文。\n")
    repo.write("docs/zh-Hans/隱私 政策.md", "---\ntitle: 隐私 政策\n---\n\n# 隐私 政策\n\n正文。\n")
    blob = bytes(range(256)) * 64 + b"\x00\xff" * 100
    repo.write("docs/assets/blob.bin", blob)
    repo.write("docs/assets/big.pdf", os.urandom(10 * 1024 * 1024))
    repo.run("add", "-A")
    repo.run("commit", "-q", "-m", PAYLOAD, env={
        "GIT_AUTHOR_NAME": PAYLOAD, "GIT_AUTHOR_EMAIL": "x@example.org",
        "GIT_COMMITTER_NAME": PAYLOAD, "GIT_COMMITTER_EMAIL": "x@example.org",
        "GIT_AUTHOR_DATE": "2020-02-02T10:00:00+08:00", "GIT_COMMITTER_DATE": "2020-02-02T10:00:00+08:00",
    })
    repo.run("checkout", "-q", "--detach", "HEAD")
    started = time.monotonic()
    result = mkdocs_build(repo.path, "--strict")
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stdout
    return repo, blob, seconds


def test_payloads_never_reach_output_unescaped(hostile_site) -> None:
    repo, _, _ = hostile_site
    files = outputs(repo.path)
    assert len(files) > 20
    leaks = [(str(p.relative_to(repo.path)), raw) for p in files for raw in RAW
             if raw in p.read_text(encoding="utf-8", errors="replace")]
    assert leaks == []
    history = (repo.path / "site/en/privacy/history/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in history  # the change note


def test_cjk_name_with_a_space_works_end_to_end(hostile_site) -> None:
    repo, _, _ = hostile_site
    site = repo.path / "site"
    for page in ("隱私 政策/index.html", "en/隱私 政策/index.html", "en/隱私 政策/versions/1/index.html",
                 "en/隱私 政策/history/index.html"):
        assert (site / page).is_file(), page
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://policy.1mix.org/en/%E9%9A%B1%E7%A7%81%20%E6%94%BF%E7%AD%96/" in sitemap
    headers = (site / "_headers").read_text(encoding="utf-8")
    assert "/en/%E9%9A%B1%E7%A7%81%20%E6%94%BF%E7%AD%96/" in headers
    assert not re.search(r"^/[^\n]* [^\n]*$", "\n".join(line for line in headers.splitlines() if line.startswith("/")), re.M)


def test_binary_files_are_copied(hostile_site) -> None:
    repo, blob, seconds = hostile_site
    site = repo.path / "site"
    assert (site / "assets/blob.bin").read_bytes() == blob
    assert (site / "assets/big.pdf").read_bytes() == (repo.path / "docs/assets/big.pdf").read_bytes()
    print(f"build with a 10 MB binary file: {seconds:.1f} s")
    assert seconds < 120


# ------------------------------------------------------- sites that must not build


def test_refused_files_are_all_listed(tmp_path: Path) -> None:
    repo = new_site(tmp_path)
    outside = tmp_path / "secret.txt"
    outside.write_text("TOP SECRET of the build machine\n", encoding="utf-8")
    repo.write("docs/en/it's *q*.md", "---\ntitle: Q\n---\n\n# Q\n")
    repo.write("docs/en/huge.md", "# Huge\n\n" + "A policy paragraph that goes on.\n\n" * 330_000)  # ~11 MB
    (repo.path / "docs/en/leak.md").symlink_to(outside)
    (repo.path / "docs/en/alias.md").symlink_to("privacy.md")
    sub = GitRepo.init(tmp_path / "other")
    sub.write("policy.md", "# Other\n")
    sub.commit("other")
    repo.run("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "docs/en/vendor")
    repo.write("docs/en/bad-utf8.md", b"# Bad\n\n\xc3\x28 text\n")
    set_front_matter(repo, "docs/en/privacy.md", "title", f"'{PAYLOAD}'")  # fine: titles are escaped (mkdocs_titles.py)
    set_front_matter(repo, "docs/zh-Hant/privacy.md", "description", f"'{IMG}'")  # Material prints descriptions unescaped
    repo.commit("Everything")
    started = time.monotonic()
    result = mkdocs_build(repo.path, "--strict")
    seconds = time.monotonic() - started
    out = result.stdout
    assert result.returncode == 1
    assert_no_error_trace(out)
    assert seconds < 60, f"refusing a 10 MB page took {seconds:.0f} s"
    assert "7 problem(s) in the pages; nothing was built" in out
    assert "front matter key 'title'" not in out
    assert "docs/zh-Hant/privacy.md: line 3: front matter key 'description': expected plain text" in out
    assert "docs/en/it's *q*.md: its name contains '*'" in out and "Rename it (git mv)" in out
    assert re.search(r"docs/en/huge\.md: is 10\.\d MB; Markdown pages may be at most 1 MB", out)
    assert "docs/en/leak.md: is (or is inside) a symbolic link to a file outside this repository" in out
    assert "docs/en/alias.md: is (or is inside) a symbolic link to a file elsewhere in the repository" in out
    assert "docs/en/vendor: is a git submodule; its text has no history in this repository" in out
    assert "docs/en/bad-utf8.md: line 3: the file is not valid UTF-8 text" in out
    assert "TOP SECRET" not in out
    assert not (repo.path / "site").exists()


@pytest.mark.parametrize("name", ["a*b.md", ":id/a.md", "a`b.md", "a\\b.md", "a\u200bb.md"])
def test_hostile_file_names_are_refused(name: str) -> None:
    from policykit.source.schema import check_file_name
    assert check_file_name(f"en/{name}") is not None
    assert check_file_name("en/隱私 政策.md") is None


def _commit_with_raw_date(repo: GitRepo, when: str, subject: str) -> None:
    """A commit whose dates git's own porcelain refuses to write (e.g. imported from another system)."""
    repo.run("add", "-A")
    tree = repo.run("write-tree")
    parent = repo.run("rev-parse", "-q", "--verify", "HEAD", check=False)
    body = f"tree {tree}\n" + (f"parent {parent}\n" if parent else "")
    body += f"author Ed <ed@example.org> {when}\ncommitter Ed <ed@example.org> {when}\n\n{subject}\n"
    path = repo.path / ".git" / "raw-commit"
    path.write_text(body, encoding="utf-8")
    oid = repo.run("hash-object", "-t", "commit", "-w", "--literally", str(path))
    repo.run("update-ref", "HEAD", oid)


@pytest.mark.parametrize(
    "when, expected",
    [
        ("-14182980 +0000", "its committer date is unreadable (git prints '%cI')"),  # 1969-07-20
        ("7258118400 +0000", "its committer date 2200-01-01T00:00:00+00:00 is outside 1970-2106"),
    ],
)
def test_impossible_commit_dates_stop_the_build(tmp_path: Path, when: str, expected: str) -> None:
    repo = new_site(tmp_path)
    with pytest.raises(RuntimeError, match="invalid date format"):  # git itself refuses to write 1969 this way
        repo.commit("Moon landing", date="1969-07-20T20:17:00+00:00")
    _commit_with_raw_date(repo, when, "Publish")
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 1
    assert_no_error_trace(result.stdout)
    assert expected in result.stdout
    assert "git commit --amend --date" in result.stdout


def test_empty_repository_is_all_drafts(tmp_path: Path) -> None:
    repo = new_site(tmp_path)  # git init, nothing committed
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 1
    assert_no_error_trace(result.stdout)
    # mkdocs-static-i18n stops after the first language build with warnings (zh-Hant, zh-Hans, en)
    for src in ("docs/zh-Hant/privacy.md", "docs/zh-Hant/index.md"):
        assert f"{src} has uncommitted changes (or was never committed)" in result.stdout
    assert "Aborted with" in result.stdout
