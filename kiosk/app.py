"""The controller process: the controller, its patron API and control socket, systemd."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import json
import logging
import os
import signal
from pathlib import Path

from kiosk import control, notify, patron_api
from kiosk.config import KioskConfig
from kiosk.controller import Controller
from kiosk.private_files import private_dir, write_private

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
MMAP_THRESHOLD = 128 * 1024  # glibc's default; fixed, it no longer rises after a large free


def control_socket(config: KioskConfig) -> Path:
    """The control socket's path (relative paths are under the state directory)."""
    path = Path(config.control.socket)
    return path if path.is_absolute() else Path(config.machine.state_dir) / path


def unmap_large_blocks() -> None:
    """Have glibc map every large block and give it back when freed.

    A technician PIN check (scrypt) takes 16 MiB. With glibc's moving threshold, the first
    free raised it, later checks took the block from a thread's heap, and it stayed resident
    for good (the soak campaign measured +17 MiB of RSS). Elsewhere than glibc: nothing to do.
    """
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError):
        return
    if not mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD):
        log.warning("mallopt(M_MMAP_THRESHOLD) refused: large blocks may stay resident")


async def run(config: KioskConfig) -> None:
    """Run the controller until SIGTERM or SIGINT."""
    # Past a file size limit a write fails (EFBIG, journaled as a fault) instead of killing us.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    unmap_large_blocks()
    controller = Controller(config)
    started = asyncio.Event()
    main = asyncio.create_task(controller.run(started), name="controller")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    waiters = [asyncio.create_task(started.wait()), main]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    if main.done():
        main.result()  # start-up failed: raise its error
    runner, url = await patron_api.start(controller, config.ui.host, config.ui.port,
                                         timeout=config.ui.request_timeout,
                                         max_connections=config.ui.max_connections)
    controller.ui_url = url
    server = await control.serve(controller, control_socket(config), config.control.group)
    _write_endpoints(config, url)
    notify.notify("READY=1", f"STATUS=serving {url}")
    watchdog = asyncio.create_task(_watchdog(controller))
    observing = asyncio.create_task(controller.observe.run(controller), name="alerts")
    try:
        await asyncio.wait([asyncio.create_task(stop.wait()), main],
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        notify.notify("STOPPING=1")
        watchdog.cancel()
        observing.cancel()
        controller.screens.close()
        server.close()
        await runner.cleanup()
        main.cancel()
        try:
            await main
        except asyncio.CancelledError:
            pass
        (Path(config.machine.state_dir) / "kiosk.json").unlink(missing_ok=True)


async def _watchdog(controller: Controller) -> None:
    """Tell systemd the loop is alive, as long as it turns."""
    interval = notify.watchdog_interval()
    if interval is None:
        return
    while True:
        notify.notify("WATCHDOG=1", f"STATUS=state {controller.state.value}")
        await asyncio.sleep(interval)


def _write_endpoints(config: KioskConfig, url: str) -> None:
    """kiosk.json in the state directory: where the UI and the control socket are (mode 0600)."""
    path = private_dir(config.machine.state_dir) / "kiosk.json"
    data = {"ui": {"url": url}, "control": {"socket": str(control_socket(config))},
            "pid": os.getpid()}
    write_private(path, json.dumps(data, indent=2) + "\n")
