"""`ezh check` says what it could not check: the clock without timedatectl is «не проверено»,
neither OK nor СБОЙ (issue 6, "Also seen"); the installation key's line reads the public key
only, as the service's own account can."""

from __future__ import annotations

import pytest

from service.audit.checkpoint import ensure_installation_key, fingerprint
from service.checks import run_checks
from service.settings import load_settings

pytestmark = pytest.mark.anyio


def _timedatectl(directory, answer: str | None):
    """A PATH holding only a timedatectl that answers ``answer`` (None: no timedatectl at all)."""
    directory.mkdir()
    if answer is not None:
        script = directory / "timedatectl"
        script.write_text(f"#!/bin/sh\necho {answer}\n")
        script.chmod(0o755)
    return str(directory)


def _line(lines: list[str], what: str) -> str:
    [line] = [line for line in lines if line[6:].startswith(what + ":")]
    return line


@pytest.mark.parametrize(("answer", "status", "words"), [
    (None, "ВНИМ", "не проверено"),
    ("no", "СБОЙ", "не синхронизировано"),
    ("yes", "OK  ", "синхронизированы"),
])
async def test_clock_says_when_it_was_not_checked(sqlite_db, tmp_path, monkeypatch, answer, status,
                                                  words):
    monkeypatch.setenv("PATH", _timedatectl(tmp_path / "bin", answer))
    settings = load_settings({"EZH_VAR_DIR": str(tmp_path / "var"), "EZH_DATABASE_URL": sqlite_db.url})
    lines, ok = await run_checks(settings)
    line = _line(lines, "часы")
    assert line.startswith(status) and words in line
    if status == "ВНИМ":
        assert "OK" not in line and "СБОЙ" not in line


async def test_key_line_reads_only_the_public_key(sqlite_db, tmp_path):
    settings = load_settings({"EZH_VAR_DIR": str(tmp_path / "var"), "EZH_DATABASE_URL": sqlite_db.url})
    assert _line((await run_checks(settings))[0], "ключ установки").startswith("СБОЙ")
    key = ensure_installation_key(settings.key_dir)
    line = _line((await run_checks(settings))[0], "ключ установки")
    assert line.startswith("OK  ")
    assert fingerprint(key.public_key()) in line
    (settings.key_dir / "installation.pub").write_text("испорчен")
    line = _line((await run_checks(settings))[0], "ключ установки")
    assert line.startswith("СБОЙ") and "installation.pub" in line


def test_the_archive_line_reports_the_last_full_check(tmp_path):
    """Issue 12 item 9: the night's check of every sealed package, as `ezh check` shows it —
    nothing sealed: no line; a package never checked: a warning; the last check failed: an
    alarm naming it; passed but over 8 days ago: a warning; passed lately: OK."""
    from datetime import UTC, datetime, timedelta

    from backups.state import RunRecord, record_run
    from service.checks import _check_archive

    settings = load_settings({"EZH_VAR_DIR": str(tmp_path / "var")})
    state = settings.backup_path("state_dir")
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    def line() -> list[tuple]:
        said: list[tuple] = []
        _check_archive(settings, lambda ok, what, text: said.append((ok, text)), now=now)
        return said

    assert line() == []
    package = settings.backup_path("packages_dir") / "years" / "ezh-2025-2026-v1"
    package.mkdir(parents=True)
    (package / "bagit.txt").write_text("BagIt-Version: 1.0\n")
    [(ok, text)] = line()
    assert ok is None and "ещё не проверялся" in text

    def night(at: datetime, status: str, message: str) -> None:
        record_run(state, RunRecord(kind="maintenance", started_at=at, finished_at=at, ok=status == "ok",
                                    details={"steps": [{"code": "archive", "status": status, "message": message}]}))

    night(now - timedelta(days=2), "failed", "не прошли проверку 1 из 1: ezh-2025-2026-v1: файл изменён")
    [(ok, text)] = line()
    assert ok is False and "НЕ пройдена" in text and "ezh-2025-2026-v1" in text
    night(now - timedelta(days=9), "ok", "пакетов проверено: 1, все целы")  # an older line, written later
    [(ok, text)] = line()
    assert ok is None and "старше 8 дней" in text
    night(now - timedelta(hours=3), "ok", "пакетов проверено: 1, все целы")
    [(ok, text)] = line()
    assert ok is True and "все целы" in text


@pytest.mark.parametrize(("absent", "status", "words"), [
    ((), "OK  ", "Pango и HarfBuzz на месте"),
    (("harfbuzz-subset",), "ВНИМ", "apt install libharfbuzz-subset0"),
    (("pangoft2-1.0", "harfbuzz-subset"), "СБОЙ", "apt install libpangoft2-1.0-0"),
])
def test_the_pdf_line_names_the_debian_package_that_is_missing(absent, status, words):
    """Without HarfBuzz's subsetter WeasyPrint still prints, 2.5× slower (docs/performance.md):
    a server provisioned without it is worth a warning, one without Pango is a failure. The OK
    row asks this machine's linker: scripts/system-packages installs the package for the tests,
    as the playbook does for the appliance."""
    import ctypes.util

    from service.checks import _check_pdf_libraries

    said = []
    _check_pdf_libraries(lambda ok, what, text: said.append((ok, what, text)),
                         find=lambda name: None if name in absent else ctypes.util.find_library(name))
    [(ok, what, text)] = said
    assert what == "печать PDF"
    assert {None: "ВНИМ", True: "OK  ", False: "СБОЙ"}[ok] == status
    assert words in text

