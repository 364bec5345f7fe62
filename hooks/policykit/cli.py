"""``policykit``: the policy tools without MkDocs, over any generator's output.

    policykit history DOCS_DIR --json          every policy's versions and dates
    policykit finalize SITE_DIR --docs DOCS_DIR [--layout directory|file] [--language zh-Hant=/ --language en=/en/]
    policykit finalize SITE_DIR --history history.json [--layout ...] [--language ...]
    policykit finalize ... --signing-key KEY   also sign manifest.json (manifest.json.sig; or $POLICY_SITE_SIGNING_KEY)
    policykit verify SITE_DIR [--allowed-signers FILE --identity ID | --public-key FILE]
                                               the site matches its manifest.json (and its signature)

Exit codes: 0 done, 1 a check failed or the input is wrong (a signing key that cannot be used too), 2 a usage error.
Nothing here imports MkDocs (README, "Other engines").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import tempfile
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

from policykit.deploy.cache_rules import HEADERS_FILE, MANIFEST_FILE, SIGNATURE_FILE, HeaderRuleError
from policykit.deploy import signing
from policykit.dates import EpochError, zone
from policykit.deploy.finalize import finalize_site
from policykit.deploy.fingerprint import FingerprintError
from policykit.history.gitrepo import GitError
from policykit.history.versions import HistoryOptions
from policykit.history.export import FORMAT as HISTORY_FORMAT, VERSION as HISTORY_VERSION, history_document
from policykit.deploy.manifest import ManifestError, load_manifest
from policykit.deploy.mtimes import MtimeError
from policykit.settings import Settings
from policykit.deploy.theme_scripts import ThemeScripts
from policykit.deploy.site_layout import LAYOUTS, Layout, LayoutError, parse_languages, registry_of, site_paths

#: Files of a finalized site that its manifest does not list (the manifest, its signature and the header file).
UNLISTED = (HEADERS_FILE, MANIFEST_FILE, SIGNATURE_FILE)


_HASH_RE = re.compile(r"^'?(sha(256|384|512)-[A-Za-z0-9+/]+={0,2})'?$")


@dataclass
class ListedScripts(ThemeScripts):
    """The theme's inline scripts, as hashes the site owner listed (``--script-hash``)."""

    listed: tuple[str, ...] = ()

    def hashes(self, html_paths: Iterable[str]) -> list[str]:
        return sorted(set(self.listed))


class UsageError(Exception):
    """The command line is wrong (exit 2)."""


class Failure(Exception):
    """The input is wrong or a check failed (exit 1)."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="policykit", description="Policy history, cache headers and manifests "
                                "for a static site built by any generator.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def languages(q: argparse.ArgumentParser) -> None:
        q.add_argument("--language", action="append", default=[], metavar="LOCALE=PREFIX",
                       help="a language and where the site publishes it, e.g. zh-Hant=/ en=/en/ (repeat it); "
                            "sources under docs/LOCALE/ are that language. Default: one language, en=/")
        q.add_argument("--exclude", action="append", default=None, metavar="NAME",
                       help=f"a file name that is not a policy (repeat it; default: {', '.join(Settings().policy_exclude)})")

    def history_opts(q: argparse.ArgumentParser) -> None:
        q.add_argument("--timezone", default="UTC", help="the timezone effective dates start in (default UTC)")
        q.add_argument("--date-source", choices=("committer", "author"), default="committer",
                       help="which git date is a version's date (default committer)")

    h = sub.add_parser("history", help="every policy's versions and dates, from git")
    h.add_argument("docs", metavar="DOCS_DIR")
    h.add_argument("--json", action="store_true", required=True, help="print JSON (the only format)")
    languages(h)
    history_opts(h)

    f = sub.add_parser("finalize", help="_headers, the nginx include, manifest.json and the purge list of a built site")
    f.add_argument("site", metavar="SITE_DIR")
    src = f.add_mutually_exclusive_group(required=True)
    src.add_argument("--docs", metavar="DOCS_DIR", help="the docs folder the site was built from (in its git repository)")
    src.add_argument("--history", metavar="FILE", help="the output of `policykit history --json`")
    f.add_argument("--layout", choices=LAYOUTS, default="directory",
                   help="directory: page.md -> page/index.html (use_directory_urls: true, the default); "
                        "file: page.md -> page.html")
    languages(f)
    history_opts(f)
    f.add_argument("--previous-manifest", metavar="PATH_OR_URL", help="the last deploy's manifest.json, for the purge list")
    f.add_argument("--deploy-dir", metavar="DIR", help="where the nginx include and purge list go (default SITE_DIR-deploy)")
    f.add_argument("--base-url", metavar="URL", help="make purge URLs absolute (the site is served at the host root)")
    f.add_argument("--script-hash", action="append", default=[], metavar="'sha256-...'",
                   help="an inline script of the theme the Content-Security-Policy allows (repeat it). Nothing found "
                        "in the output is allowed on its own: finalize lists the hashes of the scripts it blocks, "
                        "review them and list the theme's here")
    f.add_argument("--signing-key", metavar="KEY",
                   help="an OpenSSH private key without passphrase: sign manifest.json into manifest.json.sig "
                        f"(default ${signing.SIGNING_KEY_ENV}; unset: no signature)")

    v = sub.add_parser("verify", help="check every file of the site against its manifest.json")
    v.add_argument("site", metavar="SITE_DIR")
    v.add_argument("--manifest", metavar="FILE", help="the manifest to check against (default SITE_DIR/manifest.json)")
    v.add_argument("--allowed-signers", metavar="FILE",
                   help="check the signature (the manifest's path + .sig) against this allowed_signers file "
                        "(ssh-keygen's format, as git uses it); needs --identity")
    v.add_argument("--identity", metavar="ID", help="the signer's principal in --allowed-signers")
    v.add_argument("--public-key", metavar="FILE",
                   help="check the signature against this public key (KEY.pub) instead of an allowed_signers file")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 with argparse's message on a usage error
    try:
        if args.command == "history":
            return _history(args)
        if args.command == "finalize":
            return _finalize(args)
        return _verify(args)
    except UsageError as exc:
        print(f"policykit {args.command}: {exc}", file=sys.stderr)
        return 2
    except (Failure, GitError, ManifestError, HeaderRuleError, FingerprintError, MtimeError, EpochError,
            signing.SigningError) as exc:
        print(f"policykit {args.command}: {exc}", file=sys.stderr)
        return 1


def _folder(path: str, what: str) -> Path:
    folder = Path(path)
    if not folder.is_dir():
        raise UsageError(f"{what} {path!r} is not a folder")
    return folder


def _layout(args: argparse.Namespace) -> Layout:
    try:
        return Layout(args.layout if "layout" in args else "directory", parse_languages(args.language))
    except LayoutError as exc:
        raise UsageError(str(exc)) from exc


def _document(args: argparse.Namespace, layout: Layout) -> dict[str, Any]:
    docs = _folder(args.docs, "DOCS_DIR")
    try:
        zone(args.timezone)
    except ValueError as exc:
        raise UsageError(f"--timezone: {exc}") from exc
    return history_document(
        docs,
        locales=layout.locales,
        default_locale=layout.default_locale,
        exclude=tuple(args.exclude) if args.exclude else Settings().policy_exclude,
        timezone_name=args.timezone,
        options=HistoryOptions(date_source=args.date_source),
    )


def _history(args: argparse.Namespace) -> int:
    doc = _document(args, _layout(args))
    sys.stdout.write(json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    return 0


def _read_history_file(path: str) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Failure(f"{path}: cannot read a history file: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != HISTORY_FORMAT or doc.get("version") != HISTORY_VERSION:
        raise Failure(f"{path}: not the output of `policykit history --json` ({HISTORY_FORMAT} version {HISTORY_VERSION})")
    return doc


def _finalize(args: argparse.Namespace) -> int:
    site = _folder(args.site, "SITE_DIR")
    layout = _layout(args)
    listed = []
    for value in args.script_hash:
        m = _HASH_RE.match(value.strip())
        if m is None:
            raise UsageError(f"--script-hash {value!r}: expected a CSP hash such as 'sha256-AbC...='")
        listed.append(f"'{m.group(1)}'")
    key = _signing_key(args, site)
    doc = _read_history_file(args.history) if args.history else _document(args, layout)
    try:
        if args.history and set(doc["locales"]) != set(layout.locales):
            raise UsageError(f"{args.history} was read with the languages {', '.join(doc['locales'])}; "
                             f"--language gives {', '.join(layout.locales)}")
        registry = registry_of(doc, layout, site_paths(site))
        head_date = datetime.fromisoformat(doc["head_date"]) if doc.get("head_date") else None
    except LayoutError as exc:
        raise Failure(str(exc)) from exc
    except (KeyError, TypeError, ValueError, IndexError) as exc:  # a hand-edited or truncated history file
        raise Failure(f"{args.history}: not a valid `policykit history --json` document ({exc!r})") from exc
    result = finalize_site(
        site,
        registry,
        source_date=head_date,
        previous_manifest=args.previous_manifest,
        deploy_dir=args.deploy_dir,
        base_url=args.base_url,
        clock=doc.get("build_clock"),
        theme_scripts=ListedScripts(listed=tuple(listed)),
        signing_key=key,
    )
    print(f"Wrote {result.headers_file} ({result.headers_rule_count} rules), {result.manifest_file}, "
          f"{result.nginx_include}, {result.nginx_maps} and "
          f"{result.purge_files.get('urls', result.nginx_include.parent / 'purge')}",
          file=sys.stderr)
    if not result.memento_in_headers:
        print("Note: Memento headers (Memento-Datetime, Link) left out of _headers: with them it would need more "
              "than Cloudflare's 100 rules; the nginx include still sends them.", file=sys.stderr)
    print(f"{len(registry)} policy pages registered; {len(result.rules.files)} files", file=sys.stderr)
    if result.purge.message:
        print(f"Purge: {result.purge.message}", file=sys.stderr)
    if result.signature_file is not None and key is not None:
        print(f"Signed: {result.signature_file} (key {key.public})", file=sys.stderr)
    if result.unlisted_scripts:
        blocked: dict[str, list[str]] = {}
        for path, digest in result.unlisted_scripts:
            blocked.setdefault(digest, []).append(path)
        print(f"Note: the Content-Security-Policy blocks {len(blocked)} different inline scripts outside the page "
              "content. If they are your theme's, allow each with --script-hash (or move it into a file):",
              file=sys.stderr)
        for digest, paths in sorted(blocked.items()):
            more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
            print(f"  --script-hash \"{digest}\"   # e.g. {paths[0]}{more}", file=sys.stderr)
    return 0


def _signing_key(args: argparse.Namespace, site: Path) -> signing.SigningKey | None:
    """``--signing-key`` or ``$POLICY_SITE_SIGNING_KEY``, checked before anything is written (None: no signature)."""
    path = signing.key_path(args.signing_key, os.environ)
    if path is None:
        return None
    where = "--signing-key" if args.signing_key else f"${signing.SIGNING_KEY_ENV}"
    try:
        return signing.load_key(path, published=(site,))
    except signing.SigningError as exc:
        raise Failure(f"{where}: {exc}") from exc


def _verify_key(args: argparse.Namespace) -> tuple[Path, str] | None:
    """The (allowed_signers file, identity) the signature is checked with; None: no key option."""
    if args.public_key and (args.allowed_signers or args.identity):
        raise UsageError("give either --public-key FILE or --allowed-signers FILE --identity ID, not both")
    if bool(args.allowed_signers) != bool(args.identity):
        raise UsageError("--allowed-signers FILE and --identity ID go together (the identity is the signer's "
                         "principal in that file)")
    given = args.public_key or args.allowed_signers
    if not given:
        return None
    if not Path(given).is_file():
        raise UsageError(f"{given}: no such file")
    return Path(given), args.identity or signing.PUBLIC_KEY_IDENTITY


def _check_signature(args: argparse.Namespace, source: Path, key: tuple[Path, str] | None) -> tuple[list[str], str]:
    """(problems, what was checked) for the manifest's signature (``manifest.json.sig`` beside it)."""
    sig = source.with_name(source.name + ".sig")
    if key is None:
        if sig.is_file():
            return [], (f"signature NOT checked: {sig} exists; give --public-key FILE or "
                        "--allowed-signers FILE --identity ID to check it")
        return [], f"the manifest is not signed (no {sig})"
    if not sig.is_file():
        return [f"no signature: {sig} is missing, so {source} cannot be checked against {key[0]}"], ""
    try:
        if args.public_key:
            with tempfile.TemporaryDirectory(prefix="policykit-verify-") as tmp:
                signers = Path(tmp) / "allowed_signers"
                signers.write_text(signing.allowed_signers_line(key[0], key[1]), encoding="ascii")
                report = signing.verify(source.read_bytes(), sig, signers, key[1])
        else:
            report = signing.verify(source.read_bytes(), sig, key[0], key[1])
    except signing.SigningError as exc:
        return [f"signature: {exc}"], ""
    return [], f"signature good ({report})"


def _check_versions(site: Path, manifest: dict[str, Any], listed: dict[str, dict[str, Any]]) -> tuple[list[str], int]:
    """(problems, versions checked): every version in ``policies`` has its page and its source.md, as recorded."""
    section = manifest.get("policies")
    versions = section.get("versions") if isinstance(section, dict) else None
    if not isinstance(versions, dict):
        return [], 0
    problems, count = [], 0
    for policy, langs in sorted(versions.items()):
        for locale, records in sorted(langs.items()) if isinstance(langs, dict) else ():
            for rec in records if isinstance(records, list) else ():
                if not isinstance(rec, dict):
                    continue
                count += 1
                label = f"{policy} ({locale}) version {rec.get('number')}"
                absent = [f for f in ("page", "source") if not isinstance(rec.get(f), str)]
                if absent:
                    problems.append(f"{label}: the manifest records no {' or '.join(map(repr, absent))}, so it "
                                    "cannot be checked (a manifest of an older policykit: build the site again)")
                for field in ("page", "source"):
                    path = rec.get(field)
                    if not isinstance(path, str):
                        continue
                    if not (site / path).is_file():
                        problems.append(f"{label}: its {field} {path} is missing")
                    elif path not in listed:
                        problems.append(f"{label}: its {field} {path} is not listed in the manifest's urls")
                    elif field == "source":
                        digest = hashlib.sha256((site / path).read_bytes()).hexdigest()
                        if digest != rec.get("source_sha256"):
                            problems.append(f"{label}: {path} has sha256 {digest}, the record says "
                                            f"source_sha256 {rec.get('source_sha256')}")
    return problems, count


def _verify(args: argparse.Namespace) -> int:
    site = _folder(args.site, "SITE_DIR")
    key = _verify_key(args)
    source = Path(args.manifest) if args.manifest else site / MANIFEST_FILE
    if not source.is_file():
        raise Failure(f"{source}: no manifest; run `policykit finalize` first")
    manifest = load_manifest(source)
    listed: dict[str, dict[str, Any]] = {}
    for url, entry in manifest["urls"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise Failure(f"{source}: entry {url!r} has no path")
        listed[entry["path"]] = entry
    problems, signed = _check_signature(args, source, key)
    for path, entry in sorted(listed.items()):
        file = site / path
        if not file.is_file():
            problems.append(f"missing: {path}")
            continue
        data = file.read_bytes()
        if len(data) != entry.get("size"):
            problems.append(f"size differs: {path} is {len(data)} bytes, the manifest says {entry.get('size')}")
        elif hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            problems.append(f"content differs: {path} (sha256 {hashlib.sha256(data).hexdigest()}, "
                            f"the manifest says {entry.get('sha256')})")
    for path in site_paths(site):
        if path not in listed and path not in UNLISTED:
            problems.append(f"not in the manifest: {path}")
    version_problems, versions = _check_versions(site, manifest, listed)
    problems += version_problems
    if problems:
        raise Failure(f"{site} does not match {source} ({len(problems)} problems):\n  " + "\n  ".join(problems))
    print(f"{site}: {len(listed)} files match {source}; {versions} published versions present; {signed}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
