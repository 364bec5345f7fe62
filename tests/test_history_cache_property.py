"""Property: however the history cache is damaged, a read gives the same answer as a read without it.

Accidental damage (truncation, flipped or inserted bytes, wrong types,
another kind of file in its place) must be caught; a structural damage whose
checksum was made right again (a tool that rewrote the file) must be caught
too.  Only bytes changed consistently on purpose are out of scope.

One small real repository; its cache is saved twice (at an older HEAD, so
the next read extends it, and at HEAD, so the next read reuses it).  Each
example copies one of them, damages it at random and reads the history again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitfixture import GitRepo
from policykit.history.versions import HistoryOptions, read_history
from test_history_cache_trust import answer, six_versions

LOGGER = "mkdocs.policykit.history"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    base = tmp_path_factory.mktemp("cache-property")
    repo = GitRepo.init(base / "repo")
    env = pytest.MonkeyPatch()  # module scope: the autouse isolation fixture is per test
    env.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    env.setenv("GIT_CONFIG_NOSYSTEM", "1")
    six_versions(repo)
    repo.run("reset", "-q", "--hard", "HEAD~4")
    read_history(repo.path / "docs", HistoryOptions(cache_dir=str(base / "older")))
    repo.run("reset", "-q", "--hard", "ORIG_HEAD")
    read_history(repo.path / "docs", HistoryOptions(cache_dir=str(base / "current")))
    expected = answer(read_history(repo.path / "docs", HistoryOptions()))
    yield {"base": base, "repo": repo, "expected": expected}
    env.undo()


WRONG = st.sampled_from([None, 0, 1.5, "x", "0" * 40, [], {}, ["a"], [1, 2], True])


def _resign(path: Path) -> None:
    parts = path.read_bytes().split(b"\n", 2)
    if len(parts) != 3:
        return
    try:
        meta = json.loads(parts[1])
        meta["sha256"] = hashlib.sha256(parts[2]).hexdigest()
    except (ValueError, TypeError):
        return
    path.write_bytes(parts[0] + b"\n" + json.dumps(meta).encode() + b"\n" + parts[2])


def _damage(cache: Path, target: str, op: tuple, rnd: st.DataObject) -> None:
    path = cache / target
    kind = op[0]
    if kind == "cache-is-a-file":
        shutil.rmtree(cache, ignore_errors=True)
        if not cache.exists():
            cache.write_bytes(b"x")
        return
    if not path.is_file():
        return
    data = path.read_bytes()
    try:
        _damage_bytes(path, target, kind, op, data, rnd)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        return  # an earlier damage left nothing this one can work on
    changed = not path.is_file() or path.read_bytes() != data
    # A tool rewrote it and fixed the checksum: only the structure checks remain.  Only when this very op
    # rewrote it: re-signing after an op that did nothing (a blobs.bin op on log.bin) would sign an earlier
    # accidental damage, bytes changed consistently with a right checksum, which is out of scope (see OPS).
    if op[-1] is True and changed and path.is_file():
        _resign(path)


def _damage_bytes(path: Path, target: str, kind: str, op: tuple, data: bytes, rnd: st.DataObject) -> None:
    if kind == "truncate":
        path.write_bytes(data[: int(len(data) * op[1])])
    elif kind == "flip" and data:
        i = min(int(len(data) * op[1]), len(data) - 1)
        path.write_bytes(data[:i] + bytes([data[i] ^ op[2]]) + data[i + 1:])
    elif kind == "insert":
        i = int(len(data) * op[1])
        path.write_bytes(data[:i] + op[2] + data[i:])
    elif kind == "cut-commit" and b"\x1e" in data:
        path.write_bytes(data[: data.rindex(b"\x1e")])
    elif kind == "header-type":
        parts = data.split(b"\n", 2)
        try:
            meta = json.loads(parts[1])
        except (ValueError, IndexError):
            return
        meta[rnd.draw(st.sampled_from(sorted(meta)))] = rnd.draw(WRONG)
        path.write_bytes(parts[0] + b"\n" + json.dumps(meta).encode() + b"\n" + parts[2])
    elif kind == "payload-type" and target == "blobs.bin":
        parts = data.split(b"\n", 2)
        entries = json.loads(parts[2])
        oid = rnd.draw(st.sampled_from(sorted(entries)))
        if rnd.draw(st.booleans()):
            entries[oid] = rnd.draw(WRONG)
        else:
            entries[oid][rnd.draw(st.integers(0, 1))] = rnd.draw(WRONG)
        path.write_bytes(parts[0] + b"\n" + parts[1] + b"\n" + json.dumps(entries).encode())
    elif kind == "drop-entry" and target == "blobs.bin":
        parts = data.split(b"\n", 2)
        entries = json.loads(parts[2])
        entries.pop(rnd.draw(st.sampled_from(sorted(entries))))
        path.write_bytes(parts[0] + b"\n" + parts[1] + b"\n" + json.dumps(entries).encode())
    elif kind == "folder":
        path.unlink()
        path.mkdir()
    elif kind == "fifo":
        path.unlink()
        os.mkfifo(path)
    elif kind == "remove":
        path.unlink()


OPS = st.one_of(
    # accidental damage: the checksum must catch it
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(False)),
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(1, 255), st.just(False)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=8), st.just(False)),
    # with True, the checksum is made right again: the structure checks must catch it
    # (bytes changed consistently on purpose, with a right checksum, are out of scope)
    st.tuples(st.just("cut-commit"), st.booleans()),
    st.tuples(st.just("header-type"), st.booleans()),
    st.tuples(st.just("payload-type"), st.booleans()),
    st.tuples(st.just("drop-entry"), st.just(True)),
    st.tuples(st.just("folder"), st.just(False)),
    st.tuples(st.just("fifo"), st.just(False)),
    st.tuples(st.just("remove"), st.just(False)),
    st.tuples(st.just("cache-is-a-file"), st.just(False)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.sampled_from(["older", "current"]),
    damages=st.lists(st.tuples(st.sampled_from(["log.bin", "blobs.bin"]), OPS), min_size=1, max_size=3),
    rnd=st.data(),
)
def test_a_damaged_cache_never_changes_the_answer(world: dict, start: str, damages: list, rnd: st.DataObject, caplog) -> None:
    work = Path(tempfile.mkdtemp(dir=world["base"]))
    cache = work / "cache"
    shutil.copytree(world["base"] / start, cache)
    for target, op in damages:
        _damage(cache, target, op, rnd)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        got = answer(read_history(world["repo"].path / "docs", HistoryOptions(cache_dir=str(cache))))
    assert got == world["expected"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len([r for r in caplog.records if r.levelno == logging.INFO and "damaged" in r.getMessage()]) <= 2
    shutil.rmtree(work, ignore_errors=True)
