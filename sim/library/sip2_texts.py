"""Screen messages (AF) of the emulated ACSs: data, keyed by "message:reason".

Keys are looked up as "<context>:<reason>", "*:<reason>", "<context>:*" (any other reason
in that context), then "*:*". An empty
text means the ACS sends no AF there. Placeholders: {item}, {patron}, {expires}, {code}.
Koha's and Evergreen's texts are the ones their SIP servers send (see /work/research-acs.md);
the standard set is the emulator's own wording for a client that only reads AF.
"""

from __future__ import annotations

from types import MappingProxyType

COMMON = {
    "*:terminal_password": "Invalid terminal password",
}

STANDARD = {
    **COMMON,
    "*:unknown_patron": "Unknown patron",
    "*:unknown_item": "Unknown item",
    "*:pin_required": "PIN required",
    "*:bad_pin": "Wrong PIN",
    "*:card_expired": "Card expired",
    "*:patron_blocked": "Card blocked",
    "*:not_checked_in": "Not a member of this library",
    "*:overdue": "Overdue items",
    "*:suspended": "Borrowing suspended",
    "*:fees_owed": "Fees owed",
    "*:limit_reached": "Loan limit reached",
    "*:item_not_available": "Item not available",
    "*:held_for_other": "Item on hold for another patron",
    "*:already_on_loan": "Item already on loan to you",
    "*:not_on_loan": "Item not on loan",
    "*:not_loaned_to_patron": "Item not on loan to you",
    "*:renewal_limit": "No more renewals",
    "*:wrong_location": "Item belongs elsewhere",
    "*:item_available": "Item available, no hold needed",
    "*:hold_exists": "Hold already placed",
    "*:hold_not_found": "No such hold",
    "*:fee_required": "Fee required",
    "*:unknown_machine": "Unknown terminal",
    "*:*": "Refused",
}

KOHA = {
    **COMMON,
    "patron:greeting": "Greetings from Koha.",
    "patron:unknown_patron": "Invalid cardnumber",
    "patron:fees_owed": "-- Patron blocked by fines",
    "patron:overdue": "-- Patron has overdues",
    "checkout:unknown_patron": "Invalid Patron",
    "checkout:unknown_item": "Invalid Item",
    "checkout:suspended": "Patron debarred",
    "checkout:card_expired": "Patron expired on {expires}",
    "checkout:fees_owed": "Patron has fines",
    "checkout:patron_blocked": "Patron blocked",
    "checkout:overdue": "Patron blocked",
    "checkout:not_checked_in": "Patron blocked",
    "checkout:item_not_available": "Item checked out to another patron",
    "checkout:held_for_other": "Item is on hold for another patron.",
    "checkout:fee_required": "",
    "checkout:renewing": "Item already checked out to you: renewing item.",
    "checkout:*": "Item cannot be issued: {code}",
    "checkin:not_on_loan": "Item not checked out",
    "checkin:unknown_item": "Invalid Item",
    "checkin:*": "Checkin failed",
    "hold:unknown_patron": "Invalid patron barcode.",
    "hold:unknown_item": "No such item.",
    "hold:wrong_location": "Item cannot be transferred.",
    "hold:cancelled": "Hold Cancelled.",
}

EVERGREEN = {
    **COMMON,
    "patron:unknown_patron": "",
    "patron:patron_blocked": "barred",
    "patron:*": "blocked",
    "checkout:unknown_patron": "Invalid Patron Barcode '{patron}'",
    "checkout:unknown_item": "Invalid Item Barcode: '{item}'",
    "checkout:patron_blocked": "Patron Blocked",
    "checkout:card_expired": "Patron Blocked",
    "checkout:not_checked_in": "Patron Blocked",
    "checkout:overdue": "Patron Blocked",
    "checkout:suspended": "Patron Blocked",
    "checkout:fees_owed": "Patron Blocked",
    "checkout:item_not_available": "Item checked out to another patron",
    "checkout:already_on_loan": "Renewals not permitted",
    "checkout:fee_required": "Fee required",
    "checkout:*": "Patron is not allowed to check out the selected item",
    "checkin:unknown_item": "Invalid Item Barcode: '{item}'",
    "hold:unknown_patron": "Invalid patron barcode.",
    "hold:bad_pin": "Invalid patron password.",
    "hold:hold_not_found": "No such hold.",
    "hold:cancelled": "Hold Cancelled.",
}

PROJECT = COMMON


def frozen(texts: dict[str, str]) -> MappingProxyType:
    """A read-only view of a text table."""
    return MappingProxyType(dict(texts))
