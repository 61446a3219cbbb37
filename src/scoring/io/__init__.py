"""Reading submissions from disk; the only place (with the CLI) that touches input files."""
