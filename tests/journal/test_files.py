"""Homework files (R-LESSON-1): documents, images and sound are kept once per content on disk;
programs and scripts (by name or by content) and files over the school's limit are refused in
Russian and nothing is stored; only those who may see the lesson download it."""

from datetime import UTC, date, datetime

import pytest

from service.accounts.viewer import Viewer
from service.errors import NotFound, Refused
from service.journal import files, lessons
from service.journal.tables import HomeworkFile, JournalSetting
from tests.journal.factories import journal_school

pytestmark = pytest.mark.anyio

MONDAY = date(2026, 11, 23)
PDF = b"%PDF-1.4\n% homework\n"


def person(s, key, roles, *rights) -> Viewer:
    return Viewer(s.users.get(key, 1), key, s.people[key], key, roles, frozenset(rights))


@pytest.mark.parametrize(("name", "data", "words"), [
    ("задание.exe", b"anything", "программы"),
    ("задание.pdf", b"MZ\x90\x00", "программы"),
    ("run.txt", b"#!/bin/sh\nrm -rf /", "программы"),
    ("фото.pdf.exe", b"x", "программы"),
    ("задание.exe.pdf", PDF, "программы"),
    ("program.elf.png", b"\x7fELF\x02", "программы"),
    ("script.js", b"alert(1)", "программы"),
    ("архив.zip", b"PK\x03\x04", "не принимаются"),
    ("пусто.txt", b"", "пустой"),
])
def test_executables_and_strange_files_are_refused(name, data, words):
    """R-LESSON-1: refused by extension and by content, with the Russian reason."""
    with pytest.raises(Refused) as exc:
        files.check_upload(name, data, 1024)
    assert exc.value.field == "file" and words in exc.value.message


def test_documents_pass_with_a_clean_name_and_our_content_type():
    assert files.check_upload("../../etc/Задание 1.PDF", PDF, 1024) == ("Задание 1.PDF", "application/pdf")
    assert files.check_upload("C:\\Users\\x\\фото:1.jpg", b"\xff\xd8\xff", 1024)[0] == "фото_1.jpg"
    with pytest.raises(Refused) as exc:
        files.check_upload("big.pdf", b"x" * (2 * 1024 + 1), 2)
    assert "больше 2 КБ" in exc.value.message


async def test_a_file_is_stored_once_and_downloaded_only_by_the_lessons_people(db):
    """R-LESSON-1, R-SEC-3: the same content is one file on disk; the teacher, the students of
    the lesson and their parents may download; an individual file only its student and family."""
    s = await journal_school()
    t = person(s, "uchitel", ("teacher",), "journal.teach")
    lesson = s.lessons[MONDAY]
    general = await lessons.do_attach_file(t, lesson, None, "Задание.pdf", PDF)
    own = await lessons.do_attach_file(t, lesson, s.people["pupil2"], "Карточка.pdf", PDF)
    rows = await HomeworkFile.select().order_by(HomeworkFile.id).run()
    assert rows[0]["sha256"] == rows[1]["sha256"]
    assert files.read(rows[0]["sha256"]) == PDF
    assert files.path_of(rows[0]["sha256"]).parent.name == rows[0]["sha256"][:2]
    row_general, row_own = await files.file_row(general), await files.file_row(own)
    pupil1 = person(s, "pupil1", ("student",))
    roditel = person(s, "roditel", ("parent",))
    other = person(s, "other", ("teacher",), "journal.teach")
    assert await files.may_download(t, row_general) and await files.may_download(t, row_own)
    assert await files.may_download(pupil1, row_general) and await files.may_download(roditel, row_general)
    assert not await files.may_download(pupil1, row_own) and not await files.may_download(roditel, row_own)
    assert not await files.may_download(other, row_general)
    await lessons.do_remove_file(t, general)
    assert await files.file_row(general) is None
    with pytest.raises(NotFound):
        await lessons.do_remove_file(other, own)


async def test_an_oversized_file_stores_nothing(db):
    """R-LESSON-1: over the school's limit — refused, no row and no file."""
    s = await journal_school()
    await JournalSetting.insert(JournalSetting(year=s.t.year, file_max_kb=1, plans_due=date(2026, 9, 10),
                                               updated_at=datetime.now(UTC))).run()
    t = person(s, "uchitel", ("teacher",), "journal.teach")
    data = b"%PDF" + b"y" * 2000
    with pytest.raises(Refused) as exc:
        await lessons.do_attach_file(t, s.lessons[MONDAY], None, "big.pdf", data)
    assert "больше 1 КБ" in exc.value.message
    assert await HomeworkFile.count().run() == 0
    import hashlib
    assert not files.path_of(hashlib.sha256(data).hexdigest()).exists()
