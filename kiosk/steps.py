"""What an action reports back to the state machine."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """The event an action ends with, and its payload."""

    event: str
    payload: dict = field(default_factory=dict)


class Fault(Exception):
    """An action found the machine unsafe to go on: out of service until a technician comes."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
