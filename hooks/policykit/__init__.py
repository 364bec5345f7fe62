"""policykit: the engine-independent core of the policy site, and its MkDocs plugin.

Packages by job:

* ``history/``  git to versions: the repository, each policy's versions and dates, the published ledger;
* ``source/``   reading policy source files: front matter, its schema, safe YAML;
* ``diff/``     what changed between two versions;
* ``pages/``    the view models a theme renders: page stamp, history and version pages, feeds,
  translation notices, labels;
* ``deploy/``   what a built folder needs to be served: cache rules, header files, manifest,
  file mtimes, fingerprints, the atomic release swap;
* ``mkdocs/``   the ``policy-site`` MkDocs plugin: the only package that imports MkDocs.

``dates``, ``settings`` and ``generated`` are shared by all of them.
"""
