"""Live preview: templates compiled once per ``mkdocs serve`` session, not once per rebuild and language.

MkDocs makes a new Jinja environment for every build (mkdocs-static-i18n one per
language), so every rebuild compiled the theme's templates again: about half of
a rebuild of this site.  Under ``serve`` the environment gets a bytecode cache
that lives on the plugin instance.  Jinja itself keys each entry by the
template's name and file and checks the SHA-1 of its source before using it,
so an edited template is compiled again; entries are kept apart per
environment setting that changes the compiled code (delimiters, extensions,
whitespace options).  A ``build`` never uses it.
"""

from __future__ import annotations

from typing import Any

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from mkdocs.config.defaults import MkDocsConfig

from policykit.mkdocs import common


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates in memory, by Jinja's key (name and file); Jinja checks the source's checksum."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.code.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


def _setting(env: Any) -> str:
    """What of *env* goes into its compiled code besides the template's own source."""
    return repr((
        sorted(env.extensions), env.block_start_string, env.block_end_string, env.variable_start_string,
        env.variable_end_string, env.comment_start_string, env.comment_end_string, env.line_statement_prefix,
        env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks, env.newline_sequence,
        env.keep_trailing_newline, env.optimized, env.autoescape if isinstance(env.autoescape, bool) else
        getattr(env.autoescape, "__qualname__", type(env.autoescape).__name__),
    ))


def on_env(env: Any, config: MkDocsConfig) -> Any:
    """Under ``mkdocs serve``: give *env* the session's bytecode cache (an environment that has one keeps it)."""
    if common.state(config).command != "serve" or getattr(env, "bytecode_cache", None) is not None:
        return env
    plugin = common.plugin(config)
    caches: dict[str, MemoryBytecodeCache] | None = getattr(plugin, "serve_templates", None)
    if caches is None:
        caches = plugin.serve_templates = {}
    env.bytecode_cache = caches.setdefault(_setting(env), MemoryBytecodeCache())
    return env
