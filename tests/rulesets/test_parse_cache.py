"""Rule files parsed once per content: a set loaded again is not parsed again, and an edited
file (even one of the same size) is never served from what was parsed before."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scoring.rulesets import extends
from scoring.rulesets.extends import load

MINI = Path("tests/rulesets/mini")


@pytest.mark.parametrize(("old", "new"), [
    ("label: Xếp loại,", "label: Xếp hạng,"),  # the same length: only the bytes tell
    ("label: Xếp loại,", "label: Xếp loại năm,"),
])
def test_an_edited_rule_file_is_parsed_again(tmp_path: Path, old: str, new: str) -> None:
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    before = load(folder)
    assert load(folder) == before  # the same bytes: the same rule set
    [edited] = [p for p in folder.glob("*.yaml") if old in p.read_text(encoding="utf-8")]
    edited.write_text(edited.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    after = load(folder)
    label = new.removeprefix("label: ").rstrip(",")
    assert after.kind("individual").inputs["task_rating"].label == label
    assert after.content_hash != before.content_hash


def test_the_same_file_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    parsed: list[str] = []
    real = extends._parse

    def counting(raw: bytes, shown: str) -> object:
        parsed.append(shown)
        return real(raw, shown)

    monkeypatch.setattr(extends, "_parse", counting)
    load(folder)
    first = len(parsed)
    load(folder)
    assert first > 0 and len(parsed) == first
