"""The report's words and numbers in one language: labels, decimal mark, dates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from scoring.outputs.report.labels import labels_for
from scoring.outputs.table import show_number

__all__ = ["Words"]


@dataclass(frozen=True)
class Words:
    """Look up a label (`w("rank")`, `w("quota_line", used=3, …)`) and format numbers."""

    lang: str
    labels: Mapping[str, str]

    @classmethod
    def of(cls, lang: str) -> Words:
        return cls(lang, labels_for(lang))

    def __call__(self, key: str, **fields: object) -> str:
        text = self.labels[key]
        return text.format(**fields) if fields else text

    def num(self, d: Decimal) -> str:
        """A number as the shared outputs show it, with the language's decimal mark (12,5)."""
        return show_number(d).replace(".", self.labels["decimal"])

    def date(self, iso: str) -> str:
        """`2021-12-31T…` as 31/12/2021 (vi) or 2021-12-31 (en); other text unchanged."""
        day = iso[:10]
        if len(day) != 10 or day[4] != "-" or day[7] != "-":
            return iso
        if self.lang == "vi":
            return f"{day[8:10]}/{day[5:7]}/{day[:4]}"
        return day
