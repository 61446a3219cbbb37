"""What a person reads in an export instead of the rule set's codes: its labels, yes/no, money.

The rule set speaks in codes (`tot`, `unit_id`, `CO_THI_DUA`, true/false) so that conditions
stay short and exact; a council reads labels ("Hoàn thành tốt nhiệm vụ"), `có`/`không` and
amounts as Vietnamese documents write them (`4.260.000 đ`). `Vocab` holds the lookups built
once from the rule set and the result, and every human-facing output (terminal table, CSV,
XLSX, HTML report) shows values through it; `scoring score --raw` (CSV) and the JSON output keep
the codes for scripts.

Language: labels come from the rule set, in the language it was written in (Vietnamese), in
every language. Only the words the program adds follow the output's language: yes/no (`có` /
`không`, `yes` / `no`) and money (`4.260.000 đ`; in English `4,260,000 VND`). The output's
language is the run's, which the manifest records (`language`; `options.lang` in manifests of
version 0.x that recorded it there), so `verify` renders the same bytes whatever language it
is run in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from scoring.evaluation.result import Result
from scoring.language.expr import Value
from scoring.rulesets.schema import KINDS, Kind

if TYPE_CHECKING:
    from scoring.rulesets.compile import Compiled

__all__ = ["MONEY_FORMATS", "Vocab", "money", "output_language", "output_raw", "yes_no"]

_YES_NO = {"vi": ("có", "không"), "en": ("yes", "no")}
# (thousands separator, unit) per language.
_MONEY = {"vi": (".", "đ"), "en": (",", "VND")}
# XLSX number formats: the cell stays a number (Excel sums it) and shows as money. Excel swaps
# "," in a format for the reader's own thousands separator, so the Vietnamese format writes its
# dots as literal characters between digit placeholders instead: 4.260.000 đ on every
# computer, whatever its regional settings (amounts up to 999.999.999.999 keep every dot).
MONEY_FORMATS = {
    "vi": '[>=1000000]#\\.###\\.##0" đ";[>=1000]#\\.##0" đ";0" đ"',
    "en": '#,##0" VND"',
}
_SCOPE_ALL = {"vi": "toàn bộ", "en": "all"}


def _lang(lang: str) -> str:
    return lang if lang in _YES_NO else "vi"


def yes_no(value: bool, lang: str = "vi") -> str:
    """`có`/`không` (Vietnamese), `yes`/`no` (English)."""
    yes, no = _YES_NO[_lang(lang)]
    return yes if value else no


def money(amount: Decimal, lang: str = "vi") -> str:
    """Whole đồng with a separator between thousands: 4.260.000 đ (vi), 4,260,000 VND (en)."""
    sep, unit = _MONEY[_lang(lang)]
    whole = int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"{whole:,} {unit}".replace(",", sep)


def output_language(manifest: Mapping[str, Any]) -> str:
    """The language an output was written in, as its manifest records it (default vi)."""
    options = manifest.get("options")
    lang = manifest.get("language")
    if lang is None and isinstance(options, Mapping):
        lang = options.get("lang")
    return lang if isinstance(lang, str) and lang in _YES_NO else "vi"


def output_raw(manifest: Mapping[str, Any]) -> bool:
    """Whether the CSV output keeps the codes (`scoring score --raw`)."""
    options = manifest.get("options")
    return isinstance(options, Mapping) and options.get("raw") is True


@dataclass(frozen=True)
class Vocab:
    """The rule set's labels for a result's codes, and the language of the program's words."""

    lang: str = "vi"
    labels: Mapping[str, str] = field(default_factory=dict)  # input/criterion id → label
    titles: Mapping[str, str] = field(default_factory=dict)  # title id → label
    values: Mapping[tuple[Kind, str], Mapping[str, str]] = field(default_factory=dict)
    unit_names: Mapping[str, str] = field(default_factory=dict)  # unit id → name
    # An input's label for one kind, when the two kinds label one name differently.
    kind_labels: Mapping[tuple[Kind, str], str] = field(default_factory=dict)

    @classmethod
    def of(cls, result: Result, compiled: Compiled | None = None, lang: str = "vi") -> Vocab:
        """Labels from the result (criteria, inputs, titles) and, when given, the rule set's
        labels of enum values."""
        values: dict[tuple[Kind, str], Mapping[str, str]] = {}
        kind_labels: dict[tuple[Kind, str], str] = {}
        if compiled is not None:
            for kind in KINDS:
                for name, spec in compiled.ruleset.kind(kind).inputs.items():
                    kind_labels[(kind, name)] = spec.label
                    if spec.values:
                        values[(kind, name)] = dict(spec.values)
        return cls(_lang(lang), dict(result.labels),
                   {tid: label for tid, label, _kind in result.titles}, values,
                   {u.id: u.name for u in result.units}, kind_labels)

    def yes_no(self, value: bool) -> str:
        return yes_no(value, self.lang)

    def money(self, amount: Decimal) -> str:
        return money(amount, self.lang)

    def label(self, name: str, kind: Kind | None = None) -> str:
        """A criterion's or input's label (its id when the rule set gives none); with `kind`,
        that kind's own label of an input."""
        return ((self.kind_labels.get((kind, name)) if kind else None)
                or self.labels.get(name) or name)

    def title(self, tid: str) -> str:
        return self.titles.get(tid) or tid

    def short_title(self, tid: str) -> str:
        """A title's label up to its aside: 'Cờ thi đua (đề nghị tặng …)' → 'Cờ thi đua'."""
        return self.title(tid).split(" (", 1)[0]

    def short_titles(self, tids: Sequence[str], sep: str = ", ") -> str:
        return sep.join(self.short_title(t) for t in tids)

    def title_list(self, tids: Sequence[str], sep: str = "; ") -> str:
        return sep.join(self.title(t) for t in tids)

    def value(self, kind: Kind, name: str, value: str) -> str:
        """An enum input's value as its label: `tot` → "Hoàn thành tốt nhiệm vụ"."""
        return self.values.get((kind, name), {}).get(value, value)

    def show(self, kind: Kind, name: str, value: Value) -> Value:
        """An input's value for a person: the enum's label, yes/no; numbers stay numbers."""
        if isinstance(value, bool):
            return self.yes_no(value)
        if isinstance(value, str):
            return self.value(kind, name, value)
        return value

    def unit(self, unit_id: str) -> str:
        """`Công ty Cổ phần Cơ khí Sơn Tịnh (DN-CKST)`, or the id of a unit not scored."""
        name = self.unit_names.get(unit_id)
        return f"{name} ({unit_id})" if name else unit_id

    def scope(self, scope: str, kind: Kind = "individual") -> str:
        """A ranking or quota scope as a person names it: `unit_id = DN-CKST` → the unit's
        name and id, `cluster = Khối …` → the cluster, `all` → toàn bộ, any other field →
        its label and value (an enum's value by its label)."""
        if not scope:
            return scope
        parts = []
        for part in scope.split(", "):
            name, sep, value = part.partition(" = ")
            if not sep:
                parts.append(part)
            elif name == "all":
                parts.append(_SCOPE_ALL[self.lang])
            elif name in ("unit_id", "unit"):
                parts.append(self.unit(value))
            elif name == "cluster":
                parts.append(value)
            else:
                parts.append(f"{self.label(name, kind)}: {self.value(kind, name, value)}")
        return ", ".join(parts)
