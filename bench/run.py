"""Every bench in bench/, one after another, each in a process of its own (as `make bench`
runs them): each starts what it needs (a throwaway PostgreSQL cluster, `ezh serve`) and writes
its results to bench/results/. A short summary at the end; the exit code is 1 if any failed.

    .venv/bin/python -m bench.run [--quick] [--only audit_chain pages …]

--quick runs each with its smallest options and writes into a temporary folder, leaving the
committed results alone: a check that every bench still runs, not a measurement.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

# name: (results file, full options, quick options)
BENCHES: dict[str, tuple[str, list[str], list[str]]] = {
    "demo_generation": ("demo-generation.md", [], ["--repeat", "1", "--sizes", "S"]),
    "audit_chain": ("audit-chain.md", [], ["--seconds", "1", "--writers", "1", "4"]),
    "pages": ("pages.md", [], ["--size", "S", "--seconds", "2", "--connections", "4"]),
    "timetable_pages": ("timetable-pages.md", [], ["--size", "S", "--seconds", "2", "--connections", "4"]),
    "journal_grid": ("journal-grid.md", [], ["--size", "S", "--seconds", "2", "--connections", "4", "--runs", "5"]),
    "journal_saves": ("journal-saves.md", [], ["--seconds", "2", "--connections", "4"]),
    "reports": ("reports.md", [], ["--size", "S", "--repeat", "1"]),
    "archive": ("archive.md", [], ["--size", "S"]),
    "backup": ("backup.md", [], []),
    # the bare experiment the journal's targets came from, on this machine, just before the load
    "reference": ("reference.md", [], ["--seconds", "2"]),
    # last: it gathers every bench's figures into bench/results/<date>.json and latest.json
    "load": ("load.md", [], ["--size", "S", "--seconds", "10", "--wrk-seconds", "2", "--teachers", "20",
                             "--families", "50"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every bench in bench/ and write its results.")
    parser.add_argument("--quick", action="store_true",
                        help="smallest options, results to a temporary folder (does it still run?)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), default=list(BENCHES),
                        metavar="BENCH", help="run only these: " + ", ".join(BENCHES))
    args = parser.parse_args()

    out_dir = Path(tempfile.mkdtemp(prefix="ezh-bench-results-")) if args.quick else RESULTS
    summary = []
    for name in args.only:
        results, full, quick = BENCHES[name]
        out = out_dir / results
        # the load bench writes a folder of results (and the section of docs/performance.md)
        target = out.parent if name == "load" else out
        command = [sys.executable, str(ROOT / "bench" / f"{name}.py"),
                   *(quick if args.quick else full), "--out", str(target)]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        # The bench's own output goes straight to the terminal: a long run shows its progress.
        code = subprocess.run(command, cwd=ROOT).returncode
        summary.append((name, code, time.monotonic() - started, out))

    print("\nИтог / summary:")
    for name, code, seconds, out in summary:
        status = "готово / done  " if code == 0 else f"СБОЙ / FAILED ({code})"
        shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
        print(f"  {name:16} {status:22} {seconds:6.0f} s  {shown}")
    return 0 if all(code == 0 for _, code, _, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
