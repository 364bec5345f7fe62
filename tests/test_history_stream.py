"""The cold history read streams: git log parsed as it arrives, blobs read meanwhile (issue 13, item 2).

* the log parsed in any cut of its chunks gives the commits of parsing it whole;
* git failing in the middle of the stream (a tree or a blob missing from a
  real, damaged repository) is one GitError with git's own message, never a
  hang, and no git process is left running;
* a long history read with a cache folder, without one, and from the cache
  gives the same files.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from gitfixture import GitRepo
from policykit.history import gitrepo
from policykit.history.gitrepo import GitError
from policykit.history.versions import _LOG_ARGS, HistoryOptions, _LogParser, _parse_log, read_history
from test_gitrepo import run_within


def _children() -> set[int]:
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            found.update(int(pid) for pid in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _history(repo: GitRepo, n: int = 60) -> None:
    body = "# Policy {i}\n\n" + "\n\n".join(f"Clause {k}: we keep your data." for k in range(40)) + "\n"
    for i in range(4):
        repo.write(f"docs/p{i}.md", body.format(i=i))
    repo.commit("four policies", date="2024-01-01T10:00:00+00:00")
    for c in range(n):
        i = c % 4
        path = "docs/moved/p1.md" if i == 1 and c > 20 else f"docs/p{i}.md"
        text = repo.read(path)
        if c % 7 == 3:
            text = text.replace("\n", "\r\n")  # whitespace only: no version
        else:
            text = text.replace(f"Clause {c % 40}", f"Clause {c % 40} (rev {c})", 1)
        repo.write(path, text)
        if c == 20:
            repo.mv("docs/p1.md", "docs/moved/p1.md")
        repo.commit(f"change {c}", date=f"2024-02-{1 + c % 28:02d}T{10 + c // 28:02d}:00:00+00:00")


def test_the_log_parsed_in_any_cut_is_the_log_parsed_whole(git_repo: GitRepo) -> None:
    _history(git_repo, 30)
    tree = gitrepo.open_work_tree(git_repo.path / "docs")
    raw = tree.log([*_LOG_ARGS, "HEAD"])
    whole = _parse_log(raw)
    assert len(whole) == 31 and any(ch.status == "R" for c in whole for ch in c.changes)
    rng = random.Random(5)
    for _ in range(30):
        cuts = sorted(rng.sample(range(1, len(raw)), k=rng.randint(1, 40)))
        parser = _LogParser()
        for start, end in zip([0, *cuts], [*cuts, len(raw)], strict=True):
            parser.feed(raw[start:end])
        assert parser.close()[::-1] == whole


def test_cached_and_uncached_reads_of_a_long_history_agree(git_repo: GitRepo, tmp_path: Path) -> None:
    _history(git_repo)
    plain = read_history(git_repo.path / "docs").files
    cache = str(tmp_path / "cache")
    cold = read_history(git_repo.path / "docs", HistoryOptions(cache_dir=cache)).files
    warm = read_history(git_repo.path / "docs", HistoryOptions(cache_dir=cache)).files
    assert plain == cold == warm
    assert [v.subject for v in plain["p3.md"].versions][:3] == ["four policies", "change 7", "change 11"]  # 3 is CRLF
    assert len(plain["moved/p1.md"].versions) > 10


def _loose(repo: GitRepo, oid: str) -> Path:
    return repo.path / ".git" / "objects" / oid[:2] / oid[2:]


@pytest.mark.parametrize("cache", [False, True])
def test_a_blob_missing_in_the_middle_of_the_stream_is_a_git_error(git_repo: GitRepo, tmp_path: Path, cache: bool) -> None:
    _history(git_repo)
    blob = git_repo.run("rev-parse", "HEAD~30:docs/p2.md")
    assert blob not in git_repo.run("rev-parse", "HEAD:docs/p2.md")
    _loose(git_repo, blob).unlink()  # the log still reads (it needs trees only); cat-file cannot answer
    before = _children()
    options = HistoryOptions(cache_dir=str(tmp_path / "cache") if cache else None)
    with pytest.raises(GitError, match=blob):
        run_within(lambda: read_history(git_repo.path / "docs", options))
    assert _children() - before == set(), "a git process is still running"


def test_a_tree_missing_in_the_middle_of_the_log_is_a_git_error(git_repo: GitRepo, tmp_path: Path) -> None:
    _history(git_repo)
    tree = git_repo.run("rev-parse", "HEAD~40^{tree}")
    _loose(git_repo, tree).unlink()  # git log prints the newer commits, then fails at this one
    before = _children()
    for options in (HistoryOptions(), HistoryOptions(cache_dir=str(tmp_path / "cache"))):
        with pytest.raises(GitError) as err:
            run_within(lambda options=options: read_history(git_repo.path / "docs", options))
        assert "git log failed" in str(err.value) and tree[:7] in str(err.value)  # git's own message
    assert _children() - before == set(), "a git process is still running"
    assert subprocess.run(["git", "-C", str(git_repo.path), "fsck"], capture_output=True).returncode != 0
