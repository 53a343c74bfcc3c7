"""Consistency checks of the derived tables: for tests and the technician's `journal check`."""

from __future__ import annotations

from kiosk.journal.reads import JournalReader

# Each query returns one row per broken rule; the first column names what is wrong.
CHECKS: dict[str, str] = {
    "slot item not in that slot": """
        SELECT slots.slot FROM slots LEFT JOIN items USING (item_id)
        WHERE items.place IS NOT 'slot' OR items.slot IS NOT slots.slot""",
    "item in a slot missing from slots": """
        SELECT item_id FROM items WHERE place = 'slot'
        AND NOT EXISTS (SELECT 1 FROM slots WHERE slots.item_id = items.item_id)""",
    "one-book place holds several items": """
        SELECT place FROM items WHERE place IN ('pickup_port', 'return_port', 'picker')
        GROUP BY place HAVING COUNT(*) > 1""",
    "item on loan without an open loan": """
        SELECT item_id FROM items WHERE place = 'on_loan' AND NOT EXISTS
        (SELECT 1 FROM loans WHERE loans.item_id = items.item_id AND returned_at IS NULL)""",
    "open loan of an item not on loan": """
        SELECT loans.item_id FROM loans JOIN items USING (item_id)
        WHERE loans.returned_at IS NULL AND items.place IS NOT 'on_loan'""",
    "unknown item without an open audit flag": """
        SELECT item_id FROM items WHERE place = 'unknown' AND NOT EXISTS
        (SELECT 1 FROM audit_flags f WHERE f.item_id = items.item_id AND f.cleared_at IS NULL)""",
    "open intent whose item is elsewhere": """
        SELECT intent_id FROM intents JOIN items USING (item_id) WHERE intents.outcome IS NULL
        AND NOT ((intents.kind IN ('vend', 'withdraw', 'transfer') AND intents.stage = 'moving'
                  AND items.place = 'slot' AND items.slot = intents.slot)
             OR (intents.kind IN ('vend', 'withdraw') AND intents.stage IN ('fetched', 'presented')
                  AND items.place = 'pickup_port')
             OR (intents.kind = 'retract' AND items.place = 'pickup_port')
             OR (intents.kind = 'store' AND items.place = 'return_port'))""",
    "slot reserved by an intent holds another item": """
        SELECT intents.intent_id FROM intents JOIN slots
        ON slots.slot IN (intents.slot, intents.to_slot)
        WHERE intents.outcome IS NULL AND slots.item_id IS NOT intents.item_id""",
    "hold on an item no longer in the collection": """
        SELECT holds.hold_id FROM holds JOIN items USING (item_id)
        WHERE holds.ended_at IS NULL AND items.place = 'removed'""",
}


def consistency_problems(reader: JournalReader) -> list[str]:
    """One line per broken invariant of the derived tables; empty when all hold."""
    problems = []
    for rule, sql in CHECKS.items():
        for row in reader.db.execute(sql).fetchall():
            problems.append(f"{rule}: {row[0]}")
    return problems
