"""Translation status: is each translation of a policy as new as its source text?

A translation is *lagging* when the source's latest version is newer than the
translation's latest version.  When the translation says which version of the
original it translates (front matter ``translation_of: 3`` as last committed
for its latest version, or ``translation_of`` in the corrections file, which
wins), that decides: the source versions after it are the ones it lacks, and
dates do not matter (a typo fix in a stale translation leaves it stale).
Otherwise "newer" compares the instants of the two versions; when both were
committed in the same commit (source and translation updated together) the
translation is current, and so it is when the two instants are equal, since
history cannot tell which came first.
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
from policykit.source.text import FrontMatterError, parse_front_matter

SOURCE = "source"  # the text in the source language
CURRENT = "current"  # a translation as new as its source
LAGGING = "lagging"  # a translation older than the source's latest version
MISSING = "missing"  # no translation: the source is shown instead
UNPUBLISHED = "unpublished"  # the source or the translation has no published version yet (a draft)

LAG_MODES = ("info", "warn", "fail", "ignore")


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
    translation_of: int | None = None  # the source version the translation says it translates, when it says so
    newer: tuple[int, ...] = ()  # the source versions the translation lacks (LAGGING), oldest first

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


def declared_translation_of(version: Version) -> int | None:
    """Front matter ``translation_of`` as last committed for *version* (None when not given or unreadable)."""
    front_matter = version.later_front_matter[-1].front_matter if version.later_front_matter else version.front_matter
    try:
        value = parse_front_matter(front_matter.encode("utf-8")).get("translation_of")
    except FrontMatterError:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def compare(policy_id: str, locale: str, source: FileHistory | None, translation: FileHistory | None, *, source_locale: str,
            translation_of: int | None = None) -> TranslationStatus:
    """The status of *policy_id* in *locale*, given the source's and the translation's histories.

    *translation_of* (from the corrections file) wins over the translation's front matter ``translation_of``.
    """
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
    of = translation_of if translation_of is not None else declared_translation_of(tr_latest)
    if of is not None:
        newer = [v for v in source.versions if v.number > of]
        lagging = bool(newer)
    else:
        newer = [v for v in source.versions if _is_newer(v, tr_latest)]
        lagging = _is_newer(src_latest, tr_latest) and bool(newer)
    if not lagging:
        return replace(base, state=CURRENT, translation_date=tr_latest.date, translation_of=of)
    return replace(
        base, state=LAGGING, translation_date=tr_latest.date, first_newer=newer[0].number, newer_count=len(newer),
        translation_of=of, newer=tuple(v.number for v in newer),
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


def status_of(catalogue: Catalogue, history: History, policy_id: str, locale: str, source_locale: str,
              declared: Callable[[str, str, int], int | None] | None = None) -> TranslationStatus | None:
    """The status of one policy in one language; None when the policy has no source text.

    *declared* (policy, locale, version number) -> the corrections file's ``translation_of``.
    """
    paths = catalogue.by_policy.get(policy_id, {})
    src = paths.get(source_locale)
    if src is None:
        return None  # written in another language first: nothing to compare with
    tr = paths.get(locale)
    tr_history = history.get(tr) if tr is not None else None
    of = None
    if declared is not None and tr_history is not None and tr_history.latest is not None:
        of = declared(policy_id, locale, tr_history.latest.number)
    return compare(
        policy_id,
        locale,
        history.get(src),
        tr_history,
        source_locale=source_locale,
        translation_of=of,
    )


def site_report(catalogue: Catalogue, history: History, locales: Iterable[str], source_locale: str,
                declared: Callable[[str, str, int], int | None] | None = None) -> list[TranslationStatus]:
    """Every lagging or missing translation, by policy then language."""
    out = []
    for policy_id in sorted(catalogue.by_policy):
        for locale in locales:
            if locale == source_locale:
                continue
            st = status_of(catalogue, history, policy_id, locale, source_locale, declared)
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
                + (f"translates version {st.translation_of}; " if st.translation_of is not None else "")
                + f"first newer: version {st.first_newer})"
            )
        elif st.state == MISSING:
            lines.append(f"  - {st.policy_id} [{st.locale}]: missing, readers get {shown(st.source_src_path)} instead")
    return "\n".join(lines)


def status_text(st: TranslationStatus, labels: dict[str, str], locale: str, tz: str) -> str:
    """The status in the reader's words (labels of *locale*), e.g. "Out of date: the original changed on …"."""
    if st.state == LAGGING and st.source_date is not None:
        return labels["status_lagging"].format(date=display_date(st.source_date, locale, tz))
    return labels[f"status_{st.state}"]
