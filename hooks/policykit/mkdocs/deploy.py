"""The published ledger, cache headers, nginx include, deploy manifest and purge list.

At the start of a build (on_config, after history is read): the previous
deploy's manifest is loaded once; its numbering is kept (policykit.numbering)
and history is checked against it (policykit.ledger): a rewritten published
text fails the build before anything is written.

mkdocs-static-i18n builds every language inside the first language's
on_post_build (priority -100); the deploy step runs after it (-200), in the
one call where ``building`` is False, so the files it writes cover every
language.  All the work is policykit.deploy.finalize_site.

The Content-Security-Policy allows the theme's inline scripts, rendered from
the theme's script partials in every language build (policykit.theme_scripts),
never scripts found in the output.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, time as dtime
from typing import Any
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

from policykit.mkdocs import common
from policykit.pages import archive
from policykit.history import gitrepo
from policykit.history import ledger
from policykit.deploy.cache_rules import HeaderRuleError
from policykit.history.chain import Chain, read_chain
from policykit.history.corrections import CorrectionsError
from policykit.dates import build_time, zone
from policykit.deploy.finalize import finalize_site
from policykit.deploy import signing
from policykit.deploy.fingerprint import FingerprintError, fingerprinted_name
from policykit.history.versions import History, Version
from policykit.deploy.manifest import PREVIOUS_MANIFEST_ENV, ManifestError, load_manifest
from policykit.deploy.mtimes import MtimeError, build_clock
from policykit.history.numbering import keep_published_numbers
from policykit.source.text import split_front_matter
from policykit.deploy.theme_time import pin_clock

try:
    import material  # type: ignore[import-untyped]  # the installed theme, whose own files theme_time dates; no types
except ImportError:  # pragma: no cover -- the site is built with Material
    material = None
from policykit.deploy.theme_scripts import ThemeScripts

log = logging.getLogger("mkdocs.hooks.deploy")

OWN_ASSETS = ("assets/policy.css", "assets/policy.js", "assets/policy-compare.js", "assets/diff-match-patch.js",
              "assets/policy-in-force.js")


@dataclass
class _Run:
    """This module's state of one build (on the plugin instance, see common.BuildState.slot)."""

    run: dict[str, Any] = field(default_factory=dict)  # this build's previous manifest and chain
    theme_scripts: ThemeScripts = field(default_factory=ThemeScripts)  # of every language of this build


def _state(config: MkDocsConfig) -> _Run:
    return common.state(config).slot(_Run)


def on_env(env: Any, config: MkDocsConfig, files: Files) -> Any:
    """Templates link the project's own CSS and JS by the fingerprinted name finalize_site gives them.

    Writing the final name at render time spares rewriting every page after
    the build; finalize_site still rewrites any reference it finds unchanged.
    """
    serving = common.state(config).command == "serve"
    names: dict[str, str] = {}

    def policy_asset(path: str) -> str:
        if serving:
            return path  # the live preview serves files as they are
        if path not in names:
            names[path] = path
            for folder in config.theme.dirs:
                candidate = os.path.join(folder, path)
                if os.path.isfile(candidate):
                    with open(candidate, "rb") as fh:
                        names[path] = fingerprinted_name(path, fh.read())
                    break
        return names[path]

    env.globals["policy_asset"] = policy_asset
    if serving:
        return env  # the theme's scripts are for the CSP of a deployment, which the live preview never writes
    theme_scripts = _state(config).theme_scripts
    if common.is_first_language_build(config):
        theme_scripts.clear()  # a new build (mkdocs serve rebuilds in the same process)
    error_base = urlsplit(config.site_url or "/").path  # MkDocs' base_url of 404.html
    theme_scripts.add_language(env, {"config": config, "page": None, "nav": None}, error_base)
    return env


# ----------------------------------------------------------------- the ledger


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    if not common.is_first_language_build(config):
        return config
    run = _state(config).run
    run.clear()
    settings = common.settings(config)
    run["key"] = _signing_key(config, settings.signing_key)
    hist = common.history(config)
    source = settings.previous_manifest or os.environ.get(PREVIOUS_MANIFEST_ENV) or None
    try:
        previous = load_manifest(source) if source else None
        tree = gitrepo.open_work_tree(config.docs_dir) if hist.root is not None else None
        chain = read_chain(tree, hist.head) if tree is not None else Chain()
    except (ManifestError, gitrepo.GitError) as exc:
        raise PluginError(str(exc)) from exc
    run.update(previous=previous, chain=chain, tree=tree)
    items = []
    recorded = ledger.previous_records(previous)
    for src, fh in sorted(hist.files.items()):
        ref = common.policy_of(config, src)
        if ref is None or not fh.versions:
            continue
        if recorded is not None and tree is not None and (ref.policy_id, ref.locale) in recorded[0]:
            fh, notes = keep_published_numbers(fh, recorded[0][(ref.policy_id, ref.locale)], chain,
                                               lambda c, b: _restore(tree, hist, settings.date_source, c, b))
            hist.files[src] = fh
            for note in notes:
                log.info("Published numbering of %s: %s", src, note)
        items.append((ref.policy_id, ref.locale, fh))
    read = (lambda oids: gitrepo.read_blobs(tree, oids)) if tree is not None else (lambda oids: iter(()))
    try:
        corrections = common.declarations(config).corrections  # the corrections file, read once (common.declarations)
        current = ledger.current_records(items, read, os.path.join(common.cache_dir(config), "ledger"))
        result = ledger.check_history(recorded, current, corrections, read_old=lambda oids: _read_present(tree, oids))
    except (CorrectionsError, gitrepo.GitError) as exc:
        raise PluginError(str(exc)) from exc
    if previous is not None and recorded is None:
        log.info("The previous manifest records no published versions (an older format): the rewrite check "
                 "starts with this deploy.")
    for notice in result.notices:
        log.info("Published history: %s", notice)
    if result.errors:
        raise PluginError("Published history was rewritten; nothing was built:\n  " + "\n  ".join(result.errors))
    common.state(config).ledger = result
    return config


def signs(config: MkDocsConfig) -> bool:
    """This build signs manifest.json (a signing key was given and checked in on_config)."""
    return common.feature(config, "headers") and _state(config).run.get("key") is not None


def _signing_key(config: MkDocsConfig, option: str | None) -> signing.SigningKey | None:
    """The key that signs manifest.json, checked now, before anything is built (none: no signature)."""
    if common.state(config).command == "serve":
        return None  # the live preview writes no manifest
    base = os.path.dirname(os.path.abspath(config.config_file_path or "mkdocs.yml"))
    path = signing.key_path(option, os.environ, base)
    if path is None:
        log.info("No signing key (plugin option 'signing_key' or $%s): manifest.json is not signed.",
                 signing.SIGNING_KEY_ENV)
        return None
    where = "option 'signing_key'" if option else f"${signing.SIGNING_KEY_ENV}"
    try:
        return signing.load_key(path, published=(config.docs_dir, config.site_dir))
    except signing.SigningError as exc:
        raise PluginError(f"{config.config_file_path or 'mkdocs.yml'}: {where}: {exc}") from exc


def _read_present(tree: gitrepo.WorkTree | None, oids: list[str]):
    """The blobs of *oids* that are still in the repository (a rewrite may have dropped some)."""
    if tree is None or not oids:
        return iter(())
    present = [o for o in oids if _has_object(tree, o)]
    return gitrepo.read_blobs(tree, present)


def _has_object(tree: gitrepo.WorkTree, oid: str) -> bool:
    try:
        return tree.repo.git.cat_file("-t", oid).strip() == "blob"
    except Exception:  # noqa: BLE001 -- GitPython raises GitCommandError for a missing object
        return False


def _restore(tree: gitrepo.WorkTree, hist: History, date_source: str, commit: str, blob: str) -> Version | None:
    """The version at *commit* whose file has *blob* (a version the current rules merged), or None."""
    try:
        listing = tree.repo.git.ls_tree("-r", "-z", commit, "--", tree.docs_prefix or ".")
        c = tree.repo.commit(commit)
    except Exception:  # noqa: BLE001 -- a commit or tree git cannot read: keep today's numbering
        return None
    path = next((item.split("\t", 1)[1] for item in listing.split("\0")
                 if "\t" in item and item.split("\t", 1)[0].split()[2:3] == [blob]), None)
    if path is None:
        return None
    data = next((d for _, d in gitrepo.read_blobs(tree, [blob])), b"")
    prefix = tree.docs_prefix
    src = path[len(prefix) + 1:] if prefix and path.startswith(prefix + "/") else path
    fm, _ = split_front_matter(data)
    when = c.authored_datetime if date_source == "author" else c.committed_datetime
    return Version(number=0, commit=commit, date=when, author=c.author.name or "", author_email=c.author.email or "",
                   subject=c.summary if isinstance(c.summary, str) else c.summary.decode("utf-8", "replace"),
                   blob=blob, path=path, src_path=src, front_matter=fm.decode("utf-8", "replace"))


# ----------------------------------------------------------------- the deploy step


def _arrived_effective(config: MkDocsConfig, hist: History) -> int | None:
    """The latest effective date (00:00 in the site's timezone) that has arrived, as epoch seconds."""
    tz = zone(common.settings(config).timezone)
    now = build_time()  # the same "now" as the pages (policykit.effective): SOURCE_DATE_EPOCH, pinned to HEAD
    latest = None
    for fh in hist.files.values():
        if not fh.versions:
            continue
        for e in archive.version_entries(fh):
            if e.effective is None:
                continue
            start = datetime.combine(e.effective, dtime(0), tz)
            if start <= now and (latest is None or start > latest):
                latest = start
    return int(latest.timestamp()) if latest is not None else None


def on_post_build(config: MkDocsConfig) -> None:
    if not common.is_last_post_build(config):
        return
    if common.state(config).command == "serve":
        return  # the live preview serves files as they are; headers are for deployments
    hist = common.history(config)
    site = config.site_dir
    own = [a for a in OWN_ASSETS if os.path.exists(os.path.join(site, a))]
    source_date = hist.head_date or hist.fallback_date
    if source_date is None:  # no commit yet: every page is a draft, there is nothing to be reproducible with
        source_date = build_time()
    run = _state(config).run
    chain = run.get("chain") or Chain()
    clock = build_clock(chain.times, _arrived_effective(config, hist)) if chain.times else None
    result_ledger = common.state(config).ledger
    tree = run.get("tree")
    pinned = pin_clock(tree, chain, os.path.dirname(os.path.abspath(config.config_file_path or "mkdocs.yml"))) \
        if tree is not None else None
    theme = (pinned, [str(d) for d in config.theme.dirs], os.path.dirname(material.__file__)) \
        if pinned is not None and material is not None else None
    store = getattr(common.plugin(config), "archive_store", None)  # policykit.mkdocs.archive_store
    try:
        result = finalize_site(
            site,
            common.state(config).published,
            own_assets=own,
            source_date=source_date,
            previous=run.get("previous"),
            previous_manifest="",  # already loaded (or none) in on_config
            clock=clock,
            policies=ledger.manifest_section(ledger.with_published_files(result_ledger.policies, common.state(config).sources))
            if result_ledger is not None else None,
            theme=theme,
            theme_scripts=_state(config).theme_scripts,
            signing_key=run.get("key"),
            kept=store.known_files() if store is not None else None,  # restored archives: already hashed
            collect=store.pending_paths() if store is not None else (),  # new archives: hash them for the next build
        )
    except (HeaderRuleError, FingerprintError, ManifestError, MtimeError, signing.SigningError) as exc:
        raise PluginError(str(exc)) from exc
    if store is not None:
        store.scanned = (result.digests, result.scripts)
    log.info(
        "Wrote %s (%d rules), %s, %s and %s (nginx: the first in server {}, the second in http {})",
        os.path.relpath(result.headers_file), result.headers_rule_count,
        os.path.relpath(result.manifest_file), os.path.relpath(result.nginx_include),
        os.path.relpath(result.nginx_maps) if result.nginx_maps is not None else "no nginx maps",
    )
    if result.signature_file is not None:
        log.info("Signed the manifest: %s (%s)", os.path.relpath(result.signature_file), run["key"].public)
    if not result.memento_in_headers:
        log.info("Memento headers (Memento-Datetime, Link) left out of %s: with them it would need more than "
                 "Cloudflare's 100 rules; the nginx include still sends them, and the TimeMaps are served everywhere.",
                 os.path.relpath(result.headers_file))
    for path, digest in result.unlisted_scripts[:20]:
        log.warning(
            "%s: an inline script outside the page content is not one of the theme's scripts (%s), so the "
            "Content-Security-Policy blocks it. Put the script in a file under overrides/assets/, or in a "
            "template under overrides/partials/javascripts/ (those are hashed).",
            os.path.join(os.path.relpath(site), path), digest,
        )
    if len(result.unlisted_scripts) > 20:
        log.warning("... and %d more inline scripts the Content-Security-Policy blocks", len(result.unlisted_scripts) - 20)
    if result.purge.message:
        log.info("Purge: %s", result.purge.message)
