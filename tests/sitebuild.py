"""Helpers for tests that build the real site in a temp git repo (feeds, translations, effective dates).

Module-scoped fixtures share one repo and its builds between many assertions:
``new_site(tmp_path_factory)`` copies the project's site into a fresh repo.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from gitfixture import GitRepo, git_env, project_repo

SITE_URL = "https://policy.1mix.org/"


def new_site(base: Path) -> GitRepo:
    """The project's site (mkdocs.yml, docs/, hooks/) in a fresh, uncommitted git repo at *base*."""
    return project_repo(base / "site-project")


def mkdocs_build(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m mkdocs build`` in *project*; stdout and stderr together in ``.stdout``."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *args],
        cwd=project,
        env=git_env({"NO_MKDOCS_2_WARNING": "1", **(env or {})}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def edit(repo: GitRepo, relpath: str, old: str, new: str) -> None:
    text = repo.read(relpath)
    assert old in text, f"{old!r} not in {relpath}"
    repo.write(relpath, text.replace(old, new, 1))


def set_front_matter(repo: GitRepo, relpath: str, key: str, value: str) -> None:
    """Add or replace ``key: value`` in the front matter of *relpath* (which has front matter)."""
    text = repo.read(relpath)
    assert text.startswith("---\n")
    head, sep, body = text[4:].partition("\n---\n")
    lines = [line for line in head.split("\n") if not line.startswith(f"{key}:")]
    lines.append(f"{key}: {value}")
    repo.write(relpath, "---\n" + "\n".join(lines) + sep + body)


def set_setting(repo: GitRepo, key: str, value: str) -> None:
    """Set the policy-site plugin's option *key* in mkdocs.yml (outside docs/: no commit needed)."""
    text = repo.read("mkdocs.yml")
    text = re.sub(rf"\n      {key}: .*", "", text)
    assert "  - policy-site:\n" in text, "mkdocs.yml lists no policy-site plugin with options"
    text = text.replace("  - policy-site:\n", f"  - policy-site:\n      {key}: {value}\n", 1)
    repo.write("mkdocs.yml", text)


def html_of(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


def notices(html: str, kind: str) -> list[str]:
    """The ``policy-notice--<kind>`` blocks of a page."""
    return re.findall(rf'<div class="policy-notice policy-notice--{kind}" role="note"[^>]*>.*?</div>', html, re.DOTALL)
