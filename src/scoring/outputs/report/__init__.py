"""The council's HTML report: one self-contained file (inline CSS and SVG, nothing fetched)."""

from scoring.outputs.report.html import criterion_groups, render_html

__all__ = ["criterion_groups", "render_html"]
