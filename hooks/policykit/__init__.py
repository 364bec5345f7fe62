"""policykit: the engine-independent core of the policy site.

Nothing in this package imports MkDocs. The MkDocs hook files in ``hooks/``
translate MkDocs events into calls on these modules, so the site can move to
another engine by rewriting only those hooks.
"""
