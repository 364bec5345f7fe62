"""One call for the build hook: fingerprint, classify, stamp, and write every deploy artefact.

Writes into the site: ``_headers`` (Netlify / Cloudflare Pages),
``manifest.json`` and, when a folder has its own ``404.html``, ``_redirects``
(Netlify's 404 rules, listed in the manifest like a page; see ``error_pages``);
with a signing key, ``manifest.json.sig`` last (``signing``; not listed in the manifest).  Writes next to it, in ``deploy_dir`` (default
``<site_dir>-deploy``, never published): ``nginx-headers.conf`` (for ``server {}``), ``nginx-maps.conf`` (for
``http {}``: the Memento TimeGates, see ``memento``) and ``purge/{urls.txt,tags.txt,summary.json}``.  Writes each
policy's TimeMap (``B timemap.link``, from the registry alone) into the site first.  Sets every file's mtime last.

What is read when (each file of the site at most once; nothing of a file's
content is kept once the next file is read, only its digest and size):

1. the listing of the site (``cache_rules.site_files``: names only): before
   anything is written, to refuse bad names, and once more after the TimeMaps;
2. the project's own assets (``fingerprint.rename_assets``): read once for
   their fingerprinted names, which also gives their digests;
3. ``_redirects`` (``error_pages.write_redirects``): read before it is
   written only when the site came with one (another generator's rules);
4. every other file, once, in path order (``site_scan.read_site``): an HTML
   page whole (references to renamed assets rewritten, then its SHA-256 and
   size and the CSP check of its inline scripts), ``sitemap.xml.gz`` whole
   (its gzip MTIME set), anything else streamed through SHA-256 in blocks;
5. the installed theme's files (not the site's) that a site file may be a copy
   of, only when their size matches (``theme_time.theme_copies``);
6. ``manifest.json`` once more after it is written, to sign it (``signing``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Container, Iterable, Mapping, Sequence

from policykit.deploy.cache_rules import IMMUTABLE, HEADERS_FILE, MANIFEST_FILE, SiteRules, build_rules, classify, site_files
from policykit.deploy import nginx_versions, signing, site_scan
from policykit.deploy.header_files import CLOUDFLARE_MAX_RULES, choose_netlify_rules, render_netlify_rules, render_nginx, render_nginx_maps
from policykit.deploy.memento import write_timemaps
from policykit.deploy.manifest import (
    PREVIOUS_MANIFEST_ENV, PurgePlan, build_manifest, load_manifest, write_manifest,
    manifest_mtime, plan_purge, previous_files, write_purge,
)
from policykit.deploy.mtimes import MtimeError, apply_mtimes, plan_mtimes, source_epoch
from policykit.deploy.published import PublishedPages
from policykit.deploy.theme_time import theme_copies
from policykit.deploy.theme_scripts import ThemeScripts

NGINX_INCLUDE = "nginx-headers.conf"
NGINX_MAPS = "nginx-maps.conf"


@dataclass(frozen=True)
class FinalizeResult:
    """What ``finalize_site`` did and where it wrote it."""

    rules: SiteRules
    renamed: dict[str, str]  # own asset -> fingerprinted path
    headers_file: Path
    headers_rule_count: int
    manifest_file: Path
    nginx_include: Path
    purge: PurgePlan
    purge_files: dict[str, Path]
    file_mtimes: dict[str, int]  # path -> mtime set
    registry_missing: tuple[str, ...]  # registry paths with no file in the site
    unlisted_scripts: tuple[tuple[str, str], ...] = ()  # (path, hash): inline scripts outside the content the CSP blocks
    signature_file: Path | None = None  # manifest.json.sig, when a signing key was given
    nginx_maps: Path | None = None  # the http-level include (Memento maps)
    memento_in_headers: bool = True  # False: Memento headers did not fit into _headers (nginx still sends them)
    digests: dict[str, tuple[str, int]] = field(default_factory=dict)  # path in collect -> (sha256, size)
    scripts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # path in collect -> inline scripts' hashes


def finalize_site(
    site_dir: str | os.PathLike[str],
    registry: PublishedPages,
    *,
    own_assets: Iterable[str] = (),
    source_date: datetime | int | None = None,
    previous_manifest: str | os.PathLike[str] | None = None,
    deploy_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    clock: int | None = None,
    policies: Mapping[str, Any] | None = None,
    previous: Mapping[str, Any] | None = None,
    theme: tuple[int, Sequence[str], str] | None = None,
    theme_scripts: ThemeScripts | None = None,
    signing_key: signing.SigningKey | None = None,
    kept: Mapping[str, tuple[str, int, tuple[str, ...]]] | None = None,
    collect: Container[str] = (),
) -> FinalizeResult:
    """Finish a built site for deployment (call once, after everything else wrote its files).

    ``previous_manifest``: path or http(s) URL of the last deploy's manifest;
    if None, ``$POLICY_SITE_PREVIOUS_MANIFEST`` is used when set.
    ``source_date``: fallback stamp (HEAD commit time) when SOURCE_DATE_EPOCH is unset.
    ``base_url``: makes purge URLs absolute (the site must be served at the host root).
    ``clock``: the build clock (``mtimes.build_clock``); None: the source date.
    ``policies``: the published versions to record (``ledger.manifest_records``).
    ``previous``: the previous manifest already loaded (then ``previous_manifest`` is not read).
    ``theme``: (pin clock, theme dirs, installed theme folder): the theme's own files get the pin's time
    (``theme_time``).
    ``theme_scripts``: the theme's inline scripts, allowed by the CSP (none when not given).
    ``signing_key``: sign the manifest (``signing.load_key``, checked before the build); None: no signature.
    ``kept``: files not to read, with their digest, size and inline scripts' hashes; ``collect``: paths whose
    digest and inline scripts' hashes to return (``FinalizeResult.digests``, ``.scripts``; see ``site_scan``).
    """
    env = os.environ if env is None else env
    site = Path(site_dir)
    out_dir = Path(deploy_dir) if deploy_dir is not None else site.with_name(site.name + "-deploy")
    listed = site_files(site)  # refuse bad names before touching anything
    found = write_timemaps(site, registry)  # Memento: B timemap.link, registered as TIMEMAP
    read = site_scan.read_site(site, own_assets, source_epoch(source_date, env), theme_scripts,  # see the module doc
                               kept=kept, collect=collect, listed={*listed, *(tl.timemap_path for tl in found)})
    paths, renamed, digests, hashes = read.paths, read.renamed, read.digests, read.hashes
    if previous is None:
        source = previous_manifest if previous_manifest is not None else (env.get(PREVIOUS_MANIFEST_ENV) or None)
        previous = load_manifest(source) if source else None
    if clock is None:
        clock = source_epoch(source_date, env)
    if clock is None:
        raise MtimeError("no build clock: neither a commit, SOURCE_DATE_EPOCH nor a source date")
    fixed = [p for p in paths if classify(p, registry.get(p), renamed.values()) is IMMUTABLE]
    shas = {p: d[0] for p, d in digests.items()}
    dated = {}
    if theme is not None:
        dated = {p: theme[0] for p in theme_copies(paths, shas, theme[1], theme[2],
                                                   {p: d[1] for p, d in digests.items()})}
    file_mtimes = plan_mtimes(paths, registry, clock, fixed=fixed, dated=dated, digests=shas,
                         previous=previous_files(previous))
    rules = build_rules(site, registry, fingerprinted=renamed.values(), file_mtimes=file_mtimes, paths=paths, script_hashes=hashes,
                        timelines=found)
    unlisted = tuple(read.unlisted)

    headers_file = site / HEADERS_FILE
    room = CLOUDFLARE_MAX_RULES - 1 if signing_key is not None else CLOUDFLARE_MAX_RULES  # one rule for the signature
    choice = choose_netlify_rules(rules, room)
    chosen = choice.rules if signing_key is None else [*choice.rules, signing.header_rule()]
    headers_file.write_text(render_netlify_rules(chosen), encoding="utf-8")
    manifest = build_manifest(rules, digests, file_mtimes, policies)
    meta = manifest_mtime(manifest, previous, max([clock, *file_mtimes.values()]))
    manifest["mtime"] = meta
    manifest_file = site / MANIFEST_FILE
    write_manifest(manifest, manifest_file)  # manifest_json's text, written in pieces
    out_dir.mkdir(parents=True, exist_ok=True)
    nginx_include = out_dir / NGINX_INCLUDE
    groups = nginx_versions.plan(rules)  # the policy folders' locations, for both includes
    nginx_include.write_text(render_nginx(rules, groups=groups)
                             + (signing.nginx_location(rules.security) if signing_key else ""), encoding="utf-8")
    nginx_maps = out_dir / NGINX_MAPS
    nginx_maps.write_text(render_nginx_maps(rules, datetime.fromtimestamp(clock, timezone.utc).year, groups=groups),
                          encoding="utf-8")
    purge = plan_purge(manifest, previous, base_url)
    purge_files = write_purge(purge, out_dir / "purge")

    all_mtimes = {**file_mtimes, HEADERS_FILE: meta, MANIFEST_FILE: meta}
    signature_file = site / signing.SIGNATURE_FILE
    if signing_key is not None:  # last: manifest.json is final
        signing.write_signature(signing_key, manifest_file)
        all_mtimes[signing.SIGNATURE_FILE] = meta
    elif signature_file.exists():
        signature_file.unlink()  # an earlier run's signature of another manifest
    apply_mtimes(site, all_mtimes, store_links=kept or ())
    missing = tuple(sorted(p.path for p in registry if p.path not in digests))
    return FinalizeResult(rules, renamed, headers_file, len(chosen), manifest_file,
                          nginx_include, purge, purge_files, all_mtimes, missing, unlisted,
                          signature_file if signing_key is not None else None, nginx_maps, choice.memento,
                          {p: digests[p] for p in read.scripts if p in digests}, read.scripts)
