"""Progress bars on stderr for long runs: the CLI's side of `scoring.base.progress`.

A bar appears only once a stage has taken a second (a short run prints nothing), and never when
stderr is not a terminal (CI logs, redirections) or with `--quiet`, so stdout stays clean for
pipes (`-o -`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import click

from scoring.base.i18n import N_, _
from scoring.base.progress import DELAY, Progress, silent

# The stages the library reports (`progress(stage, …)`), shown translated as the bars' labels.
STAGES = (N_("reading"), N_("validating"), N_("evaluating"), N_("scoring"))


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
            self._bar = click.progressbar(length=total, label=_(stage), file=self._stream)
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
    stream = stream if stream is not None else sys.stderr
    if quiet or not stream.isatty():
        yield silent
        return
    bars = _Bars(stream, delay, clock)
    try:
        yield bars
    finally:
        bars.close()
