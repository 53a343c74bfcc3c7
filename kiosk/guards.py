"""The conditions the transition table asks, read from the controller's flows and config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk import policy
from kiosk.journal import utc_now

if TYPE_CHECKING:
    from kiosk.controller import Controller


class FlowGuards:
    """Guards of kiosk/machine.py: pure reads of the flows (replaced as flows start and end)."""

    def __init__(self, ctl: "Controller"):
        self.ctl = ctl

    def is_open(self) -> bool:
        return policy.is_open(utc_now(), self.ctl.config.policy)

    def more_to_vend(self) -> bool:
        session = self.ctl.flows.session
        return session is not None and bool(session.to_vend)

    def session_open(self) -> bool:
        session = self.ctl.flows.session
        return session is not None and not session.ending

    def use_prefetched(self) -> bool:
        session = self.ctl.flows.session
        chosen = session.prefetch if session else None
        return bool(chosen and chosen.ready and chosen.keep and session.confirmed
                    and not session.ending)

    def drop_prefetched(self) -> bool:
        session = self.ctl.flows.session
        chosen = session.prefetch if session else None
        return bool(chosen and chosen.ready and (session.ending
                                                 or (session.confirmed and not chosen.keep)))

    def book_in_port(self) -> bool:
        ret = self.ctl.flows.ret
        return ret is not None and ret.book_inside

    def returns_when_closed(self) -> bool:
        return self.ctl.config.session.returns_when_closed

    def recovering_flow(self) -> bool:
        return self.ctl.flows.recovery is not None

    def job_gives_way(self) -> bool:
        job = self.ctl.flows.job
        return job is not None and job.interruptible and not job.stopping

    def job_from_maintenance(self) -> bool:
        job = self.ctl.flows.job
        return job is not None and job.from_state == "maintenance"

    def card_waiting(self) -> bool:
        job = self.ctl.flows.job
        return job is not None and job.credential is not None
