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


def rename_assets(
    site_dir: str | os.PathLike[str], assets: Iterable[str]
) -> tuple[dict[str, str], dict[str, tuple[str, int]]]:
    """Rename ``assets`` (site-relative posix paths) to their fingerprinted names, each read once.

    Returns old -> new, and new -> (sha256 hex, size) of each renamed file (its
    name is made from the same bytes, so the deploy step need not read it again).
    """
    root = Path(site_dir)
    renames: dict[str, str] = {}
    digests: dict[str, tuple[str, int]] = {}
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
        digests[new] = (hashlib.sha256(data).hexdigest(), len(data))
    return renames, digests


class HtmlRewriter:
    """Rewrites the references to renamed assets in one HTML file's bytes (see :func:`fingerprint_assets`)."""

    def __init__(self, renames: dict[str, str], base_path: str = "/") -> None:
        self.renames = renames
        self.base_path = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
        self.names = [posixpath.basename(a).encode("utf-8") for a in renames]
        self.pattern = _attr_re_for(renames) if renames else None

    @staticmethod
    def applies(rel: str) -> bool:
        """Whether the file at *rel* is one whose references are rewritten (``*.html``)."""
        return rel.endswith(".html")

    def __call__(self, rel: str, raw: bytes) -> bytes | None:
        """The rewritten bytes of the HTML file at *rel*, or None when nothing in it changes."""
        if self.pattern is None or not any(name in raw for name in self.names):
            return None
        text = raw.decode("utf-8", errors="surrogateescape")
        new_text = _rewrite(rel, text, self.renames, self.base_path, self.pattern)
        return new_text.encode("utf-8", errors="surrogateescape") if new_text != text else None


def fingerprint_assets(
    site_dir: str | os.PathLike[str], assets: Iterable[str], base_path: str = "/"
) -> dict[str, str]:
    """Rename ``assets`` (site-relative posix paths) and rewrite HTML references; return old -> new.

    The deploy step does the same inside its one pass over the site (``site_scan``); this is the
    stand-alone form.
    """
    root = Path(site_dir)
    renames, _ = rename_assets(root, assets)
    if not renames:
        return renames
    rewrite = HtmlRewriter(renames, base_path)
    for html in sorted(root.rglob("*.html")):
        rel = html.relative_to(root).as_posix()
        new = rewrite(rel, html.read_bytes())
        if new is not None:
            html.write_bytes(new)
    return renames
