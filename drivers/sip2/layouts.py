"""Fixed-field layouts of the SIP2 2.00 messages, and the variable-field identifiers."""

from __future__ import annotations

DATE_LENGTH = 18  # YYYYMMDDZZZZHHMMSS

# Fixed fields of each message, in order: (name, length). Variable fields follow them.
LAYOUTS: dict[str, tuple[tuple[str, int], ...]] = {
    "01": (("card_retained", 1), ("transaction_date", DATE_LENGTH)),  # answered with 24
    "93": (("uid_algorithm", 1), ("pwd_algorithm", 1)),
    "94": (("ok", 1),),
    "99": (("status_code", 1), ("max_print_width", 3), ("protocol_version", 4)),
    "98": (
        ("online_status", 1), ("checkin_ok", 1), ("checkout_ok", 1),
        ("renewal_policy", 1), ("status_update_ok", 1), ("offline_ok", 1),
        ("timeout_period", 3), ("retries_allowed", 3),
        ("date_time_sync", DATE_LENGTH), ("protocol_version", 4),
    ),
    "23": (("language", 3), ("transaction_date", DATE_LENGTH)),
    "24": (("patron_status", 14), ("language", 3), ("transaction_date", DATE_LENGTH)),
    "63": (("language", 3), ("transaction_date", DATE_LENGTH), ("summary", 10)),
    "64": (
        ("patron_status", 14), ("language", 3), ("transaction_date", DATE_LENGTH),
        ("hold_items_count", 4), ("overdue_items_count", 4), ("charged_items_count", 4),
        ("fine_items_count", 4), ("recall_items_count", 4), ("unavailable_holds_count", 4),
    ),
    "11": (
        ("renewal_policy", 1), ("no_block", 1),
        ("transaction_date", DATE_LENGTH), ("nb_due_date", DATE_LENGTH),
    ),
    "12": (
        ("ok", 1), ("renewal_ok", 1), ("magnetic_media", 1), ("desensitize", 1),
        ("transaction_date", DATE_LENGTH),
    ),
    "09": (("no_block", 1), ("transaction_date", DATE_LENGTH), ("return_date", DATE_LENGTH)),
    "10": (
        ("ok", 1), ("resensitize", 1), ("magnetic_media", 1), ("alert", 1),
        ("transaction_date", DATE_LENGTH),
    ),
    "29": (
        ("third_party_allowed", 1), ("no_block", 1),
        ("transaction_date", DATE_LENGTH), ("nb_due_date", DATE_LENGTH),
    ),
    "30": (
        ("ok", 1), ("renewal_ok", 1), ("magnetic_media", 1), ("desensitize", 1),
        ("transaction_date", DATE_LENGTH),
    ),
    "17": (("transaction_date", DATE_LENGTH),),
    "18": (
        ("circulation_status", 2), ("security_marker", 2), ("fee_type", 2),
        ("transaction_date", DATE_LENGTH),
    ),
    "15": (("hold_mode", 1), ("transaction_date", DATE_LENGTH)),
    "16": (("ok", 1), ("available", 1), ("transaction_date", DATE_LENGTH)),
    "35": (("transaction_date", DATE_LENGTH),),
    "36": (("end_session", 1), ("transaction_date", DATE_LENGTH)),
    "96": (),
    "97": (),
}

# Variable fields used by the kiosk (two-character identifiers of SIP2 2.00).
PATRON_ID = "AA"
ITEM_ID = "AB"
TERMINAL_PASSWORD = "AC"
PATRON_PASSWORD = "AD"
PERSONAL_NAME = "AE"
SCREEN_MESSAGE = "AF"
PRINT_LINE = "AG"
DUE_DATE = "AH"
TITLE = "AJ"
BLOCKED_CARD_MESSAGE = "AL"
INSTITUTION = "AO"
PERMANENT_LOCATION = "AQ"
HOLD_ITEMS = "AS"
OVERDUE_ITEMS = "AT"
CHARGED_ITEMS = "AU"
OWNER = "BG"
CURRENCY = "BH"
VALID_PATRON = "BL"
FEE_ACKNOWLEDGED = "BO"
PICKUP_LOCATION = "BS"
QUEUE_POSITION = "BR"
FEE_AMOUNT = "BV"
EXPIRATION_DATE = "BW"
SUPPORTED_MESSAGES = "BX"
HOLD_ITEMS_LIMIT = "BZ"
CHARGED_ITEMS_LIMIT = "CB"
FEE_LIMIT = "CC"
UNAVAILABLE_HOLD_ITEMS = "CD"
HOLD_QUEUE_LENGTH = "CF"
HOLD_PICKUP_DATE = "CM"
LOGIN_USER = "CN"
LOGIN_PASSWORD = "CO"
LOCATION_CODE = "CP"
VALID_PATRON_PASSWORD = "CQ"
LIBRARY_NAME = "AM"
CURRENT_LOCATION = "AP"
TRANSACTION_ID = "BK"
# 3M's additions to 2.00, accepted when an ACS sends them.
ALERT_TYPE = "CV"  # checkin response: why the alert flag is set (ALERT_* below)
HOLD_PATRON_ID = "CY"  # item information: whom the copy on the hold shelf waits for
HOLD_PATRON_NAME = "DA"

# Widely sent by ACSs though outside 2.00 (Koha, Evergreen): read when present.
PATRON_EXPIRES = "PA"  # patron information: card expiry, YYYYMMDD (or a SIP2 date)

# Extensions of this project (a standard ACS ignores unknown fields; the kiosk reads them
# when present and falls back to the standard fields otherwise).
X_TRANSACTION_ID = "XT"  # request: UUID that makes the transaction idempotent
X_REASON = "XR"  # response: reason code of a refusal or of a recorded conflict
X_DUPLICATE = "XD"  # response: Y when the transaction id had been seen before
X_HOME_LIBRARY = "XH"  # patron's home library (ISIL)
X_EXPIRES = "XE"  # patron card expiry, YYYYMMDD
X_BLOCKED_UNTIL = "XU"  # first date a suspended patron may borrow again, YYYYMMDD
X_AUTHORS = "XA"  # item: authors
X_ISBN = "XI"  # item: ISBN-13
X_HOLD_PATRON = "XP"  # item waiting on the hold shelf: for whom
X_LATE_DAYS = "XL"  # checkin response: whole days the return was late
X_HOLD_EXPIRES = "XW"  # checkin response: until when the hold it made ready waits (timestamp)
X_OFFLINE = "XO"  # checkout / renew request: Y when the kiosk did it while offline

# Circulation status values of message 18.
CIRCULATION_OTHER = "01"
CIRCULATION_ON_ORDER = "02"
CIRCULATION_AVAILABLE = "03"
CIRCULATION_CHARGED = "04"
CIRCULATION_CHARGED_NO_RECALL = "05"
CIRCULATION_IN_PROCESS = "06"
CIRCULATION_RECALLED = "07"
CIRCULATION_ON_HOLD_SHELF = "08"
CIRCULATION_RESHELVING = "09"
CIRCULATION_IN_TRANSIT = "10"
CIRCULATION_CLAIMED_RETURNED = "11"
CIRCULATION_LOST = "12"
CIRCULATION_MISSING = "13"
CIRCULATION_ON_LOAN = (CIRCULATION_CHARGED, CIRCULATION_CHARGED_NO_RECALL, CIRCULATION_RECALLED)

# Alert types (CV) of message 10.
ALERT_UNKNOWN = "00"
ALERT_HOLD_HERE = "01"
ALERT_HOLD_ELSEWHERE = "02"
ALERT_ILL = "03"
ALERT_TRANSFER = "04"
ALERT_OTHER = "99"
ALERT_HOLDS = (ALERT_HOLD_HERE, ALERT_HOLD_ELSEWHERE)

# Positions in the 14-character patron status field (Y = denied / true).
STATUS_CHARGE_DENIED = 0
STATUS_RENEWAL_DENIED = 1
STATUS_HOLD_DENIED = 3
STATUS_CARD_LOST = 4
STATUS_TOO_MANY_CHARGED = 5
STATUS_TOO_MANY_OVERDUE = 6
STATUS_TOO_MANY_RENEWALS = 7
STATUS_TOO_MANY_CLAIMS = 8
STATUS_TOO_MANY_LOST = 9
STATUS_EXCESSIVE_FINES = 10
STATUS_EXCESSIVE_FEES = 11
STATUS_RECALL_OVERDUE = 12
STATUS_TOO_MANY_BILLED = 13

# Positions in the 98's supported-messages field (BX), Y when the ACS answers that message.
SUPPORTED_MESSAGE_CODES = (
    "23", "11", "09", "01", "99", "97", "93", "63", "35", "37", "17", "19", "25", "15", "29",
    "65",
)


def response_code(request_code: str) -> str:
    """The code of the ACS response to an SC request (93 -> 94, 09 -> 10, 99 -> 98, 01 -> 24)."""
    if request_code == "99":
        return "98"
    if request_code == "01":  # Block Patron is answered with a Patron Status Response
        return "24"
    return f"{int(request_code) + 1:02d}"
