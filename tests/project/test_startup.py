"""`scoring --help` and `scoring check` load only what they use.

A council tunes its rules by running `scoring check` and `scoring test` dozens of times, so the
start of a command counts: each command imports its library modules when it runs, and these
heavy ones only when the command needs them (the data readers' pandas, the workbooks' writers,
the web page, the rule engine; for a help text, the data model and the package's metadata too).
The probe runs the command in a fresh interpreter and lists the modules loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "numpy", "openpyxl", "xlsxwriter", "python_calamine", "starlette",
         "uvicorn", "jinja2", "scoring.web", "scoring.streaming", "multiprocessing")
ENGINE = "scoring._vendor.durable"
MODEL = ("pydantic", "scoring.rulesets", "scoring.inputs", "scoring.evaluation")
METADATA = "importlib.metadata"  # the installed version: read when it is shown or recorded
RECORDS = ("scoring.inputs", "scoring.history", "scoring.evaluation.result")  # of a batch
PROBE = """
import json, sys
from scoring.cli import main
try:
    main()
finally:
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _loaded(args: list[str]) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True,
                          timeout=300, env={**os.environ, "SCORING_LANG": "en"})
    modules = json.loads(proc.stderr.decode().splitlines()[-1])
    return proc.returncode, set(modules)


def _heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize(("args", "absent"), [
    (["--help"], (*HEAVY, ENGINE, *MODEL, METADATA)),
    (["--version"], (*HEAVY, ENGINE, *MODEL)),
    (["check", "rules/2026"], (*HEAVY, ENGINE, *RECORDS)),  # reads rules, runs no engine
    (["check", "--help"], (*HEAVY, ENGINE, *MODEL, METADATA)),
    (["score", "--help"], (*HEAVY, ENGINE, *MODEL, METADATA)),
])
def test_a_command_loads_no_heavy_module_it_does_not_use(args: list[str],
                                                         absent: tuple[str, ...]) -> None:
    code, modules = _loaded(args)
    assert code == 0
    assert _heavy(modules, absent) == []


def test_the_probe_sees_what_a_command_loads() -> None:
    """`scoring diff` tables the changes with pandas: it is loaded, and the probe says so."""
    code, modules = _loaded(["diff", "rules/2024", "rules/2026"])
    assert code == 0
    assert "pandas" in _heavy(modules, HEAVY)
