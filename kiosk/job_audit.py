"""Audit: read each slot's tag through the picker antenna and compare it with the journal.

The run is kept in `audit-run.json` next to the journal after every slot, so an audit stopped by
a patron, by `kiosk stop` or by a power cut goes on where it stopped (`kiosk audit --resume`).
The journal is corrected only by `audit.fix`, after the technician has seen the findings.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.job import Job
from kiosk.journal import utc_now
from kiosk.jobs import read_slot
from kiosk.mechanics import crash_point
from kiosk.private_files import write_private

if TYPE_CHECKING:
    from kiosk.controller import Controller

RUN_FILE = "audit-run.json"


class Mismatch(StrEnum):
    """What an audited slot holds against what the journal says."""

    UNEXPECTED = "unexpected"  # a book of this machine where the journal has none
    MISSING = "missing"  # the journal's book is not there, the slot is empty
    DIFFERENT = "different"  # another book of this machine than the journal's
    FOREIGN = "foreign"  # a tag that is no book of this machine (or none can be read)


@dataclass
class AuditRun:
    """One audit: the slots to read and what each held."""

    run_id: str
    started_at: str
    slots: list[int]
    findings: dict[str, dict] = field(default_factory=dict)  # by slot number (JSON keys)
    applied: list[int] = field(default_factory=list)  # slots whose finding the journal took

    @property
    def remaining(self) -> list[int]:
        """Slots not read yet, in order."""
        return [slot for slot in self.slots if str(slot) not in self.findings]

    def mismatches(self) -> list[dict]:
        """The findings that disagree with the journal, by slot."""
        return [f for f in self.findings.values() if f.get("mismatch")]

    def pending(self) -> list[dict]:
        """The mismatches not yet put to the journal (a resumed run may add some)."""
        return [f for f in self.mismatches() if f["slot"] not in self.applied]

    def summary(self) -> dict[str, Any]:
        """What the technician is shown."""
        return {"run_id": self.run_id, "started_at": self.started_at, "total": len(self.slots),
                "audited": len(self.findings), "finished": not self.remaining,
                "mismatches": self.mismatches(), "pending_fix": len(self.pending())}


def run_path(ctl: "Controller") -> Path:
    """Where the current audit run is kept."""
    return ctl.config.journal_path.parent / RUN_FILE


def load_run(ctl: "Controller") -> AuditRun | None:
    """The last audit run, or None (a damaged file counts as none: the audit starts afresh)."""
    try:
        return AuditRun(**json.loads(run_path(ctl).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def save_run(ctl: "Controller", run: AuditRun) -> None:
    """Keep the run on disk (atomically) after every slot."""
    write_private(run_path(ctl), json.dumps(asdict(run)))


def new_run(slots: list[int]) -> AuditRun:
    """A fresh run over `slots`."""
    return AuditRun(run_id=str(uuid.uuid4()), started_at=utc_now().isoformat(), slots=slots)


async def audit(ctl: "Controller", job: Job) -> None:
    """Read the run's remaining slots one by one, until done or stopped."""
    run = job.args["run"]
    total = len(run.slots)
    for slot in run.remaining:
        if job.stopping:
            break
        job.report(len(run.findings), total, f"slot {slot}")
        found = await read_slot(ctl, slot)
        found["mismatch"] = classify(ctl, found)
        crash_point("audit.after_read")  # read, not yet kept: a resumed audit reads it again
        run.findings[str(slot)] = found
        save_run(ctl, run)
        job.result.update(audited=len(run.findings), total=total, run_id=run.run_id)
    job.report(len(run.findings), total, "audited")
    job.result.update(run.summary())


def classify(ctl: "Controller", found: dict) -> str | None:
    """The mismatch a slot's reading shows, or None when it agrees with the journal."""
    journal_item, tag_item = found["journal_item"], found["tag_item"]
    if found["problem"] is not None:
        return Mismatch.FOREIGN.value
    if tag_item is None:
        return Mismatch.MISSING.value if journal_item is not None else None
    known = ctl.journal.item(tag_item)
    if known is None or known.uid != found["tag_uid"]:
        return Mismatch.FOREIGN.value
    if journal_item is None:
        return Mismatch.UNEXPECTED.value
    return None if journal_item == tag_item else Mismatch.DIFFERENT.value
