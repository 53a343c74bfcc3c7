"""Demo data: the machine's collection in the library, and patrons that show each rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sim.collection import FOREIGN_ISIL, OWNER_ISIL, DemoBook
from sim.library import patrons, world
from sim.library.core import Library

LIBRARY_NAMES = {OWNER_ISIL: "Seoul Demo Library", FOREIGN_ISIL: "Mapo Demo Library"}


@dataclass(frozen=True)
class DemoPatron:
    """A demo patron: how to identify them and what they demonstrate."""

    name: str
    card_uid: str  # 4 or 7 bytes, upper-case hex
    member_number: str  # printed as barcode / QR
    pin: str | None
    home_library: str
    note: str
    checked_in_here: bool = False
    overdue_elsewhere_days: int = 0
    suspended_days: int = 0
    expired: bool = False
    blocked: bool = False


DEMO_PATRONS: tuple[DemoPatron, ...] = (
    DemoPatron("Kim Minji", "04A1B2C3", "111001000001", None, OWNER_ISIL,
               "member of this library in good standing: may borrow 2"),
    DemoPatron("Lee Jiho", "04D4E5F6A1B280", "111001000002", "1234", OWNER_ISIL,
               "has a PIN (1234): pin_required, then bad_pin or accepted"),
    DemoPatron("Park Seoyeon", "0A1B2C3D", "111002000003", None, FOREIGN_ISIL,
               "federated member (Mapo), checked in here once: may borrow",
               checked_in_here=True),
    DemoPatron("Choi Yuna", "0B2C3D4E", "111002000004", None, FOREIGN_ISIL,
               "federated member (Mapo) never checked in here: not_checked_in"),
    DemoPatron("Jung Hoon", "0C3D4E5F", "111001000005", None, OWNER_ISIL,
               "a book 4 days overdue at Mapo library: overdue blocks borrowing here",
               overdue_elsewhere_days=4),
    DemoPatron("Kang Dawon", "0D4E5F60", "111001000006", None, OWNER_ISIL,
               "returned a book late: suspended for 5 more days", suspended_days=5),
    DemoPatron("Yoon Sera", "0E5F6071", "111001000007", None, OWNER_ISIL,
               "card expired yesterday: card_expired", expired=True),
    DemoPatron("Han Jaewon", "0F607182", "111001000008", None, OWNER_ISIL,
               "card reported lost, account blocked: patron_blocked", blocked=True),
    DemoPatron("Oh Taeyang", "04A2B3C4D5E6F7", "111001000009", None, OWNER_ISIL,
               "second member in good standing (holds for someone else)"),
)


def panel_patrons() -> list[dict]:
    """The demo patrons for the simulator panel: card UID, QR code, what each one shows."""
    return [{"name": p.name, "masked_name": masked_name(p.name), "card_uid": p.card_uid,
             "member_number": p.member_number, "qr": p.member_number, "pin": p.pin,
             "home_library": p.home_library, "library_name": LIBRARY_NAMES[p.home_library],
             "note": p.note} for p in DEMO_PATRONS]


def masked_name(name: str) -> str:
    """The name as the touchscreen shows it: 'Kim Minji' -> 'K*******i' (the kiosk's rule)."""
    name = name.strip()
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def load_demo(lib: Library, collection: list[DemoBook], machine_id: str,
              spares: Sequence[DemoBook] = ()) -> None:
    """Titles and copies homed to the machine (owned by OWNER_ISIL), spare copies on the
    library's own shelves (no home machine), and the demo patrons."""
    with lib.atomic():
        for isil, name in LIBRARY_NAMES.items():
            world.ensure_library(lib, isil, name)
        for book in collection:
            world.add_title(lib, book.title)
            world.add_item(lib, book.item_id, book.title.book_id, OWNER_ISIL, machine_id)
        for book in spares:
            world.add_title(lib, book.title)
            world.add_item(lib, book.item_id, book.title.book_id, OWNER_ISIL, None)
    for patron in DEMO_PATRONS:
        if patrons.find(lib, member_number=patron.member_number) is None:
            _add_demo_patron(lib, patron)


def _add_demo_patron(lib: Library, p: DemoPatron) -> None:
    today = lib.clock.today()
    world.create_patron(lib, {
        "member_number": p.member_number, "name": p.name, "home_library": p.home_library,
        "card_uid": p.card_uid, "pin": p.pin, "blocked": p.blocked,
        "expires_on": today - timedelta(days=1) if p.expired else None,
        "checked_in": [OWNER_ISIL] if p.checked_in_here else [],
    })
    if p.overdue_elsewhere_days:
        world.lend_elsewhere(lib, p.member_number, FOREIGN_ISIL, p.overdue_elsewhere_days)
    if p.suspended_days:
        _past_late_return(lib, p.member_number, p.suspended_days)


def _past_late_return(lib: Library, member_number: str, late: int) -> None:
    """A loan returned today `late` days late: suspended for `late` days from today."""
    item = world.lend_elsewhere(lib, member_number, FOREIGN_ISIL, days_overdue=late)
    world.return_elsewhere(lib, item["item_id"], None)
