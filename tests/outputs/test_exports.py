"""Exports speak the council's language: the rule set's labels for titles, ratings, criteria and
scopes, `có`/`không`, amounts as `4.260.000 đ`, and never an internal name (`unit_id = …`,
`cluster = …`, `tot`, `CO_THI_DUA`, true/false); `scoring score --raw` keeps the codes for
scripts, and `verify` reproduces every form whatever language it runs in."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from scoring import read_results
from scoring.cli import cli
from scoring.evaluation.budget import reward_budget
from scoring.explanations.vocab import MONEY_FORMATS, Vocab, money, yes_no
from scoring.outputs.render import render
from scoring.run.app import Run, run

SAMPLE = Path("fixtures/quang-ngai-2026")
# What a person must never read in an export (the HTML breakdown's rule conditions, quoted as
# the rule set writes them, with their failing values, are left out: they are the rules' text).
INTERNAL = ("unit_id = ", "cluster = ", "CO_THI_DUA", "GIAY_KHEN", "(CSTDCS)", "(LDTT)")
CODES = ("xuat_sac", "hoan_thanh", "khong_hoan_thanh", "true", "false")


@pytest.fixture(scope="module")
def sample() -> Run:
    return run([SAMPLE])


def _manifest(lang: str, raw: bool = False) -> dict[str, Any]:
    options: dict[str, Any] = {"format": "csv"}
    if raw:
        options["raw"] = True
    if lang != "vi":
        options["lang"] = lang
    return {"tool": "scoring", "inputs": [], "options": options, "created": "2026-12-31T00:00:00Z"}


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(data[len(codecs.BOM_UTF8):].decode(), newline="")))


def _xlsx_strings(data: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [str(c) for ws in book.worksheets if ws.title != "Manifest"
            for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]


def _visible_html(data: bytes) -> str:
    """The text a reader sees: no tags, attributes or the rules' quoted conditions."""
    page = data.decode("utf-8")
    page = re.sub(r"<code>.*?</code>", "", page, flags=re.S)
    # The prerequisites' failing values are the rules' conditions too (labelled by #24's
    # condition labels, not by the exports).
    page = re.sub(r'<ul class="prereq">.*?</ul>', "", page, flags=re.S)
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def _holder(r: Run) -> Any:
    """A person with a paid reward, a rating from the rule set's enum and a false boolean."""
    return next(p for p in r.result.individuals
                if p.rewards and p.rating is not None and p.rating.final == "xuat_sac"
                and dict(p.inputs).get("maternity_leave") is False)


# (format, language, the yes word, the money as written)
CASES = [
    ("csv", "vi", "không", "2.340.000 đ"),
    ("csv", "en", "no", "2,340,000 VND"),
    ("table", "vi", None, "đ"),
    ("table", "en", None, "VND"),
    ("xlsx", "vi", None, None),
    ("xlsx", "en", None, None),
    ("html", "vi", "có", "đ"),
]


@pytest.mark.parametrize(("fmt", "lang", "word", "amount"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_export_shows_labels_words_and_money_never_codes(
        sample: Run, fmt: str, lang: str, word: str | None, amount: str | None) -> None:
    person = _holder(sample)
    manifest = {**_manifest(lang), "options": {**_manifest(lang)["options"], "format": fmt}}
    data = render(fmt, sample.result, manifest, sample.compiled)
    budget = reward_budget(sample.result)
    if fmt == "csv":
        rows = {row["Mã"]: row for row in _csv(data)}
        row = rows[person.id]
        assert row["Xếp loại"] == "Hoàn thành xuất sắc nhiệm vụ"  # the enum's label
        assert row[sample.result.labels["maternity_leave"]] == word
        assert row["Tiền thưởng được chi"] == money(person.reward, lang) == amount
        assert row["Loại"] == "cá nhân" and "Lao động tiên tiến" in row["Danh hiệu"]
        unit = next(u for u in sample.result.units if u.id == person.parent)
        assert row["Phạm vi xếp hạng"] == f"{unit.name} ({unit.id})"
        text = data.decode("utf-8-sig")
        cells = {c for r in rows.values() for c in r.values()} | set(row)
        assert not [c for c in cells if c in CODES]
    elif fmt == "table":
        text = data.decode("utf-8")
        assert "Lao động tiên tiến, cá nhân" in text
        assert f"Cộng  {money(budget.total, lang)}".replace("  ", " ") in re.sub(
            r" {2,}", " ", text)
        assert amount is not None and money(budget.total, lang).endswith(amount)
    elif fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data))
        details = list(book["Điểm chi tiết"].iter_rows())
        head = [c.value for c in details[0]]
        cell = next(r for r in details[1:] if r[1].value == person.id)[
            head.index("Tiền thưởng được chi")]
        assert cell.data_type == "n" and cell.value == person.reward  # a number Excel sums
        assert cell.number_format == MONEY_FORMATS[lang]
        assert "Lao động tiên tiến" in book.sheetnames
        text = "\n".join(_xlsx_strings(data))
        assert "Giấy khen của Giám đốc Sở cho tập thể" in text  # a unit's title, by its label
        assert not [s for s in _xlsx_strings(data) if s in CODES]
    else:
        text = _visible_html(data)
        assert "Lao động tiên tiến" in text and f"= {word}" in text
        assert "task_rating = Hoàn thành xuất sắc nhiệm vụ" in text  # a value read, labelled
        assert money(budget.total, lang) in text
    for name in INTERNAL:
        assert name not in text, (fmt, name)


@pytest.mark.parametrize(("amount", "lang", "shown"), [
    (Decimal(4_260_000), "vi", "4.260.000 đ"),
    (Decimal(4_260_000), "en", "4,260,000 VND"),
    (Decimal(0), "vi", "0 đ"),
    (Decimal(999), "vi", "999 đ"),
    (Decimal(1_234_567_890), "vi", "1.234.567.890 đ"),
    (Decimal("710000.4"), "vi", "710.000 đ"),
])
def test_money_as_readers_write_it(amount: Decimal, lang: str, shown: str) -> None:
    assert money(amount, lang) == shown


@pytest.mark.parametrize(("value", "lang", "shown"), [
    (True, "vi", "có"), (False, "vi", "không"), (True, "en", "yes"), (False, "en", "no"),
])
def test_yes_no_follow_the_language(value: bool, lang: str, shown: str) -> None:
    assert yes_no(value, lang) == shown


@pytest.mark.parametrize(("scope", "kind", "shown"), [
    ("unit_id = SCT-VP", "individual", "Văn phòng Sở (SCT-VP)"),
    ("unit = SCT-VP", "individual", "Văn phòng Sở (SCT-VP)"),
    ("unit_id = X-99", "individual", "X-99"),  # a unit not scored: its id
    ("cluster = Khối quản lý nhà nước", "unit", "Khối quản lý nhà nước"),
    ("all = all", "unit", "toàn bộ"),
    ("unit_id = SCT-VP, task_group = chung", "individual",
     "Văn phòng Sở (SCT-VP), Nhóm công chức có nhiệm vụ tương đồng: chung"),
    ("task_rating = tot", "individual",
     "Xếp loại chất lượng năm 2026 (khi không chấm điểm theo NĐ 335/2025): "
     "Hoàn thành tốt nhiệm vụ"),
])
def test_scopes_are_named_as_a_council_names_them(sample: Run, scope: str, kind: Any,
                                                  shown: str) -> None:
    assert Vocab.of(sample.result, sample.compiled).scope(scope, kind) == shown


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_raw_csv_round_trips_the_codes() -> None:
    """`--raw` writes the codes the JSON holds: rating, titles, ids, booleans as true/false."""
    raw = _invoke("score", str(SAMPLE), "-q", "--format", "csv", "--raw", "-o", "-")
    doc = _invoke("score", str(SAMPLE), "-q", "--format", "json", "-o", "-")
    assert raw.exit_code == doc.exit_code == 0, raw.output
    rows = {r["id"]: r for r in _csv(raw.stdout_bytes)}
    records = read_results(doc.stdout)
    people = records["individuals"] + records["units"]
    assert len(rows) == len(people)
    for p in people:
        row = rows[p["id"]]
        assert row["kind"] in ("individual", "unit")
        assert row["titles"] == ";".join(p["titles"])
        assert row["rank_scope"] == p["rank_scope"]
        for name, value in p["inputs"].items():
            if isinstance(value, bool):
                assert row[name] == ("true" if value else "false")
            elif isinstance(value, str):
                assert row[name] == value  # the code, never its label
    assert {r["rating"] for r in rows.values()} >= {"xuat_sac", "tot"}


def test_raw_is_for_the_csv() -> None:
    result = _invoke("score", str(SAMPLE), "-q", "--format", "json", "--raw", "-o", "-")
    assert result.exit_code == 2 and "--raw" in result.output


@pytest.mark.parametrize(("args", "lang"), [
    (("--raw",), "en"), ((), "en"), ((), "vi"),
])
def test_verify_reproduces_every_form_in_any_language(
        tmp_path: Path, args: tuple[str, ...], lang: str) -> None:
    """The CSV's form is in the manifest's options and the run's language in the manifest:
    `verify`, run in the other language, renders the same bytes."""
    out = tmp_path / "out"
    made = _invoke("--lang", lang, "score", str(SAMPLE), "-q", *args,
                   "-o", str(out / "r.csv"), "-o", str(out / "r.xlsx"))
    assert made.exit_code == 0, made.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"].get("raw", False) == bool(args)
    assert manifest["language"] == lang
    other = "vi" if lang == "en" else "en"
    checked = _invoke("--lang", other, "verify", str(out))
    assert checked.exit_code == 0, checked.output
    money_word = "VND" if lang == "en" else " đ"
    text = (out / "r.csv").read_text(encoding="utf-8-sig")
    assert (money_word in text) != bool(args)


def test_the_json_keeps_the_codes_in_every_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSON keeps the codes whatever the language; the texts a result carries (notes,
    warnings) are in the run's language, which the manifest records."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767139200")
    outputs = [_invoke("--lang", lang, "score", str(SAMPLE), "-q", "--format", "json", "-o", "-")
               for lang in ("vi", "en")]
    assert all(o.exit_code == 0 for o in outputs)
    docs = [read_results(o.stdout) for o in outputs]
    assert [d["manifest"]["language"] for d in docs] == ["vi", "en"]

    def codes(doc: dict[str, Any]) -> list[tuple[object, ...]]:
        return [(r["id"], r["score"], tuple(r["titles"]), (r.get("rating") or {}).get("final"))
                for r in (*doc["individuals"], *doc["units"])]

    assert codes(docs[0]) == codes(docs[1])
    assert {r["rating"]["final"] for r in docs[1]["individuals"] if r.get("rating")} >= {
        "xuat_sac"}


@pytest.mark.parametrize(("lang", "yes", "no"), [("vi", "có", "không"), ("en", "yes", "no")])
def test_a_workbook_says_yes_or_no_never_true_or_false(sample: Run, lang: str, yes: str,
                                                       no: str) -> None:
    from scoring.outputs.xlsxout import render_xlsx

    manifest = {"options": {"format": "xlsx", "allow_incomplete": False}, "sealed": True}
    data = render_xlsx(sample.result, manifest, Vocab.of(sample.result, sample.compiled, lang))
    book = openpyxl.load_workbook(io.BytesIO(data))
    rows = dict(book["Manifest"].iter_rows(min_row=2, values_only=True))
    assert (rows["sealed"], rows["options.allow_incomplete"]) == (yes, no)
    assert not any(isinstance(c, bool) for ws in book.worksheets
                   for row in ws.iter_rows(values_only=True) for c in row)
