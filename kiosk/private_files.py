"""State files only the kiosk user can read: directories 0700, files 0600, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create the directory (and missing parents) if needed; it ends up mode 0700."""
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask; an old directory is fixed
    return path


def private_file(path: str | os.PathLike[str]) -> Path:
    """Create an empty file if it is missing; the file ends up mode 0600 (its data is kept)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def restrict(path: str | os.PathLike[str]) -> None:
    """Make an existing file mode 0600 (nothing if it does not exist)."""
    try:
        os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        pass


def write_private(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Replace the file's content atomically and durably; the file is mode 0600 from its birth."""
    path = Path(path)
    tmp = _write_tmp(path, data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(tmp, path)
    return path


def create_private(path: str | os.PathLike[str], data: bytes) -> bool:
    """Write a new file 0600 only if none exists (two starters race safely); True if written."""
    path = Path(path)
    tmp = _write_tmp(path, data)
    try:
        os.link(tmp, path)  # atomic, and never replaces: a reader sees all of the data or no file
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def _write_tmp(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, FILE_MODE)  # a leftover tmp file keeps its old mode otherwise
        file.write(data)
        file.flush()
        os.fsync(fd)
    return tmp
