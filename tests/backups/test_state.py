"""The record of backup and maintenance runs (R-BAK-1, R-OPS-1): appended line by line,
read back newest first by kind, a torn last line ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backups.state import RunRecord, last_run, record_run, runs

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def _run(kind: str, ok: bool, minutes: int, **extra) -> RunRecord:
    return RunRecord(kind, T0 + timedelta(minutes=minutes), T0 + timedelta(minutes=minutes + 3),
                     ok, **extra)


def test_runs_are_kept_and_found_by_kind(tmp_path):
    record_run(tmp_path, _run("backup", True, 0, archive="ezh-2026-11-27", size_bytes=1234))
    record_run(tmp_path, _run("drill", False, 10, message="архив повреждён"))
    record_run(tmp_path, _run("backup", False, 20, message="диск заполнен"))
    assert [r.kind for r in runs(tmp_path)] == ["backup", "drill", "backup"]
    assert last_run(tmp_path, "backup").message == "диск заполнен"
    good = last_run(tmp_path, "backup", ok=True)
    assert good.archive == "ezh-2026-11-27" and good.size_bytes == 1234 and good.seconds == 180
    assert last_run(tmp_path, "drill", ok=True) is None


def test_a_torn_line_is_skipped(tmp_path):
    record_run(tmp_path, _run("backup", True, 0))
    with (tmp_path / "runs.jsonl").open("a") as fh:
        fh.write('{"kind": "backup", "started_at": "2026-')
    assert len(runs(tmp_path)) == 1
    assert runs(tmp_path / "nothing-here") == []
