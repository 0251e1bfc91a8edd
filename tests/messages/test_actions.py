"""Messages through their actions (R-MSG-1, R-SEC-3, issue 10 item 4): who may write to whom,
read and answered times, unread counts, attachments, and that a refused message writes
nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

import anyio
import pytest

from service.audit.tables import AuditEvent
from service.db import fetch
from service.errors import NotFound, Refused
from service.journal import files
from service.messages import actions, queries
from service.messages.actions import Upload
from service.settings import get_settings
from tests.messages.conftest import TODAY
from tests.messages.factories import message_school, viewer

pytestmark = pytest.mark.anyio

PDF = b"%PDF-1.4\n% a note from the doctor\n"


async def _count(table: str) -> int:
    return (await fetch(f"SELECT COUNT(*) AS n FROM {table}"))[0][0]


async def test_a_family_writes_to_its_childs_teachers_class_teacher_and_the_administration(db):
    """R-MSG-1: the parent of a 5А pupil may write to 5А's class teacher, the teachers with
    load in 5А and the deputy head — not to another family, not to 6Б's class teacher."""
    s = await message_school()
    mum = await viewer(s, "roditel")
    found = await queries.contacts(mum, TODAY)
    people = {(c.person, c.why) for c in found}
    assert (s.people["klruk"], "Классный руководитель, Математика") in people
    assert (s.people["uchitel"], "Математика") in people
    assert (s.people["zavuch"], "Администрация") in people
    assert {c.person for c in found}.isdisjoint({s.people["parent2"], s.people["parent3"], s.people["other"],
                                                s.people["pupil2"]})
    assert all(c.about == s.people["pupil1"] and c.my_side == "parent" for c in found)


async def test_staff_write_to_their_pupils_their_parents_and_colleagues(db):
    """The teacher of 5А: 5А's pupils and parents with accounts, and colleagues; not 6Б's
    family. The deputy head: every family with an account."""
    s = await message_school()
    teacher = await viewer(s, "uchitel")
    people = {c.person for c in await queries.contacts(teacher, TODAY)}
    assert {s.people["pupil1"], s.people["roditel"], s.people["parent2"], s.people["pupil2"],
            s.people["klruk"], s.people["zavuch"]} <= people
    assert s.people["parent3"] not in people and s.people["uchitel"] not in people
    deputy = await viewer(s, "zavuch")
    assert s.people["parent3"] in {c.person for c in await queries.contacts(deputy, TODAY)}


async def test_a_thread_is_read_and_answered_and_the_counters_follow(db):
    """R-MSG-1: the teacher sees one unread; opening marks it read (once, audited); answering
    marks the parent's message answered and makes one unread for the parent."""
    s = await message_school()
    mum, teacher = await viewer(s, "roditel"), await viewer(s, "uchitel")
    [thread] = await actions.do_start(mum, f"{s.people['uchitel']}.{s.people['pupil1']}", "Контрольная",
                                      "Можно переписать?", [], TODAY)
    assert await queries.unread(teacher) == 1 and await queries.unread(mum) == 0
    assert await actions.do_mark_read(teacher, thread) == 1
    assert await actions.do_mark_read(teacher, thread) == 0  # nothing new: nothing written
    assert await queries.unread(teacher) == 0
    [first] = await queries.messages(thread)
    assert first["read_at"] is not None and first["answered_at"] is None
    await actions.do_reply(teacher, thread, "Да, в четверг.", [])
    first, answer = await queries.messages(thread)
    assert first["answered_at"] is not None and first["answered_at"] >= first["read_at"]
    assert answer["author_as"] == "staff" and answer["read_at"] is None
    assert await queries.unread(mum) == 1
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.new).where(
        AuditEvent.object_type == "message_thread").order_by(AuditEvent.seq).run()
    assert [e["action"] for e in events] == ["messages.sent", "messages.read", "messages.sent"]
    assert all("Можно переписать" not in e["new"] for e in events)  # the text stays private


async def test_a_refused_message_writes_nothing(db):
    """Bad input: a Russian message naming the field, no thread, no message, no audit row."""
    s = await message_school()
    mum = await viewer(s, "roditel")
    to = f"{s.people['uchitel']}.{s.people['pupil1']}"
    cases = [
        (f"{s.people['parent3']}.{s.people['pupil3']}", "Тема", "Текст", [], "to"),  # another family
        (f"{s.people['other']}.{s.people['pupil1']}", "Тема", "Текст", [], "to"),  # not the child's teacher
        (f"{s.people['uchitel']}.{s.people['pupil3']}", "Тема", "Текст", [], "to"),  # not her child
        ("abc", "Тема", "Текст", [], "to"),
        (to, "", "Текст", [], "subject"),
        (to, "Т" * 201, "Текст", [], "subject"),
        (to, "Тема", "   ", [], "body"),
        (to, "Тема", "x" * 5001, [], "body"),
        (to, "Тема", "Текст", [Upload("вирус.pdf.exe", b"MZ\x90\x00")], "file"),
        (to, "Тема", "Текст", [Upload("script.pdf", b"#!/bin/sh\nrm -rf /\n")], "file"),
        (to, "Тема", "Текст", [Upload(f"{i}.pdf", PDF) for i in range(6)], "file"),
        (to, "Тема", "Текст", [Upload("big.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024))], "file"),
    ]
    audit_before = await _count("audit_event")
    for to_, subject, body, uploads, field in cases:
        with pytest.raises(Refused) as caught:
            await actions.do_start(mum, to_, subject, body, uploads, TODAY)
        assert caught.value.field == field, (to_, subject, caught.value.message)
    assert await _count("message_thread") == 0 and await _count("thread_message") == 0
    assert await _count("audit_event") == audit_before


async def test_attachments_are_kept_by_content_and_only_the_two_sides_get_them(db):
    s = await message_school()
    mum, teacher, other = await viewer(s, "roditel"), await viewer(s, "klruk"), await viewer(s, "uchitel")
    [thread] = await actions.do_start(mum, f"{s.people['klruk']}.{s.people['pupil1']}", "Справка", "",
                                      [Upload("справка.pdf", PDF)], TODAY)
    [m] = await queries.messages(thread)
    [f] = m["files"]
    assert f["name"] == "справка.pdf" and f["size"] == len(PDF)
    row = await queries.file_row(teacher, f["id"])
    assert row and files.read(row["sha256"]) == PDF and row["content_type"] == "application/pdf"
    assert await queries.file_row(other, f["id"]) is None
    assert await queries.file_row(await viewer(s, "zavuch"), f["id"]) is None
    # kept where the backups look (issue 10 item 4: «backed up with the rest»)
    from service.backup_commands import backup_config
    folders = {folder.name: folder.path for folder in backup_config(get_settings()).manifest.folders}
    assert files.path_of(row["sha256"]).is_relative_to(folders["uploads"])


async def test_nobody_but_the_two_sides_reaches_a_thread(db):
    """R-SEC-3: another teacher, the deputy head, another parent: no thread, no answer."""
    s = await message_school()
    mum = await viewer(s, "roditel")
    [thread] = await actions.do_start(mum, f"{s.people['klruk']}.{s.people['pupil1']}", "Тема", "Текст", [], TODAY)
    for key in ("uchitel", "zavuch", "parent2", "admin"):
        v = await viewer(s, key)
        assert await queries.thread(v, thread) is None
        with pytest.raises(NotFound):
            await actions.do_reply(v, thread, "чужое", [])
        with pytest.raises(NotFound):
            await actions.do_mark_read(v, thread)
    assert len(await queries.messages(thread)) == 1


async def test_a_class_teacher_writes_to_every_parent_of_the_class_each_apart(db):
    """«Всем родителям 5А»: one thread per parent with an account; no parent sees another's."""
    s = await message_school()
    klruk = await viewer(s, "klruk")
    made = await actions.do_start(klruk, f"class:{s.classes['5А']}", "Собрание", "В среду в 18:30.", [], TODAY)
    assert len(made) == 2
    for key in ("roditel", "parent2"):
        mine, _ = await queries.threads(await viewer(s, key))
        assert len(mine) == 1 and mine[0]["other"] == s.people["klruk"] and mine[0]["unread"] == 1
    assert (await queries.threads(await viewer(s, "parent3")))[0] == []
    with pytest.raises(Refused):  # 6Б is not hers
        await actions.do_start(klruk, f"class:{s.classes['6Б']}", "Собрание", "Текст", [], TODAY)


async def test_answers_and_openings_at_once_keep_the_counters_true(pg_db):
    """Two sides writing and opening a thread at the same moment, on PostgreSQL with separate
    connections: every message ends either read with its side's counter at zero, or unread
    and counted."""
    s = await message_school()
    mum, teacher = await viewer(s, "roditel"), await viewer(s, "uchitel")
    [thread] = await actions.do_start(mum, f"{s.people['uchitel']}.{s.people['pupil1']}", "Тема", "Текст", [], TODAY)

    async def mum_writes():
        for i in range(8):
            await actions.do_reply(mum, thread, f"ещё {i}", [])

    async def teacher_reads():
        for _ in range(8):
            await actions.do_mark_read(teacher, thread)

    async with anyio.create_task_group() as tg:
        tg.start_soon(mum_writes)
        tg.start_soon(teacher_reads)
        tg.start_soon(mum_writes)
    t = await queries.thread(teacher, thread)
    unread = [m for m in await queries.messages(thread) if m["author"] == s.people["roditel"] and m["read_at"] is None]
    assert t["unread"] == len(unread)
    assert await queries.unread(teacher) == len(unread)


async def test_a_double_click_sends_one_message(db):
    """The same text to the same person twice within seconds (a double click, a form sent again)
    makes one thread and one answer, not two; a different text is a new message."""
    s = await message_school()
    mum, teacher = await viewer(s, "roditel"), await viewer(s, "uchitel")
    to = f"{s.people['uchitel']}.{s.people['pupil1']}"
    first = await actions.do_start(mum, to, "Тема", "Можно переписать?", [], TODAY)
    again = await actions.do_start(mum, to, "Тема", "Можно переписать?", [], TODAY)
    assert first == again and await _count("message_thread") == 1
    one = await actions.do_reply(teacher, first[0], "Да, в четверг.", [])
    two = await actions.do_reply(teacher, first[0], "Да, в четверг.", [])
    assert one == two and await _count("thread_message") == 2
    await actions.do_reply(teacher, first[0], "И возьмите тетрадь.", [])
    assert await _count("thread_message") == 3


async def test_two_submissions_at_once_make_one_thread(pg_db):
    """Two identical submissions at the same moment on separate PostgreSQL connections: one thread."""
    s = await message_school()
    mum = await viewer(s, "roditel")
    to = f"{s.people['klruk']}.{s.people['pupil1']}"
    made: list[list[int]] = []

    async def send():
        made.append(await actions.do_start(mum, to, "Справка", "Справку передадим завтра.", [], TODAY))

    async with anyio.create_task_group() as tg:
        tg.start_soon(send)
        tg.start_soon(send)
    assert made[0] == made[1] and await _count("message_thread") == 1
