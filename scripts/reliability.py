"""Write docs/RELIABILITY.md from a campaign record (tests/campaign_report.py): one line each."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import machine  # noqa: E402  (after the path: the script runs from anywhere)

SIZES = ("KIOSK_SOAK_SESSIONS", "KIOSK_RANDOM_CRASHES")  # campaign sizes set from the environment
ORDER = ("crash", "power_cut", "library_chaos", "device_faults", "fuzz", "soak")
PREAMBLE = """# Reliability

Written by `make campaigns` (`scripts/reliability.py` from the record the campaign cases leave
with `KIOSK_CAMPAIGN_REPORT`): each campaign's cases are seeded and bounded in time; a *run* is
one case, or what a case counts as its runs (its `runs` fact: in the crash campaigns, one kill and
the look after the restart), *clean* means a case passed (every invariant it names held, after
every run). `make test` runs a fast subset of each (the cases marked `campaign(fast=True)`).
"""


def load(path: Path) -> list[dict]:
    """The record's lines, in order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def merged_facts(runs: list[dict]) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Numbers summed over the runs, strings listed once each (in first-seen order)."""
    numbers: dict[str, float] = defaultdict(float)
    words: dict[str, list[str]] = defaultdict(list)
    for run in runs:
        for key, value in run["facts"].items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                if str(value) not in words[key]:
                    words[key].append(str(value))
            else:
                numbers[key] += value
    return dict(numbers), dict(words)


def figure(value: float) -> str:
    """A number as the documents write it."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"


def plural(count: int, noun: str) -> str:
    """'1 run', '2 runs'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def summary(name: str, runs: list[dict]) -> str:
    """The campaign's one summary line, then its facts and failures."""
    counts = defaultdict(int)
    for run in runs:
        counts[run["outcome"]] += 1
    seconds = sum(r["seconds"] for r in runs)
    numbers, words = merged_facts(runs)
    total = numbers.pop("runs", None)  # a case may count several runs (kill, restart, check)
    counted = (f"{figure(total)} runs in {plural(len(runs), 'case')}" if total is not None
               else plural(len(runs), "run"))
    cleans = "cases clean" if total is not None else "clean"
    about = words.pop("about", [])
    facts = [f"{key.replace('_', ' ')} {figure(v)}" for key, v in numbers.items()]
    facts += [f"{key.replace('_', ' ')}: {', '.join(v)}" for key, v in words.items()]
    clean = counts["passed"]
    bad = len(runs) - clean
    verdict = "every one clean" if bad == 0 and clean else f"**{bad} not clean**"
    line = (f"**{name}**: {counted}, {clean} {cleans} ({verdict}), "
            f"{seconds / 60:.1f} min of cases" + ("; " + "; ".join(facts) if facts else "") + ".")
    parts = [f"## {name}", "", line]
    if about:
        parts += [""] + about
    failed = [r["case"] for r in runs if r["outcome"] in ("failed", "error")]
    if failed:
        parts += ["", "Not clean:"] + [f"- `{case}`" for case in failed]
    return "\n".join(parts)


def document(runs: list[dict], command: str, wall: float | None) -> str:
    """The whole document."""
    by_campaign: dict[str, list[dict]] = defaultdict(list)
    for run in runs:
        if run["outcome"] != "skipped":  # e.g. a fast case the whole campaign stands in for
            by_campaign[run["campaign"]].append(run)
    names = [n for n in ORDER if n in by_campaign] + sorted(set(by_campaign) - set(ORDER))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(max(r["at"] for r in runs)))
    took = f" in {wall / 60:.1f} min of wall time" if wall else ""
    head = (f"{PREAMBLE}\nRun with `{command}` on {machine()}, {when}{took}; "
            f"{plural(sum(len(r) for r in by_campaign.values()), 'case')}.\n")
    return "\n\n".join([head] + [summary(n, by_campaign[n]) for n in names]) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Entry point: python scripts/reliability.py RECORD [OUT]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("record", type=Path)
    parser.add_argument("out", type=Path, nargs="?", default=ROOT / "docs" / "RELIABILITY.md")
    parser.add_argument("--command", default="make campaigns")
    parser.add_argument("--wall", type=float, help="the whole run's seconds")
    args = parser.parse_args(argv)
    sizes = " ".join(f"{name}={os.environ[name]}" for name in SIZES if name in os.environ)
    command = f"{sizes} {args.command}" if sizes else args.command
    runs = load(args.record) if args.record.exists() else []
    if not runs:
        print(f"no campaign case recorded in {args.record}", file=sys.stderr)
        return 1
    args.out.write_text(document(runs, command, args.wall), encoding="utf-8")
    print(f"wrote {args.out}: {len(runs)} runs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
