"""deploy: what a built folder needs to be served -- cache rules, header files, manifest, file mtimes, fingerprints, release swap."""
