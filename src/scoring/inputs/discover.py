"""Finding the files to read: a folder's submissions in one form, the year its `dataset.yaml`
states, and the round files beside files named one by one.

A folder is read as its CSV files (together), workbooks and JSON files. One holding records in
two forms is refused, because the same records kept twice would count twice, and so is an
output folder (one with a manifest), whose results are not submissions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scoring.base.errors import InputError, Problem, RuleError
from scoring.base.files import MANIFEST
from scoring.base.i18n import N_, _
from scoring.base.limits import Limits
from scoring.inputs.names import is_rounds
from scoring.inputs.sizes import _read_bytes
from scoring.rulesets.safeyaml import parse_yaml

__all__ = ["MAX_META_BYTES", "META_FILE"]

MAX_META_BYTES = 65_536  # dataset.yaml states a year; anything bigger is not metadata
META_FILE = "dataset.yaml"

_WORKBOOKS = (".xlsx", ".xls")
_SUFFIXES = (".csv", *_WORKBOOKS, ".json")
_FORMS = {".csv": N_("CSV files"), ".xlsx": N_("workbooks"), ".xls": N_("workbooks"),
          ".json": N_("JSON files")}


def _folder(folder: Path, problems: list[Problem]) -> list[list[Path]]:
    """A folder's files in reading groups: its CSV files together (an initiatives list is
    folded into the records beside it), each workbook and JSON file on its own.

    Submissions come in one form per folder: a folder with records both in CSV files and in
    workbooks (or JSON) is refused, because the same records kept in two forms would count
    twice; round files (rounds.csv, "Vòng chấm") go with any form. An output folder (one with
    a manifest.json) is refused too: its results are not submissions.
    """
    if (folder / MANIFEST).exists():
        problems.append(Problem(str(folder), _("holds {manifest}: it is an output folder of "
                                               "`scoring score` or `scoring report`, not "
                                               "submissions; give the folder of submissions")
                                .format(manifest=MANIFEST)))
        return []
    found = sorted(x for x in folder.iterdir() if x.suffix.lower() in _SUFFIXES
                   and not x.name.startswith((".", "~$")))
    # A name that is not a regular file (a folder, a device, a dangling link) is named rather
    # than skipped: nothing given is dropped silently.
    problems.extend(Problem(str(x), _("not a regular file")) for x in found if not x.is_file())
    found = [x for x in found if x.is_file()]
    if not found:
        problems.append(Problem(str(folder), _("no submissions in this folder: expected CSV "
                                               "files, workbooks (.xlsx, .xls) or JSON files")))
        return []
    forms: dict[str, list[str]] = {form: [] for form in _FORMS.values()}
    for x in found:
        if not is_rounds(x.name):
            forms[_FORMS[x.suffix.lower()]].append(x.name)
    forms = {form: names for form, names in forms.items() if names}
    if len(forms) > 1:
        listed = _(" and in ").join(f"{_(form)} ({', '.join(names)})"
                                    for form, names in forms.items())
        problems.append(Problem(str(folder), _("holds records in {listed}: a folder is read in "
                                               "one form, so that records kept twice do not "
                                               "count twice; keep one form in the folder, or "
                                               "name the files to read (e.g. {example})").format(
                                                   listed=listed, example=folder / "*.xlsx")))
        return []
    csv_files = [x for x in found if x.suffix.lower() == ".csv"]
    others = [[x] for x in found if x.suffix.lower() != ".csv"]
    return [csv_files, *others] if csv_files else others


def _beside(named: Sequence[Path], given: Sequence[Path]) -> list[Path]:
    """Round files (rounds.csv, a "Vòng chấm" workbook) in the folders of files named one by
    one, as `nop/*.xlsx` names them, that were not given themselves: the rounds of those
    records, which a shell pattern for the workbooks leaves out."""
    seen = {x.resolve() for x in given}
    out: list[Path] = []
    for folder in dict.fromkeys(p.parent for p in named):
        for x in sorted(folder.iterdir()):
            if (x.suffix.lower() in _SUFFIXES and is_rounds(x.name) and x.is_file()
                    and not x.name.startswith((".", "~$")) and x.resolve() not in seen):
                seen.add(x.resolve())
                out.append(x)
    return out


def _meta_year(meta: Path, problems: list[Problem], limits: Limits) -> int | None:
    """The year a folder's dataset.yaml states, read with the rule files' safe YAML loader."""
    try:
        data = parse_yaml(_read_bytes(meta, str(meta), min(MAX_META_BYTES, limits.file_bytes)),
                          str(meta))
    except (InputError, RuleError) as e:
        problems.extend(Problem(p.where, _("cannot read dataset metadata: {reason}").format(
                            reason=p.message))
                        for p in e.problems)
        return None
    year = data.get("year") if isinstance(data, dict) else None
    if year is not None and not (isinstance(year, int) and 1990 <= year <= 2100):
        problems.append(Problem(str(meta), _("year: expected a year such as 2026, found "
                                             "{year!r}").format(year=year)))
        return None
    return year
