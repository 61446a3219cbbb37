"""Pydantic's validation errors told in the catalogue's words, in one place.

Pydantic writes its own English ("Field required", "Input should be a valid number"), which a
rule author working in Vietnamese must never read. Each error is told here from its `type` code
and its `ctx` instead: what was expected, and the value found. A value that fits none of the
members of a union (`points: [1]`, where a formula, a number or yes/no is expected) is reported
by pydantic once per member, with the member's tag appended to the location; those are told
here as one problem at the key's own location, listing what would have been accepted.

The messages of the schema's own validators (`ValueError(_("…"))`, translated where they are
raised) are kept as they are, without pydantic's "Value error, " prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from scoring.base.i18n import N_, _

Loc = tuple[int | str, ...]

# What a type code says was expected: a noun phrase, alone ("expected a number") or in a list
# of alternatives (a union).
EXPECTED: dict[str, str] = {
    "string_type": N_("text"),
    "string_unicode": N_("text"),
    "int_type": N_("a whole number"),
    "int_parsing": N_("a whole number"),
    "int_from_float": N_("a whole number"),
    "int_parsing_size": N_("a whole number"),
    "decimal_type": N_("a number"),
    "decimal_parsing": N_("a number"),
    "decimal_max_digits": N_("a number"),
    "decimal_max_places": N_("a number"),
    "decimal_whole_digits": N_("a number"),
    "float_type": N_("a number"),
    "float_parsing": N_("a number"),
    "finite_number": N_("a finite number"),
    "bool_type": N_("true/false"),
    "bool_parsing": N_("true/false"),
    "tuple_type": N_("a list"),
    "list_type": N_("a list"),
    "set_type": N_("a list"),
    "iterable_type": N_("a list"),
    "dict_type": N_("a mapping (key: value lines)"),
    "model_type": N_("a mapping (key: value lines)"),
    "model_attributes_type": N_("a mapping (key: value lines)"),
    "dataclass_type": N_("a mapping (key: value lines)"),
    "none_required": N_("nothing (null)"),
    "date_type": N_("a date written YYYY-MM-DD"),
    "date_parsing": N_("a date written YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("a date written YYYY-MM-DD"),
}
# Location parts that are pydantic's tags for a member of a union or a validator, not keys of
# the file: `decimal`, `str`, `tuple[str, ...]`, `literal['all']`, `function-after[…]`, `Band`.
_SCALAR_TAGS = frozenset({"str", "int", "float", "decimal", "bool", "none", "date", "datetime",
                          "function-after", "function-before", "function-wrap", "function-plain",
                          "lax-or-strict", "is-instance", "chain", "union", "nullable"})
_TAG = re.compile(r"^[a-z][\w-]*\[.*\]$|^[A-Z]\w*$")


def is_tag(part: int | str) -> bool:
    """Is this location part a pydantic tag (a union member, a validator), not a file's key?"""
    return isinstance(part, str) and (part in _SCALAR_TAGS or bool(_TAG.match(part)))


def shown(value: Any) -> str:
    """A value as a rule author would recognise it in the file, at most 40 characters."""
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(shown(v) for v in value) + "]"
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _alternatives(expected: str) -> str:
    """pydantic's `ctx.expected` of a literal (`'int', 'number' or 'text'`) as a plain list."""
    return expected.replace("' or '", "', '")


def expected_of(err: Any) -> str | None:
    """What one error says was expected (translated), or None when it says something else."""
    kind = err["type"]
    if kind == "literal_error":
        values = _alternatives(str(err["ctx"]["expected"]))
        return values if "', '" not in values else _("one of {values}").format(values=values)
    if kind in EXPECTED:
        return _(EXPECTED[kind])
    return None


def message(err: Any) -> str:
    """One pydantic error (an `ErrorDetails`) as a sentence in the chosen language."""
    kind, ctx = err["type"], err.get("ctx") or {}
    found = shown(err.get("input"))
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return _("required, and not given")
    if kind == "extra_forbidden":
        return _("unknown key")
    if kind == "int_from_float":
        return _("expected a whole number (found {value})").format(value=found)
    if kind == "literal_error":
        return _("expected one of {values} (found {value})").format(
            values=_alternatives(str(ctx.get("expected", ""))), value=found)
    if kind in ("too_short", "too_long"):
        return _("expected between {min} and {max} items (found {count})").format(
            min=ctx.get("min_length", 0), max=ctx.get("max_length", "…"),
            count=ctx.get("actual_length", "?"))
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        limit = next(iter(ctx.values()), "")
        words = {"greater_than": N_("expected a number above {limit} (found {value})"),
                 "greater_than_equal": N_("expected a number of at least {limit} (found "
                                          "{value})"),
                 "less_than": N_("expected a number below {limit} (found {value})"),
                 "less_than_equal": N_("expected a number of at most {limit} (found {value})")}
        return _(words[kind]).format(limit=limit, value=found)
    what = expected_of(err)
    if what is not None:
        return _("expected {what} (found {value})").format(what=what, value=found)
    return _("this value cannot be used here (found {value})").format(value=found)


def without_tags(loc: Loc, data: Any) -> Loc:
    """`loc` without pydantic's tags. A part that names a key of the validated `data` there is
    a key even when it looks like a tag (a parameter named `Bonus`, an input named `str`)."""
    out: list[int | str] = []
    node = data
    for part in loc:
        is_item = isinstance(node, list | tuple) and isinstance(part, int) and part < len(node)
        if (isinstance(node, dict) and part in node) or is_item:
            node = node[part]
        elif is_tag(part):
            continue
        else:
            node = None
        out.append(part)
    return tuple(out)


def problems(errors: Sequence[Any], data: Any = None) -> list[tuple[Loc, str, str]]:
    """Each distinct problem of a `ValidationError.errors()` of validating `data`: (location
    without tags, type code, message). Errors of the members of one union at one location
    become one problem that lists what each member would accept."""
    grouped: dict[Loc, list[Any]] = {}
    for err in errors:
        loc = without_tags(tuple(err["loc"]), data)
        grouped.setdefault(loc, []).append(err)
    return [(loc, errs[0]["type"], _union(errs) if len(errs) > 1 else message(errs[0]))
            for loc, errs in grouped.items()]


def _union(errs: Iterable[Any]) -> str:
    errs = list(errs)
    own = [e for e in errs if e["type"] in ("value_error", "assertion_error")]
    if own:  # a member's own validator said why: that is the most precise
        return message(own[0])
    wanted = list(dict.fromkeys(w for w in map(expected_of, errs) if w is not None))
    if _(EXPECTED["decimal_type"]) in wanted:  # a number: a whole number says no more
        wanted = [w for w in wanted if w != _(EXPECTED["int_type"])]
    if not wanted:
        return message(errs[0])
    value = shown(errs[0].get("input"))
    if len(wanted) == 1:
        return _("expected {what} (found {value})").format(what=wanted[0], value=value)
    return _("expected one of: {alternatives} (found {value})").format(
        alternatives=", ".join(wanted), value=value)


# PyYAML's problems, told from their shape: (pattern, message). The message ids are PyYAML's
# own English (so English reads as before), with the groups as placeholders; the translation
# may add a hint. A problem of no listed shape is kept as it is (the safe loader's own
# problems, already translated, are among them).
_YAML: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), m) for p, m in (
    (r"^expected (?P<expected>.+), but got (?P<found>.+)$",
     N_("expected {expected}, but got {found}")),
    (r"^expected (?P<expected>.+), but found (?P<found>.+)$",
     N_("expected {expected}, but found {found}")),
    (r"^mapping values are not allowed here$", N_("mapping values are not allowed here")),
    (r"^found character (?P<found>.+) that cannot start any token$",
     N_("found character {found} that cannot start any token")),
    (r"^could not determine a constructor for the tag (?P<tag>.+)$",
     N_("could not determine a constructor for the tag {tag}")),
    (r"^found unexpected end of stream$", N_("found unexpected end of stream")),
    (r"^found unknown escape character (?P<found>.+)$",
     N_("found unknown escape character {found}")),
    (r"^could not find expected ':'$", N_("could not find expected ':'")),
    (r"^unacceptable character (?P<found>#x[0-9a-f]+): special characters are not allowed$",
     N_("unacceptable character {found}: special characters are not allowed")),
))


def yaml_problem(problem: str) -> str:
    """One of PyYAML's problems in the chosen language (see `_YAML`)."""
    for pattern, text in _YAML:
        found = pattern.match(problem)
        if found:
            return _(text).format(**found.groupdict())
    return problem
