"""Lending policy, pure and without I/O: who may borrow, opening hours, due dates,
renewals, returns and holds. Each refusal is a reason code that the UI translates."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drivers.config import require_range
from drivers.errors import DriverConfigError
from kiosk.planner import EXACT_LIMIT

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_MINUTES = 24 * 60
HORIZON_DAYS = 400  # how far ahead opening times are searched
CLOSED = "closed"


@dataclass(frozen=True)
class PolicyConfig:
    """The `[policy]` section: hours are "HH:MM-HH:MM" or "closed"; an end before the start runs
    past midnight ("22:00-02:00": open until 02:00 the next day)."""

    timezone: str = "Asia/Seoul"
    always_open: bool = False
    monday: str = "05:30-24:00"
    tuesday: str = "05:30-24:00"
    wednesday: str = "05:30-24:00"
    thursday: str = "05:30-24:00"
    friday: str = "05:30-24:00"
    saturday: str = "05:30-24:00"
    sunday: str = "05:30-24:00"
    holidays: dict[str, str] = field(default_factory=dict)  # ISO date -> hours or "closed"
    max_loans: int = 2  # open loans from this machine; bounds a cart (planner.EXACT_LIMIT)
    loan_days: int = 15
    renewal_days: int = 7
    max_renewals: int = 1
    hold_days: int = 3
    offline_max_loans: int = 1
    offline_recent_hours: int = 72  # offline: lend only if vouched for this recently

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a folder of zones
            raise DriverConfigError(f"timezone {self.timezone!r} is unknown") from None
        for name in WEEKDAYS:
            parse_hours(getattr(self, name), name)
        for day, hours in self.holidays.items():
            _parse_day(day)
            parse_hours(hours, f"holidays.{day}")
        _require_cart_limit(self.max_loans)
        require_range("offline_max_loans", self.offline_max_loans, 0, self.max_loans)
        require_range("loan_days", self.loan_days, 1, 365)
        require_range("renewal_days", self.renewal_days, 1, 365)
        require_range("max_renewals", self.max_renewals, 0, 10)
        require_range("hold_days", self.hold_days, 1, 60)
        require_range("offline_recent_hours", self.offline_recent_hours, 0, 24 * 365)

    @property
    def zone(self) -> ZoneInfo:
        """The machine's time zone."""
        return ZoneInfo(self.timezone)


def _require_cart_limit(max_loans: int) -> None:
    """max_loans bounds a cart, whose fetch order the planner finds exactly up to EXACT_LIMIT."""
    if max_loans > EXACT_LIMIT:
        raise DriverConfigError(
            f"max_loans = {max_loans!r} is out of range 1..{EXACT_LIMIT}: a cart holds up to "
            f"max_loans books and the planner orders at most {EXACT_LIMIT} exactly")
    require_range("max_loans", max_loans, 1, EXACT_LIMIT)


def parse_hours(text: object, name: str = "hours") -> tuple[int, int] | None:
    """ "05:30-24:00" -> (330, 1440) minutes of the day; "closed" -> None. A day's hours may
    run past midnight: "22:00-02:00" -> (1320, 1560), open until 02:00 the next day."""
    if not isinstance(text, str):
        raise DriverConfigError(f"{name} must be a string like 05:30-24:00 or closed")
    return _parse_hours(text, name)


@lru_cache(maxsize=256)
def _parse_hours(text: str, name: str) -> tuple[int, int] | None:
    if text.strip().lower() == CLOSED:
        return None
    try:
        start, end = (_minutes(part) for part in text.split("-"))
    except ValueError:
        raise DriverConfigError(f"{name} = {text!r} is not HH:MM-HH:MM or closed") from None
    if start >= DAY_MINUTES or start == end or end > DAY_MINUTES:
        raise DriverConfigError(f"{name} = {text!r} must open before it closes, by 24:00 "
                                "or past midnight (22:00-02:00)")
    if end < start:  # the day's hours run on past midnight: they belong to the day they start
        end += DAY_MINUTES
    return start, end


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    if len(minutes) != 2 or not 0 <= int(minutes) < 60 or not 0 <= int(hours) <= 24:
        raise ValueError(text)
    return int(hours) * 60 + int(minutes)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DriverConfigError(f"holiday {text!r} is not an ISO date (YYYY-MM-DD)") from None


END_OF_DAY = time(23, 59, 59)  # a due date or a hold lasts until this second of its day
LAST_SECOND = timedelta(seconds=1)  # ... through the whole of it


class PolicyRefusal(StrEnum):
    """Why the policy says no (values shared with the journal's ReturnRejection)."""

    CLOSED = "closed"
    NOT_A_MEMBER = "not_a_member"
    MEMBERSHIP_EXPIRED = "membership_expired"
    CHECKIN_REQUIRED = "checkin_required"
    SUSPENDED = "suspended"
    OVERDUE = "overdue"
    LIMIT_REACHED = "limit_reached"
    NOT_SEEN_RECENTLY = "not_seen_recently"
    LIBRARY_UNREACHABLE = "library_unreachable"
    RENEWAL_LIMIT = "renewal_limit"
    HELD_FOR_OTHER = "held_for_other"  # the library's name too
    NOT_FROM_THIS_MACHINE = "not_from_this_machine"
    NOT_ON_LOAN = "not_on_loan"
    ITEM_AVAILABLE = "item_available"
    ALREADY_HELD = "already_held"
    ON_LOAN_TO_PATRON = "on_loan_to_patron"


@dataclass(frozen=True)
class PatronFacts:
    """What the library system (offline: the journal's memory) says about a patron."""

    member: bool  # the library knows the card
    expired: bool = False
    federated: bool = False  # a member of another library of the federation
    checked_in_here: bool = False  # a federated member's one-time check-in is done
    overdue_count: int = 0  # overdue loans at any library
    suspended_until: date | None = None  # borrowing blocked through this date
    loans_here: int = 0  # open loans from this machine
    last_good_standing: datetime | None = None  # when the library last vouched (offline)


@dataclass(frozen=True)
class LoanFacts:
    """One open loan, as a renewal needs it."""

    due: date
    renewals: int
    held_for_other: bool = False


@dataclass(frozen=True)
class ReturnFacts:
    """A book at the return port, as the journal knows it."""

    lent_here: bool  # an item of this machine's collection
    on_loan: bool  # with an open loan from this machine
    due: date | None = None


@dataclass(frozen=True)
class HoldFacts:
    """A hold on an item of this machine."""

    item_id: str
    patron_id: str
    ready_at: datetime | None  # when the item reached a shelf here
    expires_at: datetime | None = None  # the library's own pickup deadline, when it gave one


@dataclass(frozen=True)
class BorrowDecision:
    """How many more books the patron may take now, or why none."""

    remaining: int
    refusal: PolicyRefusal | None = None

    @property
    def allowed(self) -> bool:
        """True when the patron may borrow at least one book."""
        return self.refusal is None


@dataclass(frozen=True)
class RenewDecision:
    """The new due date, or why the loan cannot be renewed."""

    new_due: date | None
    refusal: PolicyRefusal | None = None


@dataclass(frozen=True)
class ReturnDecision:
    """Whether the machine takes the book back, and how late it is."""

    refusal: PolicyRefusal | None
    days_late: int = 0

    @property
    def accepted(self) -> bool:
        """True when the book is taken back."""
        return self.refusal is None

    @property
    def late(self) -> bool:
        """True for a late return (accepted, and reported with days_late)."""
        return self.days_late > 0


def local_date(now: datetime, config: PolicyConfig) -> date:
    """The machine's calendar date at `now` (an aware datetime)."""
    return _local(now, config).date()


def _local(now: datetime, config: PolicyConfig) -> datetime:
    if now.tzinfo is None:
        raise ValueError("policy needs an aware datetime")
    return now.astimezone(config.zone)


def hours_on(day: date, config: PolicyConfig) -> tuple[int, int] | None:
    """Opening minutes (start, end) of a local date, or None when closed all day; an end past
    24:00 (1440) is the next day's (hours that run past midnight belong to the day they start)."""
    if config.always_open:
        return 0, DAY_MINUTES
    hours = config.holidays.get(day.isoformat(), getattr(config, WEEKDAYS[day.weekday()]))
    return parse_hours(hours)


def _openings(first: date, config: PolicyConfig) -> Iterator[tuple[datetime, datetime]]:
    """Opening intervals [start, end) from the local date `first` on, as aware datetimes."""
    for offset in range(HORIZON_DAYS):
        day = first + timedelta(days=offset)
        hours = hours_on(day, config)
        if hours is not None:
            yield _at(day, hours[0], config), _at(day, hours[1], config)


def _at(day: date, minute: int, config: PolicyConfig) -> datetime:
    day += timedelta(days=minute // DAY_MINUTES)  # 24:00 is the next day's 00:00
    hour, minute = divmod(minute % DAY_MINUTES, 60)
    return datetime.combine(day, time(hour, minute), tzinfo=config.zone)


def is_open(now: datetime, config: PolicyConfig) -> bool:
    """True while the machine serves patrons."""
    return next_opening(now, config) == now


def next_opening(now: datetime, config: PolicyConfig) -> datetime | None:
    """`now` if open, else when it next opens (None: not within the search horizon)."""
    for start, end in _openings(local_date(now, config) - timedelta(days=1), config):
        if end > now:
            return max(start, now)
    return None


def closing_time(now: datetime, config: PolicyConfig) -> datetime | None:
    """When an open machine next closes (None: closed now, or open beyond the horizon)."""
    if config.always_open or not is_open(now, config):
        return None
    closes: datetime | None = None
    for start, end in _openings(local_date(now, config) - timedelta(days=1), config):
        if end <= now:
            continue
        if closes is not None and start > closes:
            return closes
        closes = end if closes is None else max(closes, end)  # hours may overlap the next day
    return None


def may_borrow(
    patron: PatronFacts, now: datetime, config: PolicyConfig, offline: bool = False
) -> BorrowDecision:
    """How many books the patron may borrow from this machine now."""
    refusal = _standing_refusal(patron, now, config, offline)
    if refusal is None and not is_open(now, config):
        refusal = PolicyRefusal.CLOSED
    if refusal is not None:
        return BorrowDecision(0, refusal)
    limit = config.offline_max_loans if offline else config.max_loans
    remaining = max(0, limit - patron.loans_here)
    return BorrowDecision(remaining, None if remaining else PolicyRefusal.LIMIT_REACHED)


def _standing_refusal(
    patron: PatronFacts, now: datetime, config: PolicyConfig, offline: bool
) -> PolicyRefusal | None:
    today = local_date(now, config)
    if not patron.member:
        return PolicyRefusal.NOT_A_MEMBER
    if patron.expired:
        return PolicyRefusal.MEMBERSHIP_EXPIRED
    if patron.federated and not patron.checked_in_here:
        return PolicyRefusal.CHECKIN_REQUIRED
    if patron.suspended_until is not None and today <= patron.suspended_until:
        return PolicyRefusal.SUSPENDED
    if patron.overdue_count > 0:
        return PolicyRefusal.OVERDUE
    if offline and not _vouched_recently(patron, now, config):
        return PolicyRefusal.NOT_SEEN_RECENTLY
    return None


def _vouched_recently(patron: PatronFacts, now: datetime, config: PolicyConfig) -> bool:
    seen = patron.last_good_standing
    window = timedelta(hours=config.offline_recent_hours)
    return seen is not None and timedelta(0) <= now - seen <= window


def due_date(taken_at: datetime, config: PolicyConfig) -> date:
    """The due date of a loan that starts at `taken_at`."""
    return local_date(taken_at, config) + timedelta(days=config.loan_days)


def days_late(due: date, now: datetime, config: PolicyConfig) -> int:
    """Whole local days past the due date (0 when not late)."""
    return max(0, (local_date(now, config) - due).days)


def may_renew(
    loan: LoanFacts,
    patron: PatronFacts,
    now: datetime,
    config: PolicyConfig,
    offline: bool = False,
) -> RenewDecision:
    """The loan's new due date, or why it cannot be renewed."""
    refusal = _renew_refusal(loan, patron, now, config, offline)
    if refusal is not None:
        return RenewDecision(None, refusal)
    return RenewDecision(loan.due + timedelta(days=config.renewal_days))


def _renew_refusal(
    loan: LoanFacts, patron: PatronFacts, now: datetime, config: PolicyConfig, offline: bool
) -> PolicyRefusal | None:
    if offline:
        return PolicyRefusal.LIBRARY_UNREACHABLE
    if days_late(loan.due, now, config) > 0:
        return PolicyRefusal.OVERDUE
    standing = _standing_refusal(patron, now, config, offline=False)
    if standing is not None:
        return standing
    if loan.renewals >= config.max_renewals:
        return PolicyRefusal.RENEWAL_LIMIT
    if loan.held_for_other:
        return PolicyRefusal.HELD_FOR_OTHER
    return None


def may_return(item: ReturnFacts, now: datetime, config: PolicyConfig) -> ReturnDecision:
    """Take back only books lent by this machine; late ones too, with their days late."""
    if not item.lent_here:
        return ReturnDecision(PolicyRefusal.NOT_FROM_THIS_MACHINE)
    if not item.on_loan:
        return ReturnDecision(PolicyRefusal.NOT_ON_LOAN)
    late = days_late(item.due, now, config) if item.due is not None else 0
    return ReturnDecision(None, late)


def hold_expires_at(hold: HoldFacts, config: PolicyConfig) -> datetime | None:
    """The last moment a ready hold is kept: the library's deadline when it gave one, else
    the end of the hold_days-th day after the book reached the shelf, in the library's zone
    (the library's rule). None: the book has not reached a shelf yet."""
    if hold.ready_at is None:
        return None
    if hold.expires_at is not None:
        return hold.expires_at
    zone = config.zone
    last_day = hold.ready_at.astimezone(zone).date() + timedelta(days=config.hold_days)
    return datetime.combine(last_day, END_OF_DAY, tzinfo=zone)


def hold_expired(hold: HoldFacts, now: datetime, config: PolicyConfig) -> bool:
    """True once the last second of a ready hold is over (the library keeps it through
    23:59:59, as it keeps a loan through its due second)."""
    expires = hold_expires_at(hold, config)
    return expires is not None and now >= expires + LAST_SECOND


def visible_items(
    shelf: Iterable[str],
    holds: Iterable[HoldFacts],
    patron_id: str | None,
    now: datetime,
    config: PolicyConfig,
) -> list[str]:
    """The shelf's item ids this patron may see: others' live holds are hidden."""
    hidden = {
        h.item_id for h in holds if h.patron_id != patron_id and not hold_expired(h, now, config)
    }
    return [item_id for item_id in shelf if item_id not in hidden]


def may_hold(
    patron: PatronFacts,
    *,
    item_on_loan: bool,
    item_held: bool,
    lent_to_patron: bool,
    now: datetime,
    config: PolicyConfig,
    offline: bool = False,
) -> PolicyRefusal | None:
    """None if the patron may hold this item (one that is out), else why not."""
    if offline:
        return PolicyRefusal.LIBRARY_UNREACHABLE
    standing = _standing_refusal(patron, now, config, offline=False)
    if standing is not None:
        return standing
    if not item_on_loan:
        return PolicyRefusal.ITEM_AVAILABLE
    if lent_to_patron:
        return PolicyRefusal.ON_LOAN_TO_PATRON
    return PolicyRefusal.ALREADY_HELD if item_held else None
