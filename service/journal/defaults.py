"""The grading systems, conversions and kinds of work a school starts with. Made once by
``ezh migrate`` (the domain's ``on_migrate``) when the school has no grading system yet; the
administration changes them afterwards on «Правила журнала». Idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from service.audit.log import Actor, record
from service.db import atomic
from service.journal.tables import GradeConversion, GradingMark, GradingSystem, WorkKind

# code, name, kind, low, high, pass_from
SYSTEMS = [
    ("5", "Пятибалльная", "scale", 1, 5, 3),
    ("zach", "Зачёт / незачёт", "marks", 0, 0, 0),
    ("10", "Десятибалльная", "scale", 1, 10, 4),
    ("100", "Стобалльная", "scale", 0, 100, 50),
    ("none", "Без отметок", "none", 0, 0, 0),
]
MARKS = {"zach": [("зач", "зачёт", True, None), ("незач", "незачёт", False, None)]}
# source → target: (low, high, mark)
CONVERSIONS = {
    ("100", "5"): [(0, 49, "2"), (50, 69, "3"), (70, 84, "4"), (85, 100, "5")],
    ("10", "5"): [(1, 3, "2"), (4, 5, "3"), (6, 7, "4"), (8, 10, "5")],
    ("5", "zach"): [(3, 5, "зач"), (1, 2, "незач")],
}
# name, short, weight
WORK_KINDS = [
    ("Ответ на уроке", "отв", 1), ("Домашняя работа", "д/з", 1),
    ("Самостоятельная работа", "с/р", 2), ("Проверочная работа", "п/р", 2),
    ("Диктант", "дикт", 2), ("Сочинение, изложение", "соч", 2), ("Тест", "тест", 2),
    ("Лабораторная работа", "л/р", 2), ("Практическая работа", "пр/р", 2),
    ("Проект", "проект", 2), ("Контрольная работа", "к/р", 3),
]
DEFAULT_SYSTEM = "5"


async def do_ensure_defaults(actor: Actor) -> list[str]:
    """Create the standard grading systems and kinds of work if the school has none."""
    async with atomic():
        if await GradingSystem.count().run():
            return []
        now = datetime.now(UTC)
        ids: dict[str, int] = {}
        for code, name, kind, low, high, pass_from in SYSTEMS:
            ids[code] = (await GradingSystem.insert(GradingSystem(
                code=code, name=name, kind=kind, low=low, high=high, pass_from=pass_from,
                builtin=True, created_at=now)).returning(GradingSystem.id).run())[0]["id"]
        for code, marks in MARKS.items():
            await GradingMark.insert(*[
                GradingMark(system=ids[code], text=t, name=n, passing=p, value=v, position=i)
                for i, (t, n, p, v) in enumerate(marks)]).run()
        for (source, target), rows in CONVERSIONS.items():
            await GradeConversion.insert(*[
                GradeConversion(source=ids[source], target=ids[target], low=Decimal(lo),
                                high=Decimal(hi), mark=m) for lo, hi, m in rows]).run()
        if not await WorkKind.count().run():
            await WorkKind.insert(*[WorkKind(name=n, short=s, weight=Decimal(w), position=i)
                                    for i, (n, s, w) in enumerate(WORK_KINDS)]).run()
        await record(actor, "journal.defaults_created", "grading_system", "",
                     new={"systems": [s[1] for s in SYSTEMS], "work_kinds": [k[0] for k in WORK_KINDS]})
    return [f"Созданы системы оценивания ({len(SYSTEMS)}) и виды работ ({len(WORK_KINDS)})."]
