"""The library connector over the HTTP/JSON API (docs/library-api.yaml), with requests."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote
from uuid import UUID

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError
from urllib3.util.retry import Retry

from kiosk.connectors import wire
from kiosk.connectors.base import (
    EventResult, HoldResult, ItemInfo, JournalEvent, LibraryAuthError, LibraryHold, LibraryInfo,
    LibraryProtocolError, LibraryTimeout, LibraryUnavailable, LoanResult, Patron, PatronStatus,
    PickupHold, Refusal, ReturnResult,
)
from kiosk.connectors.config import HttpConnectorConfig, read_token

log = logging.getLogger(__name__)
T = TypeVar("T")
REFUSAL_CODES = (404, 409)
RETRY_STATUSES = (500, 502, 503, 504)


class HttpConnector:
    """LibraryConnector over HTTP: one session, timeouts, safe retries, validated answers."""

    def __init__(self, config: HttpConnectorConfig) -> None:
        self.config = config
        self._base = (f"{config.base_url.rstrip('/')}/api/v1/machines/"
                      f"{quote(config.machine_id, safe='')}")
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {read_token(config.credentials_file)}"
        # Passed with each request: a session-wide setting loses to REQUESTS_CA_BUNDLE.
        self._verify: bool | str = config.ca_file or config.verify_tls
        adapter = HTTPAdapter(max_retries=_retry_policy(config))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def info(self) -> LibraryInfo:
        return self._get("", wire.library_info)

    def lookup_card(self, card_uid: str, pin: str | None = None) -> Patron | Refusal:
        return self._post("/patrons/lookup", {"card_uid": card_uid, "pin": pin}, wire.patron)

    def lookup_member(self, member_number: str, pin: str | None = None) -> Patron | Refusal:
        return self._post("/patrons/lookup", {"member_number": member_number, "pin": pin},
                          wire.patron)

    def patron_status(self, member_number: str) -> PatronStatus | Refusal:
        return self._get(f"/patrons/{_segment(member_number)}/status",
                         lambda d: wire.patron_status(d, self.config.machine_id))

    def item_info(self, item_id: str) -> ItemInfo | Refusal:
        return self._get(f"/items/{_segment(item_id)}", wire.item)

    def checkout(self, patron: str, item_id: str, transaction_id: UUID,
                 when: datetime | None = None, no_block: bool = False) -> LoanResult | Refusal:
        body = _transaction(transaction_id, when, no_block, patron=patron, item_id=item_id)
        return self._post("/checkouts", body,
                          lambda d: wire.loan_result(d, transaction_id, item_id))

    def checkin(self, item_id: str, transaction_id: UUID, when: datetime | None = None,
                no_block: bool = False) -> ReturnResult | Refusal:
        body = _transaction(transaction_id, when, no_block, item_id=item_id)
        return self._post("/checkins", body,
                          lambda d: wire.return_result(d, transaction_id, item_id))

    def renew(self, patron: str, item_id: str, transaction_id: UUID,
              when: datetime | None = None, no_block: bool = False) -> LoanResult | Refusal:
        body = _transaction(transaction_id, when, no_block, patron=patron, item_id=item_id)
        return self._post("/renewals", body,
                          lambda d: wire.loan_result(d, transaction_id, item_id))

    def place_hold(self, patron: str, item_id: str, transaction_id: UUID) -> HoldResult | Refusal:
        body = _transaction(transaction_id, None, False, patron=patron, item_id=item_id)
        return self._post("/holds", body, lambda d: wire.hold_result(d, transaction_id, item_id))

    def cancel_hold(self, patron: str, item_id: str, transaction_id: UUID) -> HoldResult | Refusal:
        body = _transaction(transaction_id, None, False, patron=patron, item_id=item_id)
        return self._post("/holds/cancel", body,
                          lambda d: wire.hold_result(d, transaction_id, item_id))

    def holds_for_pickup(self, item_ids: Sequence[str]) -> tuple[PickupHold, ...]:
        wanted = set(item_ids)
        holds = self._get("/holds", wire.pickup_holds, refusals=False)
        return tuple(h for h in holds if h.item_id in wanted)

    def holds_here(self) -> tuple[LibraryHold, ...]:
        """Every hold on this machine's copies, first in line per copy (GET /holds?state=all)."""
        return self._get("/holds?state=all", wire.library_holds, refusals=False)

    def catalogue(self, item_ids: Sequence[str]) -> tuple[ItemInfo, ...]:
        by_id = {i.item_id: i for i in self._get("/catalogue", wire.items, refusals=False)}
        return tuple(by_id[i] for i in item_ids if i in by_id)

    def deliver_events(self, events: Sequence[JournalEvent]) -> tuple[EventResult, ...]:
        if not events:
            return ()
        body = {"events": [wire.event_json(e) for e in events]}
        return self._post("/events", body, lambda d: wire.event_results(d, events),
                          refusals=False)

    def end_session(self, patron: str) -> bool:
        """Nothing to end: the HTTP API keeps no patron session."""
        return True

    def block_patron(self, patron: str, message: str, card_retained: bool = False) -> bool:
        answer = self._post(f"/patrons/{_segment(patron)}/block",
                            {"reason": message, "card_retained": card_retained},
                            wire.blocked)
        return not isinstance(answer, Refusal) and answer

    def close(self) -> None:
        self._session.close()

    def _get(self, path: str, parse: Callable[[Any], T], refusals: bool = True) -> T | Refusal:
        return self._answer("GET", path, None, parse, refusals)

    def _post(self, path: str, body: dict[str, Any], parse: Callable[[Any], T],
              refusals: bool = True) -> T | Refusal:
        body = {k: v for k, v in body.items() if v is not None}
        return self._answer("POST", path, body, parse, refusals)

    def _answer(self, method: str, path: str, body: dict[str, Any] | None,
                parse: Callable[[Any], T], refusals: bool) -> T | Refusal:
        status, data = self._call(method, path, body)
        if status == 200:
            return parse(data)
        if refusals and status in REFUSAL_CODES:
            return wire.refusal(data)
        raise LibraryProtocolError(f"{method} {path}: unexpected HTTP {status}")

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        """(status, decoded JSON) of one request; transport trouble raises."""
        timeout = (self.config.connect_timeout, self.config.read_timeout)
        try:
            response = self._session.request(method, self._base + path, json=body,
                                             timeout=timeout, verify=self._verify)
        except requests.RequestException as exc:
            if _timed_out(exc):
                raise LibraryTimeout(f"{method} {path}: no answer in time") from None
            raise LibraryUnavailable(f"{method} {path}: {type(exc).__name__}") from None
        log.debug("%s %s -> %d", method, path, response.status_code)
        if response.status_code >= 500:
            raise LibraryUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code in (401, 403):
            raise LibraryAuthError(f"{method} {path}: HTTP {response.status_code}")
        try:
            return response.status_code, response.json()
        except (ValueError, requests.RequestException):
            raise LibraryProtocolError(f"{method} {path}: answer is not JSON") from None


def _retry_policy(config: HttpConnectorConfig) -> Retry:
    """Retry with backoff: every call of this API is read-only or idempotent by its id."""
    return Retry(total=config.retries, connect=config.retries, read=config.retries,
                 status=config.retries, other=0, backoff_factor=config.backoff,
                 status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET", "POST"}),
                 raise_on_status=False, respect_retry_after_header=False)


def _timed_out(exc: BaseException) -> bool:
    """Whether a requests error comes from a connect or read timeout (also after retries)."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ConnectTimeoutError | ReadTimeoutError)


def _transaction(transaction_id: UUID, when: datetime | None, no_block: bool,
                 **fields: str) -> dict[str, Any]:
    if when is not None and when.tzinfo is None:
        raise ValueError("transaction times must carry a UTC offset")
    return {"transaction_id": str(transaction_id), **fields, "no_block": no_block,
            "occurred_at": when.isoformat() if when is not None else None}


def _segment(value: str) -> str:
    return quote(value, safe="")
