"""Pure rules of the journal: what a typed cell means, averages, suggested finals, conversions,
when an entry is locked and when families see forecasts and finals. No database here; the
actions call these with rows they read, the tests call them with anything."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from service.errors import Refused

# Attendance kinds, the letter the paper journal uses, and their names.
ATTENDANCE = {
    "absent": ("н", "отсутствовал (причина не указана)"),
    "ill": ("б", "по болезни"),
    "excused": ("у", "по уважительной причине"),
    "unexcused": ("п", "без уважительной причины"),
    "late": ("оп", "опоздал"),
}
ATTENDANCE_BY_LETTER = {letter: kind for kind, (letter, _) in ATTENDANCE.items()}
# What else a hurried hand types for them: Latin look-alikes and the keys of a Latin layout.
ATTENDANCE_ALIASES = {"n": "absent", "y": "absent", "h": "absent", "нб": "absent",
                      "e": "excused", "g": "unexcused", "jg": "late", "оп.": "late"}
# Reasons a class teacher gives for whole days (absence notes).
DAY_REASONS = ("ill", "excused")

NOT_ATTESTED = "н/а"  # не аттестован
EXEMPT = "осв."  # освобождён
SPECIAL_FINALS = {NOT_ATTESTED: "не аттестован", EXEMPT: "освобождён"}
FINAL_KINDS = {"period": "за период", "year": "годовая", "exam": "экзамен",
               "project": "проект", "practice": "практика"}

MARKS_PER_CELL = 4
CELL_MAX = 40  # characters a cell accepts
_SPLIT = re.compile(r"[\s/,;]+")


@dataclass(frozen=True)
class System:
    """A grading system as the rules need it (``GradingSystem`` + its ``GradingMark`` rows as
    ``marks``: text → (value or None, passing))."""

    id: int
    name: str
    kind: str  # "scale" | "marks" | "none"
    low: int = 0
    high: int = 0
    pass_from: int = 0
    marks: tuple[tuple[str, Decimal | None, bool], ...] = ()
    code: str = ""

    def mark(self, typed: str) -> tuple[str, Decimal | None]:
        """The mark as stored and the number it counts as; ``Refused`` naming the system's
        marks when ``typed`` is not one of them."""
        text = typed.strip().lower().replace("ё", "е")
        if self.kind == "scale":
            if text.lstrip("-").isdigit() and len(text) <= 4:
                n = int(text)
                if self.low <= n <= self.high:
                    return str(n), Decimal(n)
            raise Refused(f"«{typed}» — не отметка {self.name_in}: допустимы целые числа "
                          f"от {self.low} до {self.high}")
        if self.kind == "marks":
            for mark, value, _ in self.marks:
                if text == mark.lower().replace("ё", "е"):
                    return mark, value
            allowed = ", ".join(f"«{m}»" for m, _, _ in self.marks)
            raise Refused(f"«{typed}» — не отметка {self.name_in}: допустимы {allowed}")
        raise Refused(f"В этом журнале отметки не ставятся ({self.name}): только посещаемость")

    @property
    def name_in(self) -> str:
        return f"системы «{self.name}»"

    def passing(self, mark: str) -> bool:
        if self.kind == "scale":
            return mark.isdigit() and int(mark) >= self.pass_from
        return any(m == mark and p for m, _, p in self.marks)


@dataclass(frozen=True)
class Cell:
    """What one journal cell holds: an attendance kind (or none: present) and the marks in
    order, each as (mark, value)."""

    attendance: str | None = None
    marks: tuple[tuple[str, Decimal | None], ...] = ()

    @property
    def text(self) -> str:
        return cell_text(self.attendance, [m for m, _ in self.marks])


def cell_text(attendance: str | None, marks: list[str] | tuple[str, ...]) -> str:
    """The canonical text of a cell as the grid shows it and as a save's ``was`` names it:
    attendance letter first, then the marks, separated by a space («н 5», «4 5», «»)."""
    parts = [ATTENDANCE[attendance][0]] if attendance else []
    return " ".join([*parts, *marks])


def parse_cell(typed: str, system: System) -> Cell:
    """Read what a teacher typed into a cell: attendance letters (н, б, у, п, оп, and their
    Latin-layout keys) and marks of ``system``, in any order, separated by spaces, «/» or
    commas. Empty: present, no marks. Refuses with a Russian message naming the wrong part."""
    if len(typed) > CELL_MAX:
        raise Refused(f"Слишком длинная запись в клетке (больше {CELL_MAX} знаков)")
    attendance: str | None = None
    marks: list[tuple[str, Decimal | None]] = []
    for token in (t for t in _SPLIT.split(typed.strip()) if t):
        low = token.lower()
        kind = ATTENDANCE_BY_LETTER.get(low) or ATTENDANCE_ALIASES.get(low)
        if kind is not None and not (system.kind == "marks" and _is_mark(system, token)):
            if attendance is not None and attendance != kind:
                raise Refused(f"В клетке две отметки посещаемости: «{ATTENDANCE[attendance][0]}» "
                              f"и «{ATTENDANCE[kind][0]}»; оставьте одну")
            attendance = kind
            continue
        marks.append(system.mark(token))
    if len(marks) > MARKS_PER_CELL:
        raise Refused(f"Не больше {MARKS_PER_CELL} отметок за один урок")
    return Cell(attendance, tuple(marks))


def _is_mark(system: System, token: str) -> bool:
    try:
        system.mark(token)
    except Refused:
        return False
    return True


def weighted_average(grades: list[tuple[Decimal | None, Decimal]]) -> Decimal | None:
    """Σ value·weight / Σ weight over grades that count (a value), to two places; none without
    grades."""
    counted = [(v, w) for v, w in grades if counts(v, w)]
    return average_of_sums(sum((v * w for v, w in counted), Decimal(0)), sum((w for _, w in counted), Decimal(0)))


def average_of_sums(weighted: Decimal, weights: Decimal) -> Decimal | None:
    """``weighted_average`` from its two sums over the grades that count (Σ value·weight, Σ weight),
    for a caller that adds them up as it reads the grades (the journal grid)."""
    if weights == 0:
        return None
    return (weighted / weights).quantize(_CENT, rounding=ROUND_HALF_UP)


def counts(value: Decimal | None, weight: Decimal) -> bool:
    """Whether a grade takes part in the weighted average: it has a value and a positive weight."""
    return value is not None and weight > 0


_CENT = Decimal("0.01")


def suggest_final(average: Decimal | None, system: System, round_from: Decimal) -> str:
    """The final a rule proposes from the weighted average: on a scale, the whole part, plus one
    when the fraction reaches ``round_from`` (0.5: 3.50 → 4; 0.6: 3.50 → 3, 3.60 → 4); in a
    "marks" system, the passing mark when the average reaches the lowest passing value.
    Empty when there is nothing to go on."""
    if average is None or system.kind == "none":
        return ""
    if system.kind == "scale":
        whole = int(average)
        mark = whole + (1 if average - whole >= round_from else 0)
        return str(max(system.low, min(system.high, mark)))
    valued = sorted(((v, m, p) for m, v, p in system.marks if v is not None), key=lambda x: x[0])
    chosen = ""
    for value, mark, _ in valued:
        if average >= value:
            chosen = mark
    return chosen


def convert(value: Decimal, rules: list[tuple[Decimal, Decimal, str]]) -> str | None:
    """The mark of another system ``value`` converts to by the rules (low, high, mark), or none."""
    for low, high, mark in rules:
        if low <= value <= high:
            return mark
    return None


def check_conversions(rules: list[tuple[Decimal, Decimal, str]]) -> None:
    """Conversion ranges must not overlap and each must run low → high."""
    ordered = sorted(rules)
    for i, (low, high, mark) in enumerate(ordered):
        if high < low:
            raise Refused(f"Строка «{low}–{high} → {mark}»: нижняя граница больше верхней")
        if i and low <= ordered[i - 1][1]:
            raise Refused(f"Диапазоны «{ordered[i - 1][0]}–{ordered[i - 1][1]}» и «{low}–{high}» "
                          "пересекаются")


# --- locks ------------------------------------------------------------------------------------

FREE, REASON, APPROVAL = "free", "reason", "approval"


def lock_state(lesson_day: date, today: date, edit_days: int, period_closed: bool,
               approval_required: bool) -> str:
    """How an entry of a lesson on ``lesson_day`` may change today: freely within ``edit_days``
    days after the lesson (its day counts as day 0) in an open period; otherwise only with a
    reason («reason») or, where the school asks for it, with a deputy head's approval."""
    if not period_closed and (today - lesson_day).days <= edit_days:
        return FREE
    return APPROVAL if approval_required else REASON


def check_gradable(lesson_day: date, today: date, cancelled: bool) -> None:
    """Attendance and grades are for lessons that took place: not cancelled, not in the future."""
    if cancelled:
        raise Refused("Урок отменён: отметки и посещаемость на нём не ставятся")
    if lesson_day > today:
        raise Refused(f"Урок {lesson_day:%d.%m.%Y} ещё не прошёл: отметки и посещаемость ставятся "
                      "в день урока и позже")


# --- visibility for families (004 items 3–4) --------------------------------------------------


def forecast_from(period_end: date, forecast_days: int) -> date:
    """The day the forecast of finals becomes visible to students and parents."""
    return period_end - timedelta(days=forecast_days)


def finals_from(period_end: date, finals_days: int) -> date:
    """The day finals become visible to students and parents; also the day by which teachers
    must have confirmed them (overdue after)."""
    return period_end - timedelta(days=finals_days)


def check_visibility_days(forecast_days: int, finals_days: int) -> None:
    """004: the forecast at least 14 days before the end, finals at least 2 days before."""
    if forecast_days < 14:
        raise Refused("Прогноз итоговых отметок показывается не позднее чем за 14 дней до конца "
                      "периода: укажите 14 дней или больше", field="forecast_days")
    if finals_days < 2:
        raise Refused("Итоговые отметки показываются не позднее чем за 2 дня до конца периода: "
                      "укажите 2 дня или больше", field="finals_days")
    if finals_days > forecast_days:
        raise Refused("Итоговые отметки не могут появиться раньше прогноза", field="finals_days")
