"""What a teacher writes about a lesson (R-LESSON-1, R-LESSON-2): the lesson's entry (topic —
typed or the thematic plan's item —, material covered, homework for everyone, comment, the kind
of work of its new grades), homework for one student, homework files. Attendance is a cell
(``cells.do_save_attendance``).

Every rule is checked here: the viewer writes this lesson (``access.may_write``; otherwise it
is «not found»), the year is open, the lesson is not cancelled, the texts are within limits,
a plan item is of the journal's active plan, the form was not made stale by another save
(``version``: the later writer is told what changed and nothing is overwritten), and the
lesson's lock (free for the school's days; later with a reason or as a correction awaiting a
deputy head). Topic and homework may be written ahead, for lessons still to come."""

from __future__ import annotations

import json
from dataclasses import dataclass

from service import forms
from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.journal import access, cells, files, rules
from service.journal.tables import Correction, HomeworkFile, IndividualHomework, LessonEntry
from service.timetable.tables import Lesson

FIELDS = ("topic", "plan_item", "material", "homework", "comment", "work_kind")
FIELD_NAMES = {"topic": "тема", "plan_item": "пункт КТП", "material": "пройденный материал",
               "homework": "домашнее задание", "comment": "комментарий учителя",
               "work_kind": "вид работы"}
TOPIC = forms.Text("Тема урока", forms.TEXT_MAX)
MATERIAL = forms.Text("Пройденный материал", forms.TEXT_MAX, multiline=True)
HOMEWORK = forms.Text("Домашнее задание", forms.TEXT_MAX, multiline=True)
COMMENT = forms.Text("Комментарий учителя", forms.TEXT_MAX, multiline=True)
INDIVIDUAL = forms.Text("Индивидуальное задание", forms.TEXT_MAX, multiline=True)


@dataclass
class EntrySaved:
    """What a save of the entry did: ``state`` "saved", "same" or "pending" (a correction
    awaits approval, ``correction`` its id); ``version`` the entry's version now."""

    state: str
    version: int
    correction: int | None = None
    changed: tuple[str, ...] = ()


async def writable_lesson(viewer: Viewer, lesson_id: int) -> dict:
    """The lesson, if the viewer writes it and it may be written at all."""
    lesson = await access.lesson(lesson_id)
    if not await access.may_write(viewer, lesson):
        raise NotFound()
    if lesson["year_closed_at"] is not None:
        raise Refused(f"Учебный год {lesson['year_name']} закрыт: его журнал только для чтения")
    if lesson["cancelled"]:
        raise Refused("Урок отменён: запись о нём не ведётся")
    return lesson


async def entry_of(lesson_id: int) -> dict | None:
    rows = await Lesson.raw(
        "SELECT id, topic, plan_item, material, homework, comment, work_kind, version, updated_at, "
        "updated_by, attendance_at FROM lesson_entry WHERE lesson = {}", lesson_id).run()
    return rows[0] if rows else None


async def plan_item_of(lesson: dict, item: int) -> dict:
    """The plan item, if it is of the lesson's journal's active thematic plan."""
    ref = access.ref_of_lesson(lesson)
    if ref is None:
        raise Refused("У индивидуального урока нет тематического плана", field="plan_item")
    column = "school_class" if ref.kind == "c" else "study_group"
    rows = await Lesson.raw(
        f"SELECT i.id, i.number, i.topic FROM plan_item i JOIN thematic_plan p ON p.id = i.plan "
        f"WHERE i.id = {{}} AND p.replaced_at IS NULL AND p.year = {{}} AND p.subject = {{}} "
        f"AND p.{column} = {{}}", item, lesson["year"], ref.subject, ref.owner).run()
    if not rows:
        raise Refused("Пункт КТП: выберите тему из тематического плана этого журнала", field="plan_item")
    return rows[0]


async def _changed_since(lesson_id: int, version: int) -> list[str]:
    """Fields other saves changed after ``version`` (read from their audit rows)."""
    rows = await Lesson.raw(
        "SELECT new FROM audit_event WHERE object_type = 'entry' AND object_id = {} "
        "AND action = 'journal.entry_saved' ORDER BY seq DESC LIMIT 50", str(lesson_id)).run()
    names: list[str] = []
    for r in rows:
        try:
            new = json.loads(r["new"])
        except (TypeError, ValueError):
            continue
        if isinstance(new, dict) and int(new.get("version") or 0) > version:
            names += [k for k in new if k in FIELDS and k not in names]
    return names


def _show(field: str, value) -> str:
    return "" if value is None else str(value)


async def do_save_entry(viewer: Viewer, lesson_id: int, topic: str, plan_item: int | None, material: str,
                        homework: str, comment: str, work_kind: int | None, reason: str = "", *,
                        version: int | None = None) -> EntrySaved:
    """Save the lesson's entry. ``version``: the version the form was made from (none: the
    entry is new to the writer — it must not exist yet, or is not checked when ``None`` is
    passed from code that does not track it, e.g. the command line)."""
    topic = forms.value(TOPIC, topic, "topic")
    material = forms.value(MATERIAL, material, "material")
    homework = forms.value(HOMEWORK, homework, "homework")
    comment = forms.value(COMMENT, comment, "comment")
    reason = cells.check_reason(reason)
    async with atomic():
        lesson = await writable_lesson(viewer, lesson_id)
        await xact_lock(f"entry:{lesson_id}")
        if plan_item is not None:
            item = await plan_item_of(lesson, plan_item)
            if not topic:
                topic = item["topic"][:forms.TEXT_MAX]
        if work_kind is not None:
            kinds = await Lesson.raw("SELECT id FROM work_kind WHERE id = {} AND active", work_kind).run()
            if not kinds:
                raise Refused("Вид работы: выберите из списка", field="work_kind")
        current = await entry_of(lesson_id)
        have = current["version"] if current else 0
        # a version bump that changed no field (the row made when attendance was taken) is no conflict
        changed = await _changed_since(lesson_id, version) if version is not None and version != have else []
        if changed:
            what = ", ".join(FIELD_NAMES[f] for f in changed)
            raise Refused(f"Пока вы заполняли форму, запись урока сохранили в другом окне или это "
                          f"сделал другой учитель (изменено: {what}). Ваши изменения не сохранены: "
                          f"откройте урок заново и внесите их ещё раз", field="version")
        new = {"topic": topic, "plan_item": plan_item, "material": material, "homework": homework,
               "comment": comment, "work_kind": work_kind}
        old = {f: (current[f] if current else (None if f in ("plan_item", "work_kind") else "")) for f in FIELDS}
        changes = {f: new[f] for f in FIELDS if _show(f, old[f]) != _show(f, new[f])}
        if not changes:
            return EntrySaved("same", have)
        state = await access.lock_state(lesson, access.school_today())
        if state != rules.FREE:
            if not reason:
                need = "approval" if state == rules.APPROVAL else "reason"
                raise cells.NeedReason(
                    "Урок закрыт для свободного исправления: укажите причину"
                    + (" — исправление уйдёт на утверждение заместителю директора" if need == "approval" else ""),
                    need)
            if state == rules.APPROVAL and not viewer.can("journal.approve"):
                return await _ask(viewer, lesson, have, {f: old[f] for f in changes}, changes, reason)
        version_now = await _write(viewer, lesson, current, changes, reason)
        return EntrySaved("saved", version_now, changed=tuple(changes))


async def _write(viewer: Viewer, lesson: dict, current: dict | None, changes: dict, reason: str,
                 correction: int | None = None) -> int:
    now = access.now()
    if current is None:
        version = 1
        await LessonEntry.insert(LessonEntry(lesson=lesson["id"], updated_at=now, updated_by=viewer.person_id,
                                             version=1, **changes)).run()
    else:
        version = current["version"] + 1
        values = {getattr(LessonEntry, f): v for f, v in changes.items()}
        await LessonEntry.update({**values, LessonEntry.updated_at: now, LessonEntry.updated_by: viewer.person_id,
                                  LessonEntry.version: version}).where(LessonEntry.id == current["id"]).run()
    await access.mark_has_records(lesson["id"])
    old = {f: (current[f] if current else None) for f in changes}
    new = {**changes, "version": version, "lesson": f"{lesson['on_date']:%d.%m.%Y} № {lesson['number']}"}
    if correction is not None:
        new["correction"] = correction
    await record(viewer.actor, "journal.entry_saved", "entry", str(lesson["id"]), old=old, new=new, reason=reason)
    return version


def _text(values: dict) -> str:
    return "\n".join(f"{FIELD_NAMES[f].capitalize()}: {_show(f, v) or '—'}" for f, v in values.items())


async def _ask(viewer: Viewer, lesson: dict, version: int, old: dict, changes: dict, reason: str) -> EntrySaved:
    pending = await Lesson.raw("SELECT id FROM correction WHERE target = 'entry' AND lesson = {} "
                               "AND status = 'pending'", lesson["id"]).run()
    if pending:
        raise Refused(f"Исправление записи этого урока (№ {pending[0]['id']}) уже ждёт утверждения",
                      field="version")
    field = next(iter(changes)) if len(changes) == 1 else "entry"
    row = (await Correction.insert(Correction(
        target="entry", lesson=lesson["id"], field=field, old_text=_text(old), new_text=_text(changes),
        payload=json.dumps({"version": version, "changes": changes}, ensure_ascii=False), reason=reason,
        requested_at=access.now(), requested_by=viewer.person_id)).returning(Correction.id).run())[0]["id"]
    await record(viewer.actor, "journal.correction_asked", "entry", str(lesson["id"]), old=old,
                 new={**changes, "correction": row}, reason=reason)
    return EntrySaved("pending", version, row, tuple(changes))


async def apply_entry_correction(approver: Viewer, correction: dict) -> None:
    """Inside the approving transaction: write an approved correction of a lesson's entry as
    asked, if the entry is still the version it was asked against (otherwise ``Refused``; the
    deputy head rejects it and the teacher asks again). The audit row names the approver and the
    correction; the teacher's reason is its reason."""
    lesson = await access.lesson(correction["lesson"])
    payload = json.loads(correction["payload"])
    await xact_lock(f"entry:{lesson['id']}")
    current = await entry_of(lesson["id"])
    if (current["version"] if current else 0) != payload["version"]:
        raise Refused("Запись урока изменилась после того, как исправление запросили: отклоните его, "
                      "учитель запросит исправление заново", field="version")
    changes = {f: v for f, v in payload["changes"].items() if f in FIELDS}
    await _write(approver, lesson, current, changes, correction["reason"], correction=correction["id"])


# --- homework for one student, files ------------------------------------------------------


async def _student_of(lesson: dict, student: int) -> None:
    ref = access.ref_of_lesson(lesson)
    day = lesson["on_date"]
    if ref is None:
        ok = lesson["student"] == student
    else:
        ok = access.belongs((await access.members(ref, day, day)).get(student, []), day)
    if not ok:
        raise Refused(f"Этот ученик не учился в {lesson['group_name'] or lesson['class_name'] or 'этом журнале'} "
                      f"{day:%d.%m.%Y}: задание ему не дать", field="student")


async def _still_open(viewer: Viewer, lesson: dict, field: str) -> None:
    """Individual homework and files of a lesson change freely while its entries do (the school's
    days, an open period); after that only a holder of ``journal.approve`` changes them — they
    are the lesson's record, as its topic is."""
    if viewer.can("journal.approve"):
        return
    if await access.lock_state(lesson, access.school_today()) != rules.FREE:
        s = await access.settings(lesson["year"])
        raise Refused(f"Урок {lesson['on_date']:%d.%m.%Y} закрыт для свободного исправления (прошло больше "
                      f"{s.edit_days} дн. или период закрыт): индивидуальные задания и файлы этого урока "
                      f"теперь меняет только заместитель директора", field=field)


async def do_set_individual_homework(viewer: Viewer, lesson_id: int, student: int, text: str) -> bool:
    """Homework for one student of the lesson (empty text: none). Returns whether anything
    changed."""
    text = forms.value(INDIVIDUAL, text, "individual")
    async with atomic():
        lesson = await writable_lesson(viewer, lesson_id)
        await _student_of(lesson, student)
        await _still_open(viewer, lesson, "individual")
        await xact_lock(f"homework:{lesson_id}:{student}")
        rows = await Lesson.raw("SELECT id, text FROM homework_individual WHERE lesson = {} AND student = {} "
                                "AND removed_at IS NULL ORDER BY id DESC LIMIT 1", lesson_id, student).run()
        old = rows[0]["text"] if rows else ""
        if old == text:
            return False
        now = access.now()
        if rows and text:
            await IndividualHomework.update({IndividualHomework.text: text, IndividualHomework.updated_at: now}).where(
                IndividualHomework.id == rows[0]["id"]).run()
        elif rows:
            await IndividualHomework.update({IndividualHomework.removed_at: now}).where(
                IndividualHomework.id == rows[0]["id"]).run()
        else:
            await IndividualHomework.insert(IndividualHomework(lesson=lesson_id, student=student, text=text,
                                                               updated_at=now)).run()
        await access.mark_has_records(lesson_id)
        await record(viewer.actor, "journal.homework_individual", "homework", access.cell_id(lesson_id, student),
                     old={"text": old}, new={"text": text})
        return True


async def do_attach_file(viewer: Viewer, lesson_id: int, student: int | None, name: str, data: bytes) -> int:
    """Attach a file to the lesson's homework (``student``: to that student's only). Refused
    when too big for the school's limit, a program or script, or not a document, image or
    sound; nothing is stored then."""
    async with atomic():
        lesson = await writable_lesson(viewer, lesson_id)
        if student is not None:
            await _student_of(lesson, student)
        await _still_open(viewer, lesson, "file")
        limit = (await access.settings(lesson["year"])).file_max_kb
        shown, content_type = files.check_upload(name, data, limit)
        sha = files.store(data)
        row = (await HomeworkFile.insert(HomeworkFile(
            lesson=lesson_id, student=student, name=shown, content_type=content_type, size=len(data),
            sha256=sha, uploaded_at=access.now(), uploaded_by=viewer.person_id))
            .returning(HomeworkFile.id).run())[0]["id"]
        await access.mark_has_records(lesson_id)
        await record(viewer.actor, "journal.file_added", "homework_file", row, new={
            "lesson": lesson_id, "student": student, "name": shown, "size": len(data), "sha256": sha})
        return row


async def do_remove_file(viewer: Viewer, file_id: int) -> int:
    """Take a file off the lesson's homework (the row stays, marked removed). Returns the lesson."""
    async with atomic():
        await xact_lock(f"homework_file:{file_id}")  # two at once: the second finds it removed
        row = await files.file_row(file_id)
        if row is None:
            raise NotFound()
        await _still_open(viewer, await writable_lesson(viewer, row["lesson"]), "file")
        await HomeworkFile.update({HomeworkFile.removed_at: access.now()}).where(HomeworkFile.id == file_id).run()
        await record(viewer.actor, "journal.file_removed", "homework_file", file_id,
                     old={"name": row["name"], "student": row["student"]})
        return row["lesson"]
