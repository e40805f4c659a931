"""Progress of long commands (kernel helper): one line on a terminal, silence in logs.

Long commands (``gongkai demo load``, ``demo synthesize``, ``search reindex``, ``calendar
seed``...) report each stage through :func:`progress`::

    with progress("items", total=300_000) as bar:
        for batch in batches:
            ...
            bar.advance(len(batch))

On a terminal (standard error is a TTY) this redraws one line, at most ten times a second::

    items  120,000/300,000  40%  41,532/s  4 s left

and ends it with the stage's count and time. When standard error is not a terminal (a log file,
a CI job, a pipe) nothing is written: the command's own summary lines are what a log keeps.
``GONGKAI_PROGRESS=1`` forces the display, ``GONGKAI_PROGRESS=0`` turns it off.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import TextIO

REDRAW_SECONDS = 0.1
_finished = [0]  # stages finished on screen so far (a stage around others does not repeat them)


def enabled(stream: TextIO | None = None) -> bool:
    forced = os.environ.get("GONGKAI_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """The state of one stage; :meth:`advance` counts, :meth:`line` is what is shown."""

    def __init__(self, stage: str, total: int | None, stream: TextIO | None, show: bool):
        self.stage, self.total, self.count = stage, total, 0
        self.stream = stream or sys.stderr
        self.show = show
        self.started = self._drawn = time.monotonic()
        self._width = 0
        self._finished_before = _finished[0]

    def advance(self, n: int = 1) -> None:
        self.count += n
        if self.show:
            now = time.monotonic()
            if now - self._drawn >= REDRAW_SECONDS:
                self._drawn = now
                self._draw(self.line(now))

    def set(self, count: int, total: int | None = None) -> None:
        """Report where the work is (a callback for operations that count themselves)."""
        if total is not None:
            self.total = total
        self.advance(count - self.count)

    def line(self, now: float | None = None, *, done: bool = False) -> str:
        elapsed = max((now or time.monotonic()) - self.started, 1e-9)
        rate = self.count / elapsed
        parts = [self.stage]
        if self.total:
            parts.append(f"{self.count:,}/{self.total:,}")
            parts.append(f"{min(100, 100 * self.count // self.total)}%")
        else:
            parts.append(f"{self.count:,}")
        if done:
            parts.append(f"in {_duration(elapsed)}")
        else:
            if self.count:
                parts.append(f"{rate:,.0f}/s" if rate >= 10 else f"{rate:,.1f}/s")
            if self.total and self.count and rate > 0:
                parts.append(f"{_duration((self.total - self.count) / rate)} left")
        return "  ".join(parts)

    def _draw(self, text: str, end: str = "") -> None:
        padding = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write(f"\r{text}{padding}{end}")
        self.stream.flush()

    def finish(self) -> None:
        if self.show and _finished[0] == self._finished_before:  # else: inner stages showed it
            self._draw(self.line(done=True), end="\n")
            _finished[0] += 1


@contextmanager
def progress(stage: str, total: int | None = None, *, stream: TextIO | None = None):
    """Report the progress of ``stage`` (``total`` units of work, when known)."""
    bar = Progress(stage, total, stream, enabled(stream))
    try:
        yield bar
    finally:
        bar.finish()


def stages(names_and_work, *, stream: TextIO | None = None):
    """Run ``(stage, callable)`` pairs one after another, each shown as a one-step stage;
    yields what each callable returns."""
    for name, work in names_and_work:
        with progress(name, 1, stream=stream) as bar:
            result = work()
            bar.advance()
        yield result
