"""The journal's room (kiosk/journal_room.py): the disk's free space or the file size limit,
whichever is less; short of the reserve it is the `disk_full` fault. Pure: a stand-in
controller carries only the config the module reads."""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import signal
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from kiosk import journal_room
from kiosk.steps import Fault

MB = 1_000_000


@contextlib.contextmanager
def file_size_limit(limit: int):
    """This process may grow no file past `limit` bytes meanwhile (a write past it fails)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "journal.db"
    path.write_bytes(b"x" * 300_000)
    (tmp_path / "journal.db-wal").write_bytes(b"w" * 500_000)  # the largest of its files
    return path


def controller(journal: Path, reserve_mb: float) -> SimpleNamespace:
    machine = SimpleNamespace(journal_reserve_mb=reserve_mb)
    return SimpleNamespace(config=SimpleNamespace(machine=machine, journal_path=journal))


def test_without_a_file_size_limit_the_room_is_the_disks_free_space(journal):
    disk = os.statvfs(journal.parent)
    free = disk.f_bavail * disk.f_frsize
    assert abs(journal_room.journal_room(journal) - free) < 50 * MB  # others write meanwhile


def test_a_file_size_limit_leaves_the_room_up_to_it_from_the_largest_file(journal):
    with file_size_limit(2 * MB):
        assert journal_room.journal_room(journal) == 2 * MB - 500_000
    with file_size_limit(400_000):  # already past it: no room at all
        assert journal_room.journal_room(journal) == 0


def test_short_of_the_reserve_is_the_disk_full_fault_with_the_room_left(journal):
    with file_size_limit(2 * MB):
        short = journal_room.shortage(controller(journal, 64.0))
        assert short["code"] == "disk_full"
        assert short["detail"].startswith("1.5 MB left for the journal, under the reserve of 64")
        assert journal_room.shortage(controller(journal, 1.0)) is None
        with pytest.raises(Fault) as refused:
            journal_room.require_room(controller(journal, 64.0))
        assert refused.value.code == "disk_full"
    journal_room.require_room(controller(journal, 1.0))


def test_a_failed_write_is_disk_full_when_the_room_is_gone_else_unwritable(journal):
    error = sqlite3.OperationalError("disk I/O error")
    with file_size_limit(600_000):
        fault = journal_room.write_failure(controller(journal, 1.0), error)
        assert (fault.code, fault.detail) == ("disk_full", "OperationalError: disk I/O error")
    fault = journal_room.write_failure(controller(journal, 0.0), error)
    assert fault.code == "journal_unwritable"


def test_a_write_past_the_limit_fails_with_an_error_not_a_signal(journal):
    with file_size_limit(600_000), pytest.raises(OSError) as failed:
        with open(journal.parent / "journal.db-wal", "ab") as wal:
            wal.write(b"w" * 200_000)
    assert failed.value.errno == errno.EFBIG  # the controller ignores SIGXFSZ the same way
