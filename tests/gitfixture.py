"""Real temporary git repositories for tests (no mocks).

Every git process runs isolated from the user's and the system's config, with
fixed identities and dates given per commit, so commit ids are reproducible.
"""

from __future__ import annotations

import email.utils
import os
import shutil
import subprocess
from pathlib import Path

DEFAULT_DATE = "2020-01-01T10:00:00+08:00"
DEFAULT_AUTHOR = "Editor <ed@example.org>"

#: Settings every git call gets, whatever the user's configuration says.
_CONFIG = (
    "-c", "init.defaultBranch=main",
    "-c", "commit.gpgsign=false",
    "-c", "tag.gpgsign=false",
    "-c", "core.autocrlf=false",
    "-c", "core.quotePath=false",
    "-c", "user.name=Test Runner",
    "-c", "user.email=runner@example.org",
)


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ with git isolated from the user's configuration."""
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("GIT_"):
            del env[key]
    env.update(
        {
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }
    )
    if extra:
        env.update(extra)
    return env


def _split_ident(ident: str) -> tuple[str, str]:
    name, addr = email.utils.parseaddr(ident)
    if not addr:
        raise ValueError(f"author must look like 'Name <email>', got {ident!r}")
    return name, addr


class GitRepo:
    """A git work tree at *path*; create one with ``GitRepo.init(path)``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    # ------------------------------------------------------------ plumbing
    def run(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        """Run ``git <args>`` in the work tree and return stdout (stripped)."""
        proc = subprocess.run(
            ["git", *_CONFIG, *args],
            cwd=self.path,
            env=git_env(env),
            capture_output=True,
            text=True,
            encoding="utf-8",
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        return proc.stdout.strip()

    @classmethod
    def init(cls, path: str | os.PathLike[str]) -> GitRepo:
        repo = cls(path)
        repo.path.mkdir(parents=True, exist_ok=True)
        repo.run("init", "-q")
        return repo

    # ------------------------------------------------------------- content
    def write(self, relpath: str, content: str | bytes) -> Path:
        """Write a file (parents created).  Text is written as UTF-8 without newline translation."""
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.write_bytes(data)
        return target

    def read(self, relpath: str) -> str:
        return (self.path / relpath).read_bytes().decode("utf-8")

    # ------------------------------------------------------------- history
    def _date_env(self, date: str, author_date: str | None, author: str, committer: str | None = None) -> dict[str, str]:
        aname, aemail = _split_ident(author)
        cname, cemail = _split_ident(committer or author)
        return {
            "GIT_AUTHOR_NAME": aname,
            "GIT_AUTHOR_EMAIL": aemail,
            "GIT_AUTHOR_DATE": author_date or date,
            "GIT_COMMITTER_NAME": cname,
            "GIT_COMMITTER_EMAIL": cemail,
            "GIT_COMMITTER_DATE": date,
        }

    def commit(
        self,
        message: str,
        date: str = DEFAULT_DATE,
        author_date: str | None = None,
        author: str = DEFAULT_AUTHOR,
        *,
        allow_empty: bool = False,
    ) -> str:
        """``git add -A`` and commit; *date* is the committer date (and the author date unless given)."""
        self.run("add", "-A")
        args = ["commit", "-q", "--no-verify", "-m", message]
        if allow_empty:
            args.append("--allow-empty")
        self.run(*args, env=self._date_env(date, author_date, author))
        return self.head()

    def head(self) -> str:
        return self.run("rev-parse", "HEAD")

    def mv(self, src: str, dst: str) -> None:
        (self.path / dst).parent.mkdir(parents=True, exist_ok=True)
        self.run("mv", src, dst)

    def rm(self, relpath: str) -> None:
        self.run("rm", "-q", relpath)

    def branch(self, name: str, start: str | None = None) -> None:
        self.run("branch", name, *([start] if start else []))

    def checkout(self, name: str) -> None:
        self.run("checkout", "-q", name)

    def merge(
        self,
        branch: str,
        message: str,
        date: str = DEFAULT_DATE,
        no_ff: bool = True,
        author: str = DEFAULT_AUTHOR,
        author_date: str | None = None,
    ) -> str:
        """Merge *branch* into the current branch; *date* is the merge's committer (and author) date."""
        args = ["merge", "-q", "--no-edit", "-m", message]
        args.append("--no-ff" if no_ff else "--ff")
        self.run(*args, branch, env=self._date_env(date, author_date, author))
        return self.head()


PROJECT = Path(__file__).resolve().parent.parent

#: What a site needs to build: mkdocs.yml and the folders it names.
SITE_FILES = ("mkdocs.yml", "docs", "overrides", "hooks")  # hooks/: the package, for `python -m policykit...`; the plugin is installed
_IGNORE_COPY = shutil.ignore_patterns("__pycache__", "*.pyc", ".cache", "site")


def project_repo(path: str | os.PathLike[str]) -> GitRepo:
    """A new git repo at *path* holding a copy of this project's site, nothing committed yet."""
    repo = GitRepo.init(path)
    for name in SITE_FILES:
        src = PROJECT / name
        if src.is_dir():
            shutil.copytree(src, repo.path / name, ignore=_IGNORE_COPY)
        elif src.exists():
            shutil.copy2(src, repo.path / name)
    repo.write(".gitignore", "site/\nsite-deploy/\n.cache/\n__pycache__/\n")
    return repo
