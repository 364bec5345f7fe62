"""The fast history read gives the same answer as the plain rule (issue 13, item 2).

* ``same_text`` (the shortcut that spares most blobs their normalisation)
  never contradicts ``content_key``: checked on every example of the rule in
  test_normalizer.py and on random pairs of related texts, invalid UTF-8 included;
* on real git histories with renames, copies, a rename plus an edit, merges,
  a file deleted and added back, reverts and whitespace-only commits, the
  versions read (without a cache, with an empty one and with a full one)
  are those of an independent reading: one ``git diff-tree -M`` per commit
  (git's own rename detection) and the content key of every blob.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitfixture import GitRepo, git_env
from policykit.history.versions import HistoryOptions, read_history
from policykit.source.text import content_key, same_text
from test_normalizer import DIFFERENT, SAME


def _agrees(a: bytes, b: bytes) -> None:
    verdict = same_text(a, b)
    if verdict is not None:
        assert verdict == (content_key(a) == content_key(b)), (a, b, verdict)


@pytest.mark.parametrize("name,before,after", SAME + DIFFERENT, ids=[n for n, _, _ in SAME + DIFFERENT])
def test_same_text_agrees_with_the_rule_on_its_examples(name: str, before: str, after: str) -> None:
    for a, b in ((before, after), (after, before)):
        _agrees(a.encode(), b.encode())
        _agrees(b"---\ntitle: x\n---\n" + a.encode(), b"---\ntitle: y\n---\n" + b.encode())


def test_same_text_decides_a_visible_edit_without_the_normaliser() -> None:
    text = "# Terms\n\n" + "\n\n".join(f"Clause {i}: we keep your data.\u3000" for i in range(200)) + "\n"
    assert same_text(text.encode(), text.replace("Clause 120:", "Clause 120 (new):").encode()) is False
    assert same_text(text.encode(), text.encode()) is True
    assert same_text(text.encode(), text.replace("\n\n", "\n\n\n", 1).encode()) is None  # invisible: keys decide


#: Pieces of text where the rule has corners: invisible characters, Markdown syntax, line breaks, bad UTF-8.
PIECES = ["a", "b", "中", "。", "#", "`", "```", "~~~", ">", "- ", "1. ", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r",
          "\u00a0", "\u3000", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u2028", "\u202f", "\0", "---\n"]
BAD = [b"\xe3", b"\x80", b"\xff", b"\xe3\x80", b"\xc2"]
CHUNK = st.one_of(st.sampled_from(PIECES).map(lambda p: p.encode("utf-8")), st.sampled_from(BAD))
TEXT = st.lists(CHUNK, max_size=40).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(base=TEXT, edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), TEXT), min_size=1, max_size=4),
       front=st.sampled_from([b"", b"---\ntitle: x\n---\n"]))
def test_same_text_never_contradicts_content_key(base: bytes, edits: list, front: bytes) -> None:
    """Two texts that share a start and an end (one edited from the other) are decided as the keys decide."""
    other = base
    for at, cut, piece in edits:
        i = int(len(other) * at)
        other = other[:i] + piece + other[i + cut:]
    _agrees(front + base, front + other)
    _agrees(front + other, base)


# ------------------------------------------------------------------ real histories against git diff-tree -M


def _body(i: int, extra: str = "") -> str:
    return f"# Policy {i}\n\n" + "\n\n".join(f"Clause {i}.{k}: we keep your data safe and never sell it." for k in range(30)) + extra + "\n"


def _independent_versions(repo: GitRepo) -> dict[str, tuple[list[str], bool]]:
    """docs-relative path -> (the commits that are versions, retired), from git diff-tree -M and content keys only."""
    live: dict[str, tuple[list[str], str]] = {}
    gone: dict[str, tuple[list[str], str]] = {}
    keys: dict[str, str] = {}

    def key(oid: str) -> str:
        if oid not in keys:
            blob = subprocess.run(["git", "cat-file", "blob", oid], cwd=repo.path, env=git_env(), capture_output=True, check=True)
            keys[oid] = content_key(blob.stdout)
        return keys[oid]

    for line in repo.run("rev-list", "--first-parent", "--reverse", "--parents", "HEAD").splitlines():
        commit, *parents = line.split()
        where = [parents[0], commit] if parents else ["--root", commit]
        raw = repo.run("diff-tree", "-r", "-M", "-l1000", "--raw", "--no-abbrev", *where)
        changes = []
        for row in raw.splitlines():
            if not row.startswith(":"):
                continue  # the commit id diff-tree prints first for --root
            meta, *paths = row.split("\t")
            _, _, old, new, status = meta.split(" ")
            changes.append((status[0], old, new, paths[0], paths[-1]))
        changes.sort(key=lambda ch: 0 if ch[0] in "RD" else 1)
        for kind, _old, new, src, dst in changes:
            if kind == "D":
                gone[src] = live.pop(src)
                continue
            if kind == "R":
                versions, last = live.pop(src)
                changed = key(last) != key(new)
            elif dst in live:
                versions, last = live[dst]
                changed = key(last) != key(new)
            else:  # added (or added back at a path it was deleted from: its numbering goes on)
                versions, changed = gone.pop(dst, ([], ""))[0], True
            live[dst] = (versions + [commit] if changed else versions, new)
    found = {p: (v, False) for p, (v, _) in live.items()}
    found.update({p: (v, True) for p, (v, _) in gone.items() if p not in live})
    return {p.removeprefix("docs/"): f for p, f in found.items() if f[0]}


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = GitRepo.init(tmp_path_factory.mktemp("speed") / "repo")
    days = iter(range(100))

    def date() -> str:
        return (datetime(2024, 3, 1, 10, tzinfo=timezone.utc) + timedelta(days=next(days))).isoformat()

    def commit(message: str) -> str:
        return repo.commit(message, date=date())

    for i in range(6):
        repo.write(f"docs/p{i}.md", _body(i))
    commit("six policies")
    repo.write("docs/p0.md", _body(0).replace("\n", "\r\n"))
    commit("whitespace only: CRLF")
    repo.mv("docs/p1.md", "docs/moved/p1.md")
    commit("a pure rename")
    repo.mv("docs/p2.md", "docs/p2-renamed.md")
    repo.write("docs/p2-renamed.md", _body(2, "\n\nA new clause."))
    commit("a rename and an edit in one commit")
    repo.write("docs/p3-copy.md", _body(3))
    commit("a copy (no -C: an addition)")
    repo.mv("docs/p4.md", "docs/p4-moved.md")
    repo.write("docs/p4-moved.md", _body(4) + "\n\n\n")
    commit("a rename with an invisible edit")
    repo.rm("docs/p5.md")
    commit("p5 deleted")
    repo.write("docs/p3.md", _body(3, "\n\nTemporary clause."))
    commit("p3 edited")
    repo.write("docs/p3.md", _body(3))
    commit("p3 reverted")
    repo.write("docs/p5.md", _body(5, "\n\nBack again."))
    commit("p5 added back")
    main = repo.run("symbolic-ref", "--short", "HEAD")
    repo.branch("side")
    repo.checkout("side")
    repo.mv("docs/p3-copy.md", "docs/sub/p3-copy.md")
    commit("side: a rename")
    repo.write("docs/moved/p1.md", _body(1, "\n\nSide clause."))
    commit("side: an edit")
    repo.checkout(main)
    repo.write("docs/p0.md", _body(0, "\n\nMain clause."))
    commit("main: an edit")
    repo.merge("side", "merge side", date=date())
    repo.mv("docs/p0.md", "docs/tmp.md")
    repo.write("docs/p0.md", _body(9))
    commit("p0 moved away and a new file at its path")
    repo.write("docs/tmp.md", "---\ntitle: Moved\n---\n" + repo.read("docs/tmp.md"))
    commit("front matter only")
    return repo


def test_versions_are_those_of_git_diff_tree_and_content_keys(history_repo: GitRepo, tmp_path: Path) -> None:
    expected = _independent_versions(history_repo)
    counts = {p: len(v) for p, (v, _) in expected.items()}
    assert counts == {  # every case happened: the CRLF, the invisible edit in a rename and the revert are no versions
        "p0.md": 3, "moved/p1.md": 2, "p2-renamed.md": 2, "p3.md": 3, "sub/p3-copy.md": 1, "p4-moved.md": 1,
        "p5.md": 2, "tmp.md": 1,
    }
    cache = str(tmp_path / "cache")
    for options in (HistoryOptions(), HistoryOptions(cache_dir=cache), HistoryOptions(cache_dir=cache)):
        hist = read_history(history_repo.path / "docs", options)
        got = {p: ([v.commit for v in f.versions], f.retired is not None) for p, f in hist.files.items() if f.versions}
        assert got == expected
