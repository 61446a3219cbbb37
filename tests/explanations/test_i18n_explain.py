"""`scoring check`'s findings and `scoring explain`'s body speak the council's language:
Vietnamese by default, English with `--lang en`, the same facts in both."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from click.testing import CliRunner

from scoring.cli import cli

BROKEN = "tests/checks/broken_rules"

# (broken rule set, the finding in Vietnamese, the same finding in English)
CHECK = [
    ("unreachable_band",
     "cảnh báo: [plan] mức 2 (`result_pct >= 90`) không bao giờ được áp dụng: mọi giá trị thuộc "
     "mức này đều đã khớp các mức trước: mức 1 (`result_pct >= 70`)",
     "warning: [plan] band 2 (`result_pct >= 90`) is unreachable: earlier bands match every "
     "value it would: band 1 (`result_pct >= 70`)"),
    ("numeric_gap",
     "cảnh báo: [plan] không mức nào áp dụng cho result_pct trong [85, 90), nằm giữa các giá trị "
     "đã có mức",
     "warning: [plan] no band covers result_pct in [85, 90), between values that are covered"),
    ("condition_never_holds",
     "cảnh báo: [overtime] điều kiện `months_worked > 12` không bao giờ đúng",
     "warning: [overtime] the condition `months_worked > 12` can never hold"),
    ("title_never_met",
     "cảnh báo: [TRON_NAM] danh hiệu không bao giờ đạt được: `months_worked >= 13` không bao giờ "
     "đúng (months_worked luôn trong [0, 12])",
     "warning: [TRON_NAM] the title can never be met: `months_worked >= 13` can never hold "
     "(months_worked is always in [0, 12])"),
    ("formula_above_max",
     "cảnh báo: [init] công thức `10 * initiatives` có thể lên tới 50 (initiatives trong "
     "[0, 5]), vượt mức tối đa 30: phần vượt bị cắt theo mức tối đa",
     "warning: [init] the formula `10 * initiatives` can reach 50 (initiatives in [0, 5]), "
     "above the maximum 30: the excess is capped"),
]


def _finding(output: str, case: str) -> str:
    """The text of the finding line (after `file:line: `) of the broken rule set `case`."""
    lines = [line for line in output.splitlines() if line.startswith(f"{BROKEN}/{case}/")]
    assert len(lines) == 1, output
    return lines[0].split(": ", 1)[1]


@pytest.mark.parametrize(("case", "vi", "en"), CHECK)
def test_check_finding_in_both_languages(case: str, vi: str, en: str) -> None:
    folder = f"{BROKEN}/{case}"
    vietnamese = CliRunner(env={"SCORING_LANG": None}).invoke(cli, ["check", folder])
    english = CliRunner().invoke(cli, ["--lang", "en", "check", folder])
    assert vietnamese.exit_code == english.exit_code
    assert _finding(vietnamese.output, case) == vi
    assert _finding(english.output, case) == en


def test_check_json_keeps_its_keys_in_vietnamese() -> None:
    folder = f"{BROKEN}/numeric_gap"
    shown = CliRunner(env={"SCORING_LANG": None}).invoke(
        cli, ["check", folder, "--format", "json"])
    data = json.loads(shown.stdout)
    findings = data if isinstance(data, list) else data["findings"]
    assert {"severity", "where", "rule", "message"} <= set(findings[0])
    assert findings[0]["severity"] == "warning"  # the machine's word, not "cảnh báo"
    assert findings[0]["message"].startswith("không mức nào áp dụng cho result_pct")


RULES_2021 = ["fixtures/quang-ngai-2021"]
RATINGS = ["tests/data/ratings", "--rules", "tests/rulesets/ratings"]
PERSON = [*RULES_2021, "bui tan thinh"]
UNIT = [*RULES_2021, "DN-CKST"]
CAPPED = [*RATINGS, "X01"]

# (explain's arguments, lines of its body in Vietnamese, the same lines in English)
EXPLAIN = [
    (PERSON,  # a criterion: its band, the band above it not reached
     ["- task Mức độ hoàn thành nhiệm vụ [Hoàn thành tốt nhiệm vụ]: 30 điểm (tối đa 40)",
      '    quy tắc individual.criteria.task[1]: mức 2: khi task_rating == "tot" → 30',
      "    giá trị đã đọc: task_rating = tot (Hoàn thành tốt nhiệm vụ)"],
     ["- task Mức độ hoàn thành nhiệm vụ [Hoàn thành tốt nhiệm vụ]: 30 of 40 points",
      '    rule individual.criteria.task[1]: band 2: when task_rating == "tot" → 30',
      "    read: task_rating = tot (Hoàn thành tốt nhiệm vụ)"]),
    (PERSON,  # titles: awarded, not awarded, the quota in words
     ["- LDTT Lao động tiên tiến: đạt",
      "- GIAY_KHEN Giấy khen của Giám đốc Sở cho cá nhân (thành tích năm): không đạt: 1 trong "
      "2 điều kiện chưa đạt",
      "    hạn mức: xếp thứ 37 trong 45 ứng viên đề nghị CSTDCS tại toàn bộ, theo thứ tự "
      "điểm (cao trước), rồi đến name, rồi đến id; 37 suất (15% của 249 hồ sơ đạt LDTT = "
      "37.35, làm tròn xuống); trong hạn mức"],
     ["- LDTT Lao động tiên tiến: awarded",
      "- GIAY_KHEN Giấy khen của Giám đốc Sở cho cá nhân (thành tích năm): not awarded: 1 of 2 "
      "prerequisites not met",
      "    quota: ranked 37th of 45 candidates for CSTDCS in all by score (highest first), "
      "then name, then id; 37 places (15% of 249 LDTT holders = 37.35, rounded down); within "
      "the quota"]),
    (PERSON,  # the reward, as a Vietnamese reader writes money
     ["- CSTDCS Chiến sĩ thi đua cơ sở: được thưởng 1.490.000 đ"],
     ["- CSTDCS Chiến sĩ thi đua cơ sở: 1,490,000 paid"]),
    (PERSON,  # a near miss, checked by scoring again
     ["- task_rating (Xếp loại mức độ hoàn thành nhiệm vụ năm 2021) tot (Hoàn thành tốt nhiệm "
      "vụ) → xuat_sac (Hoàn thành xuất sắc nhiệm vụ), để đạt điều kiện GIAY_KHEN "
      '(task_rating == "xuat_sac")',
      '    làm cho task_rating == "xuat_sac" đúng',
      "    đã kiểm tra bằng cách chấm lại: điểm 58 → 68 (+10); được thêm GIAY_KHEN"],
     ["- task_rating (Xếp loại mức độ hoàn thành nhiệm vụ năm 2021) tot (Hoàn thành tốt nhiệm "
      "vụ) → xuat_sac (Hoàn thành xuất sắc nhiệm vụ), to meet GIAY_KHEN "
      '(task_rating == "xuat_sac")',
      '    makes task_rating == "xuat_sac" hold',
      "    checked by scoring again: score 58 → 68 (+10); gains GIAY_KHEN"]),
    (UNIT,  # a unit's aggregates and what no input of its own can close
     ["- share_ldtt (Tỷ lệ cá nhân đạt Lao động tiên tiến) = 23/38 = 60.53%",
      "    không được tính, bị loại do hạn mức (37 suất tại all = all): Nguyễn Thị Minh Oanh "
      "(CN0027)",
      "- để đạt điều kiện TTLDXS (share_ldtt >= ttldxs_min_share_ldtt): share_ldtt >= 0.7 cần "
      "thêm 4 cá nhân được tính (27/38 = 71.05%; hiện có 23/38): xem số liệu tổng hợp từ các "
      "cá nhân",
      "- để đạt điều kiện CO_THI_DUA (score >= co_thi_dua_min_score): score >= 85: hiện là 38, "
      "cần thêm 47"],
     ["- share_ldtt (Tỷ lệ cá nhân đạt Lao động tiên tiến) = 23 of 38 = 60.53%",
      "    not counted, cut by the quota (37 places in all = all): Nguyễn Thị Minh Oanh (CN0027)",
      "- to meet TTLDXS (share_ldtt >= ttldxs_min_share_ldtt): share_ldtt >= 0.7 needs 4 more "
      "members counted (27 of 38 = 71.05%; now 23 of 38): see the aggregates of members",
      "- to meet CO_THI_DUA (score >= co_thi_dua_min_score): score >= 85 was 38: 47 more "
      "needed"]),
    (CAPPED,  # a rating moved down by the cap, with its arithmetic
     ["- kết quả cuối cùng: tot (Hoàn thành tốt nhiệm vụ)",
      "    trần: 20% của 11 'tot' = 2.2 → 2 suất (làm tròn xuống)",
      "    xếp thứ 3 cho 2 suất tại Phòng Một (U1), Nhóm nhiệm vụ: chung (tỷ lệ đã khai báo)",
      "    bị chuyển xuống tot (Hoàn thành tốt nhiệm vụ) do trần"],
     ["- final: tot (Hoàn thành tốt nhiệm vụ)",
      "    cap: 20% of 11 'tot' = 2.2 → 2 places (rounded down)",
      "    ranked 3rd for the 2 places in Phòng Một (U1), Nhóm nhiệm vụ: chung (declared share)",
      "    moved down to tot (Hoàn thành tốt nhiệm vụ) by the cap"]),
]


def _explain(args: list[str], lang: str | None) -> str:
    return _explained(tuple(args), lang)


@cache
def _explained(args: tuple[str, ...], lang: str | None) -> str:
    """`scoring [--lang LANG] explain ARGS`'s output, run once per test session (each run
    scores the batch again for every near miss)."""
    runner = CliRunner(env={"SCORING_LANG": None})
    result = runner.invoke(cli, [*(["--lang", lang] if lang else []), "explain", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(("args", "vi", "en"), EXPLAIN)
def test_explain_body_in_both_languages(args: list[str], vi: list[str], en: list[str]) -> None:
    shown_vi, shown_en = _explain(args, None).splitlines(), _explain(args, "en").splitlines()
    assert [line for line in vi if line not in shown_vi] == []
    assert [line for line in en if line not in shown_en] == []


# English framing words of the explanation's own lines (criteria, rating, gates, titles,
# quotas, aggregates, near misses): none is left in the Vietnamese text. (Names of the rule set,
# such as an aggregate `members` or an input `task_points`, are not words to translate.)
ENGLISH = [r"\d points\b", r"\bpoints:", r"\bband \d", r"\brule (individual|unit)\.",
           r"\bread:", r"\bawarded\b", r"\bprerequisites?\b", r"\bquota\b", r"\branked\b",
           r"\d places?\b", r"\bcounted\b", r"\d members\b", r"checked by scoring",
           r"\bmakes \w", r"\bnot applied\b", r"\bdid not fire\b", r"\bcut line\b",
           r"\bto (meet|reach|earn)\b", r"\bfinal:", r"\bcap:", r"\(blank\)"]


@pytest.mark.parametrize("args", [PERSON, UNIT, CAPPED])
def test_no_english_framing_left_in_vietnamese(args: list[str]) -> None:
    shown = _explain(args, None)
    assert [w for w in ENGLISH if re.search(w, shown)] == []
    assert [w for w in ENGLISH if re.search(w, _explain(args, "en"))]  # the words are English


@pytest.mark.parametrize("args", [PERSON, UNIT])
def test_explain_json_keeps_its_keys_and_numbers(args: list[str]) -> None:
    def shape(data: object) -> object:
        """The JSON with every text replaced by its type: keys, numbers and structure."""
        if isinstance(data, dict):
            return {k: shape(v) for k, v in data.items()}
        if isinstance(data, list):
            return [shape(v) for v in data]
        return "text" if isinstance(data, str) else data

    vi = json.loads(_explain([*args, "--format", "json"], None))
    en = json.loads(_explain([*args, "--format", "json"], "en"))
    assert shape(vi) == shape(en)
    assert vi["score"] == en["score"] and vi["explanation"]["total"] == en["explanation"]["total"]
    assert vi["explanation"]["criteria"][0]["how"] != en["explanation"]["criteria"][0]["how"]
