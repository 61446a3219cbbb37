"""Progress bars on stderr for long runs, behind a callback the core can take without click.

The core stays free of terminals: a long step (reading files, evaluating rules, writing
outputs) accepts an optional `Progress` callback and calls it as `progress(stage, done,
total)`; `scoring.evaluation.counted` wraps the rule evaluator so that evaluation reports
without a hook in the scorer. The CLI draws the bars (`scoring.cli.progress`).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["DELAY", "Progress", "silent"]

Progress = Callable[[str, int, int], None]
DELAY = 1.0  # seconds a stage runs before its bar appears


def silent(stage: str, done: int, total: int) -> None:
    """The callback that reports nothing (what the core uses when given none)."""
