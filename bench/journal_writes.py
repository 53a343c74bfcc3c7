"""Durable journal writes: Journal.append of a loan event against raw SQLite doing the same insert
with the same PRAGMAs, and against the journal's own SQL written by hand; same disk, one run."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import bench
from bench._journal_writers import (
    STAGES, LoanByHand, RawLog, derived_state, time_stages, wal_pages,
)
from kiosk.journal import (
    ItemStocked, Journal, Payload, VendFetched, VendPresented, VendStarted, VendTaken,
)
from sim.collection import demo_collection

TITLE = "Journal writes"
CYCLES = 800  # timed vend cycles (4 events each, the last one the loan)
WARMUP = 100  # untimed cycles first: every WAL file grows to its size before the timing
SLOTS = 1000
BUDGET = 0.8  # journal commits/s of a loan event / raw commits/s, at least
PATRONS = ("111001000001", "111002000003", "111001000009")
DUE = date(2099, 1, 16)
WRITERS = ("journal", "by_hand", "raw", "raw_normal")
CYCLE_WRITERS = ("journal", "raw", "raw_normal")


@dataclass(frozen=True)
class Result:
    """Seconds summed per writer over the same timed vend cycles."""

    cycles: int
    loan: dict[str, float]  # the loan events (VendTaken), every writer
    loan_median: dict[str, float]  # one loan event's seconds, median (robust to stalls)
    cycle: dict[str, float]  # every event of the cycles: the journal and the raw writers
    stages: dict[str, float]  # the journal's steps for a loan event, timed alone: medians
    pages: dict[str, float]  # WAL pages a commit writes: a loan event's, a raw event row's

    def loan_ms(self, writer: str) -> float:
        """Milliseconds per loan event."""
        return 1000 * self.loan[writer] / self.cycles

    def stage_ms(self, stage: str) -> float:
        """Milliseconds of one of the journal's steps for a loan event (median)."""
        return 1000 * self.stages[stage]

    def cycle_ms(self, writer: str) -> float:
        """Milliseconds per event of a vend cycle."""
        return 1000 * self.cycle[writer] / (4 * self.cycles)

    @property
    def ratio(self) -> float:
        """Journal commits/s / raw commits/s for the loan event (both FULL): the budget's."""
        return self.loan["raw"] / self.loan["journal"]

    @property
    def by_hand_ratio(self) -> float:
        """The same SQL by hand, commits/s / raw commits/s for the loan event."""
        return self.loan["raw"] / self.loan["by_hand"]

    @property
    def own_code_ratio(self) -> float:
        """Journal commits/s / the same SQL by hand: what the journal's own code costs."""
        return self.loan["by_hand"] / self.loan["journal"]

    @property
    def cycle_ratio(self) -> float:
        """Journal commits/s / raw commits/s over whole vend cycles."""
        return self.cycle["raw"] / self.cycle["journal"]


def stocking(items: int) -> list[ItemStocked]:
    """Demo copies to put in the drum before the timed writes."""
    return [ItemStocked(b.item_id, b.uid.hex().upper(), b.title.title, b.slot, b.title.authors)
            for b in demo_collection(items)]


def vend_cycles(stocked: Sequence[ItemStocked]) -> list[Payload]:
    """One whole vend per stocked item: VendStarted, VendFetched, VendPresented, VendTaken."""
    payloads: list[Payload] = []
    for n, item in enumerate(stocked):
        patron = PATRONS[n % len(PATRONS)]
        payloads += [VendStarted(item.item_id, item.slot, patron, f"S{n // 2}", n % 65535 + 1),
                     VendFetched(item.item_id), VendPresented(item.item_id),
                     VendTaken(item.item_id, patron, DUE)]
    return payloads


def _timed(write: Callable[[Payload], None], payload: Payload) -> float:
    started = time.perf_counter()
    write(payload)
    return time.perf_counter() - started


class _Run:
    """The files of one run, each writer's own, and the seconds each writer has taken."""

    def __init__(self, root: Path, stocked: Sequence[ItemStocked]) -> None:
        self.journal = _journal(root / "journal.db", stocked)
        self.shadow = _journal(root / "by_hand.db", stocked)  # loans by hand, the rest journaled
        self.probe = _journal(root / "stages.db", stocked)  # the journal's steps, timed alone
        self.by_hand = LoanByHand(self.shadow)
        self.raw = RawLog(root / "raw.db", "FULL")
        self.raw_normal = RawLog(root / "raw_normal.db", "NORMAL")
        self.loans: dict[str, list[float]] = {writer: [] for writer in WRITERS}
        self.cycle = dict.fromkeys(CYCLE_WRITERS, 0.0)
        self.stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
        self.steps = [self._journaled, self._by_hand, self._raw, self._raw_normal, self._probed]

    def run(self, cycle: Sequence[Payload], turn: int, timed: bool) -> None:
        """Every writer writes the cycle, in an order that turns with `turn`."""
        first = turn % len(self.steps)
        for step in self.steps[first:] + self.steps[:first]:
            step(cycle, timed)

    def _add(self, writer: str, payload: Payload, seconds: float, timed: bool) -> None:
        if timed and writer in self.cycle:
            self.cycle[writer] += seconds
        if timed and isinstance(payload, VendTaken):
            self.loans[writer].append(seconds)

    def _journaled(self, cycle: Sequence[Payload], timed: bool) -> None:
        for p in cycle:
            self._add("journal", p, _timed(self.journal.append, p), timed)

    def _by_hand(self, cycle: Sequence[Payload], timed: bool) -> None:
        for p in cycle:
            if isinstance(p, VendTaken):
                self._add("by_hand", p, _timed(self.by_hand.append, p), timed)
            else:
                self.shadow.append(p)

    def _raw(self, cycle: Sequence[Payload], timed: bool) -> None:
        for p in cycle:
            self._add("raw", p, _timed(self.raw.append, p), timed)

    def _raw_normal(self, cycle: Sequence[Payload], timed: bool) -> None:
        for p in cycle:
            self._add("raw_normal", p, _timed(self.raw_normal.append, p), timed)

    def _probed(self, cycle: Sequence[Payload], timed: bool) -> None:
        for p in cycle:
            if isinstance(p, VendTaken) and timed:
                for stage, seconds in time_stages(self.probe, p).items():
                    self.stages[stage].append(seconds)
            self.probe.append(p)

    def check(self, stocked: int, events: int) -> None:
        """RuntimeError unless every writer wrote every event and the loans by hand left the
        tables exactly as Journal.append did."""
        journaled = self.journal.db.execute("SELECT count(*) FROM events").fetchone()[0]
        if not journaled - stocked == self.raw.count() == self.raw_normal.count() == events:
            raise RuntimeError("the writers did not all write every event")
        if not derived_state(self.journal) == derived_state(self.shadow) == derived_state(
                self.probe):
            raise RuntimeError("the loans by hand did not leave what Journal.append leaves")

    def close(self) -> None:
        """Close every file."""
        for closable in (self.journal, self.shadow, self.probe, self.raw, self.raw_normal):
            closable.close()


def _journal(path: Path, stocked: Sequence[ItemStocked]) -> Journal:
    journal = Journal.open(path, slot_count=SLOTS)
    journal.append_many(stocked)
    return journal


def measure(cycles: int, root: Path, warmup: int = WARMUP) -> Result:
    """Time `cycles` vend cycles of every writer, taking turns cycle by cycle, after `warmup`."""
    if cycles < 1 or warmup < 0 or warmup + cycles > SLOTS:
        raise ValueError(f"cycles 1.., warmup 0.., together at most {SLOTS}")
    stocked = stocking(warmup + cycles)
    payloads = vend_cycles(stocked)
    run = _Run(root, stocked)
    try:
        for n in range(warmup + cycles):
            run.run(payloads[4 * n:4 * n + 4], n, timed=n >= warmup)
        run.check(len(stocked), len(payloads))
    finally:
        run.close()
    few = stocking(4)
    pages = wal_pages(root / "pages", few, vend_cycles(few), SLOTS)
    loan = {writer: sum(seconds) for writer, seconds in run.loans.items()}
    medians = {writer: statistics.median(seconds) for writer, seconds in run.loans.items()}
    stages = {stage: statistics.median(seconds) for stage, seconds in run.stages.items()}
    return Result(cycles, loan, medians, run.cycle, stages, pages)


def filesystem(path: Path) -> str:
    """Type and device of the filesystem holding `path` (from /proc/self/mounts)."""
    best = ("", "?", "?")
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return "unknown filesystem"
    resolved = str(path.resolve())
    for line in lines:
        device, mount, fstype = line.split()[:3]
        inside = resolved == mount or resolved.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best[0]):
            best = (mount, fstype, device)
    return f"{best[1]} ({best[2]})"


def _per_s(ms: float) -> str:
    return f"{1000 / ms:,.0f}" if ms > 0 else "–"


def loan_table(r: Result) -> str:
    """The loan event, writer by writer."""
    rows = [("`Journal.append(VendTaken)`", "FULL", "journal"),
            ("the same SQL by hand: the rule checks' 4 reads, the event, loan, intent, item and "
             "outbox rows", "FULL", "by_hand"),
            ("raw `INSERT` of the event row + `commit`", "FULL", "raw"),
            ("raw `INSERT` + `commit` (context: no fsync)", "NORMAL", "raw_normal")]
    lines = ["| writer, per loan event | synchronous | ms (mean) | commits/s | commits/s vs raw "
             "| ms (median) | vs raw, by medians |", "|---|---|---:|---:|---:|---:|---:|"]
    median = r.loan_median
    for label, sync, writer in rows:
        ms = r.loan_ms(writer)
        lines.append(f"| {label} | {sync} | {ms:.3f} | {_per_s(ms)} | "
                     f"{r.loan['raw'] / r.loan[writer]:.2f}x | {1000 * median[writer]:.3f} | "
                     f"{median['raw'] / median[writer]:.2f}x |")
    return "\n".join(lines)


def breakdown_table(r: Result) -> str:
    """Where a loan event's time goes, from the raw write up to Journal.append."""
    ms, stage = r.loan_ms, r.stage_ms
    sql = ms("by_hand") - ms("raw")
    own = ms("journal") - ms("by_hand")
    rules = stage("rule checks") - stage("rule checks' reads")
    rest = own - stage("validation") - rules
    rows = [
        ("raw `INSERT` + `commit`, FULL", ms("raw"), ""),
        ("  of it the fsync (raw FULL − raw NORMAL)", ms("raw") - ms("raw_normal"), "  "),
        ("+ the derived tables and the outbox (the same SQL by hand − raw)", sql, ""),
        ("  of it the rule checks' 4 reads (timed alone)", stage("rule checks' reads"), "  "),
        (f"  of it the other writes and their WAL pages ({r.pages['loan']:.0f} a commit, "
         f"not {r.pages['raw']:.0f})", sql - stage("rule checks' reads"), "  "),
        ("+ the journal's own code (`Journal.append` − the same SQL by hand)", own, ""),
        ("  of it validating the payload (timed alone)", stage("validation"), "  "),
        ("  of it the reducer's rules, without their reads (timed alone)", rules, "  "),
        ("  of it the rest: rows as records, change objects, dispatch, transaction", rest, "  "),
        ("= `Journal.append(VendTaken)`", ms("journal"), ""),
    ]
    lines = ["| part of a loan event | ms | share |", "|---|---:|---:|"]
    for label, value, indent in rows:
        share = f"{value / ms('journal'):.0%}"
        text = label.strip()
        lines.append(f"| {'↳ ' if indent else ''}{text} | {value:.3f} | {share} |")
    return "\n".join(lines)


def cycle_table(r: Result) -> str:
    """Context: whole vend cycles."""
    lines = ["| writer, per event of a vend cycle | synchronous | ms | commits/s |",
             "|---|---|---:|---:|"]
    for label, sync, writer in (("`Journal.append`", "FULL", "journal"),
                                ("raw `INSERT` + `commit`", "FULL", "raw"),
                                ("raw `INSERT` + `commit`", "NORMAL", "raw_normal")):
        ms = r.cycle_ms(writer)
        lines.append(f"| {label} | {sync} | {ms:.3f} | {_per_s(ms)} |")
    return "\n".join(lines)


def report(r: Result, where: str) -> str:
    """The markdown section."""
    met = "met" if r.ratio >= BUDGET else "missed"
    return (
        f"{r.cycles:,} vend cycles (VendStarted, VendFetched, VendPresented, VendTaken) timed "
        f"after {WARMUP:,} untimed ones, in a temp dir on {where}. Every writer has files of "
        "its own, opened with the journal's PRAGMAs (WAL, foreign_keys, secure_delete; "
        "synchronous as shown), and the writers take turns cycle by cycle, in a rotating order. "
        "The loan event is VendTaken, the one that makes a loan; raw writes the same event's "
        "JSON row into an events table of the journal's shape (uuid, kind, payload, time) and "
        "commits. The same SQL by hand runs, on a journal file in the same state, the "
        "statements `Journal.append` runs for that event, with no validation and no records.\n\n"
        f"{loan_table(r)}\n\n"
        f"**Journal / raw, loan event: {r.ratio:.2f}x the commits/s (budget ≥ {BUDGET}x, "
        f"{met}); the same SQL by hand {r.by_hand_ratio:.2f}x, so the journal's own code "
        f"keeps {r.own_code_ratio:.2f}x of what its SQL allows.**\n\n"
        "Where a loan event's time goes: differences of the writers' means above, and the "
        "journal's steps timed alone (medians; run on a fourth journal file in the same state, "
        "just before its own append):\n\n"
        f"{breakdown_table(r)}\n\n"
        "Context, whole vend cycles (every event its own transaction and fsync):\n\n"
        f"{cycle_table(r)}\n\n"
        f"Journal / raw over the vend cycle: {r.cycle_ratio:.2f}x the commits/s.\n\n"
        f"Run with `.venv/bin/python -m bench journal_writes` on {bench.machine()}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d}.")


def verdicts(r: Result) -> list[bench.Verdict]:
    """The budget's row: a loan event's durable commits/s, journal against raw."""
    met = r.ratio >= BUDGET
    note = "" if met else (
        f"{BUDGET - r.ratio:.2f}x short: the derived tables and outbox the same commit writes "
        f"(the same SQL by hand reaches {r.by_hand_ratio:.2f}x; {r.pages['loan']:.0f} WAL pages "
        f"a commit, not {r.pages['raw']:.0f}) and the journal's own code "
        f"({r.loan_ms('journal') - r.loan_ms('by_hand'):.3f} ms); see Journal writes")
    measured = (f"{r.ratio:.2f}x ({_per_s(r.loan_ms('journal'))} vs "
                f"{_per_s(r.loan_ms('raw'))} commits/s)")
    return [bench.Verdict("durable commits/s of a loan event, journal / raw sqlite3 (same "
                          "PRAGMAs)", measured, f"≥ {BUDGET}x", met, note)]


def _disk_tmp() -> str | None:
    """A temp root on a real disk: /var/tmp (never tmpfs by convention), else the default."""
    return "/var/tmp" if os.path.isdir("/var/tmp") and os.access("/var/tmp", os.W_OK) else None


def main() -> tuple[str, list[bench.Verdict]]:
    """Measure every writer in one run; the markdown section and the budget's verdict."""
    with tempfile.TemporaryDirectory(prefix="bench-journal-", dir=_disk_tmp()) as tmp:
        result = measure(CYCLES, Path(tmp))
        where = filesystem(Path(tmp))
    return report(result, where), verdicts(result)


if __name__ == "__main__":
    print(main()[0])
