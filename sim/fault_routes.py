"""World-control routes that inject faults: the PLC's, the readers', the library system's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.library.validate import BadRequest as LibraryBadRequest
from sim.world_api import BadRequest, field, parse_hex, route

if TYPE_CHECKING:
    from sim.app import Simulator


@route("/faults/jam")
async def fault_jam(sim: "Simulator", body: dict) -> dict:
    """The next motion command jams (fault code 1..7, default drum jam)."""
    code = field(body, "fault_code", int, 1)
    if not 1 <= code <= 7:
        raise BadRequest("fault_code must be 1..7")
    sim.plc.inject_jam(fault_code=code)
    return {}


@route("/faults/door-blocked")
async def fault_door_blocked(sim: "Simulator", body: dict) -> dict:
    """The next close of this door is blocked."""
    door = field(body, "door", str)
    if door not in ("pickup", "return"):
        raise BadRequest("door must be 'pickup' or 'return'")
    sim.plc.inject_door_blocked(door)
    return {}


@route("/faults/plc-power-cycle")
async def fault_power_cycle(sim: "Simulator", body: dict) -> dict:
    """The PLC loses power and boots again."""
    sim.plc.power_cycle()
    return {}


@route("/faults/plc-hang")
async def fault_hang(sim: "Simulator", body: dict) -> dict:
    """The PLC hangs (hang=true) or recovers (hang=false)."""
    sim.plc.set_hang(field(body, "hang", bool))
    return {}


@route("/faults/rfid-errors")
async def fault_rfid_errors(sim: "Simulator", body: dict) -> dict:
    """The next `count` tag reads fail."""
    count = field(body, "count", int)
    if not 0 <= count <= 1000:
        raise BadRequest("count must be 0..1000")
    sim.rfid.inject_read_errors(count)
    return {}


@route("/faults/rfid-collision")
async def fault_rfid_collision(sim: "Simulator", body: dict) -> dict:
    """The next `count` inventories (of one antenna, or of any) answer COLLISION: tags in the
    field that the reader cannot tell apart."""
    count = field(body, "count", int, 1)
    antenna = field(body, "antenna", (int, type(None)), None)
    if not 0 <= count <= 1000:
        raise BadRequest("count must be 0..1000")
    if antenna is not None and not 0 <= antenna <= 2:
        raise BadRequest("antenna must be 0 (pickup), 1 (return) or 2 (picker)")
    sim.rfid.inject_collisions(count, antenna)
    return {}


@route("/faults/card-reader")
async def fault_card_reader(sim: "Simulator", body: dict) -> dict:
    """The card reader is lost (lost=true: its link to pcscd is cut) or back (false)."""
    await sim.pcsc_link.set_cut(field(body, "lost", bool))
    sim.world.changed()  # the panel shows it at once
    return {"lost": sim.pcsc_link.cut}


@route("/faults/garbage")
async def fault_garbage(sim: "Simulator", body: dict) -> dict:
    """Raw bytes appear on a serial line ('rfid' or 'barcode')."""
    device = field(body, "device", str)
    data = parse_hex(field(body, "hex", str), "hex", tuple(range(1, 4097)))
    if device == "rfid":
        sim.rfid.inject_garbage(data)
    elif device == "barcode":
        sim.scanner.inject_garbage(data)
    else:
        raise BadRequest("device must be 'rfid' or 'barcode'")
    return {}


@route("/faults/library")
async def fault_library(sim: "Simulator", body: dict) -> dict:
    """The library emulator misbehaves towards the kiosk (the spec of its POST /admin/faults)."""
    try:
        return {"faults": sim.library.faults.inject(body)}
    except LibraryBadRequest as exc:
        raise BadRequest(str(exc)) from None


@route("/faults/library/clear")
async def fault_library_clear(sim: "Simulator", body: dict) -> dict:
    """The library emulator behaves again."""
    sim.library.faults.clear()
    return {"faults": {}}
