"""The CSV output: one row per record, for spreadsheets and for scripts.

Written for Excel as used in Vietnamese offices: UTF-8 with a byte order mark (without it Excel
reads the bytes as Windows-1252 and every diacritic breaks), CRLF line endings, and every text
cell through `safe_text` so that a submitted name cannot run as a formula. Numbers are written
as plain decimals and never prefixed: a deduction of -5 must stay a number a council can sum.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from scoring.evaluation.result import RecordResult, Result
from scoring.language.expr import Value, format_number
from scoring.outputs.safe import safe_number, safe_text
from scoring.rulesets.ruleset import Kind

__all__ = ["csv_cell", "render_csv", "section_names", "section_pairs"]

FIXED_COLUMNS = ("kind", "id", "name", "unit", "cluster", "score", "rank", "rank_scope",
                 "titles", "provisional", "rating", "reward")
Section = Literal["points", "inputs", "extra"]
SECTIONS: tuple[Section, ...] = ("points", "inputs", "extra")


def csv_cell(value: Value) -> str:
    """Return the CSV text of one value: numbers plain, text neutralised, missing empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(safe_number(value))
    return safe_text(value)


def section_pairs(r: RecordResult, section: Section) -> tuple[tuple[str, Value], ...]:
    """The (name, value) pairs of a record's criterion points, inputs or unknown columns."""
    if section == "points":
        return r.points
    if section == "inputs":
        return r.inputs
    return r.extra


def section_names(records: Sequence[RecordResult], section: Section) -> list[str]:
    """Names seen in one section, in first-seen order (the rule set's declared order)."""
    seen: dict[str, None] = {}
    for r in records:
        seen.update((name, None) for name, _ in section_pairs(r, section))
    return list(seen)


def _columns(records: Sequence[RecordResult]) -> list[tuple[str, Section, str]]:
    """(header, section, name) of the criterion, input and extra columns.

    An unknown column is carried through under its own name, so a submission with a column
    called "score" must not produce two columns of that name: the later one becomes
    "extra:score".
    """
    used = set(FIXED_COLUMNS)
    out: list[tuple[str, Section, str]] = []
    for section in SECTIONS:
        for name in section_names(records, section):
            header = name if name not in used else f"{section}:{name}"
            used.add(header)
            out.append((header, section, name))
    return out


def _fixed(r: RecordResult) -> list[Value]:
    individual = r.kind == "individual"
    return [r.kind, r.id, r.name, r.group if individual else None,
            None if individual else r.group, r.score, Decimal(r.rank), r.rank_scope,
            ";".join(r.titles), ";".join(r.provisional),
            r.rating.final if r.rating else None, r.reward if r.rewards else None]


def render_csv(result: Result, kind: Kind | None = None) -> bytes:
    """Render one kind of record (or individuals then units when `kind` is None) as CSV bytes."""
    if kind is None:
        records: Sequence[RecordResult] = (*result.individuals, *result.units)
    else:
        records = result.records(kind)
    columns = _columns(records)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*FIXED_COLUMNS, *(safe_text(header) for header, _, _ in columns)])
    for r in records:
        by_section = {section: dict(section_pairs(r, section)) for section in SECTIONS}
        values = [*_fixed(r), *(by_section[section].get(name) for _, section, name in columns)]
        writer.writerow([csv_cell(v) for v in values])
    return buffer.getvalue().encode("utf-8-sig")
