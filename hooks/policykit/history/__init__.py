"""history: from git to versions -- the repository, each policy's versions and dates, the published ledger."""
