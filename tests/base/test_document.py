"""`read_results`: a results document of either format as format 1's data; a format-2 document
that does not hold together is refused with where and what, never a traceback."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from scoring import read_results
from scoring.base.document import DECISION_COLUMNS, HIT_COLUMNS
from scoring.base.errors import InputError

HIT = ["r[0]", "criteria", "task", "Nhiệm vụ", "x > 1", {"x": 2}, 10, 10, None, "", None, []]
DECISION = ["LDTT", "Lao động tiên tiến", True, True, [], [], None]
DOC: dict[str, Any] = {
    "format": 2,
    "manifest": {"tool": "scoring", "json_format": 2},
    "ruleset": {"id": "r", "year": 2026, "name": "", "hash": "00"},
    "rewards": None,
    "warnings": ["w"],
    "individuals": {"columns": ["id", "name", "unit", "cluster", "source.file", "source.sheet",
                                "source.row", "score", "points.task", "inputs", "hits",
                                "decisions"],
                    "data": [["P1", "An", "U1", None, "a.csv", None, 2, 10, 10, {"x": 2}, [0],
                              [0]],
                             ["P2", "Bình", "U1", None, "a.csv", None, 3, 10, 10, {"x": 2}, [0],
                              []]]},
    "units": {"columns": ["id", "name", "unit", "cluster", "score", "hits", "decisions"],
              "data": [["U1", "Phòng", None, "Cụm", 20, [], [0]]]},
    "hits": {"columns": list(HIT_COLUMNS), "data": [HIT]},
    "decisions": {"columns": list(DECISION_COLUMNS), "data": [DECISION]},
}


def test_format_2_becomes_format_1s_records() -> None:
    data = read_results(json.dumps(DOC, ensure_ascii=False).encode("utf-8"))
    assert list(data) == ["manifest", "ruleset", "rewards", "warnings", "individuals", "units"]
    p1, p2 = data["individuals"]
    assert p1 == {"id": "P1", "name": "An", "kind": "individual", "unit": "U1", "cluster": None,
                  "source": {"file": "a.csv", "sheet": None, "row": 2}, "score": 10,
                  "points": {"task": 10}, "inputs": {"x": 2},
                  "hits": [dict(zip(HIT_COLUMNS, HIT, strict=True))],
                  "decisions": [dict(zip(DECISION_COLUMNS, DECISION, strict=True))]}
    assert list(p1) == ["id", "name", "kind", "unit", "cluster", "source", "score", "points",
                        "inputs", "hits", "decisions"]
    assert p2["decisions"] == [] and data["units"][0]["kind"] == "unit"


def test_format_1_is_given_back_as_it_is() -> None:
    v1 = {"manifest": {}, "ruleset": {"year": 2021}, "individuals": [{"id": "P1"}], "units": []}
    assert read_results(json.dumps(v1)) == v1
    assert read_results(v1) == v1


def test_numbers_parsed_as_decimals_are_row_numbers() -> None:
    """The history folder parses every number as a Decimal."""
    text = json.dumps(DOC, ensure_ascii=False)
    data = read_results(json.loads(text, parse_float=Decimal, parse_int=Decimal))
    assert data["individuals"][0]["hits"][0]["rule"] == "r[0]"


def _broken(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    change(doc)
    return doc


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(format=3), "format 3, which this version of scoring does not read"),
    (lambda d: d.update(format=True), "format True"),
    (lambda d: d["individuals"]["data"][1].__setitem__(10, [1]),
     "'individuals' row 1, 'hits': 1 is not a row number of 'hits', which has 1 rows"),
    (lambda d: d["units"]["data"][0].__setitem__(6, [-1]),
     "'units' row 0, 'decisions': -1 is not a row number"),
    (lambda d: d["units"]["data"][0].__setitem__(6, [0.5]), "0.5 is not a row number"),
    (lambda d: d["units"]["data"][0].__setitem__(6, 0), "0 is not a row number"),
    (lambda d: d["individuals"]["data"][0].pop(), "'individuals' row 0 has 11 values for 12"),
    (lambda d: d["hits"]["data"][0].append(1), "'hits' row 0 has 13 values for 12 columns"),
    (lambda d: d["hits"]["columns"].reverse(), "'hits' must have the columns rule, section"),
    (lambda d: d.update(units=[]), "'units' must be a table"),
    (lambda d: d["decisions"].pop("columns"), "'decisions' must be a table"),
])
def test_a_document_that_does_not_hold_together_is_refused(change: Any, message: str) -> None:
    with pytest.raises(InputError) as e:
        read_results(_broken(change), "out/2026.json")
    assert str(e.value).startswith("out/2026.json: ")
    assert message in str(e.value)


@pytest.mark.parametrize(("data", "message"), [
    (b"{", "not a JSON file"),
    (b"\xff", "not a JSON file"),
    ("[1, 2]", "not a results file"),
])
def test_what_is_not_a_document_is_refused(data: bytes | str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_results(data, "x.json")
