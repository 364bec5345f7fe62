"""Published version numbers never change: the previous manifest's numbering wins over today's rules.

A new rule for "what is a version" (a new normaliser) may merge versions that
an older build published, or split one.  Either would move every later
version's URL.  So, when every commit the previous manifest records for a
policy is still on HEAD's first-parent history (no rewrite), the recorded
versions are kept exactly: a recorded version the current rules would merge
into its predecessor is kept apart (its commit and blob come back from git),
a commit the current rules would make a version inside the published range
stays part of the version before it, and only commits after the last
published version are numbered by the current rules.  After a rewrite the
history's own numbering stands and ``ledger`` judges the texts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

from policykit.history.chain import Chain
from policykit.history.versions import FileHistory, Version

#: Given (commit, recorded blob): the Version at that commit, or None when git cannot give it.
Restore = Callable[[str, str], "Version | None"]


def keep_published_numbers(
    fh: FileHistory, recorded: Sequence[Mapping[str, Any]], chain: Chain, restore: Restore
) -> tuple[FileHistory, list[str]]:
    """*fh* renumbered to match *recorded* (the previous manifest's versions), and what was kept apart."""
    recs = sorted((r for r in recorded if isinstance(r.get("commit"), str)), key=lambda r: r["number"])
    if not recs or [r["number"] for r in recs] != list(range(1, len(recs) + 1)):
        return fh, []
    if any(r["commit"] not in chain.position for r in recs):
        return fh, []  # rewritten: the ledger check judges it
    by_commit = {v.commit: v for v in fh.versions}
    kept: list[Version] = []
    notes: list[str] = []
    for r in recs:
        v = by_commit.get(r["commit"])
        if v is None or v.blob != r.get("blob"):
            v = restore(r["commit"], str(r.get("blob", "")))
            if v is None:
                return fh, []
            notes.append(f"version {r['number']} (commit {r['commit'][:12]}) kept apart as published; "
                         "the current rules would merge it into the version before it")
        kept.append(replace(v, number=r["number"]))
    last = chain.position[recs[-1]["commit"]]
    recorded_commits = {r["commit"] for r in recs}
    for v in fh.versions:
        pos = chain.position.get(v.commit, -1)
        if pos <= last and v.commit not in recorded_commits:
            owner = max((k for k in kept if chain.position[k.commit] < pos), key=lambda k: chain.position[k.commit],
                        default=None)
            notes.append(f"commit {v.commit[:12]} stays part of version {owner.number if owner else 1} as published; "
                         "the current rules would make it a version of its own")
    tail = [v for v in fh.versions if chain.position.get(v.commit, -1) > last]
    versions = kept + [replace(v, number=len(kept) + i + 1) for i, v in enumerate(tail)]
    if not notes and len(versions) == len(fh.versions) and all(a == b for a, b in zip(versions, fh.versions, strict=True)):
        return fh, []
    return replace(fh, versions=tuple(versions)), notes
