"""Keys typed differently (scoring/inputs/keys.py): one group with a warning, or exit 2; never two
groups or two people silently.

The refusals are in the bad-input corpus (category "typed-differently"); here are the merges and
warnings, whose run succeeds, the history sheets' title names, and the property: for random
Unicode variants of group keys and ids, the number of groups and of records never changes
without a warning or an error.
"""

from __future__ import annotations

import os
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import read_results
from scoring.base.errors import InputError
from scoring.inputs.batch import build_batch
from scoring.inputs.keys import diacritic_skeleton, skeleton, visible_form
from scoring.inputs.records import RawTable
from scoring.run.app import compile_folder

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/bad_inputs"))
import make  # noqa: E402  (tests/bad_inputs/make.py)

sys.path.pop(0)

settings.register_profile("keys-ci", max_examples=1000, deadline=None, database=None)
settings.register_profile("keys-dev", max_examples=150, deadline=None, database=None)
PROFILE = settings.get_profile("keys-ci" if os.environ.get("CI") else "keys-dev")


@pytest.mark.parametrize(("a", "b", "same_group", "same_letters"), [
    ("Khối A", "khối  a", True, True),  # case, spacing
    ("Văn hoá", "Văn hóa", True, True),  # old and new tone placement
    ("Thuỷ lợi", "Thủy lợi", True, True),
    ("Khối A", "Khối\u200bA", True, True),  # zero-width space
    ("Khối A", "\u202bKhối A\u202c", True, True),  # bidi embedding
    ("Khối A", "Khối \u0410", True, True),  # Cyrillic А
    ("ΟK", "OK", True, True),  # Greek Ο
    ("kiem_soat", "Kiem soat", True, True),  # separators
    ("Ｋhối A", "Khối A", True, True),  # full-width
    ("Khoi A", "Khối A", False, True),  # diacritics: refused, not merged
    ("Tổ Một", "Tổ Mốt", False, True),
    ("Đội 1", "Dội 1", False, True),
    ("Khối A", "Khối B", False, False),
    ("Tổ 1", "Tổ 11", False, False),
])
def test_skeletons_tell_what_is_one_key(a: str, b: str, same_group: bool,
                                        same_letters: bool) -> None:
    assert (skeleton(a) == skeleton(b)) is same_group
    assert (diacritic_skeleton(a) == diacritic_skeleton(b)) is same_letters


def test_every_format_character_is_invisible() -> None:
    """The list of invisible characters holds every Cf character of this Python's Unicode."""
    from scoring.inputs.keys import invisible

    assert [hex(c) for c in range(sys.maxunicode + 1)
            if unicodedata.category(chr(c)) == "Cf" and not invisible(chr(c))] == []


@pytest.mark.parametrize(("a", "b", "same"), [
    ("P2", "P2\u200b", True), ("P2", "\u0420" + "2", True), ("P2", "\uff30\uff12", True),
    ("P2", "\u2066P2\u2069", True), ("P2", "p2", False), ("P2", "P02", False),
])
def test_an_id_reads_as_another_only_through_invisible_or_look_alike_characters(
        a: str, b: str, same: bool) -> None:
    assert (visible_form(a) == visible_form(b)) is same


def _score(runner_args: list[str]) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from scoring.cli import cli

    result = CliRunner().invoke(cli, ["score", *runner_args, "--format", "json", "-o", "-"])
    return result.exit_code, result.stdout, result.stderr


def _folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize(("files", "warning", "groups"), [
    (make.units("U2,Phòng Hai,Khối A", "U2,Phòng Hai,khối  a"),
     "cluster: 'Khối A' (", 2),
    (make.units("U2,Phòng Hai,Khối A", "U2,Phòng Hai,Khối\u200b A"),
     "differ only by an invisible character: counted as one group, 'Khối A'", 2),
    (make.units("U2,Phòng Hai,Khối A", "U2,Phòng Hai,\u041ahối A"),
     "differ only by letters of another script that look Latin", 2),
])
def test_clusters_typed_differently_are_one_group_with_a_warning(
        tmp_path: Path, files: dict[str, bytes], warning: str, groups: int) -> None:

    code, out, err = _score([str(_folder(tmp_path, files)), "--rules",
                             "tests/rulesets/mini"])
    assert code == 0, err
    doc = read_results(out)
    assert len({u["cluster"] for u in doc["units"]}) == groups
    assert any(warning in w for w in doc["warnings"]), doc["warnings"]


def test_teams_typed_differently_are_one_team(tmp_path: Path) -> None:

    files = make.teams("Kiểm soát", "kiểm  soát", "Tổng hợp", "Tổng hợp", "KIỂM SOÁT",
                       "Kiểm soát", "Tổng\u200b hợp")
    folder = _folder(tmp_path, files)
    code, out, err = _score([str(folder), "--rules", str(folder)])
    assert code == 0, err
    doc = read_results(out)
    assert {p["inputs"]["team"] for p in doc["individuals"]} == {"Kiểm soát", "Tổng hợp"}
    assert sum("team (Tổ):" in w for w in doc["warnings"]) == 2, doc["warnings"]


@pytest.mark.parametrize(("old", "new", "warning"), [
    ("P3,Lê Văn Cường", "p2,Lê Văn Cường", "id 'p2' differs from 'P2'"),
    ("P3,Lê Văn Cường,U1", "P02,Lê Văn Cường,U1", "id 'P02' differs from 'P2' (first at"),
    ("P3,Lê Văn Cường", "P3,Trần Thị Bình", "Trần Thị Bình (unit U1) is also 'P2'"),
])
def test_ids_that_may_be_one_person_are_warned_about(tmp_path: Path, old: str, new: str,
                                                     warning: str) -> None:

    code, out, err = _score([str(_folder(tmp_path, make.people(old, new))), "--rules",
                             "tests/rulesets/mini"])
    assert code == 0, err
    doc = read_results(out)
    assert len(doc["individuals"]) == 7
    assert any(warning in w for w in doc["warnings"]), doc["warnings"]


def test_leading_zeros_in_another_unit_are_not_warned_about(tmp_path: Path) -> None:
    import json

    folder = _folder(tmp_path, make.people("P5,Hoàng Văn Em,U2", "P05,Hoàng Văn Em,U2"))
    code, out, _ = _score([str(folder), "--rules", "tests/rulesets/mini"])
    assert code == 0
    assert not [w for w in json.loads(out)["warnings"] if "leading zeros" in w]


# ------------------------------------------------------------------------------ the property

_MINI = compile_folder("tests/rulesets/mini")
_TEAMS_DIR = Path(tempfile.mkdtemp(prefix="keys-rules-"))
(_TEAMS_DIR / "rules.yaml").write_bytes(make.TEAM_RULES.encode())
_TEAMS = compile_folder(_TEAMS_DIR)

_INVISIBLES = ("\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c",
               "\u202d", "\u202e", "\u2060", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff",
               "\u00ad", "\ufe0f")
_LOOK = {"A": "\u0410", "B": "\u0392", "C": "\u0421", "E": "\u0395", "K": "\u039a",
         "O": "\u041e", "P": "\u0420", "T": "\u03a4", "a": "\u0430", "o": "\u03bf",
         "e": "\u0435", "c": "\u0441", "p": "\u0440"}


def _variant(text: str, how: int, where: int) -> str:
    """One way of typing `text` differently."""
    i = where % (len(text) + 1)
    if how == 0:
        return text[:i] + _INVISIBLES[where % len(_INVISIBLES)] + text[i:]
    if how == 1:
        swap = [k for k, c in enumerate(text) if c in _LOOK]
        if swap:
            k = swap[where % len(swap)]
            return text[:k] + _LOOK[text[k]] + text[k + 1:]
        return text
    if how == 2:
        return text.swapcase()
    if how == 3:
        return text[:i] + " " + text[i:]
    if how == 4:  # diacritics dropped
        return "".join(c for c in unicodedata.normalize("NFD", text)
                       if not unicodedata.combining(c))
    if how == 5:  # decomposed (what macOS gives)
        return unicodedata.normalize("NFD", text)
    return text


_CLUSTERS = ("Khối A", "Khối Văn hoá", "Cụm Ba")
_TEAM_NAMES = ("Kiểm soát", "Tổng hợp", "Pháp chế")

variants = st.tuples(st.integers(0, 6), st.integers(0, 50))


@st.composite
def batches(draw: st.DrawFn) -> tuple[RawTable, RawTable, int, int, int]:
    """Units and people whose clusters, teams and ids are typed with random variants; with
    the numbers of clusters, teams and people meant."""
    n_units = draw(st.integers(2, 4))
    clusters = [draw(st.sampled_from(_CLUSTERS)) for _ in range(n_units)]
    unit_rows = [(f"U{k + 1}", f"Phòng {k + 1}", _variant(c, *draw(variants)), 100, 2021)
                 for k, c in enumerate(clusters)]
    n_people = draw(st.integers(n_units, 8))
    meant_ids: list[str] = []
    people_rows: list[tuple[object, ...]] = []
    teams: list[str] = []
    for k in range(n_people):
        # Some people reuse the id of an earlier one, typed differently: one person twice.
        reuse = k > 0 and draw(st.booleans()) and draw(st.booleans())
        meant = meant_ids[draw(st.integers(0, k - 1))] if reuse else f"P{k + 1}"
        meant_ids.append(meant)
        pid = _variant(meant, *draw(variants)) if draw(st.booleans()) else meant
        team = draw(st.sampled_from(_TEAM_NAMES))
        teams.append(team)
        people_rows.append((pid, f"Người {k + 1}", f"U{k % n_units + 1}", "tot", 12, "", 0, "",
                            "", _variant(team, *draw(variants)), 2021))
    units = RawTable("unit", "units.csv", ("id", "name", "cluster", "target", "year"),
                     tuple(unit_rows))
    people = RawTable("individual", "individuals.csv",
                      ("id", "name", "unit_id", "task_rating", "months_worked",
                       "maternity_leave", "initiatives", "amount", "is_head", "team", "year"),
                      tuple(people_rows))
    return units, people, len(set(clusters)), len(set(teams)), len(set(meant_ids))


@PROFILE
@given(batches())
def test_unicode_variants_never_change_the_groups_or_records_silently(
        batch: tuple[RawTable, RawTable, int, int, int]) -> None:
    units, people, clusters, teams, persons = batch
    try:
        got = build_batch([units, people], _TEAMS)
    except InputError:
        return  # refused, with located messages: not silent
    said = "\n".join(got.warnings)
    # Each count is as meant, or a warning names the spellings of that very key.
    assert len({u.parent for u in got.units}) == clusters or "cluster:" in said
    assert len({r.values["team"] for r in got.individuals}) == teams or "team (Tổ):" in said
    assert len({r.id for r in got.individuals}) == persons or ": id " in said
    assert len(got.individuals) == len(people.rows)


def test_the_property_meets_every_outcome() -> None:
    """The generator reaches merges, refusals and clean batches (so the property is tried)."""
    import random

    outcomes = set()
    rng = random.Random(7)
    for _ in range(300):
        rows = [(f"U{k}", f"Phòng {k}", _variant(rng.choice(_CLUSTERS), rng.randrange(7),
                                                 rng.randrange(50)), 100, 2021)
                for k in (1, 2, 3)]
        units = RawTable("unit", "units.csv", ("id", "name", "cluster", "target", "year"),
                         tuple(rows))
        people = RawTable("individual", "individuals.csv", ("id", "name", "unit_id",
                                                            "task_rating", "year"),
                          tuple((f"P{k}", f"N {k}", f"U{k}", "tot", 2021) for k in (1, 2, 3)))
        try:
            got = build_batch([units, people], _MINI)
            outcomes.add("warned" if got.warnings else "clean")
        except InputError:
            outcomes.add("refused")
    assert outcomes == {"warned", "clean", "refused"}
