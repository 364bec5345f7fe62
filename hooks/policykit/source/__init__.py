"""source: reading policy source files -- front matter, its schema, safe YAML."""
