"""What a CLI command handler gets: the config, its arguments, its output, and the socket."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable
from typing import Any

from kiosk.cli.output import ERROR_EXITS, CliFailure, ExitCode, Out, read_pin_file, stdin_is_terminal
from kiosk.config import KioskConfig

PIN_ENV = "KIOSK_PIN"


class Cli:
    """One CLI invocation."""

    def __init__(self, config: KioskConfig | None, args: argparse.Namespace, out: Out):
        self.config = config
        self.args = args
        self.out = out
        self._pin: str | None = None  # asked once per invocation (an audit and its fix)

    def call(self, request: str, body: dict | None = None, *, changes: bool = False,
             on_progress: Callable[[dict], None] | None = None, timeout: float = 60.0) -> Any:
        """Ask the controller; its result, or CliFailure with the matching exit code."""
        from kiosk.app import control_socket
        from kiosk.control import ask
        pin = self.pin() if changes else None
        try:
            answer = ask(control_socket(self.config), request, body or {}, timeout,
                         pin=pin, on_progress=on_progress)
        except TimeoutError:
            raise CliFailure(f"no word from the controller for {timeout:g} s; what it was doing "
                             "may still go on (kiosk status)", ExitCode.UNREACHABLE) from None
        except (OSError, ValueError) as exc:
            raise CliFailure(f"cannot reach the controller: {exc}", ExitCode.UNREACHABLE) from None
        if not answer.get("ok"):
            raise CliFailure(answer.get("error", "refused"),
                             ERROR_EXITS.get(answer.get("code", "refused"), ExitCode.FAILED))
        return answer.get("result")

    def pin(self) -> str | None:
        """The technician PIN: --pin-file, else $KIOSK_PIN, else asked at a terminal (once)."""
        if self._pin is None:
            self._pin = self._read_pin()
        return self._pin

    def _read_pin(self) -> str | None:
        path = getattr(self.args, "pin_file", None)
        if path is not None:
            try:
                return read_pin_file(path)
            except (OSError, IndexError) as exc:
                raise CliFailure(f"cannot read the PIN file: {exc}", ExitCode.USAGE) from None
        if os.environ.get(PIN_ENV):
            return os.environ[PIN_ENV]
        if stdin_is_terminal():
            return getpass.getpass("Technician PIN: ")
        return None

    def confirm(self, question: str) -> bool:
        """Ask yes or no at a terminal (--yes answers yes; no terminal answers no)."""
        if getattr(self.args, "yes", False):
            return True
        if not stdin_is_terminal():
            return False
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
