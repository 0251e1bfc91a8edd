"""Reads for «Правила журнала»: the year's settings, the grading systems with their marks and
conversions, the rules choosing a system, the kinds of work. A constant number of queries."""

from __future__ import annotations

from decimal import Decimal

from service.journal import access
from service.journal.setup import GROUP_KINDS
from service.timetable.tables import Lesson


async def page(year: dict) -> dict:
    """Everything the settings page shows for a year."""
    s = await access.settings(year["id"])
    systems = await Lesson.raw("SELECT * FROM grading_system ORDER BY builtin DESC, id").run()
    marks = await Lesson.raw("SELECT system, text, name, passing, value FROM grading_mark "
                             "ORDER BY system, position, id").run()
    conversions = await Lesson.raw("SELECT source, target, low, high, mark FROM grade_conversion "
                                   "ORDER BY source, target, low").run()
    rule_rows = await Lesson.raw(
        "SELECT r.*, gs.name AS system_name, s.name AS subject_name FROM grading_rule r "
        "JOIN grading_system gs ON gs.id = r.system LEFT JOIN subject s ON s.id = r.subject "
        "WHERE r.year = {} ORDER BY r.grade_from, r.grade_to, s.name, r.id", year["id"]).run()
    kinds = await Lesson.raw("SELECT * FROM work_kind ORDER BY position, id").run()
    subjects = await Lesson.raw("SELECT id, name FROM subject ORDER BY name").run()
    names = {r["id"]: r["name"] for r in systems}
    by_system: dict[int, dict] = {}
    for r in systems:
        r["builtin"], r["active"] = bool(r["builtin"]), bool(r["active"])
        r["marks"], r["conversions"] = [], {}
        by_system[r["id"]] = r
    for m in marks:
        m["passing"] = bool(m["passing"])
        m["value"] = None if m["value"] is None else Decimal(str(m["value"])).normalize()
        if m["system"] in by_system:
            by_system[m["system"]]["marks"].append(m)
    for c in conversions:
        if c["source"] in by_system:
            lines = by_system[c["source"]]["conversions"].setdefault(c["target"], [])
            lines.append(f"{_num(c['low'])}–{_num(c['high'])} → {c['mark']}")
    for r in systems:
        r["conversion_list"] = [{"target": t, "target_name": names.get(t, ""), "lines": lines}
                                for t, lines in r["conversions"].items()]
        r["marks_text"] = "\n".join(
            f"{m['text']}; {m['name']}; {'да' if m['passing'] else 'нет'}"
            + (f"; {_num(m['value'])}" if m["value"] is not None else "") for m in r["marks"])
    for r in rule_rows:
        r["kinds_names"] = ", ".join(GROUP_KINDS.get(k, k) for k in r["group_kinds"].split())
    for k in kinds:
        k["active"] = bool(k["active"])
        k["weight"] = _num(k["weight"])
    return {"settings": s, "systems": systems, "rules": rule_rows, "work_kinds": kinds, "subjects": subjects,
            "group_kinds": GROUP_KINDS}


def _num(x) -> str:
    d = Decimal(str(x)).normalize()
    text = format(d, "f")
    return text.replace(".", ",")


async def conversion_text(source: int, target: int) -> str:
    rows = await Lesson.raw("SELECT low, high, mark FROM grade_conversion WHERE source = {} AND target = {} "
                            "ORDER BY low", source, target).run()
    return "\n".join(f"{_num(r['low'])} {_num(r['high'])} {r['mark']}" for r in rows)
