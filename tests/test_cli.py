"""``policykit`` (policykit.cli) on a site that no plugin or hook built: history, finalize, verify.

The site is written by a tiny hand-made generator (plain HTML files), so nothing
of MkDocs is involved: the CLI must find every policy page from the docs folder
and the layout options alone.  Real git (fixed dates), Netlify's own _headers
parser (node) and real nginx.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from gitfixture import PROJECT, GitRepo, git_env
from nginx_server import NginxServer
from policykit.deploy.cache_rules import REVALIDATE, STATIC, http_date
from test_headers_netlify import cloudflare, node_parser, parse  # noqa: F401  (node_parser is a fixture)

SCHEMA = PROJECT / "hooks" / "policykit" / "schemas" / "history.schema.json"
LANGS = ["--language", "zh-Hant=/", "--language", "en=/en/"]

PRIVACY_V1 = "---\ntitle: 隱私政策\n---\n\n# 隱私政策\n\n我們收集電子郵件地址。\n"
PRIVACY_V2 = "---\ntitle: 隱私政策\neffective: 2024-04-01\n---\n\n# 隱私政策\n\n我們收集電子郵件地址與姓名。\n"
PRIVACY_EN = "---\ntitle: Privacy\n---\n\n# Privacy\n\nWe collect e-mail addresses.\n"
TERMS = "# 服務條款\n\n請善用本服務。\n"


def policykit(*args: str, cwd: Path, epoch: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m policykit.cli ARGS`` as ./run does it (PYTHONPATH=hooks), no MkDocs in sight."""
    env = git_env({"PYTHONPATH": str(PROJECT / "hooks")})
    env.pop("SOURCE_DATE_EPOCH", None)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    return subprocess.run([sys.executable, "-m", "policykit.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def generate(repo: GitRepo, site: Path) -> None:
    """Any generator: one HTML file per Markdown file (directory URLs, zh-Hant at /, en at /en/), plus assets."""
    if site.exists():
        shutil.rmtree(site)
    for src in sorted((repo.path / "docs").rglob("*.md")):
        rel = src.relative_to(repo.path / "docs").as_posix()
        lang, _, inner = rel.partition("/")
        stem = inner[:-3]
        out = ("" if lang == "zh-Hant" else f"{lang}/") + ("index.html" if stem == "index" else f"{stem}/index.html")
        target = site / out
        target.parent.mkdir(parents=True, exist_ok=True)
        body = src.read_text(encoding="utf-8").replace("<", "&lt;")
        target.write_text(f"<!doctype html><html lang=\"{lang}\"><link rel=\"stylesheet\" href=\"/assets/site.css\">"
                          f"<pre>{body}</pre></html>\n", encoding="utf-8")
    (site / "assets").mkdir(exist_ok=True)
    (site / "assets" / "site.css").write_text("pre { font: 1rem serif }\n", encoding="utf-8")
    (site / "404.html").write_text("<!doctype html><title>404</title>\n", encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = GitRepo.init(tmp_path_factory.mktemp("cli") / "repo")
    repo.write(".gitignore", "site/\nsite-deploy/\n")
    repo.write("docs/zh-Hant/index.md", "# 政策中心\n")
    repo.write("docs/en/index.md", "# Policies\n")
    repo.write("docs/zh-Hant/privacy.md", PRIVACY_V1)
    repo.write("docs/en/privacy.md", PRIVACY_EN)
    repo.commit("First privacy policy", date="2024-01-10T09:00:00+08:00")
    repo.write("docs/zh-Hant/terms.md", TERMS)
    repo.commit("Terms", date="2024-02-01T10:30:00+01:00", author_date="2023-12-24T08:00:00+00:00")
    repo.write("docs/zh-Hant/privacy.md", PRIVACY_V2)
    repo.commit("Privacy: names too", date="2024-03-05T12:00:00+08:00")
    generate(repo, repo.path / "site")
    return repo


@pytest.fixture(scope="module")
def history(project: GitRepo) -> dict[str, Any]:
    done = policykit("history", "docs", "--json", *LANGS, "--timezone", "Asia/Taipei", cwd=project.path)
    assert done.returncode == 0, done.stderr
    (project.path / "history.json").write_text(done.stdout, encoding="utf-8")
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def finalized(project: GitRepo, history: dict[str, Any]) -> Path:
    done = policykit("finalize", "site", "--docs", "docs", "--layout", "directory", *LANGS,
                     "--timezone", "Asia/Taipei", cwd=project.path)
    assert done.returncode == 0, done.stderr
    return project.path / "site"


# ----------------------------------------------------------------- a tiny JSON Schema checker


def check_schema(value: Any, schema: dict[str, Any], root: dict[str, Any], where: str = "$") -> list[str]:
    """The subset of JSON Schema 2020-12 that history.schema.json uses (jsonschema is not installed)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return check_schema(value, root["$defs"][name], root, where)
    errors: list[str] = []
    if "oneOf" in schema:
        fits = [s for s in schema["oneOf"] if not check_schema(value, s, root, where)]
        return [] if len(fits) == 1 else [f"{where}: matches {len(fits)} of oneOf"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        kinds = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict, "null": type(None)}
        ok = any(isinstance(value, kinds[n]) and not (n == "integer" and isinstance(value, bool)) for n in names)
        if not ok:
            return errors + [f"{where}: {value!r} is not {names}"]
    if isinstance(value, str):
        if "pattern" in schema:
            import re
            if not re.search(schema["pattern"], value):
                errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
        fmt = schema.get("format")
        try:
            if fmt == "date-time":
                assert datetime.fromisoformat(value).tzinfo is not None
            elif fmt == "date":
                date.fromisoformat(value)
        except (ValueError, AssertionError):
            errors.append(f"{where}: {value!r} is not a {fmt}")
    if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{where}: {value} < {schema['minimum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        errors += [f"{where}: missing {k!r}" for k in schema.get("required", []) if k not in value]
        if schema.get("additionalProperties") is False:
            errors += [f"{where}: unexpected {k!r}" for k in value if k not in props]
        for k, v in value.items():
            if k in props:
                errors += check_schema(v, props[k], root, f"{where}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += check_schema(item, schema["items"], root, f"{where}[{i}]")
    return errors


def test_schema_checker_rejects_wrong_documents() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert check_schema({"format": "policykit-history"}, schema, schema)  # missing keys
    version = {"number": 0, "commit": "xyz", "published": "2024-01-01", "effective": "29 October 2025"}
    errors = check_schema(version, schema["$defs"]["version"], schema)
    assert any("0 < 1" in e for e in errors) and any("does not match" in e for e in errors)
    assert any("not a date-time" in e for e in errors) and any("not a date" in e for e in errors)


# ----------------------------------------------------------------- history


def git_dates(repo: GitRepo, path: str, fmt: str = "%cI") -> list[tuple[str, datetime]]:
    out = repo.run("log", "--reverse", "--first-parent", f"--format=%H {fmt}", "--", path)
    return [(line.split()[0], datetime.fromisoformat(line.split()[1])) for line in out.splitlines()]


def test_history_json_has_gits_dates_and_matches_its_schema(project: GitRepo, history: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert check_schema(history, schema, schema) == []
    by_src = {p["src_path"]: p for p in history["policies"]}
    assert set(by_src) == {"zh-Hant/privacy.md", "en/privacy.md", "zh-Hant/terms.md"}  # index.md is not a policy
    for src, policy in by_src.items():
        got = [(v["commit"], datetime.fromisoformat(v["published"])) for v in policy["versions"]]
        assert got == git_dates(project, f"docs/{src}"), src
        assert [v["number"] for v in policy["versions"]] == list(range(1, len(got) + 1))
    zh = by_src["zh-Hant/privacy.md"]
    assert (zh["policy"], zh["locale"], zh["draft"], zh["retired"]) == ("privacy", "zh-Hant", False, None)
    assert [v["effective"] for v in zh["versions"]] == [None, "2024-04-01"]
    assert zh["versions"][1]["in_force_from"] == "2024-04-01T00:00:00+08:00"  # 00:00 in --timezone
    assert zh["versions"][0]["in_force_to"] == "2024-04-01T00:00:00+08:00"
    assert zh["in_force"] == 1  # "now" is HEAD's date (2024-03-05): version 2 is not in force yet
    assert by_src["en/privacy.md"]["locale"] == "en" and by_src["en/privacy.md"]["policy"] == "privacy"
    assert history["head"] == project.head()
    assert datetime.fromisoformat(history["head_date"]) == git_dates(project, "docs")[-1][1]


def test_history_author_dates(project: GitRepo) -> None:
    done = policykit("history", "docs", "--json", *LANGS, "--date-source", "author", cwd=project.path)
    assert done.returncode == 0, done.stderr
    terms = next(p for p in json.loads(done.stdout)["policies"] if p["src_path"] == "zh-Hant/terms.md")
    assert [datetime.fromisoformat(v["published"]) for v in terms["versions"]] == \
        [d for _, d in git_dates(project, "docs/zh-Hant/terms.md", "%aI")]
    assert terms["versions"][0]["published"] == "2023-12-24T08:00:00+00:00"


# ----------------------------------------------------------------- finalize


def test_finalize_writes_headers_netlify_parses(finalized: Path, history: dict[str, Any], node_parser: Path,  # noqa: F811 (fixture)
                                                 tmp_path: Path) -> None:
    parsed = parse(node_parser, finalized / "_headers", ["/privacy/", "/en/privacy/", "/assets/site.css", "/terms/"],
                   tmp_path)
    assert parsed["errors"] == []
    css = cloudflare(parsed, "/assets/site.css")
    assert css["cache-control"] == STATIC.cache_control
    assert css["x-content-type-options"] == "nosniff"
    # Policy pages fall back to the platforms' default (revalidate): no rule may make them cacheable.
    for url in ("/privacy/", "/en/privacy/", "/terms/"):
        assert "max-age=3600" not in cloudflare(parsed, url).get("cache-control", ""), url


def test_finalize_manifest_knows_every_policy_page(project: GitRepo, finalized: Path) -> None:
    manifest = json.loads((finalized / "manifest.json").read_text(encoding="utf-8"))
    by_path = {e["path"]: e for e in manifest["urls"].values()}
    zh = by_path["privacy/index.html"]
    assert (zh["kind"], zh["locale"], zh["policy"]) == ("policy", "zh-Hant", "privacy")
    assert zh["cache"] == REVALIDATE.name and zh["tags"] == ["policy-privacy", "policy-privacy-zh-Hant"]
    v2 = git_dates(project, "docs/zh-Hant/privacy.md")[-1][1]
    assert zh["last_modified"] == v2.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (by_path["en/privacy/index.html"]["locale"], by_path["en/privacy/index.html"]["policy"]) == ("en", "privacy")
    assert by_path["terms/index.html"]["kind"] == "policy"
    assert "kind" not in by_path["index.html"] and "kind" not in by_path["assets/site.css"]
    deploy = finalized.with_name("site-deploy")
    assert (deploy / "nginx-headers.conf").is_file() and (deploy / "purge" / "urls.txt").is_file()


def test_nginx_serves_the_include(project: GitRepo, finalized: Path, history: dict[str, Any]) -> None:
    include = finalized.with_name("site-deploy") / "nginx-headers.conf"
    with NginxServer(finalized, include.read_text(encoding="utf-8")) as server:
        status, headers, body = server.get("/privacy/")
        assert status == 200 and "我們收集電子郵件地址與姓名".encode() in body
        assert headers.get_all("Cache-Control") == [REVALIDATE.cache_control]
        # The bytes' date: the build clock (HEAD's commit time on this monotonic history), as the file's mtime.
        assert headers["Last-Modified"] == http_date(datetime.fromtimestamp(history["build_clock"], timezone.utc))
        assert history["build_clock"] == int(datetime.fromisoformat(history["head_date"]).timestamp())
        assert headers["Cache-Tag"] == "policy-privacy, policy-privacy-zh-Hant"
        again, h304, empty = server.get("/privacy/", {"If-Modified-Since": headers["Last-Modified"]})
        assert again == 304 and empty == b""
        status, css, _ = server.get("/assets/site.css")
        assert status == 200 and css["Cache-Control"] == STATIC.cache_control


def test_history_file_gives_the_same_output_as_docs(project: GitRepo, finalized: Path, tmp_path: Path) -> None:
    """``--history history.json`` (no git needed at finalize time) writes what ``--docs`` writes."""
    other = tmp_path / "site"
    generate(project, other)
    done = policykit("finalize", str(other), "--history", str(project.path / "history.json"), *LANGS,
                     cwd=tmp_path)  # cwd outside the repository: git is not asked
    assert done.returncode == 0, done.stderr
    for name in ("_headers", "manifest.json"):
        assert (other / name).read_bytes() == (finalized / name).read_bytes(), name
    assert (tmp_path / "site-deploy" / "nginx-headers.conf").read_bytes() == \
        (finalized.with_name("site-deploy") / "nginx-headers.conf").read_bytes()
    for path in ("privacy/index.html", "en/privacy/index.html", "assets/site.css"):
        assert os.stat(other / path).st_mtime == os.stat(finalized / path).st_mtime, path


def test_previous_manifest_gives_the_purge_list(project: GitRepo, finalized: Path, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    shutil.copytree(project.path, repo.path, symlinks=True)
    repo.write("docs/en/privacy.md", PRIVACY_EN.replace("e-mail addresses", "e-mail addresses and names"))
    repo.commit("Privacy (en): names too", date="2024-03-06T12:00:00+08:00")
    generate(repo, repo.path / "site")
    done = policykit("finalize", "site", "--docs", "docs", *LANGS, "--previous-manifest",
                     str(finalized / "manifest.json"), "--base-url", "https://policy.example.org/",
                     "--deploy-dir", str(tmp_path / "out"), cwd=repo.path)
    assert done.returncode == 0, done.stderr
    urls = (tmp_path / "out" / "purge" / "urls.txt").read_text(encoding="utf-8").split()
    assert "https://policy.example.org/en/privacy/" in urls
    assert not any(u.endswith(("/terms/", "/privacy/index.html")) and "/en/" not in u for u in urls)
    assert "policy-privacy-en" in (tmp_path / "out" / "purge" / "tags.txt").read_text(encoding="utf-8").split()
    # an unchanged page keeps the mtime of the previous deploy (its ETag and Last-Modified survive)
    assert os.stat(repo.path / "site" / "terms" / "index.html").st_mtime == \
        os.stat(finalized / "terms" / "index.html").st_mtime


# ----------------------------------------------------------------- verify


def test_verify_passes_then_names_every_difference(finalized: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(finalized, site)
    ok = policykit("verify", str(site), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    page = site / "privacy" / "index.html"
    data = bytearray(page.read_bytes())
    data[-2:-1] = b"X"  # the same size, other bytes
    page.write_bytes(bytes(data))
    (site / "en" / "privacy" / "index.html").unlink()
    (site / "assets" / "site.css").write_text("pre{}\n", encoding="utf-8")
    (site / "stray.html").write_text("<p>not deployed by us</p>\n", encoding="utf-8")
    bad = policykit("verify", str(site), cwd=tmp_path)
    assert bad.returncode == 1
    assert "content differs: privacy/index.html" in bad.stderr
    assert "missing: en/privacy/index.html" in bad.stderr
    assert "size differs: assets/site.css" in bad.stderr
    assert "not in the manifest: stray.html" in bad.stderr
    assert "_headers" not in bad.stderr and "Traceback" not in bad.stderr


# ----------------------------------------------------------------- user mistakes


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["finalize", "site", "--docs", "docs", "--layout", "file", *LANGS], 1, "Check --layout (directory"),
        (["finalize", "site", "--docs", "docs"], 1, "zh-Hant/privacy.md -> zh-Hant/privacy/index.html"),
        (["finalize", "site", "--docs", "docs", "--language", "en=/en/"], 2, "exactly one --language must be published at '/'"),
        (["finalize", "nowhere", "--docs", "docs"], 2, "SITE_DIR 'nowhere' is not a folder"),
        (["finalize", "site"], 2, "one of the arguments --docs --history is required"),
        (["finalize", "site", "--history", "docs/en/index.md", *LANGS], 1, "cannot read a history file"),
        (["history", "docs", "--json", "--timezone", "Mars/Base"], 2, "--timezone: unknown timezone 'Mars/Base'"),
        (["finalize", "site", "--history", "truncated.json", *LANGS], 1, "not a valid `policykit history --json`"),
        (["finalize", "site", "--history", "history.json", "--language", "en"], 2, "was read with the languages"),
        (["history", "/", "--json"], 1, "is not inside a git repository"),
        (["verify", "docs"], 1, "no manifest; run `policykit finalize` first"),
        (["finalize", "site", "--docs", "docs", *LANGS, "--script-hash", "alert(1)"], 2, "expected a CSP hash"),
        (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    ],
)
def test_user_mistakes_are_messages_not_tracebacks(project: GitRepo, history: dict[str, Any], args: list[str], code: int, message: str) -> None:
    (project.path / "truncated.json").write_text('{"format": "policykit-history", "version": 1, "locales": ["zh-Hant", '
                                                 '"en"], "policies": [{"src_path": "x.md"}]}', encoding="utf-8")
    before = sorted(p.name for p in (project.path / "site").iterdir())
    done = policykit(*args, cwd=project.path)
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in (project.path / "site").iterdir()) == before  # nothing written on a refusal


@pytest.mark.parametrize("epoch", ["soon", "1.5", "\u00b2"])
def test_a_malformed_source_date_epoch_is_named_not_ignored(project: GitRepo, epoch: str) -> None:
    # "soon" used to be ignored (history fell back to HEAD's date), "\u00b2" (a digit to str.isdigit) was a traceback.
    for command in (["history", "docs", "--json"], ["finalize", "site", "--docs", "docs", *LANGS]):
        done = policykit(*command, cwd=project.path, epoch=epoch)
        assert done.returncode == 1, done.stderr
        assert f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds" in done.stderr
        assert "Traceback" not in done.stderr


# ----------------------------------------------------------------- a plain MkDocs site (no plugin, no hooks)


def test_plain_mkdocs_site_with_file_urls(tmp_path: Path) -> None:
    """What Zensical or any MkDocs-compatible engine would write: Material, no hooks, ``use_directory_urls: false``."""
    repo = GitRepo.init(tmp_path / "plain")
    repo.write(".gitignore", "site/\nsite-deploy/\n")
    repo.write("mkdocs.yml", "site_name: Plain\nsite_url: https://plain.example.org/\nuse_directory_urls: false\n"
                             "theme:\n  name: material\n")
    repo.write("docs/index.md", "# Plain\n")
    repo.write("docs/legal/terms of service.md", "# Terms\n\nBe kind.\n")
    repo.commit("Terms", date="2025-10-29T09:00:00+00:00")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=repo.path,
                           env=git_env({"NO_MKDOCS_2_WARNING": "1"}), capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert not (repo.path / "site" / "_headers").exists()  # nothing of ours ran
    refused = policykit("finalize", "site", "--docs", "docs", cwd=repo.path)  # directory layout: wrong here
    assert refused.returncode == 1 and "legal/terms of service.md -> legal/terms of service/index.html" in refused.stderr
    done = policykit("finalize", "site", "--docs", "docs", "--layout", "file", cwd=repo.path)
    assert done.returncode == 0, done.stderr
    # Material's inline scripts: the CSP blocks them until the owner lists them (the plugin hashes the theme itself)
    hashes = re.findall(r'--script-hash "(\'sha256-[A-Za-z0-9+/=]+\')"', done.stderr)
    assert hashes, done.stderr
    assert not any(h in (repo.path / "site" / "_headers").read_text(encoding="utf-8") for h in hashes)
    listed = [arg for h in hashes for arg in ("--script-hash", h)]
    again = policykit("finalize", "site", "--docs", "docs", "--layout", "file", *listed, cwd=repo.path)
    assert again.returncode == 0 and "blocks" not in again.stderr, again.stderr
    csp = (repo.path / "site" / "_headers").read_text(encoding="utf-8")
    assert all(h in csp for h in hashes)
    manifest = json.loads((repo.path / "site" / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["urls"]["/legal/terms%20of%20service.html"]
    assert (entry["kind"], entry["policy"], entry["locale"]) == ("policy", "legal/terms of service", "en")
    assert entry["last_modified"] == "2025-10-29T09:00:00Z"
    ok = policykit("verify", "site", cwd=repo.path)
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize(
    ("src", "locale", "layout", "expected"),
    [
        ("privacy.md", "zh-Hant", "directory", "privacy/index.html"),
        ("zh-Hant/privacy.md", "zh-Hant", "directory", "privacy/index.html"),
        ("en/legal/terms of service.md", "en", "directory", "en/legal/terms of service/index.html"),
        ("en/legal/terms.md", "en", "file", "en/legal/terms.html"),
        ("en/index.md", "en", "file", "en/index.html"),
        ("legal/README.md", "zh-Hant", "directory", "legal/index.html"),  # MkDocs publishes README.md as the index
        ("legal/README.md", "zh-Hant", "file", "legal/index.html"),
    ],
)
def test_dest_path_follows_mkdocs_rules(src: str, locale: str, layout: str, expected: str) -> None:
    from policykit.deploy.site_layout import Layout, dest_path, parse_languages
    assert dest_path(src, locale, Layout(layout, parse_languages(["zh-Hant=/", "en=/en/"]))) == expected
