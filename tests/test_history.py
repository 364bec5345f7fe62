"""Policy versions from real git history (policykit.history), case by case."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gitfixture import GitRepo
from policykit.history import gitrepo
from policykit.history.gitrepo import GitError
from policykit.history.versions import HistoryOptions, NotARepositoryError, ShallowCloneError, read_history
from policykit.pages.stamp import make_stamp

D1 = "2019-01-10T09:00:00+08:00"
D2 = "2019-02-20T15:30:00+08:00"
D3 = "2019-03-05T08:15:00+08:00"
D4 = "2019-04-01T12:00:00+08:00"
D5 = "2019-05-01T12:00:00+08:00"
D6 = "2019-06-01T12:00:00+08:00"

BODY = "# Privacy\n\nWe keep your data safe.\n\nWe never sell it.\n"


def dt(s: str) -> datetime:
    return datetime.fromisoformat(s)


def read(repo: GitRepo, docs: str = "docs", **options):
    return read_history(repo.path / docs, HistoryOptions(**options))


def assert_versions(fh, expected: list[tuple[str, str]]) -> None:
    """*expected*: (commit id, ISO date) per version, in order; numbers must be 1..n."""
    got = [(v.number, v.commit, v.date) for v in fh.versions]
    want = [(i, c, dt(d)) for i, (c, d) in enumerate(expected, 1)]
    assert got == want
    for v, (_, d) in zip(fh.versions, expected, strict=True):
        assert v.date.tzinfo is not None
        assert v.date.utcoffset() == dt(d).utcoffset()  # the offset as committed, not only the instant


# ---------------------------------------------------------------- basics


def test_linear_edits(git_repo: GitRepo):
    git_repo.write("docs/privacy.md", BODY)
    c1 = git_repo.commit("add", date=D1)
    git_repo.write("docs/privacy.md", BODY + "\nRule two.\n")
    c2 = git_repo.commit("edit", date=D2)
    git_repo.write("docs/privacy.md", BODY + "\nRule two, amended.\n")
    c3 = git_repo.commit("edit again", date=D3)

    hist = read(git_repo)
    fh = hist.get("privacy.md")
    assert_versions(fh, [(c1, D1), (c2, D2), (c3, D3)])
    assert not fh.draft and fh.retired is None
    assert fh.latest.subject == "edit again"
    assert (fh.latest.author, fh.latest.author_email) == ("Editor", "ed@example.org")
    assert fh.latest.path == "docs/privacy.md" and fh.latest.src_path == "privacy.md"
    assert hist.head == c3
    assert hist.drafts == []
    assert hist.last_modified("privacy.md") == dt(D3)


def test_commit_outside_the_file_is_not_a_version(git_repo: GitRepo):
    git_repo.write("docs/privacy.md", BODY)
    c1 = git_repo.commit("add", date=D1)
    git_repo.write("docs/terms.md", "# Terms\n")
    git_repo.write("README.md", "readme\n")
    c2 = git_repo.commit("other files", date=D2)
    hist = read(git_repo)
    assert_versions(hist.get("privacy.md"), [(c1, D1)])
    assert_versions(hist.get("terms.md"), [(c2, D2)])
    assert "README.md" not in hist.files and "../README.md" not in hist.files


# ---------------------------------------------------------------- moves


def test_rename_is_followed_and_is_not_a_version(git_repo: GitRepo):
    git_repo.write("docs/privacy.md", BODY)
    c1 = git_repo.commit("add", date=D1)
    git_repo.mv("docs/privacy.md", "docs/privacy-policy.md")
    git_repo.commit("rename", date=D2)
    git_repo.write("docs/privacy-policy.md", BODY + "\nNew rule.\n")
    c3 = git_repo.commit("edit", date=D3)

    hist = read(git_repo)
    assert "privacy.md" not in hist.files  # the old name is not a retired policy: it moved
    fh = hist.get("privacy-policy.md")
    assert_versions(fh, [(c1, D1), (c3, D3)])
    assert fh.versions[0].path == "docs/privacy.md" and fh.versions[0].src_path == "privacy.md"
    assert fh.versions[1].path == "docs/privacy-policy.md"
    assert hist.retired == []


def test_move_into_another_folder_then_edit(git_repo: GitRepo):
    git_repo.write("docs/en/privacy.md", BODY)
    c1 = git_repo.commit("add", date=D1)
    git_repo.mv("docs/en/privacy.md", "docs/legal/en/privacy.md")
    git_repo.commit("move into legal/", date=D2)
    hist = read(git_repo)
    assert_versions(hist.get("legal/en/privacy.md"), [(c1, D1)])  # the move alone is not a version

    git_repo.write("docs/legal/en/privacy.md", BODY.replace("safe", "secure"))
    c3 = git_repo.commit("edit", date=D3)
    hist = read(git_repo)
    assert set(hist.files) == {"legal/en/privacy.md"}
    assert_versions(hist.get("legal/en/privacy.md"), [(c1, D1), (c3, D3)])


def test_rename_with_a_real_edit_in_the_same_commit_is_a_version(git_repo: GitRepo):
    long_body = BODY + "".join(f"\nClause {i}: the same text as before.\n" for i in range(20))
    git_repo.write("docs/a.md", long_body)
    c1 = git_repo.commit("add", date=D1)
    git_repo.mv("docs/a.md", "docs/b.md")
    git_repo.write("docs/b.md", long_body.replace("Clause 3:", "Clause 3 (amended):"))
    c2 = git_repo.commit("rename and edit", date=D2)
    assert_versions(read(git_repo).get("b.md"), [(c1, D1), (c2, D2)])


def test_rename_with_whitespace_change_only_is_not_a_version(git_repo: GitRepo):
    long_body = BODY + "".join(f"\nClause {i}: the same text as before.\n" for i in range(20))
    git_repo.write("docs/a.md", long_body)
    c1 = git_repo.commit("add", date=D1)
    git_repo.mv("docs/a.md", "docs/b.md")
    git_repo.write("docs/b.md", long_body.replace("\n", "\r\n"))
    git_repo.commit("rename, CRLF", date=D2)
    assert_versions(read(git_repo).get("b.md"), [(c1, D1)])


# ---------------------------------------------------------------- what is not a change


def test_whitespace_and_front_matter_only_commits_are_not_versions(git_repo: GitRepo):
    fm = "---\ntitle: Privacy\n---\n"
    text = fm + "# Privacy\n\nLine one.\nLine two.\n\nLine three.\n"
    git_repo.write("docs/p.md", text)
    c1 = git_repo.commit("add", date=D1)

    git_repo.write("docs/p.md", text.replace("\n", "\r\n"))
    git_repo.commit("CRLF line endings", date=D2)
    # (a trailing tab or two trailing spaces inside a paragraph would be a Markdown hard break: see test_normalizer.py)
    git_repo.write("docs/p.md", fm + "# Privacy  \n\nLine one. \nLine two.\u00a0\n\nLine three.   \n")
    git_repo.commit("trailing spaces", date=D3)
    git_repo.write("docs/p.md", fm + "# Privacy\n\n\n\n\nLine one.\nLine two.\n\n\n\nLine three.\n\n\n")
    git_repo.commit("blank-line runs", date=D4)
    git_repo.write("docs/p.md", "---\ntitle: Privacy Policy\ndescription: new\n---\n# Privacy\n\nLine one.\nLine two.\n\nLine three.\n")
    git_repo.commit("front matter only", date=D5)

    hist = read(git_repo)
    fh = hist.get("p.md")
    assert_versions(fh, [(c1, D1)])
    assert not fh.draft
    assert fh.versions[0].front_matter == "title: Privacy\n"

    # The contrast: one character of real text is a version.
    git_repo.write("docs/p.md", "---\ntitle: Privacy Policy\ndescription: new\n---\n# Privacy\n\nLine one.\nLine two!\n\nLine three.\n")
    c6 = git_repo.commit("one character", date=D6)
    fh = read(git_repo).get("p.md")
    assert_versions(fh, [(c1, D1), (c6, D6)])
    assert fh.latest.front_matter == "title: Privacy Policy\ndescription: new\n"


def test_blank_line_inserted_between_lines_is_a_version(git_repo: GitRepo):
    """Joining or splitting paragraphs changes the text (unlike a longer run of blank lines)."""
    git_repo.write("docs/p.md", "Line one.\nLine two.\n")
    c1 = git_repo.commit("add", date=D1)
    git_repo.write("docs/p.md", "Line one.\n\nLine two.\n")
    c2 = git_repo.commit("split paragraph", date=D2)
    assert_versions(read(git_repo).get("p.md"), [(c1, D1), (c2, D2)])


# ---------------------------------------------------------------- ignore-revs


def _three_edits(repo: GitRepo) -> tuple[str, str, str]:
    repo.write("docs/p.md", BODY)
    c1 = repo.commit("add", date=D1)
    repo.write("docs/p.md", BODY.replace("# Privacy", "# Privacy policy"))
    c2 = repo.commit("mass reformat", date=D2)
    repo.write("docs/p.md", BODY.replace("# Privacy", "# Privacy policy") + "\nMore.\n")
    c3 = repo.commit("real edit", date=D3)
    return c1, c2, c3


def test_ignore_revs_default_file(git_repo: GitRepo):
    c1, c2, c3 = _three_edits(git_repo)
    git_repo.write(".git-blame-ignore-revs", f"# reformatting\n{c2}  # mass reformat\n\n")
    assert_versions(read(git_repo).get("p.md"), [(c1, D1), (c3, D3)])


def test_ignore_revs_default_file_absent_means_nothing_ignored(git_repo: GitRepo):
    c1, c2, c3 = _three_edits(git_repo)
    assert_versions(read(git_repo).get("p.md"), [(c1, D1), (c2, D2), (c3, D3)])


def test_ignore_revs_configured_path(git_repo: GitRepo):
    c1, c2, c3 = _three_edits(git_repo)
    git_repo.write("config/ignore revs.txt", c2.upper()[:12] + "\n")  # an abbreviated id, any case
    # The default file is not read when another path is configured.
    git_repo.write(".git-blame-ignore-revs", c3 + "\n")
    fh = read(git_repo, ignore_revs_file="config/ignore revs.txt").get("p.md")
    assert_versions(fh, [(c1, D1), (c3, D3)])


def test_ignore_revs_malformed_line_names_file_and_line(git_repo: GitRepo):
    _three_edits(git_repo)
    git_repo.write(".git-blame-ignore-revs", "# comment\n\nnot-a-commit\n")
    path = git_repo.path.resolve() / ".git-blame-ignore-revs"
    with pytest.raises(GitError) as err:
        read(git_repo)
    assert str(err.value) == (
        f"{path}:3: 'not-a-commit' is not a commit id. Put one full commit id per line; '#' starts a comment."
    )


def test_ignore_revs_configured_file_missing(git_repo: GitRepo):
    _three_edits(git_repo)
    with pytest.raises(GitError) as err:
        read(git_repo, ignore_revs_file="nope.txt")
    assert str(err.value).startswith(f"ignore_revs_file {git_repo.path.resolve() / 'nope.txt'} does not exist.")


def test_ignored_first_commit_leaves_file_without_date(git_repo: GitRepo):
    git_repo.write("docs/p.md", BODY)
    c1 = git_repo.commit("import", date=D1)
    git_repo.write(".git-blame-ignore-revs", c1 + "\n")
    hist = read(git_repo)
    assert hist.get("p.md").versions == ()
    assert hist.drafts == ["p.md"]


# ---------------------------------------------------------------- merges and dates


def test_merge_is_dated_by_the_merge_not_the_branch_commit(git_repo: GitRepo):
    git_repo.write("docs/p.md", BODY)
    c1 = git_repo.commit("add", date="2019-01-01T10:00:00+08:00")
    git_repo.branch("pr")
    git_repo.checkout("pr")
    git_repo.write("docs/p.md", BODY + "\nJanuary work.\n")
    branch_commit = git_repo.commit("PR work", date="2019-01-15T10:00:00+08:00")
    git_repo.checkout("main")
    git_repo.write("docs/other.md", "other\n")
    git_repo.commit("unrelated on main", date="2019-02-01T10:00:00+08:00")
    merge = git_repo.merge("pr", "Merge PR", date="2019-03-01T18:00:00+08:00", author_date="2019-02-28T09:00:00+08:00")

    fh = read(git_repo).get("p.md")
    assert_versions(fh, [(c1, "2019-01-01T10:00:00+08:00"), (merge, "2019-03-01T18:00:00+08:00")])
    assert branch_commit not in {v.commit for v in fh.versions}

    # date_source=author: the author date of the version's (merge) commit.
    fh = read(git_repo, date_source="author").get("p.md")
    assert_versions(fh, [(c1, "2019-01-01T10:00:00+08:00"), (merge, "2019-02-28T09:00:00+08:00")])


def test_rebased_pr_committer_vs_author_date(git_repo: GitRepo):
    """A PR authored in January and landed (rebase/squash) in March changed the policy in March."""
    git_repo.write("docs/p.md", BODY)
    c1 = git_repo.commit("add", date=D1)
    git_repo.write("docs/p.md", BODY + "\nPR.\n")
    c2 = git_repo.commit("PR", date="2019-03-01T18:00:00+08:00", author_date="2019-01-15T10:00:00-05:00")
    assert_versions(read(git_repo).get("p.md"), [(c1, D1), (c2, "2019-03-01T18:00:00+08:00")])
    assert_versions(read(git_repo, date_source="author").get("p.md"), [(c1, D1), (c2, "2019-01-15T10:00:00-05:00")])


def test_fast_forward_merge_keeps_branch_commits(git_repo: GitRepo):
    git_repo.write("docs/p.md", BODY)
    c1 = git_repo.commit("add", date=D1)
    git_repo.branch("pr")
    git_repo.checkout("pr")
    git_repo.write("docs/p.md", BODY + "\nB.\n")
    c2 = git_repo.commit("PR", date=D2)
    git_repo.checkout("main")
    git_repo.merge("pr", "ff", date=D3, no_ff=False)
    assert_versions(read(git_repo).get("p.md"), [(c1, D1), (c2, D2)])


def test_two_languages_have_their_own_dates(git_repo: GitRepo):
    git_repo.write("docs/zh-Hant/x.md", "# 隱私\n\n內容。\n")
    c1 = git_repo.commit("zh-Hant", date=D1)
    git_repo.write("docs/en/x.md", "# Privacy\n\nText.\n")
    c2 = git_repo.commit("en", date=D2)
    git_repo.write("docs/zh-Hant/x.md", "# 隱私\n\n新內容。\n")
    c3 = git_repo.commit("zh-Hant edit", date=D3)

    hist = read(git_repo)
    assert_versions(hist.get("zh-Hant/x.md"), [(c1, D1), (c3, D3)])
    assert_versions(hist.get("en/x.md"), [(c2, D2)])
    assert hist.last_modified("zh-Hant/x.md") == dt(D3)
    assert hist.last_modified("en/x.md") == dt(D2)


# ---------------------------------------------------------------- no usable history


def _origin_with_two_commits(repo: GitRepo) -> None:
    repo.write("docs/p.md", BODY)
    repo.commit("add", date=D1)
    repo.write("docs/p.md", BODY + "\nMore.\n")
    repo.commit("edit", date=D2)


def test_shallow_clone_is_an_error(git_repo: GitRepo, tmp_path: Path):
    _origin_with_two_commits(git_repo)
    clone = GitRepo(tmp_path)
    clone.run("clone", "-q", "--depth", "1", f"file://{git_repo.path}", "shallow")
    docs = tmp_path / "shallow" / "docs"
    with pytest.raises(ShallowCloneError) as err:
        read_history(docs, HistoryOptions())
    assert str(err.value) == gitrepo.SHALLOW.format(root=(tmp_path / "shallow").resolve())
    assert "git fetch --unshallow" in str(err.value) and "fetch-depth: 0" in str(err.value)


def test_shallow_clone_with_fallback_uses_build_date(git_repo: GitRepo, tmp_path: Path, monkeypatch):
    _origin_with_two_commits(git_repo)
    GitRepo(tmp_path).run("clone", "-q", "--depth", "1", f"file://{git_repo.path}", "shallow")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1559349000")  # 2019-06-01T00:30:00Z
    hist = read_history(tmp_path / "shallow" / "docs", HistoryOptions(fallback_to_build_date=True))
    when = datetime(2019, 6, 1, 0, 30, tzinfo=timezone.utc)
    assert hist.fallback_date == when
    assert hist.fallback_reason == gitrepo.SHALLOW.format(root=(tmp_path / "shallow").resolve())
    assert hist.last_modified("p.md") == when
    stamp = make_stamp(hist, "p.md", "zh-Hant", "Asia/Taipei")
    assert (stamp.draft, stamp.fallback, stamp.iso, stamp.display) == (False, True, "2019-06-01T08:30:00+08:00", "2019年6月1日")


def test_not_a_repository_is_an_error(tmp_path: Path):
    docs = tmp_path / "plain" / "docs"
    docs.mkdir(parents=True)
    (docs / "p.md").write_text(BODY, encoding="utf-8")
    with pytest.raises(NotARepositoryError) as err:
        read_history(docs, HistoryOptions())
    assert str(err.value) == gitrepo.NOT_A_REPO.format(docs=docs.resolve())


def test_not_a_repository_with_fallback_uses_build_date(tmp_path: Path, monkeypatch):
    docs = tmp_path / "plain" / "docs"
    docs.mkdir(parents=True)
    (docs / "p.md").write_text(BODY, encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1559349000")
    hist = read_history(docs, HistoryOptions(fallback_to_build_date=True))
    when = datetime(2019, 6, 1, 0, 30, tzinfo=timezone.utc)
    assert hist.fallback_date == when
    assert hist.fallback_reason == gitrepo.NOT_A_REPO.format(docs=docs.resolve())
    assert hist.last_modified("p.md") == when
    assert hist.drafts == [] and not hist.get("p.md").draft


# ---------------------------------------------------------------- drafts


def test_uncommitted_edit_is_a_draft(git_repo: GitRepo):
    git_repo.write("docs/p.md", BODY)
    c1 = git_repo.commit("add", date=D1)
    git_repo.write("docs/p.md", BODY + "\nWork in progress.\n")
    hist = read(git_repo)
    fh = hist.get("p.md")
    assert fh.draft
    assert_versions(fh, [(c1, D1)])  # committed versions are still known
    assert hist.drafts == ["p.md"]
    stamp = make_stamp(hist, "p.md", "en", "UTC")
    assert stamp.draft and stamp.iso is None and stamp.display is None and stamp.instant is None


def test_staged_but_uncommitted_edit_is_a_draft(git_repo: GitRepo):
    git_repo.write("docs/p.md", BODY)
    git_repo.commit("add", date=D1)
    git_repo.write("docs/p.md", BODY + "\nStaged.\n")
    git_repo.run("add", "docs/p.md")
    assert read(git_repo).drafts == ["p.md"]


def test_never_committed_file_is_a_draft(git_repo: GitRepo):
    git_repo.write("docs/p.md", BODY)
    c1 = git_repo.commit("add", date=D1)
    git_repo.write("docs/new.md", "# New\n")
    hist = read(git_repo)
    assert hist.drafts == ["new.md"]
    fh = hist.get("new.md")
    assert fh.draft and fh.versions == () and fh.latest is None
    assert hist.last_modified("new.md") is None
    assert_versions(hist.get("p.md"), [(c1, D1)])
    assert not hist.get("p.md").draft


def test_repository_without_commits_everything_is_a_draft(git_repo: GitRepo):
    git_repo.write("docs/p.md", BODY)
    hist = read(git_repo)
    assert hist.head is None
    assert hist.drafts == ["p.md"]
    assert make_stamp(hist, "p.md", "en", "UTC").draft


# ---------------------------------------------------------------- names and places


def test_names_with_spaces_and_cjk(git_repo: GitRepo):
    git_repo.write("docs/en/my policy.md", BODY)
    c1 = git_repo.commit("add en", date=D1)
    git_repo.write("docs/zh-Hant/隱私 政策.md", "# 隱私政策\n\n內容。\n")
    c2 = git_repo.commit("add zh-Hant", date=D2)
    git_repo.write("docs/zh-Hant/隱私 政策.md", "# 隱私政策\n\n新內容。\n")
    c3 = git_repo.commit("edit zh-Hant", date=D3)
    git_repo.mv("docs/en/my policy.md", "docs/en/our policy (v2).md")
    git_repo.commit("rename en", date=D4)

    hist = read(git_repo)
    assert set(hist.files) == {"en/our policy (v2).md", "zh-Hant/隱私 政策.md"}
    assert_versions(hist.get("en/our policy (v2).md"), [(c1, D1)])
    assert_versions(hist.get("zh-Hant/隱私 政策.md"), [(c2, D2), (c3, D3)])
    assert hist.get("zh-Hant/隱私 政策.md").latest.path == "docs/zh-Hant/隱私 政策.md"

    # Drafts with such names too.
    git_repo.write("docs/zh-Hant/隱私 政策.md", "# 隱私政策\n\n草稿。\n")
    git_repo.write("docs/en/新 file.md", "# New\n")
    assert read(git_repo).drafts == ["en/新 file.md", "zh-Hant/隱私 政策.md"]


def test_docs_dir_nested_in_the_work_tree(git_repo: GitRepo):
    git_repo.write("README.md", "readme\n")
    git_repo.write("site/mkdocs.yml", "site_name: x\n")
    git_repo.write("site/docs/p.md", BODY)
    git_repo.write("site/docs-old/p.md", BODY)  # a sibling whose name starts with "docs"
    git_repo.write("other/q.md", BODY)
    c1 = git_repo.commit("add", date=D1)
    git_repo.write("site/docs/p.md", BODY + "\nEdit.\n")
    git_repo.write("site/docs-old/p.md", BODY + "\nOther edit.\n")
    c2 = git_repo.commit("edit", date=D2)
    git_repo.write("site/docs-old/p.md", BODY + "\nUncommitted elsewhere.\n")  # not a draft of docs/
    git_repo.write("other/new.md", "untracked\n")

    hist = read(git_repo, docs="site/docs")
    assert hist.docs_prefix == "site/docs"
    assert hist.root == git_repo.path.resolve()
    assert set(hist.files) == {"p.md"}
    assert_versions(hist.get("p.md"), [(c1, D1), (c2, D2)])
    assert hist.get("p.md").latest.src_path == "p.md"
    assert hist.drafts == []

    git_repo.write("site/docs/p.md", BODY + "\nDraft.\n")
    assert read(git_repo, docs="site/docs").drafts == ["p.md"]


def test_move_into_docs_from_outside_starts_a_history(git_repo: GitRepo):
    git_repo.write("drafts/p.md", BODY)
    git_repo.commit("draft outside docs", date=D1)
    git_repo.mv("drafts/p.md", "docs/p.md")
    c2 = git_repo.commit("publish", date=D2)
    assert_versions(read(git_repo).get("p.md"), [(c2, D2)])


# ---------------------------------------------------------------- deletion


def test_deleted_file_is_retired_and_readding_continues_numbering(git_repo: GitRepo):
    git_repo.write("docs/keep.md", "# Keep\n")
    git_repo.write("docs/old.md", BODY)
    c1 = git_repo.commit("add", date=D1)
    git_repo.write("docs/old.md", BODY + "\nv2\n")
    c2 = git_repo.commit("edit", date=D2)
    git_repo.rm("docs/old.md")
    c3 = git_repo.commit("retire old policy", date=D3)

    hist = read(git_repo)
    fh = hist.get("old.md")
    assert fh.retired is not None
    assert (fh.retired.commit, fh.retired.date, fh.retired.subject) == (c3, dt(D3), "retire old policy")
    assert_versions(fh, [(c1, D1), (c2, D2)])
    assert [r.src_path for r in hist.retired] == ["old.md"]
    assert not fh.draft and hist.drafts == []

    git_repo.write("docs/old.md", BODY + "\nv3, reinstated\n")
    c4 = git_repo.commit("reinstate", date=D4)
    hist = read(git_repo)
    fh = hist.get("old.md")
    assert fh.retired is None and hist.retired == []
    assert_versions(fh, [(c1, D1), (c2, D2), (c4, D4)])


# ---------------------------------------------------------------- on-disk cache


def _cache_history(repo: GitRepo) -> None:
    repo.write("docs/a.md", BODY)
    repo.write("docs/b.md", "---\ntitle: B\n---\n# B\n")
    repo.commit("add", date=D1)
    repo.write("docs/a.md", BODY.replace("\n", "\r\n"))
    repo.commit("crlf", date=D2)
    repo.write("docs/a.md", BODY + "\nMore.\n")
    repo.commit("edit", date=D3)


def test_cache_second_read_is_identical_and_reads_no_blobs(git_repo: GitRepo, tmp_path: Path, monkeypatch):
    _cache_history(git_repo)
    cache = tmp_path / "cache"
    first = read(git_repo, cache_dir=str(cache))
    cache_file = cache / "blobs.bin"
    assert cache_file.exists()
    assert len(json.loads(cache_file.read_bytes().split(b"\n", 2)[2])) == 4  # 3 blobs of a.md, 1 of b.md

    asked: list[str] = []
    real = gitrepo.read_blobs
    monkeypatch.setattr(gitrepo, "read_blobs", lambda tree, oids: (asked.extend(oids), real(tree, oids))[1])
    second = read(git_repo, cache_dir=str(cache))
    assert asked == []
    assert second.files == first.files
    assert second.files == read(git_repo).files  # and equal to a read without cache
    assert [v.number for v in second.get("a.md").versions] == [1, 2]


@pytest.mark.parametrize("garbage", [b"{not json", b"[1, 2, 3]", b'{"abc": "not a list"}', b"\xff\xfe\x00"])
def test_corrupt_cache_is_ignored_and_rewritten(git_repo: GitRepo, tmp_path: Path, garbage: bytes):
    _cache_history(git_repo)
    expected = read(git_repo).files
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "blobs.bin").write_bytes(garbage)
    hist = read(git_repo, cache_dir=str(cache))
    assert hist.files == expected
    data = json.loads((cache / "blobs.bin").read_bytes().split(b"\n", 2)[2])
    assert isinstance(data, dict) and len(data) == 4


# ---------------------------------------------------------------- the stamp's day


def test_display_timezone_at_a_day_boundary(git_repo: GitRepo):
    git_repo.write("docs/p.md", BODY)
    git_repo.commit("add", date="2019-05-31T17:30:00+00:00")
    hist = read(git_repo)

    taipei = make_stamp(hist, "p.md", "zh-Hant", "Asia/Taipei")
    assert taipei.display == "2019年6月1日"
    assert taipei.iso == "2019-06-01T01:30:00+08:00"
    assert taipei.version == 1 and not taipei.draft

    utc = make_stamp(hist, "p.md", "en", "UTC")
    assert utc.display == "May 31, 2019"
    assert utc.iso == "2019-05-31T17:30:00+00:00"
    assert utc.http == taipei.http == "Fri, 31 May 2019 17:30:00 GMT"
    assert utc.instant == taipei.instant == datetime(2019, 5, 31, 17, 30, tzinfo=timezone.utc)


# ---------------------------------------------------------------- the user's git config


def test_user_git_config_does_not_change_history(git_repo: GitRepo, monkeypatch):
    """Settings a developer may have in ~/.gitconfig must not change versions or dates."""
    git_repo.write("docs/en/my policy.md", BODY)
    git_repo.write("docs/zh-Hant/隱私.md", "# 隱私\n")
    c1 = git_repo.commit("root commit", date=D1)
    git_repo.mv("docs/en/my policy.md", "docs/en/our policy.md")
    git_repo.commit("rename", date=D2)
    git_repo.write("docs/en/our policy.md", BODY + "\nMore.\n")
    c3 = git_repo.commit("edit", date=D3)
    expected = read(git_repo).files

    hostile = {
        "log.showRoot": "false",  # would hide the root commit's files
        "log.showSignature": "true",
        "log.abbrevCommit": "true",
        "diff.renames": "false",
        "diff.noprefix": "true",
        "diff.relative": "true",
        "core.quotePath": "true",
        "color.ui": "always",
        "format.pretty": "oneline",
        "status.showUntrackedFiles": "no",
    }
    monkeypatch.setenv("GIT_CONFIG_COUNT", str(len(hostile)))
    for i, (key, value) in enumerate(hostile.items()):
        monkeypatch.setenv(f"GIT_CONFIG_KEY_{i}", key)
        monkeypatch.setenv(f"GIT_CONFIG_VALUE_{i}", value)
    hist = read(git_repo)
    assert hist.files == expected
    assert_versions(hist.get("en/our policy.md"), [(c1, D1), (c3, D3)])
    assert_versions(hist.get("zh-Hant/隱私.md"), [(c1, D1)])
    git_repo.write("docs/en/new.md", "# New\n")
    assert read(git_repo).drafts == ["en/new.md"]
