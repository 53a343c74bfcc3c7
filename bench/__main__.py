"""Run the benchmarks (all, or those named) and write each one's section of docs/PERFORMANCE.md."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from pathlib import Path

import bench
from bench import Verdict

RESULTS = Path(__file__).resolve().parent.parent / "docs" / "PERFORMANCE.md"
PREAMBLE = ("# Performance\n\nWritten by `python -m bench` (`make bench`); each section is "
            "replaced when its benchmark runs again, and so are its rows of the budgets table. "
            "Each section ends with the command that produced it and the machine it ran on.\n")
BUDGETS = "Budgets"
BUDGET_HEADER = ("| benchmark | what | measured | budget | met | |\n"
                 "|---|---|---:|---:|:---:|---|")


def module_names() -> list[str]:
    """Every benchmark module of the package, by name."""
    modules = pkgutil.iter_modules(bench.__path__)
    return sorted(m.name for m in modules if not m.name.startswith("_"))


def replace_section(text: str, title: str, body: str) -> str:
    """`text` with the "## title" section replaced by `body` (appended when absent)."""
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    return f"{text.rstrip()}\n\n{section}"


def run(name: str, results: Path) -> None:
    """Run one benchmark and write its section."""
    module = importlib.import_module(f"bench.{name}")
    if not callable(getattr(module, "main", None)):
        return
    print(f"bench {name} ...", file=sys.stderr, flush=True)
    result = module.main()
    if result is None:
        return
    body, verdicts = result if isinstance(result, tuple) else (result, [])
    print(body)
    title = getattr(module, "TITLE", name)
    text = results.read_text(encoding="utf-8") if results.exists() else PREAMBLE
    text = replace_section(text, title, body)
    if verdicts:
        text = with_budget_rows(text, title, verdicts)
    results.write_text(text, encoding="utf-8")


def budget_rows(text: str) -> list[str]:
    """The rows of the budgets table in `text` (none when it has no table yet)."""
    match = re.search(rf"^## {BUDGETS}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not match:
        return []
    return [line for line in match.group(1).splitlines()
            if line.startswith("| ") and not line.startswith(BUDGET_HEADER.splitlines()[0])]


def verdict_row(title: str, verdict: Verdict) -> str:
    """One row of the budgets table."""
    met = "yes" if verdict.met else "**no**"
    cells = [title, verdict.budget, verdict.measured, verdict.limit, met, verdict.note]
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def with_budget_rows(text: str, title: str, verdicts: list[Verdict]) -> str:
    """`text` with `title`'s rows of the budgets table replaced by `verdicts`."""
    kept = [row for row in budget_rows(text) if not row.startswith(f"| {title} |")]
    rows = kept + [verdict_row(title, v) for v in verdicts]
    body = BUDGET_HEADER + "\n" + "\n".join(rows)
    if not re.search(rf"^## {BUDGETS}\n", text, re.M):
        head, sep, rest = text.partition("\n## ")
        return f"{head.rstrip()}\n\n## {BUDGETS}\n\n{body}\n" + (f"\n## {rest}" if sep else "")
    return replace_section(text, BUDGETS, body)


def main(argv: list[str] | None = None) -> int:
    """Entry point: python -m bench [name ...] [--results FILE]."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of "
                        f"{', '.join(module_names())})")
    parser.add_argument("--results", type=Path, default=RESULTS, help="markdown file to update")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(module_names()))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    for name in args.names or module_names():
        run(name, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
