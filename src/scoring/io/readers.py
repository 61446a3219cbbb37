"""Read submissions from disk into `RawTable`s: a folder of CSV files, XLSX workbooks or JSON.

This is the edge where bytes become text, so it owns every reading failure: undecidable or
legacy encodings, empty files, unbalanced quotes, truncated workbooks. Each becomes an
`InputError` naming the file (and sheet), never a traceback. Which kind of record a file holds
is decided by its name (`units*.csv`, `individuals*.csv`, or the Vietnamese `don_vi`, `ca_nhan`)
or a workbook's sheet names, because columns alone cannot tell a unit from a person reliably.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from scoring.errors import InputError, Problem
from scoring.records import RawTable
from scoring.ruleset import Kind
from scoring.text import LegacyEncoding, UndecidableEncoding, decode_text, fold

MAX_FILE_BYTES = 200_000_000
MAX_ROWS = 5_000_000
_KIND_WORDS: dict[str, Kind] = {
    "units": "unit", "unit": "unit", "don vi": "unit", "donvi": "unit", "tap the": "unit",
    "individuals": "individual", "individual": "individual", "ca nhan": "individual",
    "canhan": "individual", "members": "individual", "people": "individual",
}
META_FILE = "dataset.yaml"


@dataclass
class InputSet:
    """Everything read for one run: tables, the files with their SHA-256, the stated year."""

    tables: list[RawTable] = field(default_factory=list)
    files: list[tuple[str, str, int]] = field(default_factory=list)  # path, sha256, bytes
    year: int | None = None


def kind_of(name: str) -> Kind | None:
    f = fold(Path(name).stem)
    for word, kind in sorted(_KIND_WORDS.items(), key=lambda kv: -len(kv[0])):
        if f == word or f.startswith(word + " ") or f.startswith(word):
            return kind
    return None


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError.one(shown, f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
        return path.read_bytes()
    except OSError as e:
        raise InputError.one(shown, f"cannot read: {e.strerror}") from None


def read_inputs(paths: list[Path]) -> InputSet:
    """Read every path (folders expand to their CSV/XLSX/JSON files); all problems at once."""
    result = InputSet()
    problems: list[Problem] = []
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(x for x in p.iterdir()
                           if x.suffix.lower() in (".csv", ".xlsx", ".json") and x.is_file()
                           and not x.name.startswith((".", "~$")))
            if not found:
                problems.append(Problem(str(p), "no .csv, .xlsx or .json files in this folder"))
            files.extend(found)
            meta = p / META_FILE
            if meta.is_file():
                result.year = _meta_year(meta, problems)
        elif p.is_file():
            files.append(p)
        else:
            problems.append(Problem(str(p), "no such file or folder"))
    for f in files:
        shown = str(f)
        try:
            data = _read_bytes(f, shown)
            result.files.append((shown, hashlib.sha256(data).hexdigest(), len(data)))
            suffix = f.suffix.lower()
            if suffix == ".csv":
                result.tables.append(_csv_table(data, shown, f.name))
            elif suffix == ".xlsx":
                result.tables.extend(_xlsx_tables(data, shown))
            elif suffix == ".json":
                result.tables.extend(_json_tables(data, shown))
            else:
                problems.append(Problem(shown, "unsupported file type (use .csv, .xlsx, .json)"))
        except InputError as e:
            problems.extend(e.problems)
    if problems:
        raise InputError(problems)
    return result


def _meta_year(meta: Path, problems: list[Problem]) -> int | None:
    try:
        data = yaml.safe_load(meta.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        problems.append(Problem(str(meta), f"cannot read dataset metadata: {e}"))
        return None
    year = data.get("year") if isinstance(data, dict) else None
    if year is not None and not (isinstance(year, int) and 1990 <= year <= 2100):
        problems.append(Problem(str(meta), f"year: expected a year such as 2026, found {year!r}"))
        return None
    return year


def _table(kind: Kind, shown: str, header: list[Any], rows: list[tuple[object, ...]],
           sheet: str | None = None, first_row: int = 2) -> RawTable:
    if len(rows) > MAX_ROWS:
        raise InputError.one(shown, f"{len(rows)} rows; the limit is {MAX_ROWS}")
    if not any(h is not None and str(h).strip() for h in header):
        raise InputError.one(shown, "the file has no header row")
    data_rows = [r for r in rows if any(v is not None and str(v).strip() for v in r)]
    if not data_rows:
        where = f"{shown}, sheet {sheet}" if sheet else shown
        raise InputError.one(where, "the header has no rows under it (no records)")
    return RawTable(kind, shown, tuple("" if h is None else str(h) for h in header),
                    tuple(rows), sheet, first_row)


def _csv_table(data: bytes, shown: str, name: str) -> RawTable:
    kind = kind_of(name)
    if kind is None:
        raise InputError.one(shown, "cannot tell whether this file holds units or individuals: "
                                    "name it units*.csv or individuals*.csv")
    if not data.strip():
        raise InputError.one(shown, "the file is empty")
    try:
        text, _encoding = decode_text(data, shown)
    except UndecidableEncoding as e:
        raise InputError.one(shown, f"cannot decide the text encoding ({e.detail}); save it as "
                                    "UTF-8 (CSV UTF-8 in Excel)") from None
    except LegacyEncoding as e:
        raise InputError.one(shown, f"the text is typed in the legacy {e.encoding} encoding "
                                    f"(e.g. {e.sample!r}); convert it to Unicode (e.g. with "
                                    "Unikey's converter) and save as UTF-8") from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            skip_blank_lines=False, engine="python", on_bad_lines="error")
    except (pd.errors.ParserError, csv.Error) as e:
        raise InputError.one(shown, f"malformed CSV: {str(e).strip()} (check for an "
                                    "unbalanced quote)") from None
    except pd.errors.EmptyDataError:
        raise InputError.one(shown, "the file is empty") from None
    header = [None if str(c).startswith("Unnamed: ") else str(c) for c in frame.columns]
    rows = [tuple(r) for r in frame.itertuples(index=False, name=None)]
    return _table(kind, shown, header, rows)


def _xlsx_tables(data: bytes, shown: str) -> list[RawTable]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as e:
        raise InputError.one(shown, f"not a readable .xlsx workbook ({type(e).__name__}); it "
                                    "may be truncated or an old .xls: save it as .xlsx") from None
    tables: list[RawTable] = []
    problems: list[Problem] = []
    try:
        for ws in wb.worksheets:
            kind = kind_of(ws.title)
            if kind is None:
                continue
            rows: list[tuple[object, ...]] = [tuple(r) for r in ws.iter_rows(values_only=True)]
            if not rows:
                problems.append(Problem(f"{shown}, sheet {ws.title}", "the sheet is empty"))
                continue
            for r_index, row in enumerate(rows[1:], start=2):
                for c_index, v in enumerate(row):
                    if isinstance(v, str) and v.startswith("="):
                        problems.append(Problem(f"{shown}, sheet {ws.title}, row {r_index}, "
                                                f"column {c_index + 1}",
                                                f"formula {v[:40]!r}: formulas are not read; "
                                                "paste the values"))
            try:
                tables.append(_table(kind, shown, list(rows[0]), rows[1:], ws.title))
            except InputError as e:
                problems.extend(e.problems)
    finally:
        wb.close()
    if problems:
        raise InputError(problems)
    if not tables:
        raise InputError.one(shown, "no sheet named for units or individuals (e.g. 'Đơn vị', "
                                    "'Cá nhân', 'units', 'individuals')")
    return tables


def _json_tables(data: bytes, shown: str) -> list[RawTable]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError.one(shown, f"invalid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise InputError.one(shown, 'expected {"units": [...], "individuals": [...]}')
    tables = []
    for key, rows in doc.items():
        kind = kind_of(key)
        if kind is None:
            continue
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError.one(f"{shown}, {key}", "expected a list of objects")
        header: list[str] = []
        for r in rows:
            header.extend(k for k in r if k not in header)
        tables.append(_table(kind, f"{shown}#{key}", list(header),
                             [tuple(r.get(h) for h in header) for r in rows], first_row=1))
    if not tables:
        raise InputError.one(shown, 'no "units" or "individuals" list in this JSON file')
    return tables
