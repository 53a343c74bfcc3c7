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
from kiosk.policy import PolicyRefusal
from kiosk.steps import Event, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)


async def ask(ctl: "Controller", flow: RenewalFlow) -> Step:
    """The library's answer to one renewal, as the notice the patron sees."""
    try:
        answer = await ctl.ask_library("renew", flow.member, flow.item_id,
                                       UUID(flow.transaction_id))
    except LibraryUnavailable as exc:  # the kiosk's own rule: no renewal offline
        log.warning("library unreachable for a renewal of %s: %s", flow.item_id, exc)
        return _answered({"code": PolicyRefusal.LIBRARY_UNREACHABLE.value,
                          "item_id": flow.item_id})
    except ConnectorError as exc:
        log.error("library answered nonsense to a renewal of %s: %s", flow.item_id, exc)
        return _answered({"code": "library_error", "item_id": flow.item_id})
    if isinstance(answer, Refusal):
        notice = {"code": answer.reason.value, "item_id": flow.item_id}
        if answer.message:
            notice["library_message"] = answer.message
        return _answered(notice)
    due = answer.due_at.astimezone(ctl.config.policy.zone).date()
    ctl.journal.append_acknowledged(Renewed(item_id=flow.item_id, patron_id=flow.member,
                                            due=due), flow.transaction_id)
    return _answered({"code": "renewed", "item_id": flow.item_id, "due": due.isoformat()})


def _answered(notice: dict) -> Step:
    return Step(Event.RENEWAL_ANSWERED, {"notice": notice, "renewal": None})
