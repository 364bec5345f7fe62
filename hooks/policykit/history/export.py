"""Every policy's versions and dates as one JSON document (``policykit history --json``).

The shape is ``policykit/schemas/history.schema.json``.  Dates:

* ``published``: the version's commit date (committer by default, or author:
  ``date_source``), ISO 8601 with its UTC offset, as git recorded it;
* ``effective``: the front matter's ``effective`` date last committed for that
  version (``YYYY-MM-DD``), else null;
* ``in_force_from`` / ``in_force_to``: the instants of ``archive.version_entries``
  (a date starts at 00:00 in ``timezone``);
* ``in_force``: the number of the version in force at ``now`` (SOURCE_DATE_EPOCH
  when set, else HEAD's commit time: the same commit gives the same document).

``build_clock`` is the deploy clock of ``policykit.mtimes`` (strictly increasing
along HEAD's first-parent history), so ``policykit finalize --history`` stamps
files exactly as ``--docs`` would.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from typing import Any, Sequence

from policykit.pages import archive
from policykit.pages import effective
from policykit.history import gitrepo
from policykit.pages.catalog import policy_ref
from policykit.history.chain import read_chain
from policykit.history.versions import History, HistoryOptions, read_history
from policykit.dates import source_date_epoch
from policykit.deploy.mtimes import build_clock, to_epoch

FORMAT = "policykit-history"
VERSION = 1


def _iso(value: date | datetime | None) -> str | None:
    """ISO 8601: a date as ``YYYY-MM-DD``, an instant with its UTC offset."""
    return None if value is None else value.isoformat()


def history_document(
    docs_dir: str | os.PathLike[str],
    *,
    locales: Sequence[str],
    default_locale: str,
    exclude: Sequence[str] = ("index.md",),
    timezone_name: str = "UTC",
    options: HistoryOptions = HistoryOptions(),
) -> dict[str, Any]:
    """Read git history of *docs_dir* and describe every policy (see the module doc)."""
    hist = read_history(docs_dir, options)
    head_date = hist.head_date
    epoch = source_date_epoch()  # EpochError when malformed
    if epoch is not None:
        now = datetime.fromtimestamp(epoch, timezone.utc)
    else:
        now = head_date or datetime.now(timezone.utc).replace(microsecond=0)
    policies = []
    arrived: int | None = None
    for src, fh in sorted(hist.files.items()):
        ref = policy_ref(src, locales, default_locale, exclude)
        if ref is None:
            continue
        entries = archive.version_entries(fh, tz=timezone_name) if fh.versions else []
        for e in entries:
            if e.effective is not None and e.starts_at is not None and e.starts_at <= now:
                start = to_epoch(e.starts_at)
                arrived = start if arrived is None else max(arrived, start)
        current = effective.in_force_at(entries, now)
        policies.append({
            "src_path": src,
            "policy": ref.policy_id,
            "locale": ref.locale,
            "draft": fh.draft,
            "retired": None if fh.retired is None else {
                "commit": fh.retired.commit, "date": _iso(fh.retired.date), "subject": fh.retired.subject,
            },
            "in_force": current.number if current is not None else None,
            "versions": [_version(e) for e in entries],
        })
    return {
        "format": FORMAT,
        "version": VERSION,
        "head": hist.head,
        "head_date": _iso(head_date),
        "now": _iso(now),
        "build_clock": _clock(hist, arrived),
        "date_source": options.date_source,
        "timezone": timezone_name,
        "locales": list(locales),
        "default_locale": default_locale,
        "policies": policies,
    }


def _version(e: archive.VersionEntry) -> dict[str, Any]:
    v = e.version
    return {
        "number": e.number,
        "commit": v.commit,
        "published": _iso(v.date),
        "effective": _iso(e.effective),
        "in_force_from": _iso(e.starts_at),
        "in_force_to": _iso(e.ends_at),
        "superseded_by": e.superseded_by,
        "path": v.path,
        "src_path": v.src_path,
        "subject": v.subject,
        "change_note": e.change_note,
        "title": e.title,
    }


def _clock(hist: History, arrived: int | None) -> int | None:
    if hist.head is None or hist.root is None:
        return None
    chain = read_chain(gitrepo.open_work_tree(hist.docs_dir), hist.head)
    return build_clock(chain.times, arrived)
