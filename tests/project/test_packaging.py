"""What `pip install .` installs: the rule engine built from the vendored durable-rules, and the
shipped rule sets, found from any directory; a local rules/ folder or --rules still wins.

The wheel is built once (from a copy of only what the build reads, so that no stale build
folder of the checkout can leak into it) and unpacked, which is what installing a wheel is; it
then runs with `python -S`, so that the editable install of the checkout is not seen.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring.base.i18n import compiled_name
from scoring.cli import cli
from scoring.rulesets.extends import load
from scoring.run.app import rule_sets

ROOT = Path(__file__).resolve().parents[2]
YEARS = sorted(p.name for p in (ROOT / "rules").iterdir() if p.name.isdigit())
SAMPLE = ROOT / "fixtures/quang-ngai-2026"
SAMPLE_2021 = ROOT / "fixtures/quang-ngai-2021"
BUILD_INPUTS = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "src", "rules"]


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                           str(base / "dist"), str(source)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    (found,) = (base / "dist").glob("scoring-*.whl")
    yield found


def _installed(wheel: Path, target: Path) -> Path:
    with zipfile.ZipFile(wheel) as z:
        z.extractall(target)
    return target


def _scoring(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed wheel's `scoring` in `cwd`: its code first on the path, then the
    test environment's dependencies, and nothing of the checkout."""
    path = os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])
    env = {**os.environ, "PYTHONPATH": path, "SOURCE_DATE_EPOCH": "1700000000"}
    code = "import sys; from scoring.cli import main; sys.argv[0] = 'scoring'; main()"
    return subprocess.run([sys.executable, "-S", "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_wheel_holds_the_engine_the_rule_sets_and_the_licence(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.removeprefix("scoring/rules/") for n in names
               if n.startswith("scoring/rules/")}
    in_repo = {p.relative_to(ROOT / "rules").as_posix()
               for p in (ROOT / "rules").glob("[0-9]*/*.yaml")}
    assert shipped == in_repo
    with zipfile.ZipFile(wheel) as z:
        for name in in_repo:
            assert z.read(f"scoring/rules/{name}") == (ROOT / "rules" / name).read_bytes(), name
        assert (z.read("scoring/_vendor/durable/LICENSE")
                == (ROOT / "src/scoring/_vendor/durable/LICENSE").read_bytes())
        metadata = next(z.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    po = (ROOT / "src/scoring/locale/vi/LC_MESSAGES/scoring.po").read_bytes()
    compiled = [n for n in names if n.endswith(".mo")]  # read instead of the .po at every start
    assert compiled == [f"scoring/locale/vi/LC_MESSAGES/{compiled_name(po)}"]
    engines = [n for n in names if n.startswith("scoring/_vendor/durable/durable_rules_engine.")]
    assert len(engines) == 1
    assert not [n for n in names if n.endswith((".c", ".h"))]
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requires and not [line for line in requires if "durable" in line.lower()]


def test_the_installed_package_scores_from_any_directory(wheel: Path, tmp_path: Path) -> None:
    """From an empty folder the installed rule sets are used, with the same results as the
    checkout's rule sets: the same content hash and every byte of the results."""
    target = _installed(wheel, tmp_path / "site")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = _scoring(target, elsewhere, "score", str(SAMPLE), "--format", "json", "-o", "-")
    assert done.returncode == 0, done.stderr
    installed = json.loads(done.stdout)
    folder = Path(installed["manifest"]["ruleset"]["folder"])
    assert folder == target / "scoring" / "rules" / YEARS[-1]

    here = _scoring(target, ROOT, "score", str(SAMPLE), "--format", "json", "-o", "-")
    assert here.returncode == 0, here.stderr
    checkout = json.loads(here.stdout)
    assert checkout["manifest"]["ruleset"]["folder"] == str(ROOT / "rules" / YEARS[-1])
    checkout["manifest"]["ruleset"]["folder"] = str(folder)
    assert installed == checkout

    listed = _scoring(target, elsewhere, "rules")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0] == (f"Rule sets in {target / 'scoring' / 'rules'} "
                                             "(shipped with scoring):")


def test_scoring_rules_lists_year_name_and_regime() -> None:
    code, out, err = _run("rules")
    assert code == 0, err
    assert out.splitlines()[0] == f"Rule sets in {ROOT / 'rules'} (the rules/ folder here):"
    listed = [line.split()[0] for line in out.splitlines()[3:] if line[:4].isdigit()]
    assert listed == YEARS
    flat = " ".join(out.split())
    for year, (_, rs) in zip(YEARS, rule_sets(ROOT / "rules"), strict=True):
        assert rs == load(ROOT / "rules" / year)
        assert rs.name[:40] in flat and rs.regime[:40] in flat


@pytest.mark.parametrize(("local", "args", "used"), [
    (["2021"], [], "local/2021"),  # a rules/ folder here wins over the shipped ones
    (["2021", "2024"], [], "local/2021"),  # the newest not after the data's year (2021)
    (["2021"], ["--rules", str(ROOT / "rules/2021")], "repo/2021"),  # --rules wins over both
    ([], [], "repo/2021"),  # no rules/ here: the shipped ones (the checkout's, editable)
])
def test_a_local_rules_folder_or_rules_option_wins(
        local: list[str], args: list[str], used: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for year in local:
        shutil.copytree(ROOT / "rules" / year, tmp_path / "rules" / year)
    monkeypatch.chdir(tmp_path)
    code, out, err = _run("score", str(SAMPLE_2021), *args, "--format", "json", "-o", "-")
    assert code == 0, err
    where, year = used.split("/")
    expected = (tmp_path if where == "local" else ROOT) / "rules" / year
    assert json.loads(out)["manifest"]["ruleset"]["folder"] == str(expected)
    code, out, err = _run("rules")
    assert code == 0, err
    heading = out.splitlines()[0]
    assert heading.endswith("(the rules/ folder here):" if local else "(shipped with scoring):")
