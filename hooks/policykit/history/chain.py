"""HEAD's first-parent chain: commit ids and committer times, oldest first (one ``git log``).

The build clock (``mtimes.build_clock``) and the published numbering
(``numbering``) both need it; it is read once per build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policykit.history.gitrepo import GitError, WorkTree


@dataclass(frozen=True)
class Chain:
    """Commits of HEAD's first-parent history, oldest first."""

    commits: tuple[str, ...] = ()
    times: tuple[int, ...] = ()  # committer times, epoch seconds
    position: dict[str, int] = field(default_factory=dict, compare=False)  # commit -> index

    @classmethod
    def of(cls, pairs: list[tuple[str, int]]) -> Chain:
        commits = tuple(c for c, _ in pairs)
        return cls(commits, tuple(t for _, t in pairs), {c: i for i, c in enumerate(commits)})


def read_chain(tree: WorkTree, head: str | None) -> Chain:
    """The first-parent chain ending at *head* (empty without a commit)."""
    if head is None:
        return Chain()
    raw = tree.log(["--first-parent", "--reverse", "--format=%H %ct", head])
    pairs = []
    for line in raw.decode("ascii", "replace").splitlines():
        oid, _, stamp = line.strip().partition(" ")
        if not oid:
            continue
        try:
            pairs.append((oid, int(stamp)))
        except ValueError as exc:
            raise GitError(f"unexpected git log output {line[:80]!r}") from exc
    return Chain.of(pairs)
