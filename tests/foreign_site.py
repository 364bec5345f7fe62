"""Policy repositories shaped like other organisations' (not this site's docs/), built with this project's tool.

``write_mkdocs_yml`` is the ONE place such a site's configuration is written: the
installed ``policy-site`` plugin after ``search``, as any site adopting the tool writes it
(nothing of this project is copied).
"""

from __future__ import annotations

from typing import Any

import yaml
from gitfixture import GitRepo


def write_mkdocs_yml(
    repo: GitRepo,
    *,
    site_name: str = "Acme Policies",
    language: str = "en",
    options: dict[str, Any] | None = None,
    extra_hooks: tuple[str, ...] = (),
    filename: str = "mkdocs.yml",
) -> None:
    """A one-language site at *repo* (docs in ``docs/``) using the policy tool with *options*."""
    config: dict[str, Any] = {
        "site_name": site_name,
        "site_url": "https://policies.example.com/",
        "theme": {"name": "material", "language": language, "font": False},
        # The source and default language come from theme.language (no i18n plugin).
        "plugins": ["search", {"policy-site": dict(options or {})} if options else "policy-site"],
    }
    if extra_hooks:
        config["hooks"] = list(extra_hooks)
    repo.write(filename, yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
