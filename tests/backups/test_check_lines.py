"""`ezh check`'s lines for backups and drills (R-BAK-1, R-OPS-1): late or failed is СБОЙ,
never run is ВНИМ, recent and passed is OK."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backups.state import RunRecord, record_run
from service.checks import _check_backups
from service.settings import load_settings

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _lines(tmp_path) -> list[str]:
    settings = load_settings({"EZH_VAR_DIR": str(tmp_path), "EZH_CONFIG": "/dev/null"})
    lines = []

    def report(good, what, text):
        lines.append(f"{'ВНИМ' if good is None else 'OK' if good else 'СБОЙ'} {what}: {text}")

    _check_backups(settings, report, now=NOW)
    return lines


def _record(tmp_path, kind, ok, hours_ago, message="", archive="ezh-full-x"):
    at = NOW - timedelta(hours=hours_ago)
    record_run(tmp_path / "backups", RunRecord(kind, at, at + timedelta(minutes=2), ok, message,
                                               archive))


def test_never_run_is_a_warning(tmp_path):
    lines = _lines(tmp_path)
    assert lines[0].startswith("ВНИМ резервная копия") and "ezh backup init" in lines[0]
    assert lines[1].startswith("ВНИМ проверка восстановления")


def test_recent_backup_and_passed_drill_are_ok(tmp_path):
    _record(tmp_path, "backup", True, 7)
    _record(tmp_path, "drill", True, 6)
    assert [line.split()[0] for line in _lines(tmp_path)] == ["OK", "OK"]


def test_a_backup_older_than_26_hours_is_a_failure(tmp_path):
    _record(tmp_path, "backup", True, 27)
    _record(tmp_path, "backup", False, 3, "на диске с хранилищем кончилось место")
    line = _lines(tmp_path)[0]
    assert line.startswith("СБОЙ резервная копия") and "кончилось место" in line


def test_a_failed_drill_is_a_failure_even_after_a_good_backup(tmp_path):
    _record(tmp_path, "backup", True, 2)
    _record(tmp_path, "drill", False, 1, "проверка хранилища нашла повреждения")
    lines = _lines(tmp_path)
    assert lines[0].startswith("OK резервная копия")
    assert lines[1].startswith("СБОЙ проверка восстановления") and "повреждения" in lines[1]


def test_a_failed_last_attempt_after_a_recent_success_is_a_warning(tmp_path):
    _record(tmp_path, "backup", True, 20)
    _record(tmp_path, "backup", False, 1, "неверный пароль резервных копий")
    assert _lines(tmp_path)[0].startswith("ВНИМ резервная копия")
