"""The parts of the build pyproject.toml cannot declare: the rule engine's C extension, and the
rule sets copied into the package.

- The engine is durable-rules 2.0.28 built from the copy in src/scoring/_vendor/durable (see
  its README.md for why and what changed), with upstream's compiler flags.
- The shipped rule sets live in the repository's `rules/` (tests and users read them there);
  building the package copies them to `scoring/rules/`, so an installed `scoring` finds them
  from any directory (`scoring.rulesets.extends.find_rules_root`). An editable install reads `rules/`
  in the checkout instead.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
ENGINE = Path("src/scoring/_vendor/durable/csrc")
RULES = HERE / "rules"


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


class BuildWithRules(build_py):
    """build_py, then the shipped rule sets (`rules/<year>/*.yaml`) into `scoring/rules/`."""

    def run(self) -> None:
        super().run()
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
