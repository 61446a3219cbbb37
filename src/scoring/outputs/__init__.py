"""Outputs: the terminal table, CSV, JSON, XLSX, the manifest, atomic writes, reports."""
