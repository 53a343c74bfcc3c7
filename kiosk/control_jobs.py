"""Control-socket requests that move the machine: each a technician job, run in SERVICING."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk import audit_fix as audit_fix_module
from kiosk import job_audit, job_reslot, text_input
from kiosk.control_api import Caller, ControlError, ErrorCode, RequestSpec
from kiosk.job import Interruption, Job, JobKind
from kiosk.machine import KioskState
from kiosk.steps import Event, Refused, Reply

if TYPE_CHECKING:
    from kiosk.controller import Controller

PATRON_STATES = frozenset(KioskState) - {KioskState.READY, KioskState.CLOSED,
                                         KioskState.MAINTENANCE, KioskState.OUT_OF_SERVICE,
                                         KioskState.SERVICING, KioskState.STARTING,
                                         KioskState.HOMING, KioskState.RECOVERING}


async def start_job(ctl: "Controller", kind: JobKind, args: dict, caller: Caller, *,
                    maintenance_only: bool = False) -> dict:
    """Start a job once the machine is free, and answer when it ends."""
    job = Job(kind, args, emit=caller.emit)

    def accept(ctl: "Controller", payload: dict) -> Reply:
        if maintenance_only and ctl.state is not KioskState.MAINTENANCE:
            raise ControlError(f"{kind.value} needs a technician at the machine: "
                               "`kiosk maintenance on` first", ErrorCode.BUSY)
        job.from_state = ctl.state.value
        return Reply(None, Event.JOB_STARTED, {"job": job})

    try:
        await ctl.request(Event.JOB_STARTED, {}, accept)
    except Refused:
        raise ControlError(busy_message(ctl), ErrorCode.BUSY) from None
    result = await job.finished
    if result.get("ended_in") not in ("done", "gave_way"):
        fault = ctl.fault or {}
        raise ControlError(f"{kind.value} stopped: the machine is {result.get('ended_in')}"
                           f" ({fault.get('code', '?')}: {fault.get('detail', '')}); done so far: "
                           f"{_summary(result)}")
    if result.get("rejected"):
        raise ControlError(f"{kind.value} stopped: the PLC refused a command, which moved "
                           f"nothing ({result['rejected']}); done before it: {_summary(result)}")
    return result


def busy_message(ctl: "Controller") -> str:
    """Why the machine cannot take a job now, and what to do."""
    state = ctl.state
    if state in PATRON_STATES:
        return f"a patron is using the machine ({state.value}); try again when it is ready"
    if state is KioskState.OUT_OF_SERVICE:
        return "the machine is out of service: `kiosk reset`, or `kiosk maintenance on` first"
    if state is KioskState.SERVICING:
        job = ctl.flows.job
        return f"another job is running ({job.kind.value if job else '?'}); `kiosk stop` ends it"
    return f"the machine is {state.value}; try again in a moment"


def _summary(result: dict) -> str:
    """What a job had done when it stopped: its figures, and each list with what is in it."""
    parts = []
    for key, value in result.items():
        if key in ("ended_in", "interrupted", "rejected", "mismatches") or isinstance(value, dict):
            continue
        if isinstance(value, list):
            names = [str(v.get("item_id", v.get("slot", "?"))) if isinstance(v, dict) else str(v)
                     for v in value]
            parts.append(f"{key}: {len(value)}" + (f" ({', '.join(names[:20])})" if names else ""))
        else:
            parts.append(f"{key}={value}")
    return "; ".join(parts) or "nothing"


async def home(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """HOME the drum and the picker."""
    return await start_job(ctl, JobKind.HOME, {}, caller)


async def door(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Open or close a door (in maintenance: a technician stands there)."""
    action, which = args.get("action"), args.get("door")
    if action not in ("open", "close") or which not in ("pickup", "return"):
        raise ControlError("door: action open|close and door pickup|return")
    return await start_job(ctl, JobKind.DOOR, {"action": action, "door": which}, caller,
                           maintenance_only=True)


async def present(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Face the picker to a slot and read its tag."""
    return await start_job(ctl, JobKind.PRESENT, {"slot": slot_arg(ctl, args.get("slot"))},
                           caller)


async def stop(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Stop the running job after its current move."""
    def ask_stop(ctl: "Controller") -> dict:
        job = ctl.flows.job
        if job is None:
            raise ControlError("no job is running")
        job.interrupt(Interruption.TECHNICIAN)
        return {"stopping": job.kind.value}
    return await ctl.query(ask_stop)


LOAD_WAIT = (1.0, 3600.0, 60.0)  # seconds to wait for each book: least, most, default
IDLE_DAYS_MAX = 36500


async def load(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Load new books through the return port (in maintenance)."""
    count, wait = args.get("count"), args.get("wait", LOAD_WAIT[2])
    if count is not None and not _whole(count, 1, ctl.journal.slot_count):
        raise ControlError(f"load: count {count!r} is not a whole number "
                           f"1..{ctl.journal.slot_count}")
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not (
            LOAD_WAIT[0] <= wait <= LOAD_WAIT[1]):
        raise ControlError(f"load: wait {wait!r} is not {LOAD_WAIT[0]:g}..{LOAD_WAIT[1]:g} s")
    return await start_job(ctl, JobKind.LOAD, {"count": count, "wait": float(wait)}, caller,
                           maintenance_only=True)


async def unload(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Withdraw books through the pickup port (in maintenance): items named, or idle ones."""
    items, idle_days = args.get("items"), args.get("idle_days")
    if (items is None) == (idle_days is None):
        raise ControlError("unload: name items, or give idle_days (not both)")
    if idle_days is not None:
        if not _whole(idle_days, 0, IDLE_DAYS_MAX):
            raise ControlError(f"unload: idle_days {idle_days!r} is not a whole number "
                               f"0..{IDLE_DAYS_MAX}")
        job_args: dict = {"idle_days": idle_days}
    else:
        job_args = {"items": _item_list(items, ctl.journal.slot_count)}
    return await start_job(ctl, JobKind.UNLOAD, job_args, caller, maintenance_only=True)


def _item_list(items: Any, most: int) -> list[str]:
    """1..most item ids, each a valid one."""
    if not isinstance(items, list) or not 1 <= len(items) <= most:
        raise ControlError(f"unload: items must be a list of 1..{most} item ids")
    try:
        return [text_input.ITEM_ID.check(item) for item in items]
    except text_input.InvalidText as exc:
        raise ControlError(f"unload: {exc}") from None


def _whole(value: Any, least: int, most: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and least <= value <= most


def slot_arg(ctl: "Controller", value: Any) -> int:
    """A slot number the journal knows, or ControlError."""
    if isinstance(value, str) and value.isdecimal():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not (
            0 <= value < ctl.journal.slot_count):
        raise ControlError(f"slot {value!r} is not a whole number below {ctl.journal.slot_count}")
    return value


async def audit(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Read slots' tags and compare with the journal (a new run, or the unfinished one)."""
    run = await ctl.query(_audit_run, args)
    return await start_job(ctl, JobKind.AUDIT, {"run": run}, caller)


def _audit_run(ctl: "Controller", args: dict) -> job_audit.AuditRun:
    if args.get("resume"):
        run = job_audit.load_run(ctl)
        if run is None or not run.remaining:
            raise ControlError("there is no unfinished audit to resume")
        return run
    if args.get("all"):
        slots = list(range(ctl.journal.slot_count))
    elif isinstance(args.get("slots"), list) and args["slots"]:
        slots = sorted({slot_arg(ctl, slot) for slot in args["slots"]})
    else:
        raise ControlError("audit: name the slots, or all of them, or resume")
    run = job_audit.new_run(slots)
    job_audit.save_run(ctl, run)
    return run


async def audit_fix(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Correct the journal from the last audit's findings (after the technician confirmed)."""
    def apply(ctl: "Controller") -> dict:
        if ctl.state not in FIXABLE_STATES:
            raise ControlError(busy_message(ctl), ErrorCode.BUSY)
        run = job_audit.load_run(ctl)
        if run is None or run.run_id != args.get("run_id"):
            raise ControlError("that is not the last audit: run `kiosk audit` again")
        if not run.pending():
            raise ControlError("this audit's findings are already in the journal")
        result = audit_fix_module.fix(ctl, run, caller.user)
        job_audit.save_run(ctl, run)
        return result
    return await ctl.query(apply)


async def audit_last(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """The last audit run's summary."""
    def read(ctl: "Controller") -> dict:
        run = job_audit.load_run(ctl)
        if run is None:
            raise ControlError("no audit has been run on this machine")
        return run.summary()
    return await ctl.query(read)


async def reslot(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Plan the moves that bring popular books nearer the ports; carry them out unless dry-run."""
    max_moves = args.get("max_moves", DEFAULT_MAX_MOVES)
    if not isinstance(max_moves, int) or isinstance(max_moves, bool) or not (
            0 <= max_moves <= MAX_MOVES):
        raise ControlError(f"--max-moves must be a whole number 0..{MAX_MOVES}")
    planned, weights = await ctl.query(lambda c: job_reslot.plan(c, max_moves))
    if args.get("dry_run"):
        return {**job_reslot.describe(planned), "dry_run": True}
    return await start_job(ctl, JobKind.RESLOT, {"plan": planned, "weights": weights}, caller)


DEFAULT_MAX_MOVES = 50
MAX_MOVES = 5000
FIXABLE_STATES = (KioskState.READY, KioskState.CLOSED, KioskState.MAINTENANCE,
                  KioskState.OUT_OF_SERVICE)

REQUESTS: dict[str, RequestSpec] = {
    "home": RequestSpec(home, changes=True), "door": RequestSpec(door, changes=True),
    "present": RequestSpec(present, changes=True), "stop": RequestSpec(stop, changes=True),
    "audit": RequestSpec(audit, changes=True), "audit-fix": RequestSpec(audit_fix, changes=True),
    "audit-last": RequestSpec(audit_last), "reslot": RequestSpec(reslot, changes=True),
    "load": RequestSpec(load, changes=True), "unload": RequestSpec(unload, changes=True),
}
