"""Nothing a person reads slips through untranslated: a scan of the sources (src/scoring, the
vendored engine excepted) with Python's ast for English text passed straight to the project's
errors, to click's output, to warnings, or to the lists of problems and warnings, without
`_()`. A text that is not a message (a machine text: an internal error no person sees) is
listed in MACHINE with the reason; files other branches are translating in this round are in
PENDING until those branches are merged (remove them then)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "scoring"

# Calls whose every argument is a message (exception classes found below are added).
_ALL_ARGS = {"ValueError", "click.ClickException", "click.BadParameter", "click.UsageError"}
# Calls whose first argument is a message.
_FIRST = {"click.echo", "click.secho", "echo", "warnings.warn", "where.error"}
# Lists of messages: `x.warnings.append(…)`, `problems.append(…)`, `notes.extend(…)`.
_LISTS = ("warnings", "notes", "problems")

# (file, the text as written) of texts that are not messages.
MACHINE: dict[tuple[str, str], str] = {
    ("inputs/biff.py", '"sector beyond the end of the file"'): "caught inside xls_layout",
    ("inputs/biff.py", '"a broken sector chain"'): "caught inside xls_layout",
    ("inputs/template.py", '"no record kind to make a template for"'): "a caller's mistake",
    ("inputs/template.py", 'f"{SHEETS[kind]}: no column for {sorted(unknown)}"'):
        "a caller's mistake",
    ("base/text.py", "f\"unknown legacy encoding {encoding!r}; expected 'TCVN3' or 'VNI'\""):
        "a caller's mistake (the CLI offers a fixed choice)",
    ("outputs/review.py", 'f"unknown format {fmt!r}"'):
        "a caller's mistake (the CLI offers a choice)",
    ("outputs/render.py", 'f"unknown format {fmt!r}"'): "a caller's mistake (a fixed choice)",
    ("outputs/jsonout.py", 'f"Out of range float values are not JSON compliant: {v!r}"'):
        "json's own refusal, kept word for word",
    ("outputs/jsonout.py", 'f"cannot spread a record\'s object over {wanted}"'):
        "an invariant: a merged shape spreads what every part spreads",
    ("base/rounding.py", 'f"cannot render the non-finite number {d}"'):
        "an invariant: inputs are finite once read",
    ("outputs/report/labels.py", 'f"unknown report language {lang!r}; choose one of {LANGS}"'):
        "a caller's mistake (--lang offers a fixed choice)",
    ("explanations/render.py",
     'f"unknown explanation format {fmt!r}; expected one of {FORMATS}"'):
        "a caller's mistake (the CLI offers a fixed choice)",
    ("cli/group.py", 'f"scoring, version {version()}"'):
        "click's own --version line, kept word for word: the same in every language",
}

# Files whose messages other branches of this round translate (#23 part 1): remove each entry
# once its branch is merged, so that the scan covers the file.
PENDING: dict[str, str] = {}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _name(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    return ""


def _is_text(node: ast.expr) -> bool:
    """English written straight in: a literal with letters, an f-string, `"…".format()`,
    or an expression choosing or joining such texts."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and any(c.isalpha() for c in str(v.value))
                   for v in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "format":
        return _is_text(node.func.value)
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) or _is_text(node.orelse)
    return False


def _sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "_vendor" not in p.relative_to(SRC).parts)


def error_classes(trees: list[ast.Module]) -> set[str]:
    """ScoringError and every class derived from it, from the sources themselves."""
    found = {"ScoringError"}
    classes = [n for t in trees for n in ast.walk(t) if isinstance(n, ast.ClassDef)]
    while True:
        more = {c.name for c in classes if any(_name(b).split(".")[-1] in found for b in c.bases)}
        if more <= found:
            return found
        found |= more


def _messages(call: ast.Call, errors: set[str]) -> list[ast.expr]:
    name = _name(call.func)
    last = name.split(".")[-1]
    owner = name.split(".")[-2] if "." in name else ""
    keywords = [k.value for k in call.keywords if k.arg == "message"]
    if last in errors or name in _ALL_ARGS:
        return [*call.args, *(k.value for k in call.keywords)]
    if last == "Problem" or (last == "one" and owner in (errors | {"cls"})):
        return [*call.args[1:2], *keywords]
    if name in _FIRST:
        return [*call.args[:1], *keywords]
    if last in ("append", "extend") and owner.endswith(_LISTS):
        return call.args[:1]
    return []


@cache
def untranslated() -> tuple[tuple[str, int, str], ...]:
    """(file, line, the text as written) of every text that reaches a person without `_()`."""
    found = []
    sources = {p: p.read_text(encoding="utf-8") for p in _sources()}
    trees = {p: ast.parse(text) for p, text in sources.items()}
    errors = error_classes(list(trees.values()))
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for arg in _messages(node, errors):
                    if _is_text(arg):
                        written = ast.get_source_segment(sources[path], arg) or ""
                        found.append((path.relative_to(SRC).as_posix(), arg.lineno, written))
    return tuple(found)


def test_no_message_reaches_a_person_without_translation() -> None:
    found = [(f, line, text) for f, line, text in untranslated()
             if (f, text) not in MACHINE and f not in PENDING]
    assert not found, ("texts a person reads, not marked with _() (write "
                       "_(\"… {name} …\").format(name=…) and translate it in scoring.po):\n"
                       + "\n".join(f"{f}:{line}: {text}" for f, line, text in found))


def test_the_machine_texts_are_still_there() -> None:
    """An entry of MACHINE that matches nothing any more is removed, so the list stays short."""
    seen = {(f, text) for f, _line, text in untranslated()}
    assert set(MACHINE) <= seen, sorted(set(MACHINE) - seen)


@pytest.mark.parametrize(("source", "caught"), [
    ('raise InputError.one(where, f"bad {x}")', True),
    ('raise InputError.one(where, _("bad {x}").format(x=x))', False),
    ('problems.append(Problem(where, "the file is empty"))', True),
    ('problems.append(Problem(where, _("the file is empty")))', False),
    ('b.warnings.append(f"{where}: kept as written")', True),
    ('click.echo("wrote " + name)', True),
    ('click.echo(_("wrote {name}").format(name=name))', False),
    ('click.echo(json.dumps(data))', False),
    ('raise ValueError("a value is required")', True),
    ('raise Undefined(where, "division by zero")', True),  # derived from ScoringError below
    ('raise where.error("{!r} is not a condition".format(v))', True),
    ('problems.append(Problem(where, msg if ok else "other"))', True),
    ('problems.append(Problem(f"{file}: row 2", reason))', False),  # a location, not text
])
def test_the_scan_finds_english_written_straight_in(source: str, caught: bool) -> None:
    tree = ast.parse("class InputError(ScoringError):\n    pass\n"
                     "class Undefined(InputError):\n    pass\n" + source)
    errors = error_classes([tree])
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert any(_is_text(m) for c in calls for m in _messages(c, errors)) == caught
