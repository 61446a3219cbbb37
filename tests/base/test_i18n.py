"""Vietnamese by default, English on request (`--lang en`, SCORING_LANG=en): the catalogue is
complete for every message the sources mark, and the same error reads in either language."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from click.testing import CliRunner

from scoring.base.i18n import (
    LOCALE_DIR,
    _,
    catalogue,
    compile_catalogue,
    compiled_name,
    language,
    normalise,
    read_catalogue,
    set_language,
)
from scoring.cli import cli

ROOT = Path(__file__).resolve().parents[2]
PO = LOCALE_DIR / "vi" / "LC_MESSAGES" / "scoring.po"
FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z_0-9]*)[^{}]*\}")


def extracted() -> dict[str, str]:
    """msgid → `file:line` of every message the sources mark, as `pybabel extract` finds it."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, str] = {}
    for name, line, message, _comments, _context in extract_from_dir(
            str(ROOT / "src" / "scoring"), method_map, options_map,
            keywords={"_": None, "N_": None}):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, f"{name}:{line}")
    return found


def po_entries() -> dict[str, tuple[str, bool]]:
    with PO.open("rb") as f:
        cat = read_po(f, locale="vi", domain="scoring")
    return {m.id: (m.string, m.fuzzy) for m in cat if m.id and isinstance(m.id, str)}


def test_every_message_has_a_translation() -> None:
    sources, po = extracted(), po_entries()
    assert len(sources) > 10  # the extraction found the marked messages
    untranslated = [f"{where}: {msgid!r}" for msgid, where in sorted(sources.items())
                    if not po.get(msgid, ("", False))[0] or po[msgid][1]]
    assert not untranslated, (
        "messages without a Vietnamese translation (run pybabel extract/update as in "
        "babel.cfg, then translate in scoring.po):\n" + "\n".join(untranslated))


def test_no_translation_left_without_its_message() -> None:
    stale = sorted(set(po_entries()) - set(extracted()))
    assert not stale, f"scoring.po holds messages no source marks any more: {stale[:10]}"


def test_translations_use_only_known_placeholders() -> None:
    """A placeholder the English text does not have would fail at run time; one left out is
    allowed where Vietnamese says it otherwise."""
    wrong = [msgid for msgid, (text, _f) in po_entries().items()
             if text and not set(FIELD.findall(text)) <= set(FIELD.findall(msgid))]
    assert not wrong, f"placeholders the English text does not have: {wrong[:10]}"


@pytest.mark.parametrize("msgid", ["wrote {files} ({individuals} individuals, {units} units)",
                                   "cannot tell the format from '.{ext}'; give --format"])
def test_translations_keep_their_placeholders(msgid: str) -> None:
    assert sorted(FIELD.findall(po_entries()[msgid][0])) == sorted(FIELD.findall(msgid))


def test_catalogue_is_read() -> None:
    assert catalogue("vi")["error: {problem}"] == "lỗi: {problem}"


def test_the_compiled_catalogue_is_the_po_and_never_an_older_one(tmp_path: Path) -> None:
    """The build's `.mo` holds what the `.po` says; once the `.po` is edited, that `.mo` is not
    read (it is named for the old text) and the edit shows at once."""
    shutil.copy(PO, tmp_path / "scoring.po")
    from_po = read_catalogue(tmp_path, "vi")
    mo = compile_catalogue(tmp_path, "vi")
    assert mo.name == compiled_name(PO.read_bytes())
    assert read_catalogue(tmp_path, "vi") == from_po == catalogue("vi")
    edited = PO.read_text(encoding="utf-8").replace('msgstr "lỗi: {problem}"',
                                                    'msgstr "LỖI: {problem}"')
    (tmp_path / "scoring.po").write_text(edited, encoding="utf-8")
    assert mo.is_file()
    assert read_catalogue(tmp_path, "vi")["error: {problem}"] == "LỖI: {problem}"
    assert compile_catalogue(tmp_path, "vi") != mo and not mo.exists()  # one .mo, the new one


@pytest.mark.parametrize(("value", "expected"), [
    ("en", "en"), ("EN", "en"), ("en_US.UTF-8", "en"), ("vi", "vi"), ("vi_VN", "vi"),
    ("fr", None), ("", None), (None, None),
])
def test_normalise(value: str | None, expected: str | None) -> None:
    assert normalise(value) == expected


@pytest.mark.parametrize(("env", "chosen", "expected"), [
    (None, None, "vi"),       # Vietnamese by default
    ("en", None, "en"),       # SCORING_LANG=en
    ("fr", None, "vi"),       # an unknown language: the default
    ("en", "vi", "vi"),       # --lang wins over the environment
    (None, "en", "en"),
])
def test_language_choice(monkeypatch: pytest.MonkeyPatch, env: str | None, chosen: str | None,
                         expected: str) -> None:
    if env is None:
        monkeypatch.delenv("SCORING_LANG", raising=False)
    else:
        monkeypatch.setenv("SCORING_LANG", env)
    set_language(chosen)
    assert language() == expected
    assert _("error: {problem}") == {"vi": "lỗi: {problem}", "en": "error: {problem}"}[expected]


NO_FORMAT = ["score", "fixtures/quang-ngai-2021", "-o", "out/x.pdf"]
SAME_ERROR = [  # (environment SCORING_LANG, arguments, the line on stderr)
    (None, NO_FORMAT,
     "lỗi: out/x.pdf: không xác định được định dạng từ đuôi '.pdf'; hãy dùng --format"),
    ("en", NO_FORMAT,
     "error: out/x.pdf: cannot tell the format from '.pdf'; give --format"),
    (None, ["--lang", "en", *NO_FORMAT],
     "error: out/x.pdf: cannot tell the format from '.pdf'; give --format"),
    ("en", ["--lang", "vi", *NO_FORMAT],
     "lỗi: out/x.pdf: không xác định được định dạng từ đuôi '.pdf'; hãy dùng --format"),
    (None, ["score", "no-such-folder"], "lỗi: no-such-folder: không có tệp hoặc thư mục này"),
    ("en", ["score", "no-such-folder"], "error: no-such-folder: no such file or folder"),
    (None, ["score"], "Lỗi: Thiếu đối số 'INPUTS...'."),  # click's own words
    ("en", ["score"], "Error: Missing argument 'INPUTS...'."),
]


@pytest.mark.parametrize(("env", "args", "line"), SAME_ERROR)
def test_same_error_in_both_languages(monkeypatch: pytest.MonkeyPatch, env: str | None,
                                      args: list[str], line: str) -> None:
    if env is None:
        monkeypatch.delenv("SCORING_LANG", raising=False)
    result = CliRunner(env={"SCORING_LANG": env}).invoke(cli, args)
    assert result.exit_code == 2
    assert line in result.stderr.splitlines()


HELP = [  # (arguments, a line of the help in Vietnamese, the same in English)
    (["--help"], "Chấm điểm hồ sơ thi đua, khen thưởng theo bộ tiêu chí của từng năm.",
     "Score emulation and commendation submissions against a year's rule set."),
    (["score", "--help"], "Ví dụ:", "Examples:"),
    (["score", "--help"], "Cách dùng: ", "Usage: "),
    (["score", "--help"], "Ghi đè các tệp kết quả đã có.", "Overwrite existing output files."),
]


@pytest.mark.parametrize(("args", "vi", "en"), HELP)
def test_help_in_both_languages(args: list[str], vi: str, en: str) -> None:
    shown_vi = CliRunner(env={"SCORING_LANG": None}).invoke(cli, args).output
    shown_en = CliRunner().invoke(cli, ["--lang", "en", *args]).output
    assert vi in shown_vi and en not in shown_vi
    assert en in shown_en and vi not in shown_en


@pytest.mark.parametrize(("lang", "start", "words"), [
    ("vi", "đã ghi ", ("cá nhân", "đơn vị")),
    ("en", "wrote ", ("individuals", "units")),
])
def test_wrote_line_in_both_languages(tmp_path: Path, lang: str, start: str,
                                      words: tuple[str, ...]) -> None:
    target = tmp_path / "out" / "results.json"
    result = CliRunner().invoke(cli, ["--lang", lang, "score", "tests/data/mini",
                                      "--rules", "tests/rulesets/mini", "-o", str(target)])
    assert result.exit_code == 0, result.output
    line = result.stderr.splitlines()[-1]
    assert line.startswith(start + str(target)) and all(w in line for w in words), line


BAD = "tests/bad_inputs/cases"
INPUT_ERRORS = [  # (case folder, English line, Vietnamese line): file, row, column in both
    ("int_not_a_number",
     "error: individuals.csv, row 2, column 'months_worked': expected a number "
     "(found 'mười hai')",
     "lỗi: individuals.csv, dòng 2, cột 'months_worked': cần một số (gặp 'mười hai')"),
    ("int_with_decimals",
     "error: individuals.csv, row 3, column 'months_worked': expected a whole number "
     "(found '9.5')",
     "lỗi: individuals.csv, dòng 3, cột 'months_worked': cần một số nguyên (gặp '9.5')"),
]


@pytest.mark.parametrize(("case", "en", "vi"), INPUT_ERRORS)
def test_input_error_in_both_languages(monkeypatch: pytest.MonkeyPatch, case: str, en: str,
                                       vi: str) -> None:
    monkeypatch.chdir(ROOT / BAD / case)
    args = ["score", ".", "--rules", str(ROOT / "tests/rulesets/mini")]
    english = CliRunner().invoke(cli, ["--lang", "en", *args])
    vietnamese = CliRunner(env={"SCORING_LANG": None}).invoke(cli, args)
    assert english.exit_code == vietnamese.exit_code == 2
    assert en in english.stderr.splitlines()
    assert vi in vietnamese.stderr.splitlines()


SUMMARIES = [  # (arguments, the last line in Vietnamese, in English)
    (["test", "rules/2021"], r"\d+ đạt, 0 không đạt", r"\d+ passed, 0 failed"),
    (["check", "rules/2021"], r"\d+ lỗi, \d+ cảnh báo", r"\d+ errors?, \d+ warnings?"),
]


@pytest.mark.parametrize(("args", "vi", "en"), SUMMARIES)
def test_summaries_in_both_languages(args: list[str], vi: str, en: str) -> None:
    shown_vi = CliRunner(env={"SCORING_LANG": None}).invoke(cli, args).output.splitlines()[-1]
    shown_en = CliRunner().invoke(cli, ["--lang", "en", *args]).output.splitlines()[-1]
    assert re.fullmatch(vi, shown_vi), shown_vi
    assert re.fullmatch(en, shown_en), shown_en


EXPLAIN = ["explain", "fixtures/quang-ngai-2021", "bui tan thinh"]


@pytest.mark.parametrize(("lang", "lines"), [
    ("vi", ["Giải thích: Bùi Tấn Thịnh (CN0014)", "Danh hiệu: LDTT Lao động tiên tiến, "
            "CSTDCS Chiến sĩ thi đua cơ sở"]),
    ("en", ["Explanation: Bùi Tấn Thịnh (CN0014)", "Titles: LDTT Lao động tiên tiến, "
            "CSTDCS Chiến sĩ thi đua cơ sở"]),
])
def test_explain_in_both_languages(lang: str, lines: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--lang", lang, *EXPLAIN])
    assert result.exit_code == 0, result.output
    shown = result.stdout.splitlines()
    assert all(line in shown for line in lines), shown[:8]
