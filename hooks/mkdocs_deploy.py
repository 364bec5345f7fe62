"""MkDocs hook: cache headers, nginx include, deploy manifest and purge list, once per site.

mkdocs-static-i18n builds every language inside the first language's
on_post_build (priority -100); this hook runs after it (-200), in the one
call where ``building`` is False, so the files it writes cover every
language.  All the work is policykit.deploy.finalize_site.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files

import mkdocs_common as common
from policykit.cache_rules import HeaderRuleError
from policykit.dates import build_time
from policykit.deploy import finalize_site
from policykit.fingerprint import FingerprintError, fingerprinted_name
from policykit.manifest import ManifestError
from policykit.mtimes import MtimeError

log = logging.getLogger("mkdocs.hooks.deploy")

OWN_ASSETS = ("assets/policy.css", "assets/policy.js")


def on_env(env: Any, config: MkDocsConfig, files: Files) -> Any:
    """Templates link the project's own CSS and JS by the fingerprinted name finalize_site gives them.

    Writing the final name at render time spares rewriting every page after
    the build; finalize_site still rewrites any reference it finds unchanged.
    """
    serving = common.STATE.command == "serve"
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
    return env


@event_priority(-200)
def on_post_build(config: MkDocsConfig) -> None:
    if not common.is_last_post_build(config):
        return
    if common.STATE.command == "serve":
        return  # the live preview serves files as they are; headers are for deployments
    settings = common.settings(config)
    hist = common.history(config)
    site = config.site_dir
    own = [a for a in OWN_ASSETS if os.path.exists(os.path.join(site, a))]
    source_date = hist.head_date or hist.fallback_date
    if source_date is None:  # no commit yet: every page is a draft, there is nothing to be reproducible with
        source_date = build_time()
    try:
        result = finalize_site(
            site,
            common.STATE.published,
            own_assets=own,
            source_date=source_date,
            previous_manifest=settings.previous_manifest,
        )
    except (HeaderRuleError, FingerprintError, ManifestError, MtimeError) as exc:
        raise PluginError(str(exc)) from exc
    log.info(
        "Wrote %s (%d rules), %s and %s",
        os.path.relpath(result.headers_file), result.headers_rule_count,
        os.path.relpath(result.manifest_file), os.path.relpath(result.nginx_include),
    )
    if result.purge.message:
        log.info("Purge: %s", result.purge.message)
