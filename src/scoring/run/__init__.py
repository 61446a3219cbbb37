"""A run from files on disk: read, choose rules, score; and the write path of its outputs."""
