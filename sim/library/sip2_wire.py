"""How one ACS profile writes the library's facts: times, patron flags, fees, X fields."""

from __future__ import annotations

from datetime import date, datetime

from drivers.sip2 import format_date, format_day
from drivers.sip2 import layouts as f
from sim.library.core import Library, Result
from sim.library.rules import CURRENCY, FEE_LIMIT
from sim.library.sip2_profiles import AcsProfile

Fields = list[tuple[str, str | None]]


class Wire:
    """Formatting of SIP2 fields for one profile and one library."""

    def __init__(self, profile: AcsProfile, lib: Library) -> None:
        self.profile = profile
        self.lib = lib

    def stamp(self, when: datetime | str | None) -> str:
        """A SIP2 timestamp (18 characters; blank when None)."""
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        if when is not None and self.profile.local_times:
            when = when.astimezone(self.lib.tz).replace(tzinfo=None)  # naive: blank zone
        return format_date(when)

    def now(self) -> str:
        """The library's current time as a SIP2 timestamp."""
        return self.stamp(self.lib.now())

    def due(self, iso: str | None) -> str:
        """AH: a due date ("" when none)."""
        return self._local(iso, self.profile.due_format)

    def pickup(self, iso: str | None) -> str:
        """CM / BW: when a hold on the shelf expires ("" when none)."""
        return self._local(iso, self.profile.pickup_date_format)

    def _local(self, iso: str | None, pattern: str | None) -> str:
        if not iso:
            return ""
        if pattern is None:
            return self.stamp(iso)
        return datetime.fromisoformat(iso).astimezone(self.lib.tz).strftime(pattern)

    def x(self, value: str | None) -> str | None:
        """An X field's value in the project profile; left out (None) elsewhere."""
        return value if self.profile.extensions else None

    def verdict(self, result: Result) -> Fields:
        """XR (refusal or conflict reason) and XD (duplicate) of a transaction response."""
        reason = result.get("reason") or result.get("conflict")
        return [(f.X_REASON, self.x(reason)),
                (f.X_DUPLICATE, self.x("Y" if result.get("duplicate") else None))]

    def flags(self, reason: str | None, fees: float) -> str:
        """The 14-character patron status: each block reason at its own position."""
        flags = [" "] * 14
        denied = reason is not None
        flags[f.STATUS_CHARGE_DENIED] = "Y" if denied else " "
        renew = "Y" if reason in self.profile.renewal_denials else " "
        flags[f.STATUS_RENEWAL_DENIED] = flags[f.STATUS_HOLD_DENIED] = renew
        flags[2] = {"never": " ", "with_renewal": renew, "always": "Y"}[self.profile.recall_denied]
        flags[f.STATUS_CARD_LOST] = "Y" if reason == "patron_blocked" else " "
        flags[f.STATUS_TOO_MANY_CHARGED] = "Y" if reason == "limit_reached" else " "
        flags[f.STATUS_TOO_MANY_OVERDUE] = "Y" if reason == "overdue" else " "
        if fees > FEE_LIMIT:
            flags[f.STATUS_EXCESSIVE_FINES] = flags[f.STATUS_EXCESSIVE_FEES] = "Y"
        return "".join(flags)

    def fees(self, owed: float) -> Fields:
        """BH, BV and CC of a patron information response, as the profile sends them."""
        shown = owed or self.profile.fee_amount == "always"
        return [(f.CURRENCY, CURRENCY), (f.FEE_AMOUNT, amount(owed) if shown else None),
                (f.FEE_LIMIT, amount(FEE_LIMIT) if self.profile.fee_limit else None)]

    def day(self, iso: str | None) -> str | None:
        """YYYYMMDD of an ISO date, or None."""
        return format_day(date.fromisoformat(iso)) if iso else None


def amount(value: float) -> str:
    """A money amount as SIP2 sends it."""
    return f"{value:.2f}"


def count(values: list) -> str:
    """A 4-digit count of a fixed field."""
    return f"{min(len(values), 9999):04d}"


def clean(value: str) -> str:
    """Text fit for a SIP2 field: no separators or line breaks."""
    return value.replace("|", "/").replace("\r", " ").replace("\n", " ")
