"""The "last modified" stamp and the policy centre list.

Thin by design: dates come from policykit.history and policykit.stamp, the
markup from overrides/partials/policy-stamp.html and policy-list.html.
"""

from __future__ import annotations

import os
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from policykit.mkdocs import common
from policykit.pages import archive
from policykit.pages import effective
from policykit.deploy import published
from policykit.pages import translations
from policykit.source import stated_dates
from policykit.source.text import split_front_matter
from policykit.dates import build_time, display_date, iso_instant, local_date
from policykit.pages.feeds import policy_feed_path
from policykit.pages.labels import labels_for
from policykit.pages.titles import plain_title
from policykit.pages.stamp import make_stamp

POLICY_LIST_MARKER = "<!-- policy-list -->"


class _NoDate(str):
    """A draft's ``update_date``: false for the sitemap template (no <lastmod>), yet a date for
    MkDocs' ``max(update_date)`` of the sitemap.xml.gz header, which crashed on "" when every page was a draft."""

    def __bool__(self) -> bool:
        return False


NO_DATE = _NoDate("1970-01-01")


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    if common.is_first_language_build(config):
        common.new_build(config)
    common.settings(config)  # fail early on a bad setting
    common.history(config)  # read once; every later call and language reuses it
    common.declarations(config)  # the corrections file: fail early on a mistake in it
    return config


def on_nav(nav: Any, config: MkDocsConfig, files: Files) -> Any:
    """Drop the language folder from the navigation ("zh Hant" > pages becomes the pages).

    mkdocs-static-i18n removes that section only when its title equals the
    capitalized locale ("En"); MkDocs titles the folder ``zh-Hant`` as
    "zh Hant", so mixed-case locales keep a stray section.
    """
    plugin = common.i18n(config)
    if plugin is None:
        return nav

    def norm(text: str) -> str:
        return "".join(ch for ch in str(text).lower() if ch.isalnum())

    wanted = {norm(plugin.current_language), norm(getattr(plugin, "default_language", "") or "")}
    items = []
    for item in nav.items:
        if getattr(item, "is_section", False) and norm(item.title) in wanted:
            for child in item.children:
                child.parent = None
                items.append(child)
        else:
            items.append(item)
    nav.items = items
    return nav


def on_env(env: Any, config: MkDocsConfig, files: Files) -> Any:
    common.state(config).env = env
    env.globals.setdefault("policy_material_version", _material_version())  # policy-main.html's site_meta
    return env


def _material_version() -> str:
    try:
        import material  # type: ignore[import-untyped]  # no types

        return str(getattr(material, "__version__", ""))
    except ImportError:
        return ""


def _stamp(config: MkDocsConfig, page: Page):
    settings = common.settings(config)
    eff = _effective(config, page)
    return make_stamp(common.history(config), page.file.src_path, common.current_locale(config), settings.timezone, effective=eff)


def _shown_path(config: MkDocsConfig, page: Page) -> str:
    """The source file as the user can type it from here (docs_dir need not be "docs")."""
    return os.path.relpath(page.file.abs_src_path or os.path.join(config.docs_dir, page.file.src_path))


def _effective(config: MkDocsConfig, page: Page):
    """The page's front matter ``effective`` date (working tree), validated; None when not given."""
    data = b""
    if page.file.abs_src_path and os.path.isfile(page.file.abs_src_path):
        with open(page.file.abs_src_path, "rb") as fh:
            data = fh.read()
    try:
        return effective.effective_of_source(data, page.meta)
    except effective.EffectiveDateError as exc:
        raise PluginError(
            f"{_shown_path(config, page)}: front matter key '{effective.KEY}': {exc}. "
            f"Write a real date, e.g. '{effective.KEY}: 2025-01-31' or '{effective.KEY}: 31 January 2025'."
        ) from exc


def _upcoming_notice(config: MkDocsConfig, page: Page, locale: str) -> dict[str, Any] | None:
    """A notice when the latest version takes effect after the build's "now", linking the version in force.

    The build's "now" is SOURCE_DATE_EPOCH (pinned to HEAD's commit time), so
    the same commit builds the same page; the notice states both dates and
    policy.js hides it once the reader's clock reaches the effective date.
    """
    settings = common.settings(config)
    tz = settings.timezone
    entries = common.version_entries(config, common.history(config).get(page.file.src_path))
    up = effective.upcoming(entries, build_time(), tz)
    if up is None:
        return None
    labels = labels_for(locale)
    notice: dict[str, Any] = {
        "kind": "upcoming",
        "starts": display_date(up.starts, locale, tz),
        "starts_iso": up.starts.isoformat(),
        "until_iso": up.starts_iso,
        "number": up.upcoming.number,
    }
    if up.in_force is not None:
        target = archive.url_of(archive.version_path(page.file.dest_uri, up.in_force.number))
        notice.update(
            in_force_href=get_relative_url(target, page.url),
            in_force_label=labels["version_n"].format(number=up.in_force.number),
            in_force_range=effective.range_text(up.in_force, labels, locale, tz),
            in_force_number=up.in_force.number,
        )
    return notice


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    locale = common.current_locale(config)
    stamp = _stamp(config, page)
    page.meta["policy_stamp"] = stamp
    ref = common.policy_of(config, page.file.src_path)
    if ref is not None:
        page.meta["policy_ref"] = ref
    if stamp.draft:
        page.update_date = NO_DATE  # no <lastmod> for a draft (MkDocs would put the build time there)
        if common.state(config).command == "serve":
            pass  # shown as a draft on the page
        else:
            shown = _shown_path(config, page)
            common.warn_once(
                config,
                f"draft:{page.file.src_path}",
                "%s has uncommitted changes (or was never committed), so it has no 'last modified' date. "
                "Commit it before publishing: git add '%s' && git commit",
                shown,
                shown,
            )
    elif stamp.iso:
        page.meta["policy_modified"] = stamp.iso
        if ref is not None and not stamp.fallback:
            _check_stated_dates(config, page, stamp, locale)
        page.update_date = stamp.iso  # the sitemap's <lastmod>
        if ref is not None:
            upcoming = _upcoming_notice(config, page, locale)
            if upcoming is not None:
                page.meta.setdefault("policy_notices", []).append(upcoming)
    _register(config, page, stamp, ref, locale)
    return html


def _check_stated_dates(config: MkDocsConfig, page: Page, stamp: Any, locale: str) -> None:
    """A date the text states about itself that git's record contradicts: INFO once, and a note beside the stamp."""
    src = page.file.abs_src_path
    if not src or not os.path.isfile(src):
        return
    with open(src, "rb") as fh:
        data = fh.read()
    fm, body = split_front_matter(data)
    first_line = data[: len(data) - len(body)].count(b"\n") + 1
    tz = common.settings(config).timezone
    modified = local_date(stamp.instant, tz)
    found = stated_dates.disagreements(
        stated_dates.stated_dates(body.decode("utf-8", "replace"), first_line),
        modified=modified, in_force_from=stamp.effective or modified,
    )
    if not found:
        return
    labels = labels_for(locale)
    notes = []
    for d in found:
        key = "stated_modified_differs" if d.stated.kind == stated_dates.MODIFIED else "stated_effective_differs"
        notes.append(labels[key].format(written=d.stated.written, recorded=display_date(d.recorded, locale, tz)))
        what = "last changed on" if d.stated.kind == stated_dates.MODIFIED else "in force from"
        common.info_once(
            config,
            f"stated:{page.file.src_path}:{d.stated.line}",
            "%s, line %d: the text states '%s' (%s), but git's record shows the policy %s %s. The page shows "
            "both (a note beside the stamp). Correct the line if the record is right%s.",
            _shown_path(config, page), d.stated.line, d.stated.written, d.stated.date.isoformat(), what, d.recorded.isoformat(),
            "" if d.stated.kind == stated_dates.MODIFIED else f", or set 'effective: {d.stated.date.isoformat()}' in front matter if the text is",
        )
    page.meta["policy_stated"] = notes


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    locale = common.current_locale(config)
    labels = labels_for(locale)
    env = common.state(config).env
    html = page.content or ""
    stamp = page.meta.get("policy_stamp")
    # Only a policy is stamped ("last modified … version 3"); another page (the policy centre) shows no
    # stamp unless it is a draft, which the editor must see.
    if stamp is not None and (page.meta.get("policy_ref") is not None or stamp.draft):
        stamp_html = env.get_template("partials/policy-stamp.html").render(
            stamp=stamp, labels=labels, policy=page.meta.get("policy_ref"), archive=common.feature(config, "archive"),
            stated=page.meta.get("policy_stated") or (),
        )
        notices = page.meta.get("policy_notices")  # from this hook and mkdocs_translations.py
        if notices:
            stamp_html += env.get_template("partials/policy-notices.html").render(notices=notices, labels=labels)
        head, sep, rest = html.partition("</h1>")
        html = head + sep + stamp_html + rest if sep else stamp_html + html
    # Every page has been read by now, so the policy centre can list their titles.
    if POLICY_LIST_MARKER in html:
        html = html.replace(POLICY_LIST_MARKER, _policy_list(config, nav, locale, labels, page, context.get("base_url", "")), 1)
    page.content = html
    context["policy_labels"] = labels
    return context


def _policy_list(config: MkDocsConfig, nav: Any, locale: str, labels: dict[str, str], page_now: Page, context_base: str) -> str:
    settings = common.settings(config)
    hist = common.history(config)
    rows = []
    for page in sorted(nav.pages, key=lambda p: p.file.src_uri):
        ref = page.meta.get("policy_ref")
        if ref is None:
            continue
        fh = hist.get(page.file.src_uri)
        entries = common.version_entries(config, fh) if fh.versions else []
        up = effective.upcoming(entries, build_time(), settings.timezone)
        status = None
        if common.state(config).catalogue is not None and len(common.locales(config)) > 1:
            status = translations.status_of(common.state(config).catalogue, hist, ref.policy_id, locale, settings.source_locale,
                                            common.declarations(config).translation_of_version)
        rows.append(
            {
                "page": page,
                "title": plain_title(page.meta.get("title") or page.title or ref.policy_id),
                "stamp": make_stamp(hist, page.file.src_uri, locale, settings.timezone),
                "ref": ref,
                "note": common.note_shown(config, entries[-1], labels) if entries else None,
                "upcoming": _list_upcoming(up, labels, locale, settings.timezone),
                "status": status.state if status else None,
                "status_text": translations.status_text(status, labels, locale, settings.timezone) if status else None,
                "history_url": archive.url_of(archive.history_path(page.file.dest_uri)) if entries and common.feature(config, "archive") else None,
                "feed_url": policy_feed_path(page.file.dest_uri) if entries and common.feature(config, "feeds") else None,
            }
        )
    retired = []
    for fh in hist.retired:
        ref = common.policy_of(config, fh.src_path)
        if ref is None or ref.locale != locale or fh.retired is None:
            continue
        entries = archive.version_entries(fh, tz=settings.timezone)
        retired.append(
            {
                "title": entries[-1].title or ref.policy_id,
                "retired": display_date(fh.retired.date, locale, settings.timezone),
                "retired_iso": iso_instant(fh.retired.date, settings.timezone),
                "history_url": archive.url_of(archive.history_path(common.retired_policy_dest(config, ref))),
            }
        )
    return common.state(config).env.get_template("partials/policy-list.html").render(
        policies=rows, retired=retired, labels=labels, config=config, page=page_now, base_url=context_base
    )


def _list_upcoming(up: effective.Upcoming | None, labels: dict[str, str], locale: str, tz: str) -> dict[str, str] | None:
    """The policy centre's line for a latest version not yet in force (policy.js hides it from its effective date)."""
    if up is None:
        return None
    when = display_date(up.starts, locale, tz)
    if up.in_force is None:
        text = labels["list_upcoming_none"].format(number=up.upcoming.number, date=when)
    else:
        text = labels["list_upcoming"].format(number=up.upcoming.number, date=when, in_force=up.in_force.number)
    return {"text": text, "until_iso": up.starts_iso}


def _register(config: MkDocsConfig, page: Page, stamp, ref, locale: str) -> None:
    kind = published.POLICY if ref is not None else (published.INDEX if page.is_index else published.PAGE)
    common.state(config).published.add(
        published.PublishedPage(
            path=page.file.dest_uri,
            kind=kind,
            locale=locale,
            policy=ref.policy_id if ref else None,
            last_modified=stamp.instant,
        )
    )
