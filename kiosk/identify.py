"""Who is at the screen: the library is asked (with a deadline), or the offline cache answers."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk import policy
from kiosk.connectors import ConnectorError, LibraryUnavailable, Reason, Refusal
from kiosk.flows import Credential, PinWait
from kiosk.journal import PatronVerified, utc_now
from kiosk.session import Session, library_refusal, patron_facts
from kiosk.steps import Event, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)

PIN_ATTEMPTS = 3  # wrong PINs before the session is refused


async def identify(ctl: "Controller", credential: Credential) -> Step:
    """Ask the library who holds this card or member number, and whether they may borrow."""
    return await _ask(ctl, credential, pin=None, wait=None)


async def check_pin(ctl: "Controller", wait: PinWait, pin: str) -> Step:
    """Ask the library whether this PIN goes with the waiting credential."""
    return await _ask(ctl, wait.credential, pin=pin, wait=wait)


async def _ask(ctl: "Controller", credential: Credential, pin: str | None,
               wait: PinWait | None) -> Step:
    lookup = "lookup_card" if credential.by_card else "lookup_member"
    try:
        found = await ctl.ask_library(lookup, credential.value, pin)
        if isinstance(found, Refusal):
            return _lookup_refused(found, credential, wait)
        status = await ctl.ask_library("patron_status", found.member_number)
        if not isinstance(status, Refusal) and status.card_reported_lost:
            await _report_lost_card(ctl, status.patron.member_number)
    except LibraryUnavailable as exc:
        log.warning("library unreachable while identifying (%s): offline", exc)
        return _identify_offline(ctl, credential, wait)
    except ConnectorError as exc:
        log.error("library answered nonsense while identifying: %s", exc)
        return _refuse("library_error")
    if isinstance(status, Refusal):
        return _refuse(status.reason.value, status.message)
    return _start_session(ctl, status, credential, wait)


async def _report_lost_card(ctl: "Controller", member: str) -> None:
    """A card the library lists as lost was shown here: ask the library to block it (SIP2 01)."""
    try:
        blocked = await ctl.ask_library("block_patron", member,
                                        f"lost card shown at {ctl.config.machine.id}")
    except ConnectorError as exc:  # the refusal stands either way; the library already knows
        log.warning("could not report the lost card to the library: %s", exc)
        return
    log.warning("a card reported lost was shown; the library %s it",
                "blocked" if blocked else "did not block")


def _lookup_refused(found: Refusal, credential: Credential, wait: PinWait | None) -> Step:
    reason = found.reason
    if wait is None and reason is Reason.PIN_REQUIRED:
        return Step(Event.PIN_NEEDED, {"pin_wait": PinWait(credential), "notice": None})
    if wait is not None and reason in (Reason.BAD_PIN, Reason.PIN_REQUIRED):
        wait.tries += 1
        if wait.tries >= PIN_ATTEMPTS:
            return _refuse("too_many_pin_attempts")
        return Step(Event.PIN_REJECTED, {"notice": {"code": Reason.BAD_PIN.value}})
    return _refuse(reason.value, found.message)


def _start_session(ctl: "Controller", status, credential: Credential,
                   wait: PinWait | None) -> Step:
    now = utc_now()
    member = status.patron.member_number
    loans_here = len(ctl.journal.open_loans(member))
    refusal = library_refusal(status)
    message = status.message if refusal is not None else None
    facts = patron_facts(status, loans_here, now)
    decision = policy.may_borrow(facts, now, ctl.config.policy)
    good_standing = status.may_borrow or status.reason is Reason.LIMIT_REACHED
    ctl.journal.append(PatronVerified(patron_id=member, good_standing=good_standing))
    if refusal is None and decision.refusal not in (None, policy.PolicyRefusal.LIMIT_REACHED):
        refusal = decision.refusal.value
    if refusal is not None:
        return _refuse(refusal, message, _standing_details(refusal, facts))
    ctl.cache.remember(credential.value, member, status.patron.name, pin_required=wait is not None)
    remaining = min(decision.remaining, status.remaining)
    session = Session(member=member, name=status.patron.name, remaining=remaining, offline=False,
                      credential=credential.value, by_card=credential.by_card)
    return _found(session, wait)


def _identify_offline(ctl: "Controller", credential: Credential, wait: PinWait | None) -> Step:
    if ctl.sync is not None and not ctl.sync.status.offline_lending:
        return _refuse("offline_not_allowed")  # the library's 98 said so
    known = ctl.cache.lookup(credential.value)
    if known is None:
        return _refuse("offline_unknown_patron")
    member, name, pin_required = known
    if pin_required or wait is not None:
        return _refuse("offline_pin_unavailable")  # the PIN can only be checked online
    now = utc_now()
    facts = policy.PatronFacts(member=True, loans_here=len(ctl.journal.open_loans(member)),
                               last_good_standing=ctl.journal.patron_last_good(member))
    decision = policy.may_borrow(facts, now, ctl.config.policy, offline=True)
    if decision.refusal not in (None, policy.PolicyRefusal.LIMIT_REACHED):
        return _refuse(decision.refusal.value)
    session = Session(member=member, name=name, remaining=decision.remaining, offline=True,
                      credential=credential.value, by_card=credential.by_card)
    return _found(session, wait)


def _found(session: Session, wait: PinWait | None) -> Step:
    event = Event.PATRON_FOUND if wait is None else Event.PIN_ACCEPTED
    if wait is not None:
        session.voice = wait.voice  # voice mode turned on at the PIN pad stays on
    return Step(event, {"session": session, "pin_wait": None, "notice": None})


def _standing_details(code: str, facts: policy.PatronFacts) -> dict:
    """What the screen says with a refusal: until when a suspension lasts, how many overdue."""
    if code == policy.PolicyRefusal.SUSPENDED.value and facts.suspended_until is not None:
        return {"until": facts.suspended_until.isoformat()}
    if code == policy.PolicyRefusal.OVERDUE.value:
        return {"count": facts.overdue_count}
    return {}


def _refuse(code: str, library_message: str | None = None, details: dict | None = None) -> Step:
    """The patron may not borrow; the library's own words (SIP2 AF) travel beside the code."""
    notice = {"code": code, **(details or {})}
    if library_message is not None:
        notice["library_message"] = library_message
    return Step(Event.PATRON_REFUSED, {"notice": notice, "pin_wait": None, "reason": code})
