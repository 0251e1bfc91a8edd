"""Messages as people use them over HTTP (R-MSG-1, R-SEC-3, issue 10 item 4): a parent writes to
the teacher and sees when it was read and answered; the unread badge; attachments; a direct POST
to someone the page does not offer is refused in Russian; a foreign thread or file is 404; the
administration's answer times show counts and times, never text; constant queries per page."""

from __future__ import annotations

import re

import pytest

from service.db import fetch
from tests.factories import PASSWORD
from tests.messages.factories import message_school
from tests.routes import client, csrf_from, sign_in
from tests.test_query_counts import counting

pytestmark = pytest.mark.anyio

PDF = b"%PDF-1.4\n% homework photo\n"


async def _send(c, data: dict, files: list | None = None, page: str = "/messages/new", path: str = "/messages/new"):
    token = csrf_from((await c.get(page)).text)
    return await c.post(path, data={**data, "_csrf_token": token}, files=files or [])


async def test_a_parent_writes_and_sees_when_it_was_read_and_answered(db):
    s = await message_school()
    teacher, child = s.people["uchitel"], s.people["pupil1"]
    async with client() as mum:
        await sign_in(mum, "roditel", PASSWORD)
        page = (await mum.get("/messages/new")).text
        assert f'value="{teacher}.{child}"' in page and "Попова Мария Сергеевна — Математика" in page
        assert "О ребёнке: Артём Морозов" in page
        assert str(s.people["parent2"]) + "." not in page  # no other family
        r = await _send(mum, {"to": f"{teacher}.{child}", "subject": "Контрольная", "body": "Можно переписать?"})
        assert r.status_code == 303
        thread = r.headers["location"].rsplit("/", 1)[1]
        page = (await mum.get(f"/messages/{thread}")).text
        assert "Можно переписать?" in page and "Ещё не прочитано" in page
        async with client() as t:
            await sign_in(t, "uchitel", PASSWORD)
            assert ">1<" in (await t.get("/messages/unread")).text
            listing = (await t.get("/messages")).text
            assert "Контрольная" in listing and "m-new" in listing and "Морозова Елена Викторовна" in listing
            assert "Можно переписать?" in (await t.get(f"/messages/{thread}")).text
            assert (await t.get("/messages/unread")).text.strip() == ""
            r = await _send(t, {"body": "Да, в четверг после уроков."}, [("file", ("задачи.pdf", PDF, "application/pdf"))],
                            page=f"/messages/{thread}", path=f"/messages/{thread}")
            assert r.status_code == 303 and r.headers["location"].startswith(f"/messages/{thread}#m")
        page = (await mum.get(f"/messages/{thread}")).text
        assert "Прочитано " in page and "ответ " in page and "(через " in page
        assert "Да, в четверг после уроков." in page
        file_id = re.search(r'href="/messages/file/(\d+)">задачи.pdf', page).group(1)
        download = await mum.get(f"/messages/file/{file_id}")
        assert download.status_code == 200 and download.content == PDF
        assert download.headers["x-content-type-options"] == "nosniff"
        assert "attachment" in download.headers["content-disposition"]


async def test_a_direct_post_to_someone_not_offered_is_refused_in_russian(db):
    """R-MSG-1: a parent cannot write to another family (nor to a teacher of another class) by
    editing the form: 400, «Кому: …», nothing written."""
    s = await message_school()
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        for to in (f"{s.people['parent3']}.{s.people['pupil3']}", f"{s.people['other']}.{s.people['pupil1']}",
                   f"class:{s.classes['5А']}", "1.2.3", "-5"):
            r = await _send(c, {"to": to, "subject": "Тема", "body": "Текст"})
            assert r.status_code == 400, to
            assert "Кому:" in r.text and 'aria-invalid="true"' in r.text
        r = await _send(c, {"to": f"{s.people['klruk']}.{s.people['pupil1']}", "subject": "", "body": "Текст"})
        assert r.status_code == 400 and "Тема: напишите, о чём сообщение" in r.text
        r = await _send(c, {"to": f"{s.people['klruk']}.{s.people['pupil1']}", "subject": "Тема", "body": "Текст"},
                        [("file", ("setup.exe", b"MZ\x90\x00", "application/octet-stream"))])
        assert r.status_code == 400 and "программы и скрипты прикладывать нельзя" in r.text
        assert "Текст" in r.text  # what was typed is kept
    assert (await fetch("SELECT COUNT(*) AS n FROM message_thread"))[0][0] == 0


async def test_a_foreign_thread_or_file_is_not_found(db):
    """R-SEC-3: neither another teacher nor the deputy head nor another parent can open a
    thread, its file or answer in it: 404, as for a thread that does not exist."""
    s = await message_school()
    async with client() as mum:
        await sign_in(mum, "roditel", PASSWORD)
        r = await _send(mum, {"to": f"{s.people['klruk']}.{s.people['pupil1']}", "subject": "Справка", "body": ""},
                        [("file", ("справка.pdf", PDF, "application/pdf"))])
        thread = r.headers["location"].rsplit("/", 1)[1]
        page = (await mum.get(f"/messages/{thread}")).text
        file_id = re.search(r'href="/messages/file/(\d+)"', page).group(1)
    for login in ("uchitel", "zavuch", "parent2"):
        async with client() as c:
            await sign_in(c, login, PASSWORD)
            assert (await c.get(f"/messages/{thread}")).status_code == 404
            assert (await c.get(f"/messages/file/{file_id}")).status_code == 404
            assert (await c.get("/messages/99999")).status_code == 404
            token = csrf_from((await c.get("/messages")).text)
            r = await c.post(f"/messages/{thread}", data={"body": "чужое", "_csrf_token": token})
            assert r.status_code == 404
    assert (await fetch("SELECT COUNT(*) AS n FROM thread_message"))[0][0] == 1


async def test_the_administration_sees_answer_times_per_teacher_never_the_text(db):
    """R-MSG-1 (003 item 9): the deputy head's page lists, per teacher and month, parents'
    messages, answered ones and how fast; no text of any message; teachers have no such page."""
    s = await message_school()
    async with client() as mum:
        await sign_in(mum, "roditel", PASSWORD)
        r = await _send(mum, {"to": f"{s.people['uchitel']}.{s.people['pupil1']}", "subject": "Секретная тема",
                              "body": "Очень личный текст"})
        thread = r.headers["location"].rsplit("/", 1)[1]
        await _send(mum, {"to": f"{s.people['klruk']}.{s.people['pupil1']}", "subject": "Другая",
                          "body": "Вопрос без ответа"})
    async with client() as t:
        await sign_in(t, "uchitel", PASSWORD)
        await _send(t, {"body": "Ответ"}, page=f"/messages/{thread}", path=f"/messages/{thread}")
        assert (await t.get("/answer-times")).status_code in (403, 404)
    async with client() as d:
        await sign_in(d, "zavuch", PASSWORD)
        page = (await d.get("/answer-times")).text
        assert "Попова Мария Сергеевна" in page and "Смирнова Анна Петровна" in page
        assert "Всего обращений родителей: <strong>2</strong>, с ответом: 1" in page
        assert "не прочитаны: 1" in page
        assert "Секретная тема" not in page and "Очень личный текст" not in page and "Морозова" not in page


async def test_list_and_thread_pages_cost_the_same_queries_however_long(db, monkeypatch):
    """A constant number of queries: the list with 1 or 6 threads, a thread with 1 or 7 messages."""
    s = await message_school()
    to = {"to": f"{s.people['klruk']}.{s.people['pupil1']}", "subject": "Тема", "body": "Текст"}
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        r = await _send(c, to)
        thread = r.headers["location"].rsplit("/", 1)[1]

        async def cost(path: str) -> int:
            with counting(monkeypatch) as seen:
                assert (await c.get(path)).status_code == 200
            return len(seen)

        one_list, one_thread = await cost("/messages"), await cost(f"/messages/{thread}")
        for i in range(5):
            await _send(c, {**to, "body": f"Текст {i}"})
        for i in range(6):
            await _send(c, {"body": f"ещё {i}"}, [("file", (f"{i}.pdf", PDF, "application/pdf"))],
                        page=f"/messages/{thread}", path=f"/messages/{thread}")
        assert (await fetch("SELECT COUNT(*) AS n FROM message_thread"))[0][0] == 6
        assert await cost("/messages") == one_list
        assert await cost(f"/messages/{thread}") == one_thread


async def test_write_links_open_the_form_with_the_recipient_chosen(db):
    """From a pupil's card (staff) or the diary (a parent) «написать» opens the form with that
    person chosen — for the deputy head too, with the pupil's class loaded."""
    s = await message_school()
    key = f"{s.people['parent2']}.{s.people['pupil2']}"
    for login in ("klruk", "zavuch"):
        async with client() as c:
            await sign_in(c, login, PASSWORD)
            card = (await c.get(f"/students/{s.people['pupil2']}")).text
            assert f'href="/messages/new?to={key}"' in card
            page = (await c.get(f"/messages/new?to={key}")).text
            assert f'<option value="{key}" selected>' in page, login
            assert f'value="class:{s.classes["5А"]}"' in page  # «Всем родителям 5А»
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        key = f"{s.people['klruk']}.{s.people['pupil1']}"
        page = (await c.get(f"/messages/new?to={key}")).text
        assert f'<option value="{key}" selected>' in page
        # a stranger's key preselects nothing and offers nothing new
        stranger = f"{s.people['parent3']}.{s.people['pupil3']}"
        page = (await c.get(f"/messages/new?to={stranger}")).text
        assert stranger not in page
