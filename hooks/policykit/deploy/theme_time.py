"""When the theme's own files last changed, as far as the repository can tell.

Material's unhashed assets (lunr language files, the favicon, ...) are copied
byte for byte from the installed theme, so their bytes change only with the
theme's version.  When the repository pins that version (a line
``mkdocs-material==X`` in a committed, unmodified ``requirements.txt`` next to
``mkdocs.yml``) and the installed version is X, the last first-parent commit
that changed the pin file dates every such file: its chain clock is their
mtime, so they keep their validators across builds without a previous
manifest, and an upgrade (a commit changing the pin) gives them a later one.
Anything else (no pin, another version installed, a modified pin file) dates
nothing and the files get the build clock.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Iterable, Mapping

from policykit.history.chain import Chain
from policykit.history.gitrepo import GitError, WorkTree
from policykit.deploy.manifest import stream_digest
from policykit.deploy.mtimes import chain_clock

PIN_FILE = "requirements.txt"
THEME_PACKAGE = "mkdocs-material"


def pinned_version(text: str, package: str = THEME_PACKAGE) -> str | None:
    """``X`` of a ``package==X`` line (comments and extras allowed), else None."""
    pattern = re.compile(rf"^\s*{re.escape(package)}(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)", re.IGNORECASE | re.MULTILINE)
    m = pattern.search(text)
    return m.group(1) if m else None


def pin_clock(tree: WorkTree, chain: Chain, config_dir: str | Path, package: str = THEME_PACKAGE) -> int | None:
    """The chain clock of the commit that last changed the theme pin, or None when the pin dates nothing."""
    pin = Path(config_dir) / PIN_FILE
    try:
        rel = pin.resolve().relative_to(tree.root).as_posix()
        text = pin.read_text(encoding="utf-8")
        installed = metadata.version(package)
    except (OSError, ValueError, UnicodeDecodeError, metadata.PackageNotFoundError):
        return None
    if pinned_version(text, package) != installed:
        return None
    try:
        if tree.repo.git.status("--porcelain", "--", rel).strip():
            return None  # modified or untracked: not what the commit says
        last = tree.log(["--first-parent", "-1", "--format=%H", "--", rel]).decode("ascii", "replace").strip()
    except (GitError, Exception):  # noqa: BLE001 -- GitPython's own errors: the pin dates nothing
        return None
    pos = chain.position.get(last)
    return None if pos is None else chain_clock(chain.times[: pos + 1])


def theme_copies(paths: Iterable[str], digests: Mapping[str, str], theme_dirs: Iterable[str | Path],
                 package_dir: str | Path, sizes: Mapping[str, int] | None = None) -> list[str]:
    """Site files that are byte-for-byte the installed theme's own file (not one of the project's overrides).

    ``sizes``: path -> size of the site files; a theme file of another size is not read.
    """
    dirs = [Path(d) for d in theme_dirs]
    package = Path(package_dir).resolve()
    out = []
    for path in paths:
        source = next((d / path for d in dirs if (d / path).is_file()), None)
        if source is None or package not in source.resolve().parents:
            continue
        if sizes is not None and path in sizes and source.stat().st_size != sizes[path]:
            continue
        if stream_digest(source)[0] == digests.get(path):
            out.append(path)
    return out
