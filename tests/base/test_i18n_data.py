"""The messages of history folders, `diff`, `review`, review rounds, `--stream` and rewards
(#23 part 1) in Vietnamese by default and in English with `--lang en`: the same problem, at
the same file, row and column, in either language."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring.cli import cli

MINI_RULES = "tests/rulesets/mini"
MINI_DATA = "tests/data/mini"


def _history(tmp: Path, text: str) -> list[str]:
    (tmp / "h").mkdir()
    (tmp / "h" / "titles.csv").write_text(text, encoding="utf-8")
    return ["score", "fixtures/quang-ngai-2021", "--history", str(tmp / "h"), "-q"]


def bad_title(tmp: Path) -> list[str]:
    return _history(tmp, "Mã,Năm,Danh hiệu,Số quyết định\nP1,2020,CSTCS,QĐ 1\n")


def bad_status(tmp: Path) -> list[str]:
    return _history(tmp, "Mã,Năm,Danh hiệu,Số quyết định,Tình trạng\n"
                         "P1,2020,CSTDCS,QĐ 1,chờ duyệt\n")


def bad_round(tmp: Path) -> list[str]:
    shutil.copytree("tests/data/rounds", tmp / "rounds")
    path = tmp / "rounds" / "rounds.csv"
    text = path.read_text(encoding="utf-8")
    assert "U1,movement,tu_cham,10," in text
    path.write_text(text.replace("U1,movement,tu_cham,10,", "U1,movement,tu_cham,11,", 1),
                    encoding="utf-8")
    return ["score", str(tmp / "rounds"), "--rules", "tests/rulesets/rounds", "-q"]


def bad_period(tmp: Path) -> list[str]:
    return ["review", "2025..2021", "--history", "fixtures/history"]


def no_units_streamed(tmp: Path) -> list[str]:
    (tmp / "in").mkdir()
    shutil.copy(Path(MINI_DATA) / "individuals.csv", tmp / "in")
    return ["score", str(tmp / "in"), "--rules", MINI_RULES, "--stream", "-o",
            str(tmp / "out.json")]


def bad_decision_date(tmp: Path) -> list[str]:
    return ["score", "fixtures/quang-ngai-2021", "--decision-date", "2020-13-01", "-q"]


def cluster_spelt_twice(tmp: Path) -> list[str]:
    (tmp / "in").mkdir()
    shutil.copy(Path(MINI_DATA) / "individuals.csv", tmp / "in")
    text = (Path(MINI_DATA) / "units.csv").read_text(encoding="utf-8")
    assert "U2,Phòng Hai,Khối A," in text
    (tmp / "in" / "units.csv").write_text(text.replace("U2,Phòng Hai,Khối A,",
                                                       "U2,Phòng Hai,khối A,"), encoding="utf-8")
    return ["score", str(tmp / "in"), "--rules", MINI_RULES, "-o", str(tmp / "out.json")]


def quota_halved(tmp: Path) -> list[str]:
    shutil.copytree(MINI_RULES, tmp / "after")
    path = tmp / "after" / "rules.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("  share: 0.5\n") == 1
    path.write_text(text.replace("  share: 0.5\n", "  share: 0.25\n"), encoding="utf-8")
    return ["diff", MINI_RULES, str(tmp / "after"), MINI_DATA]


CASES: list[tuple[Callable[[Path], list[str]], int, list[str], list[str]]] = [
    # (set-up giving the arguments, exit code, lines in English, the same lines in Vietnamese);
    # {tmp} is the test's folder.
    (bad_title, 2,
     ["error: {tmp}/h/titles.csv, row 2, column 'Danh hiệu': unknown title 'CSTCS' (did you "
      "mean 'CSTDCS', Chiến sĩ thi đua cơ sở?): write the title's id or its name as the rule "
      "set gives it"],
     ["lỗi: {tmp}/h/titles.csv, dòng 2, cột 'Danh hiệu': danh hiệu không xác định 'CSTCS' (có "
      "phải là 'CSTDCS', Chiến sĩ thi đua cơ sở?): hãy ghi mã danh hiệu hoặc tên danh hiệu "
      "đúng như trong bộ tiêu chí"]),
    (bad_status, 2,
     ["error: {tmp}/h/titles.csv, row 2, column 'Tình trạng': expected awarded (công nhận) or "
      "declined (không công nhận), found 'chờ duyệt'"],
     ["lỗi: {tmp}/h/titles.csv, dòng 2, cột 'Tình trạng': cần \"công nhận\" hoặc \"không công "
      "nhận\", nhưng ô chứa 'chờ duyệt'"]),
    (bad_round, 2,
     ["error: {tmp}/rounds/rounds.csv, row 2, column 'points': 11 is outside 0..10 for "
      "'movement'"],
     ["lỗi: {tmp}/rounds/rounds.csv, dòng 2, cột 'points': 11 nằm ngoài khoảng 0..10 của "
      "'movement'"]),
    (bad_period, 2,
     ["error: PERIOD: '2025..2021': the first year must not be after the last, and a period "
      "is at most 10 years"],
     ["lỗi: PERIOD: '2025..2021': năm đầu không được sau năm cuối, và một giai đoạn dài nhiều "
      "nhất 10 năm"]),
    (no_units_streamed, 2,
     ["error: no unit records: give a units file or sheet"],
     ["lỗi: không có hồ sơ đơn vị: hãy đưa tệp hoặc trang tính đơn vị"]),
    (bad_decision_date, 2,
     ["error: --decision-date: '2020-13-01' is not a date written YYYY-MM-DD"],
     ["lỗi: --decision-date: '2020-13-01' không phải ngày viết dạng YYYY-MM-DD"]),
    (cluster_spelt_twice, 0,
     ["warning: cluster: 'Khối A' ({tmp}/in/units.csv, row 2, column 'cluster') and 'khối A' "
      "({tmp}/in/units.csv, row 3, column 'cluster') differ only by case, spacing or tone "
      "placement: counted as one group, 'Khối A'"],
     ["cảnh báo: cụm thi đua: 'Khối A' ({tmp}/in/units.csv, dòng 2, cột 'cluster') và 'khối A' "
      "({tmp}/in/units.csv, dòng 3, cột 'cluster') chỉ khác nhau ở chữ hoa/thường, khoảng "
      "trắng hoặc vị trí dấu thanh: được tính là một nhóm, 'Khối A'"]),
    (quota_halved, 0,
     ["rules: tests/rulesets/mini → {tmp}/after", "changed param share",
      "effect on tests/data/mini (0 scores changed):", "titles:",
      "rank moves of 3 places or more:", "scores:"],
     ["bộ tiêu chí: tests/rulesets/mini → {tmp}/after", "sửa tham số share",
      "ảnh hưởng trên tests/data/mini (0 điểm số thay đổi):", "danh hiệu:",
      "thứ hạng thay đổi từ 3 bậc trở lên:", "điểm số:"]),
]


@pytest.mark.parametrize(("setup", "code", "en", "vi"), CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_the_same_message_in_both_languages(tmp_path: Path, setup: Callable[[Path], list[str]],
                                            code: int, en: list[str], vi: list[str]) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "vi").mkdir()
    english = CliRunner().invoke(cli, ["--lang", "en", *setup(tmp_path / "en")])
    vietnamese = CliRunner(env={"SCORING_LANG": None}).invoke(cli, setup(tmp_path / "vi"))
    for result, lines, folder in ((english, en, "en"), (vietnamese, vi, "vi")):
        assert result.exit_code == code, result.output
        shown = result.output.splitlines()
        for line in lines:
            assert line.format(tmp=tmp_path / folder) in shown, result.output


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("kind", "before → after", "individual", "yes → no")),
    ("vi", ("đối tượng", "trước → sau", "cá nhân", "có → không")),
])
def test_the_diff_tables_speak_the_language(tmp_path: Path, lang: str,
                                            words: tuple[str, ...]) -> None:
    """The titles table of the quota change: P1 loses BEST (mini data, see test_diff)."""
    result = CliRunner().invoke(cli, ["--lang", lang, *quota_halved(tmp_path)])
    assert result.exit_code == 0, result.output
    table = result.output.split("\n\n")[2]
    assert all(w in table for w in words), table
