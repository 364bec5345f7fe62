"""Catch editors' mistakes before anything is built (the plugin's first handlers, see plugin.py).

* ``SOURCE_DATE_EPOCH`` is set from HEAD's commit time unless the caller set
  it, before MkDocs or any hook asks for "now" (reproducible builds).
* Every Markdown page of the working tree must be UTF-8 and have a valid
  front matter (policykit.frontmatter_schema); every problem of every file is
  reported at once, as one error naming file, line and key.
* A file under docs that is really outside the repository (a symlink to
  elsewhere) or inside a git submodule is refused: its text has no history
  here, and a symlink could publish any file of the build machine.
* Two files published at one URL but for case (``Privacy.md`` beside
  ``privacy.md``), or a file published where the build writes a file of its
  own (policykit.generated: ``_headers``, feeds, history and version pages),
  are refused, before MkDocs parses a page or writes a file.
* MkDocs' own link warnings get a line saying what to do.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from pathspec.gitignore import GitIgnoreSpec


from policykit.mkdocs import common
from policykit.pages import archive
from policykit import generated
from policykit.dates import EpochError, source_date_epoch
from policykit.source import foreign_front_matter, schema

_TEXT = (".md", ".markdown")
log = logging.getLogger("mkdocs.policykit.frontmatter")


def glob_escape(path: str) -> str:
    """*path* as a literal gitignore pattern (``exclude_docs``): wildcards and brackets escaped."""
    return re.sub(r"([*?\[\]\\!#])", r"\\\1", path)


@dataclass
class _Run:
    """This module's state of one build (on the plugin instance, see common.BuildState.slot)."""

    epoch_set_by_us: str | None = None
    epoch_saved: bool = False  # epoch_before holds what to put back
    epoch_before: str | None = None  # the caller's SOURCE_DATE_EPOCH


class _LinkHint(logging.Filter):
    """Appends what to do to MkDocs' broken-link and broken-anchor warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        if isinstance(msg, str) and msg.startswith("Doc file '") and "contains" in msg and "link" in msg and "Fix the link" not in msg:
            record.msg = msg + " Fix the link (the path is relative to this file, e.g. 'other.md#heading-id') or remove it."
        return True


_HINT = _LinkHint()



def on_config(config: MkDocsConfig) -> MkDocsConfig:
    logging.getLogger("mkdocs.structure.pages").addFilter(_HINT)  # a set: adding twice is harmless
    _source_date_epoch(config)
    _readme_beside_index(config)
    return config


def _readme_beside_index(config: MkDocsConfig) -> None:
    """A README.md beside an index.md is the repository's note, not a page: leave it out without MkDocs' warning.

    MkDocs itself drops it with a WARNING (so --strict fails on many real policy
    repositories); excluding it first gives the same site and an INFO line.
    """
    docs = config.docs_dir
    found = []
    for folder, dirs, names in os.walk(docs):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        lower = {n.lower(): n for n in names}
        if "readme.md" in lower and "index.md" in lower:
            rel = os.path.relpath(os.path.join(folder, lower["readme.md"]), docs).replace(os.sep, "/")
            found.append("/" + glob_escape(rel))
    if not found:
        return
    extra = GitIgnoreSpec.from_lines(found)
    config.exclude_docs = extra if config.exclude_docs is None else config.exclude_docs + extra
    common.info_once(config, "readme-beside-index", "Not published (a README.md beside an index.md): %s",
                     ", ".join(f.lstrip("/") for f in found))


def _source_date_epoch(config: MkDocsConfig) -> None:
    run = common.state(config).slot(_Run)
    if not run.epoch_saved:  # the first language build: what to put back when the build ends
        run.epoch_saved, run.epoch_before = True, os.environ.get("SOURCE_DATE_EPOCH")
    current = os.environ.get("SOURCE_DATE_EPOCH") or None  # empty counts as unset
    if current is not None and current != run.epoch_set_by_us:
        try:
            source_date_epoch()  # the one reader (policykit.dates): a mistyped pin is an error, never the clock
        except EpochError as exc:
            raise PluginError(str(exc)) from None
        return  # the caller's choice wins
    head = common.history(config).head_date
    if head is None:  # no commit yet (or fallback dates): nothing reproducible to pin
        if current is not None or "SOURCE_DATE_EPOCH" in os.environ:
            del os.environ["SOURCE_DATE_EPOCH"]
            run.epoch_set_by_us = None
        return
    value = str(int(head.timestamp()))
    os.environ["SOURCE_DATE_EPOCH"] = value
    run.epoch_set_by_us = value


def restore_epoch(state: common.BuildState) -> None:
    """Put back the caller's SOURCE_DATE_EPOCH once the build is over (or failed), so the next build in this
    process (``mkdocs serve``, another site) pins its own HEAD instead of taking this one's as the caller's choice."""
    run = state.slot(_Run)
    if not run.epoch_saved:
        return
    if run.epoch_before is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = run.epoch_before
    run.epoch_saved, run.epoch_before = False, None
    run.epoch_set_by_us = None


def _shown(path: str) -> str:
    return os.path.relpath(path)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    if not common.is_first_language_build(config):
        return files  # mkdocs-static-i18n builds each language again with the same files
    docs = os.path.abspath(config.docs_dir)
    tree_root = common.history(config).root
    root = os.path.realpath(tree_root) if tree_root is not None else os.path.realpath(docs)
    real_docs = os.path.realpath(docs)
    problems: list[str] = []
    submodules: dict[str, str | None] = {}
    reported: set[str] = set()
    unknown = common.settings(config).unknown_front_matter
    foreign: dict[str, list[foreign_front_matter.KeyUse]] = {}
    for f in sorted(files, key=lambda f: f.src_uri):
        src = f.abs_src_path
        if not src or not os.path.abspath(src).startswith(docs + os.sep):
            continue  # theme assets and generated files
        bad_name = schema.check_file_name(f.src_uri)
        if bad_name is not None:
            problems.append(
                f"{_shown(src)}: {bad_name}. Rename it (git mv) using letters, digits, spaces, '-', '_' or '.'."
            )
            continue
        real = os.path.realpath(src)
        if os.path.relpath(real, real_docs) != os.path.relpath(os.path.abspath(src), docs):
            where = "outside this repository" if os.path.commonpath([real, root]) != root else "elsewhere in the repository"
            problems.append(
                f"{_shown(src)}: is (or is inside) a symbolic link to a file {where}; links are not published "
                "(their text has no history here, and a link could publish any file of this machine). "
                "Copy the file into docs/ and commit it, or delete the link."
            )
            continue
        sub = _submodule_of(os.path.dirname(os.path.abspath(src)), docs, submodules)
        if sub is not None:
            if sub in reported:
                continue
            reported.add(sub)
            problems.append(
                f"{_shown(sub)}: is a git submodule; its text has no history in this "
                "repository. Put policies in this repository (git rm the submodule) or exclude it (exclude_docs)."
            )
            continue
        if not src.lower().endswith(_TEXT):
            continue
        try:
            with open(src, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            problems.append(f"{_shown(src)}: cannot be read: {exc.strerror}.")
            continue
        if len(raw) > schema.MAX_MARKDOWN_BYTES:
            problems.append(
                f"{_shown(src)}: is {len(raw) / 1048576:.1f} MB; Markdown pages may be at most "
                f"{schema.MAX_MARKDOWN_BYTES // 1048576} MB (larger ones take minutes to build). Split it into several pages."
            )
            continue
        try:
            fm = schema.check_source(raw, _shown(src), unknown=unknown)
        except schema.FrontMatterSchemaError as exc:
            problems.extend(str(exc).splitlines())
            continue
        for key in schema.unknown_keys(fm):
            foreign.setdefault(key, []).append(foreign_front_matter.KeyUse(_shown(src), fm.data[key], "/" + f.url))
    problems.extend(_collisions(files, config, docs))
    if problems:
        raise PluginError(
            f"{len(problems)} problem(s) in the pages; nothing was built. Fix them and build again:\n  "
            + "\n  ".join(problems)
        )
    for line in foreign_front_matter.report(foreign):  # once per build: on_files runs in the first language build only
        log.info(line)
    return files


def _collisions(files: Files, config: MkDocsConfig, docs: str) -> list[str]:
    """Docs files published at the same path but for case, or at a path the build generates itself."""
    plugin = common.i18n(config)
    locales = common.locales(config) if plugin is not None else []
    fallback = bool(getattr(getattr(plugin, "config", None), "fallback_to_default", True))
    roots = [common.locale_prefix(config, lang) for lang in locales] or [""]
    entries: list[tuple[str, str]] = []  # (site path, file as shown)
    policy_folders: set[str] = set()
    for f in files:
        src = f.abs_src_path
        if not src or not os.path.abspath(src).startswith(docs + os.sep):
            continue
        lang, _, inner = f.dest_uri.partition("/")
        if not (inner and lang in locales):
            lang, inner = "", f.dest_uri
        prefix = common.locale_prefix(config, lang) if lang else ""
        entries.append((prefix + inner, _shown(src)))
        if common.policy_of(config, f.src_uri) is not None:
            # with fallback_to_default, a policy missing in a language is published there from the original
            for p in (roots if lang and fallback else [prefix]):
                policy_folders.add(p + archive.policy_base(inner))
    for fh in common.history(config).retired:  # a deleted policy keeps its history and version pages
        ref = common.policy_of(config, fh.src_path)
        if ref is not None and fh.versions:
            policy_folders.add(archive.policy_base(common.retired_policy_dest(config, ref)))
    problems: list[str] = []
    by_case: dict[str, list[tuple[str, str]]] = {}
    for dest, shown in sorted(entries):
        by_case.setdefault(dest.casefold(), []).append((dest, shown))
    for group in by_case.values():
        if len(group) < 2:
            continue
        names = " and ".join(shown for _, shown in group)
        if len({dest for dest, _ in group}) == 1:
            problems.append(f"{names}: both would be published at {group[0][0]}. Keep one (git mv or git rm).")
        else:
            problems.append(
                f"{names}: names differ only in case (one URL on case-insensitive servers and CDNs). "
                "Rename one (git mv)."
            )
    published = dict(entries)
    for src, dest, what in generated.collisions(published, language_roots=roots, policy_folders=policy_folders):
        problems.append(
            f"{src}: would be published at {dest}, where the build writes {what}. Rename or move it (git mv)."
        )
    return problems


def _submodule_of(folder: str, docs: str, memo: dict[str, str | None]) -> str | None:
    """The submodule (a folder with a .git entry) below *docs* that holds *folder*, if any."""
    if folder in memo:
        return memo[folder]
    if folder == docs or not folder.startswith(docs + os.sep):
        found = None
    elif os.path.lexists(os.path.join(folder, ".git")):
        found = folder
    else:
        found = _submodule_of(os.path.dirname(folder), docs, memo)
    memo[folder] = found
    return found


def on_page_read_source(page: Page, config: MkDocsConfig) -> str | None:
    """Leading 'Key: value' lines of a file without '---' stay policy text (README, "Front matter").

    MkDocs would read them as MultiMarkdown metadata and drop them from the page
    (``Effective: 29 October 2025``, ``IMPORTANT: If you reside in India…``), so a
    sentence of the policy would vanish. A leading line break makes MkDocs see no
    metadata; it then strips that line break again, so the text is exactly the file's.
    Past versions (policykit.markdown_render) render the same text the same way.
    """
    src = page.file.abs_src_path
    if not src or not os.path.isfile(src):
        return None
    with open(src, encoding="utf-8-sig", errors="strict") as fh:
        text = fh.read()
    if text.startswith("---"):
        return None  # a YAML front matter block: MkDocs reads it as usual
    return "\n" + text
