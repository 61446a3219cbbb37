"""Conditions in words: what a council member reads instead of a rule's expression.

A title's prerequisite may carry a short label in the council's words, written in the rule
file with placeholders for the record's values:

    requires:
      - when: "consecutive_years(CSTDCS, since=CSTD_TINH) >= cstd_tinh_chain_years"
        label: "{need} năm liên tục đạt CSTĐCS (có {value} năm)"

`{value}` is the value of the condition's left side for this record and `{need}` the value it
is compared with (both only when the condition compares one expression: a single comparison,
or `x in (…)`); `{name}` is the record's value of an input, computed field or aggregate, or a
parameter's value. Placeholders are checked when the rules are compiled (an unknown one is a
rule error that `scoring check` reports) and filled by plain substitution: nothing is
evaluated. A prerequisite without a label that is a simple comparison of one labelled field
(`months_worked >= 10`, `task_rating in ("xuat_sac", "tot")`, `campaign_launched`, a title's
id) is said in words from the field's label: "Số tháng công tác trong năm: 9 (cần từ 10 trở
lên)". Anything else keeps its expression.

The scorer keeps the values in a `Sentence` (language-neutral: numbers stay numbers, an enum
value is its label from the rule file); `say` words it in the language of the moment, so the
same result reads in Vietnamese or English. `--format json` keeps the expression and adds the
sentence beside it, in Vietnamese (the rule files' language) whatever `--lang`, so the output
stays byte-identical.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from scoring.base import i18n
from scoring.base.i18n import _
from scoring.evaluation.result import Sentence, Shown
from scoring.language import closures, evaluate, expr, normal, show
from scoring.rulesets.labels import SPECIAL, label_problem, one_term, placeholders, split_requires

if TYPE_CHECKING:
    from scoring.evaluation.result import Prerequisite
    from scoring.rulesets.compile import CKind, Compiled, Rule

__all__ = [
    "SPECIAL",
    "Sentence",
    "Speaker",
    "comparison",
    "explain_line",
    "fields_of",
    "label_problem",
    "number",
    "placeholders",
    "said",
    "say",
    "speaker",
    "split_requires",
    "worded",
]

# ----------------------------------------------------------------------------- the rule file


def fields_of(compiled: Compiled, kind: str) -> dict[str, str]:
    """Every name a label of this kind may show, with its label: inputs, computed fields,
    aggregates and titles."""
    kr = compiled.ruleset.kind("unit" if kind == "unit" else "individual")
    out = {n: s.label for n, s in kr.inputs.items()}
    out.update({n: c.label for n, c in kr.computed.items()})
    out.update({n: a.label for n, a in kr.aggregates.items()})
    out.update({t.id: t.label for t in compiled.ruleset.titles if t.of == kind})
    return out


# ----------------------------------------------------------------------------- the scorer


def _shown(value: expr.Value, enum: Mapping[str, str] | None) -> Shown:
    if isinstance(value, str) and enum is not None:
        return enum.get(value, value)
    return value


def _shown_column(values: Sequence[expr.Value], enum: Mapping[str, str] | None
                  ) -> list[Shown]:
    """`_shown` of every value of a column."""
    if enum is None:
        return list(values)
    return [enum.get(v, v) if isinstance(v, str) else v for v in values]


def _enum_of(term: expr.Node, ck: CKind) -> Mapping[str, str] | None:
    if isinstance(term, expr.Name) and term.name in ck.inputs:
        return ck.inputs[term.name].values
    return None


def comparison(cond: normal.Cond, ck: CKind, labels: Mapping[str, str], titles: Collection[str]
               ) -> tuple[str, str, tuple[Shown, ...], expr.Node] | None:
    """(subject, op, need, term) of a simple comparison of one labelled field, else None."""
    term = one_term(cond)
    if not isinstance(term, expr.Name) or not labels.get(term.name):
        return None
    subject, enum = labels[term.name], _enum_of(term, ck)
    if isinstance(cond, normal.NfLeaf):
        if isinstance(cond.const, bool):
            if cond.op != "==":
                return None
            if term.name in titles:
                return (subject, "holds", (), term) if cond.const else None
            return subject, "==", (cond.const,), term
        return subject, cond.op, (_shown(cond.const, enum),), term
    if isinstance(cond, normal.NfOr):
        leaves = normal.leaves(cond)
        if all(isinstance(x, normal.NfLeaf) and x.op == "==" and isinstance(x.const, str)
               for x in leaves):
            return subject, "in", tuple(_shown(x.const, enum) for x in leaves
                                        if isinstance(x, normal.NfLeaf)), term
    return None


def speaker(rule: Rule, ck: CKind, compiled: Compiled, scopes: Sequence[expr.Scope]
            ) -> Speaker | None:
    """The sentence of a title's prerequisite for record i, or None when it has neither a
    label nor the form of a simple comparison (its expression is then what is shown).

    The values are read a column at a time, at the first call (when the titles it reads are
    decided), and records with the same values share one sentence."""
    labels = fields_of(compiled, ck.kind)
    if rule.label:
        names = list(dict.fromkeys(placeholders(rule.label)))
        if not names:
            plain = Sentence(rule.label)
            return Speaker(lambda: [plain] * len(scopes))
        return Speaker(lambda: _labelled(rule, names, ck, compiled, labels, scopes))
    words = comparison(rule.cond, ck, labels, {t.spec.id for t in ck.titles} | {
        t.id for t in compiled.ruleset.titles if t.of == ck.kind})
    if words is None:
        return None
    subject, op, needs, term = words

    def build() -> list[Sentence]:
        cache: dict[Shown, Sentence] = {}
        enum = _enum_of(term, ck)
        out = []
        for shown in _shown_column(_column(term, scopes), enum):
            found = cache.get(shown)
            if found is None:
                found = cache[shown] = Sentence(subject=subject, op=op, need=needs, value=shown)
            out.append(found)
        return out
    return Speaker(build)


class Speaker:
    """A prerequisite's sentence for each record, built a column at a time at the first
    call."""

    def __init__(self, build: Callable[[], list[Sentence]]) -> None:
        self._build = build
        self._built: list[Sentence] | None = None

    def column(self) -> list[Sentence]:
        """Every record's sentence, in the records' order."""
        if self._built is None:
            self._built = self._build()
        return self._built

    def __call__(self, i: int) -> Sentence:
        return self.column()[i]


def _labelled(rule: Rule, names: Sequence[str], ck: CKind, compiled: Compiled,
              labels: Mapping[str, str], scopes: Sequence[expr.Scope]) -> list[Sentence]:
    """The sentences of a labelled prerequisite for every record."""
    term = one_term(rule.cond)
    n = len(scopes)
    columns: list[Sequence[Shown]] = []
    for name in names:
        if name == "value" and term is not None:
            enum = _enum_of(term, ck)
            columns.append(_shown_column(_column(term, scopes), enum))
        elif name == "need" and term is not None:
            consts = [_shown(x.const, _enum_of(term, ck)) for x in normal.leaves(rule.cond)
                      if isinstance(x, normal.NfLeaf)]
            columns.append([consts[0] if len(consts) == 1 else _joined(consts)] * n)
        elif name in labels:
            enum = ck.inputs[name].values if name in ck.inputs else None
            columns.append(_shown_column(closures.field_column(name, scopes), enum))
        else:
            columns.append([compiled.constants.get(name)] * n)
    cache: dict[tuple[Shown, ...], Sentence] = {}
    out = []
    for shown in zip(*columns, strict=True):
        found = cache.get(shown)
        if found is None:
            found = cache[shown] = Sentence(rule.label, tuple(zip(names, shown, strict=True)))
        out.append(found)
    return out


def _column(term: expr.Node, scopes: Sequence[expr.Scope]) -> list[expr.Value]:
    """The term's value for every record; None where it has none (a division by zero)."""
    try:
        return closures.column(term, scopes)
    except evaluate.Undefined:
        out: list[expr.Value] = []
        for scope in scopes:
            try:
                out.append(evaluate.evaluate(term, scope))
            except evaluate.Undefined:
                out.append(None)
        return out


def _joined(values: Sequence[Shown]) -> str:
    return " / ".join(str(v) for v in values)


def worded(prereqs: tuple[Prerequisite, ...], speakers: Sequence[Speaker | None],
           i: int, entries: dict[tuple[object, ...], Any]) -> tuple[Prerequisite, ...]:
    """The prerequisites of record i with their sentences; equal ones share one object, kept
    in `entries` (the scorer's shared ledger entries) so that decisions stay shared too."""
    said = [None if speak is None else speak(i) for speak in speakers]
    # prerequisites and sentences are shared and held by the entries: their ids are stable
    whole = ("worded", *map(id, prereqs), *map(id, said))
    done = entries.get(whole)
    if done is not None:
        return done  # type: ignore[no-any-return]
    out = list(prereqs)
    for k, s in enumerate(said):
        if s is None:
            continue
        p = out[k]
        key = ("sentence", id(p), id(s))
        found = entries.get(key)
        if found is None:
            found = entries[key] = type(p)(p.condition, p.met, p.detail, s)
        out[k] = found
    entries[whole] = result = tuple(out)
    return result


# ----------------------------------------------------------------------------- the reader


def _translator(lang: str | None) -> Callable[[str], str]:
    """`_` of the language of the moment (None), or of `lang`."""
    if lang is None:
        return i18n._
    if lang == "en":
        return lambda message: message
    table = i18n.catalogue(lang)
    return lambda message: table.get(message, message)


def number(d: Decimal, lang: str | None = None) -> str:
    """A number as a council reads it, to two decimals at most: 1.234,5 in Vietnamese,
    1,234.5 in English."""
    if d.as_tuple().exponent < -2:  # type: ignore[operator]
        d = d.quantize(Decimal("0.01"), ROUND_HALF_UP)
    text = show.format_number(d)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _dot, frac = text.partition(".")
    grouped = f"{int(whole):,}"
    thousands, decimal = (".", ",") if (lang or i18n.language()) == "vi" else (",", ".")
    grouped = grouped.replace(",", thousands)
    return sign + grouped + (decimal + frac if frac else "")


def _percent(v: Shown, lang: str | None = None) -> str:
    if isinstance(v, Decimal):
        return number(v * 100, lang) + "%"
    return _word(v, lang)


def _word(v: Shown, lang: str | None = None) -> str:
    _ = _translator(lang)
    if v is None:
        return _("not given")
    if isinstance(v, bool):
        return _("yes") if v else _("no")
    if isinstance(v, Decimal):
        return number(v, lang)
    return v


def say(s: Sentence, met: bool, lang: str | None = None) -> str:
    """The sentence in the language of the moment, or in `lang`."""
    _ = _translator(lang)
    if s.template:
        values = dict(s.values)
        parts = []
        for literal, name, spec, _conversion in string.Formatter().parse(s.template):
            parts.append(literal)
            if name is not None:
                shown = values.get(name)
                parts.append(_percent(shown, lang) if spec == "%" else _word(shown, lang))
        return "".join(parts)
    if s.op == "holds":
        return (_("holds {title}") if met else _("does not hold {title}")).format(title=s.subject)
    need = _(" or ").join(_word(v, lang) for v in s.need)
    forms = {
        ">=": _("{subject}: {value} (needs {need} or more)"),
        ">": _("{subject}: {value} (needs more than {need})"),
        "<=": _("{subject}: {value} (needs at most {need})"),
        "<": _("{subject}: {value} (needs less than {need})"),
        "==": _("{subject}: {value} (needs {need})"),
        "in": _("{subject}: {value} (needs {need})"),
        "!=": _("{subject}: {value} (needs other than {need})"),
    }
    return forms[s.op].format(subject=s.subject, value=_word(s.value, lang), need=need)


def said(p: Prerequisite, lang: str | None = None) -> str:
    """A prerequisite as a council member reads it: its sentence, else the failing part with
    its values (or the expression, when met)."""
    if p.sentence is not None:
        return say(p.sentence, p.met, lang)
    return p.detail or p.condition


def explain_line(p: Prerequisite) -> str:
    """A prerequisite's line in `explain`: the council's words first, then the expression
    and its failing part in brackets for the rule's author."""
    if p.sentence is None:
        return (_("met: {condition}").format(condition=p.condition) if p.met else
                _("NOT met: {condition}: {detail}").format(condition=p.condition,
                                                           detail=p.detail))
    words = say(p.sentence, p.met)
    if p.met:
        return _("met: {words} [{condition}]").format(words=words, condition=p.condition)
    return _("NOT met: {words} [{condition}: {detail}]").format(
        words=words, condition=p.condition, detail=p.detail)
