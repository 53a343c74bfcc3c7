"""The benchmarks' measuring functions on tiny inputs: sane, consistent numbers, no timing."""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from bench import footprint, journal_writes, pick_order, touchscreen, vend_overhead
from bench._journal_writers import LoanByHand
from drivers.carousel.geometry import REFERENCE_GEOMETRY as G
from drivers.carousel.geometry import REFERENCE_TIMING as T
from kiosk.journal import VendTaken
from kiosk.planner import EXACT_LIMIT, fetch_seconds, order_seconds


# -- journal_writes ---------------------------------------------------------------
def test_journal_writes_measures_every_writer(tmp_path: Path) -> None:
    result = journal_writes.measure(3, tmp_path, warmup=1)
    assert result.cycles == 3
    assert set(result.loan) == set(journal_writes.WRITERS)
    assert min(result.loan.values()) > 0 and min(result.cycle.values()) > 0
    assert all(0 < result.loan_median[w] <= result.loan[w] for w in journal_writes.WRITERS)
    assert min(result.stages.values()) > 0
    assert math.isclose(result.ratio, result.loan["raw"] / result.loan["journal"])
    assert math.isclose(result.by_hand_ratio * result.own_code_ratio, result.ratio)
    assert math.isclose(result.loan_ms("journal"), 1000 * result.loan["journal"] / 3)
    assert math.isclose(result.cycle_ms("raw"), 1000 * result.cycle["raw"] / 12)
    assert result.pages["loan"] > result.pages["raw"] >= 1
    text = journal_writes.report(result, "disk")
    assert f"{result.ratio:.2f}x" in text and "3 vend cycles" in text
    [verdict] = journal_writes.verdicts(result)
    assert verdict.met == (result.ratio >= journal_writes.BUDGET)
    assert verdict.met or "short" in verdict.note


def test_journal_writes_refuses_more_cycles_than_slots(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        journal_writes.measure(journal_writes.SLOTS, tmp_path, warmup=1)


def test_journal_writes_refuses_loans_by_hand_unlike_the_journals(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = LoanByHand.append

    def other_due(self: LoanByHand, p: VendTaken) -> None:
        real(self, dataclasses.replace(p, due=date(2098, 1, 1)))
    monkeypatch.setattr(LoanByHand, "append", other_due)
    with pytest.raises(RuntimeError, match="by hand"):
        journal_writes.measure(2, tmp_path, warmup=0)


def test_the_vend_cycles_are_four_events_per_stocked_item() -> None:
    stocked = journal_writes.stocking(3)
    kinds = [p.kind.value for p in journal_writes.vend_cycles(stocked)]
    assert kinds == ["vend_started", "vend_fetched", "vend_presented", "vend_taken"] * 3


# -- pick_order -----------------------------------------------------------------------
def test_pick_order_carts_are_consistent() -> None:
    carts = pick_order.measure_orders(sizes=(2, 3, 8), per_size=2, seed=1)
    assert [c.size for c in carts] == [2, 2, 3, 3, 8, 8]
    for cart in carts:
        assert cart.optimal <= cart.planned + 1e-9 and cart.optimal <= cart.naive + 1e-9
        assert math.isclose(cart.ratio, cart.planned / cart.optimal)
        assert math.isclose(cart.naive_ratio, cart.naive / cart.planned)
        assert cart.plan_ms >= 0
    summary = pick_order.summarise(carts, "all")
    assert summary.carts == 6
    assert 1.0 - 1e-9 <= summary.mean_ratio <= summary.worst_ratio <= 1.0 + 1e-9  # exact
    assert summary.worst_ratio == max(c.ratio for c in carts)
    assert summary.mean_naive <= summary.worst_naive == max(c.naive_ratio for c in carts)
    assert summary.plan_ms_p50 <= summary.plan_ms_p95 <= summary.plan_ms_max


def test_every_order_lists_each_permutation_once() -> None:
    orders = pick_order.every_order(4)
    assert sorted(map(tuple, orders.tolist())) == list(itertools.permutations(range(4)))


def test_the_brute_force_optimum_is_the_best_permutation() -> None:
    start, slots = (0, 0), [120, 455, 907, 3]
    assert pick_order.optimal_seconds(start, []) == 0.0
    assert math.isclose(pick_order.optimal_seconds(start, slots[:1]),
                        fetch_seconds(start, slots[0], G, T)[0])
    best = min(order_seconds(start, p, G, T) for p in itertools.permutations(slots))
    assert math.isclose(pick_order.optimal_seconds(start, slots), best)


def test_pick_order_times_carts_the_config_refuses_without_planning_them_for_real() -> None:
    (beyond,) = pick_order.measure_beyond(sizes=(EXACT_LIMIT + 1,), per_size=2, seed=1)
    assert (beyond.label, beyond.carts) == (str(EXACT_LIMIT + 1), 2)
    assert 0 <= beyond.plan_ms_p50 <= beyond.plan_ms_p95 <= beyond.plan_ms_max


def test_pick_order_verdicts_judge_exactness_and_planning_time() -> None:
    def summary(label: str, worst: float, p95: float) -> pick_order.Summary:
        return pick_order.Summary(label, 1, 1.0, worst, 1.0, 1.0, 1.0, p95, p95)
    returns = pick_order.Returns(1, 1.0, 1.0, 1.5, 40, 40)
    good = pick_order.verdicts([summary("10", 1.0, 9.0), summary("all 2–10", 1.0, 9.0)], returns)
    assert [v.met for v in good] == [True, True, True]
    assert good[0].measured == "1.0000x" and good[1].measured == "9.0 ms"
    bad = pick_order.verdicts([summary("10", 1.0, 80.0), summary("all 2–10", 1.01, 9.0)],
                              pick_order.Returns(1, 1.1, 1.1, 1.5, 40, 40))
    assert [v.met for v in bad] == [False, False, False]
    assert "1.6x the budget" in bad[1].note and "10 books" in bad[1].budget
    text = pick_order.report([summary("10", 1.0, 9.0), summary("all 2–10", 1.0, 9.0)], returns,
                             [summary("11", float("nan"), 20.0)])
    assert "| 11 (refused) | 1 | – |" in text and "planning p95 9.0 ms at 10 books" in text


def test_pick_order_returns_are_consistent() -> None:
    returns = pick_order.measure_returns(cases=5, seed=1, max_extra=10)
    assert returns.cases == 5
    assert 1.0 - 1e-9 <= returns.mean_ratio <= returns.worst_ratio
    assert returns.mean_naive >= 1.0 - 1e-9
    assert 40 <= returns.free_min <= returns.free_max <= 50


# -- vend_overhead --------------------------------------------------------------------
def test_the_segment_model_is_doors_around_each_fetch() -> None:
    start, slots = (0, 0), [82, 20]
    first, at = fetch_seconds(start, 82, G, T)
    second, _ = fetch_seconds(at, 20, G, T)
    assert vend_overhead.segment_seconds(start, slots) == pytest.approx(
        [first + T.door, T.door + second + T.door])


def test_the_overhead_arithmetic_is_consistent() -> None:
    vends = (vend_overhead.Vend("A", 1, False, 0.7, 6.0),
             vend_overhead.Vend("B", 2, True, 1.0, 8.0))
    run = vend_overhead.Overhead(10.0, vends, idle_requests_per_second=4.2)
    assert run.mechanics == pytest.approx(1.4) and run.measured == pytest.approx(1.7)
    assert run.overheads == pytest.approx([0.1, 0.2])
    assert run.per_vend == pytest.approx(0.15)
    assert run.ratio == pytest.approx(1.7 / 1.4)
    assert run.ratio_at_1x == pytest.approx((14.0 + 0.3) / 14.0)
    sample = vend_overhead.Overhead(1.0, (vend_overhead.Vend("C", 3, False, 6.03, 6.0),))
    text = vend_overhead.report([sample, run])
    assert "p50 100 ms, p95 190 ms** over 3 vends" in text  # 30, 100, 200 ms
    assert "over the p95 budget" in text and "idle second: 4.2**" in text
    # the share: every overhead (0.33 s) / the same moves at speed 1 (6 + 6 + 8 s), not at 10x
    assert run.reference_mechanics == pytest.approx(14.0)
    assert vend_overhead.share_of_mechanics([sample, run]) == pytest.approx(0.33 / 20.0)
    assert "**1.65 % of the real mechanics** (over the budget of 1 %)" in text
    assert "| 10x | 2 | 150 | 195 | 200 | 1.214x | 14.0 | 2.14 % |" in text
    fast, small = vend_overhead.verdicts([sample, run])
    assert (fast.measured, fast.limit, fast.met) == ("190 ms", "≤ 50 ms", False)
    assert "(1 at 1x, 2 at 10x)" in fast.budget and fast.note.startswith("+140 ms")
    assert (small.measured, small.limit, small.met) == ("1.65 %", "≤ 1 %", False)


def test_percentiles_interpolate_between_ranks() -> None:
    assert vend_overhead.percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert vend_overhead.percentile(list(range(21)), 0.95) == pytest.approx(19.0)
    assert vend_overhead.percentile([0.0, 10.0], 0.95) == pytest.approx(9.5)
    assert vend_overhead.percentile([5.0], 0.95) == 5.0


def test_vend_overhead_measures_vends_and_the_idle_link_on_the_real_machine(tmp_path: Path) -> None:
    run = vend_overhead.measure(tmp_path, sessions=4, per_session=1, speed=50.0,
                                idle_seconds=1.0)
    # three members in turn; the first gives her book back before her second turn
    assert [v.item_id for v in run.vends] == vend_overhead.choose_books(4)
    assert not any(v.after_take for v in run.vends)  # one book a session
    assert all(v.measured > 0 and v.mechanics > 0 for v in run.vends)
    assert run.ratio == pytest.approx(run.measured / run.mechanics)
    assert run.idle_requests_per_second is not None and run.idle_requests_per_second > 0


# -- touchscreen ----------------------------------------------------------------------
def _touchscreen_sample() -> touchscreen.Touchscreen:
    taps = [touchscreen.Tap(0.0, 90.0, 200.0, 220.0, 240.0, 2, 0.5, seen=150.0),
            touchscreen.Tap(0.2, 90.0, 210.0, 630.0, 650.0, 2, 0.5, seen=160.0),
            touchscreen.Tap(0.0, 5.0, 20.0, 40.0, 60.0, 2, 0.5, via="qr")]
    strokes = [touchscreen.Keystroke("ㅎ", 12.0, 14.0, 20.0, 3, 3, "ㅎ", first=True),
               touchscreen.Keystroke("a", 1.0, 3.0, 30.0, 40, 700, "a")]
    cold = [touchscreen.ColdStart(80.0, 200.0, 230.0, 1000, 900, ("/", "/ui/js/main.js"),
                                  ("http://127.0.0.1:1/", "http://127.0.0.1:1/ui/js/main.js",
                                   "http://127.0.0.1:1/api/events"))]
    return touchscreen.Touchscreen(960, 5000, "150.0", taps, strokes, cold, rounds=1,
                                   queries=("ㅎ", "a"))


def test_the_touchscreen_report_subtracts_the_library_and_judges_the_budgets() -> None:
    run = _touchscreen_sample()
    assert [t.library_ms for t in run.taps] == [0.0, 400.0, 0.0]
    assert [t.over_library for t in run.taps] == [240.0, 250.0, 60.0]
    assert [t.after_seen for t in run.taps] == [90.0, 90.0, None]  # drawn - seen - library
    text = touchscreen.report(run)
    assert ("p95 over the library's own latency: 240 ms with the library at 0 ms, 250 ms with "
            "the library at 200 ms** (2 taps; within") in text
    assert "| card tap | 200 ms | 1 | 2 | 400 | 160 / 160 |" in text
    assert "**From pcscd's report to the greeting drawn: p95 90 ms over the library**" in text
    assert "| QR code | 0 ms | 1 | 2 | 0 | – / – |" in text
    assert "**p95 60 ms over the library** over 1 scans" in text
    assert "p50 25 ms, p95 30 ms** over 2 keystrokes and 960 books (within" in text
    assert "the Hangul queries find up to 3 books" in text and "Latin ones up to 700" in text
    assert "still open: `/api/events`" in text and "Page weight 1 KiB" in text
    verdicts = touchscreen.verdicts(run)
    assert [(v.measured, v.limit, v.met) for v in verdicts] == [
        ("240 ms", "≤ 300 ms", True), ("250 ms", "≤ 300 ms", True),
        ("90 ms", "≤ 300 ms", True), ("30 ms", "≤ 50 ms", True)]
    assert "library at 200 ms (1 taps)" in verdicts[1].budget


def test_a_card_tap_over_its_budget_says_by_how_much_and_where_the_wait_is() -> None:
    taps = [touchscreen.Tap(0.0, 300.0, 420.0, 430.0, 450.0, 2, 0.5, seen=390.0)] * 3
    over, kiosk = touchscreen.tap_verdicts(taps)
    assert (over.measured, over.met) == ("450 ms", False)
    assert over.note.startswith("+150 ms: pcscd looks at the simulated reader")
    assert "p95 390 ms" in over.note
    assert (kiosk.measured, kiosk.met, kiosk.note) == ("60 ms", True, "")


@pytest.mark.pcsc
@pytest.mark.browser
def test_touchscreen_measures_taps_keys_and_a_cold_start_in_chromium(tmp_path: Path) -> None:
    run = touchscreen.measure(tmp_path, taps=2, latencies=(0.0,), scans=1, rounds=1,
                              cold_starts=1, hangul=("ㅎㅏ",), latin=("ab",))
    assert run.books > 0 and run.catalogue_bytes > 0
    assert [t.via for t in run.taps] == ["card", "card", "qr"]
    for tap in run.taps:
        assert tap.library_requests >= 2  # the card lookup and the patron status
        assert 0 < tap.contact <= tap.greeting <= tap.drawn
        assert tap.checking is None or tap.checking <= tap.greeting
    for tap in run.taps[:2]:  # pcscd's report of each card, stamped by the bench's watcher
        assert tap.seen is not None and 0 < tap.seen <= tap.greeting
    assert run.taps[2].seen is None  # a QR code: no card
    assert [(k.key, k.query) for k in run.keystrokes] == [
        ("ㅎ", "ㅎ"), ("ㅏ", "하"), ("a", "a"), ("b", "ab")]
    assert all(0 <= k.handler <= k.layout <= k.frame for k in run.keystrokes)
    (cold,) = run.cold
    assert {"/", "/ui/js/main.js", "/api/info"} <= set(cold.files)
    assert 0 < cold.fcp <= cold.attract_drawn and cold.transferred >= cold.encoded > 0
    assert all(url.startswith("http://127.0.0.1:") for url in cold.requests)
    assert "Card tap to greeting drawn" in touchscreen.report(run)
    assert len(touchscreen.verdicts(run)) == 3  # the tap at 0 ms, from pcscd's report, search


# -- reslot -------------------------------------------------------------------------
def test_reslot_bench_compares_the_plan_with_random_and_optimal_placements() -> None:
    from bench import reslot
    runs, reference = reslot.measure(placements=1, budgets=(10, None), seed=1)
    limited, unlimited = runs
    assert limited.moves == 10 and unlimited.moves > 10
    assert unlimited.optimal - 1e-9 <= unlimited.after <= limited.after <= limited.random_mean
    assert math.isclose(unlimited.after, unlimited.optimal, rel_tol=1e-9)
    assert math.isclose(reference.assigned, reference.rearranged, rel_tol=1e-9)
    assert reference.quickest < reference.assigned < reference.random_mean
    assert math.isclose(reference.ratio, reference.assigned / reference.random_mean)
    assert math.isclose(reference.fill, 0.96)
    text = reslot.report(runs, reference)
    assert "| 10 | 10 |" in text and "| none |" in text and "| reference drum | 4.80–7.19 |" in text
    verdicts = reslot.verdicts(runs, reference)
    assert [v.met for v in verdicts] == [False, True]  # no placement reaches 0.75x of random
    assert f"assignment is {reference.ratio:.3f}x random" in verdicts[0].note


def test_the_assignment_solver_finds_the_least_weighted_mean() -> None:
    from bench import reslot
    weights = {"a": 3.0, "b": 1.0, "c": 0.0}
    seconds = {10: 5.0, 11: 2.0, 12: 9.0, 13: 4.0}.__getitem__
    best = min(sum(w * seconds(s) for w, s in zip(weights.values(), chosen))
               for chosen in itertools.permutations(range(10, 14), 3)) / 4.0
    assert math.isclose(reslot.assigned_mean(weights, range(10, 14), seconds), best)
    assert reslot.top_share({"a": 3.0, "b": 1.0, **{str(i): 0.0 for i in range(8)}}, 0.1) == 0.75


# -- footprint ------------------------------------------------------------------------
def test_footprint_reads_memory_and_cpu_of_a_process_from_proc() -> None:
    mine = footprint.memory(os.getpid())
    assert 0 < mine.rss <= mine.peak
    before = footprint.cpu_seconds(os.getpid())
    sum(range(100_000))
    assert footprint.cpu_seconds(os.getpid()) >= before >= 0
    (idle,) = footprint.idle_cpu([os.getpid()], 0.05)
    assert idle.wall > 0 and idle.seconds >= 0 and idle.share == idle.seconds / idle.wall


def test_footprint_finds_homing_in_the_controllers_log() -> None:
    log = ('ts=2026-12-06T12:00:00.100+00:00 level=info logger=kiosk.device_events '
           'msg="PLC state NOT_HOMED -> BUSY"\n'
           'ts=2026-12-06T12:00:05.000+00:00 level=info logger=kiosk.device_events '
           'msg="PLC state NOT_HOMED -> BUSY"\n'
           'ts=2026-12-06T12:00:05.700+00:00 level=info logger=kiosk.device_events '
           'msg="PLC state BUSY -> IDLE"\n')
    start = datetime(2026, 12, 6, 12, 0, 1, tzinfo=timezone.utc).timestamp()
    homing = footprint.log_stamp(log, footprint.HOMING_STARTED, start)
    assert homing == pytest.approx(start + 4.0)  # the earlier run's line is not this start's
    assert footprint.log_stamp(log, footprint.HOMING_ENDED, homing) == pytest.approx(start + 4.7)
    assert footprint.log_stamp(log, footprint.HOMING_ENDED, start + 5) is None


def _footprint_sample(rss_mb: float, cpu: float, ready: float) -> footprint.Footprint:
    mib = 2**20
    run = footprint.Footprint(10.0, footprint.Memory(60 * mib, 60 * mib),
                              footprint.Memory(int(rss_mb * mib), 90 * mib), 3,
                              footprint.Cpu(cpu * 30, 30.0), footprint.Cpu(0.3, 30.0),
                              devices=("plc", "card_reader"))
    run.restarts = [footprint.Restart(0.8, 0.85, 1.45, 1.5, 0.6),
                    footprint.Restart(0.9, 0.95, 1.55, ready, 0.6)]
    run.restarted = [footprint.Memory(61 * mib, 61 * mib)] * 2
    run.stocked = footprint.Memory(65 * mib, 84 * mib)
    run.imports = [0.9, 1.0, 1.2]
    return run


def test_the_footprint_report_judges_memory_cpu_and_start_less_homing() -> None:
    run = _footprint_sample(70.0, 0.01, 1.7)
    assert [r.without_homing for r in run.restarts] == pytest.approx([0.9, 1.1])
    rss, cpu, start = footprint.verdicts(run)
    assert (rss.measured, rss.limit, rss.met) == ("70.0 MiB", "≤ 80.0 MiB", True)
    assert (cpu.measured, cpu.limit, cpu.met) == ("1.00 % of a core", "≤ 2 %", True)
    assert (start.measured, start.limit, start.met) == ("1.10 s", "≤ 2 s", True)
    text = footprint.report(run)
    assert "| after 3 sessions | 70.0 | 90.0 |" in text
    assert "| controller | 0.30 | 30.0 | 1.00 % |" in text
    assert "| ready less HOME's mechanics | 1.00 | 1.10 |" in text  # p50 and max of 0.9, 1.1
    assert "| stocked with the demo collection (one `stock` request) | 65.0 | 84.0 |" in text
    assert "the peak, VmHWM, 90.0 MiB" in text and "p50 1.00 s, next to" in text
    assert "**idle CPU 1.00 % of a core** (within 2 %)" in text
    assert "**start to ready less homing at most 1.10 s** (within 2 s)" in text
    over = footprint.verdicts(_footprint_sample(85.0, 0.05, 3.0))
    assert [v.met for v in over] == [False, False, False]
    assert [v.note.split(":")[0] for v in over] == ["+5.0 MiB", "2.5x", "+0.40 s"]


@pytest.mark.pcsc
def test_footprint_measures_the_real_controller_and_a_start_after_a_power_cut(
        tmp_path: Path) -> None:
    run = footprint.measure(tmp_path, sessions=2, idle_seconds=0.5, power_cuts=1, speed=20.0)
    assert 0 < run.started.rss <= run.started.peak and run.after.rss > 0
    assert run.idle.wall > 0 and run.sim_idle.wall > 0
    assert "plc" in run.devices and "card_reader" in run.devices
    (restart,) = run.restarts
    assert restart.homing is not None and restart.homed is not None  # logged by the controller
    assert 0 < restart.api <= restart.ready and restart.homing <= restart.homed
    assert restart.home_mechanics == pytest.approx(6.0 / 20.0)
    assert len(run.restarted) == 1 and "Start after a power cut" in footprint.report(run)
    assert run.stocked is not None and len(run.imports) == 3

