"""The public API (scoring/__init__.py): the package's recipe runs, the README's script gives
the command line's bytes, `import scoring` loads nothing it does not use, and the README lists
every command and option."""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

import scoring
from scoring.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EPOCH = {"SOURCE_DATE_EPOCH": "1767225600", "SCORING_LANG": "en"}
CLI = [sys.executable, "-c", "from scoring.cli import main; main()"]


def _readme_script() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text[text.index("## Architecture\n"):]
    return re.search(r"```python\n(.*?)```", body, re.S).group(1)  # type: ignore[union-attr]


def _run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, timeout=300,
                          env={**os.environ, **EPOCH})


def test_the_package_recipe_runs_and_renders_the_commands_bytes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for key, value in EPOCH.items():
        monkeypatch.setenv(key, value)
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner()
    [test] = [t for t in finder.find(scoring) if t.name == "scoring"]
    assert len(test.examples) >= 4
    runner.run(test, clear_globs=False)
    assert runner.summarize(verbose=False).failed == 0
    theirs = _run([*CLI, "score", "fixtures/quang-ngai-2026", "--format", "json"])
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert test.globs["data"] == theirs.stdout


def test_the_readme_script_gives_the_command_lines_json() -> None:
    script = _readme_script()
    assert len([line for line in script.splitlines() if line.strip()]) <= 10
    ours = _run([sys.executable, "-c", script])
    assert ours.returncode == 0, ours.stderr.decode()
    theirs = _run([*CLI, "score", "fixtures/quang-ngai-2026", "--format", "json"])
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert ours.stdout == theirs.stdout
    assert b'"hash"' in ours.stdout and len(ours.stdout) > 10_000
    unit = ours.stderr.decode().split()[0]
    assert unit.encode() in ours.stdout  # the explanation names the record it explains


def test_import_scoring_loads_no_stage() -> None:
    """`scoring --help` and scripts that use one function start fast: names load on use."""
    code = ("import sys, scoring; print(sorted(m for m in sys.modules "
            "if m.startswith('scoring.')))")
    out = _run([sys.executable, "-c", code])
    assert out.stdout.decode().strip() == "[]"


@pytest.mark.parametrize("name", scoring.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(scoring, name) is not None
    assert name in dir(scoring)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        scoring.no_such_thing  # noqa: B018


def _documented(option: click.Parameter, readme: str) -> bool:
    names = [*option.opts, *option.secondary_opts]
    return any(re.search(rf"`[^`]*{re.escape(n)}(?![\w-])", readme) for n in names)


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_and_option_is_in_the_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`scoring {command}" in readme
    cmd = cli.commands[command]
    missing = [p.opts[0] for p in cmd.params
               if isinstance(p, click.Option) and not _documented(p, readme)]
    assert missing == [], f"scoring {command}: options the README does not name: {missing}"
