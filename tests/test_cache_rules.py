"""Cache classes, security headers and CSP hashes, fingerprinting, mtimes and bad file names."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from policykit.deploy import cache_rules
from policykit.deploy import fingerprint
from policykit.deploy.cache_rules import IMMUTABLE, REVALIDATE, STATIC, VERSION_SNAPSHOT, HeaderRuleError
from policykit.deploy.finalize import finalize_site
from policykit.deploy.published import VERSION, PublishedPage
from policykit.deploy.theme_scripts import BASE_PLACEHOLDER, ThemeScripts
from synthetic_site import (
    CSS_HASH, OWN_ASSETS, PALETTE_SCRIPT, POLICY_INSTANT, SCOPE_SCRIPT, SOURCE_DATE, build_site,
)


@pytest.mark.parametrize("path, expected", [
    ("assets/stylesheets/main.6f8fc17f.min.css", IMMUTABLE),
    ("assets/stylesheets/main.6f8fc17f.min.css.map", IMMUTABLE),
    ("assets/javascripts/bundle.f1ef2b4a.min.js", IMMUTABLE),
    ("assets/javascripts/workers/search.f8cc74c7.min.js", IMMUTABLE),
    ("assets/javascripts/lunr/min/lunr.zh.min.js", STATIC),
    ("assets/javascripts/lunr/min/lunr.stemmer.support.min.js", STATIC),
    ("assets/javascripts/lunr/tinyseg.js", STATIC),
    ("assets/fonts/inter.woff2", STATIC),
    ("assets/images/favicon.png", STATIC),
    ("assets/policy.css", STATIC),
    ("privacy/index.html", REVALIDATE),
    ("privacy/versions/3/index.html", REVALIDATE),  # no registry record: not trusted to be a snapshot
    ("search/search_index.json", REVALIDATE),
    ("sitemap.xml", REVALIDATE),
    ("sitemap.xml.gz", REVALIDATE),
    ("feed.xml", REVALIDATE),
    ("404.html", REVALIDATE),
    ("downloads/terms.pdf", REVALIDATE),
    ("weird.unknownext", REVALIDATE),
])
def test_classify_by_path(path: str, expected: cache_rules.CacheClass) -> None:
    assert cache_rules.classify(path) is expected


def test_classify_registry_and_fingerprinted() -> None:
    rec = PublishedPage("privacy/versions/3/index.html", VERSION, "en", "privacy")
    assert cache_rules.classify(rec.path, rec) is VERSION_SNAPSHOT
    assert cache_rules.classify("assets/policy.0123456789ab.css", None, {"assets/policy.0123456789ab.css"}) is IMMUTABLE


def test_http_date_is_imf_fixdate() -> None:
    assert cache_rules.http_date(POLICY_INSTANT) == "Wed, 01 May 2024 08:30:15 GMT"
    taipei = datetime(2024, 5, 1, 16, 30, 15, 999000, tzinfo=timezone(timedelta(hours=8)))
    assert cache_rules.http_date(taipei) == "Wed, 01 May 2024 08:30:15 GMT"
    with pytest.raises(ValueError):
        cache_rules.http_date(datetime(2024, 5, 1))


def test_site_rules(tmp_path: Path) -> None:
    site = tmp_path / "site"
    theme = ThemeScripts({SCOPE_SCRIPT.format(base=BASE_PLACEHOLDER), PALETTE_SCRIPT})
    result = finalize_site(site, build_site(site), own_assets=OWN_ASSETS, source_date=SOURCE_DATE, env={},
                           theme_scripts=theme)
    by_path = result.rules.by_path()
    cur = by_path["en/privacy/index.html"]
    assert cur.cache is REVALIDATE and cur.last_modified == SOURCE_DATE  # the bytes' date (build clock), not the stamp
    assert dict(cur.headers())["Last-Modified"] == "Sun, 02 Jun 2024 12:00:00 GMT"
    assert cur.tags == ("policy-privacy", "policy-privacy-en")
    assert by_path["privacy/versions/1/index.html"].cache is VERSION_SNAPSHOT
    assert by_path["privacy/versions/1/index.html"].last_modified is None
    assert by_path["zh-Hans/privacy/history/index.html"].tags == ("policy-privacy", "policy-privacy-zh-Hans")
    assert by_path["zh-Hans/feed.xml"].tags == ()
    for new in result.renamed.values():
        assert by_path[new].cache is IMMUTABLE
    assert "assets/policy.css" not in by_path
    security = dict(result.rules.security)
    assert "Cache-Control" not in security
    assert security["X-Content-Type-Options"] == "nosniff"
    assert security["X-Frame-Options"] == "DENY"
    csp = security["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "http" not in csp and "*" not in csp
    # one hash per theme script and page depth (the scope script differs by depth), none for JSON
    scripts = {SCOPE_SCRIPT.format(base=b) for b in (".", "..", "../..", "../../..", "../../../..")} | {PALETTE_SCRIPT}
    want = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in scripts}
    got = set(csp.split("script-src 'self' ")[1].split(";")[0].split())
    assert got == want
    assert result.unlisted_scripts == ()  # every inline script of the pages is the theme's


def test_fingerprint_rewrites_relative_and_absolute_references(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(site)
    renamed = fingerprint.fingerprint_assets(site, OWN_ASSETS)
    css = renamed["assets/policy.css"]
    digest = hashlib.sha256(b"article{max-width:40em}").hexdigest()[:12]
    assert css == f"assets/policy.{digest}.css" and (site / css).exists() and not (site / "assets/policy.css").exists()
    deep = (site / "en/privacy/versions/1/index.html").read_text()
    assert f'href="../../../../{css}?v=1"' in deep
    assert f'src="/{renamed["assets/policy.js"]}"' in deep
    top = (site / "index.html").read_text()
    assert f'href="{css}?v=1"' in top
    for html in site.rglob("*.html"):
        text = html.read_text()
        assert "assets/policy.css" not in text and "assets/policy.js" not in text
    assert f"main.{CSS_HASH}.min.css" in top  # other references untouched
    with pytest.raises(fingerprint.FingerprintError, match="assets/missing.css"):
        fingerprint.fingerprint_assets(site, ["assets/missing.css"])


@pytest.mark.parametrize("bad", ["evil\nSet-Cookie: x.html", "tab\there.html", "esc\x1b.css", "nul\x7f.js",
                                 "line\u2028sep.html"])
def test_control_character_in_file_name_is_refused(tmp_path: Path, bad: str) -> None:
    site = tmp_path / "site"
    reg = build_site(site)
    (site / "docs" / bad).write_text("x")
    with pytest.raises(HeaderRuleError, match="docs/" + bad.split("\n")[0][:3]) as info:
        finalize_site(site, reg, own_assets=OWN_ASSETS, source_date=SOURCE_DATE, env={})
    assert repr("docs/" + bad) in str(info.value)
    assert not (site / "_headers").exists()
    assert (site / "assets/policy.css").exists()  # refused before anything was renamed
