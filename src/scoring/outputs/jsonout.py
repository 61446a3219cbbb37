"""The JSON output: the whole result, ledger included, so a score can be audited and verified.

The data is `scoring.explanations.ledger`'s (`to_json_data`); this module writes it as bytes,
UTF-8 with a two-space indent, identical across runs and machines, and fast: most of a record
is ledger shared with other records, so its text is written once and reused (`record_text`),
and a streaming writer can emit the document piece by piece (`document_pieces`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from types import EllipsisType
from typing import Any

from scoring.evaluation.result import (
    AggregateValue,
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
    _pairs,
    _quota,
    _rating,
    _record,
    _rounds,
    _unpaid,
    json_number,
    json_value,
    plain_json,
    rewards_data,
    tie_json,
)
from scoring.language.expr import Value

__all__ = [
    "document_head", "document_pieces", "dumps_indented", "head_pieces", "record_text",
    "render_json",
]


def render_json(result: Result, manifest: Mapping[str, object]) -> bytes:
    """Render the result as UTF-8 JSON (readable Vietnamese, two-space indent, final newline).

    The same bytes as `dumps_indented(to_json_data(result, manifest)) + "\\n"`, assembled from
    `document_head`, `record_text` and `document_pieces` (the pieces a streaming writer uses)."""
    cache: dict[int, Any] = {}
    pieces = document_pieces(
        document_head(result, manifest),
        (record_text(r, 2, cache) for r in result.individuals),
        (record_text(r, 2, cache) for r in result.units),
    )
    # Encoding piece by piece skips one copy of the whole text, which Vietnamese makes two
    # bytes a character in memory.
    return b"".join([piece.encode("utf-8") for piece in pieces])


def document_head(result: Result, manifest: Mapping[str, object],
                  rewards: dict[str, Any] | EllipsisType | None = ...) -> str:
    """The document's text from its start up to and including `"individuals": [`.

    Reads only the Result's header fields (ruleset, year, name, hash, warnings and, unless
    `rewards` is given, the reward budget, which walks every record): a streaming writer
    passes `rewards=rewards_data(result, budget)` with a budget it totalled itself. The head
    never depends on the records, so `document_pieces` can follow it with them one by one."""
    return "".join(head_pieces(result, manifest, result.warnings, rewards))


def head_pieces(result: Result, manifest: Mapping[str, object], warnings: Iterable[str],
                rewards: dict[str, Any] | EllipsisType | None = ...) -> Iterator[str]:
    """`document_head` in pieces, with the warnings taken lazily from `warnings` (not from
    the Result): a batch of millions of people can carry more than are worth holding."""
    data = {
        "manifest": plain_json(manifest),
        "ruleset": {"id": result.ruleset, "year": result.year, "name": result.name,
                    "hash": result.hash},
        "rewards": rewards_data(result) if rewards is ... else rewards,
    }
    inner = _newline(1)
    yield "{" + "".join(f"{inner}{_key_text(k)}: {_text(v, 1)}," for k, v in data.items())
    yield inner + '"warnings": ['
    yield from _list_pieces(map(_encode_string, warnings))
    yield "," + inner + '"individuals": ['


def document_pieces(head: str, individual_texts: Iterable[str],
                    unit_texts: Iterable[str]) -> Iterator[str]:
    """The whole JSON file, final newline included, as pieces to write (or join) in order.

    `head` is `document_head(...)`; the texts are `record_text(r, 2, cache)` for each record,
    in the Result's order, and are consumed lazily, so a writer can render and write records
    in batches (with a fresh cache per batch). `"".join(document_pieces(...)).encode()` is
    `render_json`'s output: the pieces are exactly the separators `dumps_indented` puts
    between list items ("\\n    " before the first record, ",\\n    " before the others), the
    closing "\\n  ]" (or just "]" for an empty list, making `[]`), the units' key and the
    final "\\n}\\n"."""
    yield head
    yield from _list_pieces(individual_texts)
    yield ',\n  "units": ['
    yield from _list_pieces(unit_texts)
    yield "\n}\n"


def _list_pieces(texts: Iterable[str]) -> Iterator[str]:
    """The items of a list at depth 1, after its "[": as `dumps_indented` joins them."""
    inner = _newline(2)
    separator = inner
    for text in texts:
        yield separator
        yield text
        separator = "," + inner
    yield "]" if separator is inner else _newline(1) + "]"


def record_text(r: RecordResult, level: int, cache: dict[int, Any]) -> str:
    """Exactly `dumps_indented(record_json(r))` as it reads at nesting depth `level` (2 for a
    record in the document's "individuals" or "units"): every newline in it is followed by
    `2 * (level + k)` spaces.

    Most of a record is ledger shared with other records (`Hit`s, `TitleDecision`s and the
    (name, value) pairs of its inputs, points and reads; see `scorer._Shared`), so the text
    of each shared object is written once and kept in `cache`, keyed by the object's id, and
    a record is mostly a join of cached texts: several times faster than building its dicts
    and encoding them. Ids are unique only among live objects, so the caller must reuse a
    `cache` only while the records rendered with it are alive (one per Result, or a fresh
    one per batch of records). Negative keys hold this module's per-depth writers."""
    if level < 0:
        raise ValueError(f"nesting depth must be at least 0, not {level}")
    write: Callable[[RecordResult], str] | None = cache.get(-2 - level)
    if write is None:
        write = cache[-2 - level] = _record_writer(level, cache)
    return write(r)


def _newline(level: int) -> str:
    return "\n" + "  " * level


def _key_text(k: object) -> str:
    """A dict key's text as `json.dumps` writes it (text as such, numbers etc. quoted)."""
    return _encode_string(k) if type(k) is str else json.dumps({k: 0})[1:-4]


def _text(data: Any, level: int) -> str:
    """`dumps_indented(data)` at nesting depth `level`: the slow, general path, for whatever
    the fast paths in `_record_writer` do not expect (so that the bytes never depend on them).
    """
    text = dumps_indented(data)
    return text.replace("\n", _newline(level)) if level and "\n" in text else text


def _scalar(v: Any, level: int) -> str:
    """The text of a JSON value: fast for the exact types of nearly every field."""
    t = type(v)
    if t is str:
        return _encode_string(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if t is int:
        return int.__repr__(v)
    return _text(v, level)


# Values whose JSON (`json_value`) is a scalar: their text does not depend on the depth.
_FLAT: frozenset[type] = frozenset({Decimal, str, bool, type(None), int, float})


def _record_writer(level: int, cache: dict[int, Any]) -> Callable[[RecordResult], str]:
    """Return a function writing a record's text at depth `level`, with its caches.

    Texts that depend on the depth (hits and decisions, which contain nested objects) are
    kept per writer; those that do not (numbers, keyed by value since `json_number` depends
    only on it, and (name, value) pairs, keyed by id) are shared by all depths under
    `cache[-1]`. Each field has a fast path for the types the scorer produces and falls back
    to `_text` on the dicts the `_record` helpers build, so the bytes never differ."""
    shared = cache.get(-1)
    if shared is None:
        shared = cache[-1] = ({}, {}, {})
    numbers: dict[Decimal, str] = shared[0]
    value_pairs: dict[int, str] = shared[1]  # (name, Value) pairs, as `_pairs` writes them
    number_pairs: dict[int, str] = shared[2]  # (id, Decimal) pairs, as `points` writes them
    hits: dict[int, str] = {}
    decisions: dict[int, str] = {}
    newlines = [_newline(level + k) for k in range(5)]  # by depth below the record's
    n0, n1, n2, n3, n4 = newlines
    encode = _encode_string

    def number(d: Any) -> str:
        if type(d) is Decimal:
            try:
                text = numbers.get(d)
            except TypeError:  # a signalling NaN: let json_number say what is wrong
                return _scalar(json_number(d), 0)
            if text is None:
                text = numbers[d] = _scalar(json_number(d), 0)
            return text
        return _scalar(json_number(d), 0)

    def optional_number(d: Any) -> str:
        return "null" if d is None else number(d)

    def value(v: Any, depth: int) -> str:
        return number(v) if type(v) is Decimal else _scalar(json_value(v), depth)

    def value_dict(pairs: Sequence[tuple[str, Value]], depth: int) -> str:
        """`_pairs(pairs)` at `depth`, from the cached text of each pair."""
        if not pairs:
            return "{}"
        texts: list[Any] = list(map(value_pairs.get, map(id, pairs)))  # None: not yet
        if not all(texts):
            for j, pair in enumerate(pairs):
                if texts[j] is None:
                    name, v = pair
                    text = f"{_key_text(name)}: {value(v, depth + 1)}"
                    if type(v) in _FLAT and type(pair) is tuple:  # immutable: cacheable
                        value_pairs[id(pair)] = text
                    texts[j] = text
        if len(dict(pairs)) != len(pairs):  # a repeated name: the dict keeps one entry
            return _text(_pairs(pairs), depth)
        inner = newlines[depth - level + 1]
        return "{" + inner + ("," + inner).join(texts) + newlines[depth - level] + "}"

    def number_dict(pairs: Sequence[tuple[str, Decimal]]) -> str:
        """`{k: json_number(d) for k, d in pairs}` at depth level + 1."""
        if not pairs:
            return "{}"
        texts: list[Any] = list(map(number_pairs.get, map(id, pairs)))
        if not all(texts):
            for j, pair in enumerate(pairs):
                if texts[j] is None:
                    name, d = pair
                    texts[j] = text = f"{_key_text(name)}: {number(d)}"
                    if type(pair) is tuple:
                        number_pairs[id(pair)] = text
        if len(dict(pairs)) != len(pairs):
            return _text({k: json_number(d) for k, d in pairs}, level + 1)
        return "{" + n2 + ("," + n2).join(texts) + n1 + "}"

    def text_list(items: Sequence[Any], depth: int) -> str:
        """`list(items)` at `depth`: usually text, else whatever it holds."""
        if not items:
            return "[]"
        inner = newlines[depth - level + 1]
        try:
            texts = list(map(encode, items))
        except TypeError:
            texts = [_scalar(x, depth + 1) for x in items]
        return "[" + inner + ("," + inner).join(texts) + newlines[depth - level] + "]"

    def hit(h: Hit) -> str:
        """`_hit(h)` at depth level + 2."""
        text = hits.get(id(h))
        if text is None:
            if type(h) is not Hit:
                text = _text(_hit(h), level + 2)
            else:
                sep = "," + n3
                text = "".join((
                    "{", n3, '"rule": ', _scalar(h.rule, level + 3),
                    sep, '"section": ', _scalar(h.section, level + 3),
                    sep, '"item": ', _scalar(h.item, level + 3),
                    sep, '"label": ', _scalar(h.label, level + 3),
                    sep, '"condition": ', _scalar(h.condition, level + 3),
                    sep, '"reads": ', value_dict(h.reads, level + 3),
                    sep, '"points": ', optional_number(h.points),
                    sep, '"raw": ', optional_number(h.raw),
                    sep, '"cap": ', optional_number(h.cap),
                    sep, '"note": ', _scalar(h.note, level + 3),
                    sep, '"computed": ', optional_number(h.computed),
                    sep, '"rounds": ', _text(_rounds(h), level + 3) if h.rounds else "[]",
                    n2, "}"))
            hits[id(h)] = text
        return text

    def decision(d: TitleDecision) -> str:
        text = decisions.get(id(d))
        if text is None:
            text = decisions[id(d)] = _text(_decision(d), level + 2)
        return text

    def shared_list(items: Sequence[Any], write: Callable[[Any], str]) -> str:
        if not items:
            return "[]"
        return "[" + n2 + ("," + n2).join(map(write, items)) + n1 + "]"

    comma_n2, close_n1 = "," + n2, n1 + "]"

    def add_list(parts: list[str], items: Sequence[Any], write: Callable[[Any], str]) -> None:
        """Append a list's pieces: the record's one join then copies each cached text once."""
        if not items:
            parts.append("[]")
            return
        append = parts.append
        opening = "[" + n2
        for item in items:
            append(opening)
            append(write(item))
            opening = comma_n2
        append(close_n1)

    def aggregate(a: AggregateValue) -> str:
        if type(a) is not AggregateValue:
            return _text(_aggregate(a), level + 2)
        return "".join((
            "{", n3, '"name": ', _scalar(a.name, level + 3),
            ",", n3, '"label": ', _scalar(a.label, level + 3),
            ",", n3, '"value": ', value(a.value, level + 3),
            ",", n3, '"members": ', text_list(a.members, level + 3),
            n2, "}"))

    history_heads: dict[int, str] = {}  # a history name's text, with the keys around it
    years_close = n3 + "]" + n2 + "}"

    def history(v: HistoryValue) -> str:
        if type(v) is not HistoryValue or type(v.name) is not str:
            return _text({"name": v.name, "value": json_number(v.value),
                          "years": list(v.years)}, level + 2)
        head = history_heads.get(id(v.name))
        if head is None:
            head = history_heads[id(v.name)] = (
                f'{{{n3}"name": {encode(v.name)},{n3}"value": ')
        years = v.years
        if not years:
            return head + number(v.value) + "," + n3 + '"years": []' + n2 + "}"
        return (head + number(v.value) + "," + n3 + '"years": [' + n4
                + ("," + n4).join([_scalar(y, level + 4) for y in years]) + years_close)

    def rating(d: RatingDecision | None) -> str:
        if d is None:
            return "null"
        if type(d) is not RatingDecision:
            return _text(_rating(d), level + 1)
        sep = "," + n2
        return "".join((
            "{", n2, '"field": ', _scalar(d.field, level + 2),
            sep, '"final": ', _scalar(d.final, level + 2),
            sep, '"given": ', _scalar(d.given, level + 2),
            sep, '"points": ', optional_number(d.points),
            sep, '"band": ', _scalar(d.band, level + 2),
            sep, '"band_rule": ', _scalar(d.band_rule, level + 2),
            sep, '"override": ', _scalar(d.override or None, level + 2),
            sep, '"override_reason": ', _scalar(d.override_reason or None, level + 2),
            sep, '"quota": ', "null" if d.quota is None else _text(_quota(d.quota), level + 2),
            sep, '"moved_to": ', _scalar(d.moved_to, level + 2),
            sep, '"warning": ', _scalar(d.warning or None, level + 2),
            sep, '"outside_cap": ', "true" if d.outside_cap else "false",
            n1, "}"))

    sep = "," + n1
    inner = level + 1

    def record(r: RecordResult) -> str:
        if type(r) is not RecordResult:
            return _text(_record(r, {}), level)
        individual = r.kind == "individual"
        o = r.origin
        group = _scalar(r.parent, inner)
        parts = [
            "{", n1, '"id": ', _scalar(r.id, inner),
            sep, '"name": ', _scalar(r.name, inner),
            sep, '"kind": ', _scalar(r.kind, inner),
            sep, '"unit": ', group if individual else "null",
            sep, '"cluster": ', "null" if individual else group,
            sep, '"source": {', n2, '"file": ', _scalar(o.file, inner + 1),
            ",", n2, '"sheet": ', _scalar(o.sheet, inner + 1),
            ",", n2, '"row": ', _scalar(o.row, inner + 1), n1, "}",
            sep, '"score": ', number(r.score),
            sep, '"rank": ', _scalar(r.rank, inner),
            sep, '"rank_scope": ', _scalar(r.rank_scope, inner),
            sep, '"rank_of": ', _scalar(r.rank_of, inner),
            sep, '"ties": ', _text([tie_json(t) for t in r.ties], inner) if r.ties else "[]",
            sep, '"titles": ', text_list(r.titles, inner),
            sep, '"points": ', number_dict(r.points),
            sep, '"inputs": ', value_dict(r.inputs, inner),
            sep, '"computed": ', value_dict(r.computed, inner),
            sep, '"aggregates": ', shared_list(r.aggregates, aggregate),
            sep, '"hits": ']
        add_list(parts, r.hits, hit)
        parts += (sep, '"decisions": ')
        add_list(parts, r.decisions, decision)
        parts += (
            sep, '"gates": ', text_list(r.gates, inner),
            sep, '"extra": ', _text(dict(r.extra), inner) if r.extra else "{}",
            sep, '"warnings": ', text_list(r.warnings, inner),
            sep, '"provisional": ', text_list(r.provisional, inner),
            sep, '"rating": ', rating(r.rating),
            sep, '"rewards": ', number_dict(r.rewards),
            sep, '"reward": ', number(r.reward),
            sep, '"rewards_not_paid": ', _text([_unpaid(u) for u in r.not_paid], inner)
            if r.not_paid else "[]",
            sep, '"history": ', shared_list(r.history, history),
            n0, "}")
        return "".join(parts)

    return record


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
