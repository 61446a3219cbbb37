"""History: past years' results kept in a folder, and the values the rules read from it."""
