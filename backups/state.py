"""What the backup and maintenance commands did, kept as one JSON line per run in a file of the
data directory (``<var_dir>/backups/runs.jsonl``), so that `ezh check`, the admin page and the
drill read the same record, and the record survives the database it describes being lost.

``backups/`` imports nothing from ``service/``: callers pass the directory in.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

RUNS_FILE = "runs.jsonl"


@dataclass(frozen=True)
class RunRecord:
    """One run of a step: ``kind`` is "backup", "dump", "drill", "export", "check",
    "maintenance" (and whatever later steps add)."""

    kind: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    message: str = ""  # Russian, one line: what happened or what went wrong
    archive: str = ""  # the borg archive made or checked
    size_bytes: int = 0  # deduplicated size added (backup) or restored (drill)
    details: dict = field(default_factory=dict)  # e.g. row counts per table, timings per step

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def to_json(self) -> str:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat()
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> RunRecord:
        data = json.loads(line)
        data["started_at"] = datetime.fromisoformat(data["started_at"])
        data["finished_at"] = datetime.fromisoformat(data["finished_at"])
        return cls(**data)


def record_run(state_dir: Path, run: RunRecord) -> None:
    """Append ``run``; one write of one line, flushed and synced, so a crash leaves whole lines."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / RUNS_FILE).open("a", encoding="utf-8") as fh:
        fh.write(run.to_json() + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def runs(state_dir: Path) -> list[RunRecord]:
    """Every recorded run, oldest first; a torn last line (a crash mid-write) is skipped."""
    path = state_dir / RUNS_FILE
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(RunRecord.from_json(line))
        except (ValueError, TypeError, KeyError):
            continue
    return found


def last_run(state_dir: Path, kind: str, *, ok: bool | None = None) -> RunRecord | None:
    """The newest run of ``kind`` (only successful or only failed ones if ``ok`` is given)."""
    for run in reversed(runs(state_dir)):
        if run.kind == kind and (ok is None or run.ok == ok):
            return run
    return None


def last_step(state_dir: Path, code: str, *, kinds: tuple[str, ...] = ("maintenance",),
              statuses: tuple[str, ...] = ("ok", "failed")) -> tuple[RunRecord, dict] | None:
    """The newest run of one of ``kinds`` in which the step ``code`` ended with one of ``statuses``
    (a night whose step was not due, or had nothing to do, is passed over), with that step's
    entry (``status``, ``message``, ``details``)."""
    for run in reversed(runs(state_dir)):
        if run.kind not in kinds:
            continue
        for step in run.details.get("steps", []):
            if step.get("code") == code and step.get("status") in statuses:
                return run, step
    return None
