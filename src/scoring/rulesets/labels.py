"""Labels of conditions, as rule files write them: placeholders checked when the rules compile.

A title's prerequisite may carry a short label in the council's words with placeholders for
the record's values (`{value}`, `{need}`, a field's or a parameter's name); this module reads
the `requires:` form that carries them and says what is wrong with a label, so that `scoring
check` reports it with the rule. Filling the placeholders with a record's values is
`evaluation.conditions`.
"""

from __future__ import annotations

import string
from collections.abc import Collection
from typing import Any

from scoring.base.i18n import _
from scoring.language import expr, normal

__all__ = ["SPECIAL", "label_problem", "one_term", "placeholders", "split_requires"]

SPECIAL = ("value", "need")


def placeholders(label: str) -> list[str]:
    """The placeholder names of a label, in order; a ValueError (in words) for anything but
    plain `{name}` placeholders, or `{name:%}` for a share shown as a percentage: no
    positional `{}`, other format spec, conversion or attribute."""
    try:
        parsed = list(string.Formatter().parse(label))
    except ValueError as e:
        raise ValueError(_("braces do not pair up ({reason}); write a literal brace as {{{{ or "
                           "}}}}").format(reason=e)) from None
    if "\n" in label:
        raise ValueError(_("a label is one line"))
    out = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec not in ("", "%") or conversion:
            raise ValueError(_("{{{text}}} is not a placeholder: write a name in braces, such "
                               "as {{value}}").format(
                text=name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec
                                                                        else "")))
        out.append(name)
    return out


def split_requires(data: Any) -> Any:
    """A title as written (`requires:` items a condition, or `{when: …, label: …}`) with the
    conditions in `requires` and their labels beside them in `requires_labels`."""
    if not isinstance(data, dict) or not isinstance(data.get("requires"), list):
        return data
    if "requires_labels" in data:
        raise ValueError(_("write a prerequisite's label beside its condition: "
                           "- {when: \"…\", label: \"…\"}"))
    conds, labels = [], []
    for item in data["requires"]:
        if isinstance(item, dict):
            unknown = sorted(set(item) - {"when", "label"})
            if unknown or "when" not in item:
                raise ValueError(_("a prerequisite written as a mapping has 'when' (its "
                                   "condition) and 'label' (its words); found {keys}").format(
                    keys=", ".join(map(str, item)) or _("nothing")))
            label = item.get("label", "")
            if not isinstance(label, str):
                raise ValueError(_("a prerequisite's label is text, found {value!r}").format(
                    value=label))
            conds.append(item["when"])
            labels.append(label.strip())
        else:
            conds.append(item)
            labels.append("")
    if all(not isinstance(item, dict) for item in data["requires"]):
        return data
    out = type(data)(data)
    for attr in ("file", "line", "key_lines"):
        if hasattr(data, attr):
            setattr(out, attr, getattr(data, attr))
    out["requires"] = conds
    out["requires_labels"] = labels
    return out


def one_term(cond: normal.Cond) -> expr.Node | None:
    """The one expression a condition compares (`a >= 3`, `a in (…)`), else None."""
    if isinstance(cond, normal.NfLeaf):
        return cond.term
    if isinstance(cond, normal.NfOr) and all(isinstance(c, normal.NfLeaf) for c in cond.items):
        terms = {c.term for c in cond.items if isinstance(c, normal.NfLeaf)}
        if len(terms) == 1:
            return next(iter(terms))
    return None


def label_problem(label: str, cond: normal.Cond, fields: Collection[str],
                  params: Collection[str]) -> str | None:
    """What is wrong with a condition's label, in words, or None."""
    try:
        names = placeholders(label)
    except ValueError as e:
        return _("label {label!r}: {reason}").format(label=label, reason=e)
    for name in names:
        if name in SPECIAL:
            if one_term(cond) is None:
                return _("label {label!r}: {{{name}}} needs a condition that compares one "
                         "expression (a single comparison or `in`); name the fields instead, "
                         "such as {{months_worked}}").format(label=label, name=name)
        elif name not in fields and name not in params:
            return _("label {label!r}: unknown placeholder {{{name}}}; use {{value}}, {{need}}"
                     " or the name of an input, computed field, aggregate or parameter").format(
                label=label, name=name)
    return None
