"""Backups, restore and the restore drill with real borg and real databases (R-BAK-1, R-OPS-1):
a lost database comes back whole, a damaged repository is caught, bad input changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from backups.borg import BorgError, borg_available
from backups.drill import run_drill
from backups.export import ExportRefused, export_to
from backups.restore import RestoreRefused, read_metadata, restore
from backups.run import FULL_PREFIX, run_backup
from backups.state import last_run, runs
from service.backup_commands import known_migrations
from tests.backups.helpers import (
    EZH,
    ROOT,
    checkpoint,
    ezh_env,
    largest_segment,
    make_site,
    table_rows,
    verify_chain,
    write_data,
)

pytestmark = pytest.mark.skipif(not borg_available(), reason="borg не установлен "
                                "(scripts/system-packages test ставит borgbackup)")


def _new_url(db, tmp_path: Path, name: str) -> str:
    if db.kind == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
    return db.url.replace(f"/{db.name}?", f"/{name}?")


def _lose(db) -> None:
    """The server's database is gone (a dead disk, a dropped database)."""
    if db.kind == "sqlite":
        Path(db.url[len("sqlite:///"):]).unlink()
    else:
        db.cluster.psql(f'DROP DATABASE "{db.name}" WITH (FORCE)')


def _drill(site):
    return run_drill(site.cfg, ezh_command=EZH, base_env=ezh_env(),
                     known_migrations=known_migrations(), school="Школа № 1")


def _bag(folder: Path) -> Path:
    """A sealed year package as BagIt lays it out: data/ and manifest-sha256.txt."""
    import hashlib

    (folder / "data").mkdir(parents=True)
    body = "Итоговые отметки 2025/2026\n".encode()
    (folder / "data" / "itogi.csv").write_bytes(body)
    (folder / "manifest-sha256.txt").write_text(
        f"{hashlib.sha256(body).hexdigest()}  data/itogi.csv\n", encoding="utf-8")
    return folder


def test_a_changed_package_file_is_found_even_at_the_same_size(tmp_path):
    """R-OPS-1: the drill checks sealed packages by SHA-256, not by size."""
    from backups.drill import verify_packages

    bag = _bag(tmp_path / "packages" / "2025-2026")
    assert verify_packages(tmp_path / "packages") == (1, [])
    path = bag / "data" / "itogi.csv"
    data = path.read_bytes()
    path.write_bytes(data[:-2] + b"X\n")
    checked, problems = verify_packages(tmp_path / "packages")
    assert checked == 1 and "itogi.csv изменён" in problems[0]
    path.unlink()
    assert "нет файла data/itogi.csv" in verify_packages(tmp_path / "packages")[1][0]


def test_a_lost_database_is_restored_with_every_row_and_the_audit_chain(db, tmp_path):
    """R-BAK-1: backup → the database is lost → restore into a new one → every row of every
    table and the audit chain (matching the signed checkpoint) are back, with the folders."""
    site = make_site(tmp_path / "site", db.url)
    write_data(3)
    checkpoint(site)
    before = table_rows(db.url)
    run = run_backup(site.cfg)
    assert run.ok, run.message
    assert run.details["row_counts"]["audit_event"] == len(before["audit_event"]) >= 3
    _lose(db)

    new_url = _new_url(db, tmp_path, "ezh_restored")
    result = restore(site.cfg, run.archive, known_migrations=known_migrations(),
                     database_url=new_url, folders_to=tmp_path / "restored")
    assert table_rows(new_url) == before
    assert verify_chain(new_url).ok
    restored = tmp_path / "restored"
    assert (restored / "uploads" / "приказ.pdf").read_bytes() == b"%PDF-1.4 test\n"
    assert (restored / "config" / "ezh.toml").exists()
    assert (restored / "keys" / "installation.key").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in (restored / "checkpoints").iterdir()) == sorted(
        p.name for p in site.checkpoints.iterdir())
    # The passphrase file lies in the configuration folder but never goes into the archive.
    assert site.cfg.repository.passphrase_file.parent == site.root / "etc"
    assert not (restored / "config" / "backup.passphrase").exists()
    assert result.folders.keys() == {"config", "keys", "checkpoints", "uploads"}


def test_the_drill_passes_on_a_good_backup_and_writes_the_act(db, tmp_path):
    """R-OPS-1: the drill restores the newest archive into a scratch database, compares row
    counts, verifies the chain against the checkpoint, serves /healthz and /login: PASS."""
    site = make_site(tmp_path / "site", db.url)
    _bag(site.root / "packages" / "2025-2026")
    write_data(2)
    checkpoint(site)
    assert run_backup(site.cfg).ok
    result = _drill(site)
    assert result.ok, result.record.message
    names = [s.name for s in result.steps]
    assert "цепочка журнала аудита и контрольная точка" in names
    assert "совпадает с контрольной точкой" in result.steps[names.index(
        "цепочка журнала аудита и контрольная точка")].text
    assert "/login → 200" in result.steps[-1].text
    assert "проверено по SHA-256: 1" in result.steps[names.index(
        "контрольные суммы архивных пакетов")].text
    act = result.act_text.read_text(encoding="utf-8")
    assert "АКТ ПРОВЕРКИ ВОССТАНОВЛЕНИЯ" in act and "РЕЗУЛЬТАТ: ПРОЙДЕНА" in act
    assert last_run(site.state, "drill").ok
    if db.kind == "postgres":  # the scratch database is gone again
        assert "ezh_drill" not in db.cluster.psql("SELECT string_agg(datname, ',') FROM pg_database")


@pytest.mark.parametrize("damage", ["overwritten", "missing"])
def test_a_damaged_repository_fails_the_drill(sqlite_db, tmp_path, damage):
    """R-OPS-1: a segment file overwritten or deleted in the repository → the drill says FAIL,
    `ezh backup drill` exits non-zero, the failure is recorded and `ezh check` says СБОЙ."""
    site = make_site(tmp_path / "site", sqlite_db.url)
    write_data(2)
    assert run_backup(site.cfg).ok
    segment = largest_segment(site.cfg.repository.path)
    if damage == "overwritten":
        data = bytearray(segment.read_bytes())
        middle = len(data) // 2
        data[middle:middle + 64] = b"\xff" * 64
        segment.write_bytes(bytes(data))
    else:
        segment.unlink()
    env = ezh_env(EZH_DATABASE_URL=sqlite_db.url, EZH_VAR_DIR=str(tmp_path / "var"),
                  EZH_BACKUP_REPOSITORY=str(site.cfg.repository.path),
                  EZH_BACKUP_PASSPHRASE_FILE=str(site.cfg.repository.passphrase_file),
                  EZH_BACKUP_STATE_DIR=str(site.state),
                  EZH_BACKUP_CONFIG_DIR=str(site.root / "etc"))
    out = subprocess.run([*EZH, "backup", "drill"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAIL" in out.stdout and "проверка хранилища" in out.stdout
    drill = last_run(site.state, "drill")
    assert drill is not None and not drill.ok
    check = subprocess.run([*EZH, "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
    assert "СБОЙ  проверка восстановления" in check.stdout
    assert check.returncode == 1


def test_a_wrong_passphrase_is_named_and_changes_nothing(sqlite_db, tmp_path):
    """R-BAK-1, bad input: a passphrase file that does not fit the repository."""
    site = make_site(tmp_path / "site", sqlite_db.url)
    assert run_backup(site.cfg).ok
    segments = sorted(p.name for p in (site.cfg.repository.path / "data").rglob("*"))
    site.cfg.repository.passphrase_file.write_text("не-тот-пароль\n")
    run = run_backup(site.cfg)
    assert not run.ok and "неверный пароль" in run.message
    assert last_run(site.state, "backup") == run
    assert sorted(p.name for p in (site.cfg.repository.path / "data").rglob("*")) == segments
    with pytest.raises(BorgError, match="неверный пароль"):
        site.cfg.repository.archives()


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs: a disk that fills up (needs root to mount)."""
    where = tmp_path / "disk"
    where.mkdir()
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"нельзя смонтировать tmpfs (нужен root): {out.stderr.strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_keeps_the_previous_archives_and_is_recorded(sqlite_db, tmp_path, small_disk):
    """R-BAK-1, bad input: the repository's disk fills up during a backup: the run fails with
    a Russian message, it is recorded, and the previous archive is intact and readable."""
    site = make_site(tmp_path / "site", sqlite_db.url, repository=small_disk / "repo")
    first = run_backup(site.cfg)
    assert first.ok, first.message
    (site.root / "uploads" / "big.bin").write_bytes(os.urandom(6 * 1024 * 1024))
    run = run_backup(site.cfg)
    assert not run.ok
    assert "место" in run.message and "прежние архивы целы" in run.message
    assert last_run(site.state, "backup", ok=False) == run
    (site.root / "uploads" / "big.bin").unlink()
    assert [a["name"] for a in site.cfg.repository.archives()] == [first.archive]
    site.cfg.repository.check()
    assert read_metadata(site.cfg.repository, first.archive)["kind"] == "backup"


def test_export_refuses_a_disk_that_is_not_there_or_not_removable(sqlite_db, tmp_path):
    """R-BAK-1, bad input: the USB disk is not mounted → a clear refusal, nothing written."""
    site = make_site(tmp_path / "site", sqlite_db.url)
    with pytest.raises(ExportRefused, match="диск не подключён"):
        export_to(site.cfg, Path("/media/нет-такого-диска"))
    (tmp_path / "folder").mkdir()
    with pytest.raises(ExportRefused, match="системном диске"):
        export_to(site.cfg, tmp_path / "folder")
    assert not (tmp_path / "folder" / "ezh-backup").exists()
    env = ezh_env(EZH_DATABASE_URL=sqlite_db.url, EZH_VAR_DIR=str(tmp_path / "var"))
    out = subprocess.run([*EZH, "backup", "export", "--to", "/media/нет-такого-диска"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "диск не подключён" in out.stderr


def test_export_to_a_mounted_disk_keeps_its_own_verified_repository(sqlite_db, tmp_path,
                                                                     small_disk):
    """R-BAK-1: each disk gets a borg repository of its own, encrypted the same way, and is
    verified with --verify-data at each export."""
    site = make_site(tmp_path / "site", sqlite_db.url)
    shutil.rmtree(site.root / "uploads")
    run = export_to(site.cfg, small_disk)
    assert run.ok, run.message
    assert "--verify-data" in run.message and run.details.get("initialised")
    info = json.loads(subprocess.run(
        ["borg", "info", "--json", str(small_disk / "ezh-backup")], capture_output=True,
        text=True, env={"BORG_PASSPHRASE": site.cfg.repository.read_passphrase(),
                        "PATH": os.environ["PATH"], "HOME": str(tmp_path)}).stdout)
    assert info["encryption"]["mode"] == "repokey-blake2"
    again = export_to(site.cfg, small_disk)
    assert again.ok and again.details["archives"] == 2
    assert [r.kind for r in runs(site.state)].count("export") == 2


def test_an_archive_from_a_newer_version_is_refused(sqlite_db, tmp_path):
    """R-BAK-1, bad input: the archive's database has a migration this ezh does not know →
    restore refuses, says what to do, and creates nothing."""
    site = make_site(tmp_path / "site", sqlite_db.url)
    import sqlite3

    conn = sqlite3.connect(sqlite_db.url[len("sqlite:///"):])
    conn.execute("INSERT INTO migration (name, app_name, ran_on) VALUES "
                 "('2099-01-01T00:00:00:000000', 'audit', '2099-01-01 00:00:00')")
    conn.commit()
    conn.close()
    run = run_backup(site.cfg)
    assert run.ok
    target = tmp_path / "new.sqlite3"
    with pytest.raises(RestoreRefused, match="Установите ту же или более новую версию ezh"):
        restore(site.cfg, run.archive, known_migrations=known_migrations(),
                database_url=f"sqlite:///{target}", folders_to=tmp_path / "restored")
    assert not target.exists() and not (tmp_path / "restored").exists()


def test_restoring_an_older_backup_sets_newer_checkpoints_aside(sqlite_db, tmp_path):
    """R-BAK-1, R-OPS-1: --replace takes a fresh backup first; checkpoints newer than the
    restored chain move to a dated subfolder (kept, not deleted); the chain verifies."""
    site = make_site(tmp_path / "site", sqlite_db.url)
    write_data(2)
    old_cp = checkpoint(site)
    old = run_backup(site.cfg)
    assert old.ok
    write_data(2)
    new_cp = checkpoint(site)
    before_restore_rows = table_rows(sqlite_db.url)
    result = restore(site.cfg, old.archive, known_migrations=known_migrations(), replace=True)
    assert result.before_restore.startswith(FULL_PREFIX)
    assert result.set_aside == [new_cp.name]
    aside = next(site.checkpoints.glob("set-aside-*"))
    assert (aside / new_cp.name).exists() and (aside / (new_cp.name + ".sig")).exists()
    assert (site.checkpoints / old_cp.name).exists()
    assert verify_chain(sqlite_db.url).ok
    assert len(table_rows(sqlite_db.url)["audit_event"]) < len(before_restore_rows["audit_event"])
    # The replaced data is kept beside, and the fresh backup can bring it back.
    assert list(Path(sqlite_db.url[len("sqlite:///"):]).parent.glob("*.before-restore-*"))


def test_restore_without_a_target_refuses_and_touches_nothing(sqlite_db, tmp_path):
    """R-BAK-1: restore never writes over live data unless --replace is given."""
    site = make_site(tmp_path / "site", sqlite_db.url)
    run = run_backup(site.cfg)
    with pytest.raises(RestoreRefused, match="уже существует"):
        restore(site.cfg, run.archive, known_migrations=known_migrations(),
                database_url=sqlite_db.url)
    env = ezh_env(EZH_DATABASE_URL=sqlite_db.url, EZH_VAR_DIR=str(tmp_path / "var"))
    out = subprocess.run([*EZH, "backup", "restore"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "--database" in out.stderr and "--replace" in out.stderr


def test_the_hourly_dump_holds_the_database_only(sqlite_db, tmp_path):
    """R-BAK-1: `ezh backup dump` — a light database-only archive between nightly backups."""
    site = make_site(tmp_path / "site", sqlite_db.url)
    write_data(1)
    run = run_backup(site.cfg, database_only=True)
    assert run.ok and run.kind == "dump" and run.archive.startswith("ezh-dump-")
    metadata = read_metadata(site.cfg.repository, run.archive)
    assert metadata["folders"] == [] and metadata["database"]["row_counts"]["audit_event"] >= 1


def test_the_repository_is_checked_weekly_and_fully_read_monthly(sqlite_db, tmp_path):
    """R-BAK-1: `borg check` once a week, `--verify-data` once a month, each recorded."""
    from datetime import UTC, datetime, timedelta

    from backups.run import periodic_check

    site = make_site(tmp_path / "site", sqlite_db.url)
    now = datetime.now(UTC)
    first = periodic_check(site.cfg, now=now)
    assert first.ok and first.details["verify_data"]  # never verified: a full read at once
    assert periodic_check(site.cfg, now=now + timedelta(days=1)) is None
    weekly = periodic_check(site.cfg, now=now + timedelta(days=8))
    assert weekly.ok and not weekly.details["verify_data"]
    monthly = periodic_check(site.cfg, now=now + timedelta(days=31))
    assert monthly.ok and monthly.details["verify_data"]
    assert [r.kind for r in runs(site.state)] == ["check"] * 3
