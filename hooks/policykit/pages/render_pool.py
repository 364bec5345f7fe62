"""Run work in long-lived worker processes, each bounded step under a deadline that kills its worker.

Python-Markdown is quadratic on some input (900 KB of ``[`` takes hours), and
a signal cannot interrupt a regular expression running in C, so the only
sure bound is a separate process that is killed.  Workers are forked, so
they share the caller's state (renderers, settings, closures) without
pickling; only task numbers and results cross the pipes.

A worker marks the slow step of a task with ``mark(label)`` ... ``mark(None)``;
while a label is set, the parent gives it ``timeout`` seconds, then kills it
(SIGKILL) and raises ``RenderTimeout(label)``.  Every exit path (normal end,
error, a consumer that stops early) stops and reaps every worker.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
import traceback
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")
Mark = Callable[["str | None"], None]
Work = Callable[[int, Mark], Any]


class RenderTimeout(Exception):
    """A marked step ran past the deadline; *label* says what it was (a file, a version)."""

    def __init__(self, label: str, seconds: float) -> None:
        super().__init__(f"{label}: took more than {seconds:g} s")
        self.label = label
        self.seconds = seconds


def timeout_message(exc: RenderTimeout, *, past_version: bool) -> str:
    """What the editor reads when a page is too slow to render: the file (and version), the bound, what to do."""
    n = f"{exc.seconds:g}"
    if past_version:
        todo = (
            "Its text is in git history, so it cannot be simplified: raise the policy-site option render_timeout "
            f"(now {n} s), or list that commit in the ignore-revs file (.git-blame-ignore-revs) so it is not a version."
        )
        what = "this past version"
    else:
        todo = (
            "Simplify its Markdown (unbalanced brackets '[', or very deep nesting of lists, quotes or emphasis, "
            f"make Python-Markdown slow), or raise the policy-site option render_timeout (now {n} s)."
        )
        what = "this page"
    return f"{exc.label}: Python-Markdown took more than {n} s to render {what}, so the build stopped. {todo}"


class WorkerDied(RuntimeError):
    """A worker process ended without an answer (killed from outside, out of memory)."""


def available() -> bool:
    """Whether workers can be forked here (Linux, macOS); elsewhere work runs unbounded in-process."""
    return "fork" in multiprocessing.get_all_start_methods()


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the build process dies, even by SIGKILL."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _serve(conn: Connection, work: Work) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops us

    def mark(label: str | None) -> None:
        conn.send(("mark", label))

    while True:
        try:
            index = conn.recv()
        except (EOFError, OSError):
            break
        if index is None:
            break
        try:
            conn.send(("done", index, work(index, mark)))
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
            try:
                conn.send(("error", index, exc))
            except Exception:  # not picklable: send its text
                conn.send(("error", index, RuntimeError("".join(traceback.format_exception(exc)))))
    conn.close()


class _Worker:
    def __init__(self, ctx: Any, work: Work) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_serve, args=(child, work), daemon=True)
        self.proc.start()
        child.close()
        self.task: int | None = None
        self.label: str | None = None
        self.deadline: float | None = None

    def stop(self, *, kill: bool) -> None:
        if not kill and self.proc.is_alive():
            try:
                self.conn.send(None)
            except OSError:
                kill = True
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


def run_tasks(count: int, work: Work, *, workers: int, timeout: float) -> Iterator[tuple[int, Any]]:
    """Run ``work(i, mark)`` for i in range(count) on up to *workers* forked processes; yield (i, result).

    Results come in the order tasks finish.  An exception in a task is raised
    here; a marked step over *timeout* seconds raises RenderTimeout.
    """
    if count <= 0:
        return
    ctx = multiprocessing.get_context("fork")
    pool = [_Worker(ctx, work) for _ in range(max(1, min(workers, count)))]
    todo = iter(range(count))
    pending = count
    clean = False
    try:
        for w in pool:
            _assign(w, todo)
        while pending:
            busy = [w for w in pool if w.task is not None]
            deadlines = [w.deadline for w in busy if w.deadline is not None]
            wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = wait([w.conn for w in busy], wait_for)
            for w in busy:
                if w.conn not in ready:
                    continue
                try:
                    msg = w.conn.recv()
                except (EOFError, OSError):
                    raise WorkerDied(
                        f"{w.label or 'a page'}: the render worker (pid {w.proc.pid}) ended without an answer "
                        "(killed from outside, or out of memory). Build again; if it recurs, simplify that page."
                    ) from None
                if msg[0] == "mark":
                    w.label = msg[1]
                    w.deadline = time.monotonic() + timeout if msg[1] is not None else None
                    continue
                if msg[0] == "error":
                    raise msg[2]
                w.task = w.label = w.deadline = None
                pending -= 1
                _assign(w, todo)
                yield msg[1], msg[2]
            now = time.monotonic()
            for w in pool:
                if w.deadline is not None and now >= w.deadline:
                    w.proc.kill()  # stuck, maybe inside C code: only a kill stops it
                    raise RenderTimeout(w.label or "a task", timeout)
        clean = True
    finally:
        for w in pool:
            w.stop(kill=not clean)


def _assign(w: _Worker, todo: Iterator[int]) -> None:
    index = next(todo, None)
    if index is not None:
        w.task = index
        w.conn.send(index)


def marked(mark: Mark) -> Callable[[str, Callable[[], T]], T]:
    """A guard for code running inside a worker: marks *fn* as the bounded step."""

    def guard(label: str, fn: Callable[[], T]) -> T:
        mark(label)
        try:
            return fn()
        finally:
            mark(None)

    return guard


def call_with_timeout(label: str, fn: Callable[[], T], timeout: float) -> T:
    """``fn()`` in a fresh worker, killed after *timeout* seconds (RenderTimeout); in-process without fork."""
    if not available():
        return fn()

    def work(_index: int, mark: Mark) -> T:
        return marked(mark)(label, fn)

    for _, result in run_tasks(1, work, workers=1, timeout=timeout):
        return result
    raise WorkerDied("no result")  # pragma: no cover


def unbounded(label: str, fn: Callable[[], T]) -> T:
    """The guard used when no bound is wanted (tests, code already inside a worker)."""
    return fn()
