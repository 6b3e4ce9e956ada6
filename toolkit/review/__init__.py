"""Tools for reviewing contributions: diffs between versions, changed files, and spreadsheets."""
