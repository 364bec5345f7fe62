"""A large archive: ``_headers`` falls back to the platforms' revalidate default and still fits Cloudflare."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from policykit.deploy.cache_rules import IMMUTABLE, STATIC
from policykit.deploy.finalize import finalize_site
from policykit.deploy.header_files import encode_url_path
from policykit.deploy.published import CURRENT_VERSION, HISTORY, POLICY, VERSION, PublishedPage, PublishedPages
from synthetic_site import OWN_ASSETS, SOURCE_DATE, page
from test_headers_netlify import cloudflare, node_parser, parse  # noqa: F401  (fixture re-used)

WHEN = datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc)


def _archive(root: Path, policies: int, versions: int) -> PublishedPages:
    reg = PublishedPages()

    def write(path: str, kind: str | None, policy: str | None, locale: str = "en") -> None:
        f = root / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(page(path, locale, f"<p>{path}</p>"), encoding="utf-8")
        if kind:
            reg.add(PublishedPage(path, kind, locale, policy, WHEN))

    for i in range(policies):
        pid = f"policy-{i:04d}"
        for prefix, locale in (("", "zh-Hant"), ("en/", "en")):
            write(f"{prefix}{pid}/index.html", POLICY, pid, locale)
            write(f"{prefix}{pid}/history/index.html", HISTORY, pid, locale)
            for n in range(1, versions + 1):
                write(f"{prefix}{pid}/versions/{n}/index.html", CURRENT_VERSION if n == versions else VERSION, pid, locale)
    for asset in ("assets/stylesheets/main.6f8fc17f.min.css", "assets/javascripts/bundle.f1ef2b4a.min.js",
                  "assets/javascripts/lunr/min/lunr.zh.min.js", "assets/images/favicon.png", *OWN_ASSETS):
        (root / asset).parent.mkdir(parents=True, exist_ok=True)
        (root / asset).write_text("/* asset */", encoding="utf-8")
    (root / "404.html").write_text(page("404.html", "en", "<p>404</p>"), encoding="utf-8")
    return reg


def test_large_archive_uses_platform_default(node_parser: Path, tmp_path: Path) -> None:  # noqa: F811
    site = tmp_path / "site"
    reg = _archive(site, policies=150, versions=3)
    result = finalize_site(site, reg, own_assets=OWN_ASSETS, source_date=SOURCE_DATE, env={})
    text = result.headers_file.read_text(encoding="utf-8")
    assert result.headers_rule_count <= 100
    samples = {encode_url_path(u): fr for fr in result.rules.files for u in fr.urls}
    parsed = parse(node_parser, result.headers_file, list(samples), tmp_path)
    assert parsed["errors"] == []
    for url, fr in samples.items():
        got = cloudflare(parsed, url)
        assert got["content-security-policy"] and got["x-content-type-options"] == "nosniff", url
        if fr.cache in (IMMUTABLE, STATIC):
            assert got["cache-control"] == fr.cache.cache_control, url  # one rule, exact value
        else:
            # pages rely on the platform default (public, max-age=0, must-revalidate): no rule may give them
            # a longer lifetime, and nothing is merged twice.
            assert "cache-control" not in got, url
    assert "Cache-Tag" not in text and "Last-Modified" not in text
    # the nginx include still serves every file, tags and all: one location per policy folder (nginx_versions),
    # the folder's tags in the http-level maps
    nginx = result.nginx_include.read_text(encoding="utf-8")
    assert 'location ^~ "/en/policy-0149/"' in nginx
    assert "policy-policy-0149-en" in result.nginx_maps.read_text(encoding="utf-8")


def test_variants_that_cannot_fit_are_not_built(tmp_path: Path, monkeypatch) -> None:
    """``more_header_sets_than`` skips a variant only when it could not fit: the same rules with and without it.

    Sites from one policy to 150, with room from 20 rules to 100, cross the points where the Memento variant
    and then the one without it stop fitting; at archive scale only the platform default is built.
    """
    from policykit.deploy import header_files

    def choices(rules, room: int) -> tuple[list, bool, int]:
        built = []
        real = header_files._entries

        def counted(*a, **k):
            built.append(k)
            return real(*a, **k)

        monkeypatch.setattr(header_files, "_entries", counted)
        try:
            choice = header_files.choose_netlify_rules(rules, room)
        finally:
            monkeypatch.setattr(header_files, "_entries", real)
        return choice.rules, choice.memento, len(built)

    seen = set()
    for policies, versions in ((1, 1), (1, 3), (2, 2), (4, 3), (150, 3)):
        site = tmp_path / f"site-{policies}-{versions}"
        rules = finalize_site(site, _archive(site, policies, versions), own_assets=OWN_ASSETS,
                              source_date=SOURCE_DATE, env={}).rules
        for room in (20, 30, 40, 60, 100):
            fast = choices(rules, room)
            with monkeypatch.context() as m:
                m.setattr(header_files, "more_header_sets_than", lambda *a, **k: False)
                full = choices(rules, room)
            assert fast[:2] == full[:2], (policies, versions, room)
            assert fast[2] <= full[2]
            seen.add((fast[1], len(fast[0]) == len(full[0]), fast[2] < full[2]))
        if policies == 150:
            assert fast[2] == 1 and full[2] == 3  # the platform default alone
    assert (True, True, False) in seen  # some site fit with its Memento headers, built once
    assert any(not memento and fewer for memento, _, fewer in seen)  # and some skipped a variant
