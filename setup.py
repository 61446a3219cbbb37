"""The parts of the build pyproject.toml cannot declare: the rule engine's C extension, the
rule sets copied into the package, and the compiled message catalogues.

- The engine is durable-rules 2.0.28 built from the copy in src/scoring/_vendor/durable (see
  its README.md for why and what changed), with upstream's compiler flags.
- The shipped rule sets live in the repository's `rules/` (tests and users read them there);
  building the package copies them to `scoring/rules/`, so an installed `scoring` finds them
  from any directory (`scoring.rulesets.extends.find_rules_root`). An editable install reads `rules/`
  in the checkout instead.
- Each message catalogue (`locale/<lang>/LC_MESSAGES/scoring.po`) is compiled beside it to the
  `.mo` named by its content (`scoring.base.i18n.compile_catalogue`), which `scoring` reads
  instead of parsing the `.po` on every start; an editable install compiles it in the checkout.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
ENGINE = Path("src/scoring/_vendor/durable/csrc")
RULES = HERE / "rules"
I18N = HERE / "src/scoring/base/i18n.py"


def _engine() -> Extension:
    flags: list[str] = []
    if sys.platform != "win32":
        flags = ["-std=c99", "-fcommon"] if sys.platform == "darwin" else ["-std=c99"]
    sources = [ENGINE / "rulespy/rules.c",
               *(ENGINE / f"rules/{name}.c" for name in ("json", "rete", "state", "events",
                                                        "regex"))]
    return Extension("scoring._vendor.durable.durable_rules_engine",
                     sources=[s.as_posix() for s in sources],
                     include_dirs=[(ENGINE / "rules").as_posix()],
                     define_macros=[("_GNU_SOURCE", None)],
                     extra_compile_args=flags)


def _i18n() -> ModuleType:
    """scoring's i18n module, loaded from its file (it imports the standard library only), so
    that the build names and writes the `.mo` exactly as scoring reads it."""
    spec = importlib.util.spec_from_file_location("scoring_build_i18n", I18N)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithRules(build_py):
    """build_py, then the compiled catalogues, and the shipped rule sets (`rules/<year>/*.yaml`)
    into `scoring/rules/`."""

    def run(self) -> None:
        super().run()
        i18n = _i18n()
        where = HERE / "src" if self.editable_mode else Path(self.build_lib)
        for folder in sorted((HERE / "src/scoring/locale").glob("*/LC_MESSAGES")):
            target = where / folder.relative_to(HERE / "src")
            i18n.compile_catalogue(folder, folder.parent.name, target)
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "scoring" / "rules"
        if target.exists():
            shutil.rmtree(target)
        for source in sorted(RULES.glob("[0-9]*/*.yaml")):
            out = target / source.parent.name / source.name
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, out)


setup(ext_modules=[_engine()], cmdclass={"build_py": BuildWithRules})
