"""The lesson's entry and homework (R-LESSON-1, R-LESSON-2, R-SEC-3): what a teacher writes is
stored and audited, a stale form or a foreign plan item is refused in Russian and changes
nothing, locked lessons need a reason or an approved correction, and a teacher who does not
teach the lesson finds nothing."""

from datetime import UTC, date, datetime

import pytest

from service.accounts.viewer import Viewer
from service.audit.tables import AuditEvent
from service.db import atomic
from service.errors import NotFound, Refused
from service.journal import cells, lesson_queries, lessons
from service.journal.tables import (
    Correction,
    IndividualHomework,
    JournalSetting,
    LessonEntry,
    PlanItem,
    ThematicPlan,
)
from service.timetable.tables import Lesson
from tests.journal.factories import TODAY, journal_school

pytestmark = pytest.mark.anyio

MONDAY = date(2026, 11, 23)


def teacher(s, key="uchitel", *rights) -> Viewer:
    return Viewer(s.users.get(key, 1), key, s.people[key], key, ("teacher",),
                  frozenset({"journal.teach", *rights}))


def deputy(s) -> Viewer:
    return Viewer(s.users["admin"], "admin", s.people["admin"], "admin", ("deputy",),
                  frozenset({"journal.view", "journal.edit", "journal.approve"}))


async def plan(s, subject=None, replaced=False, topics=("Дроби", "Сложение дробей", "Вычитание дробей")) -> list[int]:
    now = datetime.now(UTC)
    p = (await ThematicPlan.insert(ThematicPlan(
        year=s.t.year, subject=subject or s.math.subject, school_class=s.math.owner, file_name="ктп.csv",
        total_hours=len(topics), imported_at=now, replaced_at=now if replaced else None))
        .returning(ThematicPlan.id).run())[0]["id"]
    return [(await PlanItem.insert(PlanItem(plan=p, number=i + 1, topic=t)).returning(PlanItem.id).run())[0]["id"]
            for i, t in enumerate(topics)]


async def entry(lesson_id):
    return await LessonEntry.select().where(LessonEntry.lesson == lesson_id).first().run()


async def save(t, lesson_id, version=0, topic="Дроби", homework="№ 12, 14", **kw):
    args = {"plan_item": None, "material": "", "comment": "", "work_kind": None, **kw}
    return await lessons.do_save_entry(t, lesson_id, topic, args["plan_item"], args["material"], homework,
                                       args["comment"], args["work_kind"], args.get("reason", ""), version=version)


async def test_entry_is_stored_versioned_and_audited(db):
    """R-LESSON-1: topic, material, homework, comment are stored; each save is one audit row
    with old and new values; the lesson now holds records."""
    s = await journal_school()
    t, lesson = teacher(s), s.lessons[MONDAY]
    saved = await save(t, lesson, material="Понятие дроби", comment="Класс работал хорошо")
    assert (saved.state, saved.version) == ("saved", 1)
    row = await entry(lesson)
    assert (row["topic"], row["homework"], row["material"], row["version"]) == ("Дроби", "№ 12, 14", "Понятие дроби", 1)
    assert (await Lesson.select(Lesson.has_records).where(Lesson.id == lesson).first().run())["has_records"]
    saved = await save(t, lesson, version=1, homework="№ 15", material="Понятие дроби", comment="Класс работал хорошо")
    assert (saved.state, saved.changed) == ("saved", ("homework",))
    assert (await entry(lesson))["version"] == 2
    same = await save(t, lesson, version=2, homework="№ 15", material="Понятие дроби", comment="Класс работал хорошо")
    assert same.state == "same"
    audit = await AuditEvent.select(AuditEvent.old, AuditEvent.new).where(
        AuditEvent.action == "journal.entry_saved").order_by(AuditEvent.seq).run()
    assert len(audit) == 2 and '"homework":"№ 12, 14"' in audit[1]["old"] and '"№ 15"' in audit[1]["new"]


async def test_a_stale_form_is_refused_naming_what_changed(db):
    """R-SEC-3: two tabs or two teachers: the later save of an old form overwrites nothing."""
    s = await journal_school()
    lesson = s.lessons[MONDAY]
    await save(teacher(s), lesson, topic="Дроби")
    await save(teacher(s, "klruk"), lesson, version=1, topic="Дроби", homework="Стр. 40")
    with pytest.raises(Refused) as exc:
        await save(teacher(s), lesson, version=1, topic="Десятичные дроби")
    assert "домашнее задание" in exc.value.message and "не сохранены" in exc.value.message
    assert (await entry(lesson))["topic"] == "Дроби"


async def test_topic_from_the_active_plan_only(db):
    """R-LESSON-2: a topic is picked from the journal's active thematic plan; an item of a
    replaced plan is refused; an empty topic takes the item's text."""
    s = await journal_school()
    t, lesson = teacher(s), s.lessons[MONDAY]
    old_items = await plan(s, replaced=True)
    items = await plan(s)
    with pytest.raises(Refused) as exc:
        await save(t, lesson, topic="", plan_item=old_items[0])
    assert exc.value.field == "plan_item" and "КТП" in exc.value.message
    assert await entry(lesson) is None
    await save(t, lesson, topic="", plan_item=items[0])
    assert ((await entry(lesson))["topic"], (await entry(lesson))["plan_item"]) == ("Дроби", items[0])


async def test_lesson_page_suggests_the_next_unused_plan_item(db):
    """R-LESSON-2: used plan items are marked and the next one is preselected."""
    s = await journal_school()
    t = teacher(s)
    items = await plan(s)
    await save(t, s.lessons[date(2026, 11, 20)], topic="", plan_item=items[0])
    page = await lesson_queries.lesson_page(t, s.lessons[MONDAY])
    assert [i["used"] for i in page["plan"]] == [True, False, False]
    assert page["suggested_item"] == items[1]
    assert [st["name"] for st in page["students"]] == ["Морозов Артём", "Павлова Софья"]
    assert page["writable"] and page["lesson"]["time"] == "9:25–10:10"


async def test_a_foreign_teacher_finds_nothing(db):
    """R-SEC-3: a teacher without the class's load neither reads nor writes the lesson."""
    s = await journal_school()
    foreign = teacher(s, "other")
    with pytest.raises(NotFound):
        await save(foreign, s.lessons[MONDAY])
    with pytest.raises(NotFound):
        await lesson_queries.lesson_page(foreign, s.lessons[MONDAY])
    with pytest.raises(NotFound):
        await lessons.do_set_individual_homework(foreign, s.lessons[MONDAY], s.people["pupil1"], "Стр. 5")
    assert await LessonEntry.count().run() == 0


async def test_homework_may_be_written_ahead_and_texts_are_limited(db):
    """R-LESSON-1: homework and topic for a lesson still to come; a text over the limit is refused."""
    s = await journal_school()
    future = s.lessons[date(2026, 12, 2)]
    assert (await save(teacher(s), future, homework="Повторить таблицу")).state == "saved"
    with pytest.raises(Refused) as exc:
        await save(teacher(s), s.lessons[MONDAY], topic="т" * 5001)
    assert exc.value.field == "topic" and "5000" in exc.value.message.replace("\u00a0", "").replace(" ", "")


async def test_a_locked_lesson_needs_a_reason(db):
    """R-GRADE-5 (locks): after the free days the entry changes only with a reason, which the
    audit row keeps."""
    s = await journal_school()
    old = s.lessons[date(2026, 11, 2)]
    with pytest.raises(cells.NeedReason) as exc:
        await save(teacher(s), old)
    assert exc.value.need == "reason" and "причину" in exc.value.message
    assert await entry(old) is None
    await save(teacher(s), old, reason="Тему забыли записать")
    row = await AuditEvent.select(AuditEvent.reason).where(AuditEvent.action == "journal.entry_saved").first().run()
    assert row["reason"] == "Тему забыли записать"


async def test_with_approval_the_change_waits_for_the_deputy(db):
    """R-GRADE-5: with approval required a locked entry becomes a correction; approving applies it."""
    s = await journal_school()
    await JournalSetting.insert(JournalSetting(year=s.t.year, approval_required=True, plans_due=date(2026, 9, 10),
                                               updated_at=datetime.now(UTC))).run()
    old = s.lessons[date(2026, 11, 2)]
    saved = await save(teacher(s), old, topic="Дроби", reason="Тема не была записана")
    assert saved.state == "pending" and await entry(old) is None
    corr = await Correction.select().where(Correction.id == saved.correction).first().run()
    assert (corr["target"], corr["status"], corr["lesson"]) == ("entry", "pending", old)
    assert "Тема: Дроби" in corr["new_text"]
    with pytest.raises(Refused):
        await save(teacher(s), old, topic="Другое", reason="ещё раз")
    async with atomic():
        await lessons.apply_entry_correction(deputy(s), corr)
    assert (await entry(old))["topic"] == "Дроби"


async def test_individual_homework_for_a_student_of_the_lesson(db):
    """R-LESSON-1: homework for one student; an empty text takes it back; a student who was not
    in the class that day is refused."""
    s = await journal_school()
    t, lesson, p1 = teacher(s), s.lessons[MONDAY], s.people["pupil1"]
    assert await lessons.do_set_individual_homework(t, lesson, p1, "Карточка № 3")
    assert not await lessons.do_set_individual_homework(t, lesson, p1, "Карточка № 3")
    page = await lesson_queries.lesson_page(t, lesson)
    assert [st["individual"] for st in page["students"]] == ["Карточка № 3", ""]
    assert await lessons.do_set_individual_homework(t, lesson, p1, "")
    assert await IndividualHomework.count().where(IndividualHomework.removed_at.is_null()).run() == 0
    with pytest.raises(Refused) as exc:
        await lessons.do_set_individual_homework(t, lesson, s.people["pupil3"], "Стр. 7")
    assert exc.value.field == "student"
    assert await AuditEvent.count().where(AuditEvent.action == "journal.homework_individual").run() == 2


async def test_today_lists_the_teachers_lessons_and_reminds_about_attendance(db):
    """R-ATT-1: «Мои уроки сегодня» in bell order; a started lesson without attendance is a
    reminder until the attendance is saved."""
    s = await journal_school()
    t = teacher(s)
    rows = await lesson_queries.day_lessons(t, TODAY)
    assert [(r["number"], r["who"], r["subject_name"], r["time"]) for r in rows] == [
        (2, "5А", "Математика", "9:25–10:10")]
    assert lesson_queries.reminders(rows, TODAY, TODAY, 9 * 60) == []
    assert [r["id"] for r in lesson_queries.reminders(rows, TODAY, TODAY, 10 * 60)] == [s.lessons[TODAY]]
    await cells.do_save_attendance(t, s.lessons[TODAY], {s.people["pupil1"]: "absent", s.people["pupil2"]: None})
    rows = await lesson_queries.day_lessons(t, TODAY)
    assert rows[0]["attendance_taken"] and lesson_queries.reminders(rows, TODAY, TODAY, 10 * 60) == []


async def test_a_locked_lessons_individual_homework_and_files_are_the_deputys(db):
    """R-GRADE-5 (locks), R-LESSON-1: past the free days a teacher changes no individual
    homework and no file of the lesson — the refusal says why and who may; the deputy head may."""
    s = await journal_school()
    old, p1 = s.lessons[date(2026, 11, 2)], s.people["pupil1"]
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    for attempt in (lambda: lessons.do_set_individual_homework(teacher(s), old, p1, "Карточка № 3"),
                    lambda: lessons.do_attach_file(teacher(s), old, None, "Задание.pdf", pdf)):
        with pytest.raises(Refused) as exc:
            await attempt()
        assert "закрыт для свободного исправления" in exc.value.message and "заместитель" in exc.value.message
    assert await IndividualHomework.count().run() == 0
    assert await lessons.do_set_individual_homework(deputy(s), old, p1, "Карточка № 3")
    assert await AuditEvent.count().where(AuditEvent.action == "journal.homework_individual").run() == 1
