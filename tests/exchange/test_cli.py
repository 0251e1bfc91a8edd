"""`ezh import` and `ezh export` as the sysadmin runs them (R-X-1, R-X-2), real processes on
both engines: the preview exits 1 and writes nothing when a line is wrong, --apply writes all
or nothing, and an exported list of subjects imports back as the same list."""

from __future__ import annotations

import pytest

from service.accounts.tables import Person
from service.audit.tables import AuditEvent
from service.readers import read_table
from service.school.tables import Subject
from tests.factories import tiny_school
from tests.test_cli import run

pytestmark = pytest.mark.anyio


def _env(db, tmp_path) -> dict:
    return {"EZH_DATABASE_URL": db.url, "EZH_VAR_DIR": str(tmp_path / "var"), "EZH_LOG_JSON": "false"}


async def test_preview_exit_code_and_apply(db, tmp_path):
    await tiny_school()
    env = _env(db, tmp_path)
    bad = tmp_path / "ученики.csv"
    bad.write_bytes("Список\r\nФИО,Д.р.,Класс\r\nОрлова Анна,02.01.2015,5А\r\nЗайцев Лев,1.3.14,9Я\r\n"
                    .encode("cp1251"))
    people, events = await Person.count().run(), await AuditEvent.count().run()
    out = run(env, "import", "students", str(bad))
    assert out.returncode == 1, out.stderr
    assert "Строка 4: класса «9Я» нет в текущем учебном году" in out.stdout
    assert "Ничего не записано" in out.stdout
    out = run(env, "import", "students", str(bad), "--apply")
    assert out.returncode == 1 and "Строка 4" in out.stdout
    assert await Person.count().run() == people and await AuditEvent.count().run() == events
    bad.write_bytes(bad.read_bytes().replace("9Я".encode("cp1251"), "6Б".encode("cp1251")))
    out = run(env, "import", "students", str(bad))
    assert out.returncode == 0 and "Ошибок нет" in out.stdout
    assert await Person.count().run() == people  # a clean preview still writes nothing
    out = run(env, "import", "students", str(bad), "--apply")
    assert out.returncode == 0 and "Загружено записей: 2." in out.stdout, out.stdout + out.stderr
    assert await Person.count().run() == people + 2


async def test_not_a_spreadsheet_and_missing_file(db, tmp_path):
    await tiny_school()
    env = _env(db, tmp_path)
    picture = tmp_path / "фото.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    out = run(env, "import", "staff", str(picture), "--apply")
    assert out.returncode == 1 and "это не таблица" in out.stderr
    out = run(env, "import", "staff", str(tmp_path / "нет.csv"))
    assert out.returncode == 2 and "не удалось прочитать" in out.stderr


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
async def test_export_then_import_gives_the_same_subjects(db, tmp_path, fmt):
    """R-X-2: export in each format; the exported subjects import into an empty list as the
    same list."""
    await Subject.insert(Subject(name="Русский язык", short_name="Рус."),
                         Subject(name="История", short_name="")).run()
    env = _env(db, tmp_path)
    target = tmp_path / f"предметы.{fmt}"
    out = run(env, "export", "subjects", "--format", fmt, "--output", str(target))
    assert out.returncode == 0, out.stderr
    exported = read_table(target.read_bytes()).rows
    assert exported[0] == ["Предмет", "Сокращение"]
    before = sorted((r["name"], r["short_name"]) for r in await Subject.select().run())
    await Subject.delete(force=True).run()  # an empty database on another server, in effect
    out = run(env, "import", "subjects", str(target), "--apply")
    assert out.returncode == 0, out.stdout + out.stderr
    assert sorted((r["name"], r["short_name"]) for r in await Subject.select().run()) == before


async def test_export_csv_to_standard_output(db, tmp_path):
    await tiny_school()
    out = run(_env(db, tmp_path), "export", "students")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0] == "Фамилия;Имя;Отчество;Дата рождения;Пол;СНИЛС;Класс;Телефон;Электронная почта"
    assert any(line.startswith("Морозов;Артём;Дмитриевич;") and ";5А;" in line for line in lines)
    out = run(_env(db, tmp_path), "export", "students", "--format", "xlsx")
    assert out.returncode == 2 and "--output" in out.stderr
