"""A renewal asked of the library: the renewing state's action.

The library decides (it knows every hold, wherever placed); its yes is journaled as already
delivered under the transaction id it was sent with, its no is shown with its own words.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from uuid import UUID

from kiosk.connectors import ConnectorError, LibraryUnavailable, Refusal
from kiosk.flows import RenewalFlow
from kiosk.journal import Renewed
from kiosk.steps import Event, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)


async def ask(ctl: "Controller", flow: RenewalFlow) -> Step:
    """The library's answer to one renewal, as the notice the patron sees."""
    try:
        answer = await ctl.ask_library("renew", flow.member, flow.item_id,
                                       UUID(flow.transaction_id))
    except LibraryUnavailable as exc:
        # Sent, no answer: the library may have renewed. Asked again in this session, the
        # same transaction id gets the first answer, never a second renewal.
        log.warning("no answer to a renewal of %s: %s", flow.item_id, exc)
        return _answered({"code": "renewal_unconfirmed", "item_id": flow.item_id})
    except ConnectorError as exc:
        log.error("library answered nonsense to a renewal of %s: %s", flow.item_id, exc)
        return _answered({"code": "library_error", "item_id": flow.item_id})
    _settled(ctl, flow)
    if isinstance(answer, Refusal):
        notice = {"code": answer.reason.value, "item_id": flow.item_id}
        if answer.message:
            notice["library_message"] = answer.message
        return _answered(notice)
    due = answer.due_at.astimezone(ctl.config.policy.zone).date()
    _journal(ctl, flow, due)
    return _answered({"code": "renewed", "item_id": flow.item_id, "due": due.isoformat()})


def _journal(ctl: "Controller", flow: RenewalFlow, due) -> None:
    """Note the library's renewal as delivered; the library's record stands if this fails."""
    if ctl.journal.event(flow.transaction_id) is not None:
        return  # the first answer, given again: noted already
    try:
        ctl.journal.append_acknowledged(Renewed(item_id=flow.item_id, patron_id=flow.member,
                                                due=due), flow.transaction_id)
    except Exception:  # the library renewed; the kiosk's copy of the loan lags: no fault
        log.exception("the library renewed %s but the journal did not take it", flow.item_id)


def _settled(ctl: "Controller", flow: RenewalFlow) -> None:
    """A definite answer: the next request for this loan is a new renewal, with a new id."""
    session = ctl.flows.session
    if session is not None and session.renewal_ids.get(flow.item_id) == flow.transaction_id:
        del session.renewal_ids[flow.item_id]


def _answered(notice: dict) -> Step:
    return Step(Event.RENEWAL_ANSWERED, {"notice": notice, "renewal": None})
