"""Progress bars on stderr for long runs, behind a callback the core can take without click.

The core stays free of terminals: a long step (reading files, evaluating rules, writing
outputs) accepts an optional `Progress` callback and calls it as `progress(stage, done,
total)`; `counted` wraps the rule evaluator so that evaluation reports without a hook in the
scorer. The CLI passes the callback `progress_bars` yields, which draws a `click.progressbar`
on stderr, so stdout stays clean for pipes (`-o -`). A bar appears only once a stage has taken
a second (a short run prints nothing), and never when stderr is not a terminal (CI logs,
redirections) or with `--quiet`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the core's types, for annotations only: this module imports nothing heavy
    from scoring.compile import Group
    from scoring.expr import Scope
    from scoring.scorer import Evaluator

__all__ = ["DELAY", "Progress", "counted", "progress_bars", "silent"]

Progress = Callable[[str, int, int], None]
DELAY = 1.0  # seconds a stage runs before its bar appears


def silent(stage: str, done: int, total: int) -> None:
    """The callback that reports nothing (what the core uses when given none)."""


class _Bars:
    """One bar per stage, opened lazily once the stage has run for `delay` seconds."""

    def __init__(self, stream: TextIO, delay: float, clock: Callable[[], float]) -> None:
        self._stream = stream
        self._delay = delay
        self._clock = clock
        self._stage: str | None = None
        self._started = 0.0
        self._bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage, self._started = stage, self._clock()
        if self._bar is None:
            if done >= total or self._clock() - self._started < self._delay:
                return
            import click

            self._bar = click.progressbar(length=total, label=stage, file=self._stream)
            self._bar.__enter__()
        self._bar.update(max(0, done - self._bar.pos))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        self._stage = None


@contextmanager
def progress_bars(quiet: bool = False, stream: TextIO | None = None, delay: float = DELAY,
                  clock: Callable[[], float] = time.monotonic) -> Iterator[Progress]:
    """Yield a `Progress` callback drawing bars on `stream` (stderr), or `silent`.

    Silent with `quiet` or when the stream is not a terminal. Any bar still open is finished
    on exit, so an error message never lands in the middle of a bar.
    """
    if stream is None:
        import click

        stream = click.get_text_stream("stderr")
    if quiet or not stream.isatty():
        yield silent
        return
    bars = _Bars(stream, delay, clock)
    try:
        yield bars
    finally:
        bars.close()


class _Counted:
    """An evaluator that reports each group of rules it evaluates (see `counted`)."""

    def __init__(self, inner: Evaluator, total: int, progress: Progress, stage: str) -> None:
        self._inner, self._total, self._progress, self._stage = inner, total, progress, stage
        self._done = 0

    @property
    def facts_asserted(self) -> int:
        return self._inner.facts_asserted

    @facts_asserted.setter
    def facts_asserted(self, value: int) -> None:
        self._inner.facts_asserted = value

    def evaluate(self, group: Group, scopes: Sequence[Scope]) -> list[frozenset[int]]:
        fired = self._inner.evaluate(group, scopes)
        self._done += 1
        self._progress(self._stage, min(self._done, self._total), self._total)
        return fired


def counted(evaluator: Evaluator | None, total: int, progress: Progress,
            stage: str = "evaluating") -> Evaluator:
    """Wrap an evaluator (the rule engine when None) to report `stage` once per rule group.

    The scorer evaluates one group of rules (a criterion, a gate, a title) over all records
    at a time, so `total` is the rule set's number of groups: `len(compiled.groups())`. The
    scorer itself needs no progress hook.
    """
    if evaluator is None:
        from scoring.engine import Engine

        evaluator = Engine()
    return _Counted(evaluator, total, progress, stage)
