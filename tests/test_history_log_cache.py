"""The cached git log: later builds ask git only for new commits, and a rewritten history is read again."""

from __future__ import annotations

from pathlib import Path

from gitfixture import GitRepo
from policykit.history import gitrepo
from policykit.history.versions import HistoryOptions, read_history

BODY = "# Privacy\n\nWe keep your data safe.\n"


def _read(repo: GitRepo, cache: Path | None):
    return read_history(repo.path / "docs", HistoryOptions(cache_dir=str(cache) if cache else None))


def _logged(monkeypatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real = gitrepo.WorkTree.log

    def spy(self, args):
        calls.append(list(args))
        return real(self, args)

    monkeypatch.setattr(gitrepo.WorkTree, "log", spy)
    return calls


def test_new_commits_and_merges_extend_the_cached_log(git_repo: GitRepo, tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    git_repo.write("docs/en/p.md", BODY)
    git_repo.commit("v1", date="2019-01-01T10:00:00+08:00")
    git_repo.write("docs/en/p.md", BODY + "\nMore.\n")
    git_repo.commit("v2", date="2019-02-01T10:00:00+08:00")
    first = _read(git_repo, cache)
    # a branch merged with a merge commit, then a plain commit
    git_repo.branch("feature")
    git_repo.checkout("feature")
    git_repo.write("docs/en/p.md", BODY + "\nMore.\n\nEven more.\n")
    git_repo.commit("branch edit", date="2019-03-01T10:00:00+08:00")
    git_repo.checkout("main")
    git_repo.merge("feature", "Merge feature", date="2019-04-01T10:00:00+08:00")
    git_repo.write("docs/en/q.md", BODY)
    git_repo.commit("q", date="2019-05-01T10:00:00+08:00")
    calls = _logged(monkeypatch)
    second = _read(git_repo, cache)
    ranges = [a[-1] for a in calls]
    assert all(".." in r for r in ranges), ranges  # only the new commits were asked for
    assert second.files == _read(git_repo, None).files  # identical to reading everything
    assert [v.subject for v in second.get("en/p.md").versions] == ["v1", "v2", "Merge feature"]
    assert first.get("en/q.md").versions == ()


def test_a_rewritten_history_is_read_again(git_repo: GitRepo, tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    git_repo.write("docs/en/p.md", BODY)
    git_repo.commit("v1", date="2019-01-01T10:00:00+08:00")
    git_repo.write("docs/en/p.md", BODY + "\nMore.\n")
    git_repo.commit("v2", date="2019-02-01T10:00:00+08:00")
    _read(git_repo, cache)
    git_repo.run("reset", "-q", "--hard", "HEAD~1")  # v2 is gone
    git_repo.write("docs/en/p.md", BODY + "\nOther.\n")
    git_repo.commit("v2 again", date="2019-03-01T10:00:00+08:00")
    calls = _logged(monkeypatch)
    hist = _read(git_repo, cache)
    assert [v.subject for v in hist.get("en/p.md").versions] == ["v1", "v2 again"]
    assert any(a[-1] == "HEAD" or ".." not in a[-1] for a in calls)  # fell back to the whole log
    assert hist.files == _read(git_repo, None).files


def test_an_unchanged_head_asks_git_log_nothing(git_repo: GitRepo, tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    git_repo.write("docs/en/p.md", BODY)
    git_repo.commit("v1", date="2019-01-01T10:00:00+08:00")
    first = _read(git_repo, cache)
    calls = _logged(monkeypatch)
    assert _read(git_repo, cache).files == first.files
    assert calls == []
