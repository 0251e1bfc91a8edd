"""Reads for the grid editor of a timetable version: which classes and teachers it has, and the
week of one class or one teacher — weekdays × lesson numbers from the bells, the slots in each
cell (every week, week A, week B), the choices of the slot form (the class's teaching load
first) and the hours in the grid against the teaching load. A constant number of queries,
whatever the number of slots."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from service.school.queries import in_force
from service.timetable import lessons, rules
from service.timetable.slots import short_name, slot_label
from service.timetable.tables import Slot

_VERSION_SQL = """
SELECT t.id, t.year, t.name, t.starts_on, t.ends_on, t.cycle, t.anchor,
       y.name AS year_name, y.starts_on AS year_starts_on, y.ends_on AS year_ends_on, y.closed_at
FROM timetable t JOIN academic_year y ON y.id = t.year
WHERE t.id = {}
"""


async def version(version_id: int, today: date) -> dict | None:
    """A version with its year; ``on`` is the day whose staff and load the grid offers (the
    first day its edits change)."""
    rows = await Slot.raw(_VERSION_SQL, version_id).run()
    if not rows:
        return None
    found = rows[0]
    found["on"] = min(lessons.first_editable_day(found["starts_on"], today),
                      found["ends_on"] or found["year_ends_on"])
    return found


async def school_class(version: dict, class_id: int) -> dict | None:
    """A class of the version's year (another year's answers None → 404)."""
    rows = await Slot.raw("SELECT id, name, grade, week_days FROM school_class WHERE id = {} AND year = {}",
                          class_id, version["year"]).run()
    return rows[0] if rows else None


async def teacher(person_id: int) -> dict | None:
    """Someone who is or was on the staff (anyone else answers None → 404)."""
    rows = await Slot.raw(
        """SELECT p.id, p.last_name, p.first_name, p.middle_name FROM person p
           WHERE p.id = {} AND EXISTS (SELECT 1 FROM staff_member s WHERE s.person = p.id)""",
        person_id).run()
    if not rows:
        return None
    rows[0]["short"] = short_name(rows[0]["last_name"], rows[0]["first_name"], rows[0]["middle_name"])
    return rows[0]


async def picker(version: dict) -> dict:
    """The classes of the version's year and the staff, each with its number of slots (2
    queries)."""
    classes = await Slot.raw(
        """SELECT c.id, c.name, c.week_days,
                  (SELECT COUNT(*) FROM timetable_slot s LEFT JOIN study_group g ON g.id = s.study_group
                   WHERE s.timetable = {} AND (s.school_class = c.id OR g.school_class = c.id)) AS slots
           FROM school_class c WHERE c.year = {} ORDER BY c.grade, c.letter""",
        version["id"], version["year"]).run()
    teachers = await Slot.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, m.post,
                   (SELECT COUNT(*) FROM timetable_slot s WHERE s.timetable = {{}}
                      AND s.teacher = p.id) AS slots
            FROM staff_member m JOIN person p ON p.id = m.person
            WHERE {in_force("m")} ORDER BY p.last_name, p.first_name, p.middle_name""",
        version["id"], version["on"], version["on"]).run()
    return {"classes": classes, "teachers": teachers}


_SLOTS_SQL = """
SELECT s.id, s.weekday, s.number, s.week, s.school_class, s.study_group, s.student, s.subject,
       s.teacher, s.room, g.school_class AS group_class, subj.name AS subject_name,
       subj.short_name AS subject_short, c.name AS class_name, g.name AS group_name,
       r.name AS room_name, t.last_name AS t_last, t.first_name AS t_first,
       t.middle_name AS t_middle, st.last_name AS s_last, st.first_name AS s_first,
       st.middle_name AS s_middle
FROM timetable_slot s
JOIN subject subj ON subj.id = s.subject
JOIN person t ON t.id = s.teacher
LEFT JOIN school_class c ON c.id = s.school_class
LEFT JOIN study_group g ON g.id = s.study_group
LEFT JOIN room r ON r.id = s.room
LEFT JOIN person st ON st.id = s.student
WHERE s.timetable = {} AND """


def _hours(slot_rows: list[dict], load: list[dict], cycle: int) -> list[dict]:
    """Hours a week in the grid against the teaching load, per class or group, subject and
    teacher: «Математика: 4 из 5 ч». A slot of week A or B counts half (every other week)."""
    lines: dict[tuple, dict] = {}
    for row in load:
        key = (row["school_class"], row["study_group"], row["subject"], row["teacher"])
        line = lines.setdefault(key, {"target": row["target_name"], "subject": row["subject_name"],
                                      "teacher": short_name(row["t_last"], row["t_first"], row["t_middle"]),
                                      "planned": 0, "placed": 0.0})
        line["planned"] += row["hours_per_week"]
    for s in slot_rows:
        if s["student"] is not None:
            continue
        key = (s["school_class"], s["study_group"], s["subject"], s["teacher"])
        line = lines.setdefault(key, {"target": s["group_name"] or s["class_name"],
                                      "subject": s["subject_name"], "teacher": s["teacher_short"],
                                      "planned": 0, "placed": 0.0})
        line["placed"] += 1 if s["week"] == 0 or cycle == 1 else 0.5
    out = []
    for line in sorted(lines.values(), key=lambda x: (x["target"] or "", x["subject"], x["teacher"])):
        placed = line["placed"]
        line["placed_text"] = f"{placed:g}".replace(".", ",")
        line["state"] = "ok" if placed == line["planned"] else ("over" if placed > line["planned"] else "short")
        out.append(line)
    return out


async def grid(version: dict, *, class_row: dict | None = None, teacher_id: int | None = None) -> dict:
    """The week of one class (its own slots and its subgroups') or one teacher: columns
    (weekdays), rows (lesson numbers), cells, the choices of the slot form and the hours
    (7 queries)."""
    bell_rows = await Slot.raw(
        """SELECT s.weekdays, b.number, b.starts_at, b.ends_at FROM bell_time b
           JOIN bell_schedule s ON s.id = b.schedule WHERE s.year = {} AND s.weekdays <> {}""",
        version["year"], "").run()
    bells: dict[int, dict[int, str]] = defaultdict(dict)
    for b in bell_rows:
        for c in b["weekdays"]:
            if c.isdigit():
                bells[int(c)][b["number"]] = f"{rules.time_text(b['starts_at'])}–{rules.time_text(b['ends_at'])}"
    if class_row is not None:
        where, args = ("(s.school_class = {} OR g.school_class = {})", [class_row["id"], class_row["id"]])
    else:
        where, args = "s.teacher = {}", [teacher_id]
    slot_rows = await Slot.raw(_SLOTS_SQL + where + " ORDER BY s.week, s.id", version["id"], *args).run()
    for s in slot_rows:
        s["teacher_short"] = short_name(s["t_last"], s["t_first"], s["t_middle"])
        s["who"] = ("индивидуально: " + short_name(s["s_last"], s["s_first"], s["s_middle"])
                    if s["student"] is not None else s["group_name"] or s["class_name"])
        s["label"] = slot_label(s, version["cycle"])

    if class_row is not None:
        days = list(range(1, class_row["week_days"] + 1))
    else:
        days = list(range(1, 7 if 6 in bells or any(s["weekday"] == 6 for s in slot_rows) else 6))
    numbers = sorted({n for d in days for n in bells.get(d, {})} | {s["number"] for s in slot_rows})
    cells: dict[tuple[int, int], dict] = {
        (d, n): {"every": [], "a": [], "b": [], "bell": n in bells.get(d, {})} for d in days for n in numbers}
    for s in slot_rows:
        cell = cells.setdefault((s["weekday"], s["number"]), {"every": [], "a": [], "b": [], "bell": False})
        cell[("every", "a", "b")[s["week"]]].append(s)

    on = version["on"]
    if class_row is not None:
        load_where = "(l.school_class = {} OR g.school_class = {})"
        load_args = [class_row["id"], class_row["id"]]
    else:
        load_where, load_args = "l.teacher = {}", [teacher_id]
    load = await Slot.raw(
        f"""SELECT l.id, l.teacher, l.subject, l.school_class, l.study_group, l.hours_per_week,
                   subj.name AS subject_name, COALESCE(g.name, c.name) AS target_name,
                   p.last_name AS t_last, p.first_name AS t_first, p.middle_name AS t_middle
            FROM teaching_load l JOIN subject subj ON subj.id = l.subject
            JOIN person p ON p.id = l.teacher
            LEFT JOIN school_class c ON c.id = l.school_class
            LEFT JOIN study_group g ON g.id = l.study_group
            WHERE {load_where} AND {in_force("l")}
              AND COALESCE(c.year, g.year) = {{}}
            ORDER BY subj.name, p.last_name""",
        *load_args, on, on, version["year"]).run()
    subjects = await Slot.raw("SELECT id, name FROM subject ORDER BY name").run()
    staff = await Slot.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name FROM staff_member m
            JOIN person p ON p.id = m.person WHERE {in_force("m")}
            ORDER BY p.last_name, p.first_name, p.middle_name""", on, on).run()
    rooms = await Slot.raw("SELECT id, name FROM room ORDER BY name").run()
    if class_row is not None:
        targets = [{"code": f"c{class_row['id']}", "name": f"{class_row['name']} — весь класс"}] + [
            {"code": f"g{g['id']}", "name": g["name"]} for g in await Slot.raw(
                "SELECT id, name FROM study_group WHERE school_class = {} ORDER BY name",
                class_row["id"]).run()]
    else:
        targets = [{"code": ("c" if r["kind"] == "c" else "g") + str(r["id"]), "name": r["name"]}
                   for r in await Slot.raw(
                       """SELECT 'c' AS kind, id, name, grade AS g, letter AS l FROM school_class
                          WHERE year = {}
                          UNION ALL SELECT 'g' AS kind, id, name, 99 AS g, '' AS l FROM study_group
                          WHERE year = {} ORDER BY g, l, name""",
                       version["year"], version["year"]).run()]

    # the load's subjects, teachers and targets first, then everyone else
    load_subjects = {r["subject"] for r in load}
    load_teachers = {r["teacher"] for r in load}
    load_targets = {f"c{r['school_class']}" if r["school_class"] else f"g{r['study_group']}" for r in load}
    for p in staff:
        p["short"] = short_name(p["last_name"], p["first_name"], p["middle_name"])
    return {
        "days": days, "numbers": numbers, "cells": cells, "bells": bells, "slots": {s["id"]: s for s in slot_rows},
        "hours": _hours(slot_rows, load, version["cycle"]),
        "load": [{"subject": r["subject"], "teacher": r["teacher"], "target": r["target_name"],
                  "text": f"{r['subject_name']} — {short_name(r['t_last'], r['t_first'], r['t_middle'])}"
                          f" ({r['target_name']}, {r['hours_per_week']} ч)"} for r in load],
        "subjects": ([s for s in subjects if s["id"] in load_subjects],
                     [s for s in subjects if s["id"] not in load_subjects]),
        "teachers": ([p for p in staff if p["id"] in load_teachers],
                     [p for p in staff if p["id"] not in load_teachers]),
        "targets": ([t for t in targets if t["code"] in load_targets],
                    [t for t in targets if t["code"] not in load_targets]),
        "rooms": rooms,
    }
