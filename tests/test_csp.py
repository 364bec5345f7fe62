"""The CSP allows the theme's inline scripts by hash, never a script written into a policy's text."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from policykit.cache_rules import content_security_policy, inline_script_hashes


def _hash(body: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"


def test_only_theme_scripts_are_hashed(tmp_path: Path) -> None:
    theme = "__md_scope=new URL('.',location)"
    injected = "alert(document.cookie)"
    (tmp_path / "index.html").write_text(
        f"<html><head><script>{theme}</script></head><body>"
        f'<article class="md-content__inner md-typeset"><h1>Policy</h1><script>{injected}</script>'
        "<p>text</p></article>"
        '<script id="__config" type="application/json">{"base": "."}</script>'
        '<script src="assets/bundle.js"></script></body></html>',
        encoding="utf-8",
    )
    hashes = inline_script_hashes(tmp_path, ["index.html"])
    assert hashes == [_hash(theme)]
    csp = content_security_policy(hashes)
    assert _hash(injected) not in csp and "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
