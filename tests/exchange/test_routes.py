"""The «Импорт и экспорт» page (R-X-1, R-X-2): upload → preview → confirm, the file kept
between the steps for its uploader only, rights, a 50 MB upload and a file that is not a
spreadsheet answered in Russian (never a 500), downloads in three formats."""

from __future__ import annotations

import pytest

from service.audit.tables import AccessLog, AuditEvent
from service.readers import read_table
from service.school.tables import Subject
from tests.factories import PASSWORD, tiny_school
from tests.routes import client, csrf_from, sign_in

pytestmark = pytest.mark.anyio
SUBJECTS = "Список предметов\r\nПредмет;Сокращение\r\nИстория;Ист.\r\nФизика;Физ.\r\n".encode("cp1251")


async def _upload(c, data: bytes, kind: str = "subjects", name: str = "предметы.csv"):
    token = csrf_from((await c.get("/exchange")).text)
    return await c.post("/exchange/preview", data={"kind": kind, "_csrf_token": token},
                        files={"file": (name, data, "text/csv")})


def _hidden(html: str, name: str) -> str:
    import re

    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


async def test_upload_preview_confirm(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        before = await Subject.count().run()
        page = await _upload(c, SUBJECTS)
        assert page.status_code == 200
        assert "Ошибок нет. Будет загружено строк: <strong>2</strong>" in page.text
        assert "Windows-1251" in page.text
        assert await Subject.count().run() == before  # the preview writes nothing
        form = {"kind": "subjects", "token": _hidden(page.text, "token"),
                "col_0": "name", "col_1": "short_name", "_csrf_token": csrf_from(page.text)}
        done = await c.post("/exchange/apply", data=form)
        assert done.status_code == 200 and "Загружено записей: <strong>2</strong>" in done.text
        assert await Subject.count().run() == before + 2
        again = await c.post("/exchange/apply", data=form)  # the kept file is gone
        assert again.status_code == 400 and "больше не хранится" in again.text
        assert await Subject.count().run() == before + 2


async def test_errors_shown_line_by_line_and_nothing_written(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await _upload(c, "Фамилия;Имя;Дата рождения;Класс\r\nОрлова;Анна;30.02.2015;5А\r\n"
                             .encode(), kind="students")
        assert page.status_code == 200
        assert "«Дата рождения» = «30.02.2015» — такой даты нет в календаре" in page.text
        assert "/exchange/apply" not in page.text  # no confirm button
        events = await AuditEvent.count().run()
        form = {"kind": "students", "token": _hidden(page.text, "token"),
                "_csrf_token": csrf_from(page.text)}
        refused = await c.post("/exchange/apply", data=form)  # a direct POST is refused too
        assert refused.status_code == 400 and "30.02.2015" in refused.text
        assert await AuditEvent.count().run() == events


async def test_unsure_column_is_asked_then_answered(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await _upload(c, "Предметы школы\r\nНазвание предмета;Кратко названо\r\nХимия;Хим.\r\n"
                             .encode(), kind="subjects")
        assert "«Кратко названо» похож на «Сокращение»" in page.text
        assert 'name="col_1"' in page.text and "/exchange/apply" not in page.text
        answer = await c.post("/exchange/preview", data={
            "kind": "subjects", "token": _hidden(page.text, "token"), "col_0": "name",
            "col_1": "short_name", "_csrf_token": csrf_from(page.text)})
        assert "Ошибок нет" in answer.text and "/exchange/apply" in answer.text


async def test_kept_file_belongs_to_its_uploader(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        token = _hidden((await _upload(c, SUBJECTS)).text, "token")
    async with client() as other:
        await sign_in(other, "admin", PASSWORD)  # same rights, another session: fine
        page = await other.get("/exchange")
        ok = await other.post("/exchange/apply", data={"kind": "subjects", "token": token,
                                                       "_csrf_token": csrf_from(page.text)})
        assert ok.status_code == 200
        forged = await other.post("/exchange/apply", data={
            "kind": "subjects", "token": "A" * 43, "_csrf_token": csrf_from(page.text)})
        assert forged.status_code == 400


async def test_rights(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        assert (await c.get("/exchange")).status_code == 403
        assert (await c.get("/exchange/export/students")).status_code == 403
        token = csrf_from((await c.get("/home")).text)
        r = await c.post("/exchange/preview", data={"kind": "subjects", "_csrf_token": token},
                         files={"file": ("a.csv", SUBJECTS, "text/csv")})
        assert r.status_code == 403
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        assert (await c.get("/exchange/export/parents?format=xlsx")).status_code == 403


async def test_fifty_megabytes_get_a_clear_answer(db):
    """A 50 MB upload: a Russian page naming the limit, not a 500; nothing kept."""
    await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        r = await _upload(c, b"x;y\r\n" * (10 * 1024 * 1024))
        assert r.status_code == 413
        assert "больше 10 МБ" in r.text
        just_over = await _upload(c, b"a" * (10 * 1024 * 1024 + 10))
        assert just_over.status_code in (400, 413) and "больше 10 МБ" in just_over.text


async def test_not_a_spreadsheet_and_no_file(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        r = await _upload(c, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, name="фото.png")
        assert r.status_code == 400 and "это не таблица" in r.text
        token = csrf_from((await c.get("/exchange")).text)
        r = await c.post("/exchange/preview", data={"kind": "subjects", "_csrf_token": token})
        assert r.status_code == 400 and "Выберите файл" in r.text


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
async def test_export_downloads(db, fmt):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        r = await c.get(f"/exchange/export/students?format={fmt}")
        assert r.status_code == 200 and f".{fmt}" in r.headers["content-disposition"]
        rows = read_table(r.content).rows
        assert rows[0][:3] == ["Фамилия", "Имя", "Отчество"]
        assert ["Морозов", "Артём", "Дмитриевич"] in [row[:3] for row in rows]
        logged = await AccessLog.select().where(AccessLog.what == "выгрузка списка «Ученики»").run()
        assert len(logged) == 3  # who took whose personal data out of the journal
        assert (await c.get("/exchange/export/nothing")).status_code == 404


async def test_fifty_megabytes_from_a_stranger(db):
    """Before signing in, or without the right: still a clear answer (or the usual refusal),
    never a 500."""
    await tiny_school()
    async with client() as c:
        token = csrf_from((await c.get("/login")).text)
        r = await c.post("/exchange/preview", data={"kind": "students", "_csrf_token": token},
                         files={"file": ("big.csv", b"x" * (50 * 1024 * 1024), "text/csv")})
        assert r.status_code in (303, 413) and r.status_code < 500
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        token = csrf_from((await c.get("/home")).text)
        r = await c.post("/exchange/preview", data={"kind": "students", "_csrf_token": token},
                         files={"file": ("big.csv", b"x" * (50 * 1024 * 1024), "text/csv")})
        assert r.status_code in (403, 413)
