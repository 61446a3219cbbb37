"""libyaml's parser reads rule files exactly as PyYAML's pure-Python parser does: the same
values, the same line of every key and item, the same message (and line) for every mistake.

`parse_yaml` reads with libyaml when PyYAML carries it; these tests read each text both ways
(the pure-Python way by hiding libyaml) and compare: every YAML file of the repository (rule
sets, broken rule sets, bad inputs, datasets), the shapes where the two parsers are known to
part (which must go to PyYAML's parser), and generated texts of YAML's punctuation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.base.errors import RuleError
from scoring.rulesets import safeyaml
from scoring.rulesets.safeyaml import LocDict, LocList, parse_yaml

pytestmark = pytest.mark.skipif(safeyaml._FastLoader is None,
                                reason="PyYAML is built without libyaml here")

REPO = Path(__file__).resolve().parents[2]
YAML_FILES = sorted(p.relative_to(REPO) for folder in ("rules", "tests", "fixtures")
                    for p in (REPO / folder).rglob("*.y*ml"))


def _tree(value: Any) -> Any:
    """A parsed value with what the loader attaches: the file and line of every mapping, list
    and key, and each value's type (0.15 stays a Decimal, 2021-01-01 stays text)."""
    if isinstance(value, LocDict):
        return ("map", value.file, value.line, sorted(value.key_lines.items()),
                [(k, _tree(v)) for k, v in value.items()])
    if isinstance(value, LocList):
        return ("list", value.file, value.line, [_tree(v) for v in value])
    return (type(value).__name__, value)


def _read(data: bytes) -> Any:
    try:
        return _tree(parse_yaml(data, "rules.yaml"))
    except RuleError as e:  # and nothing else: never a traceback, whatever the text
        return [str(p) for p in e.problems]


def _both(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = _read(data)
    with monkeypatch.context() as m:
        m.setattr(safeyaml, "_FastLoader", None)
        reference = _read(data)
    return fast, reference


def test_every_yaml_file_of_the_repository_is_found() -> None:
    assert len(YAML_FILES) > 50
    assert Path("rules/2026/examples.yaml") in YAML_FILES


@pytest.mark.parametrize("path", YAML_FILES, ids=str)
def test_every_yaml_file_reads_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, reference = _both((REPO / path).read_bytes(), monkeypatch)
    assert fast == reference


# Each text and what PyYAML reads (the keys and their lines) or says: read both ways, it must
# be that.
CASES = [
    ("max: 0.15\nyear: 2021\nwhen: 2021-01-01\n", {"max": 1, "year": 2, "when": 3}),
    # Where libyaml parts from PyYAML: such texts are read by PyYAML alone.
    ("a: b\t\n", "rules.yaml:1: found character '\\t' that cannot start any token"),
    ("a: [b?, c]\n", "rules.yaml:1: expected ',' or ']', but got '?'"),
    ("a: !\n", {"a": 1}),
    ("a: |#\n", "rules.yaml:1: expected chomping or indentation indicators, but found '#'"),
    ("a: 1\n\ufeffb: 2\n", {"a": 1, "\ufeffb": 2}),
    # The loader's own refusals, located as before.
    ("a: &x 1\nb: *x\n", "rules.yaml:2: anchors and aliases (*name) are not allowed in rule "
                         "files"),
    ("a: " + "[" * 60 + "]" * 60 + "\n", "rules.yaml:1: nested more than 50 levels deep"),
    ("year: 1\nyear: 2\n", "rules.yaml:2: duplicated key 'year'"),
    ("max: .nan\n", "rules.yaml:1: '.nan' is not a finite number"),
    ("a: [b: c\n", "rules.yaml:2: expected ',' or ']', but got '<stream end>'"),
    # An explicit tag that does not fit its value: a located message (it used to escape as a
    # traceback, or for `!!null 3`, to read as nothing at all).
    ("max: !!map 30\n", "rules.yaml:1: the tag !!map does not fit this value: remove the tag"),
    ("max: !!seq 30\n", "rules.yaml:1: the tag !!seq does not fit this value: remove the tag"),
    ("a: !!str [1]\n", "rules.yaml:1: the tag !!str does not fit this value: remove the tag"),
    ("max: !!bool maybe\n", "rules.yaml:1: 'maybe' is not a value of the tag !!bool: remove "
                            "the tag, or write the value it names"),
    ("max: !!null 3\n", "rules.yaml:1: '3' is not a value of the tag !!null: remove the tag, "
                        "or write the value it names"),
    ("max: !!int 30.5\n", "rules.yaml:1: '30.5' is not a value of the tag !!int: remove the "
                          "tag, or write the value it names"),
    ("max: !!float 30\nopen: !!bool yes\nnone: !!null ~\n", {"max": 1, "open": 2, "none": 3}),
    # A control character: a located message (it used to escape as a traceback).
    ("a: 1\nb: \x7f\n", "rules.yaml:2: unacceptable character #x007f: special characters are "
                         "not allowed"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_texts_read_as_pyyaml_reads_them(text: str, expected: dict[str, int] | str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fast, reference = _both(text.encode("utf-8"), monkeypatch)
    assert fast == reference
    if isinstance(expected, dict):
        assert dict(fast[3]) == expected
    else:
        assert fast == [expected]


PIECES = [*":-[]{},#&*!|>'\"%@`? \t\n\r\\", "---", "...", ": ", "- ", "\n  ", "\n- ",
          "\u00a0", "\ufeff", "\x85", "\u2028", "0x1", "1e5", "1.5", "-2", ".inf", "~", "null",
          "yes", "!!str ", "!!int ", "!!map ", "|-", "|2", ">+", '"\\x4"', '"\\u00e9"',
          "'it''s'", "%YAML 1.1\n---\n", "%TAG ! tag:x,2000:\n---\n", "!x ", "&a ", "*a",
          "<<: ", "\U0001F600", "=", "!=", " != ", "a", "key", "điểm", "2021-01-01", "12:30"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_generated_texts_read_as_pyyaml_reads_them(pieces: list[str]) -> None:
    data = "".join(pieces).encode("utf-8")
    fast = _read(data)
    saved, safeyaml._FastLoader = safeyaml._FastLoader, None
    try:
        reference = _read(data)
    finally:
        safeyaml._FastLoader = saved
    assert fast == reference
