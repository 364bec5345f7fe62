"""mkdocs: the MkDocs plugin (policy-site) -- the only package of policykit that imports MkDocs."""
