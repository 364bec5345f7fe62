"""Site settings for the policy tools, read from one mapping (the ``policy-site`` plugin's options in mkdocs.yml;
until the next release also ``extra.policy_site``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from difflib import get_close_matches
from typing import Any, Mapping

from policykit.dates import zone
from policykit.history.versions import HistoryOptions


class SettingsError(ValueError):
    """A setting is wrong; the message names it and says what is expected."""


@dataclass(frozen=True)
class Settings:
    """Every option, with its default.  Documented in README, "Configuration"."""

    source_locale: str = "en"  # the language policies are written in; others are translations (plugin: the site's default language)
    default_locale: str = "en"  # the language served at "/" (plugin: mkdocs-static-i18n's default language, else theme.language)
    timezone: str = "UTC"  # display timezone of dates
    date_source: str = "committer"  # "committer" (when published on the branch) or "author"
    ignore_revs_file: str | None = None  # default: .git-blame-ignore-revs when present
    fallback_to_build_date: bool = False  # stamp with the build date when git history is unavailable
    cache_dir: str = ".cache/policy-site"  # relative to the config file
    policy_exclude: tuple[str, ...] = ("index.md", "README.md", "LICENSE.md")  # names or paths (globs) that are not policies
    previous_manifest: str | None = None  # last deploy's manifest.json (path or URL), for the purge list
    signing_key: str | None = None  # SSH private key that signs manifest.json (relative to the config file); else $POLICY_SITE_SIGNING_KEY
    corrections_file: str = "policy-corrections.yml"  # declarations about published versions: legal corrections, change notes, translation_of (policykit.history.corrections)
    translation_lag: str = "info"  # lagging/missing translations: "info" (published with a notice, reported at INFO), "warn" (fails --strict), "fail" or "ignore"
    commit_subjects_as_notes: bool = False  # show a version's commit subject as its change note when it has none
    render_timeout: float = 20.0  # seconds Python-Markdown may take per page (live or past version)
    unknown_front_matter: str = "info"  # keys the tool does not know: "info" (kept, reported once) or "error"

    def history_options(self, cache_dir: str | None) -> HistoryOptions:
        return HistoryOptions(
            date_source=self.date_source,  # type: ignore[arg-type]
            ignore_revs_file=self.ignore_revs_file,
            fallback_to_build_date=self.fallback_to_build_date,
            cache_dir=cache_dir,
        )


_KEY = "extra.policy_site"


def parse_settings(raw: Mapping[str, Any] | None, *, where: str = "mkdocs.yml", key: str = _KEY) -> Settings:
    """Validate *raw* into Settings; unknown keys and bad values raise SettingsError naming ``<key>.<setting>``."""
    _KEY = key
    raw = dict(raw or {})
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            hint = get_close_matches(key, known, n=1)
            tip = f" Did you mean '{hint[0]}'?" if hint else f" Known settings: {', '.join(sorted(known))}."
            raise SettingsError(f"{where}: unknown setting '{_KEY}.{key}'.{tip}")
        values[key] = value
    for key in ("source_locale", "default_locale", "timezone", "date_source", "cache_dir", "corrections_file"):
        if key in values and not isinstance(values[key], str):
            raise SettingsError(f"{where}: '{_KEY}.{key}' must be a string, found {values[key]!r}.")
    for key in ("ignore_revs_file", "previous_manifest", "signing_key"):
        if values.get(key) is not None and not isinstance(values[key], str):
            raise SettingsError(f"{where}: '{_KEY}.{key}' must be a string, found {values[key]!r}.")
    if values.get("date_source", "committer") not in ("committer", "author"):
        raise SettingsError(f"{where}: '{_KEY}.date_source' must be 'committer' or 'author', found {values['date_source']!r}.")
    if values.get("translation_lag", "info") not in ("info", "warn", "fail", "ignore"):
        raise SettingsError(f"{where}: '{_KEY}.translation_lag' must be 'info', 'warn', 'fail' or 'ignore', found {values['translation_lag']!r}.")
    if values.get("unknown_front_matter", "info") not in ("info", "error"):
        raise SettingsError(f"{where}: '{_KEY}.unknown_front_matter' must be 'info' or 'error', found {values['unknown_front_matter']!r}.")
    for key in ("fallback_to_build_date", "commit_subjects_as_notes"):
        if key in values and not isinstance(values[key], bool):
            raise SettingsError(f"{where}: '{_KEY}.{key}' must be true or false.")
    rt = values.get("render_timeout", 20.0)
    if isinstance(rt, bool) or not isinstance(rt, (int, float)) or not 0 < rt <= 3600:
        raise SettingsError(f"{where}: '{_KEY}.render_timeout' must be a number of seconds above 0 (at most 3600), found {rt!r}.")
    if "policy_exclude" in values:
        pe = values["policy_exclude"]
        if not (isinstance(pe, list) and all(isinstance(x, str) for x in pe)):
            raise SettingsError(f"{where}: '{_KEY}.policy_exclude' must be a list of file names or paths (globs such as 'drafts/*').")
        values["policy_exclude"] = tuple(pe)
    try:
        zone(values.get("timezone", "UTC"))
    except ValueError as exc:
        raise SettingsError(f"{where}: '{_KEY}.timezone': {exc}") from exc
    return Settings(**values)
