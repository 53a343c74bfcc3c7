"""ACS profiles: how the emulator's SIP2 server behaves like the project's ACS, a strict
2.00 ACS, Koha or Evergreen. Data only; sip2_handlers and sip2_server apply it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sim.library import sip2_texts as texts

# Reasons that also deny renewals and holds (patron status positions 1 and 3).
_NO_RENEW = frozenset({"patron_blocked", "card_expired", "not_checked_in", "overdue",
                       "suspended", "fees_owed"})


@dataclass(frozen=True)
class AcsProfile:
    """The wire behaviour of one kind of ACS; the library's rules are the same for all.

    The defaults describe a plain SIP2 2.00 ACS (the strict profile).
    """

    name: str
    extensions: bool = False  # the project's X fields are sent; XT makes transactions idempotent
    local_times: bool = False  # "YYYYMMDD    HHMMSS" in the library's zone, else UTC ("   Z")
    due_format: str | None = None  # strftime of AH in local time; None: a SIP2 timestamp
    pickup_date_format: str | None = None  # strftime of CM in local time; None: a timestamp
    idle_timeout: float | None = None  # seconds an idle connection is kept; None: for ever
    resend: Literal["verbatim", "rebuild"] = "verbatim"  # 97: as sent, or with the 97's AY
    timeout_period: str = "030"  # 98, 3 digits
    retries_allowed: str = "003"  # 98, 3 digits
    offline_ok: str = "Y"  # 98
    supported: str = "YYYYYYYYYNYNNYYN"  # 98 BX
    sipserver_base: bool = False  # OpenNCIP SIPServer shapes (Koha, Evergreen): docs/library.md
    holds_listed: Literal["ready", "all"] = "ready"  # 64 hold items; CD: holds not ready
    charged_limit: bool = True  # 64 CB
    fee_amount: Literal["always", "nonzero"] = "always"  # 64 BV
    fee_limit: bool = True  # 64 CC
    patron_home_aq: bool = False  # 64 AQ: the patron's home library
    patron_expiry_pa: bool = False  # 64 PA: the card's expiry, YYYYMMDD
    recall_denied: Literal["never", "with_renewal", "always"] = "never"  # patron status [2]
    renewal_denials: frozenset[str] = _NO_RENEW  # block reasons that deny renewals, holds too
    three_m_fields: bool = False  # 10: CV alert type, CY/DA hold patron
    alert_on_refusal: bool = False  # 10: alert Y whenever ok is 0
    not_on_loan_ok: bool = False  # 10: a checkin of a copy not on loan is ok
    same_patron_renews: Literal["no", "always", "if_sc_allows"] = "no"  # 11, copy already theirs
    hold_queue_18: Literal["always", "nonzero", "never"] = "always"  # 18 CF
    texts: Mapping[str, str] = field(default_factory=dict)  # AF, see sip2_texts

    def text(self, context: str, reason: str, **values: Any) -> str | None:
        """The AF for `reason` in `context` (checkout, checkin, hold, patron, ...), or None."""
        for key in (f"{context}:{reason}", f"*:{reason}", f"{context}:*", "*:*"):
            if key in self.texts:
                return self.texts[key].format(code=reason.upper(), **values) or None
        return None


PROFILES: dict[str, AcsProfile] = {
    "project": AcsProfile("project", extensions=True, texts=texts.frozen(texts.PROJECT)),
    "strict": AcsProfile("strict", texts=texts.frozen(texts.STANDARD)),
    "koha": AcsProfile(
        "koha", local_times=True, idle_timeout=600.0, resend="rebuild", timeout_period="100",
        retries_allowed="005", offline_ok="N", supported="YYYYYYYYYYYNYYYY",
        sipserver_base=True, charged_limit=False, fee_amount="nonzero",
        recall_denied="with_renewal", renewal_denials=_NO_RENEW - {"overdue"},
        three_m_fields=True, alert_on_refusal=True, same_patron_renews="always",
        hold_queue_18="nonzero", texts=texts.frozen(texts.KOHA)),
    "evergreen": AcsProfile(
        "evergreen", local_times=True, due_format="%Y-%m-%d %H:%M:%S",
        pickup_date_format="%Y%m%d", idle_timeout=60.0, resend="rebuild",
        timeout_period="600", offline_ok="N", sipserver_base=True, holds_listed="all",
        charged_limit=False, fee_limit=False, patron_home_aq=True, patron_expiry_pa=True,
        recall_denied="always", three_m_fields=True, not_on_loan_ok=True,
        same_patron_renews="if_sc_allows", hold_queue_18="never",
        texts=texts.frozen(texts.EVERGREEN)),
}
DEFAULT_PROFILE = "project"


@dataclass
class Sip2Settings:
    """The SIP2 server's current settings; a connection keeps those it was opened with."""

    profile: AcsProfile = PROFILES[DEFAULT_PROFILE]
    idle_override: float | None = None  # None: the profile's idle timeout; 0: never
    terminal_password: str | None = None  # when set, AC must carry it

    @classmethod
    def named(cls, profile: str, idle_timeout: float | None = None,
              terminal_password: str | None = None) -> Sip2Settings:
        """Settings for a profile by name; KeyError for an unknown one."""
        return cls(PROFILES[profile], idle_timeout, terminal_password)

    @property
    def idle_timeout(self) -> float | None:
        """Seconds an idle connection is kept open, None for ever."""
        seconds = self.profile.idle_timeout if self.idle_override is None else self.idle_override
        return seconds or None

    def describe(self) -> dict[str, Any]:
        """The settings as the admin API shows them (the password only as set or not)."""
        return {"profile": self.profile.name, "idle_timeout": self.idle_timeout,
                "terminal_password_set": self.terminal_password is not None}
