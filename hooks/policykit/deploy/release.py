"""Atomic publish: build the site beside the published one, then swap it in with one rename.

Layout (TARGET is what the web server serves)::

    TARGET            -> symlink to TARGET.releases/<id>/site
    TARGET-deploy     -> symlink to TARGET.releases/<id>/site-deploy (nginx include, purge lists)
    TARGET.releases/  <id>/ for the current and the previous release; .lock

1. Under an exclusive lock (one publish at a time), leftovers of interrupted
   publishes (``.building-*``) are removed.
2. ``mkdocs build --strict -d TARGET.releases/.building-<id>/site`` runs.  The
   previous release's ``manifest.json`` is passed as the previous manifest, so
   unchanged files keep their validators and the purge list is exact.
3. Only when the build succeeded: the folder is renamed to ``<id>``, and a new
   symlink replaces TARGET with ``os.replace`` -- atomic on POSIX: a reader
   sees the old site or the new one, never a mix or nothing.
4. Older releases except the previous one are deleted (keep it for a rollback:
   ``ln -sfn TARGET.releases/<old>/site TARGET.new && mv -T TARGET.new TARGET``).

A failed build, an exception, Ctrl-C or SIGKILL at any point before step 3
leaves TARGET exactly as it was.  Plain Python: MkDocs runs as a subprocess,
in its own process group, and never outlives the publish: SIGTERM, SIGINT or
SIGHUP stop its whole group and remove ``.building-<id>`` before the publish
exits (status 128 + the signal); on Linux, a publish killed with SIGKILL takes
the build with it (``PR_SET_PDEATHSIG``), and the next publish removes the
folder.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from policykit.atomic import symlink_atomic
from policykit.deploy.manifest import PREVIOUS_MANIFEST_ENV

BUILDING = ".building-"
KEEP = 2  # releases kept: the current one and the previous one


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_STOP_GRACE = 10.0  # seconds the build gets to end after SIGTERM before SIGKILL
_PR_SET_PDEATHSIG = 1


class PublishError(RuntimeError):
    """The site was not published; the message says why and that TARGET is unchanged."""

    def __init__(self, message: str, *, signum: int | None = None) -> None:
        super().__init__(message)
        self.signum = signum  # the signal that stopped the publish, if one did


class _Stopped(BaseException):
    """Raised by the signal handler while the build runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass(frozen=True)
class Published:
    """What a successful publish did."""

    target: Path
    release: Path  # TARGET.releases/<id>
    previous: Path | None  # the release TARGET pointed to before
    removed: tuple[Path, ...]  # releases deleted


def releases_dir(target: Path) -> Path:
    return target.with_name(target.name + ".releases")


def deploy_link(target: Path) -> Path:
    return target.with_name(target.name + "-deploy")


def _release_id(project: Path) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    try:
        head = subprocess.run(
            ["git", "-C", str(project), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = "nocommit"
    return f"{stamp}-{head}-{os.getpid()}"


def _current_release(target: Path) -> Path | None:
    if not target.is_symlink():
        return None
    site = Path(os.path.realpath(target))
    return site.parent if site.name == "site" else None


def _swap_link(link: Path, points_to: str) -> None:
    """Make *link* a symlink to *points_to* in one atomic rename."""
    symlink_atomic(link, points_to)


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn making the child get SIGKILL when this process dies, even by SIGKILL (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End the build's whole process group: SIGTERM, then SIGKILL after a grace period; reap it."""
    for sig, wait in ((signal.SIGTERM, _STOP_GRACE), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """While the build runs, SIGTERM/SIGINT/SIGHUP raise _Stopped (in the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    fired: list[int] = []

    def handler(signum: int, frame: object) -> None:
        if not fired:  # once: a second Ctrl-C must not interrupt the stopping of the build
            fired.append(signum)
            raise _Stopped(signum)

    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _run_build(cmd: list[str], project: Path, env: dict[str, str]) -> int:
    """Run the build in its own process group; never leave it running behind us."""
    proc: subprocess.Popen[bytes] | None = None
    with _stop_on_signals():
        try:
            proc = subprocess.Popen(cmd, cwd=project, env=env, start_new_session=True, preexec_fn=_die_with_parent())
            return proc.wait()
        finally:
            if proc is not None and proc.returncode is None:
                _stop_group(proc)


def publish(
    target: str | os.PathLike[str],
    *,
    project: str | os.PathLike[str] = ".",
    config_file: str = "mkdocs.yml",
    keep: int = KEEP,
    python: str = sys.executable,
    extra_args: Sequence[str] = (),
) -> Published:
    """Build *project* with ``--strict`` and publish it at *target* atomically (see module doc)."""
    target = Path(os.path.abspath(target))
    project = Path(project).resolve()
    if target.exists() and not target.is_symlink():
        raise PublishError(
            f"{target} is a real folder, not a published release; nothing was changed. Move it away "
            f"(e.g. mv {target} {target}.old) and publish again: TARGET becomes a symlink to the release."
        )
    if not target.parent.is_dir():
        raise PublishError(f"{target.parent} does not exist; create it first. Nothing was published.")
    releases = releases_dir(target)
    releases.mkdir(exist_ok=True)
    with open(releases / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PublishError(f"another publish to {target} is running; wait for it to finish.") from exc
        for stale in releases.glob(BUILDING + "*"):  # an interrupted publish (we hold the lock)
            shutil.rmtree(stale, ignore_errors=True)
        rid = _release_id(project)
        building = releases / (BUILDING + rid)
        building.mkdir()
        previous = _current_release(target)
        env = dict(os.environ)
        if previous is not None and (previous / "site" / "manifest.json").is_file():
            env.setdefault(PREVIOUS_MANIFEST_ENV, str(previous / "site" / "manifest.json"))
        cmd = [python, "-m", "mkdocs", "build", "--strict", "-f", config_file, "-d", str(building / "site"), *extra_args]
        try:
            try:
                code = _run_build(cmd, project, env)
            except _Stopped as stop:
                name = signal.Signals(stop.signum).name
                raise PublishError(
                    f"stopped by {name}: the build was ended and its folder removed. "
                    f"Nothing was published: {target} is unchanged.", signum=stop.signum,
                ) from None
            if code != 0:
                raise PublishError(
                    f"the build failed (exit code {code}; its messages are above). "
                    f"Nothing was published: {target} is unchanged."
                )
            if not (building / "site" / "index.html").is_file():
                raise PublishError(f"the build wrote no index.html. Nothing was published: {target} is unchanged.")
            release = releases / rid
            os.rename(building, release)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        rel = os.path.relpath(release, target.parent)
        _swap_link(target, os.path.join(rel, "site"))  # the publish happens here, atomically
        if (release / "site-deploy").is_dir():
            _swap_link(deploy_link(target), os.path.join(rel, "site-deploy"))
        keep_ids = {release.name} | ({previous.name} if previous is not None and keep > 1 else set())
        removed = []
        for old in sorted(releases.iterdir()):
            if old.is_dir() and not old.name.startswith(".") and old.name not in keep_ids:
                shutil.rmtree(old, ignore_errors=True)
                removed.append(old)
        return Published(target, release, previous, tuple(removed))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m policykit.deploy.release",
        description="Build the site with --strict and publish it at TARGET atomically (TARGET becomes a symlink).",
    )
    parser.add_argument("target", help="the folder the web server serves, e.g. /srv/policy/site")
    parser.add_argument("--project", default=".", help="folder with mkdocs.yml (default: current folder)")
    parser.add_argument("-f", "--config-file", default="mkdocs.yml")
    parser.add_argument("--keep", type=int, default=KEEP, help="releases to keep, current included (default 2)")
    args = parser.parse_args(argv)
    try:
        done = publish(args.target, project=args.project, config_file=args.config_file, keep=max(1, args.keep))
    except PublishError as exc:
        print(f"publish: {exc}", file=sys.stderr)
        return 128 + exc.signum if exc.signum else 1
    print(f"publish: {done.target} -> {done.release / 'site'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
