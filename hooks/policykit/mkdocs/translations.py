"""Translation status of policies.

* A translation older than its source text gets a notice (in the reader's
  language) with both dates and a link to what changed in the source since.
* A policy missing in a language is shown in the source language
  (mkdocs-static-i18n's ``fallback_to_default``) with a notice saying so.
* The build reports lagging and missing translations as a warning (so
  ``--strict`` fails), or stops, or stays quiet: ``extra.policy_site.translation_lag``.

The comparison is policykit.translations; the markup
overrides/partials/policy-notices.html, rendered under the stamp by mkdocs_site.
"""

from __future__ import annotations

import logging
import os

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from policykit.mkdocs import common
from policykit.pages import archive
from policykit.pages import translations
from policykit.dates import display_date, iso_instant

log = logging.getLogger("mkdocs.hooks.translations")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    catalogue = translations.Catalogue.from_refs(common.policy_of(config, f.src_path) for f in files.documentation_pages())
    common.state(config).catalogue = catalogue
    if common.is_first_language_build(config):
        _report(config, catalogue)
    return files


def _report(config: MkDocsConfig, catalogue: translations.Catalogue) -> None:
    settings = common.settings(config)
    locales = common.locales(config)
    if settings.translation_lag == "ignore" or len(locales) < 2:
        return
    statuses = translations.site_report(catalogue, common.history(config), locales, settings.source_locale)
    if not statuses:
        return
    text = translations.format_report(
        statuses,
        lambda d: iso_instant(d, settings.timezone),
        lambda p: os.path.relpath(os.path.join(config.docs_dir, p or "")),
    )
    where = config.config_file_path or "mkdocs.yml"
    if settings.translation_lag == "fail":
        raise PluginError(
            f"{where}: {len(statuses)} translation(s) are behind their source text or missing "
            f"(policy-site option translation_lag: fail):\n{text}"
        )
    log.warning(
        "%d translation(s) are behind their source text or missing. Update them, or set "
        "the policy-site option translation_lag in %s to 'ignore' (or 'fail'):\n%s",
        len(statuses), where, text,
    )


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    ref = page.meta.get("policy_ref")
    if ref is None:
        return html
    locale = common.current_locale(config)
    notices = page.meta.setdefault("policy_notices", [])
    if ref.locale != locale:  # no translation: mkdocs-static-i18n shows the source text here
        notices.append({
            "kind": "fallback",
            "language": common.language_name(config, locale),
            "original": common.language_name(config, ref.locale),
        })
        return html
    settings = common.settings(config)
    catalogue = common.state(config).catalogue
    if catalogue is None:
        return html
    st = translations.status_of(catalogue, common.history(config), ref.policy_id, locale, settings.source_locale)
    if st is None or not st.lagging:
        return html
    assert st.source_date is not None and st.translation_date is not None
    source_file = (getattr(page.file, "alternates", None) or {}).get(settings.source_locale)
    if source_file is None:
        return html
    history_url = archive.policy_base(source_file.url + "index.html") + "history/"
    tz = settings.timezone
    notices.append({
        "kind": "translation",
        "translated": display_date(st.translation_date, locale, tz),
        "translated_iso": iso_instant(st.translation_date, tz),
        "source": display_date(st.source_date, locale, tz),
        "source_iso": iso_instant(st.source_date, tz),
        "language": common.language_name(config, settings.source_locale),
        "changes_href": get_relative_url(history_url, page.url) + f"#v{st.first_newer}",
        "first_newer": st.first_newer,
    })
    return html
