"""The simulated carousel PLC: its state machine, SEQ handshake, faults, interlock and registers."""

from __future__ import annotations

import asyncio
import logging

from drivers.carousel.codec import (
    HOLDING_REGISTER_COUNT,
    CarouselStatus,
    Lamps,
    Sensors,
    encode_input_registers,
)
from drivers.carousel.geometry import REFERENCE_TIMING, Timing
from drivers.carousel.registers import (
    CYCLE_COMMANDS,
    FW_VERSION_1_0,
    Command,
    DiscreteInput,
    FaultCode,
    HoldingRegister,
    InputRegister,
    Lamp,
    Result,
    State,
)
from sim.clock import SimClock
from sim.plc.acceptance import check_command
from sim.plc.heartbeat import Heartbeat, new_boot_id
from sim.plc.mechanics import (
    PICKER,
    PICKUP_PORT,
    RETURN_OPENING,
    RETURN_PORT,
    Carriage,
    Jammed,
    Mechanics,
)
from sim.plc.server import ModbusFrontend
from sim.store import Retained
from sim.world import World

log = logging.getLogger(__name__)
DOORS = ("pickup", "return")


class PlcSim:
    """The PLC of hardware/carousel-plc.md on the simulator's loop, served over Modbus TCP and RTU."""

    def __init__(self, world: World, clock: SimClock, timing: Timing = REFERENCE_TIMING):
        self.world = world
        self.geometry = world.geometry
        self._mechanics = Mechanics(world, clock, timing, self._checkpoint)
        self._frontend = ModbusFrontend(self.status, self._holding_words, self._write_holding,
                                        self._write_lamps)
        self._heartbeat = Heartbeat()
        self._awake = asyncio.Event()
        self._awake.set()
        self._frozen: CarouselStatus | None = None  # the image a hung PLC keeps showing
        self._motion: asyncio.Task | None = None
        self._motion_command = Command.HOME
        self._fault: FaultCode | None = None
        self._cycles = 0
        self._boot_id = 0
        self._stopped = False
        self._switching_off = False
        self._boot()
        world.subscribe(self._on_world_change)

    # -- the lead's interface ----------------------------------------------
    async def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Serve Modbus TCP; returns (host, bound port)."""
        self._stopped = False
        return await self._frontend.start_tcp(host, port)

    async def start_rtu(self) -> str:
        """Serve Modbus RTU (115200 8N1) on a pty; returns the path the driver opens."""
        self._stopped = False
        return await self._frontend.start_rtu()

    async def stop(self) -> None:
        """Stop serving and stop any motion."""
        self._stopped = True
        self._cancel_motion()
        await self._frontend.stop()

    async def finish_motion(self, grace: float) -> None:
        """A controlled switch-off: no new commands; the motion under way ends (up to `grace` s)."""
        self._switching_off = True
        if self._motion is not None and self._frozen is None:
            await asyncio.wait([self._motion], timeout=grace)

    def inject_jam(self, fault_code: int = FaultCode.DRUM_JAM) -> None:
        """The next motion that can jam (HOME, FETCH, STORE, RETRACT, PRESENT, TRANSFER) finishes
        JAM and latches this fault. A command refused by its checks (SLOT_EMPTY...) leaves it armed.

        PICKER_JAM strikes as the picker is about to put the book down, so the book stays on the
        picker (HOME and PRESENT, which put nothing, jam at their end); any other fault strikes
        as the first travel starts, before anything has moved.
        """
        self._mechanics.pending_jam = FaultCode(fault_code)

    def inject_door_blocked(self, door: str) -> None:
        """The next close of this door ("pickup" or "return") finishes DOOR_BLOCKED."""
        if door not in DOORS:
            raise ValueError(f"door must be one of {DOORS}")
        self._mechanics.blocked_doors.add(door)

    def inject_rtu_noise(self, data: bytes) -> None:
        """Raw bytes appear on the RTU line towards the driver."""
        self._frontend.inject_rtu_noise(data)

    def power_cycle(self) -> None:
        """Power off and on: a motion stops where it is; new BOOT_ID, SEQ registers 0, not homed."""
        self._cancel_motion()
        self._boot()

    def retained(self) -> Retained:
        """What this PLC keeps through a power cut: BOOT_ID, CYCLES and where the carriage is."""
        carriage = self._mechanics.carriage
        return Retained(boot_id=self._boot_id, cycles=self._cycles, level=carriage.level,
                        position=carriage.position)

    def power_up_from(self, retained: Retained) -> None:
        """Boot as the machine switched off with `retained`: a BOOT_ID unlike its last one."""
        self._cycles = retained.cycles & 0xFFFFFFFF
        self._mechanics.carriage = Carriage(retained.level, retained.position)
        self._boot_id = retained.boot_id
        self._boot()

    def set_hang(self, hung: bool) -> None:
        """Hang: HEARTBEAT and the registers freeze, writes are answered but not acted upon."""
        if hung and self._frozen is None:
            self._frozen = self.status()
            self._heartbeat.freeze()
            self._awake.clear()
        elif not hung and self._frozen is not None:
            self._frozen = None
            self._heartbeat.resume()
            self._awake.set()
            self._on_world_change()

    def snapshot(self) -> dict:
        """Every input register by lower-case name, the sensors, the coils, the Modbus requests
        served so far, the codes by name, the motion under way and armed faults (JSON-safe)."""
        status = self.status()
        words = encode_input_registers(status)
        return {
            **{register.name.lower(): words[register] for register in InputRegister},
            "sensors": {d.name.lower(): bit
                        for d, bit in zip(DiscreteInput, status.sensors.to_bits())},
            "coils": {lamp.name.lower(): bit for lamp, bit in zip(Lamp, status.lamps.to_bits())},
            "hung": self._frozen is not None,
            "requests": dict(self._frontend.requests),  # Modbus requests served, by function
            "names": register_names(status),
            "motion": None if self._motion is None else self._motion_command.name,
            "armed": self._armed_faults(),
        }

    def _armed_faults(self) -> dict:
        """Injected faults still waiting for their command: a jam, doors whose close is blocked."""
        jam = self._mechanics.pending_jam
        return {"jam": None if jam is None else FaultCode(jam).name,
                "door_blocked": sorted(self._mechanics.blocked_doors)}

    # -- the register image ------------------------------------------------
    def status(self) -> CarouselStatus:
        """The PLC's image now (frozen while it hangs)."""
        if self._frozen is not None:
            return self._frozen
        carriage = self._mechanics.carriage
        return CarouselStatus(
            state=self._state, ack_seq=self._ack_seq, done_seq=self._done_seq, result=self._result,
            fault=self._fault, level=carriage.level, position=carriage.position,
            geometry=self.geometry, firmware=FW_VERSION_1_0, boot_id=self._boot_id,
            heartbeat=self._heartbeat.value(), reject_seq=self._reject_seq,
            reject_code=self._reject_code, cycles=self._cycles,
            sensors=self._sensors(), lamps=Lamps(**self.world.lamps))

    def _sensors(self) -> Sensors:
        w, s = self.world, self.world.sensors
        return Sensors(
            pickup_door_closed=s.pickup_door_closed,
            pickup_item_present=w.book_at(PICKUP_PORT) is not None,
            return_shutter_closed=s.return_shutter_closed,
            return_item_present=w.book_at(RETURN_PORT) is not None,
            service_door_closed=s.service_door_closed,
            estop_released=s.estop_released,
            overflow_bin_full=w.bin_full(),
            picker_loaded=w.book_at(PICKER) is not None,
            pickup_curtain_clear=not s.pickup_hand,
            return_curtain_clear=not (s.return_hand or w.book_at(RETURN_OPENING) is not None),
        )

    def _holding_words(self) -> list[int]:
        return list(self._holding)

    # -- writes ------------------------------------------------------------
    def _write_holding(self, address: int, values: list[int]) -> None:
        """A write to the command registers; one that includes SEQ may start a command."""
        for offset, value in enumerate(values):
            if address + offset < HOLDING_REGISTER_COUNT:
                self._holding[address + offset] = value
        if self._frozen is not None or self._stopped or self._switching_off:
            return  # stored by the Modbus interface; a hung or switching-off program never sees it
        if address <= HoldingRegister.SEQ < address + len(values):
            self._command(*self._holding)

    def _write_lamps(self, address: int, bits: list[bool]) -> None:
        if self._frozen is not None or self._stopped:
            return
        for lamp, on in zip(list(Lamp)[address:], bits):
            self.world.lamps[lamp.name.lower()] = on
        self.world.changed()

    def _command(self, code: int, arg1: int, arg2: int, seq: int) -> None:
        if seq == self._ack_seq:
            return  # a repeat of the accepted command: a retry after a lost response
        rejection = check_command(code, arg1, arg2, state=self._state, geometry=self.geometry,
                                  interlock=self._interlock(), doors_closed=self._doors_closed())
        if rejection is not None:
            self._reject_seq, self._reject_code = seq, rejection
            return
        self._ack_seq = seq
        command = Command(code)
        if command is Command.RESET_FAULT:
            self._reset_fault(seq)
            return
        resume, self._state = self._state, State.BUSY
        self._motion_command = command
        self._motion = asyncio.get_running_loop().create_task(
            self._run(command, arg1, arg2, seq, resume), name=f"plc-{command.name}-{seq}")

    async def _run(self, command: Command, arg1: int, arg2: int, seq: int, resume: State) -> None:
        try:
            result = await self._mechanics.run(command, arg1, arg2)
        except Jammed as jam:
            self._finish(command, seq, Result.JAM, State.FAULT)
            self._latch(jam.fault)
            return
        except asyncio.CancelledError:
            return  # whoever cancelled has finished the command (interlock) or wiped it (power cut)
        except Exception:  # a bug in the model must not leave the PLC BUSY for ever
            log.exception("PLC motion %s failed", command.name)
            result = Result.TIMEOUT
        homed = command is Command.HOME and result is Result.OK
        self._finish(command, seq, result, State.IDLE if homed else resume)

    def _finish(self, command: Command, seq: int, result: Result, state: State) -> None:
        self._motion = None
        self._done_seq, self._result, self._state = seq, result, state
        if result is Result.OK and command in CYCLE_COMMANDS:
            self._cycles = (self._cycles + 1) & 0xFFFFFFFF

    # -- faults, interlock, power ------------------------------------------
    def _latch(self, fault: FaultCode) -> None:
        self._state, self._fault = State.FAULT, fault
        self.world.lamps["fault_beacon"] = True
        self.world.changed()

    def _reset_fault(self, seq: int) -> None:
        self._fault = None
        self._done_seq, self._result, self._state = seq, Result.OK, State.NOT_HOMED
        self.world.lamps["fault_beacon"] = False
        self.world.changed()

    def _on_world_change(self) -> None:
        if self._stopped or self._frozen is not None:
            return
        self._mechanics.notice_world()
        interlock = self._interlock()
        if interlock and self._state not in (State.INTERLOCK, State.FAULT):
            command = self._cancel_motion()
            if command is not None:
                self._finish(command, self._ack_seq, Result.INTERLOCK, State.INTERLOCK)
            self._state = State.INTERLOCK
        elif not interlock and self._state is State.INTERLOCK:
            self._state = State.NOT_HOMED

    def _interlock(self) -> bool:
        s = self.world.sensors
        return not (s.service_door_closed and s.estop_released)

    def _doors_closed(self) -> bool:
        s = self.world.sensors
        return s.pickup_door_closed and s.return_shutter_closed

    def _cancel_motion(self) -> Command | None:
        """Stop the motion under way where it is; returns its command (None if there was none)."""
        task, self._motion = self._motion, None
        if task is None:
            return None
        task.cancel()
        return self._motion_command

    def _boot(self) -> None:
        """Power-up: registers cleared, a new BOOT_ID, HEARTBEAT from 0, outputs off."""
        self._boot_id = new_boot_id(self._boot_id)
        self._state = State.INTERLOCK if self._interlock() else State.NOT_HOMED
        self._ack_seq = self._done_seq = self._reject_seq = 0
        self._result = self._reject_code = Result.OK
        self._fault = None
        self._holding = [0] * HOLDING_REGISTER_COUNT
        self._frozen = None
        self._heartbeat.restart()
        self._awake.set()
        if any(self.world.lamps.values()):
            self.world.lamps.update(dict.fromkeys(self.world.lamps, False))
            self.world.changed()

    async def _checkpoint(self) -> None:
        """Motions wait here while the PLC hangs."""
        await self._awake.wait()


def register_names(status: CarouselStatus) -> dict:
    """STATE, FAULT_CODE, RESULT and REJECT_CODE by name (fault None: no fault latched)."""
    return {"state": State(status.state).name,
            "fault": None if status.fault is None else FaultCode(status.fault).name,
            "result": Result(status.result).name, "reject_code": Result(status.reject_code).name}
