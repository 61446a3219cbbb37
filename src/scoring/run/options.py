"""How a run is made: the options every face (the command line, the web page, a script) gives.

One object instead of long argument lists, so that adding an option does not shift every
call, and so that what a run was asked to do can be recorded in its manifest exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scoring.base.progress import Progress

if TYPE_CHECKING:
    from scoring.evaluation.scorer import Evaluator

__all__ = ["Options"]


@dataclass(frozen=True, kw_only=True)
class Options:
    """What a scoring run is asked to do, as `scoring score`'s options say it.

    `rules`: the rule set folder (None: the newest rule set not after the data's year);
    `history`: the folder of past years the rules may read (None: every history value is 0);
    `allow_incomplete`: score records whose judged criteria have no value yet, marked
    provisional; `decision_date` (YYYY-MM-DD): the date of the decision conferring the titles,
    whose base salary the rewards use (None: the rule set's); `raw`: the CSV output in the
machine form (codes, plain numbers, true/false); `evaluator`: the rule evaluator
    (None: the rule engine); `progress`: a callback for long steps (see `base.progress`).
    """

    rules: Path | None = None
    history: Path | None = None
    allow_incomplete: bool = False
    decision_date: str | None = None
    raw: bool = False
    evaluator: Evaluator | None = None
    progress: Progress | None = None

    def recorded(self, fmt: str) -> dict[str, object]:
        """The options as the manifest records them for an output in `fmt` (the history
        folder is added with its files' hashes once it has been read)."""
        options: dict[str, object] = {"format": fmt,
                                      "rules": str(self.rules) if self.rules else None,
                                      "allow_incomplete": self.allow_incomplete}
        if self.decision_date is not None:  # only when given, so earlier manifests stay valid
            options["decision_date"] = self.decision_date
        if self.raw:
            options["raw"] = True
        return options
