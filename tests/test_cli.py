"""The `ezh` command as an administrator runs it (a real process, real databases):
migrate, check, audit verify/checkpoint, create-admin, demo-data, settings, and clear Russian
refusals at start."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EZH = [sys.executable, "-m", "service.cli"]


def run(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
    full["EZH_CONFIG"] = os.devnull  # never the machine's own /etc/ezh/ezh.toml
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
    for args in (["migrate"], ["serve", "--port", "8799"], ["check"]):
        out = run(env, *args)
        assert out.returncode == (1 if args == ["check"] else 2)
        said = out.stdout + out.stderr
        assert "База данных недоступна" in said and "EZH_DATABASE_URL" in said
        # only the Russian sentence: no driver warning in English with raw colour codes
        assert "Traceback" not in said and "\x1b[" not in said and "Unable" not in said
        assert "Warning" not in said


@pytest.mark.parametrize("port", ["notaport", "99999"])
def test_bad_port_in_the_database_url_names_the_setting(site, port):
    out = run({**site, "EZH_DATABASE_URL": f"postgresql://x@localhost:{port}/db"}, "check")
    assert out.returncode == 2
    assert "ошибка в настройках: EZH_DATABASE_URL" in out.stderr and "порт" in out.stderr
    assert "ValueError" not in out.stderr and "Port" not in out.stderr


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


def test_migrate_as_the_service_role(pg_cluster, tmp_path):
    """R-PLAT-1, R-PLAT-2: `sudo -u ezh ezh migrate` on a current schema reads the state and
    says so, without any DDL; with migrations pending it says in Russian that the owner role
    runs them, and changes nothing."""
    pg_cluster.psql("CREATE ROLE cli_owner LOGIN")
    pg_cluster.psql("CREATE ROLE cli_svc LOGIN")
    # PostgreSQL 15: only the database's owner may create tables in its public schema
    pg_cluster.psql("CREATE DATABASE cli_current OWNER cli_owner")
    pg_cluster.psql("CREATE DATABASE cli_pending OWNER cli_owner")
    owner = {"EZH_VAR_DIR": str(tmp_path / "var"), "EZH_DATABASE_APP_ROLE": "cli_svc",
             "EZH_DATABASE_URL": pg_cluster.url("cli_current", user="cli_owner")}
    assert run(owner, "migrate").returncode == 0
    service = {**owner, "EZH_DATABASE_URL": pg_cluster.url("cli_current", user="cli_svc")}
    out = run(service, "migrate")
    assert out.returncode == 0, out.stderr
    assert "Схема базы уже актуальна" in out.stdout and out.stderr == ""

    pending = {**service, "EZH_DATABASE_URL": pg_cluster.url("cli_pending", user="cli_svc")}
    out = run(pending, "migrate")
    assert out.returncode == 2
    assert "владел" in out.stderr and "EZH_DATABASE_URL" in out.stderr
    assert "Insufficient" not in out.stderr and "permission denied" not in out.stderr
    assert pg_cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                           "cli_pending") == "0"


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_demo_data_refuses_a_database_with_real_people(site, tmp_path):
    """R-SEC-1: the demo school (public password) never lands in a journal that is in use."""
    assert run(site, "migrate").returncode == 0
    assert run(site, "create-admin", "--login", "director", "--password-stdin",
               stdin="Надёжный-пароль-2026\n").returncode == 0
    database = tmp_path / "var" / "ezh.sqlite3"
    before = {t: _count(database, t) for t in ("person", "account", "academic_year", "audit_event")}
    out = run(site, "demo-data", "--size", "S")
    assert out.returncode == 2
    assert "Ничего не изменено" in out.stderr and "demo-ezh" not in out.stdout
    assert {t: _count(database, t) for t in before} == before


def test_demo_data_on_postgres_needs_an_explicit_flag(pg_cluster, tmp_path):
    """R-SEC-1: PostgreSQL is where production lives; a bench or a test stand says so."""
    pg_cluster.psql("CREATE DATABASE cli_demo")
    env = {"EZH_VAR_DIR": str(tmp_path / "var"), "EZH_DATABASE_URL": pg_cluster.url("cli_demo")}
    assert run(env, "migrate").returncode == 0
    out = run(env, "demo-data", "--size", "S")
    assert out.returncode == 2 and "--allow-postgresql" in out.stderr
    assert pg_cluster.psql("SELECT count(*) FROM person", "cli_demo") == "0"
    out = run(env, "demo-data", "--size", "s", "--allow-postgresql")
    assert out.returncode == 0, out.stderr
    assert pg_cluster.psql("SELECT count(*) FROM academic_year", "cli_demo") == "2"  # this year and last, closed
    check = run(env, "check")
    assert check.returncode == 1 and "СБОЙ  демо-пароль" in check.stdout, check.stdout


def test_check_fails_while_an_account_has_the_demo_password(site, tmp_path):
    """R-SEC-1: `ezh check` fails loudly while anyone can sign in with the documented password."""
    assert run(site, "migrate").returncode == 0
    out = run(site, "demo-data", "--size", "S")
    assert out.returncode == 0, out.stderr
    assert "ezh serve" in out.stdout  # no server is running yet: say how to start one
    check = run(site, "check")
    assert check.returncode == 1
    assert re.search(r"СБОЙ  демо-пароль: .*zavuch", check.stdout), check.stdout
    with sqlite3.connect(tmp_path / "var" / "ezh.sqlite3") as conn:
        # a renamed demo login keeps its password: still found
        conn.execute("UPDATE account SET is_active = 0 WHERE login <> 'zavuch'")
        conn.execute("UPDATE account SET login = 'zam' WHERE login = 'zavuch'")
    check = run(site, "check")
    assert check.returncode == 1 and re.search(r"СБОЙ  демо-пароль: .*\(zam\)", check.stdout)
    with sqlite3.connect(tmp_path / "var" / "ezh.sqlite3") as conn:
        conn.execute("UPDATE account SET is_active = 0")
    check = run(site, "check")
    assert "OK    демо-пароль" in check.stdout, check.stdout


def test_serve_on_a_busy_port_says_which_one(site):
    """R-PLAT-2: before «ЭЖ работает», in Russian, with the documented exit code 2."""
    assert run(site, "migrate").returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run(site, "serve", "--port", str(port))
    assert out.returncode == 2
    assert f"127.0.0.1:{port}" in out.stderr and "занят" in out.stderr
    assert "ЭЖ работает" not in out.stdout and "address already in use" not in out.stderr


def test_usage_errors_and_help_are_russian():
    """R-PLAT-2: argparse's own words (usage, headings, errors) are Russian too; exit code 2."""
    for args in (["frob"], [], ["demo-data", "--size", "XL"], ["serve", "--port", "восемь"],
                 ["check", "--verbose"], ["reset-code"]):
        out = run({}, *args)
        assert out.returncode == 2, args
        assert "ezh" in out.stderr and "ошибка" in out.stderr, args
        assert not re.search(r"usage|error|invalid|choose|required|unrecognized|argument",
                             out.stderr), out.stderr
    for args in (["--help"], ["demo-data", "--help"], ["audit", "--help"]):
        out = run({}, *args)
        assert out.returncode == 0
        assert not re.search(r"usage|positional arguments|options:|show this help", out.stdout), \
            out.stdout


def test_choices_ignore_case():
    from service.cli import _parser

    assert _parser().parse_args(["demo-data", "--size", "m"]).size == "M"


def test_settings_shows_the_values_in_effect_and_their_source(site, tmp_path):
    """What the guide tells the reader to check is the value in effect, never the password."""
    conf = tmp_path / "ezh.toml"
    conf.write_text("[server]\nport = 8100\nsecure_cookies = true\n", encoding="utf-8")
    env = {**site, "EZH_CONFIG": str(conf), "EZH_SCHOOL_NAME": "Гимназия № 5",
           "EZH_DATABASE_URL": "postgresql://ezh:s3cret-pw@db.local:5432/ezh"}
    out = run(env, "settings")
    assert out.returncode == 0, out.stderr
    lines = {line.split()[0]: line for line in out.stdout.splitlines() if line.startswith("EZH_")}
    assert "8100" in lines["EZH_PORT"] and f"файл {conf}" in lines["EZH_PORT"]
    assert "да" in lines["EZH_SECURE_COOKIES"] and "True" not in out.stdout
    assert "нет" in lines["EZH_BEHIND_PROXY"] and "False" not in out.stdout
    assert "Гимназия № 5" in lines["EZH_SCHOOL_NAME"]
    assert "переменная окружения" in lines["EZH_SCHOOL_NAME"]
    assert "127.0.0.1" in lines["EZH_HOST"] and "по умолчанию" in lines["EZH_HOST"]
    assert "s3cret-pw" not in out.stdout and "ezh:***@db.local" in lines["EZH_DATABASE_URL"]


def test_broken_settings_file_is_described_in_russian(site, tmp_path):
    conf = tmp_path / "ezh.toml"
    conf.write_text("[server\nport = 1\n", encoding="utf-8")
    out = run({**site, "EZH_CONFIG": str(conf)}, "settings")
    assert out.returncode == 2
    assert str(conf) in out.stderr and "ошибка синтаксиса TOML в строке 1" in out.stderr


def test_verify_counts_rows_in_russian(site):
    assert run(site, "migrate").returncode == 0
    out = run(site, "audit", "verify")
    assert out.returncode == 0, out.stderr
    # the rights granted by migrate and the journal's default grading systems: two rows
    assert "Цепочка цела: 2 записи," in out.stdout


def test_the_archive_commands_answer_in_russian_with_their_exit_codes(site):
    """`ezh archive …` wired to the actions (the seal itself: tests/records/test_seal.py and
    bench/archive.py): an unknown year is a setup error (2); a year that cannot be sealed or
    reopened is refused (1); nothing sealed lists and checks as nothing, exit 0."""
    assert run(site, "migrate").returncode == 0
    out = run(site, "archive", "seal", "--year", "1999/2000")
    assert out.returncode == 2 and "учебного года 1999/2000 нет" in out.stderr
    assert run(site, "demo-data", "--size", "S").returncode == 0
    current = run(site, "archive", "seal", "--year", "2026/2027")
    assert current.returncode == 1 and "ещё не закрыт" in current.stderr
    reopen = run(site, "archive", "reopen", "--year", "2025/2026", "--reason", "Исправление отметки по протоколу")
    assert reopen.returncode == 1 and "не запечатан" in reopen.stderr
    listed = run(site, "archive", "list")
    assert listed.returncode == 0 and "Запечатанных учебных лет нет" in listed.stdout
    checked = run(site, "archive", "verify")
    assert checked.returncode == 0 and "проверять нечего" in checked.stdout
    usage = run(site, "archive", "reopen", "--year", "2025/2026")
    assert usage.returncode == 2 and "--reason" in usage.stderr
