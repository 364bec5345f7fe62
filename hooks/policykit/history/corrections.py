"""The corrections file: declared legal corrections of already published versions.

A published version's text never changes silently (``ledger``).  When a past
version must be corrected (the text published was not the one adopted), the
history is rewritten to carry the corrected text and the correction is
declared here, one entry per corrected version::

    - policy: privacy        # the policy id (its URL name)
      language: en           # the language (locale)
      version: 2             # the version number
      sha256: 3f5a...        # SHA-256 of the corrected normalised text (the failing build prints it)
      date: 2026-12-01       # the day the correction is published, shown to readers
      reason: The signed text says 30 days; version 2 was published with a typo.

The build records each correction in ``manifest.json`` and shows it on that
version's page.  The hash ties the declaration to exactly one text: a later
change of the same version fails again.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml

from policykit.history.ledger import Correction
from policykit.source import safeyaml

_SHA = re.compile(r"^[0-9a-f]{64}$")
_KEYS = ("policy", "language", "version", "sha256", "date", "reason")


class CorrectionsError(ValueError):
    """The corrections file is wrong; the message names the file, the line and what to do."""


def load_corrections(path: str | Path) -> dict[tuple[str, str, int], tuple[Correction, str]]:
    """(policy, language, version) -> (correction, "file:line"); {} when the file does not exist."""
    file = Path(path)
    if not file.is_file():
        return {}
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorrectionsError(f"{file}: cannot read the corrections file: {exc}") from exc
    try:
        node = safeyaml.read(text, construct=False).node  # the nodes carry the lines; their text is read below
    except safeyaml.RefusedYAML as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 1
        raise CorrectionsError(f"{file}:{line}: {exc.problem}.") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise CorrectionsError(f"{file}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if node is None:
        return {}
    if not isinstance(node, yaml.SequenceNode):
        raise CorrectionsError(f"{file}:{node.start_mark.line + 1}: must be a list of entries "
                               f"(each with {', '.join(_KEYS)}).")
    out: dict[tuple[str, str, int], tuple[Correction, str]] = {}
    for item in node.value:
        where = f"{file}:{item.start_mark.line + 1}"
        if not isinstance(item, yaml.MappingNode):
            raise CorrectionsError(f"{where}: each entry is a mapping with {', '.join(_KEYS)}.")
        entry = {k.value: v.value for k, v in item.value if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)}
        missing = [k for k in _KEYS if not str(entry.get(k, "")).strip()]
        unknown = sorted(set(entry) - set(_KEYS))
        if missing or unknown:
            raise CorrectionsError(f"{where}: " + "; ".join(
                ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unknown {', '.join(unknown)}"] if unknown else []))
                + f". An entry has exactly {', '.join(_KEYS)}.")
        try:
            number = int(entry["version"])
        except ValueError:
            raise CorrectionsError(f"{where}: version must be a whole number, found {entry['version']!r}.") from None
        sha = entry["sha256"].strip().lower()
        if not _SHA.match(sha):
            raise CorrectionsError(f"{where}: sha256 must be 64 hex digits (the failing build prints it).")
        try:
            day = date.fromisoformat(entry["date"].strip()).isoformat()
        except ValueError:
            raise CorrectionsError(f"{where}: date must be YYYY-MM-DD, found {entry['date']!r}.") from None
        key = (entry["policy"].strip(), entry["language"].strip(), number)
        if key in out:
            raise CorrectionsError(f"{where}: version {number} of {key[0]} ({key[1]}) is already corrected at "
                                   f"{out[key][1]}; keep one entry per version (the newest text).")
        out[key] = (Correction(sha, day, entry["reason"].strip()), where)
    return out
