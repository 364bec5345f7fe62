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
leaves TARGET exactly as it was.  Plain Python: MkDocs runs as a subprocess.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .manifest import PREVIOUS_MANIFEST_ENV

BUILDING = ".building-"
KEEP = 2  # releases kept: the current one and the previous one


class PublishError(RuntimeError):
    """The site was not published; the message says why and that TARGET is unchanged."""


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
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(points_to, tmp)
    os.replace(tmp, link)


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
            code = subprocess.call(cmd, cwd=project, env=env)
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
        prog="python -m policykit.publish",
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
        return 1
    print(f"publish: {done.target} -> {done.release / 'site'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
