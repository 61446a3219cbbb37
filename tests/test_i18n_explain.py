"""`scoring check`'s findings and `scoring explain`'s body speak the council's language:
Vietnamese by default, English with `--lang en`, the same facts in both."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from scoring.cli import cli

BROKEN = "tests/broken_rules"

# (broken rule set, the finding in Vietnamese, the same finding in English)
CHECK = [
    ("unreachable_band",
     "lỗi: [plan] mức 2 (`result_pct >= 90`) không bao giờ được áp dụng: mọi giá trị thuộc "
     "mức này đều đã khớp các mức trước: mức 1 (`result_pct >= 70`)",
     "error: [plan] band 2 (`result_pct >= 90`) is unreachable: earlier bands match every "
     "value it would: band 1 (`result_pct >= 70`)"),
    ("numeric_gap",
     "lỗi: [plan] không mức nào áp dụng cho result_pct trong [85, 90), nằm giữa các giá trị "
     "đã có mức",
     "error: [plan] no band covers result_pct in [85, 90), between values that are covered"),
    ("condition_never_holds",
     "lỗi: [overtime] điều kiện `months_worked > 12` không bao giờ đúng",
     "error: [overtime] the condition `months_worked > 12` can never hold"),
    ("title_never_met",
     "lỗi: [TRON_NAM] danh hiệu không bao giờ đạt được: `months_worked >= 13` không bao giờ "
     "đúng (months_worked luôn trong [0, 12])",
     "error: [TRON_NAM] the title can never be met: `months_worked >= 13` can never hold "
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
    assert findings[0]["severity"] == "error"  # the machine's word, not "lỗi"
    assert findings[0]["message"].startswith("không mức nào áp dụng cho result_pct")
