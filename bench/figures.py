"""A bench's headline figures beside its report: ``<report>.json`` next to ``<report>.md``, so
that `bench/load.py` (the last bench of `make bench`) gathers every bench's figures, each with
its target, into one results file (bench/results/<date>.json and latest.json)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path


def save(report: Path, figures: dict) -> None:
    """Write ``figures`` (plain numbers, booleans and strings; targets named ``*_target*``) beside
    the bench's ``report``."""
    data = {"measured": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), **figures}
    report.with_suffix(".json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                                           encoding="utf-8")


def gather(folder: Path, skip: set[str]) -> dict[str, dict]:
    """Every bench's figures in ``folder`` (by its report's name), except the files in ``skip``."""
    out = {}
    for path in sorted(folder.glob("*.json")):
        if path.name in skip or path.stem[:1].isdigit():
            continue
        try:
            out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            out[path.stem] = {"error": "unreadable"}
    return out
