"""Inputs: files discovered and read (CSV, XLSX, XLS, JSON), validated into records."""
