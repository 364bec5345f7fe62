"""Translation status of policies.

* A translation older than its source text gets a notice (in the reader's
  language) with both dates, a link to the source's diff of the first version
  it lacks (that version page's ``#changes``), one per version it lacks, and the
  history entry.  Its history page shows the same notice.
* A translation whose source has a version not yet in force shows the source's
  effective date (unless the translation has an upcoming version of its own).
* A policy missing in a language is shown in the source language
  (mkdocs-static-i18n's ``fallback_to_default``) with a notice saying so.
* The build reports lagging and missing translations at INFO (the default:
  the original is published alone, ``--strict`` passes), as a warning (so
  ``--strict`` fails), or stops, or stays quiet: option ``translation_lag``
  (``info``, ``warn``, ``fail``, ``ignore``).

The comparison is policykit.translations; the markup
overrides/partials/policy-notices.html, rendered under the stamp by mkdocs_site.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from policykit.mkdocs import common
from policykit.pages import archive
from policykit.pages import effective, translations
from policykit.pages.labels import labels_for
from policykit.dates import build_time, display_date, iso_instant

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
    statuses = translations.site_report(catalogue, common.history(config), locales, settings.source_locale,
                                        declared_translation_of(config))
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
    if settings.translation_lag == "info":
        log.info(
            "%d translation(s) are behind their source text or missing; they are published with a notice "
            "(policy-site option translation_lag: info; 'fail' stops the build instead):\n%s",
            len(statuses), text,
        )
        return
    log.warning(
        "%d translation(s) are behind their source text or missing. Update them, or set "
        "the policy-site option translation_lag in %s to 'info' or 'ignore' (or 'fail'):\n%s",
        len(statuses), where, text,
    )


def declared_translation_of(config: MkDocsConfig) -> Callable[[str, str, int], int | None]:
    """(policy, locale, version) -> the corrections file's ``translation_of`` for it."""
    return common.declarations(config).translation_of_version


def lag_notice(config: MkDocsConfig, policy_id: str, locale: str, source_folder: str, from_url: str) -> dict[str, Any] | None:
    """The lag notice of *policy_id* in *locale*, links relative to *from_url*; None when it does not lag.

    *source_folder* is the source policy's archive folder (``privacy/``).
    """
    settings = common.settings(config)
    catalogue = common.state(config).catalogue
    if catalogue is None:
        return None
    st = translations.status_of(catalogue, common.history(config), policy_id, locale, settings.source_locale,
                                declared_translation_of(config))
    if st is None or not st.lagging:
        return None
    assert st.source_date is not None and st.translation_date is not None
    labels = labels_for(locale)
    tz = settings.timezone

    def diff_href(number: int) -> str:
        return get_relative_url(source_folder + f"versions/{number}/", from_url) + "#changes"

    return {
        "kind": "translation",
        "translated": display_date(st.translation_date, locale, tz),
        "translated_iso": iso_instant(st.translation_date, tz),
        "source": display_date(st.source_date, locale, tz),
        "source_iso": iso_instant(st.source_date, tz),
        "language": common.language_name(config, settings.source_locale),
        "changes_href": diff_href(st.first_newer or 1),
        "history_href": get_relative_url(source_folder + "history/", from_url) + f"#v{st.first_newer}",
        "missing": [{"label": labels["version_n"].format(number=n), "href": diff_href(n)} for n in st.newer],
        "translation_of": st.translation_of,
        "first_newer": st.first_newer,
    }


def source_upcoming_notice(config: MkDocsConfig, policy_id: str, locale: str) -> dict[str, Any] | None:
    """The source's version not yet in force, for a translation's page; None when there is none."""
    settings = common.settings(config)
    catalogue = common.state(config).catalogue
    src = catalogue.by_policy.get(policy_id, {}).get(settings.source_locale) if catalogue is not None else None
    if src is None or locale == settings.source_locale:
        return None
    fh = common.history(config).get(src)
    if not fh.versions:
        return None
    up = effective.upcoming(common.version_entries(config, fh), build_time(), settings.timezone)
    if up is None:
        return None
    return {
        "kind": "source_upcoming",
        "starts": display_date(up.starts, locale, settings.timezone),
        "starts_iso": up.starts.isoformat(),
        "until_iso": up.starts_iso,
        "number": up.upcoming.number,
        "language": common.language_name(config, settings.source_locale),
    }


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
    if not any(n.get("kind") == "upcoming" for n in notices):
        upcoming = source_upcoming_notice(config, ref.policy_id, locale)
        if upcoming is not None:
            notices.append(upcoming)
    source_file = (getattr(page.file, "alternates", None) or {}).get(settings.source_locale)
    if source_file is None:
        return html
    notice = lag_notice(config, ref.policy_id, locale, archive.policy_base(source_file.url + "index.html"), page.url)
    if notice is not None:
        notices.append(notice)
    return html
