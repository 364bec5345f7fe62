"""Translation status: is each translation of a policy as new as its source text?

A translation is *lagging* when the source's latest version is newer than the
translation's latest version.  "Newer" compares the instants of the two
versions; when both were committed in the same commit (source and
translation updated together) the translation is current, and so it is when
the two instants are equal, since history cannot tell which came first.
A policy with no file in a language is *missing* there (the site shows the
source text instead, see mkdocs-static-i18n's ``fallback_to_default``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterable

from policykit.pages.catalog import PolicyRef
from policykit.dates import display_date
from policykit.history.versions import FileHistory, History, Version

SOURCE = "source"  # the text in the source language
CURRENT = "current"  # a translation as new as its source
LAGGING = "lagging"  # a translation older than the source's latest version
MISSING = "missing"  # no translation: the source is shown instead
UNPUBLISHED = "unpublished"  # the source or the translation has no published version yet (a draft)

LAG_MODES = ("warn", "fail", "ignore")


@dataclass(frozen=True)
class TranslationStatus:
    """One policy in one language, compared with its source."""

    policy_id: str
    locale: str
    state: str  # SOURCE, CURRENT, LAGGING, MISSING or UNPUBLISHED
    source_src_path: str | None = None
    translation_src_path: str | None = None
    source_date: datetime | None = None  # the source's latest version
    translation_date: datetime | None = None  # the translation's latest version
    first_newer: int | None = None  # first source version newer than the translation (LAGGING)
    newer_count: int = 0  # how many source versions are newer than the translation

    @property
    def lagging(self) -> bool:
        return self.state == LAGGING

    @property
    def missing(self) -> bool:
        return self.state == MISSING


def _is_newer(source: Version, translation: Version) -> bool:
    """Whether *source* is a later version than *translation*."""
    if source.commit == translation.commit:
        return False
    return source.date > translation.date


def compare(policy_id: str, locale: str, source: FileHistory | None, translation: FileHistory | None, *, source_locale: str) -> TranslationStatus:
    """The status of *policy_id* in *locale*, given the source's and the translation's histories."""
    src_latest = source.latest if source is not None else None
    base = TranslationStatus(  # the state is set below
        policy_id=policy_id,
        locale=locale,
        state=UNPUBLISHED,
        source_src_path=source.src_path if source is not None else None,
        translation_src_path=translation.src_path if translation is not None else None,
        source_date=src_latest.date if src_latest else None,
    )
    if locale == source_locale:
        return replace(base, state=SOURCE, translation_date=base.source_date)
    if translation is None:
        return replace(base, state=MISSING)
    tr_latest = translation.latest
    if src_latest is None or tr_latest is None:
        return replace(base, state=UNPUBLISHED, translation_date=tr_latest.date if tr_latest else None)
    assert source is not None
    newer = [v for v in source.versions if _is_newer(v, tr_latest)]
    if not _is_newer(src_latest, tr_latest) or not newer:
        return replace(base, state=CURRENT, translation_date=tr_latest.date)
    return replace(
        base, state=LAGGING, translation_date=tr_latest.date, first_newer=newer[0].number, newer_count=len(newer)
    )


@dataclass(frozen=True)
class Catalogue:
    """Which policy exists in which language: policy id -> locale -> source path."""

    by_policy: dict[str, dict[str, str]]

    @classmethod
    def from_refs(cls, refs: Iterable[PolicyRef | None]) -> Catalogue:
        by_policy: dict[str, dict[str, str]] = {}
        for ref in refs:
            if ref is not None:
                by_policy.setdefault(ref.policy_id, {})[ref.locale] = ref.src_path
        return cls(by_policy)


def status_of(catalogue: Catalogue, history: History, policy_id: str, locale: str, source_locale: str) -> TranslationStatus | None:
    """The status of one policy in one language; None when the policy has no source text."""
    paths = catalogue.by_policy.get(policy_id, {})
    src = paths.get(source_locale)
    if src is None:
        return None  # written in another language first: nothing to compare with
    tr = paths.get(locale)
    return compare(
        policy_id,
        locale,
        history.get(src),
        history.get(tr) if tr is not None else None,
        source_locale=source_locale,
    )


def site_report(catalogue: Catalogue, history: History, locales: Iterable[str], source_locale: str) -> list[TranslationStatus]:
    """Every lagging or missing translation, by policy then language."""
    out = []
    for policy_id in sorted(catalogue.by_policy):
        for locale in locales:
            if locale == source_locale:
                continue
            st = status_of(catalogue, history, policy_id, locale, source_locale)
            if st is not None and st.state in (LAGGING, MISSING):
                out.append(st)
    return out


def format_report(
    statuses: Iterable[TranslationStatus],
    tz_iso: Callable[[datetime], str] | None = None,
    path_of: Callable[[str | None], str] | None = None,
) -> str:
    """A human-readable report, one line per translation, for the build log.

    *tz_iso* formats instants, *path_of* shows a docs-relative source path as the user can type it.
    """
    fmt = tz_iso or (lambda d: d.isoformat())
    shown = path_of or (lambda p: str(p))
    lines = []
    for st in statuses:
        if st.state == LAGGING:
            assert st.source_date is not None and st.translation_date is not None
            lines.append(
                f"  - {shown(st.translation_src_path)}: {st.newer_count} source version(s) newer than the translation "
                f"(translation {fmt(st.translation_date)}, source {shown(st.source_src_path)} {fmt(st.source_date)}; "
                f"first newer: version {st.first_newer})"
            )
        elif st.state == MISSING:
            lines.append(f"  - {st.policy_id} [{st.locale}]: missing, readers get {shown(st.source_src_path)} instead")
    return "\n".join(lines)


def status_text(st: TranslationStatus, labels: dict[str, str], locale: str, tz: str) -> str:
    """The status in the reader's words (labels of *locale*), e.g. "Out of date: the original changed on …"."""
    if st.state == LAGGING and st.source_date is not None:
        return labels["status_lagging"].format(date=display_date(st.source_date, locale, tz))
    return labels[f"status_{st.state}"]
