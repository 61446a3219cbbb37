"""The CSV output: one row per record, for spreadsheets and for scripts.

Two forms. By default the file is for people: headers are the rule set's labels, enum values
their labels ("Hoàn thành tốt nhiệm vụ", not `tot`), booleans `có`/`không`, titles by their
labels, ranking scopes named as a council names them (see `outputs.vocab`) and the reward
as `4.260.000 đ`. `scoring score --raw` writes the machine form: machine headers (`kind`, `id`,
the rule set's ids), codes, plain numbers and true/false, one column per name as before.

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

from scoring.base.rounding import safe_number
from scoring.evaluation.result import RecordResult, Result
from scoring.explanations.vocab import Vocab
from scoring.language.expr import Value
from scoring.language.show import format_number
from scoring.outputs.safe import safe_text
from scoring.rulesets.schema import Kind

__all__ = ["HUMAN_COLUMNS", "csv_cell", "machine_row", "render_csv", "section_names",
           "section_pairs"]

FIXED_COLUMNS = ("kind", "id", "name", "unit", "cluster", "score", "rank", "rank_scope",
                 "titles", "provisional", "rating", "reward")
# The same columns for people, as the XLSX "Điểm chi tiết" sheet names them.
HUMAN_COLUMNS = ("Loại", "Mã", "Tên", "Đơn vị", "Khối/cụm thi đua", "Điểm", "Hạng",
                 "Phạm vi xếp hạng", "Danh hiệu", "Tạm thời: còn thiếu điểm chấm", "Xếp loại",
                 "Tiền thưởng được chi")
KIND_WORDS: dict[Kind, str] = {"individual": "cá nhân", "unit": "đơn vị"}
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
    return [r.kind, r.id, r.name, r.parent if individual else None,
            None if individual else r.parent, r.score, Decimal(r.rank), r.rank_scope,
            ";".join(r.titles), ";".join(r.provisional),
            r.rating.final if r.rating else None, r.reward if r.rewards else None]


def machine_row(row: dict[str, str]) -> dict[str, str]:
    """A row of either CSV form under the machine names (`kind`, `id`, `score`…), its kind as
    `individual` or `unit`: what `verify` compares, whichever form was written."""
    names = dict(zip(HUMAN_COLUMNS, FIXED_COLUMNS, strict=True))
    kinds = {word: kind for kind, word in KIND_WORDS.items()}
    out = {names.get(k, k): v for k, v in row.items()}
    if "kind" in out:
        out["kind"] = kinds.get(out["kind"], out["kind"])
    return out


def _human_columns(columns: list[tuple[str, Section, str]], vocab: Vocab,
                   kind: Kind | None) -> list[str]:
    """The labels of the criterion, input and extra columns, each header once: a label that
    two columns share (a criterion and the input it reads) is told apart by a number."""
    used = set(HUMAN_COLUMNS)
    out = []
    for _header, section, name in columns:
        label = vocab.label(name, kind if section == "inputs" else None) \
            if section != "extra" else name
        header, n = label, 1
        while header in used:
            n += 1
            header = f"{label} ({n})"
        used.add(header)
        out.append(header)
    return out


def _human_fixed(r: RecordResult, vocab: Vocab) -> list[Value]:
    individual = r.kind == "individual"
    rating = r.rating
    return [KIND_WORDS[r.kind], r.id, r.name, vocab.unit(r.parent) if individual else None,
            None if individual else r.parent, r.score, Decimal(r.rank),
            vocab.scope(r.rank_scope, r.kind), vocab.title_list(r.titles),
            "; ".join(vocab.label(c) for c in r.provisional),
            None if rating is None or rating.final is None
            else vocab.value(r.kind, rating.field, rating.final),
            vocab.money(r.reward) if r.rewards else None]


def render_csv(result: Result, kind: Kind | None = None, vocab: Vocab | None = None,
               raw: bool = False) -> bytes:
    """Render one kind of record (or individuals then units when `kind` is None) as CSV bytes:
    for people (labels, có/không, money; `vocab`, default the result's own labels) or, `raw`,
    for scripts (codes and ids)."""
    if kind is None:
        records: Sequence[RecordResult] = (*result.individuals, *result.units)
    else:
        records = result.records(kind)
    columns = _columns(records)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if raw:
        writer.writerow([*FIXED_COLUMNS, *(safe_text(header) for header, _, _ in columns)])
        for r in records:
            by_section = {section: dict(section_pairs(r, section)) for section in SECTIONS}
            values = [*_fixed(r),
                      *(by_section[section].get(name) for _, section, name in columns)]
            writer.writerow([csv_cell(v) for v in values])
        return buffer.getvalue().encode("utf-8-sig")
    vocab = vocab or Vocab.of(result)
    writer.writerow([safe_text(h) for h in (*HUMAN_COLUMNS, *_human_columns(columns, vocab, kind))])
    for r in records:
        by_section = {section: dict(section_pairs(r, section)) for section in SECTIONS}
        values = [*_human_fixed(r, vocab),
                  *(vocab.show(r.kind, name, by_section[section].get(name))
                    if section == "inputs" else by_section[section].get(name)
                    for _, section, name in columns)]
        writer.writerow([csv_cell(v) for v in values])
    return buffer.getvalue().encode("utf-8-sig")
