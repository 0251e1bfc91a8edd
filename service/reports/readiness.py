"""«Готовность школы»: the education authority's check-list of a fully set-up journal (003,
list 1), item by item, counted from the data in one query — what is done, what is missing, and
where to fix it. Items whose part of the journal is still being built say so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.school.queries import in_force
from service.school.tables import SchoolClass


@dataclass(frozen=True)
class Item:
    number: str  # the item's number in the check-list
    title: str
    state: str  # "ok" | "partial" | "missing" | "later"
    detail: str
    link: str = ""
    link_text: str = ""


def _share(part: int, whole: int) -> str:
    return f"{part} из {whole}" + (f" ({round(100 * part / whole)} %)" if whole else "")


_SQL = f"""
SELECT
  (SELECT id FROM academic_year WHERE is_current = {{}} ORDER BY starts_on DESC LIMIT 1) AS year,
  (SELECT COUNT(*) FROM staff_member s WHERE {in_force("s")}) AS staff,
  (SELECT COUNT(DISTINCT t.teacher) FROM teaching_load t WHERE {in_force("t")}) AS teachers,
  (SELECT COUNT(*) FROM school_class c JOIN academic_year y ON y.id = c.year
     WHERE y.is_current = {{}}) AS classes,
  (SELECT COUNT(*) FROM school_class c JOIN academic_year y ON y.id = c.year
     WHERE y.is_current = {{}} AND c.class_teacher IS NULL) AS classes_without_teacher,
  (SELECT COUNT(*) FROM school_class c JOIN academic_year y ON y.id = c.year
     WHERE y.is_current = {{}} AND NOT EXISTS (
       SELECT 1 FROM teaching_load t WHERE {in_force("t")} AND (t.school_class = c.id OR
         t.study_group IN (SELECT g.id FROM study_group g WHERE g.school_class = c.id))))
     AS classes_without_load,
  (SELECT COUNT(DISTINCT e.student) FROM enrolment e WHERE {in_force("e")}) AS students,
  (SELECT COUNT(DISTINCT e.student) FROM enrolment e JOIN person p ON p.id = e.student
     WHERE {in_force("e")} AND p.birth_date IS NOT NULL) AS students_with_birth_date,
  (SELECT COUNT(DISTINCT e.student) FROM enrolment e
     WHERE {in_force("e")} AND EXISTS (SELECT 1 FROM parent_link l WHERE l.child = e.student))
     AS students_with_parents,
  (SELECT COUNT(DISTINCT e.student) FROM enrolment e
     WHERE {in_force("e")} AND EXISTS (SELECT 1 FROM pd_consent k WHERE k.person = e.student
       AND k.withdrawn_on IS NULL)) AS students_with_consent,
  (SELECT COUNT(DISTINCT l.parent) FROM parent_link l JOIN enrolment e ON e.student = l.child
     WHERE {in_force("e")}) AS parents,
  (SELECT COUNT(*) FROM study_period p JOIN academic_year y ON y.id = p.year
     WHERE y.is_current = {{}}) AS periods,
  (SELECT MIN(p.grade_from) FROM study_period p JOIN academic_year y ON y.id = p.year
     WHERE y.is_current = {{}}) AS periods_from,
  (SELECT MAX(p.grade_to) FROM study_period p JOIN academic_year y ON y.id = p.year
     WHERE y.is_current = {{}}) AS periods_to,
  (SELECT COUNT(*) FROM calendar_day d JOIN academic_year y ON y.id = d.year
     WHERE y.is_current = {{}} AND d.kind = 'holidays') AS holidays,
  (SELECT COUNT(*) FROM calendar_day d JOIN academic_year y ON y.id = d.year
     WHERE y.is_current = {{}} AND d.kind = 'day_off') AS days_off,
  (SELECT COUNT(*) FROM study_group g JOIN academic_year y ON y.id = g.year
     WHERE y.is_current = {{}}) AS study_groups,
  (SELECT COUNT(*) FROM study_group g JOIN academic_year y ON y.id = g.year
     WHERE y.is_current = {{}} AND g.kind <> 'gpd' AND NOT EXISTS (
       SELECT 1 FROM teaching_load t WHERE t.study_group = g.id AND {in_force("t")}))
     AS groups_without_teacher,
  (SELECT COUNT(*) FROM school_order) AS orders,
  (SELECT COUNT(*) FROM staff_member s WHERE {in_force("s")}
     AND EXISTS (SELECT 1 FROM account a WHERE a.person = s.person)) AS staff_registered,
  (SELECT COUNT(DISTINCT e.student) FROM enrolment e WHERE {in_force("e")}
     AND EXISTS (SELECT 1 FROM account a WHERE a.person = e.student)) AS students_registered,
  (SELECT COUNT(DISTINCT l.parent) FROM parent_link l JOIN enrolment e ON e.student = l.child
     WHERE {in_force("e")} AND EXISTS (SELECT 1 FROM account a WHERE a.person = l.parent))
     AS parents_registered,
  (SELECT COUNT(*) FROM school_class c JOIN academic_year y ON y.id = c.year
     WHERE y.is_current = {{}} AND EXISTS (
       SELECT 1 FROM timetable_slot s JOIN timetable t ON t.id = s.timetable
       WHERE t.starts_on <= {{}} AND (t.ends_on IS NULL OR t.ends_on >= {{}})
         AND (s.school_class = c.id
              OR s.study_group IN (SELECT g.id FROM study_group g WHERE g.school_class = c.id))))
     AS classes_with_timetable,
  (SELECT MAX(t.cycle) FROM timetable t JOIN academic_year y ON y.id = t.year
     WHERE y.is_current = {{}} AND t.starts_on <= {{}} AND (t.ends_on IS NULL OR t.ends_on >= {{}}))
     AS timetable_cycle,
  (SELECT COUNT(*) FROM bell_schedule b JOIN academic_year y ON y.id = b.year
     WHERE y.is_current = {{}}) AS bell_schedules,
  (SELECT COUNT(*) FROM home_schooling h WHERE {in_force("h")}) AS home_schooled,
  (SELECT COUNT(*) FROM home_schooling h WHERE {in_force("h")} AND EXISTS (
     SELECT 1 FROM timetable_slot s JOIN timetable t ON t.id = s.timetable
     WHERE s.student = h.student AND t.starts_on <= {{}} AND (t.ends_on IS NULL OR t.ends_on >= {{}})))
     AS home_schooled_with_timetable,
  (SELECT COUNT(*) FROM (SELECT DISTINCT t.school_class, t.study_group, t.subject FROM teaching_load t
     WHERE {in_force("t")}) j) AS journals,
  (SELECT COUNT(*) FROM (SELECT DISTINCT t.school_class, t.study_group, t.subject FROM teaching_load t
     WHERE {in_force("t")} AND EXISTS (SELECT 1 FROM thematic_plan p WHERE p.subject = t.subject
       AND p.replaced_at IS NULL AND (p.school_class = t.school_class OR p.study_group = t.study_group))) j)
     AS journals_with_plan
"""


async def readiness_figures(day: date) -> dict:
    d = [day, day]
    args = [True, *d, *d, True, True, True, *d, *d, *d, *d, *d, *d, True, True, True, True, True,
            True, True, *d, *d, *d, *d, True, *d, True, *d, True, *d, *d, *d, *d, *d]
    assert len(args) == _SQL.count("{}"), "readiness: arguments do not match the query"
    return (await SchoolClass.raw(_SQL, *args).run())[0]


def readiness_items(f: dict) -> list[Item]:
    """The check-list from the figures (pure: tested without a database)."""

    def state(done: int, whole: int) -> str:
        return "missing" if not done else "ok" if done >= whole else "partial"

    items = []
    people_ok = f["staff"] and f["teachers"] and f["students"] and f["parents"]
    items.append(Item(
        "2", "Введены сотрудники, учителя, ученики, родители",
        "ok" if people_ok else "partial" if f["staff"] or f["students"] else "missing",
        f"сотрудников {f['staff']}, учителей с нагрузкой {f['teachers']}, учеников "
        f"{f['students']}, родителей {f['parents']}",
        "/exchange", "Импорт списков"))
    grades_covered = f["periods"] and f["periods_from"] == 1 and f["periods_to"] == 11
    calendar = ("missing" if not f["year"] or not f["periods"] else
                "ok" if grades_covered and f["holidays"] and f["days_off"] else "partial")
    items.append(Item(
        "3", "Календарь учебного года: четверти и полугодия, каникулы, праздничные дни",
        calendar,
        ("нет текущего учебного года" if not f["year"] else
         f"учебных периодов {f['periods']}"
         + (f" (классы {f['periods_from']}–{f['periods_to']})" if f["periods"] else "")
         + f", каникул {f['holidays']}, праздничных и выходных дней {f['days_off']}"),
        "/school/years", "Учебный год"))
    with_load = f["classes"] - f["classes_without_load"]
    items.append(Item(
        "4", "Учебная нагрузка учителей", state(with_load, f["classes"]) if f["classes"] else
        "missing", f"классов с нагрузкой: {_share(with_load, f['classes'])}",
        "/school/load", "Нагрузка"))
    items.append(Item(
        "5", "Ученики распределены по классам, внесены личные данные",
        state(f["students_with_birth_date"], f["students"]) if f["students"] else "missing",
        f"с датой рождения: {_share(f['students_with_birth_date'], f['students'])}; с согласием "
        f"на обработку персональных данных: {_share(f['students_with_consent'], f['students'])}"
        f"; с родителями: {_share(f['students_with_parents'], f['students'])}",
        "/classes", "Классы"))
    with_teacher = f["classes"] - f["classes_without_teacher"]
    items.append(Item(
        "6", "Созданы классы, назначены классные руководители",
        state(with_teacher, f["classes"]) if f["classes"] else "missing",
        f"классов {f['classes']}, с классным руководителем: {_share(with_teacher, f['classes'])}",
        "/school/classes", "Классы года"))
    taught = f["study_groups"] - f["groups_without_teacher"]
    items.append(Item(
        "7", "Классы разделены на группы, каждой группе назначен учитель",
        state(taught, f["study_groups"]) if f["study_groups"] else "missing",
        f"групп {f['study_groups']}, без учителя {f['groups_without_teacher']}",
        "/school/groups", "Группы"))
    items.append(Item(
        "8", "Книга приказов: зачисление, выбытие, перевод", "ok" if f["orders"] else "missing",
        f"приказов {f['orders']}", "/orders", "Книга приказов"))
    cycle = f.get("timetable_cycle")
    items.append(Item(
        "9", "Расписание учителей и классов",
        state(f.get("classes_with_timetable") or 0, f["classes"]) if f["classes"] else "missing",
        f"классов с расписанием: {_share(f.get('classes_with_timetable') or 0, f['classes'])}",
        "/timetable/setup", "Составление расписания"))
    items.append(Item(
        "10", "Копирование расписания, двухнедельное расписание", "ok" if cycle else "missing",
        "действует двухнедельное расписание (недели A и B)" if cycle == 2
        else "действует расписание на одну неделю; недели A и B включаются в версии расписания"
        if cycle else "нет действующей версии расписания", "/timetable/setup", "Версии расписания"))
    home = f.get("home_schooled") or 0
    items.append(Item(
        "11", "Расписание надомного и семейного обучения",
        state(f.get("home_schooled_with_timetable") or 0, home) if home else "ok",
        f"с индивидуальным расписанием: {_share(f.get('home_schooled_with_timetable') or 0, home)}"
        if home else "учеников на надомном и семейном обучении нет", "/timetable/home",
        "Надомное обучение"))
    items.append(Item(
        "13", "Расписание звонков", "ok" if f.get("bell_schedules") else "missing",
        f"расписаний звонков: {f.get('bell_schedules') or 0}", "/timetable/setup", "Звонки"))
    registered = f["staff_registered"] + f["students_registered"] + f["parents_registered"]
    everyone = f["staff"] + f["students"] + f["parents"]
    items.append(Item(
        "14", "Выданы коды приглашения, пользователи зарегистрировались",
        state(registered, everyone) if everyone else "missing",
        f"сотрудников {_share(f['staff_registered'], f['staff'])}, учеников "
        f"{_share(f['students_registered'], f['students'])}, родителей "
        f"{_share(f['parents_registered'], f['parents'])}",
        "/staff", "Коды для сотрудников"))
    journals = f.get("journals") or 0
    planned = f.get("journals_with_plan") or 0
    items.append(Item(
        "16", "Внесены КТП (тематическое планирование)", state(planned, journals) if journals else "missing",
        f"журналов с КТП: {_share(planned, journals)}", "/journal/plans", "КТП"))
    return items
