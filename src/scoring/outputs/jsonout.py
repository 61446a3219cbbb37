"""The JSON output: the whole result, ledger included, so a score can be audited and verified.

Format 2 (docs/json-format.md; `scoring.base.document` reads it back): the head (manifest,
rule set, rewards, warnings) indented as the manifest is, then four tables in pandas' "split"
orientation, one row per line: the individuals, the units, and the hits and decisions they
share, each of those written once and named in a record by its row number. Records share
their `Hit`s and `TitleDecision`s (`scorer._Shared`), so format 1, which wrote each record's
ledger inline, repeated most of its text: about 15 KB a person. Rows are encoded by the
standard library's C encoder (it serves only unindented JSON), the head by `dumps_indented`.

The tables come after the records so that a streaming writer can write records as they come
and the tables at the end (`scoring.streaming.stream`): rows are numbered by their text in
order of first use, walking the individuals then the units as written, so the numbers do not
depend on which objects were shared nor on which process wrote a record. The bytes are
identical across runs, machines and `--stream`; `ledger.to_json_data` stays the reference
for what a record holds (`read_results(render_json(r, m)) == to_json_data(r, m)`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import chain, repeat
from operator import itemgetter
from types import EllipsisType
from typing import Any

from scoring.base.document import DECISION_COLUMNS, FORMAT, HIT_COLUMNS
from scoring.evaluation.result import (
    HistoryValue,
    Hit,
    RatingDecision,
    RecordResult,
    Result,
    TitleDecision,
)
from scoring.explanations.ledger import (
    _aggregate,
    _decision,
    _hit,
    _rating,
    _unpaid,
    json_number,
    json_value,
    plain_json,
    rewards_data,
    tie_json,
    to_json_data,
)

__all__ = [
    "Merge", "Numbered", "Rows", "Shape", "columns", "dumps_indented", "head_pieces",
    "joined_row", "ledger_pieces", "merged_shape", "render_json", "render_json_v1", "reshaped",
    "row_separator", "shape_of", "table_end", "table_start",
]

# A record's fields in format 1's order, "kind" left out (the table says it), around the
# objects that may be spread over columns (`Shape`).
_HEAD = ("id", "name", "unit", "cluster", "source.file", "source.sheet", "source.row", "score",
         "rank", "rank_scope", "rank_of", "ties", "titles")
_SPREAD = ("points", "inputs", "computed")
_TAIL = ("aggregates", "hits", "decisions", "gates", "extra", "warnings", "provisional",
         "rating", "rewards", "reward", "rewards_not_paid", "history")

# For each of `_SPREAD`, the names every record of a table has, in order (the scorer gives
# every record of a kind the same ones): a column each, `points.<id>`; None when the records
# differ or have none, and each record's object is one column.
Shape = tuple[tuple[str, ...] | None, ...]
NO_SHAPE: Shape = (None,) * len(_SPREAD)

_MISSING = object()  # not looked up yet (a value looked up may be None)
_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": ")).encode


def render_json(result: Result, manifest: Mapping[str, object]) -> bytes:
    """Render the result as UTF-8 JSON, format 2 (readable Vietnamese, final newline)."""
    hits, decisions = Numbered(), Numbered()
    rows = Rows(hits, decisions)
    people, units = shape_of(result.individuals), shape_of(result.units)
    pieces = chain(
        head_pieces(result, manifest, result.warnings),
        _table("individuals", columns(people), (rows.text(r, people) for r in result.individuals)),
        _table("units", columns(units), (rows.text(r, units) for r in result.units)),
        ledger_pieces(hits, decisions))
    # Encoding piece by piece skips one copy of the whole text, which Vietnamese makes two
    # bytes a character in memory.
    return b"".join([piece.encode("utf-8") for piece in pieces])


def render_json_v1(result: Result, manifest: Mapping[str, object]) -> bytes:
    """Format 1, every record with its ledger inline: what `verify` compares a folder written
    before format 2 with (its manifest has no `json_format`)."""
    return (dumps_indented(to_json_data(result, manifest, {})) + "\n").encode("utf-8")


def head_pieces(result: Result, manifest: Mapping[str, object], warnings: Iterable[str],
                rewards: dict[str, Any] | EllipsisType | None = ...) -> Iterator[str]:
    """The document from its start up to the end of the warnings, with the warnings taken
    lazily from `warnings` (a batch of millions of people can carry more than are worth
    holding). Of the Result it reads only the header fields and, unless `rewards` is given,
    the reward budget, which walks every record: a streaming writer passes
    `rewards=rewards_data(result, budget)` with a budget it totalled itself."""
    data = {
        "format": FORMAT,
        "manifest": plain_json(manifest),
        "ruleset": {"id": result.ruleset, "year": result.year, "name": result.name,
                    "hash": result.hash},
        "rewards": rewards_data(result) if rewards is ... else rewards,
    }
    inner = _newline(1)
    yield "{" + "".join(f"{inner}{_key_text(k)}: {_text(v, 1)}," for k, v in data.items())
    yield inner + '"warnings": ['
    separator = _newline(2)
    for text in map(_encode_string, warnings):
        yield separator
        yield text
        separator = "," + _newline(2)
    yield "]" if separator == _newline(2) else _newline(1) + "]"


def table_start(name: str, names: Sequence[str]) -> str:
    """A table's text up to its first row: each row follows `row_separator(first)`."""
    return f',\n  {_encode_string(name)}: {{\n    "columns": {_encode(list(names))},\n    "data": ['


def row_separator(first: bool) -> str:
    return "\n      " if first else ",\n      "


def table_end(empty: bool) -> str:
    return "]\n  }" if empty else "\n    ]\n  }"


def _table(name: str, names: Sequence[str], rows: Iterable[str]) -> Iterator[str]:
    yield table_start(name, names)
    first = True
    for text in rows:
        yield row_separator(first)
        yield text
        first = False
    yield table_end(first)


def ledger_pieces(hits: Numbered, decisions: Numbered) -> Iterator[str]:
    """The hits and decisions tables and the document's end: written last, once every record
    has numbered what it uses."""
    yield from _table("hits", HIT_COLUMNS, hits.rows)
    yield from _table("decisions", DECISION_COLUMNS, decisions.rows)
    yield "\n}\n"


class Numbered:
    """The rows of the hits or decisions table, each text numbered on its first use."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}  # text → row number, in the table's order

    def number(self, text: str) -> int:
        n = self.rows.get(text)
        if n is None:
            n = self.rows[text] = len(self.rows)
        return n


def columns(shape: Shape) -> list[str]:
    """The columns of a table of records of this shape."""
    out = list(_HEAD)
    for field, names in zip(_SPREAD, shape, strict=True):
        out += [field] if names is None else [f"{field}.{n}" for n in names]
    return [*out, *_TAIL]


_first = itemgetter(0)


def _names(pairs: Sequence[tuple[str, Any]]) -> tuple[str, ...] | None:
    names = tuple(map(_first, pairs))
    # A repeated name is one entry of the record's object (format 1's dict): not spread.
    return names if names and len(set(names)) == len(names) else None


def shape_of(records: Iterable[RecordResult]) -> Shape:
    """The shape of a table of these records (`NO_SHAPE` for none)."""
    shape: list[tuple[str, ...] | None] | None = None
    for r in records:
        mine = (r.points, r.inputs, r.computed)
        if shape is None:
            shape = [_names(pairs) for pairs in mine]
            continue
        for j, pairs in enumerate(mine):
            names = shape[j]
            if names is not None and tuple(map(_first, pairs)) != names:
                shape[j] = None
    return NO_SHAPE if shape is None else tuple(shape)


def merged_shape(shapes: Iterable[Shape]) -> Shape:
    """The shape of a table whose records were written in parts, each of the given shape
    (a part without records gives none)."""
    found: list[tuple[str, ...] | None] | None = None
    for shape in shapes:
        if found is None:
            found = list(shape)
        else:
            found = [a if a == b else None for a, b in zip(found, shape, strict=True)]
    return NO_SHAPE if found is None else tuple(found)


class Rows:
    """Writes records as rows, numbering the hits and decisions they use in `hits` and
    `decisions` (shared by every `Rows` writing one document).

    A ledger object's row number is kept by the object's id: hits and decisions are shared by
    many records (`scorer._Shared`), and each one looked up is kept alive here so that its id
    is never reused while it is a key; so are a criterion's points, a rating decision, the
    reward tuples and a history value, few and shared (the last three kept as text). An
    input's (name, value) pair is shared only as far as the data repeats its values, so its
    value is written afresh (numbers are kept by value)."""

    def __init__(self, hits: Numbered, decisions: Numbered) -> None:
        self.hits, self.decisions = hits, decisions
        self._hits: dict[int, int] = {}  # keyed by id: see the class's doc
        self._decisions: dict[int, int] = {}
        self._points: dict[int, Any] = {}
        self._history: dict[int, str] = {}  # texts, as `_ratings` and `_rewards`
        self._ratings: dict[int, str] = {}
        self._rewards: dict[tuple[int, int], str] = {}
        self._numbers: dict[Decimal, Any] = {}  # by value: json_number depends only on it
        self._alive: list[object] = []

    def text(self, r: RecordResult, shape: Shape) -> str:
        """The record's row."""
        head, hits, decisions = self.cells(r, shape)
        head += (hits, decisions, *_own_tail(r))
        return f"{_encode(head)[:-1]}, {self._shared_tail(r)}]"

    def split(self, r: RecordResult, shape: Shape) -> tuple[str, list[int], list[int], str]:
        """The row in three: its text before the hits' numbers, the numbers of the hits and of
        the decisions, the text after them (`joined_row` puts them together)."""
        head, hits, decisions = self.cells(r, shape)
        own = _encode(_own_tail(r))
        return _encode(head)[:-1], hits, decisions, f"{own[1:-1]}, {self._shared_tail(r)}]"

    def cells(self, r: RecordResult, shape: Shape) -> tuple[list[Any], list[int], list[int]]:
        """The row's values before the hits, and the hits' and decisions' numbers."""
        individual = r.kind == "individual"
        o = r.origin
        number = self._number
        head: list[Any] = [
            r.id, r.name, r.parent if individual else None, None if individual else r.parent,
            o.file, o.sheet, o.row, number(r.score), r.rank, r.rank_scope, r.rank_of,
            [tie_json(t) for t in r.ties], list(r.titles)]
        points, inputs, computed = shape
        if points is None:
            head.append({k: number(d) for k, d in r.points})
        else:
            head += self._looked_up(self._points, r.points, self._point)
        for names, pairs in ((inputs, r.inputs), (computed, r.computed)):
            if names is None:
                head.append({k: json_value(v) for k, v in pairs})
            else:  # json_value, inline: a value that is not a number is written as it is
                head += [number(v) if type(v) is Decimal else v for _k, v in pairs]
        head.append([_aggregate(a) for a in r.aggregates])
        hits = self._looked_up(self._hits, r.hits, self._hit_number)
        decisions = self._looked_up(self._decisions, r.decisions, self._decision_number)
        return head, hits, decisions

    def _shared_tail(self, r: RecordResult) -> str:
        """The row's last cells' text, from the rating on, without the closing bracket. Each
        part is an object many records share (a rating decision, the reward tuples, history
        values), so its text is kept by the object's id and encoded once: this is most of a
        row's text (a history value names its function in full)."""
        rating = self._looked_up(self._ratings, (r.rating,), self._rating_text)[0]
        key = (id(r.rewards), id(r.not_paid))
        rewards = self._rewards.get(key)
        if rewards is None:
            rewards = self._rewards[key] = _encode(
                [{t: self._number(a) for t, a in r.rewards}, self._number(r.reward),
                 [_unpaid(u) for u in r.not_paid]])[1:-1]
            self._alive += (r.rewards, r.not_paid)
        history = ", ".join(self._looked_up(self._history, r.history, self._history_text))
        return f"{rating}, {rewards}, [{history}]"

    def _looked_up(self, cache: dict[int, Any], objects: Sequence[Any],
                   build: Callable[[Any], Any]) -> list[Any]:
        """What `build` gives for each object, kept by the object's id: most of a record is
        objects seen before, looked up here in one pass of C loops."""
        found = list(map(cache.get, map(id, objects), repeat(_MISSING)))
        if _MISSING in found:
            for j, obj in enumerate(objects):
                if found[j] is _MISSING:
                    found[j] = cache[id(obj)] = build(obj)
                    self._alive.append(obj)
        return found

    def _number(self, d: Decimal) -> Any:
        if type(d) is not Decimal:
            return json_number(d)
        try:
            found = self._numbers.get(d, _MISSING)
        except TypeError:  # a signalling NaN: let json_number say what is wrong
            return json_number(d)
        if found is _MISSING:
            found = self._numbers[d] = json_number(d)
        return found

    def _point(self, pair: tuple[str, Decimal]) -> Any:
        return self._number(pair[1])

    def _history_text(self, v: HistoryValue) -> str:
        return _encode({"name": v.name, "value": self._number(v.value), "years": list(v.years)})

    def _rating_text(self, d: RatingDecision | None) -> str:
        return _encode(_rating(d))

    def _hit_number(self, h: Hit) -> int:
        row = _hit(h)
        return self.hits.number(_encode([row[c] for c in HIT_COLUMNS]))

    def _decision_number(self, d: TitleDecision) -> int:
        row = _decision(d)
        return self.decisions.number(_encode([row[c] for c in DECISION_COLUMNS]))


def _own_tail(r: RecordResult) -> list[Any]:
    """The row's cells between the decisions' numbers and the shared tail (`Rows._shared_tail`):
    the record's own, encoded with the row."""
    return [list(r.gates), dict(r.extra), list(r.warnings), list(r.provisional)]


class Merge:
    """Rows written in parts (`Rows.split`), each part numbering its own hits and decisions
    and spreading its own shape, put into one document: its numbers are those of the texts
    in `hits` and `decisions`, numbered as the rows come, and its rows have `shape` (the
    `merged_shape` of the parts'). What `render_json` writes, when the rows come in its order.
    """

    def __init__(self, hits: Numbered, decisions: Numbered, shape: Shape) -> None:
        self.hits, self.decisions, self.shape = hits, decisions, shape
        self._parts: list[tuple[list[str], list[str], Shape]] = []
        self._maps: list[tuple[list[int], list[int]]] = []

    def part(self, hits: Sequence[str], decisions: Sequence[str], shape: Shape) -> int:
        """Add a part by its own hits and decisions tables (in its numbering) and its shape;
        returns the part's number for `row`."""
        self._parts.append((list(hits), list(decisions), shape))
        self._maps.append(([-1] * len(hits), [-1] * len(decisions)))
        return len(self._parts) - 1

    def row(self, part: int, before: str, hits: Sequence[int], decisions: Sequence[int],
            after: str) -> str:
        """The row a part gave in three (`Rows.split`), in the document's numbering and shape."""
        hit_texts, decision_texts, shape = self._parts[part]
        hit_map, decision_map = self._maps[part]
        if shape != self.shape:
            before = reshaped(before, shape, self.shape)
        return joined_row(before, _renumbered(hits, hit_map, hit_texts, self.hits),
                          _renumbered(decisions, decision_map, decision_texts, self.decisions),
                          after)


def _renumbered(numbers: Sequence[int], mapping: list[int], texts: list[str],
                numbered: Numbered) -> list[int]:
    out = []
    for n in numbers:
        found = mapping[n]
        if found < 0:
            found = mapping[n] = numbered.number(texts[n])
        out.append(found)
    return out


def joined_row(before: str, hits: Iterable[int], decisions: Iterable[int], after: str) -> str:
    """The row `Rows.split` gave in three, with the given numbers: `Rows.text`'s text."""
    return (f"{before}, [{', '.join(map(str, hits))}], [{', '.join(map(str, decisions))}], "
            f"{after}")


def reshaped(before: str, had: Shape, shape: Shape) -> str:
    """A row's text before its hits (`Rows.split`) written for a table of shape `had`, as a
    table of shape `shape` writes it: `shape` is `merged_shape` of `had` and others, so it
    spreads a subset of what `had` spreads. The text is parsed and encoded again, which gives
    the same text for every value the encoder wrote."""
    cells = json.loads(before + "]")
    out, at = cells[:len(_HEAD)], len(_HEAD)
    for names, wanted in zip(had, shape, strict=True):
        if names is None:
            if wanted is not None:
                raise ValueError(f"cannot spread a record's object over {wanted}")
            out.append(cells[at])
            at += 1
            continue
        values = cells[at:at + len(names)]
        at += len(names)
        if wanted == names:
            out += values
        else:
            out.append(dict(zip(names, values, strict=True)))
    out += cells[at:]
    return _encode(out)[:-1]


def _newline(level: int) -> str:
    return "\n" + "  " * level


def _key_text(k: object) -> str:
    """A dict key's text as `json.dumps` writes it (text as such, numbers etc. quoted)."""
    return _encode_string(k) if type(k) is str else json.dumps({k: 0})[1:-4]


def _text(data: Any, level: int) -> str:
    """`dumps_indented(data)` as it reads nested at depth `level` (the head's objects)."""
    text = dumps_indented(data)
    return text.replace("\n", _newline(level)) if level and "\n" in text else text


_encode_string = json.encoder.encode_basestring  # C-accelerated where available


def dumps_indented(obj: Any, indent: int = 2) -> str:
    """Exactly `json.dumps(obj, ensure_ascii=False, indent=indent, allow_nan=False)`, faster.

    The standard library encodes indented JSON in pure Python, one generator per container
    (its C encoder serves only `indent=None`); this writes the same bytes by appending pieces
    to one list. `tests/outputs/test_render.py` compares the two on the samples.
    """
    parts: list[str] = []
    append = parts.append
    newlines: dict[int, str] = {}

    def newline(level: int) -> str:
        text = newlines.get(level)
        if text is None:
            text = newlines[level] = "\n" + " " * (indent * level)
        return text

    def value(v: Any, level: int) -> None:
        t = type(v)
        if t is str:
            append(_encode_string(v))
        elif t is dict:
            if not v:
                append("{}")
                return
            inner, opening = newline(level + 1), "{"
            for k, item in v.items():
                append(opening + inner + _key_text(k) + ": ")
                opening = ","
                value(item, level + 1)
            append(newline(level) + "}")
        elif t is list or t is tuple:
            if not v:
                append("[]")
                return
            inner, opening = newline(level + 1), "["
            for item in v:
                append(opening + inner)
                opening = ","
                value(item, level + 1)
            append(newline(level) + "]")
        elif v is None:
            append("null")
        elif v is True:
            append("true")
        elif v is False:
            append("false")
        elif t is int:
            append(int.__repr__(v))
        elif t is float:
            if v != v or v in (float("inf"), float("-inf")):
                raise ValueError(f"Out of range float values are not JSON compliant: {v!r}")
            append(float.__repr__(v))
        else:  # a subclass or another type: the standard library's own rules and errors
            text = json.dumps(v, ensure_ascii=False, indent=indent, allow_nan=False)
            append(text.replace("\n", newline(level)))

    value(obj, 0)
    return "".join(parts)
