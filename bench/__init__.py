"""Benchmarks (`python -m bench`): each bench/<name>.py has TITLE and main() -> markdown.

main() measures, in one run, what it compares and returns the body of its section of
docs/benchmarks.md (without the heading); the runner writes it under "## TITLE".
"""
