"""Pathological Markdown cannot hang the build (issue 9, section 5).

900 KB of ``[`` (under the 1 MB page limit) takes Python-Markdown hours.
Every render, of the live page and of each past version, runs in a worker
process killed after ``render_timeout`` seconds, and the build stops with an
error naming the file (and the version).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from gitfixture import GitRepo
from sitebuild import mkdocs_build, new_site, set_setting

from policykit.pages import render_pool
from policykit.source.schema import MAX_MARKDOWN_BYTES
from policykit.settings import SettingsError, parse_settings

EN = "docs/en/privacy.md"
BAD = "\n" + "[" * 900_000 + "\n"


def _processes_in(path: Path) -> list[str]:
    """Processes still running with their working directory inside *path* (left-over workers)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd == str(path) or cwd.startswith(str(path) + os.sep):
            found.append(f"{proc.name}: {cmd}")
    return found


def _site(tmp_path: Path) -> tuple[GitRepo, str]:
    repo = new_site(tmp_path)
    set_setting(repo, "render_timeout", "3")
    good = repo.read(EN)
    assert len((good + BAD).encode()) < MAX_MARKDOWN_BYTES
    return repo, good


def _failed_build(repo: GitRepo) -> tuple[str, float]:
    started = time.monotonic()
    result = mkdocs_build(repo.path, "--strict")
    seconds = time.monotonic() - started
    assert result.returncode == 1, result.stdout[-2000:]
    assert "Traceback" not in result.stdout, result.stdout
    assert _processes_in(repo.path) == []  # every worker was killed and reaped
    return result.stdout, seconds


def test_a_slow_live_page_stops_the_build_naming_the_file(tmp_path: Path) -> None:
    repo, good = _site(tmp_path)
    repo.commit("Publish", date="2020-01-01T10:00:00+08:00")
    first = mkdocs_build(repo.path, "--strict")  # every page checked once, and remembered as fast
    assert first.returncode == 0, first.stdout[-2000:]
    repo.write(EN, good + BAD)
    repo.commit("A pathological edit", date="2020-02-01T10:00:00+08:00")
    out, seconds = _failed_build(repo)
    assert seconds < 60
    assert re.search(r"docs/en/privacy\.md: Python-Markdown took more than 3 s to render this page", out), out
    assert "render_timeout" in out
    # The check runs before MkDocs writes a page: site/ holds nothing of this build.
    assert not any((repo.path / "site").rglob("*.html"))


def test_a_slow_past_version_stops_the_build_naming_file_and_version(tmp_path: Path) -> None:
    repo, good = _site(tmp_path)
    repo.commit("Publish", date="2020-01-01T10:00:00+08:00")
    repo.write(EN, good + BAD)
    bad = repo.commit("A pathological version", date="2020-02-01T10:00:00+08:00")
    repo.write(EN, good + "\nFixed.\n")
    repo.commit("Fix it", date="2020-03-01T10:00:00+08:00")  # the live page is fine; version 2 is not
    out, seconds = _failed_build(repo)
    assert seconds < 60
    assert f"docs/en/privacy.md, version 2 (commit {bad[:12]}): Python-Markdown took more than 3 s" in out, out
    assert "past version" in out and "ignore-revs" in out
    # The error came after MkDocs had written the live pages: no half-written site is left behind.
    assert not (repo.path / "site").exists(), sorted(p.name for p in (repo.path / "site").rglob("*"))[:10]
    assert "the partial site" in out
    # What the message offers works: with that commit ignored, it is not a version and the build passes.
    repo.write(".git-blame-ignore-revs", bad + "\n")
    repo.commit("Ignore the pathological commit", date="2020-04-01T10:00:00+08:00")
    again = mkdocs_build(repo.path, "--strict")
    assert again.returncode == 0, again.stdout[-2000:]


def test_render_timeout_setting_is_validated() -> None:
    assert parse_settings({}).render_timeout == 20
    assert parse_settings({"render_timeout": 2.5}).render_timeout == 2.5
    for bad in ("10", 0, -1, True, None):
        with pytest.raises(SettingsError, match="render_timeout"):
            parse_settings({"render_timeout": bad})


# ------------------------------------------------------------------ the pool itself


def _catastrophic(index: int, mark: render_pool.Mark) -> int:
    """Task 1 is stuck in the C regex engine (exponential backtracking); the others are quick."""
    guard = render_pool.marked(mark)
    if index == 1:
        return guard("task one", lambda: bool(re.match(r"(a+)+$", "a" * 64 + "b")))
    return guard(f"task {index}", lambda: index * 10)


def test_a_task_stuck_in_c_code_is_killed(tmp_path: Path) -> None:
    started = time.monotonic()
    got = {}
    with pytest.raises(render_pool.RenderTimeout) as info:
        for i, value in render_pool.run_tasks(4, _catastrophic, workers=2, timeout=1.0):
            got[i] = value
    assert time.monotonic() - started < 10
    assert info.value.label == "task one" and info.value.seconds == 1.0
    assert set(got) <= {0, 2, 3} and all(got[i] == i * 10 for i in got)
    assert not [p for p in __import__("multiprocessing").active_children()]


def _boom(index: int, mark: render_pool.Mark) -> int:
    if index == 2:
        raise ValueError("bad extension setting")
    return index


def test_errors_results_and_early_stop() -> None:
    assert sorted(render_pool.run_tasks(5, lambda i, mark: i * i, workers=2, timeout=5)) == [(i, i * i) for i in range(5)]
    with pytest.raises(ValueError, match="bad extension setting"):
        list(render_pool.run_tasks(5, _boom, workers=2, timeout=5))
    gen = render_pool.run_tasks(50, lambda i, mark: i, workers=2, timeout=5)
    next(gen)
    gen.close()  # the consumer stops early
    assert not __import__("multiprocessing").active_children()
    assert render_pool.call_with_timeout("x", lambda: "ok", 5) == "ok"
    with pytest.raises(render_pool.RenderTimeout, match="slow one"):
        render_pool.call_with_timeout("slow one", lambda: re.match(r"(a+)+$", "a" * 64 + "b"), 0.5)


def _suicide(index: int, mark: render_pool.Mark) -> int:
    if index == 1:
        mark("the dying page")
        os.kill(os.getpid(), 9)
    return index


def test_a_worker_killed_from_outside_is_reported_with_its_page() -> None:
    with pytest.raises(render_pool.WorkerDied, match="the dying page"):
        list(render_pool.run_tasks(3, _suicide, workers=1, timeout=30))
    assert not __import__("multiprocessing").active_children()
