"""Existing policy repositories build as they are (issue 10, item 4), with real git, MkDocs and nginx.

Two repositories shaped like real ones, not like this site's docs/:

* a Jekyll-style repo: foreign front matter (``versions:``, ``topics:``, ``layout:``,
  ``permalink:``, ``redirect_from:``) in nested folders, a README.md and a LICENSE;
* a repo of services in folders with spaces and apostrophes (``Acme Cloud/Terms of
  Service.md``, ``O'Reilly/Privacy Policy.md``) whose files have no front matter and
  start with ``Effective: 29 October 2025`` / ``Last updated: June 27, 2023`` lines,
  plus a folder for each character of ``# ? % " ' < >`` the name rules now accept.

Each builds with ``--strict`` and the default options.
"""

from __future__ import annotations

import subprocess

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from foreign_site import write_mkdocs_yml
from gitfixture import PROJECT, GitRepo, git_env
from nginx_server import NginxServer
from policykit.dates import iso_instant
from policykit.deploy.header_files import encode_url_path, link_form
from sitebuild import mkdocs_build
from test_headers_netlify import cloudflare, node_parser, parse  # noqa: F401  (node_parser is a fixture)

PROBE = '''
import json, os

def on_page_context(context, page, config, nav):
    """What the theme receives: page.meta of every page, as JSON, outside the site."""
    out = os.path.join(os.path.dirname(config.config_file_path), "meta-probe")
    os.makedirs(out, exist_ok=True)
    keep = {k: v for k, v in page.meta.items() if isinstance(v, (str, list, dict, int, float, bool))}
    with open(os.path.join(out, page.file.src_uri.replace("/", "__") + ".json"), "w") as fh:
        json.dump(keep, fh, sort_keys=True, default=str)
    return context
'''


def stamp_iso(html: str) -> str:
    m = re.search(r'<time class="policy-stamp__date" datetime="([^"]+)"', html)
    assert m, "no stamp on the page"
    return m.group(1)


def git_iso(when: str) -> str:
    return iso_instant(datetime.fromisoformat(when), "UTC")


# ---------------------------------------------------------------- a Jekyll-style repository

JEKYLL_PRIVACY = """---
title: Privacy Statement
versions:
  fpt: '*'
  ghes: '*'
topics:
  - Policy
  - Legal
redirect_from:
  - /privacy/
  - /articles/github-privacy-statement/
permalink: /privacy/
---

# Privacy Statement

We collect {what}.
"""

JEKYLL_TERMS = """---
title: Terms of Service
layout: policy
versions:
  fpt: '*'
permalink: /site-policy/terms/terms-of-service/
effective: October 29, 2025
---

# Terms of Service

Be nice.
"""

J_DATES = ("2023-03-01T09:00:00+00:00", "2024-05-02T15:30:00+00:00")


@pytest.fixture(scope="module")
def jekyll(tmp_path_factory: pytest.TempPathFactory):
    repo = GitRepo.init(tmp_path_factory.mktemp("jekyll") / "site-policy")
    repo.write("docs/README.md", "# Site policy\n\nThis repository holds our policies. Pull requests welcome.\n")
    repo.write("docs/LICENSE", "Creative Commons Zero v1.0 Universal\n")
    repo.write("docs/Policies/README.md", "# Maintainers' notes\n")
    repo.write("docs/Policies/index.md", "# Policies\n\n<!-- policy-list -->\n")
    repo.write("docs/Policies/privacy/privacy-statement.md", JEKYLL_PRIVACY.format(what="little"))
    repo.write("docs/site-policy/terms/terms-of-service.md", JEKYLL_TERMS)
    repo.write("probe.py", PROBE)
    repo.write(".gitignore", "site/\nsite-deploy/\n.cache/\nmeta-probe/\n__pycache__/\n")
    repo.commit("Import policies", date=J_DATES[0])
    repo.write("docs/Policies/privacy/privacy-statement.md", JEKYLL_PRIVACY.format(what="less"))
    repo.commit("Collect less", date=J_DATES[1])
    write_mkdocs_yml(repo, extra_hooks=(str(repo.path / "probe.py"),))
    result = mkdocs_build(repo.path, "--strict")
    return repo, result


def test_jekyll_repo_builds_strict_with_foreign_keys_reported_once(jekyll) -> None:
    _, result = jekyll
    out = result.stdout
    assert result.returncode == 0, out
    for key in ("versions", "topics", "layout"):
        lines = [line for line in out.splitlines() if f"Front matter key '{key}' is not used" in line]
        assert len(lines) == 1, (key, out)  # once per key, not once per file or language
        assert lines[0].startswith("INFO")
    versions = next(line for line in out.splitlines() if "key 'versions'" in line)
    assert "in 2 file(s): docs/Policies/privacy/privacy-statement.md, docs/site-policy/terms/terms-of-service.md." in versions
    assert "unknown front matter key" not in out
    assert "INFO    -  Not published (a README.md beside an index.md): Policies/README.md" in out
    assert "WARNING" not in out


def test_url_changing_keys_are_reported_not_applied_with_the_urls(jekyll) -> None:
    repo, result = jekyll
    out = result.stdout
    permalink = [line for line in out.splitlines() if "key 'permalink'" in line]
    assert len(permalink) == 1
    assert ("docs/Policies/privacy/privacy-statement.md asks for /privacy/ but is published at "
            "/Policies/privacy/privacy-statement/") in permalink[0]
    assert "terms-of-service.md asks" not in permalink[0]  # its permalink is the URL it gets
    assert "1 already match" in permalink[0]
    redirect = next(line for line in out.splitlines() if "key 'redirect_from'" in line)
    assert "is not applied (this tool creates no redirects)" in redirect
    assert ("/privacy/, /articles/github-privacy-statement/ -> /Policies/privacy/privacy-statement/ "
            "(docs/Policies/privacy/privacy-statement.md)") in redirect
    site = repo.path / "site"
    assert (site / "Policies/privacy/privacy-statement/index.html").is_file()
    assert not (site / "privacy").exists()  # not applied, as reported


def test_foreign_keys_reach_the_theme(jekyll) -> None:
    repo, _ = jekyll
    meta = json.loads((repo.path / "meta-probe" / "Policies__privacy__privacy-statement.md.json").read_text())
    assert meta["versions"] == {"fpt": "*", "ghes": "*"}
    assert meta["topics"] == ["Policy", "Legal"]
    assert meta["redirect_from"] == ["/privacy/", "/articles/github-privacy-statement/"]
    terms = json.loads((repo.path / "meta-probe" / "site-policy__terms__terms-of-service.md.json").read_text())
    assert terms["layout"] == "policy"


def test_jekyll_stamps_are_gits_dates_and_readme_is_no_policy(jekyll) -> None:
    repo, _ = jekyll
    site = repo.path / "site"
    privacy = (site / "Policies/privacy/privacy-statement/index.html").read_text()
    assert stamp_iso(privacy) == git_iso(J_DATES[1])
    terms = (site / "site-policy/terms/terms-of-service/index.html").read_text()
    assert stamp_iso(terms) == git_iso(J_DATES[0])
    assert '<time datetime="2025-10-29">' in terms  # effective: October 29, 2025
    history = (site / "site-policy/terms/terms-of-service/history/index.html").read_text()
    assert "October 29, 2025" in history  # the archive reads it with the same parser (in force from then)
    assert (site / "Policies/privacy/privacy-statement/versions/2/index.html").is_file()
    # README.md is the home page (MkDocs' rule), not a policy; LICENSE is copied as a file
    assert not (site / "history").exists() and not (site / "README").exists()
    assert "policy-stamp__history" not in (site / "index.html").read_text()  # no history: not a policy
    assert (site / "LICENSE").read_text().startswith("Creative Commons")
    # README.md beside index.md: left out as MkDocs would, but without its WARNING (which fails --strict)
    index = (site / "Policies/index.html").read_text()
    assert "Maintainers" not in index and "privacy-statement/" in index  # the policy list


def test_error_mode_is_the_editors_gate(jekyll) -> None:
    repo, _ = jekyll
    write_mkdocs_yml(repo, options={"unknown_front_matter": "error"}, filename="mkdocs-gate.yml")
    result = mkdocs_build(repo.path, "--strict", "-f", "mkdocs-gate.yml", "-d", "site-gate")
    assert result.returncode == 1
    out = result.stdout
    assert "docs/Policies/privacy/privacy-statement.md: line 3: unknown front matter key 'versions'" in out
    assert "docs/site-policy/terms/terms-of-service.md: line 3: unknown front matter key 'layout'" in out
    assert "Traceback" not in out


# ------------------------------------------------- services in folders, no front matter, odd names

S_DATES = {
    "oreilly": "2023-06-27T12:00:00+00:00",
    "india": "2025-07-30T08:00:00+00:00",
    "acme": "2025-10-01T09:00:00+00:00",
    "oreilly-edit": "2024-01-15T10:00:00+00:00",
}
ODD = ("Q#A", "why?", "50% off", 'say "hi"', "<b>", "Terms & Conditions", "Acme (beta)", "C++")  # each character now accepted, and what MkDocs' links encode but browsers do not


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory):
    repo = GitRepo.init(tmp_path_factory.mktemp("services") / "policies")
    repo.write("docs/README.md", "# Our services' policies\n")
    repo.write("docs/O'Reilly/Privacy Policy.md",
               "Last updated: June 27, 2023\n\n# Privacy Policy\n\nWe keep little about you.\n")
    repo.commit("O'Reilly privacy", date=S_DATES["oreilly"])
    repo.write("docs/Acme Cloud/India Addendum.md",
               "IMPORTANT: If you reside in India, the Digital Personal Data Protection Act applies.\n"
               "Published: **30 July 2025**\n\n# India Addendum\n\nYour rights.\n")
    for name in ODD:
        repo.write(f"docs/{name}/Terms.md", "# Terms\n\nText.\n")
    repo.commit("India addendum", date=S_DATES["india"])
    repo.write("docs/Acme Cloud/Terms of Service.md",
               "Effective: 29 October 2025\n\n# Terms of Service\n\nYou may use Acme Cloud.\n")
    repo.commit("Acme terms", date=S_DATES["acme"])
    repo.write("docs/O'Reilly/Privacy Policy.md",
               "Last updated: June 27, 2023\n\n# Privacy Policy\n\nWe keep almost nothing about you.\n")
    repo.commit("Keep less (the date line was not updated)", date=S_DATES["oreilly-edit"])
    write_mkdocs_yml(repo, site_name="Services")
    result = mkdocs_build(repo.path, "--strict")
    return repo, result


def page(repo: GitRepo, folder: str) -> str:
    return (repo.path / "site" / folder / "index.html").read_text(encoding="utf-8")


def test_services_repo_builds_strict_and_stamps_are_gits(services) -> None:
    repo, result = services
    assert result.returncode == 0, result.stdout
    assert stamp_iso(page(repo, "O'Reilly/Privacy Policy")) == git_iso(S_DATES["oreilly-edit"])
    assert stamp_iso(page(repo, "Acme Cloud/Terms of Service")) == git_iso(S_DATES["acme"])
    assert stamp_iso(page(repo, "Acme Cloud/India Addendum")) == git_iso(S_DATES["india"])
    for name in ODD:
        assert stamp_iso(page(repo, f"{name}/Terms")) == git_iso(S_DATES["india"]), name
    assert (repo.path / "site/O'Reilly/Privacy Policy/versions/2/index.html").is_file()


def test_leading_key_value_lines_stay_policy_text(services) -> None:
    repo, _ = services
    assert "<p>Effective: 29 October 2025</p>" in page(repo, "Acme Cloud/Terms of Service")
    assert "<p>Last updated: June 27, 2023</p>" in page(repo, "O'Reilly/Privacy Policy")
    india = page(repo, "Acme Cloud/India Addendum")
    assert ("<p>IMPORTANT: If you reside in India, the Digital Personal Data Protection Act applies.\n"
            "Published: <strong>30 July 2025</strong></p>") in india
    # the archived version renders the same text
    v1 = (repo.path / "site/Acme Cloud/India Addendum/versions/1/index.html").read_text(encoding="utf-8")
    assert "IMPORTANT: If you reside in India" in v1 and "Published: <strong>30 July 2025</strong>" in v1


def test_stated_dates_that_git_contradicts_are_reported_and_shown(services) -> None:
    repo, result = services
    out = result.stdout
    assert ("INFO    -  docs/O'Reilly/Privacy Policy.md, line 1: the text states 'Last updated: June 27, 2023' "
            "(2023-06-27), but git's record shows the policy last changed on 2024-01-15.") in out
    assert ("docs/Acme Cloud/Terms of Service.md, line 1: the text states 'Effective: 29 October 2025' (2025-10-29), "
            "but git's record shows the policy in force from 2025-10-01.") in out
    assert "set 'effective: 2025-10-29' in front matter" in out
    assert out.count("the text states") == 2  # India's "Published: 30 July 2025" is the commit's day
    assert ('<p class="policy-stamp__stated" role="note">The text says “Last updated: June 27, 2023”, but the record '
            "of changes shows it was last changed on January 15, 2024.</p>") in page(repo, "O'Reilly/Privacy Policy")
    assert "The text says “Effective: 29 October 2025”, but the record shows this version in force from October 1, 2025." \
        in page(repo, "Acme Cloud/Terms of Service")
    assert "policy-stamp__stated" not in page(repo, "Acme Cloud/India Addendum")


def _urls(folder: str) -> list[str]:
    decoded = f"/{folder}/"
    return sorted({encode_url_path(decoded), link_form(decoded)})


def test_nginx_serves_every_accepted_name(services) -> None:
    repo, _ = services
    site = repo.path / "site"
    include = (repo.path / "site-deploy" / "nginx-headers.conf").read_text(encoding="utf-8")
    folders = ["O'Reilly/Privacy Policy", "Acme Cloud/Terms of Service", *(f"{n}/Terms" for n in ODD)]
    with NginxServer(site, include) as srv:
        for folder in folders:
            for url in _urls(folder):
                status, headers, body = srv.get(url)
                assert status == 200, (url, srv.error_log())
                assert headers["Cache-Control"] == "public, max-age=0, must-revalidate", url
                assert headers["Cache-Tag"].startswith("policy-"), url
                assert b"policy-stamp__date" in body, url
                status, headers, _ = srv.get(url + "history/")
                assert status == 200 and headers["Cache-Tag"].startswith("policy-"), url


def test_netlify_parser_matches_typed_and_linked_forms(node_parser, tmp_path: Path) -> None:  # noqa: F811
    """A small site (exact rules, below Cloudflare's 100): the form MkDocs links and the typed form both match."""
    repo = GitRepo.init(tmp_path / "small")
    repo.write("docs/O'Reilly/Privacy Policy.md", "# Privacy Policy\n\nText.\n")
    repo.write("docs/Terms & Conditions (2025).md", "# Terms\n\nText.\n")
    repo.commit("policies", date=S_DATES["oreilly"])
    write_mkdocs_yml(repo)
    result = mkdocs_build(repo.path, "--strict")
    assert result.returncode == 0, result.stdout
    pairs = [(encode_url_path(f"/{f}/{s}"), link_form(f"/{f}/{s}"))
             for f in ("O'Reilly/Privacy Policy", "Terms & Conditions (2025)") for s in ("", "index.html", "feed.xml", "history/")]
    assert ("/O'Reilly/Privacy%20Policy/", "/O%27Reilly/Privacy%20Policy/") in pairs
    parsed = parse(node_parser, repo.path / "site" / "_headers", sorted({u for p in pairs for u in p}), tmp_path)
    assert parsed["errors"] == []
    for typed, linked in pairs:
        assert typed != linked
        got = cloudflare(parsed, linked)  # followed from a link on a page
        assert got == cloudflare(parsed, typed), (typed, linked)  # typed in the address bar
        assert got["cache-control"] == "public, max-age=0, must-revalidate", linked
        assert got["cache-tag"].startswith("policy-"), linked


def test_links_in_pages_are_percent_encoded_and_markup_free(services) -> None:
    repo, _ = services
    html = page(repo, "O'Reilly/Privacy Policy")
    for name in ODD:
        assert f'href="../../{link_form(name)}/Terms/"' in html, name
    for f in (repo.path / "site").rglob("*.html"):
        text = f.read_text(encoding="utf-8")
        # every URL (links, canonical, feeds, the archive's absolute URLs) is percent-encoded; names are escaped
        assert "<b>" not in text, f  # the folder name as a nav section is escaped text
        for name in ODD:  # ... and never written unencoded in a URL
            assert f"{name}/" not in text, (f, name)
    sitemap = (repo.path / "site" / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://policies.example.com/O%27Reilly/Privacy%20Policy/" in sitemap
    assert "https://policies.example.com/Q%23A/Terms/" in sitemap


# ------------------------------------------------------- the same repositories, with the wheel in a fresh venv


def _tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("which", ["jekyll", "services"])
def test_the_wheel_in_a_fresh_virtualenv_builds_them_the_same(which: str, wheel_venv: Path, request) -> None:
    """Installed from the wheel (nothing of this checkout on the path), each foreign repository builds strict
    to the same bytes as with the checkout's package: stamps, kept lines, notes and encoded names included."""
    repo, first = request.getfixturevalue(which)
    assert first.returncode == 0, first.stdout
    env = git_env({"NO_MKDOCS_2_WARNING": "1"})
    env.pop("PYTHONPATH", None)
    out = repo.path / "site-wheel"
    result = subprocess.run([str(wheel_venv), "-m", "mkdocs", "build", "--strict", "-d", str(out)], cwd=repo.path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert result.returncode == 0, result.stdout
    assert str(PROJECT) not in result.stdout  # the plugin ran from the wheel, not from this checkout
    mine, theirs = _tree(repo.path / "site"), _tree(out)
    assert sorted(mine) == sorted(theirs)
    assert [p for p in mine if mine[p] != theirs[p]] == []
