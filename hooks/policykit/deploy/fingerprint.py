"""Rename the project's own CSS/JS to content-hashed names and rewrite the HTML that references them.

``assets/policy.css`` becomes ``assets/policy.<sha256[:12]>.css``, so it can
be served ``immutable``; every ``href``/``src`` in every HTML file that
resolves to the old file (relative like ``../assets/policy.css``, root-relative
``/assets/policy.css``, with or without ``?query``/``#fragment``) is rewritten
to the new name.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from pathlib import Path
from typing import Iterable
from urllib.parse import unquote, urlsplit

from policykit.deploy.cache_rules import check_name

_ATTR_RE = re.compile(r"""(\b(?:href|src)\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


class FingerprintError(ValueError):
    """An asset to fingerprint is missing or cannot be renamed (the message names it)."""


def fingerprinted_name(path: str, data: bytes) -> str:
    """``dir/name.ext`` -> ``dir/name.<sha256[:12]>.ext``."""
    head, _, base = path.rpartition("/")
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem:
        raise FingerprintError(f"{path}: asset name has no extension")
    new = f"{stem}.{hashlib.sha256(data).hexdigest()[:12]}.{ext}"
    return f"{head}/{new}" if head else new


def _resolve(html_path: str, ref: str, base_path: str) -> str | None:
    """Site-relative path a reference points to, or None for external/other references."""
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    target = unquote(parts.path)
    if target.startswith("/"):
        if not target.startswith(base_path):
            return None
        target = target[len(base_path):]
    else:
        target = posixpath.join(posixpath.dirname(html_path), target)
    target = posixpath.normpath(target)
    return None if target.startswith("..") else target


def _rewrite(html_path: str, text: str, renames: dict[str, str], base_path: str, pattern: re.Pattern[str] | None = None) -> str:
    def repl(m: re.Match[str]) -> str:
        ref = m.group(3)
        target = _resolve(html_path, ref, base_path)
        if target not in renames:
            return m.group(0)
        split_at = min((i for i in (ref.find("?"), ref.find("#")) if i >= 0), default=len(ref))
        path_part, rest = ref[:split_at], ref[split_at:]
        head, _, _ = path_part.rpartition("/")
        new_base = renames[target].rpartition("/")[2]
        new_path = f"{head}/{new_base}" if "/" in path_part else new_base
        return f"{m.group(1)}{m.group(2)}{new_path}{rest}{m.group(2)}"

    return (pattern or _ATTR_RE).sub(repl, text)


def _attr_re_for(renames: dict[str, str]) -> re.Pattern[str]:
    """Like _ATTR_RE, but only for attribute values that mention a renamed file's name.

    Checking every href and src of every page costs milliseconds per page on a
    large archive; the renamed files' base names narrow it to a handful.
    """
    names = "|".join(sorted(re.escape(posixpath.basename(a)) for a in renames))
    return re.compile(_ATTR_RE.pattern.replace("(.*?)", f"([^\"'<>]*?(?:{names})[^\"'<>]*?)", 1), _ATTR_RE.flags)


def fingerprint_assets(
    site_dir: str | os.PathLike[str], assets: Iterable[str], base_path: str = "/"
) -> dict[str, str]:
    """Rename ``assets`` (site-relative posix paths) and rewrite HTML references; return old -> new."""
    root = Path(site_dir)
    base_path = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
    renames: dict[str, str] = {}
    for asset in sorted(set(assets)):
        check_name(asset)
        src = root / asset
        try:
            data = src.read_bytes()
        except OSError as exc:
            raise FingerprintError(f"{asset}: cannot read asset to fingerprint: {exc}") from exc
        new = fingerprinted_name(asset, data)
        src.rename(root / new)
        renames[asset] = new
    if not renames:
        return renames
    names = [posixpath.basename(a).encode("utf-8") for a in renames]
    narrow = _attr_re_for(renames)
    for html in sorted(root.rglob("*.html")):
        rel = html.relative_to(root).as_posix()
        raw = html.read_bytes()
        if not any(name in raw for name in names):
            continue
        text = raw.decode("utf-8", errors="surrogateescape")
        new_text = _rewrite(rel, text, renames, base_path, narrow)
        if new_text != text:
            html.write_bytes(new_text.encode("utf-8", errors="surrogateescape"))
    return renames
