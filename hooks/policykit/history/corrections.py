"""The corrections file: what editors declare about already published versions.

A published version never changes silently (``ledger``), and history is never
rewritten to change what readers are told about it.  Instead one committed
file (``corrections_file``, default ``policy-corrections.yml``) holds every
declaration about a past version, one entry per version, keyed by policy,
language and version number::

    - policy: privacy        # the policy id (its URL name)
      language: en           # the language (locale); version numbers are per language
      version: 2             # the version number
      # A legal correction of that version's text (all three together):
      sha256: 3f5a...        # SHA-256 of the corrected normalised text (the failing build prints it)
      date: 2026-12-01       # the day the correction is published, shown to readers
      reason: The signed text says 30 days; version 2 was published with a typo.
      # The change note readers see for that version (history, banners, feeds, policy centre):
      note: Clearer wording of the retention period.
      # For a translation: the version of the original (source language) this version translates.
      translation_of: 3

An entry has ``policy``, ``language``, ``version`` and at least one of the
correction (``sha256``, ``date``, ``reason``), ``note`` or ``translation_of``.
The file is read like front matter (``policykit.source.safeyaml``: no
aliases, bounded nesting); every mistake names the file and line.

The build records each correction in ``manifest.json`` and shows it on that
version's page.  The hash ties the declaration to exactly one text: a later
change of the same version fails again.  A ``note`` wins over the version's
front matter ``change_note`` (it corrects it); ``translation_of`` wins over
front matter ``translation_of``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from policykit.history.ledger import Correction
from policykit.source import safeyaml

_SHA = re.compile(r"^[0-9a-f]{64}$")
_ID_KEYS = ("policy", "language", "version")
_CORRECTION_KEYS = ("sha256", "date", "reason")
_KEYS = _ID_KEYS + _CORRECTION_KEYS + ("note", "translation_of")

Key = tuple[str, str, int]  # (policy, language, version)


class CorrectionsError(ValueError):
    """The corrections file is wrong; the message names the file, the line and what to do."""


@dataclass(frozen=True)
class Declarations:
    """Everything the corrections file declares, each value with where it is declared ("file:line")."""

    corrections: dict[Key, tuple[Correction, str]] = field(default_factory=dict)
    notes: dict[Key, tuple[str, str]] = field(default_factory=dict)
    translation_of: dict[Key, tuple[int, str]] = field(default_factory=dict)

    def notes_of(self, policy: str, language: str) -> dict[int, str]:
        """Version number -> declared change note, for one policy in one language."""
        return {n: note for (p, lang, n), (note, _) in self.notes.items() if p == policy and lang == language}

    def translation_of_version(self, policy: str, language: str, number: int) -> int | None:
        found = self.translation_of.get((policy, language, number))
        return found[0] if found is not None else None


def _compose(file: Path, text: str) -> yaml.Node | None:
    try:
        return safeyaml.read(text, construct=False).node  # the one YAML reader: no aliases, bounded nesting
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        if isinstance(exc, safeyaml.RefusedYAML):
            raise CorrectionsError(f"{file}{where}: {problem}.") from exc
        raise CorrectionsError(f"{file}{where}: not valid YAML: {problem}. Put quotes around a value "
                               "containing ': ' or starting with a special character.") from exc


def _whole_number(where: str, key: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise CorrectionsError(f"{where}: {key} must be a whole number, found {value!r}.") from None
    if number < 1:
        raise CorrectionsError(f"{where}: {key} must be 1 or more, found {number}.")
    return number


def load_declarations(path: str | Path) -> Declarations:
    """Read and validate the corrections file; an empty Declarations when it does not exist."""
    file = Path(path)
    out = Declarations()
    if not file.is_file():
        return out
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorrectionsError(f"{file}: cannot read the corrections file: {exc}") from exc
    node = _compose(file, text)
    if node is None:
        return out
    if not isinstance(node, yaml.SequenceNode):
        raise CorrectionsError(f"{file}:{node.start_mark.line + 1}: must be a list of entries "
                               f"(each with {', '.join(_ID_KEYS)} and a correction, note or translation_of).")
    for item in node.value:
        where = f"{file}:{item.start_mark.line + 1}"
        if not isinstance(item, yaml.MappingNode):
            raise CorrectionsError(f"{where}: each entry is a mapping with {', '.join(_ID_KEYS)} "
                                   "and a correction (sha256, date, reason), a note or translation_of.")
        entry: dict[str, str] = {}
        for k, v in item.value:
            key_where = f"{file}:{k.start_mark.line + 1}"
            if not isinstance(k, yaml.ScalarNode):
                raise CorrectionsError(f"{key_where}: keys are plain words such as {', '.join(_KEYS)}.")
            if k.value in entry:
                raise CorrectionsError(f"{key_where}: '{k.value}' is given twice in this entry; keep one.")
            if not isinstance(v, yaml.ScalarNode):
                raise CorrectionsError(f"{key_where}: '{k.value}' must be a single value (text or a number), "
                                       "not a list or mapping.")
            entry[str(k.value)] = str(v.value)
        missing = [k for k in _ID_KEYS if not entry.get(k, "").strip()]
        unknown = sorted(set(entry) - set(_KEYS))
        if missing or unknown:
            raise CorrectionsError(f"{where}: " + "; ".join(
                ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unknown {', '.join(unknown)}"] if unknown else []))
                + f". An entry has {', '.join(_ID_KEYS)}, and a correction (sha256, date, reason), a note or translation_of.")
        key = (entry["policy"].strip(), entry["language"].strip(), _whole_number(where, "version", entry["version"]))
        given = [k for k in _CORRECTION_KEYS if k in entry]
        if not given and "note" not in entry and "translation_of" not in entry:
            raise CorrectionsError(f"{where}: this entry declares nothing about version {key[2]} of {key[0]} ({key[1]}): "
                                   "add a correction (sha256, date, reason), a note or translation_of.")
        if given:
            lacking = [k for k in _CORRECTION_KEYS if not entry.get(k, "").strip()]
            if lacking:
                raise CorrectionsError(f"{where}: a correction has sha256, date and reason; missing {', '.join(lacking)}.")
            sha = entry["sha256"].strip().lower()
            if not _SHA.match(sha):
                raise CorrectionsError(f"{where}: sha256 must be 64 hex digits (the failing build prints it).")
            try:
                day = date.fromisoformat(entry["date"].strip()).isoformat()
            except ValueError:
                raise CorrectionsError(f"{where}: date must be YYYY-MM-DD, found {entry['date']!r}.") from None
            if key in out.corrections:
                raise CorrectionsError(f"{where}: version {key[2]} of {key[0]} ({key[1]}) is already corrected at "
                                       f"{out.corrections[key][1]}; keep one entry per version (the newest text).")
            out.corrections[key] = (Correction(sha, day, entry["reason"].strip()), where)
        if "note" in entry:
            note = " ".join(entry["note"].split())
            if not note:
                raise CorrectionsError(f"{where}: note is empty; write what changed in version {key[2]}, or remove it.")
            if key in out.notes:
                raise CorrectionsError(f"{where}: version {key[2]} of {key[0]} ({key[1]}) already has a note at "
                                       f"{out.notes[key][1]}; keep one.")
            out.notes[key] = (note, where)
        if "translation_of" in entry:
            if key in out.translation_of:
                raise CorrectionsError(f"{where}: version {key[2]} of {key[0]} ({key[1]}) already says which version it "
                                       f"translates at {out.translation_of[key][1]}; keep one.")
            out.translation_of[key] = (_whole_number(where, "translation_of", entry["translation_of"]), where)
    return out


def load_corrections(path: str | Path) -> dict[Key, tuple[Correction, str]]:
    """(policy, language, version) -> (correction, "file:line"); {} when the file does not exist."""
    return load_declarations(path).corrections
