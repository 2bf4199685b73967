"""The progress of `backupdesk run` and `copy-out`: a bar on a terminal, plain lines when the
output is a file or a pipe, nothing with --json. Written to stderr; stdout keeps the result."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from core.progress import Progress, ProgressCallback, describe, no_progress

LINE_EVERY = 5.0  # seconds between plain lines (a phase change prints at once)


class PlainLines:
    """One line per phase, then one every LINE_EVERY seconds: readable in a log file."""

    def __init__(self, out: TextIO, plan: str) -> None:
        self.out, self.plan = out, plan
        self.phase = ""
        self.next_at = 0.0
        self.lock = threading.Lock()

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        with self.lock:
            if p.phase == self.phase and now < self.next_at:
                return
            self.phase, self.next_at = p.phase, now + LINE_EVERY
            frac = p.fraction
            pct = f" {frac:.0%}" if frac is not None else ""
            print(f"{self.plan}:{pct} {describe(p)}", file=self.out, flush=True)


class Bar:
    """A rich progress bar: phase, percent (when the total is known), bytes, files, elapsed."""

    def __init__(self, out: TextIO, plan: str) -> None:
        # rich takes tens of milliseconds to import: only for a terminal
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(TextColumn("[bold]{task.fields[plan]}"), BarColumn(),
                                TaskProgressColumn(), TextColumn("{task.description}"),
                                TimeElapsedColumn(), console=Console(file=out),
                                transient=True)
        self.task = self.bar.add_task("Starting", total=None, plan=plan)

    def __call__(self, p: Progress) -> None:
        total = p.bytes_total or p.files_total
        done = p.bytes_done if p.bytes_total else p.files_done
        self.bar.update(self.task, description=describe(p), total=total or None,
                        completed=done if total else 0)

    def __enter__(self) -> Bar:
        self.bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.stop()


@contextmanager
def run_progress(plan: str, *, json: bool, out: TextIO | None = None) -> Iterator[
        ProgressCallback]:
    stream = out if out is not None else sys.stderr
    if json:
        yield no_progress
    elif stream.isatty():
        with Bar(stream, plan) as bar:
            yield bar
    else:
        yield PlainLines(stream, plan)
