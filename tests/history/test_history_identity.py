"""History that belongs to this data set is read; what belongs to another is refused (#18.6).

The refusals (another rule set, other people under the same ids, ids of another kind, title
spellings close to a title) are in the bad-input corpus, category `history`. Here: what the
same people's history may hold without being refused, and what it gives.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring import read_results
from scoring.cli import cli
from scoring.history.load import load_history, title_kinds
from scoring.run.app import compile_folder

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/bad_inputs"))
import make  # noqa: E402  (tests/bad_inputs/make.py: the year files of the corpus)

sys.path.pop(0)

NAMES = list(make.MINI_NAMES.values())


def _run(tmp_path: Path, files: dict[str, bytes]) -> tuple[int, str, dict[str, object]]:
    store = tmp_path / "lich-su"
    store.mkdir()
    for name, data in files.items():
        (store / name).write_bytes(data)
    result = CliRunner().invoke(cli, ["score", str(ROOT / "tests/data/mini"), "--rules",
                                      str(ROOT / "tests/rulesets/mini"), "--history", str(store),
                                      "--format", "json", "-o", "-", "-q"])
    doc = read_results(result.stdout) if result.exit_code == 0 else {}
    return result.exit_code, result.output, doc


@pytest.mark.parametrize(("files", "warning"), [
    # The same people as this year: nothing to say.
    ({"2020.json": make.year_file()}, None),
    # One name typed a little differently: the same person, said with both spellings.
    ({"2020.json": make.year_file(names=["Nguyễn Vn An", *NAMES[1:]])},
     "the name differs from this year's (P1 'Nguyễn Vn An' there, 'Nguyễn Văn An' here); "
     "taken as the same person"),
    # Names typed without diacritics or in capitals are the same names.
    ({"2020.json": make.year_file(names=["NGUYEN VAN AN", "Tran Thi Binh", *NAMES[2:]])}, None),
    # People move between units, and units are renamed under their ids: history follows ids.
    ({"2020.json": make.year_file(units=("U2", "U1", "U3"))}, None),
    ({"2020.json": make.year_file(
        people_units=("U2", "U2", "U3", "U1", "U2", "U2", "U3"))}, None),  # 3 of 7 moved
    # A hand-kept title outside the rule set, far from every title of it: kept as written.
    ({"titles.csv": b"id,name,year,title,decision,kind\n"
                    b"P1,Nguy\xe1\xbb\x85n V\xc4\x83n An,2020,Hu\xc3\xa2n ch\xc6\xb0\xc6\xa1ng "
                    b"Lao \xc4\x91\xe1\xbb\x99ng h\xe1\xba\xa1ng Ba,99/Q\xc4\x90,c\xc3\xa1 "
                    b"nh\xc3\xa2n\n"},
     "is not a title of the rule set; kept in the history as written"),
])
def test_this_data_sets_history_is_read(tmp_path: Path, files: dict[str, bytes],
                                        warning: str | None) -> None:
    code, output, doc = _run(tmp_path, files)
    assert code == 0, output
    warnings = doc["warnings"]
    assert isinstance(warnings, list)
    if warning is None:
        assert not [w for w in warnings if "history" in str(w) or "name differs" in str(w)]
    else:
        assert any(warning in str(w) for w in warnings), warnings


@pytest.mark.parametrize(("title", "expected"), [
    ("LDTT", "LDTT"), ("Lao động tiên tiến", "LDTT"), ("lao dong tien tien", "LDTT"),
    ("LĐTT", "LDTT"), ("ldtt", "LDTT"),
])
def test_a_title_spelt_as_the_rule_set_spells_it_counts(tmp_path: Path, title: str,
                                                        expected: str) -> None:
    row = f"id,name,year,title,decision\nP1,Nguyễn Văn An,2020,{title},12/QĐ\n"
    code, output, _ = _run(tmp_path, {"titles.csv": row.encode()})
    assert code == 0, output
    assert "unknown title" not in output and "not a title of the rule set" not in output
    rules = compile_folder(ROOT / "tests/rulesets/mini").ruleset
    store = load_history(tmp_path / "lich-su", title_kinds(rules), rules.ruleset)
    [snap] = store.of("individual", "P1")[2020]
    assert snap.titles == {expected}


@pytest.mark.parametrize("name", ["Nguyễn Văn Anh", "Nguyễn Thị An", "Trần Văn An"])
def test_another_given_middle_or_family_name_is_another_person(tmp_path: Path,
                                                                name: str) -> None:
    code, output, _ = _run(tmp_path, {"2020.json": make.year_file(names=[name, *NAMES[1:]])})
    assert code == 2
    assert f"1 of the 7 people whose ids it shares with this year's records are someone else " \
           f"there (P1 '{name}' there, 'Nguyễn Văn An' here)" in output
