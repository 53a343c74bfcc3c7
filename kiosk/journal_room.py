"""Room left for the journal to grow, and the safe state when it runs short.

Two limits stop a write: the free space of the journal's file system (for this user), and the
process's file size limit (RLIMIT_FSIZE, e.g. systemd's LimitFSIZE=), which caps every file it
writes. The room is the smaller of the two. Below `[machine] journal_reserve_mb` the kiosk
takes no new patron: from `ready` or `closed` it goes out of service (`disk_full`), before a
loan or a return could fail to be journaled; a reset with still too little room is refused the
same way. The reserve leaves room for the patron already at the machine to finish.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.device_events import fault
from kiosk.inbox import External, Source
from kiosk.machine import KioskState
from kiosk.steps import Event, Fault

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0  # how often the room is looked at
MB = 1_000_000
JOURNAL_FILES = ("", "-wal", "-shm")  # SQLite's files of the journal
NO_NEW_PATRON = (KioskState.READY, KioskState.CLOSED)  # where running short stops the kiosk


def journal_room(journal_path: Path) -> int:
    """Bytes the journal's files can still grow by (0 at the least)."""
    disk = os.statvfs(journal_path.parent)
    room = disk.f_bavail * disk.f_frsize
    limit, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if limit != resource.RLIM_INFINITY:
        room = min(room, limit - max(_size(Path(f"{journal_path}{end}")) for end in JOURNAL_FILES))
    return max(0, room)


def shortage(ctl: "Controller") -> dict | None:
    """The `disk_full` fault when the journal's room is below the reserve, else None."""
    reserve = ctl.config.machine.journal_reserve_mb * MB
    room = journal_room(ctl.config.journal_path)
    if room >= reserve:
        return None
    return fault("disk_full", f"{room / MB:.1f} MB left for the journal, under the reserve of "
                              f"{ctl.config.machine.journal_reserve_mb:g} MB")


def require_room(ctl: "Controller") -> None:
    """Raise the `disk_full` Fault when the journal is short of room (start-up, a reset)."""
    short = shortage(ctl)
    if short is not None:
        raise Fault(short["code"], short["detail"])


def write_failure(ctl: "Controller", exc: Exception) -> Fault:
    """The fault for a journal write that failed: `disk_full` when the room is gone, else
    `journal_unwritable` (the file system refused it otherwise)."""
    detail = f"{type(exc).__name__}: {exc}"
    try:
        short = shortage(ctl)
    except OSError:
        short = None
    return Fault("disk_full" if short is not None else "journal_unwritable", detail)


async def watch(ctl: "Controller") -> None:
    """Every CHECK_SECONDS: short of room with no patron at the machine, go out of service."""
    while True:
        await asyncio.sleep(CHECK_SECONDS)
        if ctl.state not in NO_NEW_PATRON:
            continue
        try:
            short = shortage(ctl)
        except OSError as exc:  # the state directory itself is gone: nothing can be journaled
            short = fault("disk_full", f"the journal's folder cannot be read: {exc}")
        if short is not None:
            log.error("journal short of room: %s", short["detail"])
            ctl.post(External(Event.DEVICE_FAULT, Source.DEVICE, {"fault": short}))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
