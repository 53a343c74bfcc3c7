"""The idempotent event batch: journal events replayed as no-block transactions, in order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sim.library import circulation
from sim.library.core import Library, Result
from sim.library.rules import Refused

KINDS = ("checkout", "checkin", "renew", "hold_placed", "hold_cancelled")
NEEDS_PATRON = ("checkout", "renew", "hold_placed", "hold_cancelled")


def apply_event(lib: Library, event: dict[str, Any], machine_known: bool = False) -> Result:
    """Apply one checked event (id, kind, occurred_at, item_id, patron, machine_id, offline);
    `machine_known`: its machine was found already.

    A return's result carries `hold`, the hold it made ready ({"patron", "expires_at"}).
    """
    try:
        if not machine_known:
            lib.machine_library(event["machine_id"])
        result = _HANDLERS[event["kind"]](lib, event)
    except Refused as refusal:  # not recorded, a replay as much as the first time
        return {"id": event["id"], "status": "refused", "reason": refusal.reason, "hold": None}
    if result["duplicate"]:
        status = "duplicate"
    else:
        status = "conflict" if result.get("conflict") else "applied"
    return {"id": event["id"], "status": status, "reason": result.get("conflict"),
            "hold": result.get("hold")}


def apply_batch(lib: Library, events: list[dict[str, Any]]) -> list[Result]:
    """Apply events in order, in one transaction (each event its own savepoint, so a refusal
    undoes only its own event); one result per event."""
    known: set[str] = set()  # machines found (an unknown one is refused event by event)
    results = []
    with lib.batch([event["id"] for event in events]):
        for event in events:
            results.append(apply_event(lib, event, event["machine_id"] in known))
            if results[-1]["reason"] != "unknown_machine":
                known.add(event["machine_id"])
    return results


def _checkout(lib: Library, e: dict[str, Any]) -> Result:
    return circulation.checkout(lib, e["id"], e["machine_id"], e["patron"], e["item_id"],
                                e["occurred_at"], no_block=True, offline=e["offline"])


def _checkin(lib: Library, e: dict[str, Any]) -> Result:
    return circulation.checkin(lib, e["id"], e["machine_id"], e["item_id"], e["occurred_at"],
                               no_block=True, patron=e["patron"])


def _renew(lib: Library, e: dict[str, Any]) -> Result:
    return circulation.renew(lib, e["id"], e["machine_id"], e["patron"], e["item_id"],
                             e["occurred_at"], no_block=True, offline=e["offline"])


def _hold_placed(lib: Library, e: dict[str, Any]) -> Result:
    return circulation.place_hold(lib, e["id"], e["machine_id"], e["patron"], e["item_id"],
                                  e["occurred_at"])


def _hold_cancelled(lib: Library, e: dict[str, Any]) -> Result:
    return circulation.cancel_hold(lib, e["id"], e["machine_id"], e["patron"], e["item_id"],
                                   e["occurred_at"])


_HANDLERS: dict[str, Callable[[Library, dict[str, Any]], Result]] = {
    "checkout": _checkout,
    "checkin": _checkin,
    "renew": _renew,
    "hold_placed": _hold_placed,
    "hold_cancelled": _hold_cancelled,
}


def at_or_now(lib: Library, when: datetime | None, no_block: bool) -> datetime:
    """The time a transaction happened: its own time if no-block (offline), else now."""
    return when if (no_block and when is not None) else lib.now()
