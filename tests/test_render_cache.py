"""The on-disk render cache: round trip, corrupt and torn entries, concurrent writers."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from policykit.atomic import write_bytes_atomic
from policykit.pages.render_cache import RenderCache


def test_round_trip_and_miss(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path, "ns")
    assert cache.get("k") is None and not cache.has("k")
    cache.put("k", {"html": "<p>隱私</p>", "n": 3})
    assert cache.has("k")
    assert cache.get("k") == {"html": "<p>隱私</p>", "n": 3}
    assert RenderCache(tmp_path, "other").get("k") is None  # namespaces are separate
    assert (cache.hits, cache.misses) == (1, 1)


def test_corrupt_and_torn_entries_are_dropped(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path, "ns")
    cache.put("k", "<p>text</p>")
    path = cache._path("k")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a torn write
    assert cache.get("k") is None
    assert not path.exists()  # dropped, so the next build rewrites it
    cache.put("k", "<p>text</p>")
    path.write_bytes(path.read_bytes().replace(b"text", b"evil"))  # bytes changed behind our back
    assert cache.get("k") is None
    path.write_bytes(b"\x00\xff garbage")
    assert cache.get("k") is None
    cache.put("k", "<p>text</p>")
    assert cache.get("k") == "<p>text</p>"


def test_a_directory_without_cache_stores_nothing() -> None:
    cache = RenderCache(None, "ns")
    cache.put("k", 1)
    assert cache.get("k") is None and not cache.has("k")


def test_an_entry_that_cannot_be_replaced_leaves_no_temporary_file(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path, "ns")
    path = cache._path("k")
    (path / "in-the-way").mkdir(parents=True)  # a folder where the entry goes: os.replace fails
    cache.put("k", "<p>text</p>")  # costs time, never the build
    assert cache.get("k") is None
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no .tmp litter left behind


def test_write_bytes_atomic_replaces_or_raises_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.json"
    assert write_bytes_atomic(target, b"one")
    assert write_bytes_atomic(target, b"two") and target.read_bytes() == b"two"
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "x").write_bytes(b"")
    with pytest.raises(OSError):
        write_bytes_atomic(tmp_path / "dir", b"three")
    assert write_bytes_atomic(tmp_path / "dir", b"three", best_effort=True) is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "dir"]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b.json"]


def _writer(root: str, value: str, rounds: int) -> None:
    cache = RenderCache(root, "ns")
    for _ in range(rounds):
        cache.put("shared", value)


def test_concurrent_writers_never_leave_a_corrupt_entry(tmp_path: Path) -> None:
    a, b = "A" * 200_000, "B" * 150_000
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), v, 150)) for v in (a, b)]
    for p in procs:
        p.start()
    reader = RenderCache(tmp_path, "ns")
    seen = set()
    while any(p.is_alive() for p in procs):
        value = reader.get("shared")
        if value is not None:
            assert value in (a, b)  # whole, never mixed or torn
            seen.add(value[0])
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert reader.get("shared") in (a, b)
    assert seen  # the reader did see entries while writers ran
