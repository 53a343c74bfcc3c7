"""Run the benchmarks (all, or those named) and write each one's section of docs/benchmarks.md."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from pathlib import Path

import bench

RESULTS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
PREAMBLE = ("# Benchmarks\n\nWritten by `python -m bench` (`make bench`); each section is "
            "replaced when its benchmark runs again.\n")


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
    body = module.main()
    if body is None:
        return
    print(body)
    text = results.read_text(encoding="utf-8") if results.exists() else PREAMBLE
    results.write_text(replace_section(text, getattr(module, "TITLE", name), body),
                       encoding="utf-8")


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
