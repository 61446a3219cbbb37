"""Generated submissions for a benchmark: CSV folders of any size for any rule set.

Values come from `tests/gen.py` (random values, half of them on the rules' own boundaries), so
the benchmark exercises the same edges as the cross-check tests. Rows are written as they are
drawn, never held in memory, so a 2,000,000-record folder costs the generator little memory.
Where a kind is rated from points, a share of records is rated on paper (points blank) and a
share by points only (rating blank), as in a real submission; both kinds of row validate.
Individuals are split into files of at most `ROWS_PER_FILE` rows, under the reader's limits
(`scoring.base.limits`: bytes per file, cells per table).
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import gen
from scoring.language import expr
from scoring.rulesets.compile import Compiled
from scoring.rulesets.schema import Kind

ROWS_PER_FILE = 250_000  # × ~26 columns: under the reader's 10,000,000 cells per table
CLUSTERS = ("Khối A", "Khối B", "Khối C")
IDENTITY = {"individual": ("id", "name", "unit_id"), "unit": ("id", "name", "cluster")}


def cell(value: expr.Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    return value


def rows(compiled: Compiled, kind: Kind, n: int, groups: list[str], rng: random.Random,
         edges: dict[str, set[Decimal]]) -> Iterator[list[str]]:
    """Rows of `kind` (identity columns, then the declared inputs), drawn one at a time."""
    inputs = compiled.kind(kind).inputs
    ratings = compiled.kind(kind).ratings
    points_names = expr.names(ratings.points) if ratings is not None else set()
    prefix, label = ("P", "Người") if kind == "individual" else ("U", "Đơn vị")
    width = 7 if kind == "individual" else 5
    for i in range(n):
        values = {name: gen.value(spec, name, rng, edges) for name, spec in inputs.items()}
        if ratings is not None:
            draw = rng.random()
            if draw < 0.3:  # rated on paper
                values.update({name: None for name in points_names if name in values})
            elif draw < 0.8:  # rated by points only
                values[ratings.field] = None
        group = groups[i % len(groups)] if kind == "individual" else rng.choice(groups)
        yield [f"{prefix}{i:0{width}d}", f"{label} {i}", group,
               *(cell(values[name]) for name in inputs)]


def write(compiled: Compiled, folder: Path, n_individuals: int, n_units: int,
          seed: int = 1) -> Path:
    """Write units.csv and individuals_NN.csv into `folder`; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    edges = gen.boundaries(compiled)
    unit_ids = [f"U{i:05d}" for i in range(n_units)]
    for kind, n, groups in (("unit", n_units, list(CLUSTERS)),
                            ("individual", n_individuals, unit_ids)):
        header = [*IDENTITY[kind], *compiled.kind(kind).inputs]
        stream = rows(compiled, kind, n, groups, rng, edges)
        parts = max(1, -(-n // ROWS_PER_FILE)) if kind == "individual" else 1
        for part in range(parts):
            name = "units.csv" if kind == "unit" else f"individuals_{part + 1:02d}.csv"
            count = min(ROWS_PER_FILE, n - part * ROWS_PER_FILE) if kind == "individual" else n
            with (folder / name).open("w", encoding="utf-8", newline="") as f:
                out = csv.writer(f, lineterminator="\n")
                out.writerow(header)
                for _ in range(count):
                    out.writerow(next(stream))
    return folder
