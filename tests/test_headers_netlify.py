"""The generated ``_headers``, parsed by Netlify's own parser (node), merged the way Cloudflare does."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from policykit.deploy.cache_rules import IMMUTABLE, STATIC, VERSION_SNAPSHOT, HeaderRuleError, build_rules
from policykit.deploy.finalize import finalize_site
from policykit.deploy.header_files import encode_url_path, netlify_rules, render_netlify
from synthetic_site import CJK_PAGE, OWN_ASSETS, SOURCE_DATE, build_site

JS_DIR = Path(__file__).parent / "js"


@pytest.fixture(scope="session")
def node_parser() -> Path:
    """tests/js with @netlify/headers-parser installed (npm ci when node_modules is missing)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        pytest.fail("node and npm are required to run Netlify's headers parser")
    if not (JS_DIR / "node_modules" / "@netlify" / "headers-parser").is_dir():
        cmd = [npm, "ci" if (JS_DIR / "package-lock.json").exists() else "install", "--no-audit", "--no-fund"]
        done = subprocess.run(cmd, cwd=JS_DIR, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed in {JS_DIR}:\n{done.stderr}")
    return JS_DIR / "headers.mjs"


def parse(node_parser: Path, headers_file: Path, urls: list[str], tmp_path: Path) -> dict:
    urls_file = tmp_path / "urls.json"
    urls_file.write_text(json.dumps(urls))
    done = subprocess.run(["node", str(node_parser), str(headers_file), str(urls_file)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def cloudflare(parsed: dict, url: str) -> dict[str, str]:
    """Every matching rule applies; a header name seen again is joined with ", " (case-insensitive)."""
    merged: dict[str, str] = {}
    for index in parsed["matches"][url]:
        for name, value in parsed["rules"][index]["values"].items():
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def expected(rules, fr, memento: bool = True) -> dict[str, str]:
    """Security and the file's own headers; its Memento headers (no TimeGate link) when they fit; a TimeMap's type."""
    extra = [*(fr.memento_headers(timegate=False) if memento else ()),
             *((("Content-Type", fr.content_type),) if fr.content_type else ())]
    return {n.lower(): v for n, v in (*rules.security, *fr.headers(), *extra)}


def url_samples(rules) -> dict[str, object]:
    return {encode_url_path(u): fr for fr in rules.files for u in fr.urls}


def check_all(node_parser: Path, headers_file: Path, rules, tmp_path: Path, memento: bool = True) -> dict:
    samples = url_samples(rules)
    parsed = parse(node_parser, headers_file, list(samples), tmp_path)
    assert parsed["errors"] == []
    for url, fr in samples.items():
        got = cloudflare(parsed, url)
        assert got == expected(rules, fr, memento), url
        assert got["cache-control"].count("max-age") == 1, url  # never two Cache-Control rules
    root = [r for r in parsed["rules"] if r["for"] == "/*"]
    assert len(root) == 1 and "Cache-Control" not in root[0]["values"]
    assert len(parsed["rules"]) <= 100
    assert max(len(line) for line in headers_file.read_text().splitlines()) <= 2000
    return parsed


def test_exact_headers_under_cloudflare_merge(node_parser: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = finalize_site(site, build_site(site), own_assets=OWN_ASSETS, source_date=SOURCE_DATE, env={})
    parsed = check_all(node_parser, result.headers_file, result.rules, tmp_path)
    patterns = [r["for"] for r in parsed["rules"]]
    types = {"/*.md", "/*/timemap.link"}  # Content-Type rules, one per kind of name (header_files._type_rules)
    assert all("*" not in p for p in patterns if p != "/*" and p not in types)  # small site: exact paths only
    samples = url_samples(result.rules)
    main_css = cloudflare(parsed, "/assets/stylesheets/main.6f8fc17f.min.css")
    assert main_css["cache-control"] == IMMUTABLE.cache_control
    assert main_css["x-content-type-options"] == "nosniff"
    assert cloudflare(parsed, "/assets/javascripts/lunr/min/lunr.zh.min.js")["cache-control"] == STATIC.cache_control
    assert cloudflare(parsed, "/" + result.renamed["assets/policy.js"])["cache-control"] == IMMUTABLE.cache_control
    page = cloudflare(parsed, "/en/privacy/")
    assert page["last-modified"] == "Sun, 02 Jun 2024 12:00:00 GMT"  # the bytes' date (build clock), as nginx sends it
    assert page["cache-tag"] == "policy-privacy, policy-privacy-en"
    assert page["surrogate-key"] == "policy-privacy policy-privacy-en"
    assert cloudflare(parsed, "/en/privacy/index.html") == page
    assert cloudflare(parsed, "/privacy/versions/2/")["cache-control"] == VERSION_SNAPSHOT.cache_control
    cjk = encode_url_path("/" + CJK_PAGE)
    assert cjk == "/%E9%9A%B1%E7%A7%81%20%E6%94%BF%E7%AD%96/index.html" and cjk in samples
    assert cloudflare(parsed, cjk)["cache-tag"] == "policy-terms, policy-terms-zh-Hant"
    assert "/docs/it's%20%22odd%22%20$;%7Bx%7D.html" in samples and "/docs/50%25%20q%3F.html" in samples
    assert cloudflare(parsed, "/docs/50%25%20q%3F.html")["cache-tag"] == "policy-odd, policy-odd-en"


def test_large_site_collapses_to_safe_patterns(node_parser: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    reg = build_site(site, versions=30, hashed_assets=20)
    result = finalize_site(site, reg, own_assets=OWN_ASSETS, source_date=SOURCE_DATE, env={})
    assert not result.memento_in_headers  # 90 version pages, each its own Link: they would need exact rules
    parsed = check_all(node_parser, result.headers_file, result.rules, tmp_path, memento=False)
    patterns = {r["for"] for r in parsed["rules"]}
    assert {"/privacy/versions/*", "/en/privacy/versions/*", "/zh-Hans/privacy/versions/*"} <= patterns
    # hashed assets keep exact rules; no splat ever covers an immutable asset or lunr
    assert "/assets/extra/chunk7.00000007.min.js" in patterns
    for rule in parsed["rules"]:
        if "*" in rule["for"] and rule["for"] != "/*":
            assert "immutable" not in rule["values"].get("Cache-Control", "")
    # URLs not in the site but under a splat get a revalidating / bounded class, never immutable
    stray = parse(node_parser, result.headers_file, ["/privacy/versions/99/", "/assets/javascripts/lunr/min/new.js"],
                  tmp_path)
    for url in stray["matches"]:
        assert "immutable" not in cloudflare(stray, url).get("cache-control", "")


def test_too_many_exact_rules_is_an_error(tmp_path: Path) -> None:
    site = tmp_path / "site"
    reg = build_site(site, hashed_assets=120)
    rules = build_rules(site, reg)
    with pytest.raises(HeaderRuleError, match=r"_headers: \d+ rules needed but Cloudflare allows 100"):
        render_netlify(rules)


def test_overlong_line_is_an_error(tmp_path: Path) -> None:
    site = tmp_path / "site"
    rules = build_rules(site, build_site(site))
    with pytest.raises(HeaderRuleError, match="Content-Security-Policy|characters"):
        netlify_rules(rules, max_line=200)


def test_wildcard_characters_in_names_are_refused(tmp_path: Path) -> None:
    site = tmp_path / "site"
    reg = build_site(site)
    (site / "docs" / "star*.html").write_text("x")
    with pytest.raises(HeaderRuleError, match=r"docs/star\*\.html"):
        render_netlify(build_rules(site, reg))
