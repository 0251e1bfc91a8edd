"""Everything that writes the school's calendar and structure: years, periods, calendar days,
subjects, classes, groups, teaching load. Each ``do_*`` checks every rule itself (a direct POST
that skipped the page meets the same refusals), writes its change and its audit row in one
transaction; a refusal raises ``Refused`` and writes nothing. A closed year is read-only."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

from service import forms
from service.accounts.tables import Person
from service.audit.log import Actor, record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.school import rules
from service.school.tables import (
    AcademicYear,
    CalendarDay,
    SchoolClass,
    StaffMember,
    StudyGroup,
    StudyPeriod,
    Subject,
    TeachingLoad,
)

CLOSED = "Учебный год {name} закрыт: его данные только для чтения"
SUBJECT_MAX, SHORT_NAME_MAX, PERIOD_NAME_MAX, GROUP_NAME_MAX = 150, 30, 40, 100


def now() -> datetime:
    return datetime.now(UTC)


def _text(value: str, label: str, limit: int, field: str, required: bool = True) -> str:
    """The same limits as the form, for callers that are not a form (the command line, imports)."""
    return forms.value(forms.Text(label, limit, required=required), value, field)


async def _year(year_id: int, *, open_only: bool = True) -> dict:
    row = await AcademicYear.select().where(AcademicYear.id == year_id).first().run()
    if row is None:
        raise NotFound()
    if open_only and row["closed_at"] is not None:
        raise Refused(CLOSED.format(name=row["name"]))
    return row


def _iso(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}


# --- years ----------------------------------------------------------------------------------


async def do_create_year(actor: Actor, name: str, starts_on: date, ends_on: date, *,
                         junior: str = "quarters", copy_from: int | None = None,
                         make_current: bool = False) -> int:
    """A new academic year with its periods and calendar: the usual Russian dates (quarters for
    1–9 or trimesters, half-years for 10–11), or those of ``copy_from`` moved to the new dates
    — the structure only, never people."""
    name = _text(name, "Название", 20, "name")
    if junior not in ("quarters", "trimesters"):
        raise Refused("Периоды 1–9 классов: четверти или триместры", field="junior")
    async with atomic():
        await xact_lock("academic_year")
        years = await AcademicYear.select().run()
        rules.check_year(name, starts_on, ends_on, [(y["name"], y["starts_on"], y["ends_on"]) for y in years])
        current = [y for y in years if y["is_current"]]
        if make_current and current:
            raise Refused(f"Текущий учебный год уже есть ({current[0]['name']}): сделайте новый год "
                          "текущим на его странице, когда он начнётся", field="make_current")
        if copy_from is not None:
            source = next((y for y in years if y["id"] == copy_from), None)
            if source is None:
                raise Refused("Выберите год, из которого скопировать календарь", field="copy_from")
            periods, days = rules.shift_calendar(
                [rules.Period(p["scheme"], p["number"], p["name"], p["grade_from"], p["grade_to"],
                              p["starts_on"], p["ends_on"])
                 for p in await StudyPeriod.select().where(StudyPeriod.year == copy_from)
                 .order_by(StudyPeriod.id).run()],
                [rules.Day(d["kind"], d["name"], d["grade_from"], d["grade_to"], d["starts_on"], d["ends_on"])
                 for d in await CalendarDay.select().where(CalendarDay.year == copy_from)
                 .order_by(CalendarDay.id).run()],
                source["starts_on"], starts_on, ends_on)
        else:
            periods = rules.default_periods(starts_on, ends_on, junior)
            days = rules.default_days(starts_on, ends_on)
        year_id = (await AcademicYear.insert(AcademicYear(
            name=name, starts_on=starts_on, ends_on=ends_on, is_current=make_current))
            .returning(AcademicYear.id).run())[0]["id"]
        if periods:
            await StudyPeriod.insert(*[StudyPeriod(
                year=year_id, scheme=p.scheme, number=p.number, name=p.name, grade_from=p.grade_from,
                grade_to=p.grade_to, starts_on=p.starts_on, ends_on=p.ends_on) for p in periods]).run()
        if days:
            await CalendarDay.insert(*[CalendarDay(
                year=year_id, kind=d.kind, name=d.name, grade_from=d.grade_from, grade_to=d.grade_to,
                starts_on=d.starts_on, ends_on=d.ends_on) for d in days]).run()
        await record(actor, "school.year_created", "academic_year", year_id, new={
            "name": name, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
            "is_current": make_current, "copied_from": copy_from,
            "periods": [_iso(asdict(p)) for p in periods], "days": [_iso(asdict(d)) for d in days]})
    return year_id


async def do_make_current(actor: Actor, year_id: int) -> None:
    """The year the journal works in («текущий»): exactly one at a time."""
    async with atomic():
        await xact_lock("academic_year")
        year = await _year(year_id)
        if year["is_current"]:
            return
        before = await AcademicYear.select(AcademicYear.name).where(AcademicYear.is_current.eq(True)).run()
        await AcademicYear.update({AcademicYear.is_current: False}).where(AcademicYear.is_current.eq(True)).run()
        await AcademicYear.update({AcademicYear.is_current: True}).where(AcademicYear.id == year_id).run()
        await record(actor, "school.year_made_current", "academic_year", year_id,
                     old=[r["name"] for r in before], new=year["name"])


# --- periods and calendar days --------------------------------------------------------------


def _period(row: dict) -> rules.Period:
    return rules.Period(row["scheme"], row["number"], row["name"], row["grade_from"], row["grade_to"],
                        row["starts_on"], row["ends_on"], row["id"])


async def do_add_period(actor: Actor, year_id: int, scheme: str, number: int, grade_from: int,
                        grade_to: int, starts_on: date, ends_on: date, name: str = "") -> int:
    name = _text(name, "Название периода", PERIOD_NAME_MAX, "name", required=False)
    async with atomic():
        await xact_lock(f"calendar:{year_id}")
        year = await _year(year_id)
        new = rules.Period(scheme, number, name, grade_from, grade_to, starts_on, ends_on)
        existing = [_period(p) for p in await StudyPeriod.select().where(StudyPeriod.year == year_id).run()]
        rules.check_period(new, year["starts_on"], year["ends_on"], existing)
        name = name or rules.period_name(scheme, number)
        row = {"scheme": scheme, "number": number, "name": name, "grade_from": grade_from,
               "grade_to": grade_to, "starts_on": starts_on, "ends_on": ends_on}
        period_id = (await StudyPeriod.insert(StudyPeriod(year=year_id, **row))
                     .returning(StudyPeriod.id).run())[0]["id"]
        await record(actor, "school.period_added", "study_period", period_id, new=_iso(row))
    return period_id


async def do_change_period(actor: Actor, period_id: int, starts_on: date, ends_on: date,
                           name: str = "") -> None:
    """New dates (and name) of a period; the same rules as for a new one."""
    name = _text(name, "Название периода", PERIOD_NAME_MAX, "name", required=False)
    async with atomic():
        old = await StudyPeriod.select().where(StudyPeriod.id == period_id).first().run()
        if old is None:
            raise NotFound()
        await xact_lock(f"calendar:{old['year']}")
        year = await _year(old["year"])
        changed = _period({**old, "starts_on": starts_on, "ends_on": ends_on, "name": name or old["name"]})
        existing = [_period(p) for p in await StudyPeriod.select().where(StudyPeriod.year == old["year"]).run()]
        rules.check_period(changed, year["starts_on"], year["ends_on"], existing)
        await StudyPeriod.update({StudyPeriod.starts_on: starts_on, StudyPeriod.ends_on: ends_on,
                                  StudyPeriod.name: changed.name}).where(StudyPeriod.id == period_id).run()
        await record(actor, "school.period_changed", "study_period", period_id,
                     old=_iso({k: old[k] for k in ("name", "starts_on", "ends_on")}),
                     new=_iso({"name": changed.name, "starts_on": starts_on, "ends_on": ends_on}))


async def do_add_day(actor: Actor, year_id: int, kind: str, name: str, grade_from: int, grade_to: int,
                     starts_on: date, ends_on: date) -> int:
    """Holidays, a public holiday or day off, or a working day moved to a weekend."""
    name = _text(name, "Название", forms.NAME_MAX, "name")
    async with atomic():
        year = await _year(year_id)
        new = rules.Day(kind, name, grade_from, grade_to, starts_on, ends_on)
        rules.check_day(new, year["starts_on"], year["ends_on"])
        row = {"kind": kind, "name": name, "grade_from": grade_from, "grade_to": grade_to,
               "starts_on": starts_on, "ends_on": ends_on}
        day_id = (await CalendarDay.insert(CalendarDay(year=year_id, **row))
                  .returning(CalendarDay.id).run())[0]["id"]
        await record(actor, "school.day_added", "calendar_day", day_id, new=_iso(row))
    return day_id


async def do_change_day(actor: Actor, day_id: int, name: str, starts_on: date, ends_on: date) -> None:
    """New dates or name of a calendar entry (a mistaken one is moved, not deleted)."""
    name = _text(name, "Название", forms.NAME_MAX, "name")
    async with atomic():
        old = await CalendarDay.select().where(CalendarDay.id == day_id).first().run()
        if old is None:
            raise NotFound()
        year = await _year(old["year"])
        rules.check_day(rules.Day(old["kind"], name, old["grade_from"], old["grade_to"], starts_on, ends_on),
                        year["starts_on"], year["ends_on"])
        await CalendarDay.update({CalendarDay.name: name, CalendarDay.starts_on: starts_on,
                                  CalendarDay.ends_on: ends_on}).where(CalendarDay.id == day_id).run()
        await record(actor, "school.day_changed", "calendar_day", day_id,
                     old=_iso({k: old[k] for k in ("name", "starts_on", "ends_on")}),
                     new=_iso({"name": name, "starts_on": starts_on, "ends_on": ends_on}))


# --- subjects -------------------------------------------------------------------------------


def _same_name(a: str, b: str) -> bool:
    """«Математика» and «математика », «Ёлочка» and «Елочка» are one name."""
    def norm(s: str) -> str:
        return " ".join(s.replace("ё", "е").replace("Ё", "Е").casefold().split())
    return norm(a) == norm(b)


async def _subject_fields(name: str, short_name: str) -> tuple[str, str]:
    name = " ".join(_text(name, "Название предмета", SUBJECT_MAX, "name").split())
    short_name = _text(short_name, "Краткое название", SHORT_NAME_MAX, "short_name", required=False)
    rules.check_named(name, "name", "Предмет")
    return name, short_name


async def do_create_subject(actor: Actor, name: str, short_name: str = "") -> int:
    name, short_name = await _subject_fields(name, short_name)
    async with atomic():
        await xact_lock("subject")
        for other in await Subject.select(Subject.name).run():
            if _same_name(other["name"], name):
                raise Refused(f"Предмет «{other['name']}» уже есть", field="name")
        subject_id = (await Subject.insert(Subject(name=name, short_name=short_name))
                      .returning(Subject.id).run())[0]["id"]
        await record(actor, "school.subject_created", "subject", subject_id,
                     new={"name": name, "short_name": short_name})
    return subject_id


async def do_change_subject(actor: Actor, subject_id: int, name: str, short_name: str = "") -> None:
    name, short_name = await _subject_fields(name, short_name)
    async with atomic():
        await xact_lock("subject")
        old = await Subject.select().where(Subject.id == subject_id).first().run()
        if old is None:
            raise NotFound()
        for other in await Subject.select(Subject.id, Subject.name).where(Subject.id != subject_id).run():
            if _same_name(other["name"], name):
                raise Refused(f"Предмет «{other['name']}» уже есть", field="name")
        await Subject.update({Subject.name: name, Subject.short_name: short_name}).where(
            Subject.id == subject_id).run()
        await record(actor, "school.subject_changed", "subject", subject_id,
                     old={"name": old["name"], "short_name": old["short_name"]},
                     new={"name": name, "short_name": short_name})


# --- classes --------------------------------------------------------------------------------


async def _check_staff(person_id: int, day: date, field: str, label: str) -> None:
    """``person_id`` works at the school on ``day`` (a staff post in force)."""
    person = await Person.select(Person.id).where(Person.id == person_id).first().run()
    if person is None:
        raise Refused(f"{label}: выберите сотрудника из списка", field=field)
    post = await StaffMember.select(StaffMember.starts_on, StaffMember.ends_on).where(
        StaffMember.person == person_id).first().run()
    if post is None:
        raise Refused(f"{label}: этот человек не сотрудник школы", field=field)
    if post["starts_on"] > day:
        raise Refused(f"{label}: работает в школе только с {post['starts_on']:%d.%m.%Y}", field=field)
    if post["ends_on"] is not None and post["ends_on"] < day:
        raise Refused(f"{label}: уволен(а) {post['ends_on']:%d.%m.%Y}", field=field)


async def do_create_class(actor: Actor, year_id: int, grade: int, letter: str, week_days: int = 5,
                          class_teacher: int | None = None, day: date | None = None) -> int:
    """«7Б» of a year: unique within the year; its class teacher works at the school on ``day``."""
    rules.check_class(grade, week_days)
    letter = rules.clean_letter(_text(letter, "Буква", 4, "letter"))
    name = rules.class_name(grade, letter)
    async with atomic():
        await xact_lock(f"class:{year_id}:{name}")  # one class «7Б» in a year
        await _year(year_id)
        if class_teacher is not None:
            await _check_staff(class_teacher, day or date.today(), "class_teacher", "Классный руководитель")
        if await SchoolClass.exists().where((SchoolClass.year == year_id) & (SchoolClass.name == name)).run():
            raise Refused(f"Класс {name} в этом году уже есть", field="letter")
        row = {"grade": grade, "letter": letter, "name": name, "class_teacher": class_teacher,
               "week_days": week_days}
        class_id = (await SchoolClass.insert(SchoolClass(year=year_id, created_at=now(), **row))
                    .returning(SchoolClass.id).run())[0]["id"]
        await record(actor, "school.class_created", "school_class", class_id, new={"year": year_id, **row})
    return class_id


async def do_change_class(actor: Actor, class_id: int, week_days: int, class_teacher: int | None,
                          day: date | None = None) -> None:
    """A class's teacher and its five- or six-day week."""
    if week_days not in rules.WEEK_DAYS:
        raise Refused("Учебная неделя: пять или шесть дней", field="week_days")
    async with atomic():
        old = await SchoolClass.select().where(SchoolClass.id == class_id).first().run()
        if old is None:
            raise NotFound()
        await _year(old["year"])
        if class_teacher is not None and class_teacher != old["class_teacher"]:
            await _check_staff(class_teacher, day or date.today(), "class_teacher", "Классный руководитель")
        if (week_days, class_teacher) == (old["week_days"], old["class_teacher"]):
            return
        await SchoolClass.update({SchoolClass.week_days: week_days, SchoolClass.class_teacher: class_teacher}).where(
            SchoolClass.id == class_id).run()
        await record(actor, "school.class_changed", "school_class", class_id,
                     old={"week_days": old["week_days"], "class_teacher": old["class_teacher"]},
                     new={"week_days": week_days, "class_teacher": class_teacher})


# --- groups ---------------------------------------------------------------------------------


async def do_create_group(actor: Actor, year_id: int, kind: str, name: str, school_class: int | None = None,
                          subject: int | None = None) -> int:
    """A subgroup of a class for a subject («7Б англ. 1 группа»), or a cross-class group: a
    profile course, an elective, a факультатив, a club, ГПД, additional education. Each gets
    its own journal (R-JOURNAL-1); its members come from the order book."""
    if kind not in rules.GROUP_KINDS:
        raise Refused("Вид группы: выберите из списка", field="kind")
    name = " ".join(_text(name, "Название группы", GROUP_NAME_MAX, "name").split())
    rules.check_named(name, "name", "Группа")
    async with atomic():
        await xact_lock(f"group:{year_id}")
        await _year(year_id)
        if kind == "subgroup":
            if school_class is None:
                raise Refused("Подгруппа: выберите класс", field="school_class")
            if subject is None:
                raise Refused("Подгруппа: выберите предмет", field="subject")
        elif school_class is not None:
            raise Refused("Класс указывают только у подгруппы класса", field="school_class")
        if school_class is not None and not await SchoolClass.exists().where(
                (SchoolClass.id == school_class) & (SchoolClass.year == year_id)).run():
            raise Refused("Класс: выберите класс этого учебного года", field="school_class")
        if subject is not None and not await Subject.exists().where(Subject.id == subject).run():
            raise Refused("Предмет: выберите из списка", field="subject")
        for other in await StudyGroup.select(StudyGroup.name).where(StudyGroup.year == year_id).run():
            if _same_name(other["name"], name):
                raise Refused(f"Группа «{other['name']}» в этом году уже есть", field="name")
        row = {"kind": kind, "name": name, "school_class": school_class, "subject": subject}
        group_id = (await StudyGroup.insert(StudyGroup(year=year_id, created_at=now(), **row))
                    .returning(StudyGroup.id).run())[0]["id"]
        await record(actor, "school.group_created", "study_group", group_id, new={"year": year_id, **row})
    return group_id


# --- teaching load --------------------------------------------------------------------------


async def _target_year(school_class: int | None, study_group: int | None) -> dict:
    """The (open) year of the class or group a load row is for."""
    if (school_class is None) == (study_group is None):
        raise Refused("Укажите либо класс, либо группу (одно из двух)", field="school_class")
    if school_class is not None:
        row = await SchoolClass.select(SchoolClass.year).where(SchoolClass.id == school_class).first().run()
        field = "school_class"
    else:
        row = await StudyGroup.select(StudyGroup.year).where(StudyGroup.id == study_group).first().run()
        field = "study_group"
    if row is None:
        raise Refused("Выберите класс или группу из списка", field=field)
    try:
        return await _year(row["year"])
    except Refused as exc:
        raise Refused(exc.message, field=field) from None


def _load_key(teacher: int, subject: int, school_class: int | None, study_group: int | None) -> str:
    return f"load:{teacher}:{subject}:{school_class}:{study_group}"


async def _check_open_duplicate(teacher: int, subject: int, school_class: int | None,
                                study_group: int | None, except_id: int | None = None) -> None:
    query = TeachingLoad.select(TeachingLoad.id).where(
        (TeachingLoad.teacher == teacher) & (TeachingLoad.subject == subject)
        & TeachingLoad.ends_on.is_null())
    query = query.where(TeachingLoad.school_class == school_class if school_class is not None
                        else TeachingLoad.school_class.is_null())
    query = query.where(TeachingLoad.study_group == study_group if study_group is not None
                        else TeachingLoad.study_group.is_null())
    if except_id is not None:
        query = query.where(TeachingLoad.id != except_id)
    if await query.first().run():
        raise Refused("У этого учителя уже есть действующая нагрузка по этому предмету в этом классе "
                      "или группе: измените её часы, а не добавляйте вторую", field="teacher")


def _within_year(day: date, year: dict, field: str) -> None:
    if not year["starts_on"] <= day <= year["ends_on"]:
        raise Refused(f"Дата вне учебного года {year['name']} "
                      f"({year['starts_on']:%d.%m.%Y}–{year['ends_on']:%d.%m.%Y})", field=field)


async def do_add_load(actor: Actor, teacher: int, subject: int, hours: int, starts_on: date,
                      school_class: int | None = None, study_group: int | None = None) -> int:
    """«Учебная нагрузка»: a teacher teaches a subject in a class or a group, so many hours a
    week, from ``starts_on`` (R-ORG-2)."""
    rules.check_hours(hours)
    async with atomic():
        await xact_lock(_load_key(teacher, subject, school_class, study_group))  # one open load row
        year = await _target_year(school_class, study_group)
        _within_year(starts_on, year, "starts_on")
        if not await Subject.exists().where(Subject.id == subject).run():
            raise Refused("Предмет: выберите из списка", field="subject")
        await _check_staff(teacher, starts_on, "teacher", "Учитель")
        await _check_open_duplicate(teacher, subject, school_class, study_group)
        row = {"teacher": teacher, "subject": subject, "school_class": school_class,
               "study_group": study_group, "hours_per_week": hours, "starts_on": starts_on}
        load_id = (await TeachingLoad.insert(TeachingLoad(**row)).returning(TeachingLoad.id).run())[0]["id"]
        await record(actor, "school.load_added", "teaching_load", load_id, new=_iso(row))
    return load_id


async def _open_load(load_id: int) -> dict:
    row = await TeachingLoad.select().where(TeachingLoad.id == load_id).first().run()
    if row is None:
        raise NotFound()
    return row


async def do_change_load(actor: Actor, load_id: int, teacher: int, hours: int, from_date: date) -> int:
    """New hours or a new teacher from ``from_date``: the old row ends the day before and a new
    one begins, so who taught what and when stays on record. Returns the new row's id."""
    rules.check_hours(hours)
    old = await _open_load(load_id)
    keys = [_load_key(old["teacher"], old["subject"], old["school_class"], old["study_group"]),
            _load_key(teacher, old["subject"], old["school_class"], old["study_group"])]
    async with atomic():
        await xact_lock(*keys)
        old = await _open_load(load_id)  # again, under the lock
        year = await _target_year(old["school_class"], old["study_group"])
        if old["ends_on"] is not None:
            raise Refused(f"Эта нагрузка закончилась {old['ends_on']:%d.%m.%Y}: изменить можно "
                          "только действующую", field="from_date")
        if (teacher, hours) == (old["teacher"], old["hours_per_week"]):
            raise Refused("Ничего не изменилось: укажите другие часы или другого учителя", field="hours")
        if from_date <= old["starts_on"]:
            raise Refused(f"Дата изменения должна быть позже начала нагрузки "
                          f"({old['starts_on']:%d.%m.%Y})", field="from_date")
        _within_year(from_date, year, "from_date")
        await _check_staff(teacher, from_date, "teacher", "Учитель")
        await _check_open_duplicate(teacher, old["subject"], old["school_class"], old["study_group"],
                                    except_id=load_id)
        last_day = from_date - timedelta(days=1)
        await TeachingLoad.update({TeachingLoad.ends_on: last_day}).where(TeachingLoad.id == load_id).run()
        row = {"teacher": teacher, "subject": old["subject"], "school_class": old["school_class"],
               "study_group": old["study_group"], "hours_per_week": hours, "starts_on": from_date}
        new_id = (await TeachingLoad.insert(TeachingLoad(**row)).returning(TeachingLoad.id).run())[0]["id"]
        await record(actor, "school.load_changed", "teaching_load", new_id,
                     old=_iso({"id": load_id, "teacher": old["teacher"], "hours_per_week": old["hours_per_week"],
                               "ends_on": last_day}), new=_iso(row))
    return new_id


async def do_end_load(actor: Actor, load_id: int, last_day: date) -> None:
    """The teacher stops teaching this class or group after ``last_day``."""
    async with atomic():
        old = await _open_load(load_id)
        await xact_lock(_load_key(old["teacher"], old["subject"], old["school_class"], old["study_group"]))
        old = await _open_load(load_id)
        year = await _target_year(old["school_class"], old["study_group"])
        if old["ends_on"] is not None:
            raise Refused(f"Эта нагрузка уже закончилась {old['ends_on']:%d.%m.%Y}", field="last_day")
        if last_day < old["starts_on"]:
            raise Refused(f"Последний день не раньше начала нагрузки ({old['starts_on']:%d.%m.%Y})",
                          field="last_day")
        _within_year(last_day, year, "last_day")
        await TeachingLoad.update({TeachingLoad.ends_on: last_day}).where(TeachingLoad.id == load_id).run()
        await record(actor, "school.load_ended", "teaching_load", load_id, old={"ends_on": None},
                     new={"ends_on": last_day.isoformat()})
