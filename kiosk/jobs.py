"""Running a technician's job: its steps, one move at a time, until done, stopped or faulted.

A job runs as the action of SERVICING. It checks `job.stopping` between moves: a patron's card or
return button (when the job started while patrons may come) or `kiosk stop` ends it after the
move at hand, never in the middle of one, and a patron who interrupted it is served next.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from drivers.carousel import CarouselRejected, Command, Result
from drivers.rfid import Antenna
from kiosk.job import Interruption, Job, JobKind
from kiosk.mechanics import TagProblem
from kiosk.steps import Event, Fault, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)
DOOR_COMMANDS = {("open", "pickup"): Command.OPEN_PICKUP, ("close", "pickup"): Command.CLOSE_PICKUP,
                 ("open", "return"): Command.OPEN_RETURN, ("close", "return"): Command.CLOSE_RETURN}

JobRunner = Callable[["Controller", Job], Awaitable[None]]


async def run(ctl: "Controller", job: Job) -> Step:
    """Run the job to its end; a PLC rejection ends it with the reason (nothing moved)."""
    try:
        await runner(job.kind)(ctl, job)
    except CarouselRejected as exc:
        log.warning("technician job %s: the PLC rejected a command: %s", job.kind.value, exc)
        job.result["rejected"] = str(exc)
    finally:
        ctl.progress(None, None)
    if job.interrupted in (Interruption.CARD, Interruption.RETURN):
        job.finish(ended_in="gave_way")
        return Step(Event.JOB_GAVE_WAY, {"credential": job.credential})
    job.finish(ended_in="done")
    return Step(Event.JOB_DONE)


async def home(ctl: "Controller", job: Job) -> None:
    """HOME the drum and the picker."""
    job.report(0, 1, "homing")
    if await ctl.mech.run(Command.HOME) is not Result.OK:
        raise Fault("home_failed")
    job.result["homed"] = True
    job.report(1, 1, "homed")


async def door(ctl: "Controller", job: Job) -> None:
    """Open or close the pickup door or the return shutter (closing waits for a clear curtain)."""
    command = DOOR_COMMANDS[(job.args["action"], job.args["door"])]
    if job.args["action"] == "close":
        await ctl.mech.close_door(command)
    elif await ctl.mech.run(command) is not Result.OK:
        raise Fault("door_failed", command.name.lower())
    sensors = await ctl.mech.sensors()
    job.result.update(pickup_door_closed=sensors.pickup_door_closed,
                      return_shutter_closed=sensors.return_shutter_closed)


async def present(ctl: "Controller", job: Job) -> None:
    """Face the picker to a slot and read the book there, next to what the journal says."""
    job.result.update(await read_slot(ctl, job.args["slot"]))


async def read_slot(ctl: "Controller", slot: int) -> dict:
    """PRESENT a slot and read its tag: the journal's book and the tag's, side by side."""
    if await ctl.mech.run(Command.PRESENT, slot) is not Result.OK:
        raise Fault("present_failed", f"slot {slot}")
    item = ctl.journal.item_in_slot(slot)
    found: dict = {"slot": slot, "journal_item": item.item_id if item else None,
                   "journal_uid": item.uid if item else None, "tag_uid": None,
                   "tag_item": None, "problem": None}
    try:
        uid, tag = await ctl.mech.read_one(Antenna.PICKER)
        found.update(tag_uid=uid, tag_item=tag.item_id)
    except TagProblem as problem:
        found.update(tag_uid=problem.uid, problem=None if problem.reason == "no_tag"
                     else problem.reason)
    return found


def runner(kind: JobKind) -> JobRunner:
    """The coroutine that does a kind of job."""
    from kiosk import job_audit, job_reslot, job_stock
    runners: dict[JobKind, JobRunner] = {
        JobKind.HOME: home, JobKind.DOOR: door, JobKind.PRESENT: present,
        JobKind.AUDIT: job_audit.audit, JobKind.RESLOT: job_reslot.reslot,
        JobKind.LOAD: job_stock.load, JobKind.UNLOAD: job_stock.unload,
    }
    return runners[kind]
