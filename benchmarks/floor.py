"""The floor: a vectorised pandas/numpy score of the same files, with no ledger at all.

It answers "how fast could this rule set be scored if nothing were explained?": every leaf
comparison of the rule set is compiled to a numpy operation over a column, criteria bands to
`np.select` (first match wins), points formulas to array arithmetic in binary floats. It is a
yardstick, not a scorer: it skips what does not vectorise simply, and says so in `SKIPPED`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring.language import expr, normal
from scoring.rulesets.compile import Compiled, CRatings
from scoring.rulesets.schema import InputSpec, Kind

SKIPPED = (
    "exact decimals (binary floats instead)",
    "the rating quota, title quotas and Vietnamese name tie-breaks (ranks by score, then id)",
    "review rounds and history values (read as 0)",
    "unit aggregates' member ids (values only)",
)
_TRUE = {"co", "x", "yes", "true", "1", "dung", "y", "v", "có", "đúng"}

Array = Any  # a numpy array (float64 with NaN for missing, bool, or object for text)


def read(folder: Path, compiled: Compiled) -> dict[Kind, pd.DataFrame]:
    """Each kind's CSV files as one frame of typed columns (pandas' C reader)."""
    frames: dict[Kind, list[pd.DataFrame]] = {"individual": [], "unit": []}
    for f in sorted(folder.glob("*.csv")):
        kind: Kind = "unit" if f.name.startswith("unit") else "individual"
        text = f.read_text(encoding="utf-8")
        frames[kind].append(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))
    return {k: _typed(pd.concat(v, ignore_index=True), compiled.kind(k).inputs)
            for k, v in frames.items()}


def _typed(df: pd.DataFrame, inputs: Mapping[str, InputSpec]) -> pd.DataFrame:
    out = {c: df[c] for c in df.columns if c not in inputs}
    for name, spec in inputs.items():
        raw = df[name] if name in df.columns else pd.Series([""] * len(df))
        if spec.default is not None:
            raw = raw.where(raw != "", str(spec.default))
        if spec.type in ("int", "number"):
            out[name] = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        elif spec.type == "bool":
            out[name] = raw.str.lower().isin(_TRUE).to_numpy(dtype=float)
        else:
            out[name] = raw.where(raw != "", None).to_numpy(dtype=object)
    return pd.DataFrame(out)


class _Columns:
    """Named columns of one kind (plus `unit.` columns joined for individuals)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.data: dict[str, Array] = {}

    def get(self, name: str) -> Array:
        if name not in self.data:  # history values and anything not given: 0
            return np.zeros(self.n)
        return self.data[name]


def _value(node: expr.Node, cols: _Columns) -> Array:
    if isinstance(node, expr.Lit):
        v = node.value
        if isinstance(v, bool):
            return np.full(cols.n, float(v))
        if isinstance(v, Decimal):
            return np.full(cols.n, float(v))
        return np.full(cols.n, v, dtype=object)
    if isinstance(node, expr.Name):
        return cols.get(node.name)
    if isinstance(node, expr.Bin):
        a, b = _value(node.left, cols), _value(node.right, cols)
        ops: dict[str, Callable[[Array, Array], Array]] = {
            "+": np.add, "-": np.subtract, "*": np.multiply,
            "/": lambda x, y: np.divide(x, np.where(y == 0, np.nan, y))}
        return ops[node.op](a, b)
    if isinstance(node, expr.Unary) and node.op == "-":
        return -_value(node.operand, cols)
    if isinstance(node, expr.Call) and node.func in ("min", "max", "abs"):
        args = [_value(a, cols) for a in node.args]
        if node.func == "abs":
            return np.abs(args[0])
        fold = np.fmin if node.func == "min" else np.fmax
        out = args[0]
        for a in args[1:]:
            out = np.where(np.isnan(out) | np.isnan(a), np.nan, fold(out, a))
        return out
    if isinstance(node, expr.IfExp) and not isinstance(node.body, expr.BoolOp | expr.Compare
                                                       | expr.In | expr.Unary):
        return np.where(_holds(normal.to_cond(node.test), cols), _value(node.body, cols),
                        _value(node.orelse, cols))
    return _holds(normal.to_cond(node), cols).astype(float)


def _holds(cond: normal.Cond, cols: _Columns) -> Array:
    if isinstance(cond, normal.NfTrue):
        return np.ones(cols.n, dtype=bool)
    if isinstance(cond, normal.NfFalse):
        return np.zeros(cols.n, dtype=bool)
    if isinstance(cond, normal.NfAnd | normal.NfOr):
        parts = [_holds(c, cols) for c in cond.items]
        reduce = np.logical_and.reduce if isinstance(cond, normal.NfAnd) else np.logical_or.reduce
        return reduce(parts)
    if isinstance(cond, normal.NfPresent):
        v = cols.get(cond.name)
        there = ~pd.isna(v)
        return there if cond.positive else ~there
    v = _value(cond.term, cols)
    c = cond.const
    if isinstance(c, str):
        return (v == c) if cond.op == "==" else ((v != c) & ~pd.isna(v))
    bound = float(c) if c is not None else np.nan
    ops = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
           ">": np.greater, ">=": np.greater_equal}
    with np.errstate(invalid="ignore"):
        return ops[cond.op](v, bound) & ~np.isnan(v)


def _rate(cr: CRatings, cols: _Columns) -> None:
    points = _value(cr.points, cols)
    cols.data["rating_points"] = points
    bands = [_holds(r.cond, cols) for r in cr.bands.rules]
    rating = np.select(bands, list(cr.band_ratings), default=None)
    given = cols.get(cr.field)
    final = np.where(pd.isna(rating), given, rating)
    overrides = [_holds(r.cond, cols) for r in cr.overrides.rules]
    if overrides:
        moved = np.select(overrides, [o.rating for o in cr.override_specs], default=None)
        final = np.where(pd.isna(moved), final, moved)
    cols.data[cr.field] = final.astype(object)


def score_kind(compiled: Compiled, kind: Kind, cols: _Columns, skipped: set[str]) -> None:
    """Ratings, computed fields, criteria, adjustments, score, gates, titles (no quotas)."""
    ck = compiled.kind(kind)
    if ck.ratings is not None:
        _rate(ck.ratings, cols)
    for name, node in ck.computed:
        cols.data[name] = _value(node, cols)
    total = np.zeros(cols.n)
    for c in ck.criteria:
        try:
            conds = [_holds(r.cond, cols) for r in c.group.rules]
            pts = [_value(r.points, cols) if r.points is not None else np.zeros(cols.n)
                   for r in c.group.rules]
        except NotImplementedError as e:
            skipped.add(f"{c.group.name} ({e})")
            cols.data[c.spec.id] = np.zeros(cols.n)
            continue
        raw = np.nan_to_num(np.select(conds, pts, default=0.0))
        got = np.clip(raw, 0, float(c.spec.max))
        cols.data[c.spec.id] = got
        total += got
    for adj, sign in [*((a, 1) for a in ck.bonus), *((a, -1) for a in ck.deductions)]:
        rule = adj.group.rules[0]
        amount = np.nan_to_num(_value(rule.points, cols)) if rule.points is not None else 0
        cap = float(adj.spec.max) if adj.spec.max is not None else np.inf
        total += sign * np.where(_holds(rule.cond, cols), np.clip(amount, 0, cap), 0)
    cols.data["score"] = total
    gates = {g.id: (_holds(g.group.rules[0].cond, cols), g.blocks) for g in ck.gates}
    for t in ck.titles:
        ok = np.logical_and.reduce([_holds(r.cond, cols) for r in t.group.rules]) \
            if t.group.rules else np.ones(cols.n, dtype=bool)
        for fired, blocks in gates.values():
            if t.spec.id in blocks:
                ok &= ~fired
        cols.data[t.spec.id] = ok.astype(float)


def _aggregate(compiled: Compiled, people: _Columns, unit_of: Array, units: _Columns,
               unit_ids: Array) -> None:
    codes = pd.Index(unit_ids).get_indexer(unit_of)
    n = len(unit_ids)
    members = np.bincount(codes, minlength=n).astype(float)
    for agg in compiled.kind("unit").aggregates:
        where = _holds(agg.where, people) if agg.where is not None else np.ones(people.n, bool)
        chosen = np.bincount(codes, weights=where, minlength=n)
        fn = agg.spec.fn
        if fn in ("count", "share", "all", "any"):
            yes = where & (_holds(normal.to_cond(agg.of), people) if agg.of is not None
                           else np.ones(people.n, bool))
            count = np.bincount(codes, weights=yes, minlength=n)
            value = {"count": count,
                     "share": np.divide(count, chosen, out=np.zeros(n), where=chosen > 0),
                     "all": (count == chosen).astype(float),
                     "any": (count > 0).astype(float)}[fn]
        else:
            assert agg.of is not None
            v = np.where(where, _value(agg.of, people), np.nan)
            s = pd.Series(v).groupby(codes)
            value = getattr(s, {"sum": "sum", "min": "min", "max": "max", "mean": "mean"}[fn])()
            value = value.reindex(range(n)).to_numpy(dtype=float)
            if fn == "sum":
                value = np.nan_to_num(value)
        units.data[agg.name] = value
    del members


def score(compiled: Compiled, frames: Mapping[Kind, pd.DataFrame]) -> dict[str, Any]:
    """Score both kinds; returns the arrays that matter and what was skipped."""
    skipped: set[str] = set()
    units_df, people_df = frames["unit"], frames["individual"]
    units = _Columns(len(units_df))
    units.data.update({c: units_df[c].to_numpy() for c in units_df.columns})
    people = _Columns(len(people_df))
    people.data.update({c: people_df[c].to_numpy() for c in people_df.columns})
    if compiled.kind("unit").ratings is not None:
        _rate(compiled.kind("unit").ratings, units)  # type: ignore[arg-type]
    unit_ids = units_df["id"].to_numpy()
    rows = pd.Index(unit_ids).get_indexer(people_df["unit_id"].to_numpy())
    for name, values in list(units.data.items()):
        people.data[f"unit.{name}"] = np.asarray(values)[rows]
    score_kind(compiled, "individual", people, skipped)
    _aggregate(compiled, people, people_df["unit_id"].to_numpy(), units, unit_ids)
    units.data.pop("rating_points", None)
    saved = units.data.get(compiled.kind("unit").ratings.field) \
        if compiled.kind("unit").ratings is not None else None
    score_kind(compiled, "unit", units, skipped)
    if saved is not None:
        units.data[compiled.kind("unit").ratings.field] = saved  # type: ignore[union-attr]
    rank = (pd.DataFrame({"g": people_df["unit_id"], "s": -people.data["score"],
                          "id": people_df["id"]})
            .sort_values(["g", "s", "id"]).groupby("g").cumcount() + 1)
    return {"people_score": people.data["score"], "unit_score": units.data["score"],
            "rank": rank.to_numpy(), "skipped": sorted(skipped)}
