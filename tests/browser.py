"""Helpers for the browser tests: a site with a real git history, and a Chromium to look at it.

``build_history_site(path)`` copies the project's site (mkdocs.yml, docs/,
overrides/, hooks/) into a fresh git repository, commits several versions of
the privacy policy with fixed dates and builds it with MkDocs.
``launch_chromium(playwright, tmp)`` starts the system Chromium via Playwright.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from gitfixture import PROJECT, GitRepo, git_env, project_repo

JS_DIR = PROJECT / "tests" / "js"
AXE_JS = JS_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT / "test-artifacts"


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# --- the history the test site gets (zh-Hant is the source language) -----------------

ZH_CHILDREN_V1 = "我們不會在知情的情況下收集未滿十八歲人士的個人訊息。"
ZH_CHILDREN_V2 = "我們不會在知情的情況下收集未滿十六歲人士的個人訊息。"
ZH_REMOVED_PARAGRAPH = "我們曾經使用外部統計服務分析本站的瀏覽流量，相關紀錄保存十二個月。"
ZH_NEW_ITEM = "4. 當您聯繫客服時，我們會保存往來通訊的紀錄，以便處理您的請求。"
ZH_TERM_V1 = "此條款最後更新時間為2019 年6 月1 日"
ZH_TERM_V3 = "此條款最後更新時間為2023 年6 月1 日"
ZH_LIST_ANCHOR = "3. 在某些情況下，如您申請1MiX 教育優惠，我們將有可能要求您提交由政府頒發的身份證件或學校訊息，但僅限於非常少的情況。\n"

EN_CHILDREN_V1 = "We do not knowingly collect personal information from anyone under the age of eighteen."
EN_CHILDREN_V2 = "We do not knowingly collect personal information from anyone under the age of sixteen."
HANS_CHILDREN = "我们不会在知情的情况下收集未满十八岁人士的个人信息。"

#: (committer date, author date) of each commit; author dates differ so a test can tell them apart.
DATES = {
    "v1": ("2023-01-10T10:00:00+08:00", "2023-01-09T09:00:00+08:00"),
    "v2": ("2023-03-01T11:30:00+08:00", "2023-02-27T08:00:00+08:00"),
    "v3": ("2023-06-01T09:15:00+08:00", "2023-05-30T17:45:00+08:00"),
    "v4": ("2023-09-01T16:20:00+08:00", "2023-08-30T12:00:00+08:00"),
    "other": ("2023-10-05T10:00:00+08:00", "2023-10-05T10:00:00+08:00"),
}


@dataclass
class HistorySite:
    repo: GitRepo
    site_dir: Path
    nginx_include: Path
    build_log: str
    commits: dict[str, str]


def _add_children_section(text: str, sentence: str, extra: str | None) -> str:
    """Insert a 'children' section (and an optional paragraph after it) before the last section."""
    marker = text.rfind("\n## ")
    block = f"\n## CHILDREN\n\n{sentence}\n"
    if extra:
        block += f"\n{extra}\n"
    return text[:marker] + "\n" + block + text[marker:]


def _zh(base: str, version: int) -> str:
    sentence = ZH_CHILDREN_V1 if version == 1 else ZH_CHILDREN_V2
    text = _add_children_section(base, sentence, ZH_REMOVED_PARAGRAPH if version < 4 else None)
    text = text.replace("## CHILDREN", "## 兒童隱私")
    if version >= 3:
        assert ZH_LIST_ANCHOR in text and ZH_TERM_V1 in text
        text = text.replace(ZH_LIST_ANCHOR, ZH_LIST_ANCHOR + ZH_NEW_ITEM + "\n", 1)
        text = text.replace(ZH_TERM_V1, ZH_TERM_V3, 1)
    return text


def _en(base: str, version: int) -> str:
    sentence = EN_CHILDREN_V1 if version == 1 else EN_CHILDREN_V2
    return _add_children_section(base, sentence, None).replace("## CHILDREN", "## Children's Privacy")


def _hans(base: str) -> str:
    return _add_children_section(base, HANS_CHILDREN, None).replace("## CHILDREN", "## 儿童隐私")


def build_history_site(path: Path, site_url: str | None = None) -> HistorySite:
    """A copy of the project's site with 4 zh-Hant versions, 2 en versions and a lagging zh-Hans; built.

    ``site_url`` replaces mkdocs.yml's (the origin the test serves the site from, as in production
    the site is served from its own site_url: absolute self-links then stay on the test server).
    """
    repo = project_repo(path)
    if site_url is not None:
        set_site_url(repo, site_url)
    zh_base = repo.read("docs/zh-Hant/privacy.md")
    en_base = repo.read("docs/en/privacy.md")
    hans_base = repo.read("docs/zh-Hans/privacy.md")
    commits: dict[str, str] = {}

    def commit(key: str, message: str) -> None:
        date, author_date = DATES[key]
        commits[key] = repo.commit(message, date=date, author_date=author_date)

    repo.write("docs/zh-Hant/privacy.md", _zh(zh_base, 1))
    repo.write("docs/en/privacy.md", _en(en_base, 1))
    repo.write("docs/zh-Hans/privacy.md", _hans(hans_base))
    commit("v1", "首次發布")
    repo.write("docs/zh-Hant/privacy.md", _zh(zh_base, 2))
    repo.write("docs/en/privacy.md", _en(en_base, 2))
    commit("v2", "兒童年齡改為十六歲")
    repo.write("docs/zh-Hant/privacy.md", _zh(zh_base, 3))
    commit("v3", "新增客服通訊紀錄")
    repo.write("docs/zh-Hant/privacy.md", _zh(zh_base, 4))
    commit("v4", "刪除外部統計服務段落")
    # A later commit that does not touch the policy: the stamp must not move.
    repo.write("docs/zh-Hant/index.md", repo.read("docs/zh-Hant/index.md") + "\n")
    repo.write("README.txt", "test site\n")
    commit("other", "Unrelated change")

    return build_site(repo, commits)


def build_site(repo: GitRepo, commits: dict[str, str]) -> HistorySite:
    """``mkdocs build --clean`` in ``repo`` (a copy of the project with its own history)."""
    env = git_env({"NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop("SOURCE_DATE_EPOCH", None)
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--clean"],
        cwd=repo.path, env=env, capture_output=True, text=True, encoding="utf-8", timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"mkdocs build failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    site = repo.path / "site"
    include = repo.path / "site-deploy" / "nginx-headers.conf"
    return HistorySite(repo, site, include, proc.stdout + proc.stderr, commits)


def ensure_axe() -> Path:
    """tests/js/node_modules/axe-core (``npm ci`` when missing)."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is missing: install nodejs and npm (./run test does it)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=JS_DIR, check=True, timeout=600)
    if not AXE_JS.exists():
        raise RuntimeError(f"{AXE_JS} is still missing after npm ci")
    return AXE_JS


def ensure_system_package(path: str, *packages: str) -> str | None:
    """Install Debian packages when *path* is missing; returns a reason to skip when that is impossible."""
    if os.path.exists(path):
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"{path} is missing and we are not root: install it with sudo apt-get install {' '.join(packages)} (./run test does)"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=900)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], check=True, env=env, timeout=1800)
    if not os.path.exists(path):
        raise RuntimeError(f"{path} still missing after apt-get install {' '.join(packages)}")
    return None


def require_nginx_and_chromium() -> None:
    """Skip the calling test when nginx or Chromium with the CJK fonts is missing and cannot be installed."""
    import nginx_server

    for path, packages in ((nginx_server.NGINX, ("nginx-light",)), (CHROMIUM, ("chromium", "fonts-noto-cjk"))):
        reason = ensure_system_package(path, *packages)
        if reason:
            pytest.skip(reason)


def set_site_url(repo: GitRepo, site_url: str) -> None:
    """Replace the one top-level ``site_url`` of *repo*'s mkdocs.yml (the origin a test serves the site from)."""
    config, count = re.subn(r"(?m)^site_url:.*$", f"site_url: {site_url}", repo.read("mkdocs.yml"))
    assert count == 1, "mkdocs.yml has no top-level site_url"
    repo.write("mkdocs.yml", config)


@contextmanager
def built_and_served(repo: GitRepo, prepare: Callable[[GitRepo], Any], *build_args: str,
                     env: dict[str, str] | None = None) -> Iterator[str]:
    """*repo* built for the origin of a free port (after *prepare* commits its history) and served there by nginx.

    Yields the origin (``http://127.0.0.1:PORT``): absolute self-links of the site stay on the test server.
    """
    import nginx_server
    from sitebuild import mkdocs_build

    port = nginx_server.free_port()
    origin = f"http://127.0.0.1:{port}"
    set_site_url(repo, origin + "/")
    prepare(repo)
    result = mkdocs_build(repo.path, *build_args, env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    include = (repo.path / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    with served_at(repo.path / "site", include, port):
        yield origin


def launch_chromium(playwright):
    """The system Chromium, headless, without background traffic.

    Playwright's ``launch`` gives every browser a fresh temporary user-data-dir
    (and refuses a ``--user-data-dir`` argument), so no profile is shared.
    """
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True)


@contextmanager
def chromium() -> Iterator[Any]:
    """The system Chromium for one test module (``launch_chromium``), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_chromium(pw)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def served_at(site_dir: Path, include: str, port: int) -> Iterator[Any]:
    """A real nginx serving *site_dir* with *include* on 127.0.0.1:*port* (the origin the site was built for)."""
    import nginx_server

    original = nginx_server.free_port
    nginx_server.free_port = lambda: port
    try:
        srv = nginx_server.NginxServer(site_dir, include).start()
    finally:
        nginx_server.free_port = original
    try:
        yield srv
    finally:
        srv.close()
