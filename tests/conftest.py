from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
# Tests live in one folder per package (tests/<package>/, names unique across them); a test
# that reuses another's cases imports it by its name, wherever it lives.
for _folder in sorted(Path(__file__).parent.iterdir()):
    if _folder.is_dir() and any(_folder.glob("test_*.py")):
        sys.path.append(str(_folder))

# The suite asserts the English message ids: it runs under SCORING_LANG=en, set for the whole
# process so that module- and session-scoped fixtures and the commands run in subprocesses
# inherit it; the tests of the Vietnamese texts (test_i18n.py) set the language themselves.
os.environ["SCORING_LANG"] = "en"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run from the repository root, as a user following the README does."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """`scoring --lang …` run in-process (CliRunner) chooses the language for the process:
    every test starts and ends with the environment's choice."""
    from scoring.base.i18n import set_language

    set_language(None)
    yield
    set_language(None)
