"""`scoring verify`: a fresh output folder reproduces; an edited input or output is named."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from scoring import read_results
from scoring.base.errors import UsageError
from scoring.checks.verify import read_manifest, verify_folder
from scoring.cli import cli
from scoring.outputs.jsonout import dumps_indented
from scoring.outputs.manifest import manifest_bytes

MINI_RULES = Path("tests/rulesets/mini")
QN = Path("fixtures/quang-ngai-2021")


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def scored_folder(tmp_path: Path, name: str = "results.json",
                  rules: Path | None = MINI_RULES) -> tuple[Path, Path]:
    """A copy of the mini data scored into tmp/out/NAME; returns (data, out)."""
    data = tmp_path / "data"
    shutil.copytree(Path("tests/data/mini"), data)
    out = tmp_path / "out"
    out.mkdir()
    args = ["score", str(data), "-o", str(out / name)]
    if rules is not None:
        args += ["--rules", str(rules)]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return data, out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_fresh_output_verifies(tmp_path: Path) -> None:
    _, out = scored_folder(tmp_path)
    result = invoke("verify", str(out))
    assert result.exit_code == 0, result.output
    assert "identical" in result.output


def test_the_creation_time_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = scored_folder(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    assert invoke("verify", str(out)).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["created"] = "2030-01-01T00:00:00Z"
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    assert invoke("verify", str(out)).exit_code == 0


def test_an_edited_input_names_the_file_and_the_records(tmp_path: Path) -> None:
    data, out = scored_folder(tmp_path)
    edit(data / "individuals.csv", "P3,Lê Văn Cường,U1,tot,9,", "P3,Lê Văn Cường,U1,tot,10,")
    result = invoke("verify", str(out))
    assert result.exit_code == 1, result.output
    assert f"input {data / 'individuals.csv'} changed since the run: sha256 " in result.output
    assert "results.json differs from a fresh run" in result.output
    assert "individual P3 Lê Văn Cường: titles none → LDTT" in result.output
    assert "individual P2 Trần Thị Bình: titles LDTT → LDTT, BEST" in result.output
    assert "unit U1 Phòng Một: score 100 → 105" in result.output
    assert "individual P1" not in result.output


def test_an_edited_output_names_the_record(tmp_path: Path) -> None:
    _, out = scored_folder(tmp_path)
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    people = doc["individuals"]
    people["data"][2][people["columns"].index("score")] = 99
    (out / "results.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                                      encoding="utf-8")
    result = invoke("verify", str(out))
    assert result.exit_code == 1
    assert "changed since the run" not in result.output
    assert f"individual {people['data'][2][0]}" in result.output
    assert "score 99 → " in result.output


def _as_format_1(out: Path) -> dict[str, Any]:
    """Rewrite a folder as a run before format 2 wrote it: the output in format 1, the
    manifests (embedded and beside it) without `json_format`; returns the output's data."""
    data = read_results((out / "results.json").read_bytes())
    del data["manifest"]["json_format"]
    text = (dumps_indented(data) + "\n").encode("utf-8")
    (out / "results.json").write_bytes(text)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest["json_format"]
    manifest["outputs"] = [{"path": "results.json", "sha256": hashlib.sha256(text).hexdigest(),
                            "bytes": len(text)}]
    (out / "manifest.json").write_bytes(manifest_bytes(manifest))
    return data


def test_a_folder_written_in_format_1_still_verifies(tmp_path: Path) -> None:
    _, out = scored_folder(tmp_path)
    data = _as_format_1(out)
    assert "format" not in json.loads((out / "results.json").read_text(encoding="utf-8"))
    result = invoke("verify", str(out))
    assert result.exit_code == 0, result.output
    data["units"][0]["score"] = 105
    (out / "results.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                                      encoding="utf-8")
    result = invoke("verify", str(out))
    assert result.exit_code == 1
    assert "unit U1 Phòng Một: score 105 → 100" in result.output


def test_an_output_whose_row_numbers_are_broken_is_said_so(tmp_path: Path) -> None:
    _, out = scored_folder(tmp_path)
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    people = doc["individuals"]
    people["data"][0][people["columns"].index("hits")] = [10_000]
    (out / "results.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = invoke("verify", str(out))
    assert result.exit_code == 1
    assert "not a results JSON document" in result.output


def test_changed_rules_are_named(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES, rules)
    _, out = scored_folder(tmp_path, rules=rules)
    edit(rules / "rules.yaml", "points: 10 * initiatives", "points: 11 * initiatives")
    result = invoke("verify", str(out))
    assert result.exit_code == 1
    assert f"rule set {rules} changed since the run: hash " in result.output
    assert "individual P1 Nguyễn Văn An: score 60.3 → 61.3" in result.output


def test_a_missing_input_is_reported(tmp_path: Path) -> None:
    data, out = scored_folder(tmp_path)
    (data / "units.csv").unlink()
    result = invoke("verify", str(out))
    assert result.exit_code == 2  # nothing to compare: not a difference (exit 1) but a stop
    assert f"input {data / 'units.csv'} is missing" in result.output


def test_csv_output_verifies_and_names_records(tmp_path: Path) -> None:
    data, out = scored_folder(tmp_path, name="results.csv")
    assert invoke("verify", str(out)).exit_code == 0
    edit(data / "units.csv", "U2,Phòng Hai,Khối A,95", "U2,Phòng Hai,Khối A,100")
    result = invoke("verify", str(out))
    assert result.exit_code == 1
    assert "unit U2 Phòng Hai: score 80 → 100" in result.output


@pytest.mark.parametrize(("manifest", "message"), [
    (None, "no manifest.json here"),
    ("{not json", "cannot read the manifest"),
    ("[]", "not a JSON object"),
    ('{"inputs": []}', "'inputs' must list the input files"),
])
def test_an_unreadable_manifest_exits_2(tmp_path: Path, manifest: str | None,
                                        message: str) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    if manifest is not None:
        (folder / "manifest.json").write_text(manifest, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        read_manifest(folder)
    result = invoke("verify", str(folder))
    assert result.exit_code == 2
    assert message in result.output


def test_the_output_file_must_be_there(tmp_path: Path) -> None:
    _, out = scored_folder(tmp_path)
    (out / "results.json").unlink()
    result = invoke("verify", str(out))
    assert result.exit_code == 2
    assert "the output results.json named by the manifest is missing" in result.output


def test_library_verification(tmp_path: Path) -> None:
    _, out = scored_folder(tmp_path)
    v = verify_folder(out)
    assert v.identical and v.output == out / "results.json"


@pytest.mark.skipif(not QN.is_dir(), reason="fixtures/quang-ngai-2021 not generated")
def test_the_real_sample_verifies(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = invoke("score", str(QN), "-o", str(out / "results.json"))
    assert result.exit_code == 0, result.output
    result = invoke("verify", str(out))
    assert result.exit_code == 0, result.output
    doc = read_results((out / "results.json").read_text(encoding="utf-8"))
    record = doc["individuals"][0]
    assert record["hits"] and record["decisions"] and "reads" in record["hits"][0]
    assert {"raw", "cap", "points", "condition", "rule"} <= record["hits"][0].keys()


def test_a_sealed_folder_is_never_written_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(Path("tests/data/mini"), data)
    out = tmp_path / "published"
    first = invoke("score", str(data), "--rules", str(MINI_RULES), "-o",
                   str(out / "results.json"), "--seal")
    assert first.exit_code == 0, first.output
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["sealed"] is True
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for extra in ([], ["--force"]):
        again = invoke("score", str(data), "--rules", str(MINI_RULES), "-o",
                       str(out / "results.json"), *extra)
        assert again.exit_code == 2
        assert "sealed" in again.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert invoke("verify", str(out)).exit_code == 0


@pytest.mark.parametrize("target", ["results.json", "manifest.json"])
def test_one_changed_byte_in_a_sealed_folder_is_found(tmp_path: Path, target: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(Path("tests/data/mini"), data)
    out = tmp_path / "published"
    assert invoke("score", str(data), "--rules", str(MINI_RULES), "-o",
                  str(out / "results.json"), "--seal").exit_code == 0
    path = out / target
    raw = bytearray(path.read_bytes())
    key = b'"year": ' if target == "results.json" else b'"bytes": '
    index = raw.index(key) + len(key)
    raw[index] = ord("9") if raw[index] != ord("9") else ord("8")
    path.write_bytes(bytes(raw))
    result = invoke("verify", str(out))
    assert result.exit_code == 1
    assert target in result.output
