"""diff: what changed between two versions -- HTML blocks, text segments, word diffs."""
