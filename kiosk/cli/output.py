"""How the CLI answers: rich tables and progress bars for a person, JSON with --json, exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported when a command first prints: `kiosk run` never does
    from rich.console import Console
    from rich.progress import Progress


class ExitCode(IntEnum):
    """What `kiosk`'s exit status means (docs/controller.md lists them)."""

    OK = 0
    FAILED = 1  # the controller refused or the work failed: the message says why
    USAGE = 2  # a wrong command line or a broken config
    UNREACHABLE = 3  # no controller answers on the control socket
    BUSY = 4  # not now: a patron is using the machine, or its state does not allow it
    DENIED = 5  # the technician PIN is missing or wrong, or too many wrong ones
    FOUND = 6  # done, and it found something to look at (an audit's mismatches, open conflicts)


ERROR_EXITS = {"refused": ExitCode.FAILED, "busy": ExitCode.BUSY, "denied": ExitCode.DENIED,
               "malformed": ExitCode.USAGE}


class CliFailure(Exception):
    """The command cannot go on: the message for the technician and the exit code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED):
        super().__init__(message)
        self.code = code


class Out:
    """One command's output: human (rich) or --json."""

    def __init__(self, as_json: bool, console: Console | None = None):
        self.as_json = as_json
        self._console = console
        self._errors: Console | None = None

    @property
    def console(self) -> Console:
        """Where a person's output goes (made on first use)."""
        if self._console is None:
            from rich.console import Console
            self._console = Console(highlight=False, soft_wrap=True)
        return self._console

    @property
    def errors(self) -> Console:
        """Where error lines and progress bars go: stderr (made on first use)."""
        if self._errors is None:
            from rich.console import Console
            self._errors = Console(stderr=True, highlight=False)
        return self._errors

    def json(self, value: Any) -> None:
        """Print `value` as JSON (the --json answer)."""
        print(json.dumps(value, indent=2, ensure_ascii=False, default=str))

    def fields(self, title: str, values: dict[str, Any]) -> None:
        """A two-column table of names and values."""
        from rich.table import Table
        table = Table(title=title, show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        for name, value in values.items():
            table.add_row(name, _text(value))
        self.console.print(table)

    def table(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """A table with a header row."""
        from rich.table import Table
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(_text(value) for value in row))
        self.console.print(table)

    def say(self, text: str) -> None:
        """One line for a person (nothing in --json mode)."""
        if not self.as_json:
            self.console.print(text)

    def error(self, text: str) -> None:
        """One line on stderr, in both modes."""
        self.errors.print(f"kiosk: {text}", markup=False)

    def progress(self, description: str) -> "ProgressBar":
        """A progress bar with an estimate (silent in --json mode)."""
        return ProgressBar(self, description)


class ProgressBar:
    """A rich progress bar fed by the controller's progress lines ({"done", "total", ...})."""

    def __init__(self, out: Out, description: str):
        self.out = out
        self.description = description
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> "ProgressBar":
        if not self.out.as_json:
            from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn,
                                       TimeRemainingColumn)
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      TaskProgressColumn(), TimeRemainingColumn(),
                                      console=self.out.errors, transient=False)
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=None)
        return self

    def update(self, progress: dict) -> None:
        """Show one progress line from the controller."""
        if self._progress is None:
            return
        self._progress.update(self._task, total=progress.get("total"),
                              completed=progress.get("done", 0),
                              description=progress.get("note") or self.description)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def read_pin_file(path: Path) -> str:
    """The technician PIN from a file (first line), for scripts."""
    return path.read_text(encoding="utf-8").splitlines()[0].strip()


def run_command(handler: Callable[..., ExitCode | int | None], *args: Any, out: Out) -> int:
    """Run a command handler and turn a CliFailure into its message and exit code."""
    try:
        return int(handler(*args) or ExitCode.OK)
    except CliFailure as failure:
        if out.as_json:
            out.json({"ok": False, "error": str(failure), "exit": int(failure.code)})
        else:
            out.error(str(failure))
        return int(failure.code)


def stdin_is_terminal() -> bool:
    """True when a person can be asked a question."""
    return sys.stdin.isatty()
