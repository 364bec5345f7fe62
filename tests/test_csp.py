"""The CSP allows the theme's inline scripts by hash, computed from the theme, never from what pages contain.

Two real builds of the project's site with the same files but different
page content must publish the same Content-Security-Policy, even when one of
them carries a title that closes ``<title>`` and opens a ``<script>``, and a
page whose text contains a ``<script>`` identical to one of Material's.
"""

from __future__ import annotations

import re
from pathlib import Path

import material.templates as material_templates
import pytest

from gitfixture import GitRepo
from policykit.deploy.cache_rules import content_security_policy
from policykit.deploy.theme_scripts import (
    BASE_PLACEHOLDER, ThemeScripts, base_urls, csp_hash, executable_scripts, unlisted_scripts,
)
from sitebuild import mkdocs_build, new_site

LOCALES = ("zh-Hant", "zh-Hans", "en")
INJECTED = "window.__x=1"


def _script_src(site: Path) -> set[str]:
    line = next(ln for ln in (site / "_headers").read_text(encoding="utf-8").splitlines()
                if "Content-Security-Policy:" in ln)
    sources = line.split("script-src", 1)[1].split(";", 1)[0].split()
    return set(sources)


def _nginx_script_src(project: Path) -> set[str]:
    text = (project / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    found = {frozenset(m.split("script-src", 1)[1].split(";", 1)[0].split())
             for m in re.findall(r'add_header Content-Security-Policy "([^"]*)"', text)}
    assert len(found) == 1, found
    return set(next(iter(found)))


def _build(repo: GitRepo, pages: dict[str, str]) -> str:
    for locale in LOCALES:
        for name, text in pages.items():
            repo.write(f"docs/{locale}/{name}", text)
    repo.run("add", "-A")
    repo.commit("Pages", date="2024-03-01T10:00:00+08:00")
    result = mkdocs_build(repo.path)
    assert result.returncode == 0, result.stdout
    return result.stdout


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory: pytest.TempPathFactory):
    """The same files twice: plain text, then payloads (a theme script copied into a page among them)."""
    plain = new_site(tmp_path_factory.mktemp("csp-plain"))
    log_plain = _build(plain, {"notice.md": "# Notice\n\nText.\n", "terms.md": "# Terms\n\nText.\n"})
    head = (plain.path / "site" / "en" / "notice" / "index.html").read_bytes()
    theme_script = executable_scripts(head.split(b"</head>", 1)[0])[0].decode("utf-8")
    assert "__md_scope" in theme_script  # Material's helper, as written into this page
    hostile = new_site(tmp_path_factory.mktemp("csp-hostile"))
    log_hostile = _build(hostile, {
        "notice.md": f"# Notice &lt;/title&gt;&lt;script&gt;{INJECTED}&lt;/script&gt;\n\n<script>{theme_script}</script>\n",
        "terms.md": f"---\ntitle: 'Terms </title><script>{INJECTED}</script>'\n---\n\n# Terms\n\n<script>{INJECTED}</script>\n",
    })
    return plain, hostile, theme_script, log_plain + log_hostile


def test_csp_hashes_are_the_same_whatever_the_pages_say(two_sites) -> None:
    plain, hostile, theme_script, _ = two_sites
    plain_src, hostile_src = _script_src(plain.path / "site"), _script_src(hostile.path / "site")
    assert plain_src == hostile_src
    assert _nginx_script_src(plain.path) == _nginx_script_src(hostile.path) == plain_src
    assert csp_hash(INJECTED.encode()) not in hostile_src
    assert csp_hash(theme_script.encode()) in plain_src  # the theme's own script is allowed in both
    assert "'unsafe-inline'" not in plain_src and "'self'" in plain_src


def test_every_theme_script_of_every_page_is_allowed(two_sites) -> None:
    plain, hostile, _, log = two_sites
    assert "is not one of the theme's scripts" not in log
    for project in (plain.path, hostile.path):
        site = project / "site"
        allowed = _script_src(site)
        pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
        assert "404.html" in pages and "en/notice/versions/1/index.html" in pages
        assert unlisted_scripts(site, pages, allowed) == []


def test_unlisted_scripts_are_those_outside_the_content(tmp_path: Path) -> None:
    theme = "__md_scope=new URL('.',location)"
    (tmp_path / "index.html").write_text(
        f"<html><head><script>{theme}</script><script>{INJECTED}</script></head><body>"
        f'<article class="md-content__inner md-typeset"><h1>Policy</h1><script>alert(1)</script></article>'
        '<script id="__config" type="application/json">{"base": "."}</script>'
        '<script src="assets/bundle.js"></script></body></html>',
        encoding="utf-8",
    )
    allowed = [csp_hash(theme.encode())]
    assert unlisted_scripts(tmp_path, ["index.html"], allowed) == [("index.html", csp_hash(INJECTED.encode()))]
    csp = content_security_policy(allowed)
    assert csp_hash(b"alert(1)") not in csp


def test_base_url_placeholder_is_replaced_for_every_depth() -> None:
    scripts = ThemeScripts({f'new URL("{BASE_PLACEHOLDER}",location)'}, {"/"})
    assert base_urls(["index.html", "a/b/index.html", "assets/javascripts/lunr/min/x.js"]) == [".", "..", "../.."]
    got = set(scripts.hashes(["index.html", "a/b/index.html"]))
    assert got == {csp_hash(f'new URL("{b}",location)'.encode()) for b in (".", "..", "../..", "/")}


def test_theme_overrides_are_hashed_and_a_stray_inline_script_is_reported(tmp_path: Path) -> None:
    """An override of a script partial is allowed; an inline script elsewhere in a template warns (fails --strict)."""
    repo = new_site(tmp_path)
    own = "window.__own=1"
    material = Path(material_templates.__file__).parent / "partials" / "javascripts" / "content.html"
    if "custom_dir: overrides" not in repo.read("mkdocs.yml"):
        repo.write("mkdocs.yml", repo.read("mkdocs.yml").replace("  name: material\n", "  name: material\n  custom_dir: overrides\n", 1))
    repo.write("overrides/partials/javascripts/content.html", material.read_text(encoding="utf-8") + f"<script>{own}</script>\n")
    # a site's own main.html keeps the plugin's blocks by extending policy-main.html
    repo.write("overrides/main.html", '{% extends "policy-main.html" %}\n'
                                      "{% block extrahead %}\n  {{ super() }}<script>window.__stray=1</script>\n{% endblock %}\n")
    log = _build(repo, {"notice.md": "# Notice\n\nText.\n"})
    allowed = _script_src(repo.path / "site")
    assert csp_hash(own.encode()) in allowed
    assert csp_hash(b"window.__stray=1") not in allowed
    assert re.search(r"site/en/notice/index\.html: an inline script outside the page content is not one of the theme's scripts", log), log
