"""The package's one YAML reader, for untrusted text: no aliases, bounded nesting.

A YAML alias (``*name``) repeats the node its anchor (``&name``) names, so
about 1 KB of ``&a [*b, *b, ...]`` nested nine deep stands for billions of
values ("billion laughs").  PyYAML shares the repeated objects, but anything
that walks them (a check, ``repr``, a feed writer) expands them and runs out
of time or memory.  Front matter is a handful of ``key: value`` lines: it never
needs an alias, so every loader here refuses them, and refuses nesting deeper
than :data:`MAX_DEPTH` (PyYAML composes recursively: 1,000 ``[`` would end in
``RecursionError`` instead of an error naming the line).

Every refusal is a :class:`RefusedYAML`, a ``yaml.composer.ComposerError``
and so a ``yaml.YAMLError``, whose ``problem_mark`` points at the offending
line: callers report it like any other YAML mistake.  Every YAML read of the
package (live front matter, past versions, the ``effective`` check, the schema
check, ``corrections.yml``) goes through :func:`read`; callers choose what the
scalars become by the loader they pass (:class:`SafeLoader`: YAML types;
:class:`BaseLoader`: every scalar a string; or a subclass of either).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent, CollectionStartEvent

#: Deepest nesting of lists and mappings accepted (front matter needs two or three).
MAX_DEPTH = 20

ALIAS_PROBLEM = (
    "YAML aliases ('*name') are not allowed here (they can expand to billions of values); "
    "write the value out in full"
)


class RefusedYAML(ComposerError):
    """Valid YAML that front matter may not use: an alias, or nesting deeper than MAX_DEPTH."""


class _NoAliasComposer:
    """Mixin for a PyYAML loader: refuse alias events and deep nesting while composing."""

    _policy_depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[attr-defined]  # the loader's parser, mixed in after this class
        if isinstance(event, AliasEvent):
            raise RefusedYAML(None, None, f"{ALIAS_PROBLEM} (found '*{event.anchor}')",
                              event.start_mark)  # type: ignore[arg-type]  # types-PyYAML adds libyaml's Mark; pure-Python here
        nested = isinstance(event, CollectionStartEvent)
        if nested:
            if self._policy_depth >= MAX_DEPTH:
                raise RefusedYAML(
                    None, None, f"lists and mappings are nested more than {MAX_DEPTH} deep; front matter needs "
                    "plain 'key: value' lines", event.start_mark,
                )
            self._policy_depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            if nested:
                self._policy_depth -= 1


class SafeLoader(_NoAliasComposer, yaml.SafeLoader):
    """``yaml.SafeLoader`` without aliases and deep nesting."""


class BaseLoader(_NoAliasComposer, yaml.BaseLoader):
    """``yaml.BaseLoader`` (every scalar a string) without aliases and deep nesting."""


class Document(NamedTuple):
    """What :func:`read` found: the constructed value and the composed node (both None for an empty text)."""

    data: Any
    node: yaml.Node | None


def read(text: str, loader: type[SafeLoader] | type[BaseLoader] = SafeLoader, *, construct: bool = True) -> Document:
    """Read the single YAML document of untrusted *text* with *loader* (:class:`SafeLoader`, :class:`BaseLoader`
    or a subclass); aliases and deep nesting raise :class:`RefusedYAML`, other mistakes ``yaml.YAMLError``.

    The text is parsed once: ``node`` carries the line of every key (``start_mark``) for messages, ``data`` is
    what the loader constructs from it.  ``construct=False`` only composes (``data`` is None): for a caller
    that reads the nodes' text itself.
    """
    reader = loader(text)
    try:
        node = reader.get_single_node()
        data = reader.construct_document(node) if construct and node is not None else None
    finally:
        reader.dispose()
    return Document(data, node)


def load(text: str, loader: type[SafeLoader] | type[BaseLoader] = SafeLoader) -> Any:
    """``read(text, loader).data``: ``yaml.safe_load`` for untrusted text when *loader* is :class:`SafeLoader`."""
    return read(text, loader).data
