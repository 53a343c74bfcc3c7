"""The campaigns' record and docs/RELIABILITY.md: one summary line per campaign."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

from campaign_report import Recorder

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("reliability", ROOT / "scripts" / "reliability.py")
reliability = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reliability)


def report(nodeid: str, when: str, outcome: str = "passed", **props) -> SimpleNamespace:
    """A stand-in for pytest's TestReport (only what the recorder reads)."""
    return SimpleNamespace(nodeid=nodeid, when=when, outcome=outcome, duration=1.0,
                           user_properties=[("campaign", "crash"), *props.items()])


def test_a_case_is_one_line_with_its_worst_phase_and_facts(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "record.jsonl")
    recorder.pytest_runtest_logreport(report("t::a", "setup"))
    recorder.pytest_runtest_logreport(report("t::a", "call", "failed"))
    recorder.pytest_runtest_logreport(report("t::a", "teardown", facts={"kills": 2}))
    recorder.pytest_runtest_logreport(report("t::b", "setup", "failed"))
    recorder.pytest_runtest_logreport(report("t::b", "teardown"))
    lines = [json.loads(x) for x in (tmp_path / "record.jsonl").read_text().splitlines()]
    assert [(x["case"], x["outcome"], x["seconds"]) for x in lines] == [
        ("t::a", "failed", 3.0), ("t::b", "error", 2.0)]
    assert lines[0]["facts"] == {"kills": 2} and lines[0]["campaign"] == "crash"


def test_a_test_outside_every_campaign_is_not_recorded(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "record.jsonl")
    plain = SimpleNamespace(nodeid="t::c", when="teardown", outcome="passed", duration=1.0,
                            user_properties=[])
    recorder.pytest_runtest_logreport(plain)
    assert not (tmp_path / "record.jsonl").exists()


def run(case: str, outcome: str, campaign: str = "crash", **facts) -> dict:
    return {"campaign": campaign, "case": case, "outcome": outcome, "seconds": 30.0,
            "facts": facts, "at": 1796558400.0}


def test_the_document_sums_numbers_lists_words_and_names_every_failure() -> None:
    runs = [run("a", "passed", kills=2, activity="vend", about="Kills."),
            run("b", "failed", kills=3, activity="reslot", about="Kills."),
            run("c", "skipped", kills=100),
            run("d", "passed", "fuzz", cases=100000)]
    text = reliability.document(runs, "make campaigns", wall=600)
    crash = next(line for line in text.splitlines() if line.startswith("**crash**"))
    assert crash.startswith("**crash**: 2 runs, 1 clean (**1 not clean**), 1.0 min")
    assert "kills 5" in crash and "activity: vend, reslot" in crash
    assert "- `b`" in text and "Kills." in text and "- `a`" not in text
    assert "**fuzz**: 1 run, 1 clean (every one clean)" in text and "cases 100,000" in text
    assert text.index("## crash") < text.index("## fuzz")  # the order
    assert "in 10.0 min of wall time; 3 cases." in text


def test_a_campaign_whose_cases_count_runs_says_both() -> None:
    text = reliability.document([run("a", "passed", runs=12), run("b", "passed", runs=8)],
                                "make campaigns", wall=None)
    assert "**crash**: 20 runs in 2 cases, 2 cases clean (every one clean)" in text


def test_an_empty_record_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "record.jsonl").write_text("")
    out = tmp_path / "RELIABILITY.md"
    assert reliability.main([str(tmp_path / "record.jsonl"), str(out)]) == 1
    assert not out.exists()
