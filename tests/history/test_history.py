"""The history store and the rule language's functions that read it (src/scoring/history/).

Hand-worked cases score small batches year after year through the library with rules/2024 (no
CSTĐCS cap, so each person's titles follow their own inputs), writing each year's JSON output
into a store that the next year reads, exactly as a council would: a chain broken by one year, a
chain kept across a move between units, a maternity leave in the middle year, a unit renamed mid
plan. The fixture store (fixtures/history, made by fixtures/generate_history.py) is then checked
against an independent reading of its own files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scoring import read_results
from scoring.base.errors import InputError, RuleError
from scoring.cli import cli
from scoring.evaluation.engine import Engine
from scoring.evaluation.reference import ReferenceEvaluator
from scoring.evaluation.result import RecordResult
from scoring.history.load import load_history, title_kinds
from scoring.history.store import EMPTY, History, PastInitiative, Snapshot
from scoring.history.values import evaluate, snapshot_of
from scoring.language import expr, normal, parse, show
from scoring.language.evaluate import holds
from scoring.language.history import Query
from scoring.outputs.jsonout import render_json
from scoring.rulesets.compile import compile_ruleset
from scoring.rulesets.schema import KindRules, RuleFile, RuleSet
from scoring.run.app import Run, compile_folder, run

RULES = Path("rules/2024")
FIXTURE = Path("fixtures/history")
CHAIN = "consecutive_years(CSTDCS, since=CSTD_TINH)"
UNIT_BK = 'years_with(task_rating == "xuat_sac", last=bang_khen_years, since=BANG_KHEN_TT)'

PERSON: dict[str, str] = {
    "task_rating": "tot", "months_worked": "12", "maternity_leave": "false",
    "training_under_year": "false", "is_head": "false", "initiatives_co_so": "0",
    "initiatives_tinh": "0", "initiatives_toan_quoc": "0", "projects_co_so": "0",
    "projects_tinh": "0", "projects_toan_quoc": "0", "industry_tasks": "0", "digital_pct": "80",
    "movements_joined": "2", "discipline": "khong", "ad_hoc_award": "false",
    "duty_injury": "false",
}
UNIT: dict[str, str] = {
    "task_rating": "tot", "target_completion_pct": "100", "projects_attracted": "0",
    "capital_mobilised_pct": "50", "online_docs_pct": "80", "movements_joined": "2",
    "models_replicated": "0", "late_reports": "0", "reports_missing": "0",
    "campaign_launched": "true", "pledge_signed": "true", "violations_found": "0",
    "award_received": "khong",
}
# A CSTĐCS year under rules/2024: LĐTT and "xuất sắc" (an initiative too, for good measure).
CSTDCS = {"task_rating": "xuat_sac", "initiatives_co_so": "1"}
PLAIN: dict[str, str] = {}
PROVINCIAL = {"initiatives_tinh": "1"}


def write_csv(path: Path, rows: Sequence[Mapping[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def score_year(tmp: Path, store: Path, year: int, units: Mapping[str, str],
               people: Mapping[str, tuple[str, Mapping[str, str]]]) -> Run:
    """Score one year: `units` id → rating, `people` id → (unit, values); store its output."""
    folder = tmp / "inputs" / str(year)
    write_csv(folder / "units.csv", [{"id": u, "name": f"Đơn vị {u}", "cluster": "K1",
                                      "year": str(year), **UNIT, "task_rating": rating}
                                     for u, rating in units.items()])
    write_csv(folder / "individuals.csv", [{"id": p, "name": f"Người {p}", "unit_id": unit,
                                            "year": str(year), **PERSON, **values}
                                           for p, (unit, values) in people.items()])
    store.mkdir(parents=True, exist_ok=True)
    r = run([folder], RULES, history=store)
    (store / f"{year}.json").write_bytes(render_json(r.result, {}))
    return r


def record(r: Run, rid: str) -> RecordResult:
    return next(x for x in (*r.result.individuals, *r.result.units) if x.id == rid)


def value(rec: RecordResult, name: str) -> tuple[D, tuple[int, ...]]:
    v = next(v for v in rec.history if v.name == name)
    return v.value, v.years


def prerequisite_detail(rec: RecordResult, title: str) -> str:
    d = next(d for d in rec.decisions if d.title == title)
    return "; ".join(p.detail for p in d.prerequisites if not p.met)


# ------------------------------------------------------------------------- the language


@pytest.mark.parametrize(("text", "name"), [
    ("consecutive_years(CSTDCS)", "consecutive_years(CSTDCS)"),
    ("consecutive_years( CSTDCS ,since = CSTD_TINH)", "consecutive_years(CSTDCS, since=CSTD_TINH)"),
    ("years_with(task_rating == 'xuat_sac', since=BK, last=2)",
     'years_with(task_rating == "xuat_sac", last=2, since=BK)'),
    ("count_initiatives()", "count_initiatives()"),
    ('count_initiatives(scope >= "tinh", last=n)', 'count_initiatives(scope >= "tinh", last=n)'),
])
def test_a_call_is_one_name_written_canonically(text: str, name: str) -> None:
    assert parse.parse(f"{text} >= 1") == expr.Compare(">=", expr.Name(name), expr.Lit(D(1)))


@pytest.mark.parametrize(("text", "message"), [
    ("consecutive_years()", "takes 1 positional argument(s), not 0"),
    ("years_with(a, b)", "takes 1 positional argument(s), not 2"),
    ("consecutive_years(X, last=2)", "has no keyword 'last'; keywords: since"),
    ("years_with(x, last=0)", "takes a whole number of at least 1 or a title"),
    ("years_with(x, last=2.5)", "takes a whole number of at least 1 or a title"),
    ("years_with(x, last=2, last=3)", "last= is given twice"),
    ("history(x)", "functions: abs, consecutive_years, count_initiatives, "
                   "every_criterion_at_least, max, min, present"),
])
def test_bad_calls_are_rule_errors(text: str, message: str) -> None:
    with pytest.raises(RuleError) as e:
        parse.parse(text, expr.Where("r.yaml:3", "T"))
    assert message in str(e.value) and "r.yaml:3" in str(e.value)


def mini(titles: list[dict[str, Any]], unit_titles: Sequence[dict[str, Any]] = ()) -> RuleSet:
    """A tiny rule set: a rating and initiative counts, LĐTT, CSTĐCS, and `titles`."""
    data = {
        "ruleset": "t", "year": 2024,
        "params": {"n": 3},
        "individual": {"inputs": {
            "task_rating": {"type": "enum", "label": "r", "values": ["xuat_sac", "tot"]},
            "initiatives_co_so": {"type": "int", "label": "c", "default": 0},
            "initiatives_tinh": {"type": "int", "label": "t", "default": 0}}},
        "unit": {"inputs": {"task_rating": {"type": "enum", "label": "r",
                                            "values": ["xuat_sac", "tot"]}}},
        "titles": [*titles, *unit_titles,
                   {"id": "LDTT", "label": "L", "of": "individual", "requires": ["true"]},
                   {"id": "CSTDCS", "label": "C", "of": "individual",
                    "requires": ["LDTT", 'task_rating == "xuat_sac"']}],
    }
    f = RuleFile.model_validate(data)
    return RuleSet(ruleset="t", year=2024, params=f.params,
                   individual=f.individual or KindRules(), unit=f.unit or KindRules(),
                   titles=f.titles)


def test_a_title_reading_a_chain_is_decided_after_the_chain_title() -> None:
    """CSTD_TINH is declared first but reads this year's CSTDCS: it is decided after it."""
    compiled = compile_ruleset(mini([{"id": "CSTD_TINH", "label": "T", "of": "individual",
                                      "requires": ["consecutive_years(CSTDCS) >= n"]}]))
    order = [t.spec.id for t in compiled.kind("individual").titles]
    assert order.index("CSTD_TINH") > order.index("CSTDCS")
    (q,) = compiled.history
    assert (q.kind, q.fn, q.title, q.field) == ("individual", "consecutive_years", "CSTDCS",
                                                "past.consecutive_years(CSTDCS)")
    rule = next(t for t in compiled.kind("individual").titles if t.spec.id == "CSTD_TINH")
    assert show.render_cond(rule.group.rules[0].cond) == (
        "(past.consecutive_years(CSTDCS) + 1) * (1 if CSTDCS else 0) >= 3")


@pytest.mark.parametrize(("requires", "message"), [
    (["consecutive_years(CSTDC) >= 3"], "is not a title of individuals (did you mean 'CSTDCS'?)"),
    (["consecutive_years(X, since=TT) >= 3"], "since=TT is not a title of individuals"),
    (["years_with(unit.task_rating == \"tot\", last=2) >= 1"], "not unit.task_rating"),
    (["years_with(task_rating == \"xuat_sak\", last=2) >= 1"], "did you mean 'xuat_sac'"),
    (["years_with(task_rating, last=2) >= 1"], "must be a condition"),
    (["years_with(CSTDCS, last=nope) >= 1"], "last=nope must be a whole number"),
    (['count_initiatives(scope >= "huyen") >= 1'], "'huyen' is not a scope"),
    (['count_initiatives(task_rating == "tot") >= 1'], "select scopes as scope >="),
])
def test_bad_history_calls_are_located_rule_errors(requires: list[str], message: str) -> None:
    with pytest.raises(RuleError) as e:
        compile_ruleset(mini([{"id": "T", "label": "T", "of": "individual",
                               "requires": requires}]))
    assert message in str(e.value), str(e.value)


def test_units_cannot_count_initiatives() -> None:
    with pytest.raises(RuleError, match="units cannot count them"):
        compile_ruleset(mini([], [{"id": "U", "label": "U", "of": "unit",
                                   "requires": ["count_initiatives(last=2) >= 1"]}]))


def test_count_initiatives_adds_this_years_declared_counts() -> None:
    compiled = compile_ruleset(mini([{"id": "T", "label": "T", "of": "individual",
                                      "requires": ['count_initiatives(scope >= "tinh", '
                                                   "last=2) >= 1"]}]))
    (q,) = compiled.history
    assert q.scopes == ("tinh", "toan_quoc")
    assert show.unparse(q.current) == "initiatives_tinh"  # the inputs this rule set declares


# ------------------------------------------------------------------- evaluating, by hand


def snap(rid: str, year: int, titles: Sequence[str] = (), kind: Any = "individual",
         declared: str = "", **values: Any) -> Snapshot:
    return Snapshot(kind, rid, year, rid, "U1", frozenset(titles), D(50), values, "test",
                    declared or rid)


def store(snaps: Sequence[Snapshot], initiatives: Sequence[PastInitiative] = ()) -> History:
    records: dict[Any, dict[int, tuple[Snapshot, ...]]] = {}
    for s in snaps:
        records.setdefault((s.kind, s.id), {})
        records[(s.kind, s.id)][s.year] = (*records[(s.kind, s.id)].get(s.year, ()), s)
    listed: dict[tuple[str, int], tuple[PastInitiative, ...]] = {}
    for i in initiatives:
        listed[(i.person, i.year)] = (*listed.get((i.person, i.year), ()), i)
    return History(records, listed)


def chain(title: str = "CSTDCS", since: str | None = None) -> Query:
    return Query("individual", "c", "consecutive_years", title=title, since=since)


def test_a_chain_counts_back_from_last_year_and_stops_at_a_gap_or_the_since_title() -> None:
    h = store([snap("P", 2020, ["CSTDCS"]), snap("P", 2021, ["CSTDCS", "CSTD_TINH"]),
               snap("P", 2022, ["CSTDCS"]), snap("P", 2023, ["CSTDCS"])])
    assert evaluate(chain(), h, "P", 2023, 2024) == (D(4), (2020, 2021, 2022, 2023))
    assert evaluate(chain(since="CSTD_TINH"), h, "P", 2023, 2024) == (D(2), (2022, 2023))
    gap = store([snap("P", 2021, ["CSTDCS"]), snap("P", 2023, ["CSTDCS"])])
    assert evaluate(chain(), gap, "P", 2023, 2024) == (D(1), (2023,))  # 2022 unknown: a gap
    assert evaluate(chain(), EMPTY, "P", 2023, 2024) == (D(0), ())


def test_years_with_reads_each_year_and_the_window() -> None:
    q = Query("individual", "y", "years_with",
              cond=normal.to_cond(parse.parse('task_rating == "xuat_sac"')), last=3)
    h = store([snap("P", y, task_rating=r) for y, r in
               ((2021, "xuat_sac"), (2022, "tot"), (2023, "xuat_sac"), (2024, "xuat_sac"))])
    # scoring 2025 with last=3: the past part is 2023 and 2024 (2025 is this year's record)
    assert evaluate(q, h, "P", 2024, 2025) == (D(2), (2023, 2024))


def test_initiatives_from_the_list_replace_a_years_counts_and_used_ones_do_not_count() -> None:
    q = Query("individual", "i", "count_initiatives", scopes=("co_so", "tinh", "toan_quoc"),
              last=3, unused_for="CSTDCS")
    h = store([snap("P", 2022, initiatives_co_so=D(1)), snap("P", 2023, initiatives_co_so=D(5))],
              [PastInitiative("P", 2023, "co_so", "QĐ 1", "", "CSTDCS", "t"),
               PastInitiative("P", 2023, "tinh", "QĐ 2", "", "", "t")])
    # 2022: 1 from the output; 2023: the list (2 rows, one used for CSTĐCS), not the 5
    assert evaluate(q, h, "P", 2023, 2024) == (D(2), (2022, 2023))


def test_merged_units_hold_a_title_only_if_all_held_it() -> None:
    q = Query("unit", "u", "consecutive_years", title="TTLDXS")
    both = store([snap("N", 2023, ["TTLDXS"], "unit", "A"), snap("N", 2023, ["TTLDXS"], "unit",
                                                                    "B")])
    one = store([snap("N", 2023, ["TTLDXS"], "unit", "A"), snap("N", 2023, [], "unit", "B")])
    assert evaluate(q, both, "N", 2023, 2024)[0] == 1
    assert evaluate(q, one, "N", 2023, 2024)[0] == 0


# ----------------------------------------------------------------- hand-worked, end to end


def test_a_chain_broken_by_one_year_is_not_a_chain(tmp_path: Path) -> None:
    """P1: CSTĐCS 2021, 2022, not 2023, then 2024, 2025 (provincial initiative in 2025): the
    chain in 2025 is two years. P2, CSTĐCS 2023–2025 with the same initiative, qualifies."""
    hist = tmp_path / "history"
    plan = {2021: (CSTDCS, PLAIN), 2022: (CSTDCS, PLAIN), 2023: (PLAIN, CSTDCS),
            2024: (CSTDCS, CSTDCS), 2025: ({**CSTDCS, **PROVINCIAL}, {**CSTDCS, **PROVINCIAL})}
    for year, (p1, p2) in plan.items():
        r = score_year(tmp_path, hist, year, {"U1": "tot"}, {"P1": ("U1", p1), "P2": ("U1", p2)})
    broken, kept = record(r, "P1"), record(r, "P2")
    assert "CSTDCS" in broken.titles and "CSTD_TINH" not in broken.titles
    assert value(broken, CHAIN) == (D(2), (2024, 2025))
    assert "was 2 >= 3" in prerequisite_detail(broken, "CSTD_TINH")
    assert "CSTD_TINH" in kept.titles
    assert value(kept, CHAIN) == (D(3), (2023, 2024, 2025))


def test_a_chain_follows_the_person_across_a_move(tmp_path: Path) -> None:
    hist = tmp_path / "history"
    for year, unit in ((2023, "U1"), (2024, "U2"), (2025, "U2")):
        values = {**CSTDCS, **(PROVINCIAL if year == 2025 else {})}
        r = score_year(tmp_path, hist, year, {"U1": "tot", "U2": "tot"},
                       {"P1": (unit, values), "P8": ("U1", PLAIN), "P9": ("U2", PLAIN)})
    p1 = record(r, "P1")
    assert p1.parent == "U2" and "CSTD_TINH" in p1.titles
    assert value(p1, CHAIN) == (D(3), (2023, 2024, 2025))
    h = load_history(hist, title_kinds(compile_folder(RULES).ruleset))
    assert [s[0].parent for s in h.of("individual", "P1").values()] == ["U1", "U2", "U2"]


def test_maternity_leave_in_the_middle_year_keeps_the_chain(tmp_path: Path) -> None:
    """In 2024 both work 5 months; P1 is on maternity leave, which counts as worked for LĐTT
    (and so CSTĐCS), P2 is a new hire under 6 months, who is not LĐTT: her chain breaks."""
    hist = tmp_path / "history"
    short = {"months_worked": "5"}
    for year in (2023, 2024, 2025):
        p1 = {**CSTDCS, **({**short, "maternity_leave": "true"} if year == 2024 else {})}
        p2 = {**CSTDCS, **(short if year == 2024 else {})}
        if year == 2025:
            p1, p2 = {**p1, **PROVINCIAL}, {**p2, **PROVINCIAL}
        r = score_year(tmp_path, hist, year, {"U1": "tot"}, {"P1": ("U1", p1), "P2": ("U1", p2)})
        if year == 2024:
            assert {"LDTT", "CSTDCS"} <= set(record(r, "P1").titles)  # the rules decide it
            assert "LDTT" not in record(r, "P2").titles
    assert "CSTD_TINH" in record(r, "P1").titles
    assert value(record(r, "P1"), CHAIN) == (D(3), (2023, 2024, 2025))
    assert value(record(r, "P2"), CHAIN) == (D(1), (2025,))
    assert "CSTD_TINH" not in record(r, "P2").titles


@pytest.mark.parametrize("with_alias", [True, False])
def test_a_renamed_unit_keeps_its_years_through_the_alias_table(tmp_path: Path,
                                                                with_alias: bool) -> None:
    """U-OLD is "xuất sắc" in 2023 and renamed U-NEW from 2024, "xuất sắc" again: two
    consecutive years, a Bằng khen for the unit, only if the alias is followed."""
    hist = tmp_path / "history"
    score_year(tmp_path, hist, 2023, {"U-OLD": "xuat_sac"}, {"P1": ("U-OLD", PLAIN)})
    if with_alias:
        write_csv(hist / "unit_aliases.csv", [{"old_id": "U-OLD", "new_id": "U-NEW",
                                               "from_year": "2024"}])
    r = score_year(tmp_path, hist, 2024, {"U-NEW": "xuat_sac"}, {"P1": ("U-NEW", PLAIN)})
    unit = record(r, "U-NEW")
    assert ("BANG_KHEN_TT" in unit.titles) is with_alias
    assert value(unit, UNIT_BK) == ((D(2), (2023, 2024)) if with_alias else (D(1), (2024,)))


def test_without_history_every_value_is_zero_and_scoring_goes_on(tmp_path: Path) -> None:
    r = run([Path("fixtures/quang-ngai-2021")])
    assert r.history is EMPTY
    assert not any("CSTD_TINH" in p.titles for p in r.result.individuals)
    holder = next(p for p in r.result.individuals if "CSTDCS" in p.titles)
    assert value(holder, CHAIN) == (D(1), (2021,))
    assert all(v.past == 0 for p in r.result.individuals for v in p.history)
    assert "was 1 >= 3" in prerequisite_detail(holder, "CSTD_TINH")


# ---------------------------------------------------------------------- the store's files


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


OUTPUT = '{"ruleset": {"year": 2021}, "individuals": [{"id": "P1", "name": "A", "unit": "U1", ' \
         '"titles": ["LDTT"], "score": 50, "inputs": {}}], "units": []}'


@pytest.mark.parametrize(("files", "where", "message"), [
    ({"2021.json": "{not json"}, "2021.json", "invalid JSON"),
    ({"2021.json": '{"individuals": []}'}, "2021.json", "'ruleset.year' is missing"),
    ({"2021.json": OUTPUT, "2021b.json": OUTPUT}, "2021b.json", "a second result for 2021"),
    ({"2021.json": OUTPUT.replace('["LDTT"]', '"LDTT"')}, "2021.json, individuals[0] (P1)",
     "'titles' must be a list"),
    ({"titles.csv": "id,year,title\nP1,2020,CSTDCS\n"}, "titles.csv, row 1",
     "required column 'decision' is missing"),
    ({"titles.csv": "id,year,title,decision\nP1,2020,CSTCS,QĐ 1\n"},
     "titles.csv, row 2, column 'title'",
     "unknown title 'CSTCS' (did you mean 'CSTDCS', Chiến sĩ thi đua cơ sở?)"),
    ({"titles.csv": "id,year,title,decision\nP1,20x0,CSTDCS,QĐ 1\n"},
     "titles.csv, row 2, column 'year'", "expected a year such as 2021"),
    ({"titles.csv": "id,year,title,decision\nP1,2020,CSTDCS,\n"},
     "titles.csv, row 2, column 'decision'", "the decision number is required"),
    ({"titles.csv": "id,year,title,decision,kind\nP1,2020,CSTDCS,QĐ 1,tập thể\n"},
     "titles.csv, row 2, column 'kind'", "CSTDCS is a title of individuals"),
    ({"initiatives.csv": "person_id,year,scope,decision\nP1,2020,Cấp huyện,QĐ 1\n"},
     "initiatives.csv, row 2, column 'scope'", "expected a scope of recognition"),
    ({"unit_aliases.csv": "old_id,new_id,from_year\nA,B,2022\nB,A,2023\n"},
     "unit_aliases.csv, row 2, column 'old_id'", "the renames form a cycle"),
    ({"unit_aliases.csv": "old_id,new_id,from_year\nU1,U2,2020\n",
      "2021.json": OUTPUT.replace('"units": []', '"units": [{"id": "U1", "titles": []}]')},
     "2021.json, units[0] (U1)", "'U1' is 'U2' from 2020"),
    ({"notes.csv": "a,b\n1,2\n"}, "notes.csv", "not a history sheet"),
])
def test_bad_history_files_are_located_input_errors(tmp_path: Path, files: dict[str, str],
                                                    where: str, message: str) -> None:
    for name, text in files.items():
        write(tmp_path / "h" / name, text)
    with pytest.raises(InputError) as e:
        load_history(tmp_path / "h", title_kinds(compile_folder(RULES).ruleset))
    found = [str(p) for p in e.value.problems]
    assert any(p.startswith(str(tmp_path / "h" / where)) and message in p for p in found), found


def test_a_bad_history_folder_exits_2_with_the_location(tmp_path: Path) -> None:
    write(tmp_path / "h" / "titles.csv", "Mã,Năm,Danh hiệu,Số quyết định\nP1,2020,CSTCS,QĐ 1\n")
    result = CliRunner().invoke(cli, ["score", "fixtures/quang-ngai-2021", "--history",
                                      str(tmp_path / "h"), "-q"])
    assert result.exit_code == 2
    assert "titles.csv, row 2, column 'Danh hiệu': unknown title 'CSTCS'" in result.output
    missing = CliRunner().invoke(cli, ["score", "fixtures/quang-ngai-2021", "--history",
                                       str(tmp_path / "none"), "-q"])
    assert missing.exit_code == 2 and "history folder not found" in missing.output


def test_hand_entered_titles_by_label_add_and_decline(tmp_path: Path) -> None:
    write(tmp_path / "h" / "2021.json", OUTPUT.replace('["LDTT"]', '["LDTT", "CSTD_TINH"]'))
    write(tmp_path / "h" / "titles.csv",
          "Mã;Năm;Danh hiệu;Số quyết định;Tình trạng\n"
          "P1;2020;Chiến sĩ thi đua cơ sở;QĐ 7;\n"
          "P1;2021;CSTD_TINH;CV 412;không công nhận\n")
    h = load_history(tmp_path / "h", title_kinds(compile_folder(RULES).ruleset))
    years = h.of("individual", "P1")
    assert years[2020][0].titles == {"CSTDCS"} and years[2021][0].titles == {"LDTT"}


@pytest.mark.parametrize("typed", [
    "Chiến sĩ thi đua cơ sở\u200b",  # a zero-width space pasted in
    "\u202bChiến sĩ thi đua cơ sở\u202c",  # a right-to-left embedding around it
    "Chiến sĩ thi đua сơ sở",  # a Cyrillic с
    "CHIẾN SĨ THI ĐUA CƠ SỞ", "cstdcs", "Chien si thi dua co so",
])
def test_a_title_typed_differently_in_a_hand_kept_sheet_is_the_title(tmp_path: Path,
                                                                       typed: str) -> None:
    write(tmp_path / "h" / "2021.json", OUTPUT)
    write(tmp_path / "h" / "titles.csv",
          f"Mã;Năm;Danh hiệu;Số quyết định\nP1;2020;{typed};QĐ 7\n")
    h = load_history(tmp_path / "h", title_kinds(compile_folder(RULES).ruleset))
    assert h.of("individual", "P1")[2020][0].titles == {"CSTDCS"}
    assert not h.warnings


# ----------------------------------------------------------------------- the fixture store


def read_json(path: Path) -> dict[str, Any]:
    return read_results(path.read_bytes(), str(path))


def independent_titles() -> dict[str, dict[int, set[str]]]:
    """Each person's titles per year, read straight from the fixture's files."""
    out: dict[str, dict[int, set[str]]] = {}
    for year in range(2021, 2026):
        for p in read_json(FIXTURE / f"{year}.json")["individuals"]:
            out.setdefault(p["id"], {})[year] = set(p["titles"])
    with (FIXTURE / "titles.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            held = out.setdefault(row["id"], {}).setdefault(int(row["year"]), set())
            if row["status"] == "không công nhận":
                held.discard(row["title"])
            else:
                held.add(row["title"])
    return out


def provincial(pid: str, year: int, inputs: Mapping[int, Mapping[str, Any]]) -> int:
    names = ("initiatives_tinh", "projects_tinh", "initiatives_toan_quoc", "projects_toan_quoc")
    return sum(int(inputs[year].get(n) or 0) for n in names) if year in inputs else 0


@pytest.fixture(scope="module")
def scored_2025() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["score", str(FIXTURE / "inputs" / "2025"), "--history",
                                      str(FIXTURE), "--format", "json", "-q"])
    assert result.exit_code == 0, result.output
    return read_results(result.stdout)


def test_scoring_2025_with_the_fixture_history_proposes_exactly_the_qualifying_chains(
        scored_2025: dict[str, Any]) -> None:
    """Expected: CSTĐCS in 2025, at least 3 consecutive years of it ending with 2025 after the
    last CSTĐ cấp tỉnh, and a provincial initiative in 2023–2025: computed from the files."""
    titles = independent_titles()
    inputs: dict[str, dict[int, dict[str, Any]]] = {}
    for year in (2023, 2024):
        for p in read_json(FIXTURE / f"{year}.json")["individuals"]:
            inputs.setdefault(p["id"], {})[year] = p["inputs"]
    expected = set()
    for p in scored_2025["individuals"]:
        if "CSTDCS" not in p["titles"]:
            continue
        years = titles.get(p["id"], {})
        floor = max((y for y, held in years.items() if y < 2025 and "CSTD_TINH" in held),
                    default=0)
        run_length, y = 1, 2024
        while y > floor and "CSTDCS" in years.get(y, set()):
            run_length, y = run_length + 1, y - 1
        mine = {**inputs.get(p["id"], {}), 2025: p["inputs"]}
        if run_length >= 3 and any(provincial(p["id"], y, mine) for y in (2023, 2024, 2025)):
            expected.add(p["id"])
    proposed = {p["id"] for p in scored_2025["individuals"] if "CSTD_TINH" in p["titles"]}
    assert proposed == expected and len(expected) >= 3
    # among them, one who moved between units and one on maternity leave in 2024
    by_id = {p["id"]: p for p in read_json(FIXTURE / "2023.json")["individuals"]}
    now = {p["id"]: p for p in scored_2025["individuals"]}
    assert any(by_id[i]["unit"] != now[i]["unit"] for i in proposed)
    assert any(inputs[i][2024]["maternity_leave"] for i in proposed)


def test_the_2025_json_records_the_years_that_counted(scored_2025: dict[str, Any]) -> None:
    for p in scored_2025["individuals"]:
        chain_value = next(h for h in p["history"] if h["name"] == CHAIN)
        assert chain_value["value"] == len(chain_value["years"])
        if "CSTD_TINH" in p["titles"]:
            assert chain_value["years"][-3:] == [2023, 2024, 2025]


def test_a_chain_broken_in_2023_in_the_fixture_is_not_proposed(
        scored_2025: dict[str, Any]) -> None:
    titles = independent_titles()
    broken = [p for p in scored_2025["individuals"]
              if all("CSTDCS" in titles[p["id"]].get(y, set()) for y in (2021, 2022, 2024, 2025))
              and "CSTDCS" not in titles[p["id"]].get(2023, set())]
    assert broken and not any("CSTD_TINH" in p["titles"] for p in broken)


@pytest.mark.parametrize("year", range(2021, 2026))
def test_the_fixture_outputs_are_reproduced_by_scoring_again(year: int) -> None:
    """Each year scored again with the whole store (later years are never read) gives the
    stored output; if not, the rules or the scorer changed: run fixtures/generate_history.py."""
    r = run([FIXTURE / "inputs" / str(year)], history=FIXTURE)
    fresh = read_results(render_json(r.result, {}))
    stored = read_json(FIXTURE / f"{year}.json")
    stale = "fixtures/history is stale: run python fixtures/generate_history.py"
    assert fresh["individuals"] == stored["individuals"], stale
    assert fresh["units"] == stored["units"], stale


def _store(folder: Path, format_1: Sequence[int]) -> History:
    """The fixture's store in `folder`, the outputs of the years `format_1` as written before
    format 2 (tests/history/v1 holds them: a store kept for years holds such files)."""
    folder.mkdir(exist_ok=True)
    for path in FIXTURE.glob("*.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    for year in range(2021, 2026):
        source = Path("tests/history/v1") if year in format_1 else FIXTURE
        (folder / f"{year}.json").write_bytes((source / f"{year}.json").read_bytes())
    return load_history(folder, title_kinds(compile_folder(RULES).ruleset))


@pytest.mark.parametrize("format_1", [range(2021, 2026), (2021, 2023, 2025), (2024,)])
def test_outputs_of_format_1_read_as_the_same_store(tmp_path: Path,
                                                    format_1: Sequence[int]) -> None:
    assert not any(b'"format"' in (Path("tests/history/v1") / f"{y}.json").read_bytes()[:20]
                   for y in format_1)
    old, new = _store(tmp_path / "h", format_1), _store(tmp_path / "h", ())
    assert (old.records, old.initiatives, old.aliases, old.warnings) == (
        new.records, new.initiatives, new.aliases, new.warnings)
    assert len(old.records) > 300


def test_a_broken_format_2_output_in_the_store_is_named(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    doc = json.loads((FIXTURE / "2021.json").read_text(encoding="utf-8"))
    doc["units"]["data"][0][doc["units"]["columns"].index("hits")] = [99_999]
    (store / "2021.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_history(store, title_kinds(compile_folder(RULES).ruleset))
    assert "2021.json: 'units' row 0, 'hits': 99999 is not a row number of 'hits'" in str(e.value)


def test_the_fixture_store_reads_the_pre_tool_titles_the_decline_and_the_rename() -> None:
    h = load_history(FIXTURE, title_kinds(compile_folder(RULES).ruleset))
    assert h.years() == (2019, 2020, 2021, 2022, 2023, 2024, 2025) and not h.warnings
    renamed = h.of("unit", "SCT-TMDT")
    assert sorted(renamed) == [2021, 2022, 2023, 2024, 2025]
    assert {renamed[y][0].declared_id for y in renamed} == {"SCT-QLTM", "SCT-TMDT"}
    assert not h.of("unit", "SCT-QLTM")


def test_history_values_agree_with_the_engines_decisions() -> None:
    """Rebuild each record's scope from its result and its history values: every title's
    prerequisite holds in it exactly when the engine said so."""
    r = run([FIXTURE / "inputs" / "2025"], history=FIXTURE)
    for rec in (*r.result.individuals, *r.result.units):
        ck = r.compiled.kind(rec.kind)
        scope = snapshot_of(rec, 2025).scope([t.spec.id for t in ck.titles])
        scope.update({v.field: v.past for v in rec.history})
        for t, d in zip(ck.titles, rec.decisions, strict=True):
            for rule, p in zip(t.group.rules, d.prerequisites, strict=True):
                assert holds(rule.cond, scope) == p.met, (rec.id, rule.key)


def test_the_engine_and_the_plain_evaluator_agree_with_history() -> None:
    a = run([FIXTURE / "inputs" / "2025"], history=FIXTURE, evaluator=Engine())
    b = run([FIXTURE / "inputs" / "2025"], history=FIXTURE, evaluator=ReferenceEvaluator())
    assert a.result.individuals == b.result.individuals and a.result.units == b.result.units


def test_cstd_toan_quoc_after_two_provincial_titles_paid_besides_the_year(tmp_path: Path
                                                                          ) -> None:
    """P1: CSTĐ tỉnh in 2020 (entered by hand), CSTĐCS 2021 and 2022, a nationwide initiative
    recognised in 2022, and CSTĐCS again in 2023: the chain since 2020 is 3 years → CSTĐ tỉnh
    2023; two CSTĐ tỉnh in the 6 years 2018–2023 and the nationwide initiative → CSTĐ toàn
    quốc. Rewards at 2,340,000 (rules/2024): the year's CSTĐCS 2,340,000 (LĐTT and Giấy khen
    not paid: same year), CSTĐ tỉnh 3.0 → 7,020,000 and CSTĐ toàn quốc 4.5 → 10,530,000, each
    for several years' work: 19,890,000 đồng."""
    store = tmp_path / "h"
    write(store / "titles.csv", "id,year,title,decision\nP1,2020,CSTD_TINH,QĐ 20\n"
                                "P1,2021,CSTDCS,QĐ 21\nP1,2022,CSTDCS,QĐ 22\n")
    write(store / "initiatives.csv", "person_id,year,scope,decision\nP1,2022,Toàn quốc,QĐ 9\n")
    r = score_year(tmp_path, store, 2023, {"U1": "tot"},
                   {"P1": ("U1", CSTDCS), "P2": ("U1", PLAIN), "P3": ("U1", PLAIN)})
    p1 = record(r, "P1")
    assert {"CSTDCS", "CSTD_TINH", "CSTD_TQ"} <= set(p1.titles)
    assert dict(p1.rewards) == {"CSTDCS": D(2_340_000), "CSTD_TINH": D(7_020_000),
                                "CSTD_TQ": D(10_530_000)}
    assert {u.title for u in p1.not_paid} == {"LDTT", "GIAY_KHEN"}
    assert p1.reward == D(19_890_000)
    assert "CSTD_TQ" not in record(r, "P2").titles
