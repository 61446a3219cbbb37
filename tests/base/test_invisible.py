"""Terminal and CSV safety (issue #18, part 8): a name holding a control character, a bidi
control or any other format character reaches no terminal, CSV or XLSX cell as itself.

Error lines are covered by the bad-input corpus (category `terminal`, and its check that no
bad input's output carries such a character); here, what a successful run writes."""

from __future__ import annotations

import io
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring.cli import cli
from scoring.outputs.safe import neutral, safe_text

ROOT = Path(__file__).resolve().parents[2]
INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}
# Each bidi control the issue names, and other format and control characters.
CHARACTERS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
              "\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\u200d", "\u2060", "\u00ad",
              "\ufeff", "\x1b", "\x07", "\x7f", "\x9b"]


def _invisible(text: str, keep: str = "") -> list[str]:
    return [c for c in text if c not in keep and unicodedata.category(c) in INVISIBLE]


@pytest.mark.parametrize("char", CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_neutral_shows_every_invisible_character(char: str) -> None:
    text = f"Nguyễn{char}Văn An"
    assert neutral(text) == "Nguyễn\ufffdVăn An"
    assert neutral(neutral(text)) == neutral(text)
    assert safe_text(text) == "Nguyễn\ufffdVăn An"
    assert safe_text(f"{char}=1+1") == "\ufffd=1+1"


@pytest.mark.parametrize(("text", "expected"), [
    ("Nguyễn Văn An", "Nguyễn Văn An"),  # nothing to do: the same object's text
    ("dòng một\ndòng hai\tcột", "dòng một\ndòng hai\tcột"),  # a cell keeps its breaks
    ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
    ("\u202e=1+1", "\ufffd=1+1"),
])
def test_safe_text_keeps_what_a_cell_may_hold(text: str, expected: str) -> None:
    assert safe_text(text) == expected


def _data(tmp_path: Path, char: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "tests/data/mini", data)
    people = data / "individuals.csv"
    people.write_text(people.read_text(encoding="utf-8").replace(
        "Nguyễn Văn An", f"Nguyễn{char}Văn An"), encoding="utf-8")
    return data


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\x1b"],
                         ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("fmt", ["table", "csv", "xlsx"])
def test_a_run_shows_no_invisible_character(tmp_path: Path, char: str, fmt: str) -> None:
    data = _data(tmp_path, char)
    args = ["score", str(data), "--rules", "tests/rulesets/mini", "--format", fmt, "-q"]
    if fmt == "xlsx":
        result = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "out" / "k.xlsx")])
        assert result.exit_code == 0, result.output
        with zipfile.ZipFile(io.BytesIO((tmp_path / "out" / "k.xlsx").read_bytes())) as z:
            text = "".join(z.read(n).decode("utf-8") for n in z.namelist()
                           if n.endswith(".xml"))
        assert "Nguyễn\ufffdVăn An" in text and char not in text
        return
    result = CliRunner().invoke(cli, [*args, "-o", "-"])
    assert result.exit_code == 0, result.output
    out = result.stdout.removeprefix("\ufeff")  # the CSV's byte-order mark, for Excel
    assert "Nguyễn\ufffdVăn An" in out
    assert not _invisible(out, keep="\n\r"), repr(out)


@pytest.mark.parametrize("char", ["\u202e", "\x1b"], ids=lambda c: f"U+{ord(c):04X}")
def test_explain_shows_no_invisible_character(tmp_path: Path, char: str) -> None:
    data = _data(tmp_path, char)
    result = CliRunner().invoke(cli, ["explain", str(data), "P1", "--rules",
                                      "tests/rulesets/mini", "--near-misses", "0"])
    assert result.exit_code == 0, result.output
    assert "Nguyễn\ufffdVăn An" in result.stdout
    assert not _invisible(result.stdout, keep="\n\t"), repr(result.stdout)


@pytest.mark.parametrize("char", ["\u2067", "\x1b"], ids=lambda c: f"U+{ord(c):04X}")
def test_review_shows_no_invisible_character(tmp_path: Path, char: str) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "tests/bad_inputs"))
    import make

    sys.path.pop(0)
    store = tmp_path / "lich-su"
    store.mkdir()
    names = [f"Nguyễn{char}Văn An", *list(make.MINI_NAMES.values())[1:]]
    (store / "2020.json").write_bytes(make.year_file(names=names))
    result = CliRunner().invoke(cli, ["review", "2020..2020", "--history", str(store),
                                      "--rules", "tests/rulesets/mini"])
    assert result.exit_code == 0, result.output
    assert "Nguyễn\ufffdVăn An" in result.stdout
    assert not _invisible(result.stdout, keep="\n\t"), repr(result.stdout)
