"""The history cache only makes a read faster: it never changes the answer (issue 9, section 1).

Every test compares a read that uses the cache with a read of the same real
git repository without one.  The cache files are damaged the way disks,
interrupted builds and stray tools damage them; each damage must be noticed,
logged once at INFO level (so ``--strict`` builds pass) and repaired from git.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import threading
from pathlib import Path

import pytest

from gitfixture import GitRepo
from policykit.history.versions import History, HistoryOptions, read_history

LOGGER = "mkdocs.policykit.history"
DAY = "2024-03-01T{}:00:00+08:00"
BODY = "---\ntitle: Privacy\n---\n# Privacy\n\nWe keep your data safe.\n"


def read(repo: GitRepo, cache: Path | None) -> History:
    return read_history(repo.path / "docs", HistoryOptions(cache_dir=str(cache) if cache else None))


def answer(hist: History) -> tuple:
    """Everything a build shows from history: every file's versions (numbers, commits, dates...), HEAD's date."""
    return (hist.files, hist.head_date)


def six_versions(repo: GitRepo) -> list[str]:
    """en/p.md in six versions, v1 at 08:00 ... v6 at 13:00, with non-versions and a double rename between them."""
    commits = []
    repo.write("docs/en/p.md", BODY)
    repo.write("docs/en/a.md", "# A\n\nAlpha text that is long enough to be found as a rename.\n")
    repo.write("docs/en/c.md", "# C\n\nGamma text that is long enough to be found as a rename.\n")
    commits.append(repo.commit("v1", date=DAY.format("08")))
    for n, hour in zip(range(2, 7), ("09", "10", "11", "12", "13"), strict=True):
        repo.write("docs/en/p.md", repo.read("docs/en/p.md").replace("\r\n", "\n") + f"\nRule {n}.\n")
        if n == 3:  # two inexact renames in one commit: found only with a rename limit of 2 or more
            repo.mv("docs/en/a.md", "docs/en/b.md")
            repo.mv("docs/en/c.md", "docs/en/d.md")
            repo.write("docs/en/b.md", repo.read("docs/en/b.md") + "More.\n")
            repo.write("docs/en/d.md", repo.read("docs/en/d.md") + "More.\n")
        commits.append(repo.commit(f"v{n}", date=DAY.format(hour)))
        repo.write("docs/en/p.md", repo.read("docs/en/p.md").replace("\n", "\r\n"))  # whitespace only: not a version
        repo.commit(f"crlf after v{n}", date=DAY.format(hour).replace(":00:00", ":30:00"))
    return commits


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    six_versions(git_repo)
    return git_repo


def file_named(cache: Path, prefix: str) -> Path:
    found = [p for p in cache.iterdir() if p.name.startswith(prefix)]
    assert len(found) == 1, list(cache.iterdir())
    return found[0]


def split_json(data: bytes) -> tuple[bytes, dict]:
    """(everything before the JSON payload, the payload) of a blob cache file."""
    if data.startswith(b"{"):
        return b"", json.loads(data)
    first, header, payload = data.split(b"\n", 2)
    return first + b"\n" + header + b"\n", json.loads(payload)


def resign(path: Path) -> None:
    """Recompute the payload checksum, as a tool that rewrote the file would (so only structure checks are left)."""
    first, header, payload = path.read_bytes().split(b"\n", 2)
    meta = json.loads(header)
    meta["sha256"] = hashlib.sha256(payload).hexdigest()
    path.write_bytes(first + b"\n" + json.dumps(meta).encode() + b"\n" + payload)


def infos(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.INFO and "damaged" in r.getMessage()]


def assert_repaired(repo: GitRepo, cache: Path, caplog: pytest.LogCaptureFixture, expected: tuple, lines: int = 1) -> None:
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        got = answer(read(repo, cache))
    assert got == expected
    assert len(infos(caplog)) == lines, infos(caplog)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    # and the repaired cache answers the same again, silently
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert answer(read(repo, cache)) == expected
    assert infos(caplog) == []


# ------------------------------------------------------------------ keys


def test_git_replace_giving_a_commit_a_new_date_shows_with_the_cache_kept(repo: GitRepo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    v6 = read(repo, cache).get("en/p.md").versions[-1]
    assert v6.date.isoformat() == DAY.format("13")
    raw = repo.run("cat-file", "commit", v6.commit)
    stamp = str(int(v6.date.timestamp()))
    later = str(int(v6.date.timestamp()) + 86400)
    replacement = subprocess.run(
        ["git", "-C", str(repo.path), "hash-object", "-t", "commit", "-w", "--stdin"],
        input=raw.replace(f"> {stamp} +0800", f"> {later} +0800") + "\n",
        capture_output=True, text=True, check=True, env={**os.environ},
    ).stdout.strip()
    repo.run("replace", v6.commit, replacement)
    cached = read(repo, cache)
    assert cached.get("en/p.md").versions[-1].date.isoformat() == "2024-03-02T13:00:00+08:00"
    assert answer(cached) == answer(read(repo, None))


def test_grafts_change_history_with_the_cache_kept(repo: GitRepo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = read(repo, cache)
    commits = [v.commit for v in before.get("en/p.md").versions]
    grafts = repo.path / ".git" / "info" / "grafts"
    grafts.parent.mkdir(exist_ok=True)
    grafts.write_text(f"{commits[3]}\n")  # v4 becomes a root commit: v1-v3 leave the first-parent history
    cached = read(repo, cache)
    assert answer(cached) == answer(read(repo, None))
    assert [v.commit for v in cached.get("en/p.md").versions][0] == commits[3]


def test_the_rename_limit_of_the_git_config_changes_neither_history_nor_cache(repo: GitRepo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    expected = answer(read(repo, None))
    assert [v.number for v in expected[0]["en/b.md"].versions] == [1, 2]  # a.md's lineage, followed across the rename
    read(repo, cache)
    repo.run("config", "diff.renameLimit", "1")  # would make the double rename a delete and an add
    assert answer(read(repo, cache)) == expected
    assert answer(read(repo, None)) == expected


# ------------------------------------------------------------------ damage


def test_a_log_cut_at_a_commit_boundary_is_rebuilt(repo: GitRepo, tmp_path: Path, caplog) -> None:
    cache = tmp_path / "cache"
    expected = answer(read(repo, None))
    read(repo, cache)
    log_file = file_named(cache, "log")
    data = log_file.read_bytes()
    log_file.write_bytes(data[: data.rindex(b"\x1e")])  # the last commit's record is gone, cleanly
    assert_repaired(repo, cache, caplog, expected)
    assert expected[0]["en/p.md"].versions[-1].number == 6


def test_a_log_cut_and_resigned_is_still_rebuilt(repo: GitRepo, tmp_path: Path, caplog) -> None:
    cache = tmp_path / "cache"
    expected = answer(read(repo, None))
    read(repo, cache)
    log_file = file_named(cache, "log")
    data = log_file.read_bytes()
    log_file.write_bytes(data[: data.rindex(b"\x1e")])
    resign(log_file)  # checksum right, but it no longer ends at the HEAD it names
    assert_repaired(repo, cache, caplog, expected)


def test_a_half_truncated_log_is_rebuilt(repo: GitRepo, tmp_path: Path, caplog) -> None:
    cache = tmp_path / "cache"
    expected = answer(read(repo, None))
    read(repo, cache)
    log_file = file_named(cache, "log")
    data = log_file.read_bytes()
    meta_end = data.index(b"\0", data.rindex(b"\0:") + 1)  # just after the last change line, before its path
    log_file.write_bytes(data[: meta_end + 1])
    assert_repaired(repo, cache, caplog, expected)


def test_two_blobs_given_equal_content_keys_are_noticed(repo: GitRepo, tmp_path: Path, caplog) -> None:
    cache = tmp_path / "cache"
    expected = answer(read(repo, None))
    read(repo, cache)
    blob_file = file_named(cache, "blobs")
    prefix, entries = split_json(blob_file.read_bytes())
    same = next(iter(entries.values()))[0]
    for value in entries.values():
        value[0] = same  # every text now looks like version 1's
    blob_file.write_bytes(prefix + json.dumps(entries, separators=(",", ":"), sort_keys=True).encode())
    assert_repaired(repo, cache, caplog, expected)


@pytest.mark.parametrize("wrong", [[123, None], "text", [None, "x"], ["0" * 32, 7], {"a": 1}])
@pytest.mark.parametrize("signed", [False, True])
def test_values_of_the_wrong_type_are_noticed(repo: GitRepo, tmp_path: Path, caplog, wrong, signed: bool) -> None:
    cache = tmp_path / "cache"
    expected = answer(read(repo, None))
    read(repo, cache)
    blob_file = file_named(cache, "blobs")
    prefix, entries = split_json(blob_file.read_bytes())
    for oid in entries:
        entries[oid] = wrong
    blob_file.write_bytes(prefix + json.dumps(entries).encode())
    if signed:
        resign(blob_file)
    assert_repaired(repo, cache, caplog, expected)


def test_a_fifo_in_place_of_the_log_never_hangs(repo: GitRepo, tmp_path: Path, caplog) -> None:
    cache = tmp_path / "cache"
    expected = answer(read(repo, None))
    read(repo, cache)
    log_file = file_named(cache, "log")
    log_file.unlink()
    os.mkfifo(log_file)  # reading it would block forever: no writer ever comes
    result: list[tuple] = []
    worker = threading.Thread(target=lambda: result.append(answer(read(repo, cache))), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():  # unblock the reader before failing
        os.close(os.open(log_file, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("read_history blocked on a FIFO in the cache")
    assert result == [expected]


def test_folders_in_place_of_the_cache_files(repo: GitRepo, tmp_path: Path, caplog) -> None:
    cache = tmp_path / "cache"
    expected = answer(read(repo, None))
    read(repo, cache)
    for name in ("log", "blobs"):
        path = file_named(cache, name)
        path.unlink()
        path.mkdir()  # IsADirectoryError when opened: an OSError that is real as root too
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert answer(read(repo, cache)) == expected
    assert len(infos(caplog)) == 2  # one line per damaged file


def test_a_file_in_place_of_the_cache_folder(repo: GitRepo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    expected = answer(read(repo, None))
    assert answer(read(repo, cache)) == expected
    assert cache.read_text() == "not a folder"


def test_a_cache_path_the_system_refuses_to_look_at(repo: GitRepo, tmp_path: Path, caplog) -> None:
    """As root, chmod cannot make a folder unreadable; a name too long makes stat() itself fail (OSError)."""
    cache = tmp_path / ("x" * 300)
    expected = answer(read(repo, None))
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert answer(read(repo, cache)) == expected
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.fixture
def immutable(tmp_path: Path):
    """``chattr +i``: a folder nobody, root included, can write into."""
    marked: list[Path] = []

    def mark(path: Path) -> None:
        proc = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"chattr +i is not supported here: {proc.stderr.strip()}")
        marked.append(path)

    yield mark
    for path in marked:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_cache_folder_still_builds(repo: GitRepo, tmp_path: Path, caplog, immutable) -> None:
    cache = tmp_path / "cache"
    expected = answer(read(repo, None))
    read(repo, cache)
    log_file = file_named(cache, "log")
    data = log_file.read_bytes()
    log_file.write_bytes(data[: data.rindex(b"\x1e")])  # damaged, and it cannot be repaired on disk
    immutable(cache)
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert answer(read(repo, cache)) == expected
        assert answer(read(repo, cache)) == expected
    assert sorted(p.name for p in cache.iterdir()) == sorted(["log.bin", "blobs.bin"])  # no temp files left


def test_a_read_only_checkout_still_builds(repo: GitRepo, tmp_path: Path, immutable) -> None:
    base = tmp_path / "ro"
    base.mkdir()
    immutable(base)
    assert answer(read(repo, base / "cache")) == answer(read(repo, None))
    assert list(base.iterdir()) == []


# ------------------------------------------------------------------ a real build


def test_a_strict_build_with_a_cut_log_cache_shows_version_6_not_5(tmp_path: Path) -> None:
    """The case seen: the cached log lost its last commit cleanly, and --strict passed showing v5 at 12:00."""
    from sitebuild import mkdocs_build, new_site

    site = new_site(tmp_path)
    site.commit("site", date=DAY.format("08"))
    pages = [f"docs/{lang}/privacy.md" for lang in ("zh-Hant", "zh-Hans", "en")]
    for n, hour in zip(range(2, 7), ("09", "10", "11", "12", "13"), strict=True):
        for page in pages:
            site.write(page, site.read(page) + f"\nRule {n}.\n")
        site.commit(f"v{n}", date=DAY.format(hour))
    first = mkdocs_build(site.path, "--strict")
    assert first.returncode == 0, first.stdout[-3000:]
    log_file = site.path / ".cache" / "policy-site" / "history" / "log.bin"
    data = log_file.read_bytes()
    log_file.write_bytes(data[: data.rindex(b"\x1e")])
    second = mkdocs_build(site.path, "--strict")
    assert second.returncode == 0, second.stdout[-3000:]
    assert "Traceback" not in second.stdout
    assert len([line for line in second.stdout.splitlines() if "history cache" in line and "damaged" in line]) == 1
    page = (site.path / "site" / "en" / "privacy" / "index.html").read_text(encoding="utf-8")
    assert '<time class="policy-stamp__date" datetime="2024-03-01T13:00:00+08:00">' in page
    assert '<span class="policy-stamp__version">Version 6</span>' in page
