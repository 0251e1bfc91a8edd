"""The `ezh` command as an administrator runs it (a real process, real databases):
migrate, check, audit verify/checkpoint, create-admin, and clear refusals at start."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EZH = [sys.executable, "-m", "service.cli"]


def run(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
    full.update(env)
    return subprocess.run([*EZH, *args], cwd=ROOT, env=full, capture_output=True, text=True,
                          input=stdin, timeout=120)


@pytest.fixture
def site(tmp_path) -> dict:
    """A fresh installation: its own var/, key and checkpoint directories, SQLite database."""
    return {
        "EZH_VAR_DIR": str(tmp_path / "var"),
        "EZH_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'ezh.sqlite3'}",
        "EZH_LOG_JSON": "false",
    }


def test_help_is_russian():
    out = run({}, "--help")
    assert out.returncode == 0
    assert "электронный классный журнал" in out.stdout
    for command in ("serve", "migrate", "demo-data", "create-admin", "check", "audit"):
        assert command in out.stdout


def test_fresh_install_migrate_check_verify_checkpoint(site, tmp_path):
    out = run(site, "migrate")
    assert out.returncode == 0, out.stderr
    assert "Миграций применено" in out.stdout
    assert "уже актуальна" in run(site, "migrate").stdout
    out = run(site, "create-admin", "--login", "director", "--password-stdin",
              stdin="Надёжный-пароль-2026\n")
    assert out.returncode == 0, out.stderr
    check = run(site, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    for part in ("база данных", "миграции", "журнал аудита", "ключ установки", "диск", "часы"):
        assert part in check.stdout
    assert "Europe/Moscow" in check.stdout
    out = run(site, "audit", "checkpoint")
    assert out.returncode == 0, out.stderr
    assert "записей:" in out.stdout
    verify = run(site, "audit", "verify")
    assert verify.returncode == 0
    assert "Цепочка цела" in verify.stdout and "совпадает с контрольной точкой" in verify.stdout

    # someone edits the log directly in the database file
    with sqlite3.connect(tmp_path / "var" / "ezh.sqlite3") as conn:
        conn.execute("UPDATE audit_event SET actor_name = 'кто-то' WHERE seq = 2")
    verify = run(site, "audit", "verify")
    assert verify.returncode == 1
    assert "НАРУШЕНИЕ: запись № 2" in verify.stdout
    check = run(site, "check")
    assert check.returncode == 1 and "СБОЙ  журнал аудита" in check.stdout


def test_locked_out_admin_gets_a_reset_code(site):
    run(site, "migrate")
    run(site, "create-admin", "--login", "director", "--password-stdin", stdin="Надёжный-пароль-2026\n")
    out = run(site, "reset-code", "--login", "director")
    assert out.returncode == 0, out.stderr
    assert re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", out.stdout)
    assert run(site, "reset-code", "--login", "nobody").returncode == 2


def test_create_admin_refuses_weak_password(site):
    run(site, "migrate")
    out = run(site, "create-admin", "--login", "director", "--password-stdin", stdin="123\n")
    assert out.returncode == 2 and "не короче" in out.stderr


def test_malformed_settings_file_names_the_key(site, tmp_path):
    conf = tmp_path / "ezh.toml"
    conf.write_text("[server]\nport = \"восемь тысяч\"\n", encoding="utf-8")
    out = run({**site, "EZH_CONFIG": str(conf)}, "check")
    assert out.returncode == 2
    assert "[server] port" in out.stderr and "целое число" in out.stderr


def test_unreachable_database_is_a_clear_refusal(site, tmp_path):
    env = {**site, "EZH_DATABASE_URL": f"postgresql://ezh@/ezh?host={tmp_path}/nosocket"}
    for args in (["migrate"], ["serve", "--port", "8799"]):
        out = run(env, *args)
        assert out.returncode == 2
        assert "База данных недоступна" in out.stderr and "EZH_DATABASE_URL" in out.stderr
        assert "Traceback" not in out.stderr


def test_serve_refuses_an_unmigrated_database(site):
    out = run(site, "serve", "--port", "8798")
    assert out.returncode == 2 and "ezh migrate" in out.stderr


def test_migrate_on_postgres_grants_the_service_role(pg_cluster, tmp_path):
    pg_cluster.psql("CREATE DATABASE cli_pg")
    pg_cluster.psql("CREATE ROLE ezh_svc LOGIN")
    env = {"EZH_VAR_DIR": str(tmp_path / "var"), "EZH_DATABASE_URL": pg_cluster.url("cli_pg"),
           "EZH_DATABASE_APP_ROLE": "ezh_svc"}
    out = run(env, "migrate")
    assert out.returncode == 0, out.stderr
    assert "ezh_svc" in out.stdout
    with pytest.raises(RuntimeError, match="permission denied"):
        pg_cluster.psql("DELETE FROM audit_event", "cli_pg", user="ezh_svc")
    out = run({**env, "EZH_DATABASE_URL": pg_cluster.url("cli_pg", user="ezh_svc")}, "audit", "verify")
    assert out.returncode == 0 and "Цепочка цела" in out.stdout
