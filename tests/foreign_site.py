"""Policy repositories shaped like other organisations' (not this site's docs/), built with this project's tool.

``write_mkdocs_yml`` is the ONE place such a site's configuration is written: today it
lists this project's hook files and theme overrides by absolute path (nothing is copied);
when the tool is a plugin, only this function changes (``plugins: [search, policy-site]``).
"""

from __future__ import annotations

from typing import Any

import yaml
from gitfixture import PROJECT, GitRepo


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
    hooks = [str(PROJECT / "hooks" / name) for name in (
        "mkdocs_validate.py", "mkdocs_titles.py", "mkdocs_site.py", "mkdocs_translations.py",
        "mkdocs_archive.py", "mkdocs_feeds.py", "mkdocs_deploy.py",
    )]
    config = {
        "site_name": site_name,
        "site_url": "https://policies.example.com/",
        "theme": {"name": "material", "custom_dir": str(PROJECT / "overrides"), "language": language, "font": False},
        "plugins": ["search"],
        "hooks": [*hooks, *extra_hooks],
        # The tool's defaults are still this site's (zh-Hant); a foreign site names its language.
        "extra": {"policy_site": {"source_locale": language, "default_locale": language, **(options or {})}},
    }
    repo.write(filename, yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
